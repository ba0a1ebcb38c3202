"""Figures from what a probe received (molingo_ros.ros.faults.analysis): limits, freezes and
underruns of a known stream of trajectories, joint states and statuses held by a real Probe;
first statuses, outcomes and sources; and the node's own log of held frames."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.ros.faults import analysis, checks
from molingo_ros.ros.faults.launch import new_domain
from molingo_ros.ros.faults.probe import Probe, StateRecord, StatusRecord, TrajRecord

pytestmark = pytest.mark.ros

FPS = 30.0
DT = 1 / FPS
T0 = 100.0  # s


def test_held_frames_are_counted_from_the_node_log():
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


def _status(t: float, state: str, cid: str, source: str = "node") -> StatusRecord:
    return StatusRecord(t + 0.01, source, t, state, cid, "", "")


def _stream(probe: Probe) -> None:
    """Command c1 streams two chunks of 10 frames with a 6-frame pause between them (an
    underrun: still "streaming"); frame 6 repeats frame 5 (a one-frame freeze); a point of the
    second chunk reports 3.5 rad/s (limit 3); a joint state is outside the position limits and
    two consecutive ones are identical; then c2 is queued and refused."""
    q = 0.01 * np.arange(20)[:, None].repeat(2, 1)
    q[6] = q[5]
    vel = np.zeros((20, 2))
    vel[12, 1] = 3.5
    tfs = np.arange(10) * DT
    traj = [
        TrajRecord(T0, "node", T0, tfs, q[:10], vel[:10]),
        TrajRecord(T0 + 0.6, "node", T0 + 15 * DT, tfs, q[10:], vel[10:]),
    ]
    js_pos = [np.zeros(2), np.array([0.1, 0.1]), np.array([0.1, 0.1]), np.array([1.5, 0.0])]
    js = [
        StateRecord(T0 + 0.1 * (k + 1), "node", T0 + k * DT, p, np.zeros(2))
        for k, p in enumerate(js_pos)
    ]
    status = [
        _status(T0 - 0.1, "queued", "c1"),
        _status(T0, "streaming", "c1"),
        _status(T0 + 0.2, "streaming", "c1"),
        _status(T0 + 0.4, "streaming", "c1"),  # in the pause: c1 still streams
        _status(T0 + 30 * DT, "done", "c1"),
        _status(T0 + 1.1, "queued", "c2", "other"),
        _status(T0 + 1.2, "refused", "c2", "other"),
    ]
    with probe.lock:
        probe.traj += traj
        probe.js += js
        probe.status += status


@pytest.fixture(scope="module")
def probe():
    p = Probe(new_domain(), ["a", "b"])
    p.status.append(_status(T0 - 10, "idle", ""))  # before the mark: not counted
    mark = p.mark()
    _stream(p)
    yield p, mark
    p.close()


def test_motion_quality_finds_the_freeze_the_underrun_and_the_points_outside_the_limits(probe):
    p, mark = probe
    limits = checks.Limits(np.full(2, -1.0), np.full(2, 1.0), np.full(2, 3.0))
    got = analysis.motion_quality(p, mark, limits, FPS, since_s=T0)
    assert (got["trajectory_messages"], got["holds"], got["planned_frames"]) == (2, 0, 20)
    assert got["trajectory_points"]["points"] == 1 and got["trajectory_points"]["velocity"] == 1
    assert got["joint_states"]["points"] == 1 and got["joint_states"]["position"] == 1
    assert got["joint_command"]["checked"] == 0
    assert got["plan_speed"]["steps"] == 0 and got["plan_speed"]["checked"] == 18
    assert got["points_outside_limits"] == 2
    assert got["plan_freezes"]["count"] == 1 and got["plan_freezes"]["longest_frames"] == 1
    assert got["plan_freezes"]["longest_runs"] == [(round(5 * DT, 2), 1)]
    assert got["joint_state_freezes"]["count"] == 1
    assert got["underruns"] == {"count": 1, "longest_s": round(6 * DT, 3), "total_s": 0.2}


def test_the_plan_joins_the_chunks_at_their_due_times(probe):
    p, mark = probe
    times, plan = analysis.trajectory_plan(p, mark)
    assert times[0] == pytest.approx(T0) and times[-1] == pytest.approx(T0 + 24 * DT, abs=1e-3)
    assert plan.shape == (20, 2) and plan[19, 0] == pytest.approx(0.19)


def test_first_status_times_outcomes_and_sources(probe):
    p, mark = probe
    assert analysis.first_status_times(p, mark, "queued") == {
        "c1": pytest.approx(T0 - 0.09),
        "c2": pytest.approx(T0 + 1.11),
    }
    assert analysis.outcomes(p, mark, ["c1", "c2", "c3"]) == {
        "c1": "done",
        "c2": "refused",
        "c3": "",
    }
    assert analysis.outcomes(p, None, [""]) == {"": "idle"}
    assert analysis.sources(p.since(mark, "status")) == ["node", "other"]
    assert set(analysis.FINAL_STATES).isdisjoint(analysis.LIVE_STATES)
