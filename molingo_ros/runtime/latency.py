"""Where a command's first-trajectory latency goes: time stamps along the path from the
command's arrival to its first chunk's publication, and the stages they give.

The stamps are ``time.monotonic()`` seconds taken in the node and the controller; the chunk's
own compute times come from the engine (:class:`~molingo_ros.runtime.engine.RobotChunk`).
Stages (ms, in order):

- ``parse``: arrival -> accepted (decode, checks, parse + grounding of the words, submit);
- ``wait``: accepted -> its first chunk's generation starts (the generation thread's poll,
  or a chunk of an earlier command still being generated);
- ``text``: encoding the command's caption (MiniLM) for the generator;
- ``generate``: sampling the first window and decoding it (SAE);
- ``retarget``: human -> robot frames (first-frame IK included);
- ``validate``: the safety filter (limits, speeds, self-collision, floor);
- ``place``: the rest until the chunk is on the timeline (velocities, bookkeeping, lock);
- ``publish``: building and publishing the trajectory (and recording it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from molingo_ros.runtime.engine import RobotChunk

STAGES = ("parse", "wait", "text", "generate", "retarget", "validate", "place", "publish")


@dataclass
class FirstChunkTrace:
    """Time stamps (``time.monotonic()`` s) of one command's way to its first trajectory and
    the first chunk's compute times (s). Unknown stamps are None."""

    received: float
    accepted: float | None = None
    started: float | None = None
    ready: float | None = None
    published: float | None = None
    text_s: float = 0.0
    generate_s: float = 0.0
    retarget_s: float = 0.0
    validate_s: float = 0.0

    @classmethod
    def now(cls, received: float | None = None) -> FirstChunkTrace:
        """A trace accepted now, received at ``received`` (default: now)."""
        t = time.monotonic()
        return cls(received=t if received is None else received, accepted=t)

    @property
    def complete(self) -> bool:
        """Every stamp is known (the first chunk was published)."""
        return None not in (self.accepted, self.started, self.ready, self.published)

    def stamp_ready(self, chunk: RobotChunk) -> None:
        """The first chunk is on the timeline now: its stamp and its compute times."""
        self.ready = time.monotonic()
        self.text_s, self.generate_s = chunk.text_s, chunk.generate_s
        self.retarget_s, self.validate_s = chunk.retarget_s, chunk.validate_s

    def stages_ms(self) -> dict[str, float]:
        """Milliseconds per stage (:data:`STAGES`) and ``total``; empty until complete."""
        if not self.complete:
            return {}
        compute = self.text_s + self.generate_s + self.retarget_s + self.validate_s
        out = {
            "parse": self.accepted - self.received,
            "wait": self.started - self.accepted,
            "text": self.text_s,
            "generate": self.generate_s,
            "retarget": self.retarget_s,
            "validate": self.validate_s,
            "place": max(0.0, self.ready - self.started - compute),
            "publish": self.published - self.ready,
            "total": self.published - self.received,
        }
        return {k: 1000.0 * v for k, v in out.items()}

    def summary(self) -> str:
        """One line: the total and each stage in ms ("" until complete)."""
        ms = self.stages_ms()
        if not ms:
            return ""
        parts = " + ".join(f"{name} {ms[name]:.1f}" for name in STAGES)
        return f"{ms['total']:.1f} ms = {parts}"


__all__ = ["STAGES", "FirstChunkTrace"]
