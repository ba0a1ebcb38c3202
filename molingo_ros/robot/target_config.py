"""What the retargeting targets are made of: the robot keypoints the target builder makes
(:data:`TARGET_KEYPOINTS`, parents before children, and their chain :data:`KEYPOINT_CHAIN`),
those with an orientation target, the human joints a mapping must name, the builder's
thresholds (:class:`TargetConfig`) and its error (:class:`TargetError`).

Used by :mod:`molingo_ros.robot.human_keypoints`, :mod:`molingo_ros.robot.human_calibration`,
:mod:`molingo_ros.robot.targets` and the retarget config. No pinocchio import.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "KEYPOINT_CHAIN",
    "OPTIONAL_HUMAN_KEYPOINTS",
    "ORIENTED_KEYPOINTS",
    "REQUIRED_HUMAN_KEYPOINTS",
    "TARGET_KEYPOINTS",
    "TargetConfig",
    "TargetError",
]

#: The keypoints the target builder makes, parents before children.
TARGET_KEYPOINTS: tuple[str, ...] = (
    "pelvis",
    "left_hip",
    "right_hip",
    "torso",
    "left_knee",
    "right_knee",
    "left_foot",
    "right_foot",
    "left_shoulder",
    "right_shoulder",
    "head",
    "left_elbow",
    "right_elbow",
    "left_hand",
    "right_hand",
)

#: Keypoints that also get an orientation target.
ORIENTED_KEYPOINTS: tuple[str, ...] = ("pelvis", "torso", "left_foot", "right_foot")

#: Human joints a mapping must name (``left_toe``/``right_toe`` are optional).
REQUIRED_HUMAN_KEYPOINTS: tuple[str, ...] = TARGET_KEYPOINTS
OPTIONAL_HUMAN_KEYPOINTS: tuple[str, ...] = ("left_toe", "right_toe")

#: keypoint -> (parent keypoint, how it hangs from the parent): a rigid segment turned by the
#: named human segment frame (``"pelvis"`` or ``"chest"``), or ``"limb"`` (the human
#: direction times the robot's segment length). Parents come before children.
KEYPOINT_CHAIN: dict[str, tuple[str, str]] = {
    "left_hip": ("pelvis", "pelvis"),
    "right_hip": ("pelvis", "pelvis"),
    "torso": ("pelvis", "pelvis"),
    "left_knee": ("left_hip", "limb"),
    "right_knee": ("right_hip", "limb"),
    "left_foot": ("left_knee", "limb"),
    "right_foot": ("right_knee", "limb"),
    "left_shoulder": ("torso", "chest"),
    "right_shoulder": ("torso", "chest"),
    "head": ("torso", "chest"),
    "left_elbow": ("left_shoulder", "limb"),
    "right_elbow": ("right_shoulder", "limb"),
    "left_hand": ("left_elbow", "limb"),
    "right_hand": ("right_elbow", "limb"),
}


class TargetError(ValueError):
    """The human motion cannot be turned into targets (missing joint, NaN, ...)."""


@dataclass(frozen=True)
class TargetConfig:
    """Settings of :func:`~molingo_ros.robot.targets.make_targets` and the calibration
    (:func:`~molingo_ros.robot.human_calibration.calibrate`).

    Attributes:
        stance_speed_m_s: a foot whose ankle moves slower than this horizontally (and is the
            lower foot) is taken as standing, for the stance height/pitch estimates.
        contact_height_m: a human foot within this height above its stance height, and
            slower than ``contact_speed_m_s``, is in contact (reported, used by the ground
            correction of the retargeter).
        contact_speed_m_s: see ``contact_height_m``.
        lower_foot_softness_m: width of the soft switch between the feet when choosing which
            foot defines the ground (a sigmoid of the height difference).
        max_foot_yaw_rad: foot yaw target at most this far from the pelvis heading (rad).
        max_foot_pitch_rad: foot pitch target at most this far from flat (rad).
    """

    stance_speed_m_s: float = 0.2
    contact_height_m: float = 0.03
    contact_speed_m_s: float = 0.35
    lower_foot_softness_m: float = 0.01
    max_foot_yaw_rad: float = 0.5
    max_foot_pitch_rad: float = 0.8
