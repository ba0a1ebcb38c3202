"""The human side of retargeting: the human joint tracks a mapping names
(:func:`human_keypoints`) and what the target builder and the calibration measure on them
(horizontal speed, pelvis heading, foot pitch).

Conventions: metres, m/s, radians; world frame of :mod:`molingo_ros.motion.motion` (z up,
x forward, y left, floor at z = 0). A keypoint track is a (T, 3) array of positions.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from molingo_ros.motion.motion import Motion
from molingo_ros.robot.target_config import (
    OPTIONAL_HUMAN_KEYPOINTS,
    REQUIRED_HUMAN_KEYPOINTS,
    TargetError,
)

__all__ = ["foot_pitch", "horizontal_speed", "human_keypoints", "pelvis_heading"]


def human_keypoints(motion: Motion, mapping: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Human joint positions per keypoint: keypoint -> (T, 3) metres.

    Args:
        motion: the human motion.
        mapping: keypoint -> human joint name; must cover :data:`REQUIRED_HUMAN_KEYPOINTS`.

    Raises:
        TargetError: a keypoint is unmapped, a mapped joint is not in the motion (the message
            lists the motion's joints), or a position is NaN/inf (names frame and joint).
    """
    missing = [k for k in REQUIRED_HUMAN_KEYPOINTS if k not in mapping]
    if missing:
        raise TargetError(
            f"the human mapping lacks keypoints {missing}; it must map all of "
            f"{', '.join(REQUIRED_HUMAN_KEYPOINTS)} "
            f"(optional: {', '.join(OPTIONAL_HUMAN_KEYPOINTS)})"
        )
    names = list(motion.joint_names)
    out: dict[str, np.ndarray] = {}
    for key in (*REQUIRED_HUMAN_KEYPOINTS, *OPTIONAL_HUMAN_KEYPOINTS):
        if key not in mapping:
            continue
        joint = mapping[key]
        if joint not in names:
            raise TargetError(
                f"keypoint '{key}' maps to human joint '{joint}', which motion "
                f"'{motion.name or '?'}' lacks; its joints: {', '.join(names)}"
            )
        p = np.asarray(motion.positions_m[:, names.index(joint)], dtype=np.float64)
        bad = ~np.all(np.isfinite(p), axis=1)
        if bad.any():
            t = int(np.flatnonzero(bad)[0])
            raise TargetError(
                f"motion '{motion.name or '?'}': joint '{joint}' has a NaN/inf position in "
                f"frame {t} ({int(bad.sum())} bad frame(s)); positions must be finite metres"
            )
        out[key] = p
    return out


def horizontal_speed(p: np.ndarray, fps: float) -> np.ndarray:
    """(T,) horizontal speed of a (T, 3) track, m/s: backward differences (causal, so a
    frame's value never depends on later frames); frame 0 copies frame 1."""
    if len(p) < 2:
        return np.zeros(len(p))
    v = np.linalg.norm(np.diff(p[:, :2], axis=0), axis=1) * fps
    return np.concatenate([v[:1], v])


def pelvis_heading(h: Mapping[str, np.ndarray]) -> np.ndarray:
    """(T,) yaw of the human pelvis (rad, 0 = facing +x): normal of the hip line."""
    lat = h["left_hip"] - h["right_hip"]
    return np.arctan2(-lat[:, 0], lat[:, 1])


def foot_pitch(ankle: np.ndarray, toe: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """(T,) pitch of the ankle -> toe line in the vertical plane of ``heading`` (rad, toe
    below ankle positive). Continuous through vertical (a raised heel at toe-off can tip
    the line past 90 degrees, where a yaw taken from the line itself would flip)."""
    d = toe - ankle
    ahead = d[:, 0] * np.cos(heading) + d[:, 1] * np.sin(heading)
    return np.arctan2(-d[:, 2], ahead)
