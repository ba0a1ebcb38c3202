"""Tests of molingo_ros.robot.validation_report: the report's verdicts and its JSON form, on
reports built by hand and one from validating the real G1."""

from __future__ import annotations

import json

import numpy as np
import pytest

from molingo_ros.robot.models import load_robot
from molingo_ros.robot.validation_report import ValidationReport
from molingo_ros.robot.validator import validate

FPS = 30.0
T = 30


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def _report(frame_ok: np.ndarray, **extra) -> ValidationReport:
    fields = {
        "frames": len(frame_ok),
        "fps": FPS,
        "joint_limit_violations": 0,
        "velocity_limit_violations": 0,
        "acceleration_limit_violations": 0,
        "self_collision_frames": 0,
        "mean_keypoint_error_m": None,
        "max_keypoint_error_m": None,
        "max_foot_penetration_m": 0.0,
        "foot_skate_m_per_s": 0.0,
    }
    return ValidationReport(frame_ok=frame_ok, **{**fields, **extra})


def test_rejected_frames_and_ok():
    rep = _report(np.array([True, False, True, False]))
    assert rep.rejected_frames == [1, 3]
    assert all(type(i) is int for i in rep.rejected_frames)
    assert not rep.ok
    assert _report(np.ones(3, dtype=bool)).ok
    # A list of bools works as frame_ok too.
    assert _report([True, False]).rejected_frames == [1]


def test_to_dict_is_plain_json():
    rep = _report(
        np.array([True, False]),
        collisions={np.int64(1): [("torso_linkGeom_1", "left_elbow_linkGeom_1")]},
        joint_limit_violations_by_joint={"left_knee_joint": np.int64(2)},
        keypoint_errors_m={"pelvis": {"mean": np.float64(0.01), "max": np.float32(0.02)}},
        mean_keypoint_error_m=np.float64(0.01),
    )
    d = rep.to_dict()
    assert json.loads(json.dumps(d)) == d  # only plain types survive the round trip equal
    assert d["collisions"] == {"1": [["torso_linkGeom_1", "left_elbow_linkGeom_1"]]}
    assert d["joint_limit_violations_by_joint"] == {"left_knee_joint": 2}
    assert type(d["joint_limit_violations_by_joint"]["left_knee_joint"]) is int
    assert type(d["keypoint_errors_m"]["pelvis"]["max"]) is float
    assert d["ok"] is False and d["rejected_frames"] == [1]
    assert d["max_keypoint_error_m"] is None


def test_to_json_round_trip(g1):
    q = np.tile(g1.neutral(), (T, 1))
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
    assert json.loads(rep.to_json(indent=2)) == d  # kwargs reach json.dumps
