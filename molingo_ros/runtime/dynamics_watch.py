"""Counting the streamed frames whose feet cannot carry them (:mod:`molingo_ros.robot.dynamics`:
ZMP outside the stance soles, friction, pulling, non-ballistic flight), chunk by chunk, for the
node's diagnostics (``safety.check_dynamics``). The frames are counted, not held: retargeted
walking fails the check in most frames (docs/DYNAMICS.md), so holding them would stop it."""

from __future__ import annotations

import numpy as np

from molingo_ros.robot.dynamics import DynamicsConfig, check_dynamics
from molingo_ros.robot.models import Robot

CONTEXT_FRAMES = 8
"""Earlier frames a chunk is judged with (its velocities and accelerations need them)."""


class DynamicsWatch:
    """The dynamically infeasible frames of a stream of chunks of ``robot`` at ``fps``."""

    def __init__(self, robot: Robot, fps: float, config: DynamicsConfig | None = None) -> None:
        if not robot.spec.floating_base:
            raise ValueError(f"{robot.name} has no floating base: nothing to check")
        self.robot, self.fps = robot, float(fps)
        self.config = config or DynamicsConfig()
        self._recent: np.ndarray | None = None

    def restart(self, q_last: np.ndarray | None = None) -> None:
        """The next chunk follows ``q_last`` (nq,), the last frame sent (None: nothing)."""
        self._recent = None if q_last is None else np.asarray(q_last, np.float64)[None].copy()

    def count(self, qpos: np.ndarray) -> int:
        """Infeasible frames of ``qpos`` (T, nq), the frames sent after the last call's."""
        q = np.asarray(qpos, dtype=np.float64)
        frames = q if self._recent is None else np.concatenate([self._recent, q])
        self._recent = frames[-CONTEXT_FRAMES:].copy()
        if len(frames) < 3:
            return 0
        report = check_dynamics(self.robot, frames, self.fps, self.config)
        return int((~report.feasible[-len(q) :]).sum())


__all__ = ["CONTEXT_FRAMES", "DynamicsWatch"]
