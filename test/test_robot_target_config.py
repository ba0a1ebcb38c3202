"""Tests of molingo_ros.robot.target_config: the keypoint sets and chain the target builder
works on, checked against the real robots' keypoints (G1, H1, T1 configs)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from molingo_ros.robot.registry import get_spec
from molingo_ros.robot.target_config import (
    KEYPOINT_CHAIN,
    OPTIONAL_HUMAN_KEYPOINTS,
    ORIENTED_KEYPOINTS,
    REQUIRED_HUMAN_KEYPOINTS,
    TARGET_KEYPOINTS,
    TargetConfig,
    TargetError,
)


def test_chain_parents_come_first():
    assert TARGET_KEYPOINTS[0] == "pelvis"
    assert set(KEYPOINT_CHAIN) == set(TARGET_KEYPOINTS) - {"pelvis"}
    for key, (parent, kind) in KEYPOINT_CHAIN.items():
        assert TARGET_KEYPOINTS.index(parent) < TARGET_KEYPOINTS.index(key)
        assert kind in ("pelvis", "chest", "limb")
    # Rigid segments hang from the pelvis (hips, torso) or the torso (shoulders, head).
    assert {k for k, (_, kind) in KEYPOINT_CHAIN.items() if kind == "chest"} == {
        "left_shoulder",
        "right_shoulder",
        "head",
    }
    limbs = {k for k, (_, kind) in KEYPOINT_CHAIN.items() if kind == "limb"}
    assert limbs == {
        f"{s}_{p}" for s in ("left", "right") for p in ("knee", "foot", "elbow", "hand")
    }


def test_keypoint_sets():
    assert set(ORIENTED_KEYPOINTS) <= set(TARGET_KEYPOINTS)
    assert REQUIRED_HUMAN_KEYPOINTS == TARGET_KEYPOINTS
    assert not set(OPTIONAL_HUMAN_KEYPOINTS) & set(REQUIRED_HUMAN_KEYPOINTS)
    assert len(set(TARGET_KEYPOINTS)) == len(TARGET_KEYPOINTS) == 15


@pytest.mark.parametrize("name", ["g1", "h1", "t1"])
def test_every_robot_has_the_target_keypoints(name):
    assert set(TARGET_KEYPOINTS) <= set(get_spec(name).keypoints)


def test_config_is_frozen_and_error_is_a_value_error():
    config = TargetConfig()
    with pytest.raises(FrozenInstanceError):
        config.contact_height_m = 1.0  # type: ignore[misc]
    assert 0 < config.contact_height_m < config.contact_speed_m_s
    assert issubclass(TargetError, ValueError)
