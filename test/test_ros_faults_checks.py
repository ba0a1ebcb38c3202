"""The fault suite's pure computations (molingo_ros.ros.faults.checks, no ROS): the commanded
timeline, freezes, pauses, limit and speed violations, the RSS slope and statistics, and the
jump between two sources."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.ros.faults import checks

FPS = 30.0


def _limits(n: int = 2) -> checks.Limits:
    return checks.Limits(np.full(n, -1.0), np.full(n, 1.0), np.full(n, 3.0))


def test_timeline_replaces_the_future_and_a_held_frame_is_one_frozen_frame():
    dt = 1 / FPS
    q = np.linspace(0, 0.5, 10)[:, None].repeat(2, 1)
    first = (100.0, np.arange(10) * dt, q)
    q2 = q.copy()
    q2[5:] += 0.01
    q2[6] = q2[5]  # one rejected frame held once
    second = (100.0 + 5 * dt, np.arange(5) * dt, q2[5:])  # replaces frames 5.. of the first
    times, plan = checks.timeline([first, second])
    assert len(times) == 10 and np.allclose(np.diff(times), dt, atol=1e-3)
    assert np.array_equal(plan[5], q2[5]) and np.array_equal(plan[4], q[4])
    freezes = checks.find_freezes(times, plan, [True] * 10, 1.5 * dt)
    assert [(f.frames, round(f.seconds, 3)) for f in freezes] == [(1, round(dt, 3))]


def test_freezes_count_only_while_streaming_and_end_at_pauses():
    dt = 1 / FPS
    t = np.concatenate([np.arange(6) * dt, 1.0 + np.arange(4) * dt])
    pos = np.zeros((10, 2))  # everything identical
    streaming = [True] * 3 + [False] * 3 + [True] * 4
    freezes = checks.find_freezes(t, pos, streaming, 1.5 * dt)
    assert [f.frames for f in freezes] == [2, 3]
    assert checks.freeze_summary(freezes)["longest_frames"] == 3
    assert checks.gaps(t, [True] * 10, 1.5 * dt) == [
        (pytest.approx(5 * dt), pytest.approx(1 - 5 * dt))
    ]
    states = checks.state_at(np.array([0.5, 1.5, 2.5]), [(2.0, "done"), (1.0, "streaming")])
    assert states == ["", "streaming", "done"]


def test_limit_and_speed_violations_are_counted_per_point():
    lim = _limits()
    pos = np.array([[0.0, 0.0], [1.1, 0.0], [0.0, np.nan]])
    vel = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 3.5]])
    v = checks.limit_violations(pos, vel, lim)
    assert (v["points"], v["position"], v["velocity"], v["non_finite"]) == (2, 1, 1, 1)
    t = np.arange(3) / FPS
    plan = np.array([[0.0, 0.0], [0.05, 0.0], [0.2, 0.0]])  # 1.5 then 4.5 rad/s
    s = checks.speed_violations(t, plan, lim, FPS)
    assert s["steps"] == 1 and s["worst_ratio"] == pytest.approx(1.5)


def test_rss_slope_is_a_least_squares_fit_after_warm_up():
    samples = [(t, 700.0 + (50.0 if t < 60 else 0.02 * t)) for t in range(0, 600, 5)]
    assert checks.slope_per_min(samples, 60) == pytest.approx(1.2)
    assert checks.slope_per_min(samples[:2]) is None
    assert checks.stats([1.0, 2.0, 3.0])["median"] == 2.0


def test_two_sources_and_the_jump_between_them():
    series = [
        (0.000, "a", np.zeros(2)),
        (0.004, "b", np.array([0.86, 0.0])),
        (0.5, "a", np.ones(2)),
    ]
    jump, pairs = checks.max_cross_jump(series, 0.010)
    assert pairs == 1 and jump == pytest.approx(0.86)
