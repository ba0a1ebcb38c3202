"""The fault suite (molingo_ros.ros.faults), short: each scenario runs through the
suite's own functions against real molingo_node processes (own ROS domains, localhost
discovery, Fast DDS) and the reliability criteria are asserted.

The node tests (marked slow) fail on the code before the reliability fixes: goals of a burst go
unanswered, a duplicate node drives the robot too, a SIGKILLed node's bag cannot be opened,
SIGINT leaves "streaming" as the last status and a moving last joint state, a held frame
freezes the rest of its chunk, and malformed stamps are accepted. The checks' own tests (pure
functions, fast) come first.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from molingo_ros.ros.faults import analysis, checks, report
from molingo_ros.ros.faults.harness import Bounds, Harness, criterion, run_scenario
from molingo_ros.ros.faults.suite import SCENARIOS

FPS = 30.0


def _limits(n: int = 2) -> checks.Limits:
    return checks.Limits(np.full(n, -1.0), np.full(n, 1.0), np.full(n, 3.0))


# -- the checks (no ROS) ----------------------------------------------------------------------


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
    log = (
        "[WARN] validation held 30 frames of command x: ...\nvalidation held 2 frames of command y"
    )
    assert analysis.held_frames_in_log(log) == {
        "chunks": 2,
        "frames": 32,
        "largest": 30,
        "longest_hold": 0,
    }
    log = (
        "validation replaced 5 frames of command a (2 held, 3 repaired; longest hold 2): x\n"
        "validation replaced 1 frames of command b (0 held, 1 repaired; longest hold 0): y"
    )
    assert analysis.held_frames_in_log(log) == {
        "chunks": 2,
        "frames": 6,
        "largest": 5,
        "longest_hold": 2,
    }


def test_report_lists_the_failed_reliability_criteria(tmp_path):
    results = [
        {
            "name": "a",
            "wall_s": 1.0,
            "figures": {"n": np.int64(3), "x": float("nan")},
            "criteria": [
                criterion("a.ok", "fine", True),
                criterion("a.bad", "bad", False, 2, True),
            ],
        },
        {"name": "b", "wall_s": 1.0, "figures": {}, "criteria": [criterion("b.na", "n/a", None)]},
    ]
    js, md = report.write(tmp_path, {"node_code": "x", "mode": "quick"}, results)
    body = json.loads(js.read_text())
    assert body["summary"]["required_failed"] == ["a.bad"]
    assert body["summary"]["all_passed"] is False and body["scenarios"][0]["figures"]["n"] == 3
    assert "| FAIL | `a.bad` |" in md.read_text() and "| n/a | `b.na` |" in md.read_text()


# -- the scenarios against molingo_node ---------------------------------------------------------


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    h = Harness(tmp_path_factory.mktemp("faults"), Bounds.quick())
    yield h
    h.close()


def _check(result: dict, ids: tuple[str, ...] | None = None) -> None:
    """Every criterion (of ``ids``) must not have failed; the message carries the figures."""
    assert result["error"] is None, result["error"]
    failed = [
        c for c in result["criteria"] if c["passed"] is False and (ids is None or c["id"] in ids)
    ]
    figures = json.dumps(report._plain(result["figures"]), default=str)[:3000]
    assert not failed, (
        "\n".join(f"{c['id']}: {c['text']} -- measured {c['value']}" for c in failed)
        + f"\nfigures: {figures}"
    )


def _run(h: Harness, name: str) -> dict:
    return run_scenario(name, SCENARIOS[name], h)


@pytest.mark.slow
def test_fuzzed_string_commands_are_answered_and_the_node_keeps_serving(harness):
    _check(_run(harness, "fuzz"))


@pytest.mark.slow
def test_malformed_motion_commands_and_stamps_are_refused(harness):
    _check(_run(harness, "malformed"))


@pytest.mark.slow
def test_every_goal_of_a_burst_of_50_is_answered(harness):
    _check(_run(harness, "bursts"))


@pytest.mark.slow
def test_soak_has_no_long_freeze_and_no_point_outside_the_limits(harness):
    result = _run(harness, "soak")
    assert result["figures"]["motion"]["planned_frames"] > 300  # it did stream
    _check(result)


@pytest.fixture(scope="module")
def signals(harness):
    return _run(harness, "signals")


@pytest.mark.slow
def test_a_sigkilled_recording_opens_and_loses_at_most_half_a_second(signals):
    _check(signals, ("sigkill.bag_readable",))


@pytest.mark.slow
def test_sigint_mid_motion_ends_with_a_hold_a_final_status_and_zero_velocity(signals):
    _check(signals, ("sigint.final_status", "sigint.zero_velocity", "sigint.hold", "sigint.exit_0"))


@pytest.mark.slow
def test_a_duplicate_node_is_refused(harness):
    _check(_run(harness, "duplicates"))


@pytest.mark.slow
def test_corrupt_model_and_robot_files_leave_the_node_up_and_unconfigured(harness):
    _check(_run(harness, "corrupt"))
