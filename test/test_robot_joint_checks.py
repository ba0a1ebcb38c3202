"""Tests of molingo_ros.robot.joint_checks on the real Unitree G1 limits (pinocchio model)."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.robot.joint_checks import check_joints, violations_by_joint
from molingo_ros.robot.models import load_robot

FPS = 30.0


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def still(robot, frames: int) -> np.ndarray:
    return np.tile(robot.neutral(), (frames, 1))


def test_still_neutral_is_clean(g1):
    check = check_joints(g1, still(g1, 10), FPS, 1e-6, 200.0)
    n = g1.num_joints
    assert check.position_bad.shape == (10, n)
    assert check.velocity_bad.shape == (9, n)
    assert check.acceleration_bad.shape == (8, n)
    assert not check.position_bad.any() and not check.velocity_bad.any()
    assert check.max_velocity_ratio == 0.0 and check.max_acceleration_rad_s2 == 0.0
    assert check.frame_ok().all()


def test_velocity_jump_rejects_the_frame_after_it(g1):
    k = int(np.argmin(g1.velocity_limits))
    limit = float(g1.velocity_limits[k])
    q = still(g1, 10)
    q[5:, g1.joint_q_indices[k]] = 1.5 * limit / FPS  # one step at 1.5x the limit into frame 5
    check = check_joints(g1, q, FPS, 1e-6, 200.0)
    assert np.argwhere(check.velocity_bad).tolist() == [[4, k]]
    assert check.max_velocity_ratio == pytest.approx(1.5)
    assert np.flatnonzero(~check.frame_ok()).tolist() == [5]
    # The jump is +a then -a in acceleration, at the steps around frame 4 -> 5.
    acc = 1.5 * limit * FPS
    assert check.max_acceleration_rad_s2 == pytest.approx(acc)
    assert np.argwhere(check.acceleration_bad).tolist() == [[3, k], [4, k]]
    relaxed = check_joints(g1, q, FPS, 1e-6, acc * 1.01)
    assert not relaxed.acceleration_bad.any() and relaxed.velocity_bad.any()


def test_position_tolerance(g1):
    name = "left_elbow_joint"
    j = g1.joint_names.index(name)
    q = still(g1, 3)
    q[:, g1.joint_q_indices[j]] = g1.upper[j] + 0.01  # held: no velocity
    assert check_joints(g1, q, FPS, 0.02, 200.0).frame_ok().all()
    check = check_joints(g1, q, FPS, 0.005, 200.0)
    assert not check.frame_ok().any()
    assert violations_by_joint(check.position_bad, g1.joint_names) == {name: 3}
    q[:, g1.joint_q_indices[j]] = g1.lower[j] - 0.01
    assert check_joints(g1, q, FPS, 0.005, 200.0).position_bad[:, j].all()


def test_short_motions(g1):
    one = check_joints(g1, still(g1, 1), FPS, 1e-6, 200.0)
    assert one.velocity_bad.shape == (0, g1.num_joints)
    assert one.max_velocity_ratio == 0.0 and one.max_acceleration_rad_s2 == 0.0
    assert one.frame_ok().tolist() == [True]
    q = still(g1, 2)
    q[1, g1.joint_q_indices[0]] += 0.1
    two = check_joints(g1, q, FPS, 1e-6, 200.0)
    assert two.acceleration_bad.shape == (0, g1.num_joints)
    assert two.max_acceleration_rad_s2 == 0.0
    assert two.max_velocity_ratio == pytest.approx(0.1 * FPS / g1.velocity_limits[0])


def test_violations_by_joint_names_only_bad_joints(g1):
    names = g1.joint_names
    bad = np.zeros((4, len(names)), dtype=bool)
    bad[[0, 2, 3], 1] = True
    bad[1, 7] = True
    assert violations_by_joint(bad, names) == {names[1]: 3, names[7]: 1}
    assert violations_by_joint(np.zeros((0, len(names)), dtype=bool), names) == {}
