"""Post-processing of decoded frames (molingo_ros.model.postprocess): causal smoothing that
joins across windows, foot locking on real motion, the root speed cap."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.model.postprocess import FPS, limit_root_speed, lock_feet, smooth_features


def test_smoothing_is_causal_and_continues_across_windows():
    x = np.array([[0.0], [2.0], [2.0], [4.0]])
    assert smooth_features(x, 0.5).ravel().tolist() == [0.0, 1.0, 1.5, 2.75]
    assert smooth_features(x, 1.0) is x  # off
    whole = smooth_features(x, 0.5)
    first = smooth_features(x[:2], 0.5)
    second = smooth_features(x[2:], 0.5, previous=first[-1])
    assert np.array_equal(np.concatenate([first, second]), whole)


def test_lock_feet_removes_root_sliding_on_real_motion():
    from molingo_ros.model.evaluation import metrics as M
    from molingo_ros.motion.dataset import build_dataset
    from molingo_ros.motion.features import feature_slices, features_to_positions
    from molingo_ros.motion.rigs import BANDAI

    dataset = build_dataset(progress=False)
    index = dataset.find("dataset-2_raise-up-both-hands_normal_001")
    feats = np.asarray(dataset.clip_features(index), dtype=np.float64)
    feet = [BANDAI.index(j) for j in BANDAI.feet]
    sliding = feats.copy()
    forward = feature_slices(21)["root_lin_vel"].start  # root step along its heading, m/frame
    sliding[:, forward] += 0.02  # the whole body glides forward at 0.6 m/s, feet included
    skate = {
        name: M.foot_skating(features_to_positions(f, 21)[0], 30.0, feet)
        for name, f in (("real", feats), ("sliding", sliding), ("locked", lock_feet(sliding)))
    }
    assert skate["sliding"] > 0.4
    assert skate["locked"] < 0.25 * skate["sliding"]
    # real motion barely changes: its planted feet do not slide
    locked_real = features_to_positions(lock_feet(feats), 21)[0]
    assert np.abs(locked_real - features_to_positions(feats, 21)[0]).max() < 0.05


def test_limit_root_speed_caps_the_planar_speed_and_keeps_the_pose():
    from molingo_ros.motion.features import feature_slices

    rng = np.random.default_rng(0)
    feats = rng.normal(size=(40, 257)).astype(np.float32) * 0.05
    sl = feature_slices(21)["root_lin_vel"]
    capped = limit_root_speed(feats, 0.15)
    speed = np.linalg.norm(capped[:, sl], axis=1) * FPS
    assert speed.max() <= 0.15 + 1e-5
    before = np.linalg.norm(feats[:, sl], axis=1) * FPS
    slow = before <= 0.15
    assert np.allclose(capped[slow], feats[slow])  # slower frames untouched
    rest = np.ones(257, bool)
    rest[sl] = False
    assert np.array_equal(capped[:, rest], feats[:, rest])
    assert limit_root_speed(feats, None) is feats
    with pytest.raises(ValueError, match=">= 0"):
        limit_root_speed(feats, -1.0)
