"""Motions performed under MuJoCo physics (molingo_ros.sim.tracking) on the real G1: real
Bandai mocap (a wave, a bow) retargeted and tracked without a fall, with the report's tracking
errors and foot forces; a motion that topples the robot is reported as a fall."""

from __future__ import annotations

import json

import numpy as np
import pytest

from molingo_ros.motion.sources import resolve_motion
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.retarget import retarget
from molingo_ros.sim.tracking import TrackingConfig, track_motion

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


@pytest.mark.parametrize(
    "clip",
    [
        "dataset-2_wave-right-hand_normal_001",
        "dataset-2_raise-up-both-hands_normal_001",
        "dataset-1_bow_normal_001",
    ],
)
def test_a_real_standing_skill_is_performed_without_a_fall(g1, clip):
    result = retarget(resolve_motion(clip), g1)
    frames = result.qpos[:150]
    report = track_motion(g1, frames, result.fps, video_fps=10.0)
    summary = report.summary()
    assert summary["upright"], summary
    assert summary["joint_rms_rad"]["upper"] < 0.1 and summary["joint_rms_rad"]["legs"] < 0.15
    assert set(summary["foot_force_n"]) == {"left", "right"}
    assert (
        summary["foot_force_n"]["left"]["mean"] > 50
        and summary["foot_force_n"]["right"]["mean"] > 50
    )
    assert report.duration_s == pytest.approx((len(frames) - 1) / result.fps + 1.0, abs=0.01)
    assert len(report.qpos) == pytest.approx(report.duration_s * 10.0, abs=2)
    json.dumps(summary)  # JSON-ready


def test_a_motion_that_topples_the_robot_is_a_fall(g1):
    """The reference pitches the whole robot 70 degrees forward about its feet in 0.3 s: no
    controller can follow it; the report says when it fell."""
    start = g1.neutral()
    tipped = start.copy()
    tipped[3:7] = [0.0, np.sin(0.6), 0.0, np.cos(0.6)]
    frames = np.stack([start, tipped, tipped])
    report = track_motion(g1, frames, 1.0 / 0.3, TrackingConfig(settle_s=2.0))
    assert not report.upright and report.fell_at_s is not None
    assert 0.0 < report.fell_at_s < 2.6
