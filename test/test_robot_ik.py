"""Tests of molingo_ros.robot.ik (damped least squares keypoint IK) on the real Unitree G1
(pinocchio Jacobians)."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

from molingo_ros.robot.ik import IkConfig, KeypointIk
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.target_config import ORIENTED_KEYPOINTS, TARGET_KEYPOINTS


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def _targets(robot, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keypoint positions (K, 3) and oriented-keypoint rotations (M, 3, 3) of ``q``."""
    placements = robot.frame_placements(q)
    tp = np.array([placements[k][0] for k in TARGET_KEYPOINTS])
    tr = np.array([placements[k][1] for k in ORIENTED_KEYPOINTS])
    return tp, tr


def test_ik_converges_on_reachable_targets(g1):
    rng = np.random.default_rng(3)
    q_true = g1.neutral()
    idx = g1.joint_q_indices
    q_true[idx] = np.clip(rng.normal(0, 0.3, len(idx)), g1.lower, g1.upper)
    placements = g1.frame_placements(q_true)
    oriented = ("pelvis", "torso", "left_foot", "right_foot")
    ik = KeypointIk(
        g1,
        TARGET_KEYPOINTS,
        oriented,
        [1.0] * len(TARGET_KEYPOINTS),
        [1.0] * len(oriented),
        IkConfig(posture_weight=1e-6, damping=1e-6),
    )
    tp = np.array([placements[k][0] for k in TARGET_KEYPOINTS])
    tr = np.array([placements[k][1] for k in oriented])
    q = ik.solve(g1.neutral(), tp, tr, iterations=100)
    assert ik.keypoint_errors(q, tp).max() < 1e-3


def test_ik_keeps_joint_limits_on_unreachable_targets(g1):
    ik = KeypointIk(g1, TARGET_KEYPOINTS, (), [1.0] * len(TARGET_KEYPOINTS), [])
    q0 = g1.neutral()
    placements = g1.frame_placements(q0)
    tp = np.array([placements[k][0] for k in TARGET_KEYPOINTS])
    tp[TARGET_KEYPOINTS.index("right_hand")] += [0.0, -2.0, 3.0]  # far out of reach
    q = ik.solve(q0, tp, np.zeros((0, 3, 3)), iterations=50)
    angles = g1.joint_positions(q)
    assert np.all(angles >= g1.lower - 1e-12) and np.all(angles <= g1.upper + 1e-12)


def test_orientation_targets_are_reached(g1):
    q_true = g1.neutral()
    q_true[3:7] = pin.Quaternion(pin.rpy.rpyToMatrix(0.0, 0.0, 0.7)).coeffs()  # turned 40 deg
    tp, tr = _targets(g1, q_true)
    ik = KeypointIk(
        g1,
        TARGET_KEYPOINTS,
        ORIENTED_KEYPOINTS,
        [1.0] * len(TARGET_KEYPOINTS),
        [1.0] * len(ORIENTED_KEYPOINTS),
    )
    q = ik.solve(g1.neutral(), tp, tr, iterations=50)
    pelvis = g1.frame_placements(q)["pelvis"][1]
    assert np.linalg.norm(pin.log3(tr[0] @ pelvis.T)) < 1e-3  # rad
    assert ik.keypoint_errors(q, tp).max() < 1e-3


def test_solve_stops_when_converged(g1):
    q0 = g1.neutral()
    tp, tr = _targets(g1, q0)
    ik = KeypointIk(g1, TARGET_KEYPOINTS, ORIENTED_KEYPOINTS, [1.0] * 15, [1.0] * 4)
    np.testing.assert_allclose(ik.keypoint_errors(q0, tp), 0.0, atol=1e-12)
    # At the targets one step moves nothing, so more iterations give the same result.
    one = ik.solve(q0, tp, tr, iterations=1)
    many = ik.solve(q0, tp, tr, iterations=20)
    np.testing.assert_array_equal(one, many)
    np.testing.assert_allclose(one, q0, atol=1e-9)


def test_extra_rows_pull_the_configuration(g1):
    q0 = g1.neutral()
    tp, tr = _targets(g1, q0)
    ik = KeypointIk(g1, TARGET_KEYPOINTS, ORIENTED_KEYPOINTS, [1.0] * 15, [1.0] * 4)
    # One extra row asking the left knee joint velocity (a DoF of the tangent space) to be
    # 0.3 rad, heavily weighted: the step moves that joint towards it, against the targets.
    k = g1.joint_names.index("left_knee_joint")
    row = np.zeros((1, g1.nv))
    row[0, g1.joint_v_indices[k]] = 1.0
    q = ik.step(q0, tp, tr, extra=(row, np.array([0.3]), 1e4))
    moved = g1.joint_positions(q)[k] - g1.joint_positions(q0)[k]
    assert 0.2 < moved <= 0.3
    # Empty extra rows change nothing.
    np.testing.assert_array_equal(
        ik.step(q0, tp, tr, extra=(np.zeros((0, g1.nv)), np.zeros(0), 1e4)), ik.step(q0, tp, tr)
    )


def test_bad_construction_is_named(g1):
    with pytest.raises(ValueError, match="one position weight per keypoint"):
        KeypointIk(g1, TARGET_KEYPOINTS, (), [1.0], [])
    with pytest.raises(ValueError, match="one orientation weight per oriented keypoint"):
        KeypointIk(g1, TARGET_KEYPOINTS, ("pelvis",), [1.0] * 15, [])
    with pytest.raises(ValueError, match=r"oriented keypoints \['tail'\]"):
        KeypointIk(g1, ("pelvis",), ("tail",), [1.0], [1.0])


def test_anchored_keypoint_tracks_its_offset_from_the_anchor(g1):
    """A hand anchored on the shoulder reaches target hand - target shoulder from wherever
    the shoulder is; the absolute task would pull the whole body towards the target."""
    q0 = g1.neutral()
    tp, tr = _targets(g1, q0)
    hand, shoulder = TARGET_KEYPOINTS.index("left_hand"), TARGET_KEYPOINTS.index("left_shoulder")
    tp = tp.copy()
    tp[[hand, shoulder]] += [0.0, 0.0, 0.05]  # shoulder target 5 cm up, hand with it
    weights = [1.0] * len(TARGET_KEYPOINTS)
    ik = KeypointIk(
        g1,
        TARGET_KEYPOINTS,
        ORIENTED_KEYPOINTS,
        weights,
        [1.0] * 4,
        IkConfig(),
        anchors={"left_hand": "left_shoulder"},
    )
    q = ik.solve(q0, tp, tr, iterations=50)
    p = g1.keypoint_positions(q)
    relative = (p["left_hand"] - p["left_shoulder"]) - (tp[hand] - tp[shoulder])
    assert np.linalg.norm(relative) < 1e-3
    with pytest.raises(ValueError, match="anchor"):
        KeypointIk(g1, TARGET_KEYPOINTS, (), weights, [], anchors={"left_hand": "tail"})
