"""The node's parameter table read into component configs (molingo_ros.ros.params)."""

from __future__ import annotations

import pytest

from molingo_ros.model.sampler import SamplerConfig
from molingo_ros.ros.params import MAX_WINDOW_TOKENS, PARAMETERS, sampler_config


def _defaults(**changes):
    values = {name: spec[0] for name, spec in PARAMETERS.items()}
    values.update({f"sampler.{k}": v for k, v in changes.items()})
    return values.__getitem__


def test_the_default_parameters_give_the_default_sampler():
    assert sampler_config(_defaults()) == SamplerConfig()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"emit_tokens": 17}, r"emit_tokens must be in 1\.\.window_tokens \(16\)"),
        ({"window_tokens": 4}, r"emit_tokens must be in 1\.\.window_tokens \(4\)"),
        ({"window_tokens": 60}, "window_tokens \\+ sampler.history_tokens must be <= 64"),
        ({"cfg_schedule": "cosine"}, "cfg_schedule must be one of constant, linear"),
    ],
)
def test_inconsistent_sampler_parameters_are_named(changes, message):
    with pytest.raises(ValueError, match=message):
        sampler_config(_defaults(**changes))


def test_window_and_history_may_fill_the_positions():
    cfg = sampler_config(_defaults(window_tokens=MAX_WINDOW_TOKENS - 8, history_tokens=8))
    assert cfg.window_tokens + cfg.history_tokens == MAX_WINDOW_TOKENS


def test_the_nodes_torch_threads_default_is_the_engines():
    from molingo_ros.runtime.engine import EngineConfig

    assert PARAMETERS["threads"][0] == EngineConfig().threads == 1
