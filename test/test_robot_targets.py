"""Tests of molingo_ros.robot.targets: robot keypoint targets from real mocap (a Bandai Namco
walk with toes, a DeepMimic walk without) scaled onto the real Unitree G1."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.deepmimic import motions_dir
from molingo_ros.robot.human_calibration import calibrate
from molingo_ros.robot.human_keypoints import human_keypoints, pelvis_heading
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.retarget_config import retarget_config_for
from molingo_ros.robot.robot_rest import RobotRest
from molingo_ros.robot.target_config import (
    ORIENTED_KEYPOINTS,
    TARGET_KEYPOINTS,
    TargetConfig,
    TargetError,
)
from molingo_ros.robot.targets import Targets, make_targets


@pytest.fixture(scope="module")
def rest():
    return RobotRest.of(load_robot("g1"))


@pytest.fixture(scope="module")
def walk(bandai_clip, rest):
    """(human keypoints, fps, calibration) of a Bandai walk."""
    motion = load_motion(bandai_clip("dataset-2_walk_normal_001"))
    h = human_keypoints(motion, retarget_config_for("g1").human_joints["bandai"])
    return h, motion.fps, calibrate(h, motion.fps, rest)


@pytest.fixture(scope="module")
def walk_targets(walk, rest) -> Targets:
    h, fps, calib = walk
    return make_targets(h, fps, rest, calib)


def _positions(targets: Targets) -> dict[str, np.ndarray]:
    return {k: targets.positions[:, i] for i, k in enumerate(targets.keypoints)}


def test_layout(walk, walk_targets):
    h, _, calib = walk
    frames = len(h["pelvis"])
    assert walk_targets.frames == frames
    assert walk_targets.keypoints == TARGET_KEYPOINTS
    assert walk_targets.oriented == ORIENTED_KEYPOINTS
    assert walk_targets.positions.shape == (frames, len(TARGET_KEYPOINTS), 3)
    assert walk_targets.rotations.shape == (frames, len(ORIENTED_KEYPOINTS), 3, 3)
    assert walk_targets.contacts.shape == (frames, 2) and walk_targets.contacts.dtype == bool
    assert walk_targets.calibration is calib
    rot = walk_targets.rotations.reshape(-1, 3, 3)
    np.testing.assert_allclose(
        rot @ rot.transpose(0, 2, 1), np.broadcast_to(np.eye(3), rot.shape), atol=1e-12
    )
    np.testing.assert_allclose(np.linalg.det(rot), 1.0, atol=1e-12)


def test_targets_use_robot_segment_lengths(walk_targets, rest):
    pos = _positions(walk_targets)
    for side in ("left", "right"):
        thigh = np.linalg.norm(pos[f"{side}_knee"] - pos[f"{side}_hip"], axis=1)
        forearm = np.linalg.norm(pos[f"{side}_hand"] - pos[f"{side}_elbow"], axis=1)
        np.testing.assert_allclose(thigh, rest.lengths[f"{side}_knee"], atol=1e-9)
        np.testing.assert_allclose(forearm, rest.lengths[f"{side}_hand"], atol=1e-9)
        # Rigid pelvis -> hip and torso -> shoulder offsets: the robot's own.
        for key, parent in ((f"{side}_hip", "pelvis"), (f"{side}_shoulder", "torso")):
            got = np.linalg.norm(pos[key] - pos[parent], axis=1)
            want = np.linalg.norm(rest.positions[key] - rest.positions[parent])
            np.testing.assert_allclose(got, want, atol=1e-9)


def test_root_follows_the_scaled_pelvis(walk, walk_targets):
    h, _, calib = walk
    pelvis = _positions(walk_targets)["pelvis"]
    np.testing.assert_allclose(pelvis[:, :2], calib.scale * h["pelvis"][:, :2], atol=1e-12)


def test_ground_from_the_lower_foot(walk, walk_targets, rest):
    h, _, calib = walk
    pos = _positions(walk_targets)
    dz = h["left_foot"][:, 2] - h["right_foot"][:, 2]
    for side, lower in (("left", dz < -0.1), ("right", dz > 0.1)):
        assert lower.sum() > 5
        clearance = np.maximum(h[f"{side}_foot"][lower, 2] - calib.stance_ankle_height_m, 0.0)
        want = rest.positions[f"{side}_foot"][2] + calib.scale * clearance
        np.testing.assert_allclose(pos[f"{side}_foot"][lower, 2], want, atol=1e-4)


def test_foot_yaw_stays_near_the_heading(walk, walk_targets, rest):
    h, _, _ = walk
    heading = pelvis_heading(h)
    limit = TargetConfig().max_foot_yaw_rad
    for m, side in ((2, "left"), (3, "right")):
        foot = walk_targets.rotations[:, m] @ rest.rotations[f"{side}_foot"].T
        yaw = np.arctan2(foot[:, 1, 0], foot[:, 0, 0])
        assert np.abs(np.angle(np.exp(1j * (yaw - heading)))).max() <= limit + 1e-9


def test_walking_feet_touch_the_floor_in_turn(walk_targets):
    contacts = walk_targets.contacts
    assert contacts.any(axis=1).mean() > 0.8  # a walk always has a foot down ...
    assert 0.2 < contacts[:, 0].mean() < 0.9  # ... but each foot also swings
    assert 0.2 < contacts[:, 1].mean() < 0.9


def test_chunks_with_the_previous_frame_match_the_whole(walk, walk_targets, rest):
    h, fps, calib = walk
    half = len(h["pelvis"]) // 2
    second = {k: v[half:] for k, v in h.items()}
    previous = {k: v[half - 1] for k, v in h.items()}
    chunk = make_targets(second, fps, rest, calib, previous=previous)
    np.testing.assert_allclose(chunk.positions, walk_targets.positions[half:], atol=1e-12)
    np.testing.assert_allclose(chunk.rotations, walk_targets.rotations[half:], atol=1e-12)
    np.testing.assert_array_equal(chunk.contacts, walk_targets.contacts[half:])


def test_rigs_without_toes_get_flat_feet(rest):
    motion = load_motion(motions_dir() / "humanoid3d_walk.txt")
    h = human_keypoints(motion, retarget_config_for("g1").human_joints["deepmimic"])
    targets = make_targets(h, motion.fps, rest, calibrate(h, motion.fps, rest))
    heading = pelvis_heading(h)
    for m, side in ((2, "left"), (3, "right")):
        foot = targets.rotations[:, m] @ rest.rotations[f"{side}_foot"].T
        np.testing.assert_allclose(foot[:, 2, 2], 1.0, atol=1e-12)  # no pitch or roll
        np.testing.assert_allclose(np.arctan2(foot[:, 1, 0], foot[:, 0, 0]), heading, atol=1e-12)


def test_degenerate_pose_names_the_frame(walk, rest):
    h, fps, calib = walk
    bad = {k: v[:10].copy() for k, v in h.items()}
    bad["left_hip"][3] = bad["right_hip"][3]
    with pytest.raises(TargetError, match="frame 3: hip left-right line has zero length"):
        make_targets(bad, fps, rest, calib)
    bad = {k: v[:10].copy() for k, v in h.items()}
    bad["left_elbow"][6] = bad["left_hand"][6]
    with pytest.raises(TargetError, match="frame 6: human segment left_elbow->left_hand"):
        make_targets(bad, fps, rest, calib)
