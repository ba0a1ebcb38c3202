"""Commands in, a timeline of safe robot frames out. No ROS imports; thread-safe.

:class:`MotionController` owns the :class:`~molingo_ros.runtime.engine.MotionEngine`, the
:class:`~molingo_ros.runtime.commands.CommandQueue`, the
:class:`~molingo_ros.runtime.progress.ProgressLog` of what happened to each command and the
:class:`~molingo_ros.runtime.timeline.Timeline` (playback buffer) of timed frames; it decides
which command is generated when:

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
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from molingo_ros.runtime.commands import Command, CommandError, CommandLimits, CommandQueue
from molingo_ros.runtime.controller_config import ControllerConfig
from molingo_ros.runtime.engine import MotionEngine, RobotChunk
from molingo_ros.runtime.latency import FirstChunkTrace
from molingo_ros.runtime.progress import CommandProgress, ProgressLog
from molingo_ros.runtime.timeline import TimedChunk, Timeline


class _ChunkPlan(NamedTuple):
    """What :meth:`MotionController.step` asks the engine for, decided under the lock."""

    progress: CommandProgress
    generation: int
    first: bool  # the command's first chunk
    text: str
    seed: int | None  # reseed at a command's start
    max_frames: int  # the frames left of the command (or of its current segment)
    max_root_speed_m_s: float | None
    tokens: int | None  # tokens to emit (a short first chunk), None: the sampler's default
    history_tokens: int | None  # history its window sees (a take-over), None: the sampler's


class MotionController:
    """Commands in, a timeline of safe robot frames out (see the module docstring).

    Args:
        engine: generates the chunks (used from :meth:`step` only).
        limits: what :meth:`submit` accepts (queue length, staleness).
        config: lead, start delay and history.
        clock: reads the time (s) after a chunk was generated; None: the time given to
            :meth:`step` plus the wall-clock seconds the generation took.
    """

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
        self._log = ProgressLog()
        self._timeline = Timeline()
        self._lock = threading.RLock()
        self._generation = 0  # bumps on replace/cancel/hold: chunks made before are stale
        self.rejected_total = 0
        self.clamped_total = 0
        self.held_total = 0
        self.dynamically_infeasible_total = 0  # frames the feet cannot carry (if counted)
        self.repaired_total = 0
        self.longest_hold_frames = 0  # longest run of held frames within one chunk
        self.chunks_total = 0
        self.last_compute_s = 0.0

    # -- bookkeeping -------------------------------------------------------------------------

    def progress(self, command_id: str) -> CommandProgress | None:
        with self._lock:
            return self._log.get(command_id)

    def drain_finished(self) -> list[CommandProgress]:
        """Commands that reached a final state since the last call, in acceptance order (for
        status reporting: replaced, dropped, cancelled and done ones alike)."""
        with self._lock:
            return self._log.drain_finished()

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

    def submit(
        self, command: Command, now_s: float, received_s: float | None = None
    ) -> CommandProgress:
        """Accept a checked command at ``now_s`` (s). Returns its progress record, whose
        ``trace`` follows it to its first trajectory from ``received_s`` (``time.monotonic()``
        when it arrived; default: now).

        Raises:
            CommandError: the id is in use by a live command, the command is stale, or the
                queue is full.
        """
        with self._lock:
            old = self._log.get(command.id)
            if old is not None and not old.is_final:
                raise CommandError(f"command id {command.id!r} is already queued or running")
            if self.queue.is_stale(command, now_s):
                raise CommandError(
                    f"the command is stale: issued {now_s - command.stamp_s:.1f} s ago, the "
                    f"limit is {self.limits.max_age_s:g} s (parameter max_age_s)"
                )
            progress = CommandProgress(command, fps=self.engine.fps, accepted_s=now_s)
            progress.trace = FirstChunkTrace.now(received_s)
            progress.frames_total = max(1, int(round(command.duration_s * self.engine.fps)))
            if command.mode == "replace":
                for dropped in self.queue.clear():
                    self._log[dropped.id].finish("cancelled", f"replaced by {command.id}")
                if self.current is not None:
                    self.current.finish("cancelled", f"replaced by {command.id}")
                self._generation += 1
                self.current = progress
                progress.state = "generating"
                progress.took_over = self._splice(now_s, f"replaced by {command.id}")
            elif self.current is None and not len(self.queue):
                self.current = progress
                progress.state = "generating"
            else:
                self.queue.push(command)
            self._log.add(progress, self.config.history)
            return progress

    def cancel(self, command_id: str, now_s: float, reason: str = "cancelled") -> np.ndarray | None:
        """Cancel one command; the queue behind it goes on. A command whose frames are playing
        stops at the frame due at ``now_s``: returns that hold configuration (nq,); a command
        already generated behind it is cancelled with it (its frames continue from the
        cancelled one's). Otherwise (queued, or nothing of it due yet) None."""
        with self._lock:
            p = self._log.get(command_id)
            if p is None or p.is_final:
                return None
            if self.queue.remove(command_id) is not None:
                p.finish("cancelled", reason)
                return None
            if not self._timeline.has_started(command_id, now_s):
                self._drop_unstarted(p, reason)
                return None
            return self._stop(now_s, reason, self._live())

    def hold(self, now_s: float, reason: str = "hold") -> np.ndarray | None:
        """Stop everything at the frame due at ``now_s``: every command (queued ones too) is
        cancelled. Returns the hold configuration (nq,), or None when nothing ever played."""
        with self._lock:
            for cmd in self.queue.clear():
                self._log[cmd.id].finish("cancelled", reason)
            return self._stop(now_s, reason, self._live())

    def _live(self) -> list[CommandProgress]:
        """The commands with frames on the timeline or being generated."""
        return [*self.playing, *([self.current] if self.current else [])]

    def _splice(self, now_s: float, reason: str) -> bool:
        """Make room for a replacing command: the frames planned after ``now_s +
        replace_after_s`` are dropped (the commands that owned them end as cancelled), and the
        engine continues from the frame due then. The trajectory published next replaces the
        controller's plan from that frame on. Whether frames were cut."""
        if self.config.replace_after_s < 0:
            return False
        cut_s = now_s + self.config.replace_after_s
        end = self._timeline.end_s
        if end is None or end <= cut_s:
            return False
        self._timeline.cut_at(cut_s)
        for p in [p for p in self.playing if p.end_s is None or p.end_s > cut_s]:
            p.finish("cancelled", reason)
            self.playing.remove(p)
        if self._timeline.last_q is not None:
            self.engine.rebase(self._timeline.last_q)
        return True

    def _drop_unstarted(self, p: CommandProgress, reason: str) -> None:
        """Cancel ``p``, nothing of which is due yet: drop its frames, the timeline ends
        before them, and the engine continues from the new end."""
        self._generation += 1
        self._timeline.drop_command(p.command.id)
        if self.current is p:
            self.current = None
        if p in self.playing:
            self.playing.remove(p)
        p.finish("cancelled", reason)
        if self._timeline.last_q is not None:
            self.engine.rebase(self._timeline.last_q)

    def _stop(self, now_s: float, reason: str, stopped: list[CommandProgress]) -> np.ndarray | None:
        """Cancel ``stopped`` and cut the timeline at the frame due at ``now_s``; returns that
        frame (nq,), from which the engine continues, or None when nothing was buffered."""
        for p in stopped:
            p.finish("cancelled", reason)
        self.playing = []
        self.current = None
        self._generation += 1
        frame = self.frame_at(now_s)
        if frame is None:
            return None
        hold_q = frame[0].copy()
        self._timeline.cut_at(now_s)
        self.engine.rebase(hold_q)
        return hold_q

    # -- generation ------------------------------------------------------------------------

    def buffered_until(self) -> float | None:
        """Due time of the last buffered frame (s; None when empty)."""
        with self._lock:
            return self._timeline.end_s

    def _advance(self, now_s: float) -> None:
        """Finish commands that have played out; promote the next queued command as soon as
        the current one is fully generated."""
        for p in list(self.playing):
            if p.end_s is not None and now_s >= p.end_s:
                p.finish("done")
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
                self.current = self._log[nxt.id]
                self.current.state = "generating"
        # Forget chunks that have fully played (keep the last one for holding).
        self._timeline.forget_played(now_s)

    def needs_chunk(self, now_s: float) -> bool:
        """Whether a chunk is due at ``now_s``: a command is being generated and less than
        ``lead_s`` of motion is buffered ahead (advances the commands first)."""
        with self._lock:
            self._advance(now_s)
            if self.current is None:
                return False
            end = self.buffered_until()
            return end is None or end - now_s < self.config.lead_s

    def step(self, now_s: float) -> TimedChunk | None:
        """Generate one chunk if one is due at ``now_s``; returns it placed on the timeline,
        or None. The engine runs outside the lock, so commands are taken meanwhile."""
        with self._lock:
            if not self.needs_chunk(now_s):
                return None
            plan = self._plan_chunk()
        t0 = time.perf_counter()
        try:
            chunk = self.engine.next_chunk(
                plan.text,
                seed=plan.seed,
                max_frames=plan.max_frames,
                max_root_speed_m_s=plan.max_root_speed_m_s,
                tokens=plan.tokens,
                history_tokens=plan.history_tokens,
            )
        except Exception as exc:  # noqa: BLE001 - reported on the command, never raised to the node
            with self._lock:
                plan.progress.finish("error", f"generation failed: {type(exc).__name__}: {exc}")
                if self.current is plan.progress:
                    self.current = None
            return None
        with self._lock:
            after = self.clock() if self.clock is not None else now_s + (time.perf_counter() - t0)
            return self._place(plan, chunk, after)

    def _plan_chunk(self) -> _ChunkPlan:
        """The next chunk of the current command: its text, seed and length (frames left of
        the command, or of its current segment so the next part starts on time)."""
        p, cfg = self.current, self.config
        assert p is not None
        remaining = p.frames_total - p.frames_streamed
        first = p.first_chunk_s is None
        if first and p.trace is not None:
            p.trace.started = time.monotonic()
        text, segment_left = p.command.segment_at(p.frames_streamed, self.engine.fps)
        if segment_left is not None:  # a compound command: the next part starts on time
            remaining = min(remaining, segment_left)
        return _ChunkPlan(
            progress=p,
            generation=self._generation,
            first=first,
            text=text,
            seed=p.command.seed if first else None,
            max_frames=remaining,
            max_root_speed_m_s=p.command.speed_limit_at(p.frames_streamed, self.engine.fps),
            tokens=cfg.first_chunk_tokens if first and cfg.first_chunk_tokens else None,
            history_tokens=(
                cfg.replace_history_tokens
                if first and p.took_over and cfg.replace_history_tokens >= 0
                else None
            ),
        )

    def _place(self, plan: _ChunkPlan, chunk: RobotChunk, ready_s: float) -> TimedChunk | None:
        """Put ``chunk``, ready at ``ready_s``, on the timeline and count it; None (and the
        engine back on the timeline's end) when a replace or cancel came meanwhile."""
        p = plan.progress
        if plan.generation != self._generation or self.current is not p:
            # Replaced or cancelled meanwhile: nothing is sent, and the engine goes back
            # to what is actually on the timeline.
            if self._timeline.last_q is not None:
                self.engine.rebase(self._timeline.last_q)
            return None
        tc = self._timeline.place(
            chunk, ready_s, self.config.start_delay_s, p.command.id, plan.first, plan.generation
        )
        p.add_chunk(chunk)
        self._count(chunk)
        if plan.first:
            p.first_chunk_s = ready_s
            if p.trace is not None:
                p.trace.stamp_ready(chunk)
        p.state = "streaming"
        if p.fully_generated:
            p.end_s = tc.end_s
        return tc

    def _count(self, chunk: RobotChunk) -> None:
        """Add a placed chunk to the controller's totals (diagnostics)."""
        self.rejected_total += chunk.rejected
        self.clamped_total += chunk.clamped
        self.held_total += chunk.held
        self.dynamically_infeasible_total += chunk.dynamically_infeasible
        self.repaired_total += chunk.repaired
        self.longest_hold_frames = max(self.longest_hold_frames, chunk.longest_hold)
        self.chunks_total += 1
        self.last_compute_s = chunk.compute_s

    # -- playback ----------------------------------------------------------------------------

    def horizon(self, from_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every buffered frame due at or after ``from_s``: (times (N,) s, qpos (N, nq), joint
        velocities (N, n) rad/s), N may be 0."""
        with self._lock:
            return self._timeline.horizon(
                from_s, self.engine.robot.nq, len(self.engine.joint_names)
            )

    def frame_at(self, now_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(qpos (nq,), joint velocities (n,) rad/s, root velocity (3,) m/s) due at ``now_s``;
        the last frame (at rest) after the buffer ends; None before anything was generated."""
        with self._lock:
            return self._timeline.frame_at(now_s)

    def human_at(self, now_s: float) -> tuple[np.ndarray, np.ndarray] | None:
        """(human joint positions (J, 3) m, parents (J,)) of the generated skeleton due at
        ``now_s`` (the last one after the buffer ends); None when unknown."""
        with self._lock:
            return self._timeline.human_at(now_s)

    def buffered_ahead_s(self, now_s: float) -> float:
        """Seconds of motion buffered beyond ``now_s`` (0 when none)."""
        end = self.buffered_until()
        return 0.0 if end is None else max(0.0, end - now_s)


__all__ = ["ControllerConfig", "MotionController"]
