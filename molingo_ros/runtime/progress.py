"""What happened to each command: its progress record and the bounded log of them. No ROS
imports; not thread-safe on its own (the controller's lock guards the log).

A :class:`CommandProgress` goes ``queued`` -> ``generating`` -> ``streaming`` -> one of the
final states (``done``, ``cancelled``, ``error``); its counters only grow, so readers may look
at it without a lock. :class:`ProgressLog` remembers the records by command id, in acceptance
order, and forgets the oldest reported ones beyond ``history``.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from molingo_ros.runtime.commands import Command
from molingo_ros.runtime.engine import RobotChunk
from molingo_ros.runtime.latency import FirstChunkTrace

STATES = ("queued", "generating", "streaming", "done", "cancelled", "error")
FINAL_STATES = ("done", "cancelled", "error")


@dataclass
class CommandProgress:
    """What happened to one command (fields only grow; read without the lock).

    Times (``accepted_s``, ``first_chunk_s``, ``end_s``) are seconds on the controller's
    clock; ``generate_s`` is wall-clock compute seconds.
    """

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
    trace: FirstChunkTrace | None = None  # arrival -> first trajectory published
    took_over: bool = False  # it replaced a motion mid-way (its frames were cut for it)
    finished: threading.Event = field(default_factory=threading.Event)
    reported: bool = False  # set by ProgressLog.drain_finished

    @property
    def realtime_factor(self) -> float:
        """Seconds of motion produced per second of compute (0 until known)."""
        return self.frames_streamed / self.fps / self.generate_s if self.generate_s > 0 else 0.0

    @property
    def latency_s(self) -> float:
        """From acceptance to its first chunk being ready to send (s; 0 until known)."""
        return 0.0 if self.first_chunk_s is None else self.first_chunk_s - self.accepted_s

    @property
    def fully_generated(self) -> bool:
        return self.frames_streamed >= self.frames_total

    @property
    def is_final(self) -> bool:
        """In one of :data:`FINAL_STATES` (nothing more happens to it)."""
        return self.state in FINAL_STATES

    def finish(self, state: str, error: str = "") -> None:
        """Enter the final ``state`` (with ``error`` as the reason) and set :attr:`finished`;
        a record already final keeps its first outcome."""
        if self.state in FINAL_STATES:
            return
        self.state = state
        self.error = error
        self.finished.set()

    def add_chunk(self, chunk: RobotChunk) -> None:
        """Count a chunk generated for this command: its frames, compute and safety
        outcomes."""
        self.frames_streamed += chunk.frames
        self.generate_s += chunk.compute_s
        self.rejected += chunk.rejected
        self.clamped += chunk.clamped
        self.held += chunk.held
        self.repaired += chunk.repaired


class ProgressLog:
    """Progress records by command id, in acceptance order.

    Beyond the ``history`` given to :meth:`add` the oldest records are forgotten, but only
    once they are final and reported (:meth:`drain_finished`), so no outcome is lost
    unreported.
    """

    def __init__(self) -> None:
        self._by_id: dict[str, CommandProgress] = {}
        self._order: deque[str] = deque()

    def get(self, command_id: str) -> CommandProgress | None:
        return self._by_id.get(command_id)

    def __getitem__(self, command_id: str) -> CommandProgress:
        return self._by_id[command_id]

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, progress: CommandProgress, history: int) -> None:
        """Remember ``progress`` (replacing a record of the same id), then forget the oldest
        final, reported records while more than ``history`` ids are in order."""
        self._by_id[progress.command.id] = progress
        self._order.append(progress.command.id)
        while len(self._order) > history:
            old = self._order.popleft()
            q = self._by_id.get(old)
            if q is not None and q.state in FINAL_STATES and q.reported:
                del self._by_id[old]
            elif q is not None:
                self._order.appendleft(old)
                break

    def drain_finished(self) -> list[CommandProgress]:
        """Records that reached a final state since the last call, in acceptance order (each
        is returned once, then marked ``reported``)."""
        out = [
            p
            for i in self._order
            if (p := self._by_id.get(i)) is not None and p.state in FINAL_STATES and not p.reported
        ]
        for p in out:
            p.reported = True
        return out


__all__ = ["FINAL_STATES", "STATES", "CommandProgress", "ProgressLog"]
