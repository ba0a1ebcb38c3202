"""Quality measures of retargeted motion, and the issue-3 acceptance run: every Bandai test
take and every DeepMimic clip retargeted onto the G1 and validated frame by frame."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion.bandai_files import find_clips
from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.sources import clip_loaders
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.report import jitter_sign_flips, retarget_clips


def test_sign_flips_count_only_fast_reversals():
    fps = 30.0
    t = np.arange(90) / fps
    smooth = np.sin(2 * np.pi * 1.0 * t)[:, None]  # 1 Hz, peak 6.3 rad/s: reverses slowly
    assert jitter_sign_flips(smooth, fps) == 0
    zigzag = smooth.copy()
    zigzag[::2] += 0.3  # 0.3 rad every other frame: 9 rad/s back and forth
    assert jitter_sign_flips(zigzag, fps) > 80
    slow_zigzag = smooth + 0.005 * (np.arange(90) % 2)[:, None]  # 0.15 rad/s: below 0.5
    assert jitter_sign_flips(slow_zigzag, fps) <= 4


@pytest.mark.slow
def test_every_bandai_test_take_and_deepmimic_clip_on_g1():
    robot = load_robot("g1")
    loaders = clip_loaders("all", None)
    suite = retarget_clips([f for _, f in loaders], robot, total=len(loaders))
    assert not suite.failures
    rows = [c.to_dict() for c in suite.clips]
    assert len(rows) == len(loaders) > 300
    assert sum(r["joint_limit_violations"] for r in rows) == 0
    assert sum(r["velocity_limit_violations"] for r in rows) == 0
    bandai = [r for r in rows if r["clip"].startswith("dataset-")]
    frames = sum(r["frames"] for r in bandai)
    assert sum(r["self_collision_frames"] for r in bandai) < 0.01 * frames
    for kind in ("_walk_", "_wave-"):
        errs = [r["mean_keypoint_error_m"] for r in bandai if kind in r["clip"]]
        assert errs and np.mean(errs) <= 0.030, kind
    summary = suite.summary()
    assert summary["max_foot_penetration_m"] < 0.005
    assert summary["stance_fraction_within_1cm"] > 0.9


@pytest.mark.slow
def test_every_bandai_bow_on_g1(data_root):
    """The test split has no bows (dataset 1 is sparse): retarget every bow take there is."""
    bows = sorted(c.path for c in find_clips(data_root)[0] if c.path and c.content == "bow")
    assert len(bows) >= 10
    suite = retarget_clips([lambda p=p: load_motion(p) for p in bows], load_robot("g1"))
    rows = [c.to_dict() for c in suite.clips]
    assert len(rows) == len(bows)
    assert all(r["joint_limit_violations"] == r["velocity_limit_violations"] == 0 for r in rows)
    assert np.mean([r["mean_keypoint_error_m"] for r in rows]) <= 0.030
