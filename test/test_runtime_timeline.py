"""The playback buffer: where chunks are placed, what is due when, and how it is cut and
trimmed. Chunks are made of known numbers so every due frame can be checked exactly."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.runtime.engine import RobotChunk
from molingo_ros.runtime.timeline import TimedChunk, Timeline

FPS = 30.0
NQ, NJ = 4, 2


def _chunk(frames: int, base: float, with_human: bool = True) -> RobotChunk:
    """Frame i has qpos[:, 0] = base + i, joint velocities base + i, root velocity i."""
    values = base + np.arange(frames, dtype=np.float64)
    return RobotChunk(
        qpos=np.repeat(values[:, None], NQ, axis=1),
        joint_velocities=np.repeat(values[:, None], NJ, axis=1),
        root_velocity=np.repeat(np.arange(frames, dtype=np.float64)[:, None], 3, axis=1),
        joint_names=["j1", "j2"],
        fps=FPS,
        text="a person walks forward",
        generate_s=0.1,
        retarget_s=0.0,
        validate_s=0.0,
        human_positions_m=np.repeat(values[:, None, None], 3, axis=2).repeat(2, axis=1)
        if with_human
        else None,
        human_parents=np.array([-1, 0]),
    )


def test_timed_chunk_due_times():
    tc = TimedChunk(_chunk(31, 0.0), start_s=2.0, command_id="a", first=True)
    assert tc.end_s == pytest.approx(3.0)
    assert np.allclose(tc.times(), 2.0 + np.arange(31) / FPS)
    assert tc.index_at(2.0) == 0 and tc.index_at(2.0 + 5 / FPS) == 5  # exact due time
    assert tc.index_at(2.0 + 5.5 / FPS) == 5 and tc.index_at(1.9) < 0


def test_placement_follows_on_or_restarts_after_the_delay():
    tl = Timeline()
    assert tl.end_s is None and tl.last_q is None and len(tl) == 0
    a = tl.place(
        _chunk(30, 0.0), ready_s=10.0, start_delay_s=0.05, command_id="a", first=True, generation=1
    )
    assert a.start_s == pytest.approx(10.05) and a.generation == 1
    # Ready while frames are still buffered: right after the last one.
    b = tl.place(_chunk(30, 30.0), 10.5, 0.05, "a", False, 1)
    assert b.start_s == pytest.approx(a.end_s + 1 / FPS)
    # Ready after the buffer ran out: the start delay after it was ready.
    c = tl.place(_chunk(10, 60.0), 20.0, 0.05, "b", True, 2)
    assert c.start_s == pytest.approx(20.05)
    assert [tc.command_id for tc in tl] == ["a", "a", "b"]
    assert tl.end_s == pytest.approx(c.end_s) and tl.last_q[0] == 69.0


def _two_chunks() -> tuple[Timeline, TimedChunk, TimedChunk]:
    tl = Timeline()
    a = tl.place(_chunk(30, 0.0), 0.0, 0.0, "a", True, 0)  # due 0 .. 29/30 s
    b = tl.place(_chunk(30, 30.0, with_human=False), 0.0, 0.0, "b", True, 0)  # 1.0 .. 59/30 s
    return tl, a, b


def test_frame_at_and_horizon():
    tl, a, b = _two_chunks()
    q, v, r = tl.frame_at(5 / FPS)
    assert q[0] == 5.0 and v[0] == 5.0 and r[0] == 5.0
    q, v, r = tl.frame_at(1.0 + 2 / FPS + 1e-3)
    assert q[0] == 32.0 and v[0] == 32.0
    q, v, r = tl.frame_at(100.0)  # after the end: the last frame, at rest
    assert q[0] == 59.0 and not v.any() and not r.any()
    q, v, r = tl.frame_at(-5.0)  # before the start: the first frame, at rest
    assert q[0] == 0.0 and not v.any() and not r.any()
    assert Timeline().frame_at(0.0) is None
    times, qs, vs = tl.horizon(25 / FPS, NQ, NJ)
    assert np.allclose(times, np.arange(25, 60) / FPS)
    assert np.allclose(qs[:, 0], np.arange(25, 60)) and vs.shape == (35, NJ)
    times, qs, vs = tl.horizon(10.0, NQ, NJ)
    assert times.shape == (0,) and qs.shape == (0, NQ) and vs.shape == (0, NJ)


def test_human_at_uses_the_last_chunk_with_a_skeleton():
    tl, a, b = _two_chunks()
    pos, parents = tl.human_at(3 / FPS)
    assert pos.shape == (2, 3) and pos[0, 0] == 3.0 and list(parents) == [-1, 0]
    pos, _ = tl.human_at(1.5)  # b has no skeleton: a's last one
    assert pos[0, 0] == 29.0
    assert tl.human_at(-1.0) is None


def test_cut_drop_and_forget():
    tl, a, b = _two_chunks()
    assert tl.has_started("a", 0.0) and not tl.has_started("b", 0.99)
    assert tl.has_started("b", 1.0)
    tl.cut_at(1.0 + 4 / FPS)  # b keeps its frames due up to now: 0..4
    assert b.chunk.frames == 5 and tl.last_q[0] == 34.0 and a.chunk.frames == 30
    tl.cut_at(0.5)  # b starts later: dropped; a ends at the frame due now (15)
    assert [tc.command_id for tc in tl] == ["a"] and a.chunk.frames == 16
    tl, a, b = _two_chunks()
    tl.drop_command("a")
    assert [tc.command_id for tc in tl] == ["b"]
    tl, a, b = _two_chunks()
    tl.forget_played(29 / FPS + 0.99)  # a ended less than 1 s ago: kept
    assert len(tl) == 2
    tl.forget_played(2.5)
    assert [tc.command_id for tc in tl] == ["b"]
    tl.forget_played(100.0)  # the last chunk always stays, for holding
    assert [tc.command_id for tc in tl] == ["b"]
