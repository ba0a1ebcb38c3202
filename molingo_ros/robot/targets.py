"""Human motion -> robot-proportioned keypoint targets (the input of the IK).

Segment-aware scaling (see docs/robots-and-retargeting.md, "Scaling lesson"):

* the root (pelvis) follows the human pelvis scaled by ``s`` = robot leg length / human leg
  length, so steps fit the robot's legs;
* rigid segments (pelvis -> hips, pelvis -> torso, torso -> shoulders, torso -> head) take the
  **robot's own offsets** from its neutral pose, turned by the human segment's frame;
* limbs (hip -> knee -> foot, shoulder -> elbow -> hand) take the **human direction** times
  the **robot's segment length**.

Segment frames are built from joint positions only (no joint rotations are needed, so a
positions-only motion works and no rig rest-pose convention is assumed): the pelvis frame from
the hip line (left) and pelvis -> torso (up), the chest frame from the shoulder line and
torso -> head, a foot frame from the ankle -> toe line (yaw, and pitch relative to the foot's
pitch when flat on the floor) or, for rigs without toes, from the pelvis heading.

The ground is found from the feet: the human ankle height when standing
(:func:`~molingo_ros.robot.human_calibration.estimate_stance_ankle_height`) maps to the
robot's ankle height at its neutral pose, and a per-frame vertical shift puts the lower foot's
target there; swing-foot clearance scales by ``s``. Nothing assumes a fixed offset.

The keypoint sets and settings are in :mod:`molingo_ros.robot.target_config`, the human
tracks in :mod:`molingo_ros.robot.human_keypoints`, the per-motion constants in
:mod:`molingo_ros.robot.human_calibration` and the robot's neutral measurements in
:mod:`molingo_ros.robot.robot_rest`; this module turns them into :class:`Targets`
(:func:`make_targets`).

Conventions: metres, z up, x forward, y left, floor at z = 0 (world frame of
:mod:`molingo_ros.motion.motion`). Rotation matrices have the frame's axes as columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from molingo_ros.robot.human_calibration import HumanCalibration
from molingo_ros.robot.human_keypoints import foot_pitch, horizontal_speed, pelvis_heading
from molingo_ros.robot.robot_rest import RobotRest
from molingo_ros.robot.target_config import (
    KEYPOINT_CHAIN,
    ORIENTED_KEYPOINTS,
    TARGET_KEYPOINTS,
    TargetConfig,
    TargetError,
)

__all__ = ["Targets", "make_targets"]

_SIDES = ("left", "right")


@dataclass
class Targets:
    """Robot keypoint targets over T frames.

    Attributes:
        keypoints: names, the order of ``positions`` axis 1 (:data:`TARGET_KEYPOINTS`).
        positions: (T, K, 3) target positions, metres, world frame.
        oriented: names with an orientation target (:data:`ORIENTED_KEYPOINTS`).
        rotations: (T, M, 3, 3) target orientations of ``oriented`` (world frame).
        contacts: (T, 2) bool, human left/right foot in contact with the floor.
        calibration: the constants used.
    """

    keypoints: tuple[str, ...]
    positions: np.ndarray
    oriented: tuple[str, ...]
    rotations: np.ndarray
    contacts: np.ndarray
    calibration: HumanCalibration

    @property
    def frames(self) -> int:
        """Number of frames T."""
        return int(self.positions.shape[0])


def _normalise(v: np.ndarray, what: str) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    if np.any(n < 1e-9):
        t = int(np.flatnonzero(n[..., 0] < 1e-9)[0])
        raise TargetError(f"degenerate human pose in frame {t}: {what} has zero length")
    return v / n


def _frame_from_left_up(left: np.ndarray, up: np.ndarray, what: str) -> np.ndarray:
    """Right-handed frames (T, 3, 3), columns x forward, y left, z up; y follows ``left``
    exactly, z is ``up`` made orthogonal to it."""
    y = _normalise(left, f"{what} left-right line")
    z = up - np.sum(up * y, axis=-1, keepdims=True) * y
    z = _normalise(z, f"{what} up line")
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=-1)


def _rot_z(yaw: np.ndarray) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    r = np.zeros(yaw.shape + (3, 3))
    r[..., 0, 0], r[..., 0, 1], r[..., 1, 0], r[..., 1, 1], r[..., 2, 2] = c, -s, s, c, 1.0
    return r


def _rot_y(pitch: np.ndarray) -> np.ndarray:
    c, s = np.cos(pitch), np.sin(pitch)
    r = np.zeros(pitch.shape + (3, 3))
    r[..., 0, 0], r[..., 0, 2], r[..., 2, 0], r[..., 2, 2], r[..., 1, 1] = c, s, -s, c, 1.0
    return r


def make_targets(
    h: Mapping[str, np.ndarray],
    fps: float,
    rest: RobotRest,
    calibration: HumanCalibration,
    config: TargetConfig | None = None,
    *,
    previous: Mapping[str, np.ndarray] | None = None,
) -> Targets:
    """Robot keypoint targets for every frame of human keypoints ``h`` (keypoint -> (T, 3)).

    Each frame depends only on that frame (and, for the contact flags' speed, its
    neighbours), so targets do not depend on where a clip starts.

    Args:
        h: human keypoints, from :func:`~molingo_ros.robot.human_keypoints.human_keypoints`.
        fps: frame rate (for contact speeds).
        rest: the robot's neutral-pose measurements (:meth:`RobotRest.of`).
        calibration: per-motion constants
            (:func:`~molingo_ros.robot.human_calibration.calibrate`).
        config: thresholds (default :class:`TargetConfig`).
        previous: the last human frame of the previous chunk (keypoint -> (3,)) when
            streaming, so the first frame's speed uses it (no seam between chunks).

    Raises:
        TargetError: a degenerate human pose (a zero-length segment or hip/shoulder line).
    """
    config = config or TargetConfig()
    if previous is not None:
        h_ext = {k: np.concatenate([previous[k][None], v]) for k, v in h.items()}
    else:
        h_ext = dict(h)
    f_pelvis = _frame_from_left_up(h["left_hip"] - h["right_hip"], h["torso"] - h["pelvis"], "hip")
    f_chest = _frame_from_left_up(
        h["left_shoulder"] - h["right_shoulder"], h["head"] - h["torso"], "shoulder"
    )
    pos = _scaled_positions(h, rest, calibration.scale, {"pelvis": f_pelvis, "chest": f_chest})
    clearance = {
        side: np.maximum(h[f"{side}_foot"][:, 2] - calibration.stance_ankle_height_m, 0.0)
        for side in _SIDES
    }
    vertical = _ground_shift(h, pos, rest, calibration.scale, clearance, config)
    for key in pos:
        pos[key] = pos[key].copy()
        pos[key][:, 2] += vertical

    heading = pelvis_heading(h)
    rots: dict[str, np.ndarray] = {
        "pelvis": f_pelvis @ rest.rotations["pelvis"],
        "torso": f_chest @ rest.rotations["torso"],
    }
    for side in _SIDES:
        foot = _foot_rotation(h, side, heading, calibration, config)
        rots[f"{side}_foot"] = foot @ rest.rotations[f"{side}_foot"]

    start = 1 if previous is not None else 0
    return Targets(
        keypoints=TARGET_KEYPOINTS,
        positions=np.stack([pos[k] for k in TARGET_KEYPOINTS], axis=1),
        oriented=ORIENTED_KEYPOINTS,
        rotations=np.stack([rots[k] for k in ORIENTED_KEYPOINTS], axis=1),
        contacts=_contacts(h_ext, start, fps, clearance, config),
        calibration=calibration,
    )


def _scaled_positions(
    h: Mapping[str, np.ndarray],
    rest: RobotRest,
    scale: float,
    frames: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Keypoint -> (T, 3) target positions before the ground shift: the pelvis at ``scale``
    times the human's, rigid segments at the robot's neutral offsets turned by the human
    segment ``frames`` (``"pelvis"``, ``"chest"``: (T, 3, 3)), limbs along the human
    direction with the robot's segment lengths."""
    pos: dict[str, np.ndarray] = {"pelvis": scale * h["pelvis"]}
    for key, (parent, kind) in KEYPOINT_CHAIN.items():
        if kind == "limb":
            direction = _normalise(h[key] - h[parent], f"human segment {parent}->{key}")
            pos[key] = pos[parent] + rest.lengths[key] * direction
        else:
            offset = rest.positions[key] - rest.positions[parent]
            pos[key] = pos[parent] + frames[kind] @ offset
    return pos


def _ground_shift(
    h: Mapping[str, np.ndarray],
    pos: Mapping[str, np.ndarray],
    rest: RobotRest,
    scale: float,
    clearance: Mapping[str, np.ndarray],
    config: TargetConfig,
) -> np.ndarray:
    """(T,) vertical shift of all targets, metres: the lower foot's target goes to the
    robot's ankle height plus the human's (scaled) ``clearance`` above its own stance height;
    a sigmoid of the human feet's height difference blends between the feet."""
    shift = {
        side: rest.positions[f"{side}_foot"][2]
        + scale * clearance[side]
        - pos[f"{side}_foot"][:, 2]
        for side in _SIDES
    }
    dz = h["left_foot"][:, 2] - h["right_foot"][:, 2]
    w_left = 0.5 * (1.0 - np.tanh(dz / (2.0 * config.lower_foot_softness_m)))  # sigmoid
    return w_left * shift["left"] + (1.0 - w_left) * shift["right"]


def _foot_rotation(
    h: Mapping[str, np.ndarray],
    side: str,
    heading: np.ndarray,
    calibration: HumanCalibration,
    config: TargetConfig,
) -> np.ndarray:
    """(T, 3, 3) orientation of the human ``side`` foot (before the robot's neutral foot
    rotation): yaw and pitch from the ankle -> toe line, or the pelvis ``heading`` (rad)
    for rigs without toes."""
    toe = h.get(f"{side}_toe")
    if toe is None:
        return _rot_z(heading)
    d = toe - h[f"{side}_foot"]
    pitch_abs = foot_pitch(h[f"{side}_foot"], toe, heading)
    # Foot yaw relative to the pelvis heading (toe-out). The ankle -> toe line says
    # little about yaw when it is steep (heel raised at toe-off): fade to the heading.
    rel = np.angle(np.exp(1j * (np.arctan2(d[:, 1], d[:, 0]) - heading)))
    trust = np.clip((np.cos(pitch_abs) - 0.3) / 0.4, 0.0, 1.0)
    limit = config.max_foot_yaw_rad
    yaw = heading + np.clip(rel * trust, -limit, limit)
    pitch = np.clip(
        pitch_abs - calibration.flat_foot_pitch_rad,
        -config.max_foot_pitch_rad,
        config.max_foot_pitch_rad,
    )
    return _rot_z(yaw) @ _rot_y(pitch)


def _contacts(
    h_ext: Mapping[str, np.ndarray],
    start: int,
    fps: float,
    clearance: Mapping[str, np.ndarray],
    config: TargetConfig,
) -> np.ndarray:
    """(T, 2) bool: the human left/right foot is low (``clearance`` below the contact
    height) and slow. ``h_ext`` is the chunk with the previous chunk's last frame first when
    ``start`` is 1 (its speed then has no seam)."""
    num = len(clearance["left"])
    contacts = np.zeros((num, 2), dtype=bool)
    for i, side in enumerate(_SIDES):
        speed = horizontal_speed(h_ext[f"{side}_foot"], fps)[start:]
        contacts[:, i] = (clearance[side] < config.contact_height_m) & (
            speed < config.contact_speed_m_s
        )
    return contacts
