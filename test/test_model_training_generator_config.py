"""The settings of a generator training run (molingo_ros.model.training.generator_config):
every knob a documented setting with its range, values outside refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.training.data import DataConfig
from molingo_ros.model.training.generator_config import GeneratorTrainConfig
from molingo_ros.settings import config_from, settings_of


def test_every_scalar_setting_is_documented():
    documented = {s.name for s in settings_of(GeneratorTrainConfig)}
    nested_or_optional = {"generator", "data", "text", "pack", "init", "parallel"}
    fields = set(GeneratorTrainConfig.__dataclass_fields__)
    assert documented == fields - nested_or_optional
    assert all(s.description for s in settings_of(GeneratorTrainConfig))


def test_the_defaults_are_the_documented_run():
    cfg = GeneratorTrainConfig()
    assert (cfg.window_tokens, cfg.max_prefix_tokens, cfg.steps, cfg.batch) == (24, 12, 6000, 32)
    assert cfg.sae == Path("runs/sae/sae.safetensors") and cfg.out == Path("runs/gen")
    assert cfg.pack is None and cfg.init is None and cfg.time_budget == 0.0
    assert cfg.generator == GeneratorConfig() and cfg.data == DataConfig()


def test_values_outside_a_settings_range_are_refused_by_name():
    values = {"cond_drop": 1.5}

    def value(name: str):
        return values.get(name, getattr(GeneratorTrainConfig, name))

    with pytest.raises(ValueError, match=r"cond_drop must be in \[0.0, 1.0\], got 1.5"):
        config_from(GeneratorTrainConfig, value)
    values = {"window_tokens": "32"}  # cast to the setting's type
    assert config_from(GeneratorTrainConfig, value).window_tokens == 32
