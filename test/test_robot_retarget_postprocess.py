"""Tests of molingo_ros.robot.retarget_postprocess on the real Unitree G1: the joint step limit
and putting the soles on the floor (pinocchio forward kinematics)."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.robot.models import load_robot
from molingo_ros.robot.retarget_postprocess import limit_joint_step, place_on_floor

BOTH = np.array([True, True])
NONE = np.array([False, False])


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def _sole_heights(robot, q: np.ndarray) -> np.ndarray:
    soles = robot.sole_positions(q)
    return np.array([soles["left"][2], soles["right"][2]])


def test_limit_joint_step_clips_in_place(g1):
    idx = g1.joint_q_indices
    previous = g1.neutral()
    q = previous.copy()
    q[idx] += np.linspace(-0.5, 0.5, len(idx))
    q[:3] += 1.0  # the root is not a joint: never limited
    step = np.full(len(idx), 0.1)
    out = limit_joint_step(q, previous, idx, step)
    assert out is q
    moved = q[idx] - previous[idx]
    assert np.all(np.abs(moved) <= 0.1 + 1e-15)
    np.testing.assert_allclose(moved[[0, -1]], [-0.1, 0.1])
    small = np.abs(np.linspace(-0.5, 0.5, len(idx))) <= 0.1
    np.testing.assert_allclose(moved[small], np.linspace(-0.5, 0.5, len(idx))[small])
    np.testing.assert_array_equal(q[:3], previous[:3] + 1.0)


def test_no_previous_frame_no_limit(g1):
    q = g1.neutral()
    q[g1.joint_q_indices] = 1.0
    before = q.copy()
    assert limit_joint_step(q, None, g1.joint_q_indices, np.zeros(g1.num_joints)) is q
    np.testing.assert_array_equal(q, before)


def test_floating_stance_feet_go_down_to_the_floor(g1):
    q = g1.neutral()
    q[2] += 0.05
    out = place_on_floor(g1, q, BOTH, 0.002)
    assert out is not q and q[2] == g1.neutral()[2] + 0.05  # the input is not changed
    np.testing.assert_allclose(_sole_heights(g1, out), 0.0, atol=1e-9)
    # Without contact a raised robot stays up (a jump), ...
    assert place_on_floor(g1, q, NONE, 0.002) is q
    # ... and within the tolerance nothing moves.
    q[2] = g1.neutral()[2] + 0.001
    assert place_on_floor(g1, q, BOTH, 0.002) is q


def test_nothing_goes_below_the_floor(g1):
    q = g1.neutral()
    q[2] -= 0.04
    for contacts in (BOTH, NONE):
        out = place_on_floor(g1, q, contacts, 0.002)
        np.testing.assert_allclose(_sole_heights(g1, out).min(), 0.0, atol=1e-9)


def test_the_lower_stance_foot_defines_the_floor(g1):
    q = g1.neutral()
    k = g1.joint_names.index("left_knee_joint")
    h = g1.joint_names.index("left_hip_pitch_joint")
    q[g1.joint_q_indices[[h, k]]] = [-0.6, 1.2]  # lift the left foot
    q[2] += 0.03
    z = _sole_heights(g1, q)
    assert z[0] > z[1] + 0.05
    # Only the (raised) left foot in contact: taking it to the floor would sink the right
    # one, and nothing goes below the floor, so the right foot lands and the left stays up.
    out = place_on_floor(g1, q, np.array([True, False]), 0.002)
    np.testing.assert_allclose(_sole_heights(g1, out).min(), 0.0, atol=1e-9)
    assert _sole_heights(g1, out)[0] > 0.05
    # The right foot in contact: it goes to the floor.
    out = place_on_floor(g1, q, np.array([False, True]), 0.002)
    np.testing.assert_allclose(_sole_heights(g1, out)[1], 0.0, atol=1e-9)
