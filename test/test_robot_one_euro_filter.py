"""Tests of molingo_ros.robot.one_euro_filter: its adaptive smoothing, on the shipped G1
filter settings and on a real joint-angle track (the G1 knee retargeted from a Bandai walk)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.robot.avoid import AvoidConfig
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.one_euro_filter import FilterConfig, OneEuroFilter
from molingo_ros.robot.retarget import retarget
from molingo_ros.robot.retarget_config import retarget_config_for

FPS = 30.0


def _run(config: FilterConfig, signal: np.ndarray) -> np.ndarray:
    f = OneEuroFilter(config, FPS)
    return np.array([f(x) for x in signal])


def test_first_sample_passes_and_outputs_are_copies():
    f = OneEuroFilter(FilterConfig(), FPS)
    x = np.array([0.3, -1.0])
    y = f(x)
    np.testing.assert_array_equal(y, x)
    y[0] = 99.0  # the filter's state is not the caller's array
    x[1] = 99.0
    np.testing.assert_array_equal(f(np.array([0.3, -1.0])), [0.3, -1.0])


def test_still_signal_stays_and_one_step_matches_the_formula():
    config = FilterConfig(min_cutoff_hz=4.0, beta=0.0, derivative_cutoff_hz=2.0)
    out = _run(config, np.full((10, 1), 0.7))
    np.testing.assert_array_equal(out, 0.7)
    # With beta = 0 the cutoff is min_cutoff: a first-order low-pass.
    f = OneEuroFilter(config, FPS)
    f(np.zeros(1))
    tau = 1.0 / (2.0 * math.pi * 4.0)
    alpha = 1.0 / (1.0 + tau * FPS)
    assert f(np.ones(1))[0] == pytest.approx(alpha)


def test_fast_motion_lags_less_than_slow_smoothing():
    ramp = (np.arange(30) * 0.1)[:, None]  # 3 rad/s
    slow = _run(FilterConfig(beta=0.0), ramp)
    adaptive = _run(FilterConfig(beta=4.0), ramp)
    lag_slow = ramp[-1, 0] - slow[-1, 0]
    lag_adaptive = ramp[-1, 0] - adaptive[-1, 0]
    assert 0.0 < lag_adaptive < 0.5 * lag_slow


def test_components_are_filtered_independently():
    signal = np.zeros((20, 2))
    signal[10:, 1] = 1.0  # a step on the second component only
    out = _run(FilterConfig(), signal)
    np.testing.assert_array_equal(out[:, 0], 0.0)
    assert 0.0 < out[10, 1] < 1.0 and out[-1, 1] > 0.95


def test_smooths_a_real_knee_track(bandai_clip):
    g1 = load_robot("g1")
    config = retarget_config_for(g1)
    walk = load_motion(bandai_clip("dataset-2_walk_normal_001")).frames(0, 90)
    unfiltered = replace(
        config, filter=replace(config.filter, enabled=False), avoid=AvoidConfig(enabled=False)
    )
    raw = retarget(walk, g1, unfiltered)
    knee = raw.qpos[:, g1.joint_q_indices[g1.joint_names.index("left_knee_joint")]]
    smooth = _run(config.filter, knee[:, None])[:, 0]
    jerk_raw = np.abs(np.diff(knee, n=2)).sum()
    jerk_smooth = np.abs(np.diff(smooth, n=2)).sum()
    assert jerk_smooth < jerk_raw  # less frame-to-frame jitter ...
    assert np.abs(smooth - knee).max() < 0.1  # ... without drifting off the track (rad)
