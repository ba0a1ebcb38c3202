"""Commands in, a timeline of safe robot frames out. No ROS imports; thread-safe.

:class:`MotionController` owns the :class:`~molingo_ros.runtime.engine.MotionEngine`, the
:class:`~molingo_ros.runtime.commands.CommandQueue` and a timeline (playback buffer) of timed
frames:

- :meth:`submit` takes a checked command: *replace* makes it the current command at once (the
  next window is generated for it, flowing on from the motion's history; frames already sent
  still play); *queue* puts it behind the others (bounded). A queued command starts being
  generated as soon as the one before it is fully generated, so it follows without a pause;
  a command stamped more than ``max_age_s`` before it arrives is refused as stale (lag in
  transport, never replayed).
- :meth:`step` (called in a loop by a worker) generates the next chunk whenever less than
  ``lead_s`` seconds are buffered ahead of now, and places it on the timeline right after
  the buffered frames (or ``start_delay_s`` after the time generation finished, when the
  buffer has run out).
- :meth:`horizon` gives every buffered frame due from a time on: what a trajectory message
  sent now must carry (ros2_control's joint_trajectory_controller replaces its trajectory
  with each message, so each message holds the whole planned future).
- :meth:`frame_at` gives the configuration due at a time (the last frame while idle).
- :meth:`cancel` / :meth:`hold` stop the motion at the frame due now; frames buffered
  beyond it are dropped and the engine continues from the held frame.

Times are seconds on one clock chosen by the caller (the node uses ROS time); ``clock``
reads it after a chunk was generated.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from molingo_ros.runtime.commands import Command, CommandError, CommandLimits, CommandQueue
from molingo_ros.runtime.engine import MotionEngine, RobotChunk

STATES = ("queued", "generating", "streaming", "done", "cancelled", "error")
FINAL_STATES = ("done", "cancelled", "error")


@dataclass
class CommandProgress:
    """What happened to one command (fields only grow; read without the lock)."""

    command: Command
    fps: float = 30.0
    state: str = "queued"
    accepted_s: float = 0.0
    first_chunk_s: float | None = None  # when its first chunk was ready to send
    end_s: float | None = None  # due time of its last frame, once all are generated
    frames_total: int = 0
    frames_streamed: int = 0
    generate_s: float = 0.0  # wall-clock compute spent on it
    rejected: int = 0
    clamped: int = 0
    held: int = 0  # of the rejected frames: held at the previous frame
    repaired: int = 0  # of the rejected frames: replaced by a nearby safe configuration
    error: str = ""
    finished: threading.Event = field(default_factory=threading.Event)
    reported: bool = False  # set by MotionController.drain_finished

    @property
    def realtime_factor(self) -> float:
        """Seconds of motion produced per second of compute (0 until known)."""
        return self.frames_streamed / self.fps / self.generate_s if self.generate_s > 0 else 0.0

    @property
    def latency_s(self) -> float:
        """From acceptance to its first chunk being ready to send (0 until known)."""
        return 0.0 if self.first_chunk_s is None else self.first_chunk_s - self.accepted_s

    @property
    def fully_generated(self) -> bool:
        return self.frames_streamed >= self.frames_total

    def _finish(self, state: str, error: str = "") -> None:
        if self.state in FINAL_STATES:
            return
        self.state = state
        self.error = error
        self.finished.set()


@dataclass
class TimedChunk:
    """A chunk placed on the timeline: frame ``i`` is due at ``start_s + i / chunk.fps``."""

    chunk: RobotChunk
    start_s: float
    command_id: str
    first: bool  # the first chunk of its command
    generation: int = 0

    @property
    def end_s(self) -> float:
        """Due time of the last frame."""
        return self.start_s + (self.chunk.frames - 1) / self.chunk.fps

    def times(self) -> np.ndarray:
        return self.start_s + np.arange(self.chunk.frames) / self.chunk.fps


@dataclass(frozen=True)
class ControllerConfig:
    """Attributes:
    lead_s: generate the next chunk when less than this much motion is buffered (s).
    start_delay_s: a chunk that starts a motion (empty or exhausted buffer) is due this long
        after it was generated (s), so the first frame is not already late on arrival.
    history: finished commands remembered for status queries.
    """

    lead_s: float = 0.4
    start_delay_s: float = 0.05
    history: int = 64


class MotionController:
    def __init__(
        self,
        engine: MotionEngine,
        limits: CommandLimits | None = None,
        config: ControllerConfig | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.engine = engine
        self.limits = limits or CommandLimits()
        self.config = config or ControllerConfig()
        self.clock = clock
        self.queue = CommandQueue(self.limits)
        self.current: CommandProgress | None = None  # being generated
        self.playing: list[CommandProgress] = []  # fully generated, frames still due
        self._progress: dict[str, CommandProgress] = {}
        self._order: deque[str] = deque()
        self._buffer: deque[TimedChunk] = deque()
        self._lock = threading.RLock()
        self._generation = 0  # bumps on replace/cancel/hold: chunks made before are stale
        self.rejected_total = 0
        self.clamped_total = 0
        self.held_total = 0
        self.repaired_total = 0
        self.longest_hold_frames = 0  # longest run of held frames within one chunk
        self.chunks_total = 0
        self.last_compute_s = 0.0

    # -- bookkeeping -------------------------------------------------------------------------

    def progress(self, command_id: str) -> CommandProgress | None:
        with self._lock:
            return self._progress.get(command_id)

    def drain_finished(self) -> list[CommandProgress]:
        """Commands that reached a final state since the last call, in acceptance order (for
        status reporting: replaced, dropped, cancelled and done ones alike)."""
        with self._lock:
            out = [
                p
                for i in self._order
                if (p := self._progress.get(i)) is not None
                and p.state in FINAL_STATES
                and not p.reported
            ]
            for p in out:
                p.reported = True
            return out

    def _remember(self, p: CommandProgress) -> None:
        self._progress[p.command.id] = p
        self._order.append(p.command.id)
        while len(self._order) > self.config.history:
            old = self._order.popleft()
            q = self._progress.get(old)
            if q is not None and q.state in FINAL_STATES and q.reported:
                del self._progress[old]
            elif q is not None:
                self._order.appendleft(old)
                break

    def set_limits(self, limits: CommandLimits) -> None:
        """New command limits from now on (commands already accepted keep theirs; a queue
        longer than the new ``max_queue`` drains, new commands wait for room)."""
        with self._lock:
            self.limits = limits
            self.queue.limits = limits

    def is_current(self, tc: TimedChunk) -> bool:
        """False once a replace, cancel or hold has made ``tc`` obsolete."""
        with self._lock:
            return tc.generation == self._generation

    # -- commands ----------------------------------------------------------------------------

    def submit(self, command: Command, now_s: float) -> CommandProgress:
        """Accept a checked command. Returns its progress record.

        Raises:
            CommandError: the id is in use by a live command, the command is stale, or the
                queue is full.
        """
        with self._lock:
            old = self._progress.get(command.id)
            if old is not None and old.state not in FINAL_STATES:
                raise CommandError(f"command id {command.id!r} is already queued or running")
            if self.queue.is_stale(command, now_s):
                raise CommandError(
                    f"the command is stale: issued {now_s - command.stamp_s:.1f} s ago, the "
                    f"limit is {self.limits.max_age_s:g} s (parameter max_age_s)"
                )
            progress = CommandProgress(command, fps=self.engine.fps, accepted_s=now_s)
            progress.frames_total = max(1, int(round(command.duration_s * self.engine.fps)))
            if command.mode == "replace":
                for dropped in self.queue.clear():
                    self._progress[dropped.id]._finish("cancelled", f"replaced by {command.id}")
                if self.current is not None:
                    self.current._finish("cancelled", f"replaced by {command.id}")
                self._generation += 1
                self.current = progress
                progress.state = "generating"
            elif self.current is None and not len(self.queue):
                self.current = progress
                progress.state = "generating"
            else:
                self.queue.push(command)
            self._remember(progress)
            return progress

    def cancel(self, command_id: str, now_s: float, reason: str = "cancelled") -> np.ndarray | None:
        """Cancel one command; the queue behind it goes on. A command whose frames are playing
        stops at the frame due at ``now_s``: returns that hold configuration (nq,); otherwise
        (queued, or nothing of it due yet) None."""
        with self._lock:
            p = self._progress.get(command_id)
            if p is None or p.state in FINAL_STATES:
                return None
            if self.queue.remove(command_id) is not None:
                p._finish("cancelled", reason)
                return None
            started = any(
                tc.command_id == command_id and tc.start_s <= now_s for tc in self._buffer
            )
            if not started:
                # Nothing of it is due yet: drop its frames, the timeline ends before them.
                self._generation += 1
                self._buffer = deque(tc for tc in self._buffer if tc.command_id != command_id)
                if self.current is p:
                    self.current = None
                if p in self.playing:
                    self.playing.remove(p)
                p._finish("cancelled", reason)
                if self._buffer:
                    self.engine.rebase(self._buffer[-1].chunk.qpos[-1])
                return None
            return self._stop(
                now_s, reason, [*self.playing, *([self.current] if self.current else [])]
            )

    def hold(self, now_s: float, reason: str = "hold") -> np.ndarray | None:
        """Stop everything at the frame due at ``now_s``: every command (queued ones too) is
        cancelled. Returns the hold configuration (nq,), or None when nothing ever played."""
        with self._lock:
            for cmd in self.queue.clear():
                self._progress[cmd.id]._finish("cancelled", reason)
            return self._stop(
                now_s, reason, [*self.playing, *([self.current] if self.current else [])]
            )

    def _stop(self, now_s: float, reason: str, stopped: list[CommandProgress]) -> np.ndarray | None:
        for p in stopped:
            p._finish("cancelled", reason)
        self.playing = []
        self.current = None
        self._generation += 1
        frame = self.frame_at(now_s)
        if frame is None:
            return None
        hold_q = frame[0].copy()
        kept: deque[TimedChunk] = deque()
        for tc in self._buffer:
            if tc.start_s <= now_s:
                n = min(
                    tc.chunk.frames, int(np.floor((now_s - tc.start_s) * tc.chunk.fps + 1e-9)) + 1
                )
                tc.chunk = tc.chunk.head(n)
                kept.append(tc)
        self._buffer = kept
        self.engine.rebase(hold_q)
        return hold_q

    # -- generation ------------------------------------------------------------------------

    def buffered_until(self) -> float | None:
        """Due time of the last buffered frame (None when empty)."""
        with self._lock:
            return self._buffer[-1].end_s if self._buffer else None

    def _advance(self, now_s: float) -> None:
        """Finish commands that have played out; promote the next queued command as soon as
        the current one is fully generated."""
        for p in list(self.playing):
            if p.end_s is not None and now_s >= p.end_s:
                p._finish("done")
                self.playing.remove(p)
        cur = self.current
        if cur is not None and cur.fully_generated:
            self.playing.append(cur)
            self.current = None
        if self.current is None:
            # Staleness is judged on arrival (submit): time spent waiting in this queue behind
            # other commands is what the operator asked for, not lag.
            nxt = self.queue.pop()
            if nxt is not None:
                self.current = self._progress[nxt.id]
                self.current.state = "generating"
        # Forget chunks that have fully played (keep the last one for holding).
        while len(self._buffer) > 1 and self._buffer[0].end_s < now_s - 1.0:
            self._buffer.popleft()

    def needs_chunk(self, now_s: float) -> bool:
        with self._lock:
            self._advance(now_s)
            if self.current is None:
                return False
            end = self.buffered_until()
            return end is None or end - now_s < self.config.lead_s

    def step(self, now_s: float) -> TimedChunk | None:
        """Generate one chunk if one is due; returns it placed on the timeline, or None."""
        with self._lock:
            if not self.needs_chunk(now_s):
                return None
            p = self.current
            assert p is not None
            generation = self._generation
            remaining = p.frames_total - p.frames_streamed
            first = p.first_chunk_s is None
            seed = p.command.seed if first else None
            text, segment_left = p.command.segment_at(p.frames_streamed, self.engine.fps)
            speed_cap = p.command.speed_limit_at(p.frames_streamed, self.engine.fps)
            if segment_left is not None:  # a compound command: the next part starts on time
                remaining = min(remaining, segment_left)
        t0 = time.perf_counter()
        try:
            chunk = self.engine.next_chunk(
                text, seed=seed, max_frames=remaining, max_root_speed_m_s=speed_cap
            )
        except Exception as exc:  # noqa: BLE001 - reported on the command, never raised to the node
            with self._lock:
                p._finish("error", f"generation failed: {type(exc).__name__}: {exc}")
                if self.current is p:
                    self.current = None
            return None
        with self._lock:
            after = self.clock() if self.clock is not None else now_s + (time.perf_counter() - t0)
            if generation != self._generation or self.current is not p:
                # Replaced or cancelled meanwhile: nothing is sent, and the engine goes back
                # to what is actually on the timeline.
                if self._buffer:
                    self.engine.rebase(self._buffer[-1].chunk.qpos[-1])
                return None
            end = self.buffered_until()
            fps = chunk.fps
            if end is None or end + 1.0 / fps < after + self.config.start_delay_s:
                start = after + self.config.start_delay_s  # (re)start: the buffer ran out
            else:
                start = end + 1.0 / fps
            tc = TimedChunk(chunk, start, p.command.id, first, generation)
            self._buffer.append(tc)
            p.frames_streamed += chunk.frames
            p.generate_s += chunk.compute_s
            p.rejected += chunk.rejected
            p.clamped += chunk.clamped
            self.rejected_total += chunk.rejected
            self.clamped_total += chunk.clamped
            held, repaired = chunk.held, chunk.repaired
            p.held += held
            p.repaired += repaired
            self.held_total += held
            self.repaired_total += repaired
            self.longest_hold_frames = max(self.longest_hold_frames, chunk.longest_hold)
            self.chunks_total += 1
            self.last_compute_s = chunk.compute_s
            if first:
                p.first_chunk_s = after
            p.state = "streaming"
            if p.fully_generated:
                p.end_s = tc.end_s
            return tc

    # -- playback ----------------------------------------------------------------------------

    def horizon(self, from_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every buffered frame due at or after ``from_s``: (times (N,), qpos (N, nq), joint
        velocities (N, n)), N may be 0."""
        with self._lock:
            times, qs, vs = [], [], []
            for tc in self._buffer:
                t = tc.times()
                keep = t >= from_s - 1e-9
                if keep.any():
                    times.append(t[keep])
                    qs.append(tc.chunk.qpos[keep])
                    vs.append(tc.chunk.joint_velocities[keep])
            if not times:
                n = len(self.engine.joint_names)
                return np.zeros(0), np.zeros((0, self.engine.robot.nq)), np.zeros((0, n))
            return np.concatenate(times), np.concatenate(qs), np.concatenate(vs)

    def frame_at(self, now_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(qpos (nq,), joint velocities (n,), root velocity (3,)) due at ``now_s``; the
        last frame (at rest) after the buffer ends; None before anything was generated."""
        with self._lock:
            if not self._buffer:
                return None
            for tc in reversed(self._buffer):
                if tc.start_s <= now_s + 1e-9:
                    c = tc.chunk
                    i = int(np.floor((now_s - tc.start_s) * c.fps + 1e-9))
                    if i >= c.frames:
                        return c.qpos[-1], np.zeros_like(c.joint_velocities[-1]), np.zeros(3)
                    return c.qpos[i], c.joint_velocities[i], c.root_velocity[i]
            c = self._buffer[0].chunk
            return c.qpos[0], np.zeros_like(c.joint_velocities[0]), np.zeros(3)

    def human_at(self, now_s: float) -> tuple[np.ndarray, np.ndarray] | None:
        """(human joint positions (J, 3) m, parents (J,)) of the generated skeleton due at
        ``now_s`` (the last one after the buffer ends); None when unknown."""
        with self._lock:
            for tc in reversed(self._buffer):
                c = tc.chunk
                if tc.start_s <= now_s + 1e-9 and c.human_positions_m is not None:
                    i = min(int(np.floor((now_s - tc.start_s) * c.fps + 1e-9)), c.frames - 1)
                    return c.human_positions_m[i], c.human_parents
            return None

    def buffered_ahead_s(self, now_s: float) -> float:
        end = self.buffered_until()
        return 0.0 if end is None else max(0.0, end - now_s)


__all__ = [
    "FINAL_STATES",
    "STATES",
    "CommandProgress",
    "ControllerConfig",
    "MotionController",
    "TimedChunk",
]
