"""molingo_ros.model.sampler_config: the sampler's settings, importable without torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sampler_config import CFG_SCHEDULES, SHIPPED_MAX_TOKENS, SamplerConfig
from molingo_ros.settings import settings_of


def test_window_bound_is_the_shipped_generators_positions():
    assert SHIPPED_MAX_TOKENS == GeneratorConfig.max_tokens
    window = settings_of(SamplerConfig, ["window_tokens"])[0]
    assert window.range == (1, GeneratorConfig.max_tokens)


def test_importing_the_settings_does_not_load_torch():
    code = "import sys, molingo_ros.model.sampler_config; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"window_tokens": 0}, "window_tokens must be >= 1"),
        ({"emit_tokens": 17}, "emit_tokens must be in 1..window_tokens"),
        ({"history_tokens": -1}, "history_tokens must be >= 0"),
        ({"cfg_schedule": "cosine"}, "valid: constant, linear"),
    ],
)
def test_bad_settings_are_refused_with_the_valid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        SamplerConfig(**overrides)


def test_with_overrides_shrinks_emission_with_the_window_and_ignores_none():
    assert SamplerConfig.with_overrides(window_tokens=4).emit_tokens == 4
    assert SamplerConfig.with_overrides(window_tokens=32, cfg_scale=None) == SamplerConfig(
        window_tokens=32
    )


def test_guidance_schedules():
    assert CFG_SCHEDULES == ("constant", "linear")
    linear = SamplerConfig(cfg_scale=3.0, cfg_schedule="linear")
    assert [linear.guidance(f) for f in (0.0, 0.5, 1.0)] == [1.0, 2.0, 3.0]
    assert SamplerConfig(cfg_scale=3.0).guidance(0.1) == 3.0
