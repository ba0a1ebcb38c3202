"""The engine's robot resolution, on the shipped model and the real G1 files: a custom robot
YAML (a path), a robot_description URDF with renamed joints, and the errors."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from molingo_ros.robot.config import load_robot_config, read_urdf_joint_names, rename_urdf_joints
from molingo_ros.robot.models import (
    G1_URDF_SOURCE,
    RobotModelError,
    resolve_model_path,
    robot_config_path,
)
from molingo_ros.robot.validator import validate
from molingo_ros.runtime.engine import EngineConfig, MotionEngine

_OPENED: list[str] = []
_WATCH: set[str] = set()


def _audit(event: str, args: tuple) -> None:
    """Records real opens of the watched files (an audit hook; it cannot be removed)."""
    if event == "open" and _WATCH and args and isinstance(args[0], str | os.PathLike):
        path = os.path.abspath(os.fspath(args[0]))
        if path in _WATCH:
            _OPENED.append(path)


sys.addaudithook(_audit)


def custom_yaml(folder: Path, name: str) -> Path:
    """A copy of the G1 robot YAML (robot: and retarget:) under another name."""
    doc = yaml.safe_load(robot_config_path("g1").read_text())
    doc["robot"]["name"] = name
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _assert_valid(engine: MotionEngine, chunk) -> None:
    assert chunk.qpos.shape == (engine.window_frames, engine.robot.nq)
    report = validate(engine.robot, chunk.qpos, chunk.fps)
    assert report.frame_ok.all(), report.to_dict()


def test_custom_robot_yaml_through_load(tmp_path: Path):
    """The node's configure path: EngineConfig(robot=<a YAML path>), read once."""
    path = custom_yaml(tmp_path, "mybot")
    _WATCH.add(os.path.abspath(path))
    try:
        engine = MotionEngine.load(EngineConfig(robot=str(path), device="cpu"))
    finally:
        _WATCH.clear()
    assert _OPENED == [os.path.abspath(path)]
    assert engine.robot.name == "mybot" and engine.robot_config.path == path
    _assert_valid(engine, engine.next_chunk("a person walks forward", seed=1))
    # A fresh stream needs no file either.
    path.unlink()
    engine.reset()
    chunk = engine.next_chunk("a person waves the right hand", seed=2)
    _assert_valid(engine, chunk)
    assert chunk.joint_names == engine.robot.joint_names


def test_robot_description_with_renamed_joints(model):
    """A robot_description whose joints lack Unitree's `_joint` suffix: the engine runs on the
    spec's names, and the URDF's names are there for publishing."""
    urdf = resolve_model_path(G1_URDF_SOURCE).read_text()
    names = read_urdf_joint_names(urdf)
    stripped = rename_urdf_joints(urdf, {n: n.removesuffix("_joint") for n in names})
    robot = load_robot_config("g1", urdf_xml=stripped, joint_name_map="auto")
    engine = MotionEngine(model, robot, EngineConfig(device="cpu"))
    chunk = engine.next_chunk("a person walks forward", seed=1)
    _assert_valid(engine, chunk)
    assert chunk.joint_names == names  # the spec's (= the unrenamed URDF's) names, URDF order
    assert engine.robot_config.urdf_joint_names == [n.removesuffix("_joint") for n in names]
    assert np.isfinite(chunk.joint_velocities).all()


def test_load_errors_name_the_options(tmp_path: Path):
    with pytest.raises(RobotModelError, match=r"unknown robot 'mybot'; known: g1, h1, t1"):
        MotionEngine.load(EngineConfig(robot="mybot", device="cpu"))
    urdf = resolve_model_path(G1_URDF_SOURCE).read_text()
    knee_renamed = urdf.replace('"left_knee_joint"', '"left_knee"')
    with pytest.raises(RobotModelError, match=r"lacks 1 joint\(s\).*: left_knee_joint; the URDF"):
        MotionEngine.load(EngineConfig(urdf_xml=knee_renamed, device="cpu"))
    engine_cfg = EngineConfig(
        urdf_xml=knee_renamed, joint_name_map={"left_knee": "left_knee_joint"}, device="cpu"
    )
    assert (
        load_robot_config(
            engine_cfg.robot, urdf_xml=engine_cfg.urdf_xml, joint_name_map=engine_cfg.joint_name_map
        ).urdf_joint_names[3]
        == "left_knee"
    )
