"""What the target builder needs from the robot: keypoint positions, orientations and limb
segment lengths at :meth:`Robot.neutral() <molingo_ros.robot.models.Robot.neutral>`
(:class:`RobotRest`).

Conventions: metres, world frame at the neutral pose (sole on the floor, facing +x, z up);
rotation matrices have the frame's axes as columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from molingo_ros.robot.models import Robot
from molingo_ros.robot.target_config import KEYPOINT_CHAIN

__all__ = ["RobotRest"]


@dataclass(frozen=True)
class RobotRest:
    """What the target builder needs from the robot, measured at :meth:`Robot.neutral`.

    Attributes:
        positions: keypoint -> neutral position (metres, sole on the floor, facing +x).
        rotations: keypoint -> neutral orientation.
        lengths: limb keypoint -> distance to its chain parent, metres.
        leg_length_m: mean of hip->knee->foot over both legs.
    """

    positions: Mapping[str, np.ndarray]
    rotations: Mapping[str, np.ndarray]
    lengths: Mapping[str, float]
    leg_length_m: float

    @staticmethod
    def of(robot: Robot) -> RobotRest:
        """Measure ``robot`` at its neutral pose (limb lengths along
        :data:`~molingo_ros.robot.target_config.KEYPOINT_CHAIN`)."""
        placements = robot.frame_placements(robot.neutral())
        pos = {k: p for k, (p, _) in placements.items()}
        rot = {k: r for k, (_, r) in placements.items()}
        lengths = {
            k: float(np.linalg.norm(pos[k] - pos[parent]))
            for k, (parent, kind) in KEYPOINT_CHAIN.items()
            if kind == "limb"
        }
        leg = 0.5 * sum(lengths[f"{s}_knee"] + lengths[f"{s}_foot"] for s in ("left", "right"))
        return RobotRest(pos, rot, lengths, float(leg))
