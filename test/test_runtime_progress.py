"""Command progress records and their bounded log: final states, chunk counting, reporting
each outcome once and forgetting only reported ones."""

from __future__ import annotations

import numpy as np

from molingo_ros.runtime.commands import CommandLimits, check_command
from molingo_ros.runtime.engine import RobotChunk
from molingo_ros.runtime.progress import FINAL_STATES, STATES, CommandProgress, ProgressLog


def _progress(cid: str, accepted_s: float = 0.0) -> CommandProgress:
    command = check_command("a person walks forward", 2.0, "queue", 0, cid, 0.0, CommandLimits())
    return CommandProgress(command, fps=30.0, accepted_s=accepted_s, frames_total=60)


def _chunk(frames: int, *, rejected=0, clamped=0, held=0, repaired=0, compute=(0.1, 0.05, 0.05)):
    return RobotChunk(
        qpos=np.zeros((frames, 9)),
        joint_velocities=np.zeros((frames, 2)),
        root_velocity=np.zeros((frames, 3)),
        joint_names=["a", "b"],
        fps=30.0,
        text="a person walks forward",
        generate_s=compute[0],
        retarget_s=compute[1],
        validate_s=compute[2],
        rejected=rejected,
        clamped=clamped,
        held=held,
        repaired=repaired,
    )


def test_states_and_the_first_final_outcome_wins():
    assert set(FINAL_STATES) < set(STATES) and STATES[0] == "queued"
    p = _progress("a")
    assert p.state == "queued" and not p.is_final and not p.finished.is_set()
    p.finish("cancelled", "replaced by b")
    assert p.is_final and p.finished.is_set()
    p.finish("done")  # too late: the command was already cancelled
    p.finish("error", "boom")
    assert (p.state, p.error) == ("cancelled", "replaced by b")


def test_chunks_add_up_and_give_latency_and_realtime_factor():
    p = _progress("a", accepted_s=10.0)
    assert p.latency_s == 0.0 and p.realtime_factor == 0.0 and not p.fully_generated
    p.add_chunk(_chunk(32, rejected=3, clamped=2, held=1, repaired=2))
    p.first_chunk_s = 10.25
    p.add_chunk(_chunk(28, rejected=1, held=1, compute=(0.3, 0.1, 0.1)))
    assert p.frames_streamed == 60 and p.fully_generated
    assert (p.rejected, p.clamped, p.held, p.repaired) == (4, 2, 2, 2)
    assert np.isclose(p.generate_s, 0.7)
    assert np.isclose(p.latency_s, 0.25)
    assert np.isclose(p.realtime_factor, 2.0 / 0.7)  # 60 frames = 2 s of motion in 0.7 s


def test_the_log_reports_each_outcome_once_in_acceptance_order():
    log = ProgressLog()
    a, b, c = _progress("a"), _progress("b"), _progress("c")
    for p in (a, b, c):
        log.add(p, history=64)
    assert log.get("b") is b and log["c"] is c and log.get("zz") is None
    assert log.drain_finished() == []
    c.finish("done")
    a.finish("cancelled")
    assert log.drain_finished() == [a, c] and a.reported and c.reported
    assert log.drain_finished() == []
    b.finish("error", "generation failed")
    assert log.drain_finished() == [b]


def test_the_log_forgets_only_reported_final_records_beyond_its_history():
    log = ProgressLog()
    first = [_progress(f"c{i}") for i in range(3)]
    for p in first:
        log.add(p, history=2)
    # Nothing is final yet: all are kept, beyond the history too.
    assert len(log) == 3 and log.get("c0") is first[0]
    first[0].finish("done")
    log.add(_progress("c3"), history=2)
    assert log.get("c0") is first[0]  # final but not reported yet: kept
    assert log.drain_finished() == [first[0]]
    log.add(_progress("c4"), history=2)
    assert log.get("c0") is None  # reported: forgotten
    assert log.get("c1") is first[1]  # not final: kept, and so is everything after it
    assert len(log) == 4
