"""Tests of molingo_ros.robot.robot_rest: the neutral-pose measurements of the real robots
(G1, H1, T1) the target builder scales with."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.robot.models import load_robot
from molingo_ros.robot.robot_rest import RobotRest
from molingo_ros.robot.target_config import KEYPOINT_CHAIN, TARGET_KEYPOINTS


@pytest.fixture(scope="module", params=["g1", "h1", "t1"])
def robot(request):
    return load_robot(request.param)


def test_rest_is_the_neutral_pose(robot):
    rest = RobotRest.of(robot)
    placements = robot.frame_placements(robot.neutral())
    assert set(TARGET_KEYPOINTS) <= set(rest.positions)
    for key in TARGET_KEYPOINTS:
        np.testing.assert_array_equal(rest.positions[key], placements[key][0])
        np.testing.assert_array_equal(rest.rotations[key], placements[key][1])
    # Standing on the floor: feet low, head high.
    assert rest.positions["left_foot"][2] < 0.15 < rest.positions["head"][2]


def test_limb_lengths_and_leg_length(robot):
    rest = RobotRest.of(robot)
    limbs = {k for k, (_, kind) in KEYPOINT_CHAIN.items() if kind == "limb"}
    assert set(rest.lengths) == limbs
    for key in limbs:
        parent = KEYPOINT_CHAIN[key][0]
        want = np.linalg.norm(rest.positions[key] - rest.positions[parent])
        assert rest.lengths[key] == pytest.approx(want) and want > 0.05
    # Left and right limbs of these symmetric robots match.
    for part in ("knee", "foot", "elbow", "hand"):
        assert rest.lengths[f"left_{part}"] == pytest.approx(
            rest.lengths[f"right_{part}"], abs=1e-6
        )
    legs = [rest.lengths[f"{s}_knee"] + rest.lengths[f"{s}_foot"] for s in ("left", "right")]
    assert rest.leg_length_m == pytest.approx(np.mean(legs))
    # A standing robot's leg is about its hip height.
    hip = rest.positions["left_hip"][2] - rest.positions["left_foot"][2]
    assert 0.9 * hip < rest.leg_length_m < 1.15 * hip
