"""The causal semantic-aligned autoencoder: causality (streaming), shapes, the semantic
loss (its training losses: test_model_training_sae.py)."""

from __future__ import annotations

import pytest
import torch

from molingo_ros.model.sae import (
    MotionAutoencoder,
    SAEConfig,
    semantic_loss,
    token_label_embeddings,
)

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
