"""The timeline controller, without ROS, on the shipped model and the real Unitree G1. Time is
given explicitly (seconds), so the timeline is deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.robot.config import load_robot_config
from molingo_ros.robot.validator import validate
from molingo_ros.runtime.commands import CommandError, CommandLimits, check_command
from molingo_ros.runtime.controller import MotionController
from molingo_ros.runtime.controller_config import ControllerConfig
from molingo_ros.runtime.engine import EngineConfig, MotionEngine


@pytest.fixture(scope="module")
def engine(model) -> MotionEngine:
    """The G1 engine on the shipped model (what ``MotionEngine.load`` builds for g1)."""
    return MotionEngine(model, load_robot_config("g1"), EngineConfig(robot="g1", device="cpu"))


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


class SimClock:
    """Simulated time: generation takes no time on it, so timelines are exact."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _controller(
    engine,
    limits=None,
    lead_s: float = 0.4,
    replace_after_s: float = 0.25,
    first_chunk_tokens: int = 0,
) -> tuple[MotionController, SimClock]:
    """A controller on the simulated clock; by default every chunk whole (first included),
    which the chunk counts below assume; test_a_short_first_chunk has the node's default."""
    clock = SimClock()
    config = ControllerConfig(
        lead_s=lead_s, replace_after_s=replace_after_s, first_chunk_tokens=first_chunk_tokens
    )
    return MotionController(engine, limits, config, clock=clock), clock


def _run(ctrl: MotionController, t0: float, t1: float, dt: float = 0.05) -> list:
    """Step the controller from t0 to t1 as the node's worker would; returns the chunks."""
    out = []
    t = t0
    while t < t1:
        ctrl.clock.t = t
        tc = ctrl.step(t)
        if tc is not None:
            out.append(tc)
        t += dt
    return out


def test_controller_timeline_is_contiguous_and_exact(engine):
    engine.reset()
    ctrl, _ = _controller(engine)
    p = ctrl.submit(_cmd("a person walks forward", 2.5, cid="w"), now_s=100.0)
    assert p.state == "generating" and p.frames_total == 75
    chunks = _run(ctrl, 100.0, 104.0)
    assert sum(tc.chunk.frames for tc in chunks) == 75
    # The first chunk's way is traced (the node stamps its publication).
    trace = p.trace
    assert trace.received <= trace.accepted <= trace.started <= trace.ready
    assert trace.generate_s == chunks[0].chunk.generate_s > 0 and trace.text_s > 0
    assert trace.published is None and trace.stages_ms() == {}
    delay = ctrl.config.start_delay_s
    assert chunks[0].start_s == pytest.approx(100.0 + delay)  # due just after it was made
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


def test_a_short_first_chunk_then_whole_ones_on_one_timeline(engine):
    engine.reset()
    ctrl, _ = _controller(engine, first_chunk_tokens=ControllerConfig().first_chunk_tokens)
    p = ctrl.submit(_cmd("a person walks forward", 2.5, cid="w"), now_s=100.0)
    chunks = _run(ctrl, 100.0, 104.0)
    # 2 tokens of the first window (8 frames), then the rest of it and whole chunks.
    assert [tc.chunk.frames for tc in chunks] == [8, 32, 32, 3]
    assert chunks[0].first and not any(tc.first for tc in chunks[1:])
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start_s == pytest.approx(a.end_s + 1 / 30)
    assert p.state == "done" and p.frames_streamed == 75
    # The first chunk's trace covers that short chunk's compute.
    assert p.trace.generate_s == chunks[0].chunk.generate_s
    # More than a window asked for: one whole chunk (tokens only shorten it).
    engine.reset()
    ctrl, _ = _controller(engine, first_chunk_tokens=64)
    ctrl.submit(_cmd("a person walks forward", 2.5, cid="w2"), now_s=0.0)
    assert [tc.chunk.frames for tc in _run(ctrl, 0.0, 4.0)] == [32, 32, 11]


def test_controller_replace_queue_stale_and_cancel(engine):
    engine.reset()
    limits = CommandLimits(max_queue=2, max_age_s=1.5)
    ctrl, _ = _controller(engine, limits)
    ctrl.submit(_cmd("a person walks forward", 4.0, cid="a", limits=limits), 0.0)
    first = _run(ctrl, 0.0, 0.2)  # times in seconds from an arbitrary origin
    assert len(first) == 1 and first[0].command_id == "a"
    # Replace: a is cancelled at once, b's chunk continues the timeline (a's planned frames
    # end before replace_after_s is up: they all play).
    ctrl.submit(_cmd("a person bows", 1.0, cid="b", limits=limits), 0.25)
    assert ctrl.progress("a").state == "cancelled" and "replaced by b" in ctrl.progress("a").error
    assert first[0].end_s <= 0.25 + ctrl.config.replace_after_s
    nxt = _run(ctrl, 0.3, 30.0)
    assert nxt[0].command_id == "b" and nxt[0].start_s == pytest.approx(first[0].end_s + 1 / 30)
    assert sum(tc.chunk.frames for tc in nxt if tc.command_id == "b") == 30
    # Queue: c plays, d waits behind it, e is refused (max_queue 2 counts waiting commands).
    t = 30.0
    ctrl.submit(_cmd("a person kicks", 1.0, cid="c", stamp=t, limits=limits), t)
    ctrl.submit(_cmd("a person punches", 1.0, mode="queue", cid="d", stamp=t, limits=limits), t)
    ctrl.submit(_cmd("a person runs", 1.0, mode="queue", cid="e", stamp=t - 1.45, limits=limits), t)
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
    # A queued command starts generating as soon as the one before is fully generated: c,
    # then d right away (no pause between them on the timeline), then e; e was 1.45 s old on
    # arrival (fresh) and waiting in the queue does not make it stale.
    c_end = max(tc.end_s for tc in chunks if tc.command_id == "c")
    d_start = min(tc.start_s for tc in chunks if tc.command_id == "d")
    assert d_start == pytest.approx(c_end + 1 / 30)
    assert order[-1] == "e" and ctrl.progress("e").state in ("streaming", "done")
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


class HookedEngine(MotionEngine):
    """The real engine, with a callback run right after a chunk is generated: an operator
    acting while generation is in flight."""

    hook = None

    def next_chunk(self, *args, **kwargs):
        out = super().next_chunk(*args, **kwargs)
        if self.hook is not None:
            hook, self.hook = self.hook, None
            hook()
        return out


SHOULDERS = ("left_shoulder_pitch_joint", "right_shoulder_pitch_joint")


def _reaction_s(engine, seed: int, replace_history_tokens: int) -> tuple[float, bool]:
    """Walk, then "raise both hands" replacing it 1.5-2.4 s in: seconds (simulated) until
    both shoulder pitches are 1 rad from their angle at the command (inf: not within 4 s),
    and whether the new command took over a running motion."""
    engine.reset()
    clock = SimClock()
    config = ControllerConfig(replace_history_tokens=replace_history_tokens)
    ctrl = MotionController(engine, None, config, clock=clock)
    idx = [engine.robot.joint_q_indices[engine.joint_names.index(j)] for j in SHOULDERS]
    ctrl.submit(_cmd("a person walks forward", 12.0, cid="walk", seed=seed), 0.0)
    t = 0.0
    while t < 1.5 + 0.1 * (seed % 10):
        clock.t = t
        ctrl.step(t)
        t += 1 / 30
    start, sent = ctrl.frame_at(t)[0][idx], t
    up = ctrl.submit(_cmd("a person raises both hands", 4.0, cid="up", seed=seed), t)
    while t < sent + 4.0:
        clock.t = t
        ctrl.step(t)
        if np.all(np.abs(ctrl.frame_at(t)[0][idx] - start) >= 1.0):
            return t - sent, up.took_over
        t += 1 / 30
    return float("inf"), up.took_over


def test_a_command_taking_over_mid_walk_shows_within_a_second_and_a_half(engine):
    """Seeds whose replacement, drawn after the walk's whole history, keeps swinging the arms
    as in the walk (validation seeds of BENCHMARKS.md's replacement study)."""
    for seed in (301, 303):
        seconds, took_over = _reaction_s(engine, seed, ControllerConfig().replace_history_tokens)
        assert took_over and seconds <= 1.5, (seed, seconds)
    assert _reaction_s(engine, 301, -1)[0] > 1.5  # the whole history: the walk goes on


def test_only_a_command_that_cuts_a_running_motion_takes_over(engine):
    engine.reset()
    ctrl, _ = _controller(engine)
    idle = ctrl.submit(_cmd("a person bows", 1.0, cid="b"), 0.0)
    assert not idle.took_over  # nothing was playing
    _run(ctrl, 0.0, 0.5)
    queued = ctrl.submit(_cmd("a person waves", 1.0, mode="queue", cid="q"), 0.5)
    replacing = ctrl.submit(_cmd("a person walks", 2.0, cid="r"), 0.5)
    assert not queued.took_over and replacing.took_over


def _root_step(a, b) -> float:
    return float(np.linalg.norm(b[:3] - a[:3]))


@pytest.mark.parametrize("replace_after_s", [0.1, 0.25, 0.6])
def test_a_replacing_command_takes_over_after_replace_after_s_within_the_limits(
    engine, replace_after_s
):
    engine.reset()
    ctrl, clock = _controller(engine, replace_after_s=replace_after_s)
    ctrl.submit(_cmd("a person walks forward", 8.0, cid="walk"), 0.0)
    _run(ctrl, 0.0, 2.0)
    planned_end = ctrl.buffered_until()
    assert planned_end > 2.0 + replace_after_s  # the walk is planned beyond the takeover
    clock.t = 2.0
    ctrl.submit(_cmd("a person raises both hands", 3.0, cid="up"), 2.0)
    assert ctrl.progress("walk").state == "cancelled"
    nxt = _run(ctrl, 2.0, 3.0)
    up = [tc for tc in nxt if tc.command_id == "up"]
    assert up[0].start_s <= 2.0 + replace_after_s + 1 / 30 + 1e-9  # not after the old plan
    # Across the seam: the joints and the floating base within the speed limits.
    times, q, _ = ctrl.horizon(2.0)
    idx = engine.robot.joint_q_indices
    steps = np.abs(np.diff(q[:, idx], axis=0)) * 30
    assert (steps <= engine.robot.velocity_limits + 1e-6).all()
    assert np.allclose(np.diff(times), 1 / 30)
    root_speed = np.linalg.norm(np.diff(q[:, :3], axis=0), axis=1) * 30
    assert root_speed.max() < 3.0  # m/s: no jump of the base


def test_a_negative_replace_after_s_plays_the_planned_frames_first(engine):
    engine.reset()
    ctrl, clock = _controller(engine, replace_after_s=-1.0)
    ctrl.submit(_cmd("a person walks forward", 8.0, cid="walk"), 0.0)
    _run(ctrl, 0.0, 2.0)
    planned_end = ctrl.buffered_until()
    clock.t = 2.0
    ctrl.submit(_cmd("a person raises both hands", 3.0, cid="up"), 2.0)
    up = [tc for tc in _run(ctrl, 2.0, 4.0) if tc.command_id == "up"]
    assert up[0].start_s == pytest.approx(planned_end + 1 / 30)


def test_replace_during_generation_discards_the_chunk_without_a_jump(engine):
    hooked = HookedEngine(engine.model, engine.robot, engine.config)
    ctrl, clock = _controller(hooked)
    ctrl.submit(_cmd("a person walks forward", 6.0, cid="a"), 0.0)
    before = _run(ctrl, 0.0, 1.0)
    kept = {}

    def replace():
        ctrl.submit(_cmd("a person runs", 2.0, cid="b"), clock.t)
        kept["last"] = ctrl.horizon(-1.0)[1][-1]  # what stays planned of "a"

    hooked.hook = replace
    t = 1.0
    while ctrl.step(t) is None and t < 5.0 and ctrl.progress("b") is None:
        t += 0.05
    assert ctrl.progress("a").state == "cancelled"
    # The in-flight chunk of "a" was never placed; "b" continues from what was.
    assert all(tc.command_id == "a" for tc in before)
    after = _run(ctrl, t, t + 0.5)
    assert after and after[0].command_id == "b"
    first_b = after[0].chunk.qpos[0]
    walk_speed = max(
        _root_step(x, y)
        for x, y in zip(before[0].chunk.qpos[:-1], before[0].chunk.qpos[1:], strict=True)
    )
    assert _root_step(kept["last"], first_b) < 3 * walk_speed + 0.01  # no jump of the base


def test_cancel_one_command_keeps_the_queue_and_the_hold_is_continuous(engine):
    ctrl, clock = _controller(engine)
    ctrl.submit(_cmd("a person walks forward", 4.0, cid="a"), 0.0)
    ctrl.submit(_cmd("a person bows", 1.0, mode="queue", cid="b"), 0.0)
    _run(ctrl, 0.0, 1.0)
    clock.t = 1.0
    hold = ctrl.cancel("a", 1.0)
    assert hold is not None and ctrl.progress("a").state == "cancelled"
    assert ctrl.progress("b").state in ("queued", "generating")
    nxt = _run(ctrl, 1.0, 1.5)
    assert nxt[0].command_id == "b"
    # b starts from the held pose: the floating base does not jump (its first frame is the
    # hold plus b's own first step, at most about one walking step, 0.05 m; without the
    # rebase it would start where a's unsent frames ended, ~1 m on), joints within limits.
    assert _root_step(hold, nxt[0].chunk.qpos[0]) < 0.1
    idx = engine.robot.joint_q_indices
    step = np.abs(nxt[0].chunk.qpos[0][idx] - hold[idx]) * 30
    assert (step <= engine.robot.velocity_limits + 1e-6).all()


def test_horizon_is_the_planned_future(engine):
    ctrl, _ = _controller(engine)
    ctrl.submit(_cmd("a person walks forward", 3.0, cid="a"), 10.0)
    chunks = _run(ctrl, 10.0, 11.0)
    times, q, v = ctrl.horizon(10.5)
    assert times[0] >= 10.5 - 1e-9 and np.allclose(np.diff(times), 1 / 30)
    assert times[-1] == pytest.approx(ctrl.buffered_until())
    i = int(round((times[0] - chunks[0].start_s) * 30))
    all_q = np.concatenate([tc.chunk.qpos for tc in chunks])
    assert np.allclose(q, all_q[i:])
    assert ctrl.horizon(1e9)[0].size == 0


def test_a_compound_command_switches_text_exactly_at_its_segment_boundary(engine):
    engine.reset()
    walk, wave = "a person walks forward", "a person waves with their right hand"
    limits = CommandLimits()
    command = _cmd("walk forward, then wave with your right hand", cid="two").with_segments(
        ((walk, 2.0), (wave, 2.0)), limits
    )
    assert command.duration_s == 4.0
    ctrl, _ = _controller(engine, limits)
    p = ctrl.submit(command, now_s=0.0)
    assert p.frames_total == 120
    chunks = _run(ctrl, 0.0, 8.0)
    assert p.state == "done" and p.frames_streamed == 120
    assert all(tc.command_id == "two" for tc in chunks)
    assert sum(tc.chunk.frames for tc in chunks) == 120
    texts = [tc.chunk.text for tc in chunks for _ in range(tc.chunk.frames)]
    assert texts[:60] == [walk] * 60
    assert texts[60:] == [wave] * 60
    # No chunk straddles the boundary; the timeline stays contiguous across it.
    assert 60 in np.cumsum([tc.chunk.frames for tc in chunks])
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start_s == pytest.approx(a.end_s + 1 / 30)
    q = np.concatenate([tc.chunk.qpos for tc in chunks])
    assert validate(engine.robot, q, engine.fps).frame_ok.all()


class FailingEngine(MotionEngine):
    """The real engine, except that generating for one text raises (a broken model)."""

    broken_text = "a person explodes"

    def next_chunk(self, text, *args, **kwargs):
        if text == self.broken_text:
            raise RuntimeError("the model is broken")
        return super().next_chunk(text, *args, **kwargs)


def test_a_generation_error_ends_its_command_and_the_queue_goes_on(engine):
    failing = FailingEngine(engine.model, engine.robot_config, engine.config)
    ctrl, _ = _controller(failing)
    bad = ctrl.submit(_cmd(FailingEngine.broken_text, 1.0, cid="bad"), 0.0)
    good = ctrl.submit(_cmd("a person bows", 1.0, mode="queue", cid="good"), 0.0)
    assert ctrl.step(0.0) is None
    assert bad.state == "error" and bad.finished.is_set()
    assert bad.error == "generation failed: RuntimeError: the model is broken"
    assert ctrl.current is None and ctrl.buffered_until() is None
    chunks = _run(ctrl, 0.05, 0.2)
    assert [tc.command_id for tc in chunks] == ["good"] and good.state == "streaming"
    assert [p.command.id for p in ctrl.drain_finished()] == ["bad"]
    assert ctrl.chunks_total == 1 and ctrl.last_compute_s == chunks[0].chunk.compute_s


def test_cancelling_a_command_not_yet_due_drops_its_frames(engine):
    engine.reset()
    ctrl, _ = _controller(engine)
    a = ctrl.submit(_cmd("a person walks forward", 1.0, cid="a"), 0.0)
    b = ctrl.submit(_cmd("a person bows", 1.0, mode="queue", cid="b"), 0.0)
    chunks = _run(ctrl, 0.0, 0.7)
    assert [tc.command_id for tc in chunks] == ["a", "b"]
    a_end, b_chunk = chunks[0].end_s, chunks[1]
    assert b_chunk.start_s == pytest.approx(a_end + 1 / 30) and b_chunk.start_s > 0.7
    # b was generated ahead but none of it is due: cancelling drops it, a plays on.
    assert ctrl.cancel("b", 0.7, "operator") is None
    assert b.state == "cancelled" and b.error == "operator"
    assert not ctrl.is_current(b_chunk) and a.state == "streaming"
    assert ctrl.buffered_until() == pytest.approx(a_end)
    times, q, _ = ctrl.horizon(0.7)
    assert times[-1] == pytest.approx(a_end) and np.allclose(q[-1], chunks[0].chunk.qpos[-1])
    # The engine continues from the end of a, not from b's dropped frames.
    assert np.allclose(engine.last_q, chunks[0].chunk.qpos[-1])
    assert ctrl.cancel("b", 0.8) is None  # already final: nothing happens
    _run(ctrl, 0.7, 1.2)
    assert a.state == "done" and [p.command.id for p in ctrl.drain_finished()] == ["a", "b"]
