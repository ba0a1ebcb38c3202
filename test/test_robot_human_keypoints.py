"""Tests of molingo_ros.robot.human_keypoints on real mocap: a Bandai Namco walk (BVH, with
toes) and a DeepMimic walk (no toes), mapped with the G1's retarget config."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.deepmimic import motions_dir
from molingo_ros.robot.human_keypoints import (
    foot_pitch,
    horizontal_speed,
    human_keypoints,
    pelvis_heading,
)
from molingo_ros.robot.retarget_config import retarget_config_for
from molingo_ros.robot.target_config import REQUIRED_HUMAN_KEYPOINTS, TargetError


@pytest.fixture(scope="module")
def walk(bandai_clip):
    return load_motion(bandai_clip("dataset-2_walk_normal_001"))


@pytest.fixture(scope="module")
def mapping():
    return dict(retarget_config_for("g1").human_joints["bandai"])


def test_tracks_are_the_mapped_joints(walk, mapping):
    h = human_keypoints(walk, mapping)
    assert set(h) == set(REQUIRED_HUMAN_KEYPOINTS) | {"left_toe", "right_toe"}
    for key, joint in mapping.items():
        j = walk.joint_names.index(joint)
        np.testing.assert_array_equal(h[key], walk.positions_m[:, j])
        assert h[key].dtype == np.float64 and h[key].shape == (walk.num_frames, 3)
    # Without toes in the mapping (DeepMimic), only the required keypoints.
    deepmimic = load_motion(motions_dir() / "humanoid3d_walk.txt")
    dm = human_keypoints(deepmimic, retarget_config_for("g1").human_joints["deepmimic"])
    assert set(dm) == set(REQUIRED_HUMAN_KEYPOINTS)


def test_errors_name_what_is_wrong(walk, mapping):
    with pytest.raises(TargetError, match=r"lacks keypoints \['head'\]"):
        human_keypoints(walk, {k: v for k, v in mapping.items() if k != "head"})
    with pytest.raises(TargetError, match="maps to human joint 'Skull', which motion .* lacks"):
        human_keypoints(walk, {**mapping, "head": "Skull"})
    bad = replace(walk.frames(0, 10), positions_m=walk.positions_m[:10].copy())
    bad.positions_m[4, walk.joint_names.index(mapping["left_knee"])] = np.inf
    with pytest.raises(TargetError, match=rf"'{mapping['left_knee']}' .* frame 4"):
        human_keypoints(bad, mapping)


def test_horizontal_speed_is_causal():
    track = np.zeros((5, 3))
    track[:, 0] = [0.0, 0.1, 0.3, 0.3, 0.3]
    track[:, 2] = [0.0, 5.0, 0.0, 5.0, 0.0]  # vertical motion does not count
    np.testing.assert_allclose(horizontal_speed(track, 10.0), [1.0, 1.0, 2.0, 0.0, 0.0])
    np.testing.assert_array_equal(horizontal_speed(track[:1], 10.0), [0.0])
    # A frame's speed does not depend on later frames.
    np.testing.assert_array_equal(
        horizontal_speed(track[:3], 10.0), horizontal_speed(track, 10.0)[:3]
    )


def test_walker_faces_where_it_goes(walk, mapping):
    h = human_keypoints(walk, mapping)
    heading = pelvis_heading(h)
    travel = h["pelvis"][-1, :2] - h["pelvis"][0, :2]
    direction = np.arctan2(travel[1], travel[0])
    assert np.linalg.norm(travel) > 1.0
    assert abs(np.angle(np.exp(1j * (np.median(heading) - direction)))) < 0.3


def test_foot_pitch():
    heading = np.array([0.0, np.pi / 2, 0.0])
    ankle = np.zeros((3, 3))
    toe = np.array([[0.1, 0.0, -0.1], [0.0, 0.1, 0.0], [-0.01, 0.0, -0.2]])
    # 45 deg toe down facing +x; flat facing +y; past vertical (heel high) stays continuous.
    np.testing.assert_allclose(foot_pitch(ankle, toe, heading)[:2], [np.pi / 4, 0.0])
    assert np.pi / 2 < foot_pitch(ankle, toe, heading)[2] < np.pi


def test_real_feet_are_nearly_flat_when_standing(walk, mapping):
    h = human_keypoints(walk, mapping)
    heading = pelvis_heading(h)
    pitch = foot_pitch(h["left_foot"], h["left_toe"], heading)
    # The Bandai ankle sits above the toe: the ankle -> toe line points down, not steeply.
    assert 0.0 < np.median(pitch) < 1.0
