"""Joint-space checks of a motion: position limits, velocity limits and an acceleration limit,
from finite differences of the joint angles.

The velocity from frame ``t - 1`` to ``t`` counts against frame ``t``; the acceleration
``(q[t+1] - 2 q[t] + q[t-1]) fps^2`` is reported at index ``t - 1``. Units: radians, rad/s,
rad/s^2; ``q`` rows are ``[root xyz, root quaternion x y z w, joint angles]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from molingo_ros.robot.models import Robot


def backward_velocities(
    q: np.ndarray, prev: np.ndarray | None, joint_q_indices: np.ndarray, fps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Joint velocities (T, n) rad/s and root linear velocities (T, 3) m/s (world frame) of
    the frames ``q`` (T, nq) as backward differences at ``fps``: the first frame against
    ``prev`` (nq,), the frame before them; zero for the first frame when ``prev`` is None."""
    idx = joint_q_indices
    with_prev = q if prev is None else np.concatenate([prev[None], q])
    jv = np.diff(with_prev[:, idx], axis=0) * fps
    rv = np.diff(with_prev[:, :3], axis=0) * fps
    if prev is None:
        jv = np.concatenate([np.zeros((1, len(idx))), jv])
        rv = np.concatenate([np.zeros((1, 3)), rv])
    return jv, rv


__all__ = ["backward_velocities", "JointCheck", "check_joints", "violations_by_joint"]


@dataclass(frozen=True)
class JointCheck:
    """Result of :func:`check_joints` for T frames and n actuated joints.

    Attributes:
        position_bad: (T, n) bool, joint angle outside [lower - tol, upper + tol].
        velocity_bad: (T - 1, n) bool, |velocity| above the joint's limit (row ``t`` is the
            step from frame ``t`` to ``t + 1``).
        acceleration_bad: (T - 2, n) bool, |acceleration| above the limit.
        max_velocity_ratio: largest |velocity| / limit over all samples (0 for T < 2).
        max_acceleration_rad_s2: largest |acceleration|, rad/s^2 (0 for T < 3).
    """

    position_bad: np.ndarray
    velocity_bad: np.ndarray
    acceleration_bad: np.ndarray
    max_velocity_ratio: float
    max_acceleration_rad_s2: float

    def frame_ok(self) -> np.ndarray:
        """(T,) bool: no position violation in the frame and no velocity violation on the
        step into it. Acceleration does not reject frames."""
        ok = ~self.position_bad.any(axis=1)
        ok[1:] &= ~self.velocity_bad.any(axis=1)
        return ok


def check_joints(
    robot: Robot,
    q: np.ndarray,
    fps: float,
    position_tolerance_rad: float,
    acceleration_limit_rad_s2: float,
) -> JointCheck:
    """Check the joint angles of ``q`` (T, nq) against ``robot``'s limits.

    Args:
        robot: the robot (``lower``/``upper`` rad, ``velocity_limits`` rad/s).
        q: (T, nq) configurations, T >= 1.
        fps: frame rate, frames per second.
        position_tolerance_rad: an angle may exceed its limit by this much.
        acceleration_limit_rad_s2: one acceleration limit for all joints.
    """
    frames = q.shape[0]
    ang = q[:, robot.joint_q_indices]
    tol = position_tolerance_rad
    pos_bad = (ang < robot.lower - tol) | (ang > robot.upper + tol)
    vel = np.diff(ang, axis=0) * fps
    vel_bad = np.abs(vel) > robot.velocity_limits
    max_vel_ratio = float(np.max(np.abs(vel) / robot.velocity_limits)) if frames > 1 else 0.0
    acc = np.diff(ang, n=2, axis=0) * fps * fps
    acc_bad = np.abs(acc) > acceleration_limit_rad_s2
    max_acc = float(np.max(np.abs(acc))) if frames > 2 else 0.0
    return JointCheck(pos_bad, vel_bad, acc_bad, max_vel_ratio, max_acc)


def violations_by_joint(bad: np.ndarray, names: Sequence[str]) -> dict[str, int]:
    """Joint name -> number of bad samples in the (frames, n) ``bad`` mask, only joints with
    at least one."""
    counts = bad.sum(axis=0) if bad.size else np.zeros(len(names), dtype=int)
    return {names[j]: int(c) for j, c in enumerate(counts) if c}
