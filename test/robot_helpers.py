"""Helpers of the robot-config tests: the checkout's config folder, the G1 config document, and
writing a (possibly broken) config to a file."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO_CONFIG = Path(__file__).resolve().parents[1] / "config"


def g1_doc() -> dict:
    """The G1 config document, as yaml.safe_load reads it."""
    return yaml.safe_load((REPO_CONFIG / "robots" / "g1.yaml").read_text())


def write_config(tmp_path: Path, doc: object, name: str = "robot.yaml") -> Path:
    """``doc`` (a YAML string, or data dumped as YAML) written to ``tmp_path/name``."""
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return path


def unrepaired_slash(bandai_clip, robot, frames: int):
    """The first ``frames`` frames of the Bandai sword slash retargeted onto ``robot`` without
    collision avoidance (a RetargetResult): real mocap that drives the arms into the body."""
    from dataclasses import replace

    from molingo_ros.motion.convert import load_motion
    from molingo_ros.robot.avoid import AvoidConfig
    from molingo_ros.robot.retarget import retarget
    from molingo_ros.robot.retarget_config import retarget_config_for

    motion = load_motion(bandai_clip("dataset-1_slash_normal_001")).frames(0, frames)
    config = replace(retarget_config_for(robot), avoid=AvoidConfig(enabled=False))
    return retarget(motion, robot, config)
