"""The streaming engine and the timeline controller, without ROS, on the shipped model and the
real Unitree G1. Time is given explicitly (seconds), so the timeline is deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.robot.validator import validate
from molingo_ros.runtime.commands import CommandError, CommandLimits, check_command
from molingo_ros.runtime.controller import ControllerConfig, MotionController
from molingo_ros.runtime.engine import EngineConfig, MotionEngine


@pytest.fixture(scope="module")
def engine() -> MotionEngine:
    return MotionEngine.load(EngineConfig(robot="g1", device="cpu"))


def _cmd(
    text: str,
    duration: float = 2.0,
    mode: str = "replace",
    cid: str = "",
    seed: int = 0,
    stamp: float = 0.0,
    limits: CommandLimits | None = None,
):
    return check_command(text, duration, mode, seed, cid, stamp, limits or CommandLimits())


def _run(ctrl: MotionController, t0: float, t1: float, dt: float = 0.05) -> list:
    """Step the controller from t0 to t1 as the node's worker would; returns the chunks."""
    out = []
    t = t0
    while t < t1:
        tc = ctrl.step(t)
        if tc is not None:
            out.append(tc)
        t += dt
    return out


def test_engine_chunks_are_valid_reproducible_and_continuous(engine):
    engine.reset()
    a = [engine.next_chunk("a person walks forward", seed=5) for _ in range(1)]
    a += [engine.next_chunk("a person walks forward") for _ in range(2)]
    a += [engine.next_chunk("a person waves the right hand") for _ in range(2)]
    q = np.concatenate([c.qpos for c in a])
    assert q.shape == (5 * engine.window_frames, engine.robot.nq)
    report = validate(engine.robot, q, engine.fps)
    assert report.frame_ok.all(), report.to_dict()
    # The text switch flows on: no joint moves faster than its limit across the seam.
    step = np.abs(np.diff(q[:, engine.robot.joint_q_indices], axis=0)) * engine.fps
    assert (step <= engine.robot.velocity_limits + 1e-6).all()
    # Velocities are the backward differences of the positions.
    jv = np.concatenate([c.joint_velocities for c in a])
    assert np.allclose(jv[1:], np.diff(q[:, engine.robot.joint_q_indices], axis=0) * engine.fps)
    # Same seed, same texts: the same frames.
    engine.reset()
    b = engine.next_chunk("a person walks forward", seed=5)
    assert np.allclose(b.qpos, a[0].qpos)
    engine.reset()
    c = engine.next_chunk("a person walks forward", seed=6)
    assert not np.allclose(c.qpos, a[0].qpos)


def test_engine_trims_the_last_chunk(engine):
    engine.reset()
    c = engine.next_chunk("a person bows", seed=1, max_frames=7)
    assert c.frames == 7 and np.allclose(engine.last_q, c.qpos[-1])


def test_controller_timeline_is_contiguous_and_exact(engine):
    engine.reset()
    ctrl = MotionController(engine, config=ControllerConfig(lead_s=0.4))
    p = ctrl.submit(_cmd("a person walks forward", 2.5, cid="w"), now_s=100.0)
    assert p.state == "generating" and p.frames_total == 75
    chunks = _run(ctrl, 100.0, 104.0)
    assert sum(tc.chunk.frames for tc in chunks) == 75
    assert chunks[0].start_s == pytest.approx(100.0)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start_s == pytest.approx(a.end_s + 1 / 30)
    # Generated ahead of playback, never more than lead + one window.
    assert p.state == "done" and p.finished.is_set()
    assert [x.command.id for x in ctrl.drain_finished()] == ["w"]
    assert ctrl.drain_finished() == []
    # Playback: the frame due at a time, and the last frame held after the end.
    last = chunks[-1]
    q, v, _ = ctrl.frame_at(last.start_s + 5 / 30 + 1e-6)
    assert np.allclose(q, last.chunk.qpos[5]) and np.allclose(v, last.chunk.joint_velocities[5])
    q_end, v_end, _ = ctrl.frame_at(200.0)
    assert np.allclose(q_end, chunks[-1].chunk.qpos[-1]) and not v_end.any()


def test_controller_replace_queue_stale_and_cancel(engine):
    engine.reset()
    limits = CommandLimits(max_queue=2, max_age_s=1.5)
    ctrl = MotionController(engine, limits, ControllerConfig(lead_s=0.4))
    ctrl.submit(_cmd("a person walks forward", 4.0, cid="a", limits=limits), 0.0)
    first = _run(ctrl, 0.0, 0.2)  # times in seconds from an arbitrary origin
    assert len(first) == 1 and first[0].command_id == "a"
    # Replace: a is cancelled at once, b's chunk continues the timeline.
    ctrl.submit(_cmd("a person bows", 1.0, cid="b", limits=limits), 0.25)
    assert ctrl.progress("a").state == "cancelled" and "replaced by b" in ctrl.progress("a").error
    nxt = _run(ctrl, 0.3, 30.0)
    assert nxt[0].command_id == "b" and nxt[0].start_s == pytest.approx(first[0].end_s + 1 / 30)
    assert sum(tc.chunk.frames for tc in nxt if tc.command_id == "b") == 30
    # Queue: c plays, d waits behind it, e is refused (max_queue 2 counts waiting commands).
    t = 30.0
    ctrl.submit(_cmd("a person kicks", 1.0, cid="c", stamp=t, limits=limits), t)
    ctrl.submit(_cmd("a person punches", 1.0, mode="queue", cid="d", stamp=t, limits=limits), t)
    ctrl.submit(_cmd("a person runs", 1.0, mode="queue", cid="e", stamp=t - 0.5, limits=limits), t)
    with pytest.raises(CommandError, match="max_queue"):
        ctrl.submit(_cmd("a person runs", 1.0, mode="queue", cid="f", limits=limits), t)
    with pytest.raises(CommandError, match="already queued or running"):
        ctrl.submit(_cmd("a person runs", 1.0, mode="queue", cid="d", limits=limits), t)
    with pytest.raises(CommandError, match="stale"):
        ctrl.submit(_cmd("a person runs", 1.0, cid="g", stamp=t - 5.0, limits=limits), t)
    assert ctrl.progress("d").state == "queued"
    chunks = _run(ctrl, t, t + 4.0)
    order = [tc.command_id for tc in chunks]
    assert order.index("d") > max(i for i, c in enumerate(order) if c == "c")
    # e was stamped 0.5 s before c started; when its turn came (after c and d, 2.5 s on) it
    # was older than max_age_s and was dropped, not played.
    assert "e" not in order and ctrl.progress("e").state == "error"
    assert "stale" in ctrl.progress("e").error
    # Cancel mid-stream: the hold is the frame due now; nothing buffered beyond it remains.
    t = 40.0
    ctrl.submit(_cmd("a person walks forward", 5.0, cid="h", limits=limits), t)
    _run(ctrl, t, t + 0.6)
    q_now = ctrl.frame_at(t + 0.5)[0].copy()
    hold = ctrl.cancel("h", t + 0.5)
    assert np.allclose(hold, q_now) and ctrl.progress("h").state == "cancelled"
    assert ctrl.buffered_until() <= t + 0.5 + 1 / 30
    assert _run(ctrl, t + 0.5, t + 2.0) == []
    assert np.allclose(ctrl.frame_at(t + 5.0)[0], hold)
    # After a hold the next command starts from the held pose, within the speed limits.
    ctrl.submit(_cmd("a person waves both hands", 1.0, cid="i", limits=limits), t + 3.0)
    nxt = _run(ctrl, t + 3.0, t + 3.2)
    first_q = nxt[0].chunk.qpos[0][engine.robot.joint_q_indices]
    step = np.abs(first_q - hold[engine.robot.joint_q_indices]) * 30
    assert (step <= engine.robot.velocity_limits + 1e-6).all()
