"""The reference a physics controller follows: a motion as a function of time, its velocity
and acceleration, and which feet stand on the floor. No ROS.

A motion is any callable ``t (s) -> q`` (configuration, project order: root x y z, quaternion
x y z w, joint angles; world z up, floor at z = 0): :class:`FramesMotion` for an array of
frames at a rate, the simulator node's trajectory timeline for a live stream. Velocities and
accelerations are central differences on the configuration manifold over ``h`` seconds
(pinocchio's convention: root velocities in the root frame).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pinocchio as pin

from molingo_ros.robot.models import Robot

Motion = Callable[[float], np.ndarray]
SIDES = ("left", "right")


@dataclass
class ReferenceState:
    """A reference: configuration ``q`` (nq, project order), velocity ``v`` and acceleration
    ``a`` (nv, pinocchio's convention), and which feet are in stance (left, right)."""

    q: np.ndarray
    v: np.ndarray
    a: np.ndarray
    stance: tuple[bool, bool] = (True, True)


def joint_groups(robot: Robot) -> dict[str, np.ndarray]:
    """Joint indices (into ``robot.joint_names``) of the ``legs`` (hip, knee, ankle), the
    ``waist`` (waist, torso, trunk) and the ``upper`` body (the rest: arms, head)."""
    groups: dict[str, list[int]] = {"legs": [], "waist": [], "upper": []}
    for i, name in enumerate(robot.joint_names):
        low = name.lower()
        if any(k in low for k in ("hip", "knee", "ankle")):
            groups["legs"].append(i)
        elif any(k in low for k in ("waist", "torso", "trunk")):
            groups["waist"].append(i)
        else:
            groups["upper"].append(i)
    return {k: np.asarray(v, dtype=np.int64) for k, v in groups.items()}


class FramesMotion:
    """Frames ``qpos`` (T, nq) at ``fps``, as a function of time: interpolated on the
    configuration manifold between frames, held before the first and after the last."""

    def __init__(self, robot: Robot, qpos: np.ndarray, fps: float) -> None:
        q = np.asarray(qpos, dtype=np.float64)
        if q.ndim != 2 or q.shape[1] != robot.nq or len(q) < 2:
            raise ValueError(f"qpos must be (T >= 2, {robot.nq}), got {q.shape}")
        if not fps > 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.model = robot.model
        self.qpos = q
        self.fps = float(fps)

    @property
    def duration_s(self) -> float:
        return (len(self.qpos) - 1) / self.fps

    def __call__(self, t: float) -> np.ndarray:
        x = float(np.clip(t * self.fps, 0.0, len(self.qpos) - 1))
        k = min(int(x), len(self.qpos) - 2)
        return pin.interpolate(self.model, self.qpos[k], self.qpos[k + 1], x - k)


@dataclass(frozen=True)
class StanceConfig:
    """When a reference foot stands: its sole within ``contact_height_m`` of the floor, however
    fast it slides (a controller cannot slide a loaded foot: a sliding reference foot stays
    planted); a real foot takes the floor again only once its sole is within
    ``touchdown_height_m``."""

    contact_height_m: float = 0.03
    touchdown_height_m: float = 0.015


def reference_state(robot: Robot, motion: Motion, t: float, h: float) -> ReferenceState:
    """The reference at ``t``: q, and v and a by central differences over ``h`` seconds; the
    stance of each foot by :class:`StanceConfig`'s defaults (see :class:`StanceTracker`)."""
    model = robot.model
    q_prev, q, q_next = motion(t - h), motion(t), motion(t + h)
    back = pin.difference(model, q_prev, q) / h
    ahead = pin.difference(model, q, q_next) / h
    return ReferenceState(q=q, v=0.5 * (back + ahead), a=(ahead - back) / h)


class StanceTracker:
    """Which feet the controller treats as standing: those the reference puts on the floor,
    once the real foot is down; never neither (the lower real sole stands then)."""

    def __init__(self, robot: Robot, config: StanceConfig | None = None) -> None:
        self.robot = robot
        self.cfg = config or StanceConfig()
        self.stance = [True, True]

    def reference_stance(self, ref: ReferenceState) -> list[bool]:
        """Per foot (left, right): does the reference stand on it at this instant?"""
        soles = self.robot.sole_positions(ref.q)
        return [bool(soles[side][2] <= self.cfg.contact_height_m) for side in SIDES]

    def update(self, ref: ReferenceState, q_real: np.ndarray) -> tuple[bool, bool]:
        """The stance to control with, given the reference and the real configuration."""
        want = self.reference_stance(ref)
        real = self.robot.sole_positions(q_real)
        heights = [real[side][2] for side in SIDES]
        for s in range(2):
            if not want[s]:
                self.stance[s] = False
            elif not self.stance[s] and heights[s] <= self.cfg.touchdown_height_m:
                self.stance[s] = True
        if not any(self.stance):
            self.stance[int(np.argmin(heights))] = True
        return (self.stance[0], self.stance[1])


__all__ = [
    "SIDES",
    "FramesMotion",
    "Motion",
    "ReferenceState",
    "StanceConfig",
    "StanceTracker",
    "joint_groups",
    "reference_state",
]
