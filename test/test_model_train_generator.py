"""Generator training off the dataset: latent packs for a lent GPU machine, the wall-clock
budget, and the SAE read from a model bundle. Real data, the shipped SAE."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors import safe_open

from molingo_ros.model.data import DataConfig
from molingo_ros.model.sampler import MoLingo, default_model_path
from molingo_ros.model.train_generator import (
    GeneratorTrainConfig,
    encoder_fingerprint,
    export_pack,
    load_sae,
    sample_batch,
    train_generator,
    training_sequences,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> GeneratorTrainConfig:
    out = tmp_path_factory.mktemp("gen")
    return GeneratorTrainConfig(
        sae=default_model_path(),
        data=DataConfig(composed_sequences=12),
        batch=4,
        window_tokens=12,
        max_prefix_tokens=6,
        steps=3,
        warmup=1,
        checkpoint_every=1000,
        device="cpu",
        out=out / "run",
    )


@pytest.fixture(scope="module")
def pack(config, tmp_path_factory):
    return export_pack(config, tmp_path_factory.mktemp("pack") / "pack.npz", progress=False)


def test_sae_from_a_model_bundle_is_the_bundles_sae():
    sae, tensors = load_sae(default_model_path(), torch.device("cpu"))
    model = MoLingo.load(device="cpu")
    for name, value in model.sae.state_dict().items():
        assert torch.equal(sae.state_dict()[name], value), name
    assert torch.equal(tensors["normalizer.mean"], model.feature_mean)
    assert torch.equal(tensors["normalizer.std"], model.feature_std)


def test_pack_holds_the_training_sequences(config, pack):
    sae, _ = load_sae(config.sae, torch.device("cpu"))
    captions, seqs, composed = training_sequences(config, sae, torch.device("cpu"), False)
    p_captions, p_seqs, p_composed = training_sequences(
        replace(config, pack=pack), sae, torch.device("cpu"), False
    )
    assert p_captions == captions
    assert len(p_seqs) == len(seqs) > 1000 and len(p_composed) == len(composed) == 12
    for a, b in zip(seqs + composed, p_seqs + p_composed, strict=True):
        assert np.array_equal(a.labels, b.labels) and a.seams == b.seams
        np.testing.assert_allclose(b.latents, a.latents, rtol=1e-3, atol=1e-3)  # float16
    assert any(s.seams for s in p_composed)


def test_pack_of_another_encoder_is_refused(config, pack, tmp_path):
    with np.load(pack) as data:
        items = {k: data[k] for k in data.files}
    sae, _ = load_sae(config.sae, torch.device("cpu"))
    assert str(items["encoder"]) == encoder_fingerprint(sae)
    items["encoder"] = np.asarray("0" * 16)
    other = tmp_path / "other.npz"
    np.savez(other, **items)
    with pytest.raises(ValueError, match="export the pack again"):
        training_sequences(replace(config, pack=other), sae, torch.device("cpu"), False)
    with pytest.raises(ValueError, match="data settings"):
        training_sequences(
            replace(config, pack=pack, data=DataConfig(composed_sequences=13)),
            sae,
            torch.device("cpu"),
            False,
        )
    with pytest.raises(FileNotFoundError, match="--export-pack"):
        training_sequences(
            replace(config, pack=tmp_path / "nope.npz"), sae, torch.device("cpu"), False
        )


def test_training_from_a_pack_within_a_time_budget(config, pack):
    cfg = replace(config, pack=pack, steps=100_000, time_budget=2.0)
    path = train_generator(cfg, progress=False)
    model = MoLingo.load(path, device="cpu")  # a complete, loadable bundle
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    steps = int(meta["step"])
    assert 50 <= steps < 100_000
    assert json.loads(meta["train_config"])["steps"] == steps  # the fitted count is recorded
    for name, value in model.sae.state_dict().items():  # the SAE is the one given
        assert torch.equal(value, load_sae(config.sae, torch.device("cpu"))[0].state_dict()[name])


def test_training_windows_carry_command_ages(config, pack):
    sae, _ = load_sae(config.sae, torch.device("cpu"))
    cfg = replace(config, pack=pack, batch=256, window_tokens=32, max_prefix_tokens=24)
    captions, seqs, composed = training_sequences(cfg, sae, torch.device("cpu"), False)
    rng = np.random.default_rng(0)
    tokens, valid, prefix, label, age = sample_batch(seqs, composed, cfg, rng, len(captions))
    assert age.shape == valid.shape == (256, 32)
    assert (np.diff(age, axis=1) == 1).all()  # one token older per position
    at_first_hidden = age[np.arange(256), prefix]
    assert (at_first_hidden >= 0).all()  # the command has begun at the first hidden token
    # windows cut at a seam: the history is the previous command's (negative ages)
    at_seam = (at_first_hidden == 0) & (prefix > 0)
    assert at_seam.sum() > 256 * 0.7 * 0.5 * 0.5
    assert (age[at_seam, 0] < 0).all()


def test_init_from_a_bundle_adds_the_command_age_table(tmp_path):
    from molingo_ros.model.generator import GeneratorConfig, MotionGenerator
    from molingo_ros.model.train_generator import init_generator

    shipped = MoLingo.load(device="cpu")
    cfg = replace(shipped.generator.config, command_age_tokens=8)
    fresh = MotionGenerator(cfg)
    age_before = fresh.age.weight.detach().clone()
    init_generator(fresh, default_model_path())
    for name, value in shipped.generator.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], value), name
    assert torch.equal(fresh.age.weight, age_before)  # the new table keeps its initialisation
    other = MotionGenerator(GeneratorConfig(dim=64, heads=4))
    with pytest.raises(ValueError, match="does not match"):
        init_generator(other, default_model_path())
