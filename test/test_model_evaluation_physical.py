"""Physical metrics of a set of motions (molingo_ros.model.evaluation.physical) on real Bandai
takes: low skating and no penetration for real motion, the cuts of the seam ratio (windows and
segment starts), turning walks turn."""

from __future__ import annotations

import math

import numpy as np
import pytest

from molingo_ros.model.evaluation import metrics
from molingo_ros.model.evaluation.physical import physical, turn_rate
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.features import features_to_positions


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(progress=False)


def _clip(dataset, name: str) -> np.ndarray:
    return np.asarray(dataset.clip_features(dataset.find(name)))


def test_real_motion_skates_little_and_stays_above_the_floor(dataset):
    walk = _clip(dataset, "dataset-2_walk_normal_001")
    stand = _clip(dataset, "dataset-2_raise-up-both-hands_normal_001")
    row = physical([walk, stand, walk[:5]], None, None)  # the 5-frame one is left out
    assert set(row) == {"foot_skate_m_s", "penetration_m", "jerk_m_s3", "seam_jerk_ratio"}
    assert row["foot_skate_m_s"] < 0.15 and row["penetration_m"] == 0.0
    assert 0.0 < row["jerk_m_s3"] < 1000.0
    assert math.isnan(row["seam_jerk_ratio"])  # no windows, no seams


def test_the_seam_ratio_counts_window_cuts_and_segment_starts(dataset):
    walk = _clip(dataset, "dataset-2_walk_normal_001")[:120]
    pos, _ = features_to_positions(walk, 21)
    windows = physical([walk], 32, None)["seam_jerk_ratio"]
    assert windows == pytest.approx(metrics.seam_jerk_ratio(pos, 30.0, [32, 64, 96]))
    both = physical([walk], 32, [[50]])["seam_jerk_ratio"]
    assert both == pytest.approx(metrics.seam_jerk_ratio(pos, 30.0, [32, 50, 64, 96]))
    segments_only = physical([walk], None, [[50]])["seam_jerk_ratio"]
    assert segments_only == pytest.approx(metrics.seam_jerk_ratio(pos, 30.0, [50]))


def test_turn_rate_of_a_straight_and_a_turning_walk(dataset):
    straight = turn_rate(_clip(dataset, "dataset-2_walk_normal_001"))
    left = [
        turn_rate(dataset.clip_features(i))
        for i in dataset.indices("test", mirrored=False)
        if dataset.records[i].content == "walk-turn-left"
    ]
    assert abs(straight) < 5.0 and np.mean(left) > 10.0
