"""Tests of molingo_ros.robot.human_calibration on real mocap (a Bandai Namco walk with toes,
a DeepMimic walk without) and the real G1's leg length."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.deepmimic import motions_dir
from molingo_ros.robot.human_calibration import (
    HumanCalibration,
    calibrate,
    estimate_flat_foot_pitch,
    estimate_stance_ankle_height,
    human_leg_length,
)
from molingo_ros.robot.human_keypoints import human_keypoints
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.retarget_config import retarget_config_for
from molingo_ros.robot.robot_rest import RobotRest
from molingo_ros.robot.target_config import TargetConfig, TargetError


@pytest.fixture(scope="module")
def rest():
    return RobotRest.of(load_robot("g1"))


@pytest.fixture(scope="module")
def walk(bandai_clip):
    motion = load_motion(bandai_clip("dataset-2_walk_normal_001"))
    h = human_keypoints(motion, retarget_config_for("g1").human_joints["bandai"])
    return h, motion.fps


@pytest.fixture(scope="module")
def deepmimic_walk():
    motion = load_motion(motions_dir() / "humanoid3d_walk.txt")
    h = human_keypoints(motion, retarget_config_for("g1").human_joints["deepmimic"])
    return h, motion.fps


def test_walk_calibration(walk, rest):
    h, fps = walk
    calib = calibrate(h, fps, rest)
    assert isinstance(calib, HumanCalibration)
    # Bandai's ankle joint is ~12 cm above the floor when standing (docs/DATA.md).
    assert 0.09 < calib.stance_ankle_height_m < 0.14
    assert 0.6 < calib.scale < 0.95  # G1 legs are shorter than an adult's
    assert calib.scale == pytest.approx(rest.leg_length_m / human_leg_length(h))
    assert 0.0 < calib.flat_foot_pitch_rad < 1.0  # the ankle sits above the toe
    assert calib == calibrate(h, fps, rest, TargetConfig())  # None means the defaults


def test_human_leg_is_an_adult_leg(walk, deepmimic_walk):
    for h, _ in (walk, deepmimic_walk):
        assert 0.7 < human_leg_length(h) < 1.0  # hip -> knee -> ankle, metres


def test_stance_height_is_the_lower_still_ankle(walk):
    h, fps = walk
    height = estimate_stance_ankle_height(h, fps)
    lowest = min(h["left_foot"][:, 2].min(), h["right_foot"][:, 2].min())
    assert lowest <= height < lowest + 0.03
    # If nothing ever stands still (threshold 0), the lowest ankle height is used.
    never = TargetConfig(stance_speed_m_s=0.0)
    assert estimate_stance_ankle_height(h, fps, never) == pytest.approx(lowest)


def test_no_toes_no_flat_foot_pitch(deepmimic_walk, rest):
    h, fps = deepmimic_walk
    assert estimate_flat_foot_pitch(h, fps) == 0.0
    assert calibrate(h, fps, rest).flat_foot_pitch_rad == 0.0


def test_a_collapsed_leg_is_refused(walk, rest):
    h, fps = walk
    flat = {k: np.zeros_like(v) for k, v in h.items()}
    with pytest.raises(TargetError, match="human leg length is 0.0000 m"):
        calibrate(flat, fps, rest)
