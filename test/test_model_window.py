"""One window of sampling (molingo_ros.model.window): window sizes cut at the next command
and the end, the positions check, and the masked generation of a window's tokens after a
visible history, on a small randomly initialised model."""

from __future__ import annotations

import pytest
import torch

from molingo_ros.model.bundle import MoLingo
from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sae import SAEConfig
from molingo_ros.model.sampler_config import SamplerConfig
from molingo_ros.model.text import NULL_PROMPT
from molingo_ros.model.window import check_window_fits, sample_tokens, tokens_left, tokens_until

FAST = SamplerConfig(window_tokens=4, emit_tokens=4, history_tokens=4, iterations=2, flow_steps=2)


@pytest.fixture(scope="module")
def model() -> MoLingo:
    torch.manual_seed(0)
    gen = GeneratorConfig(
        dim=32, layers=1, heads=2, flow_width=32, flow_depth=1, adapter_layers=1, max_tokens=16
    )
    model = MoLingo(SAEConfig(width=32, res_depth=1), gen).eval()
    with torch.no_grad():  # zero-initialised output layers would hide the history and text
        for param in model.generator.parameters():
            param.add_(0.1 * torch.randn_like(param))
    return model


def test_short_windows():
    assert tokens_left(0, None, 196) == 49
    assert tokens_left(0, 9.0, 196) == 3
    assert tokens_left(190, None, 196) == 2
    assert tokens_left(196, None, 196) == 1  # never less than one token

    assert tokens_until(0, None, 196, 8) == 8
    assert tokens_until(0, 9.0, 196, 8) == 3  # ends at frame 12, the first token edge >= 9
    assert tokens_until(0, 12.0, 196, 8) == 3
    assert tokens_until(12, 12.0, 196, 8) == 8  # the command has started: full windows again
    assert tokens_until(184, None, 190, 8) == 2  # 6 frames left: 2 tokens, not 8
    assert tokens_until(0, 100.0, 196, 8) == 8


def test_a_window_and_its_history_must_fit_the_generators_positions(model):
    check_window_fits(model, SamplerConfig(window_tokens=8, emit_tokens=8, history_tokens=8))
    with pytest.raises(ValueError, match="8 \\+ 9 exceeds the generator's 16 positions"):
        check_window_fits(model, SamplerConfig(window_tokens=9, history_tokens=8))


def _sample(model, history, config=FAST, seed=0, text="a person walks forward"):
    with torch.no_grad():
        return sample_tokens(
            model,
            history,
            4,
            model.text_memory([text] * len(history)),
            model.text_memory([NULL_PROMPT]),
            config,
            torch.Generator().manual_seed(seed),
        )


def test_new_tokens_follow_the_history_and_the_seed(model):
    history = torch.randn(2, 3, model.sae.config.latent_dim)
    tokens = _sample(model, history)
    assert tokens.shape == (2, 4, model.sae.config.latent_dim) and torch.isfinite(tokens).all()
    assert torch.equal(tokens, _sample(model, history))  # seeded
    assert not torch.equal(tokens, _sample(model, history, seed=1))
    assert not torch.allclose(tokens, _sample(model, history + 1.0))  # the history is seen
    assert not torch.allclose(tokens, _sample(model, history, text="a person bows"))
    unguided = SamplerConfig(**{**FAST.__dict__, "cfg_scale": 1.0})
    assert _sample(model, history, unguided).shape == tokens.shape
