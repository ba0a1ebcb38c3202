"""SAE training (molingo_ros.model.training.sae): the losses on real features, training
windows, the exported file, and a short run that resumes where it stopped."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from molingo_ros.model.checkpoint import load_weights
from molingo_ros.model.sae import MotionAutoencoder, SAEConfig
from molingo_ros.model.training.data import DataConfig, Sequence
from molingo_ros.model.training.sae import (
    SAETrainConfig,
    export_sae,
    sae_losses,
    sample_windows,
    train_sae,
)
from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.features import canonicalize, motion_to_features

SMALL = SAEConfig(width=32, res_depth=1)


def test_losses_fall_on_a_real_clip(bandai_clip):
    motion = load_motion(bandai_clip("dataset-2_walk_normal_001"))
    canon, _, _ = canonicalize(motion)
    feats = motion_to_features(canon).astype(np.float32)
    feats = (feats - feats.mean(0)) / (feats.std(0) + 1e-3)
    x = torch.from_numpy(feats[:64])[None]
    torch.manual_seed(0)
    model = MotionAutoencoder(SMALL)
    cfg = SAETrainConfig(sae=SMALL)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    first = None
    for _ in range(60):
        losses = sae_losses(model, x, torch.randn(1, 64, SMALL.text_dim), cfg)
        opt.zero_grad()
        losses["total"].backward()
        opt.step()
        first = first if first is not None else float(losses["recon"].detach())
    assert float(losses["recon"].detach()) < 0.5 * first


def test_latent_noise_reaches_the_decoder_only(bandai_clip):
    motion = load_motion(bandai_clip("dataset-2_walk_normal_001"))
    canon, _, _ = canonicalize(motion)
    feats = motion_to_features(canon).astype(np.float32)
    x = torch.from_numpy((feats[:64] - feats.mean(0)) / (feats.std(0) + 1e-3))[None]
    model = MotionAutoencoder(SMALL).eval()
    cfg = SAETrainConfig(sae=SMALL)
    text = torch.randn(1, 64, SMALL.text_dim)

    def losses(noise):
        torch.manual_seed(1)
        with torch.no_grad():
            return sae_losses(model, x, text, cfg, noise)

    clean, noisy = losses(None), losses(torch.full((SMALL.latent_dim,), 0.5))
    assert float(losses(torch.tensor(0.0))["recon"]) == pytest.approx(float(clean["recon"]))
    assert float(noisy["recon"]) != pytest.approx(float(clean["recon"]))
    assert float(noisy["semantic"]) == pytest.approx(float(clean["semantic"]))


def test_windows_come_from_sequences_long_enough():
    short = Sequence(np.zeros((10, 3), np.float32), np.zeros(10, np.int64), [])
    long = Sequence(np.arange(60, dtype=np.float32).repeat(3).reshape(60, 3), np.arange(60), [])
    feats, labels = sample_windows([short, long], 5, 16, np.random.default_rng(0))
    assert feats.shape == (5, 16, 3) and labels.shape == (5, 16)
    for f, lab in zip(feats, labels, strict=True):  # consecutive frames of the long one
        assert np.array_equal(f[:, 0], lab.astype(np.float32))
        assert np.array_equal(np.diff(lab), np.ones(15))


def test_the_exported_file_holds_the_normaliser_and_both_configs(tmp_path):
    cfg = SAETrainConfig(sae=SMALL)
    model = MotionAutoencoder(SMALL)
    mean, std = np.arange(257, dtype=np.float32), np.full(257, 2.0, np.float32)
    path = export_sae(model, mean, std, cfg, tmp_path / "sae.safetensors", {"step": "7"})
    tensors, meta = load_weights(path, "molingo-sae")
    assert torch.equal(tensors["normalizer.mean"], torch.from_numpy(mean))
    assert json.loads(meta["sae_config"])["width"] == 32
    assert json.loads(meta["train_config"])["out"] == "runs/sae" and meta["step"] == "7"


@pytest.mark.slow
def test_a_short_run_writes_its_files_and_resumes(tmp_path):
    cfg = SAETrainConfig(
        sae=SMALL,
        data=DataConfig(captions_per_label=2, composed_sequences=12),
        batch=4,
        steps=2,
        warmup=1,
        device="cpu",
        log_every=1,
        out=tmp_path / "run",
    )
    path = train_sae(cfg, progress=False)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["steps"] == 2
    first = load_weights(path, "molingo-sae")[0]
    path = train_sae(SAETrainConfig(**{**cfg.__dict__, "steps": 3}), progress=False)
    _, meta = load_weights(path, "molingo-sae")
    assert meta["step"] == "3" and (tmp_path / "run" / "done").read_text() == "3"
    rows = (tmp_path / "run" / "log.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1.0", "2.0", "3.0"]  # one more step
    assert not torch.equal(
        first["decoder.0.weight"], load_weights(path, "molingo-sae")[0]["decoder.0.weight"]
    )
