"""Per-frame constraints the retargeter applies to an IK solution after filtering: a joint
velocity limit (each joint moves at most a given step from the previous output frame) and
ground contact (the root shifted vertically so no sole sinks into the floor and the soles of
feet the human stands on touch it).

Conventions: metres, radians, z up, floor at z = 0; ``q`` is one configuration
``[root xyz, root quaternion x y z w, joint angles]``.
"""

from __future__ import annotations

import numpy as np

from molingo_ros.robot.models import Robot

__all__ = ["limit_joint_step", "place_on_floor"]


def limit_joint_step(
    q: np.ndarray,
    previous: np.ndarray | None,
    joint_q_indices: np.ndarray,
    max_step: np.ndarray,
) -> np.ndarray:
    """Clip the joint angles of ``q`` (in place) to at most ``max_step`` (rad, one per joint)
    from those of ``previous`` (the last output configuration; None: no limit). Returns
    ``q``."""
    if previous is not None:
        idx, prev = joint_q_indices, previous[joint_q_indices]
        q[idx] = np.clip(q[idx], prev - max_step, prev + max_step)
    return q


def place_on_floor(
    robot: Robot, q: np.ndarray, contacts: np.ndarray, tolerance_m: float
) -> np.ndarray:
    """``q`` with the root shifted vertically (a copy when it moves) so that the lowest sole
    of the feet in ``contacts`` ((2,) bool, left/right) is on the floor unless it is already
    within ``tolerance_m`` of it, and no sole is below the floor."""
    soles = robot.sole_positions(q)
    z = np.array([soles["left"][2], soles["right"][2]])
    shift = 0.0
    if contacts.any():
        floating = z[contacts].min()
        if abs(floating) > tolerance_m:
            shift = -floating
    shift = max(shift, -z.min())  # never below the floor
    if shift != 0.0:
        q = q.copy()
        q[2] += shift
    return q
