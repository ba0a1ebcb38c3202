"""molingo_ros.settings: one documented field -> flags, ROS parameters and checked configs."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pytest

from molingo_ros.model.sampler_config import SamplerConfig
from molingo_ros.runtime.commands import CommandLimits
from molingo_ros.settings import add_flags, config_from, flag_overrides, setting, settings_of


@dataclass(frozen=True)
class Demo:
    speed_m_s: float = setting(1.5, "walking speed (m/s)", range=(0.0, 3.0), aliases=("--speed",))
    mode: str = setting("walk", "gait", choices=("walk", "run"))
    steps: int = setting(4, "steps per cycle", range=(1, 10))
    verbose: bool = setting(False, "print more")
    internal: int = 7  # no setting(): not a user-facing knob

    def __post_init__(self) -> None:
        if self.mode == "run" and self.speed_m_s < 1.0:
            raise ValueError("run needs speed_m_s >= 1")


def test_settings_of_lists_documented_fields_in_order():
    names = [s.name for s in settings_of(Demo)]
    assert names == ["speed_m_s", "mode", "steps", "verbose"]
    speed = settings_of(Demo, ["speed_m_s"])[0]
    assert (speed.default, speed.type, speed.range) == (1.5, float, (0.0, 3.0))
    assert speed.flag == "--speed-m-s" and speed.aliases == ("--speed",)
    assert Demo.speed_m_s == 1.5 and Demo().internal == 7  # class defaults still read as before


def test_unknown_setting_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid: speed_m_s, mode, steps, verbose"):
        settings_of(Demo, ["speed", "mode"])


def test_flags_parse_aliases_and_keep_defaults_when_absent():
    parser = argparse.ArgumentParser()
    add_flags(parser, Demo)
    args = parser.parse_args(["--speed", "2.5", "--verbose"])
    assert flag_overrides(args, Demo) == {"speed_m_s": 2.5, "verbose": True}
    assert flag_overrides(parser.parse_args([]), Demo) == {}
    assert flag_overrides(parser.parse_args(["--no-verbose"]), Demo) == {"verbose": False}
    with pytest.raises(SystemExit):
        parser.parse_args(["--mode", "fly"])  # choices enforced by argparse


def test_flag_out_of_range_names_flag_and_range():
    parser = argparse.ArgumentParser()
    add_flags(parser, Demo)
    with pytest.raises(ValueError, match=r"--steps: steps must be in \[1, 10\], got 11"):
        flag_overrides(parser.parse_args(["--steps", "11"]), Demo)


def test_config_from_casts_checks_and_lets_the_dataclass_check_combinations():
    values = {"speed_m_s": 2, "mode": "run", "steps": 3.0, "verbose": 0}
    cfg = config_from(Demo, values.__getitem__, internal=9)
    assert cfg == Demo(2.0, "run", 3, False, 9)
    assert isinstance(cfg.speed_m_s, float) and isinstance(cfg.steps, int)
    with pytest.raises(ValueError, match="mode must be one of walk, run"):
        config_from(Demo, {**values, "mode": "jog"}.__getitem__)
    with pytest.raises(ValueError, match="run needs"):
        config_from(Demo, {**values, "speed_m_s": 0.5}.__getitem__)


def test_sampler_flags_are_generated_from_sampler_config():
    parser = argparse.ArgumentParser()
    add_flags(parser, SamplerConfig)
    args = parser.parse_args(["--cfg", "3.5", "--flow-steps", "4", "--cfg-schedule", "linear"])
    config = SamplerConfig.with_overrides(**flag_overrides(args, SamplerConfig))
    assert (config.cfg_scale, config.flow_steps, config.cfg_schedule) == (3.5, 4, "linear")
    assert config.iterations == SamplerConfig.iterations
    documented = {s.name for s in settings_of(SamplerConfig)}
    assert documented == set(SamplerConfig.__dataclass_fields__)  # every sampler knob documented


def test_command_limits_documented_except_the_derived_minimum():
    names = {s.name for s in settings_of(CommandLimits)}
    assert names == set(CommandLimits.__dataclass_fields__) - {"min_duration_s"}
    assert all(s.description and s.range for s in settings_of(CommandLimits))
