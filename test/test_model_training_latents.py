"""Latent training data of the generator (molingo_ros.model.training.latents): the SAE read
from a model bundle, latent packs for a machine without the dataset, checked against the
encoder and the data settings. Real data, the shipped SAE."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from model_helpers import latent_pack, tiny_generator_config

from molingo_ros.model.sampler import MoLingo, default_model_path
from molingo_ros.model.training.data import DataConfig
from molingo_ros.model.training.generator_config import GeneratorTrainConfig
from molingo_ros.model.training.latents import (
    encode_sequences,
    encoder_fingerprint,
    load_sae,
    training_sequences,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> GeneratorTrainConfig:
    return tiny_generator_config(tmp_path_factory.mktemp("gen") / "run")


@pytest.fixture(scope="module")
def pack() -> Path:
    return latent_pack()


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


def test_token_sequences_take_the_label_and_seams_of_their_frames():
    from molingo_ros.model.training.data import Sequence

    sae, _ = load_sae(default_model_path(), torch.device("cpu"))
    feats = np.random.default_rng(0).normal(size=(43, 257)).astype(np.float32)
    labels = np.array([3] * 21 + [5] * 22)
    seqs = [Sequence(feats, labels, [21]), Sequence(feats[:7], labels[:7], [])]
    (tokens,) = encode_sequences(sae, seqs, torch.device("cpu"))  # 7 frames: < 2 tokens
    assert tokens.latents.shape == (10, sae.config.latent_dim)  # 43 frames -> 10 tokens
    assert list(tokens.labels) == [3] * 5 + [5] * 5  # the label of each token's last frame
    assert tokens.seams == [6]  # frame 21 -> the first token whose frames all follow it
