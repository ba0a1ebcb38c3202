"""Commands in, a timeline of safe robot frames out. No ROS imports; thread-safe.

:class:`MotionController` owns the :class:`~molingo_ros.runtime.engine.MotionEngine`, the
:class:`~molingo_ros.runtime.commands.CommandQueue` and a playback buffer of timed frames:

- :meth:`submit` takes a checked command: *replace* makes it the current command at once (the
  next window is generated for it, flowing on from the motion's history; frames already sent
  still play); *queue* puts it behind the others (bounded; stale ones are dropped when due).
- :meth:`step` (called in a loop by a worker) generates the next chunk whenever fewer than
  ``lead_s`` seconds are buffered ahead of ``now``, gives it start time ``max(now, end of the
  buffer)`` so chunks join without a gap, and returns it for publishing.
- :meth:`frame_at` gives the configuration to show at ``now`` (the last frame while idle).
- :meth:`cancel` / :meth:`hold` stop the motion at the current frame; what was buffered ahead
  is dropped, and the caller publishes the returned hold pose.

Times are seconds on one clock chosen by the caller (the node uses ROS time).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from molingo_ros.runtime.commands import Command, CommandError, CommandLimits, CommandQueue
from molingo_ros.runtime.engine import MotionEngine, RobotChunk

STATES = ("queued", "generating", "streaming", "done", "cancelled", "error")
FINAL_STATES = ("done", "cancelled", "error")


@dataclass
class CommandProgress:
    """What happened to one command (read it under no lock; fields only grow)."""

    command: Command
    fps: float = 30.0
    state: str = "queued"
    accepted_s: float = 0.0
    first_chunk_s: float | None = None
    end_s: float | None = None  # time of the last frame once all are generated
    frames_total: int = 0
    frames_streamed: int = 0
    generate_s: float = 0.0  # wall-clock compute spent on it
    rejected: int = 0
    clamped: int = 0
    error: str = ""
    finished: threading.Event = field(default_factory=threading.Event)
    reported: bool = False  # set by MotionController.drain_finished

    @property
    def realtime_factor(self) -> float:
        """Seconds of motion produced per second of compute (0 until known)."""
        return self.frames_streamed / self.fps / self.generate_s if self.generate_s > 0 else 0.0

    @property
    def latency_s(self) -> float:
        """From acceptance to the first chunk (0 until known)."""
        return 0.0 if self.first_chunk_s is None else self.first_chunk_s - self.accepted_s

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

    @property
    def end_s(self) -> float:
        """Time of the last frame."""
        return self.start_s + (self.chunk.frames - 1) / self.chunk.fps


@dataclass(frozen=True)
class ControllerConfig:
    """Attributes:
    lead_s: generate the next chunk when less than this much motion is buffered (s).
    history: finished commands remembered for status queries.
    """

    lead_s: float = 0.4
    history: int = 64


class MotionController:
    def __init__(
        self,
        engine: MotionEngine,
        limits: CommandLimits | None = None,
        config: ControllerConfig | None = None,
    ) -> None:
        self.engine = engine
        self.limits = limits or CommandLimits()
        self.config = config or ControllerConfig()
        self.queue = CommandQueue(self.limits)
        self.current: CommandProgress | None = None
        self._progress: dict[str, CommandProgress] = {}
        self._order: deque[str] = deque()
        self._buffer: deque[TimedChunk] = deque()
        self._lock = threading.RLock()
        self._generation = 0  # bumps on replace/cancel: a chunk made meanwhile is dropped
        self.rejected_total = 0
        self.clamped_total = 0
        self.chunks_total = 0
        self.last_compute_s = 0.0

    # -- commands --------------------------------------------------------------------------

    def progress(self, command_id: str) -> CommandProgress | None:
        with self._lock:
            return self._progress.get(command_id)

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

    def recent(self, n: int = 1) -> list[CommandProgress]:
        """The last ``n`` commands accepted, oldest first."""
        with self._lock:
            ids = list(self._order)[-n:]
            return [self._progress[i] for i in ids if i in self._progress]

    def submit(self, command: Command, now_s: float) -> CommandProgress:
        """Accept a checked command. Returns its progress record.

        Raises:
            CommandError: the id is already in use by a live command, the command is stale,
                or the queue is full.
        """
        with self._lock:
            old = self._progress.get(command.id)
            if old is not None and old.state not in FINAL_STATES:
                raise CommandError(f"command id {command.id!r} is already queued or running")
            if self.queue.is_stale(command, now_s):
                raise CommandError(
                    f"the command is stale: issued {now_s - command.stamp_s:.1f} s ago, the "
                    f"limit is {self.limits.max_age_s:g} s (parameter max_command_age_s)"
                )
            progress = CommandProgress(command, accepted_s=now_s, fps=self.engine.fps)
            if command.mode == "replace":
                for dropped in self.queue.push(command):
                    self._progress[dropped.id]._finish("cancelled", f"replaced by {command.id}")
                self.queue.clear()
                if self.current is not None:
                    self.current._finish("cancelled", f"replaced by {command.id}")
                self._generation += 1
                self.current = progress
                progress.state = "generating"
            else:
                if self.current is None and not len(self.queue):
                    self.current = progress
                    progress.state = "generating"
                else:
                    self.queue.push(command)
            progress.frames_total = max(1, int(round(command.duration_s * self.engine.fps)))
            self._remember(progress)
            return progress

    def cancel(self, command_id: str, now_s: float, reason: str = "cancelled") -> np.ndarray | None:
        """Cancel a queued or running command. A running one stops at the frame due at
        ``now_s``: returns that hold configuration (nq,), else None."""
        with self._lock:
            p = self._progress.get(command_id)
            if p is None or p.state in FINAL_STATES:
                return None
            if self.queue.remove(command_id) is not None:
                p._finish("cancelled", reason)
                return None
            if self.current is p:
                return self.hold(now_s, reason)
            return None

    def hold(self, now_s: float, reason: str = "hold") -> np.ndarray | None:
        """Stop everything at the frame due at ``now_s``: the current and queued commands are
        cancelled and frames buffered beyond ``now_s`` dropped. Returns the hold
        configuration (nq,), or None when nothing was ever played."""
        with self._lock:
            for cmd in self.queue.clear():
                self._progress[cmd.id]._finish("cancelled", reason)
            if self.current is not None:
                self.current._finish("cancelled", reason)
                self.current = None
            self._generation += 1
            q = self.frame_at(now_s)
            if q is None:
                return None
            hold_q = q[0]
            # Truncate the timeline at now; the engine continues from the held frame.
            kept: deque[TimedChunk] = deque()
            for tc in self._buffer:
                if tc.start_s <= now_s:
                    n = min(tc.chunk.frames, int(np.floor((now_s - tc.start_s) * tc.chunk.fps)) + 1)
                    tc.chunk.qpos = tc.chunk.qpos[:n]
                    tc.chunk.joint_velocities = tc.chunk.joint_velocities[:n]
                    tc.chunk.root_velocity = tc.chunk.root_velocity[:n]
                    kept.append(tc)
            self._buffer = kept
            self.engine.safety.last_q = hold_q.copy()
            return hold_q.copy()

    # -- generation ------------------------------------------------------------------------

    def buffered_until(self) -> float | None:
        with self._lock:
            return self._buffer[-1].end_s if self._buffer else None

    def needs_chunk(self, now_s: float) -> bool:
        with self._lock:
            self._advance(now_s)
            if self.current is None or self.current.frames_streamed >= self.current.frames_total:
                return False
            end = self.buffered_until()
            return end is None or end - now_s < self.config.lead_s

    def _advance(self, now_s: float) -> None:
        """Finish the current command when it has played out; start the next queued one."""
        cur = self.current
        if cur is not None and cur.end_s is not None and now_s >= cur.end_s:
            cur._finish("done")
            self.current = None
        if self.current is None:
            nxt, stale = self.queue.pop_fresh(now_s)
            for cmd in stale:
                self._progress[cmd.id]._finish(
                    "error", f"dropped: stale (older than {self.limits.max_age_s:g} s when due)"
                )
            if nxt is not None:
                self.current = self._progress[nxt.id]
                self.current.state = "generating"
        # Forget chunks that have fully played (keep the last one for holding).
        while len(self._buffer) > 1 and self._buffer[0].end_s < now_s - 1.0:
            self._buffer.popleft()

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
        try:
            chunk = self.engine.next_chunk(p.command.text, seed=seed, max_frames=remaining)
        except Exception as exc:  # noqa: BLE001 - reported on the command, never raised to the node
            with self._lock:
                p._finish("error", f"generation failed: {type(exc).__name__}: {exc}")
                if self.current is p:
                    self.current = None
            return None
        with self._lock:
            if generation != self._generation or self.current is not p:
                # Replaced or cancelled meanwhile: the engine moved on, but nothing is sent.
                # Its last safe frame goes back to what is actually playing.
                if self._buffer:
                    self.engine.safety.last_q = self._buffer[-1].chunk.qpos[-1].copy()
                return None
            end = self.buffered_until()
            start = now_s if end is None else max(now_s, end + 1.0 / chunk.fps)
            tc = TimedChunk(chunk, start, p.command.id, first)
            self._buffer.append(tc)
            p.frames_streamed += chunk.frames
            p.generate_s += chunk.compute_s
            p.rejected += chunk.rejected
            p.clamped += chunk.clamped
            self.rejected_total += chunk.rejected
            self.clamped_total += chunk.clamped
            self.chunks_total += 1
            self.last_compute_s = chunk.compute_s
            if first:
                p.first_chunk_s = now_s
            p.state = "streaming"
            if p.frames_streamed >= p.frames_total:
                p.end_s = tc.end_s
            return tc

    # -- playback --------------------------------------------------------------------------

    def frame_at(self, now_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(qpos (nq,), joint velocities (n,), root velocity (3,)) due at ``now_s``; the
        last frame (at rest) after the buffer ends; None before anything was generated."""
        with self._lock:
            if not self._buffer:
                return None
            for tc in reversed(self._buffer):
                if tc.start_s <= now_s:
                    i = int(np.floor((now_s - tc.start_s) * tc.chunk.fps + 1e-9))
                    if i >= tc.chunk.frames:
                        c = tc.chunk
                        return c.qpos[-1], np.zeros_like(c.joint_velocities[-1]), np.zeros(3)
                    c = tc.chunk
                    return c.qpos[i], c.joint_velocities[i], c.root_velocity[i]
            c = self._buffer[0].chunk
            return c.qpos[0], np.zeros_like(c.joint_velocities[0]), np.zeros(3)

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
