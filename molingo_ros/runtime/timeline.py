"""The playback buffer: generated chunks placed at due times. No ROS imports; not
thread-safe on its own (the controller's lock guards it).

A :class:`TimedChunk` is a :class:`~molingo_ros.runtime.engine.RobotChunk` whose frame ``i``
is due at ``start_s + i / fps``. The :class:`Timeline` keeps them in due order, each new one
right after the last buffered frame (or a start delay after it was ready, when the buffer has
run out), and answers what is due when: the frame at a time, the planned future from a time,
and the generated human skeleton at a time. Times are seconds on the controller's clock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from molingo_ros.runtime.engine import RobotChunk

_EPS_S = 1e-9
"""Tolerance on due times (s): a frame due within it of a time counts as due then."""


@dataclass
class TimedChunk:
    """A chunk placed on the timeline: frame ``i`` is due at ``start_s + i / chunk.fps``.

    Attributes:
        chunk: the robot frames.
        start_s: due time of its first frame (s, controller clock).
        command_id: the command it was generated for.
        first: the first chunk of its command.
        generation: the controller's generation when it was made (a replace, cancel or hold
            starts a new one; chunks of older generations are obsolete).
    """

    chunk: RobotChunk
    start_s: float
    command_id: str
    first: bool  # the first chunk of its command
    generation: int = 0

    @property
    def end_s(self) -> float:
        """Due time of the last frame (s)."""
        return self.start_s + (self.chunk.frames - 1) / self.chunk.fps

    def times(self) -> np.ndarray:
        """Due time of every frame (frames,), s."""
        return self.start_s + np.arange(self.chunk.frames) / self.chunk.fps

    def index_at(self, now_s: float) -> int:
        """Index of the frame due at ``now_s`` (may be past the last frame; negative before
        the first)."""
        return int(np.floor((now_s - self.start_s) * self.chunk.fps + _EPS_S))


class Timeline:
    """Timed chunks in due order, contiguous unless the buffer ran out between them."""

    def __init__(self) -> None:
        self.chunks: deque[TimedChunk] = deque()

    def __len__(self) -> int:
        return len(self.chunks)

    def __iter__(self):
        return iter(self.chunks)

    @property
    def end_s(self) -> float | None:
        """Due time of the last buffered frame (s; None when empty)."""
        return self.chunks[-1].end_s if self.chunks else None

    @property
    def last_q(self) -> np.ndarray | None:
        """The last buffered configuration (nq,), or None when empty (not a copy)."""
        return self.chunks[-1].chunk.qpos[-1] if self.chunks else None

    def place(
        self,
        chunk: RobotChunk,
        ready_s: float,
        start_delay_s: float,
        command_id: str,
        first: bool,
        generation: int,
    ) -> TimedChunk:
        """Append ``chunk`` right after the last buffered frame, or ``start_delay_s`` after
        ``ready_s`` (when it was generated) when the buffer has run out by then; returns it
        placed."""
        end = self.end_s
        fps = chunk.fps
        if end is None or end + 1.0 / fps < ready_s + start_delay_s:
            start = ready_s + start_delay_s  # (re)start: the buffer ran out
        else:
            start = end + 1.0 / fps
        tc = TimedChunk(chunk, start, command_id, first, generation)
        self.chunks.append(tc)
        return tc

    def has_started(self, command_id: str, now_s: float) -> bool:
        """Whether a frame of ``command_id`` is due at or before ``now_s``."""
        return any(tc.command_id == command_id and tc.start_s <= now_s for tc in self.chunks)

    def drop_command(self, command_id: str) -> None:
        """Remove every chunk of ``command_id``."""
        self.chunks = deque(tc for tc in self.chunks if tc.command_id != command_id)

    def cut_at(self, now_s: float) -> None:
        """Keep only the frames due up to ``now_s``: chunks starting later are dropped, the
        one playing is shortened to end at the frame due now."""
        kept: deque[TimedChunk] = deque()
        for tc in self.chunks:
            if tc.start_s <= now_s:
                tc.chunk = tc.chunk.head(min(tc.chunk.frames, tc.index_at(now_s) + 1))
                kept.append(tc)
        self.chunks = kept

    def forget_played(self, now_s: float, keep_s: float = 1.0) -> None:
        """Drop chunks whose last frame was due more than ``keep_s`` before ``now_s`` (the
        last chunk always stays, for holding)."""
        while len(self.chunks) > 1 and self.chunks[0].end_s < now_s - keep_s:
            self.chunks.popleft()

    def horizon(
        self, from_s: float, nq: int, n_joints: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every buffered frame due at or after ``from_s``: (times (N,) s, qpos (N, nq),
        joint velocities (N, n_joints) rad/s); N may be 0."""
        times, qs, vs = [], [], []
        for tc in self.chunks:
            t = tc.times()
            keep = t >= from_s - _EPS_S
            if keep.any():
                times.append(t[keep])
                qs.append(tc.chunk.qpos[keep])
                vs.append(tc.chunk.joint_velocities[keep])
        if not times:
            return np.zeros(0), np.zeros((0, nq)), np.zeros((0, n_joints))
        return np.concatenate(times), np.concatenate(qs), np.concatenate(vs)

    def frame_at(self, now_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(qpos (nq,), joint velocities (n,) rad/s, root velocity (3,) m/s world) due at
        ``now_s``; at rest (zero velocities) on the last frame after the buffer ends and on
        the first before it starts; None when empty."""
        if not self.chunks:
            return None
        for tc in reversed(self.chunks):
            if tc.start_s <= now_s + _EPS_S:
                c = tc.chunk
                i = tc.index_at(now_s)
                if i >= c.frames:
                    return c.qpos[-1], np.zeros_like(c.joint_velocities[-1]), np.zeros(3)
                return c.qpos[i], c.joint_velocities[i], c.root_velocity[i]
        c = self.chunks[0].chunk
        return c.qpos[0], np.zeros_like(c.joint_velocities[0]), np.zeros(3)

    def human_at(self, now_s: float) -> tuple[np.ndarray, np.ndarray] | None:
        """(human joint positions (J, 3) m world, parents (J,)) of the generated skeleton due
        at ``now_s`` (the last one after its chunk ends); None when unknown."""
        for tc in reversed(self.chunks):
            c = tc.chunk
            if tc.start_s <= now_s + _EPS_S and c.human_positions_m is not None:
                i = min(tc.index_at(now_s), c.frames - 1)
                return c.human_positions_m[i], c.human_parents
        return None


__all__ = ["TimedChunk", "Timeline"]
