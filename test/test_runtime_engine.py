"""The streaming engine on the shipped model and the real G1 files: valid, reproducible,
continuous chunks, the end of a command, rebasing, the velocities; and the robot resolution: a
custom robot YAML (a path), a robot_description URDF with renamed joints, and the errors."""

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
from molingo_ros.runtime.engine import EngineConfig, MotionEngine, backward_velocities

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


@pytest.fixture(scope="module")
def engine(model) -> MotionEngine:
    """The G1 engine on the shipped model (what ``MotionEngine.load`` builds for g1)."""
    return MotionEngine(model, load_robot_config("g1"), EngineConfig(robot="g1", device="cpu"))


def test_engine_chunks_are_valid_reproducible_and_continuous(engine):
    engine.reset()
    a = [engine.next_chunk("a person walks forward", seed=5) for _ in range(1)]
    a += [engine.next_chunk("a person walks forward") for _ in range(2)]
    a += [engine.next_chunk("a person waves the right hand") for _ in range(2)]
    q = np.concatenate([c.qpos for c in a])
    assert q.shape == (5 * engine.window_frames, engine.robot.nq)
    report = validate(engine.robot, q, engine.fps)
    assert report.frame_ok.all(), report.to_dict()
    # The text switch flows on: no joint moves faster than its limit across the seam.
    step = np.abs(np.diff(q[:, engine.robot.joint_q_indices], axis=0)) * engine.fps
    assert (step <= engine.robot.velocity_limits + 1e-6).all()
    # Velocities are the backward differences of the positions.
    jv = np.concatenate([c.joint_velocities for c in a])
    assert np.allclose(jv[1:], np.diff(q[:, engine.robot.joint_q_indices], axis=0) * engine.fps)
    # Same seed, same texts: the same frames.
    engine.reset()
    b = engine.next_chunk("a person walks forward", seed=5)
    assert np.allclose(b.qpos, a[0].qpos)
    engine.reset()
    c = engine.next_chunk("a person walks forward", seed=6)
    assert not np.allclose(c.qpos, a[0].qpos)


def test_engine_trims_the_last_chunk(engine):
    engine.reset()
    c = engine.next_chunk("a person bows", seed=1, max_frames=7)
    assert c.frames == 7 and np.allclose(engine.last_q, c.qpos[-1])


def test_the_end_of_a_command_is_drawn_only_up_to_it(engine):
    # A command of 42 frames, as the controller streams it (max_frames = frames left): the
    # first window is drawn 11 tokens long (44 frames), not 16; the second chunk emits the
    # 3 tokens left of it and holds the command's last 10 frames.
    engine.reset()
    first = engine.next_chunk("a person walks forward", seed=1, max_frames=42)
    assert first.frames == engine.window_frames
    last = engine.next_chunk("a person walks forward", max_frames=10)
    assert last.frames == 10
    assert engine.stream.frames_emitted == engine.window_frames + 12
    assert engine.stream.pending_tokens == 0  # nothing drawn past the command's end


def test_rebase_continues_from_the_frame_actually_sent(engine):
    engine.reset()
    walk = engine.next_chunk("a person walks forward", seed=1)
    sent = walk.qpos[4].copy()  # the frames after it were never sent (a hold)
    assert np.linalg.norm(walk.qpos[-1, :2] - sent[:2]) > 0.1
    engine.rebase(sent)
    assert np.allclose(engine.last_q, sent)
    nxt = engine.next_chunk("a person walks forward")
    # The floating base goes on from the sent frame (plus about one walking step), not from
    # the unsent last frame; the joints approach it within their speed limits.
    assert np.linalg.norm(nxt.qpos[0, :3] - sent[:3]) < 0.06
    idx = engine.robot.joint_q_indices
    assert (
        np.abs(nxt.qpos[0, idx] - sent[idx]) * engine.fps <= engine.robot.velocity_limits + 1e-6
    ).all()
    assert np.allclose(nxt.joint_velocities[0], (nxt.qpos[0, idx] - sent[idx]) * engine.fps)
    with pytest.raises(ValueError, match=r"q_last must have shape"):
        engine.rebase(sent[:-1])


def test_backward_velocities_difference_against_the_previous_frame():
    fps = 30.0
    idx = np.array([7, 8])
    q = np.zeros((3, 9))
    q[:, 0] = [0.0, 0.1, 0.3]  # root x (m)
    q[:, 8] = [0.5, 0.5, 0.4]  # a joint (rad)
    jv, rv = backward_velocities(q, None, idx, fps)
    assert jv.shape == (3, 2) and rv.shape == (3, 3)
    assert np.allclose(rv[:, 0], [0.0, 3.0, 6.0]) and not rv[:, 1:].any()
    assert np.allclose(jv[:, 1], [0.0, 0.0, -3.0]) and not jv[:, 0].any()
    prev = q[0].copy()
    prev[0], prev[7] = -0.1, 0.2
    jv, rv = backward_velocities(q, prev, idx, fps)
    assert np.allclose(rv[0], [3.0, 0.0, 0.0]) and np.allclose(jv[0], [-6.0, 0.0])
    assert np.allclose(rv[1:, 0], [3.0, 6.0])


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


def test_dynamically_infeasible_frames_are_counted_only_when_asked(engine):
    from dataclasses import replace

    from molingo_ros.runtime.safety import SafetyConfig

    engine.reset()
    chunk = engine.next_chunk("a person bows", seed=0)
    assert chunk.dynamically_infeasible == 0 and engine.dynamics is None
    engine.set_safety(replace(SafetyConfig(), check_dynamics=True))
    counted = [engine.next_chunk("a person bows").dynamically_infeasible for _ in range(3)]
    assert engine.dynamics is not None
    assert all(0 <= n <= 32 for n in counted)  # counted, never held: the frames are sent
    engine.set_safety(SafetyConfig())
