"""Per-motion constants of the human (:class:`HumanCalibration`), estimated once from its
keypoint tracks (:func:`calibrate`) so that every frame is mapped the same way: the leg-length
scale, the ankle height when standing and the pitch of a flat foot.

Conventions: metres, radians; keypoint tracks from
:func:`~molingo_ros.robot.human_keypoints.human_keypoints` (keypoint -> (T, 3), z up, floor at
z = 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from molingo_ros.robot.human_keypoints import foot_pitch, horizontal_speed, pelvis_heading
from molingo_ros.robot.robot_rest import RobotRest
from molingo_ros.robot.target_config import TargetConfig, TargetError

__all__ = [
    "HumanCalibration",
    "calibrate",
    "estimate_flat_foot_pitch",
    "estimate_stance_ankle_height",
    "human_leg_length",
]


@dataclass(frozen=True)
class HumanCalibration:
    """Per-motion constants of the human, estimated once (batch: the whole clip; streaming:
    the first chunk) or given by the caller, so that every frame is mapped the same way.

    Attributes:
        scale: robot leg length / human leg length (root translation and swing clearance).
        stance_ankle_height_m: human ankle height above the floor when standing, metres.
        flat_foot_pitch_rad: pitch of the human ankle -> toe line when the foot is flat (rad,
            positive = toe below ankle); 0 for rigs without toes.
    """

    scale: float
    stance_ankle_height_m: float
    flat_foot_pitch_rad: float


def _stance_mask(h: Mapping[str, np.ndarray], fps: float, speed: float) -> np.ndarray:
    """(T, 2) bool: foot is the lower one and its ankle moves slower than ``speed``."""
    zl, zr = h["left_foot"][:, 2], h["right_foot"][:, 2]
    slow_l = horizontal_speed(h["left_foot"], fps) < speed
    slow_r = horizontal_speed(h["right_foot"], fps) < speed
    return np.stack([slow_l & (zl <= zr), slow_r & (zr < zl)], axis=1)


def estimate_stance_ankle_height(
    h: Mapping[str, np.ndarray], fps: float, config: TargetConfig | None = None
) -> float:
    """Human ankle height above the floor when standing, metres: the median height of the
    lower ankle over frames where it is (nearly) still; the lowest ankle height if the motion
    never stands still. ``config``: thresholds (default :class:`TargetConfig`)."""
    config = config or TargetConfig()
    stance = _stance_mask(h, fps, config.stance_speed_m_s)
    heights = np.concatenate([h["left_foot"][stance[:, 0], 2], h["right_foot"][stance[:, 1], 2]])
    if heights.size >= 3:
        return float(np.median(heights))
    return float(min(h["left_foot"][:, 2].min(), h["right_foot"][:, 2].min()))


def estimate_flat_foot_pitch(
    h: Mapping[str, np.ndarray], fps: float, config: TargetConfig | None = None
) -> float:
    """Pitch (rad, toe below ankle positive) of the human ankle -> toe line when the foot is
    flat on the floor: its median over standing frames. 0 without toe joints. ``config``:
    thresholds (default :class:`TargetConfig`)."""
    config = config or TargetConfig()
    if "left_toe" not in h or "right_toe" not in h:
        return 0.0
    stance = _stance_mask(h, fps, config.stance_speed_m_s)
    heading = pelvis_heading(h)
    left = foot_pitch(h["left_foot"], h["left_toe"], heading)
    right = foot_pitch(h["right_foot"], h["right_toe"], heading)
    pitches = np.concatenate([left[stance[:, 0]], right[stance[:, 1]]])
    if pitches.size >= 3:
        return float(np.median(pitches))
    return float(np.median(np.concatenate([left, right])))


def human_leg_length(h: Mapping[str, np.ndarray]) -> float:
    """Mean hip -> knee -> ankle length of the human over both legs and all frames, metres."""
    total = 0.0
    for side in ("left", "right"):
        thigh = np.linalg.norm(h[f"{side}_knee"] - h[f"{side}_hip"], axis=1)
        shin = np.linalg.norm(h[f"{side}_foot"] - h[f"{side}_knee"], axis=1)
        total += float(np.median(thigh) + np.median(shin))
    return total / 2.0


def calibrate(
    h: Mapping[str, np.ndarray],
    fps: float,
    rest: RobotRest,
    config: TargetConfig | None = None,
) -> HumanCalibration:
    """Estimate the per-motion constants from human keypoints ``h`` (see
    :class:`HumanCalibration`); ``rest``: the robot's neutral measurements (its leg length),
    ``config``: thresholds (default :class:`TargetConfig`).

    Raises:
        TargetError: the human leg length is (near) zero, i.e. the mapping is wrong.
    """
    config = config or TargetConfig()
    leg = human_leg_length(h)
    if not leg > 1e-3:
        raise TargetError(f"human leg length is {leg:.4f} m; the hip/knee/foot mapping is wrong")
    return HumanCalibration(
        scale=rest.leg_length_m / leg,
        stance_ankle_height_m=estimate_stance_ankle_height(h, fps, config),
        flat_foot_pitch_rad=estimate_flat_foot_pitch(h, fps, config),
    )
