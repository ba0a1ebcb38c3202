"""The causal semantic-aligned autoencoder: causality (streaming), shapes, losses on real
features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from molingo_ros.model.sae import (
    MotionAutoencoder,
    SAEConfig,
    semantic_loss,
    token_label_embeddings,
)
from molingo_ros.model.train_sae import SAETrainConfig, sae_losses
from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.features import canonicalize, motion_to_features

SMALL = SAEConfig(width=32, res_depth=1)


def test_encoder_and_decoder_are_causal():
    torch.manual_seed(0)
    model = MotionAutoencoder(SMALL).eval()
    x = torch.randn(2, 64, SMALL.feature_dim)
    later = x.clone()
    later[:, 32:] += 1.0  # change frames 32.. only
    z1, _ = model.encode(x)
    z2, _ = model.encode(later)
    assert torch.equal(z1[:, :8], z2[:, :8])  # tokens 0..7 cover frames 0..31
    assert not torch.allclose(z1[:, 8:], z2[:, 8:])
    d1 = model.decode(z1)
    z3 = z1.clone()
    z3[:, 8:] += 1.0
    d2 = model.decode(z3)
    assert torch.equal(d1[:, :32], d2[:, :32])  # frames of tokens 0..7 unchanged
    assert d1.shape == x.shape


def test_frame_count_must_be_a_multiple_of_4():
    model = MotionAutoencoder(SMALL)
    with pytest.raises(ValueError, match="multiple of 4"):
        model.encode(torch.zeros(1, 30, SMALL.feature_dim))


def test_token_label_embeddings_average_the_causal_span():
    frame_text = torch.zeros(1, 16, 2)
    frame_text[0, 8:, 0] = 1.0  # a new label from frame 8
    tok = token_label_embeddings(frame_text, frames_per_token=4, history_tokens=1)
    # token 2 covers frames 4..11 (one token of history): half old, half new
    assert tok.shape == (1, 4, 2)
    assert tok[0, 0, 0] == 0 and tok[0, 2, 0] == pytest.approx(0.5) and tok[0, 3, 0] == 1.0


def test_semantic_loss_is_zero_when_aligned():
    z = torch.randn(2, 5, 16)
    valid = torch.ones(2, 5, dtype=torch.bool)
    assert semantic_loss(z, 3.0 * z, valid).item() == pytest.approx(0.0, abs=1e-6)
    assert semantic_loss(z, -z, valid).item() == pytest.approx(2.0, abs=1e-5)


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


def test_decoder_finetuning_keeps_encoder_and_generator(tmp_path):
    from molingo_ros.model.generator import GeneratorConfig
    from molingo_ros.model.sampler import MoLingo
    from molingo_ros.model.train_sae import copy_decoder, finetune_decoder

    torch.manual_seed(0)
    gen = GeneratorConfig(
        dim=32, layers=1, heads=2, flow_width=32, flow_depth=1, adapter_layers=1, max_tokens=16
    )
    src = MoLingo(SMALL, gen).save(tmp_path / "a.safetensors")
    out = finetune_decoder(src, tmp_path / "b.safetensors", steps=3, batch=4, progress=False)
    a, b = MoLingo.load(src, device="cpu"), MoLingo.load(out, device="cpu")
    sa, sb = a.state_dict(), b.state_dict()
    assert all(
        torch.equal(sa[k], sb[k])
        for k in sa
        if not k.startswith(("sae.decoder", "sae.from_latent"))
    )
    assert any(not torch.equal(sa[k], sb[k]) for k in sa if k.startswith("sae.decoder"))
    # the fine-tuned decoder can be given to another bundle with the same encoder
    other = MoLingo(SMALL, gen)
    other.sae.load_state_dict(a.sae.state_dict())
    other_path = other.save(tmp_path / "c.safetensors")
    merged = MoLingo.load(copy_decoder(out, other_path, tmp_path / "d.safetensors"), device="cpu")
    assert torch.equal(merged.sae.decoder[0].weight, b.sae.decoder[0].weight)
    with pytest.raises(ValueError, match="different SAE encoders"):
        copy_decoder(
            out,
            MoLingo(SAEConfig(width=32, res_depth=1), gen).save(tmp_path / "e.st"),
            tmp_path / "f.safetensors",
        )


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


def test_decoder_finetuning_with_latent_noise_is_seeded_and_recorded(tmp_path):
    import json

    from molingo_ros.model.generator import GeneratorConfig
    from molingo_ros.model.sampler import MoLingo
    from molingo_ros.model.train_sae import finetune_decoder

    gen = GeneratorConfig(
        dim=32, layers=1, heads=2, flow_width=32, flow_depth=1, adapter_layers=1, max_tokens=16
    )
    src = MoLingo(SMALL, gen).save(tmp_path / "a.safetensors")

    def tune(name: str, noise: float) -> MoLingo:
        out = finetune_decoder(
            src, tmp_path / name, steps=3, batch=4, progress=False, latent_noise=noise
        )
        return MoLingo.load(out, device="cpu")

    a, b, clean = tune("a1.st", 0.5), tune("a2.st", 0.5), tune("c.st", 0.0)
    weight = "sae.decoder.0.weight"
    assert torch.equal(a.state_dict()[weight], b.state_dict()[weight])
    assert not torch.equal(a.state_dict()[weight], clean.state_dict()[weight])
    assert json.loads(a.metadata["decoder_finetune"])["latent_noise"] == 0.5
    with pytest.raises(ValueError, match="latent_noise must be >= 0"):
        finetune_decoder(src, tmp_path / "x.st", steps=1, progress=False, latent_noise=-1)
