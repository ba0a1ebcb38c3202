"""Tests of molingo_ros.robot.validator on the real Unitree G1 model."""

from __future__ import annotations

import json

import numpy as np
import pinocchio as pin
import pytest

from molingo_ros.robot.models import load_robot
from molingo_ros.robot.validator import (
    ValidationReport,
    ValidatorConfig,
    collision_setup,
    validate,
)

FPS = 30.0
T = 30


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def still(robot, frames: int = T) -> np.ndarray:
    return np.tile(robot.neutral(), (frames, 1))


def jq(robot, name: str) -> int:
    return int(robot.joint_q_indices[robot.joint_names.index(name)])


def test_neutral_still_is_clean(g1):
    rep = validate(g1, still(g1), FPS)
    assert isinstance(rep, ValidationReport)
    assert rep.frames == T
    assert rep.joint_limit_violations == 0
    assert rep.velocity_limit_violations == 0
    assert rep.acceleration_limit_violations == 0
    assert rep.self_collision_frames == 0
    assert rep.checked_collision_pairs > 0
    assert rep.max_foot_penetration_m == pytest.approx(0.0, abs=1e-9)
    assert rep.foot_skate_m_per_s == pytest.approx(0.0, abs=1e-9)
    assert rep.frame_ok.shape == (T,) and rep.frame_ok.all()
    assert rep.mean_keypoint_error_m is None


def test_adjacent_links_are_filtered(g1):
    setup = collision_setup(g1)
    pairs = {frozenset(p) for p in setup.pair_names}
    assert frozenset(("left_knee_linkGeom_1", "left_hip_yaw_linkGeom_1")) not in pairs
    # Torso hangs from the pelvis through two geometry-less waist joints: still adjacent.
    assert frozenset(("pelvisGeom_2", "torso_linkGeom_1")) not in pairs
    assert frozenset(("torso_linkGeom_1", "left_elbow_linkGeom_1")) in pairs
    # Pair filtering works on a copy: the robot's own geometry model is untouched.
    assert len(g1.collision_model.collisionPairs) == 0


def test_position_limit_violation_rejects_frame(g1):
    q = still(g1)
    j = "left_elbow_joint"
    q[10, jq(g1, j)] = g1.upper[g1.joint_names.index(j)] + 0.1
    cfg = ValidatorConfig(self_collision=False)
    # The jump from 0 to 2.2 rad is also a velocity violation: check frame 10 is rejected.
    rep = validate(g1, q, FPS, config=cfg)
    assert rep.joint_limit_violations == 1
    assert rep.joint_limit_violations_by_joint == {j: 1}
    assert not rep.frame_ok[10]
    # A violation inside the limit band of a slowly reached pose: only frame 10 rejected.
    q = still(g1)
    base = g1.upper[g1.joint_names.index(j)] - 0.01
    q[:, jq(g1, j)] = base
    q[10, jq(g1, j)] = base + 0.05
    rep = validate(g1, q, FPS, config=cfg)
    assert rep.joint_limit_violations == 1
    assert rep.velocity_limit_violations == 0
    assert rep.rejected_frames == [10]


def test_velocity_spike_is_counted(g1):
    # The slowest G1 joint (20 rad/s, e.g. the knee): 0.5 rad in one frame at 30 fps is
    # 15 rad/s, within its limit; 1.0 rad in one frame (30 rad/s) is over it.
    k = int(np.argmin(g1.velocity_limits))
    j, limit = g1.joint_names[k], g1.velocity_limits[k]
    assert 0.5 * FPS < limit < 1.0 * FPS
    cfg = ValidatorConfig(self_collision=False)
    for jump, expected in ((0.5, 0), (1.0, 1)):
        q = still(g1)
        q[10:, jq(g1, j)] = jump  # one jump between frames 9 and 10, then held
        rep = validate(g1, q, FPS, config=cfg)
        assert rep.velocity_limit_violations == expected
        assert rep.max_velocity_ratio == pytest.approx(jump * FPS / limit)
        assert rep.acceleration_limit_violations == 2  # jump * 900 rad/s^2 at frames 9, 10
        assert rep.joint_limit_violations == 0
        assert rep.rejected_frames == ([10] if expected else [])
    assert rep.velocity_limit_violations_by_joint == {j: 1}


def test_lowered_robot_penetrates(g1):
    q = still(g1)
    q[:, 2] -= 0.05
    rep = validate(g1, q, FPS, config=ValidatorConfig(self_collision=False))
    assert rep.max_foot_penetration_m == pytest.approx(0.05, abs=1e-6)
    assert rep.penetration_frames == T
    assert not rep.frame_ok.any()


def test_sideways_translation_skates(g1):
    q = still(g1)
    q[:, 1] += np.arange(T) / FPS  # 1 m/s along y, feet on the floor
    rep = validate(g1, q, FPS, config=ValidatorConfig(self_collision=False))
    assert rep.foot_skate_m_per_s == pytest.approx(1.0, abs=1e-6)
    assert rep.foot_skate_frames == T - 1
    assert rep.frame_ok.all()  # skating is reported, not rejected


def _colliding_arm_pose(robot) -> np.ndarray:
    """Left arm folded into the torso: shoulder roll at its inward limit, a few shoulder
    pitch / elbow values tried until pinocchio reports a collision."""
    setup = collision_setup(robot)
    data = robot.model.createData()
    for pitch in (0.0, -1.0, -2.0, -3.0):
        for elbow in (0.0, 1.0, 2.0):
            q = robot.neutral()
            q[jq(robot, "left_shoulder_roll_joint")] = -10.0  # beyond the limit; clamped
            q[jq(robot, "left_shoulder_pitch_joint")] = pitch
            q[jq(robot, "left_elbow_joint")] = elbow
            q = robot.clamp_to_limits(q)
            if pin.computeCollisions(
                robot.model, data, setup.geom_model, setup.geom_data, q, False
            ):
                return q
    pytest.fail("no colliding arm configuration found")


def test_arm_into_torso_collides(g1):
    bad = _colliding_arm_pose(g1)
    q = still(g1)
    q[12:18] = bad  # the jumps into frame 12 and out at 18 also break velocity limits
    rep = validate(g1, q, FPS)
    assert rep.self_collision_frames == 6
    assert sorted(rep.collisions) == list(range(12, 18))
    assert all(any("torso" in a or "torso" in b for a, b in p) for p in rep.collisions.values())
    assert not rep.frame_ok[12:18].any()
    assert rep.frame_ok[:12].all()
    # Disabled: no collision frames.
    rep = validate(g1, q, FPS, config=ValidatorConfig(self_collision=False))
    assert rep.self_collision_frames == 0 and rep.checked_collision_pairs == 0


def test_keypoint_error(g1):
    q = still(g1, 10)
    q[:, 0] += np.linspace(0.0, 0.2, 10)
    own = {k: np.stack([g1.keypoint_positions(x)[k] for x in q]) for k in g1.keypoint_names}
    cfg = ValidatorConfig(self_collision=False)
    rep = validate(g1, q, FPS, targets=own, config=cfg)
    assert rep.mean_keypoint_error_m == pytest.approx(0.0, abs=1e-9)
    assert rep.max_keypoint_error_m == pytest.approx(0.0, abs=1e-9)
    shifted = {k: v + np.array([0.0, 0.03, 0.0]) for k, v in own.items()}
    rep = validate(g1, q, FPS, targets=shifted, config=cfg)
    assert rep.mean_keypoint_error_m == pytest.approx(0.03, abs=1e-9)
    assert rep.max_keypoint_error_m == pytest.approx(0.03, abs=1e-9)
    assert set(rep.keypoint_errors_m) == set(g1.keypoint_names)
    assert rep.keypoint_errors_m["left_hand"]["mean"] == pytest.approx(0.03, abs=1e-9)
    with pytest.raises(ValueError, match="unknown target keypoint"):
        validate(g1, q, FPS, targets={"tail": own["pelvis"]}, config=cfg)
    with pytest.raises(ValueError, match=r"\(10, 3\)"):
        validate(g1, q, FPS, targets={"pelvis": own["pelvis"][:5]}, config=cfg)


def test_bad_input(g1):
    q = still(g1)
    q[7, 9] = np.nan
    with pytest.raises(ValueError, match="frame 7"):
        validate(g1, q, FPS)
    with pytest.raises(ValueError, match=str(g1.nq)):
        validate(g1, np.zeros((5, g1.nq - 1)), FPS)
    with pytest.raises(ValueError, match=str(g1.nq)):
        validate(g1, g1.neutral(), FPS)
    with pytest.raises(ValueError, match="fps"):
        validate(g1, still(g1), 0.0)


def test_to_json_round_trip(g1):
    q = still(g1)
    q[5, 2] -= 0.05
    own = {"pelvis": np.stack([g1.keypoint_positions(x)["pelvis"] for x in q])}
    rep = validate(g1, q, FPS, targets=own)
    d = json.loads(rep.to_json())
    for key in (
        "frames",
        "joint_limit_violations",
        "velocity_limit_violations",
        "acceleration_limit_violations",
        "self_collision_frames",
        "mean_keypoint_error_m",
        "max_keypoint_error_m",
        "max_foot_penetration_m",
        "foot_skate_m_per_s",
        "rejected_frames",
        "keypoint_errors_m",
    ):
        assert key in d
    assert "frame_ok" not in d
    assert d["frames"] == T
    assert d["rejected_frames"] == [5]
    assert d["max_foot_penetration_m"] == pytest.approx(0.05, abs=1e-6)
    assert d == rep.to_dict()
