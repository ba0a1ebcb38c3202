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
(:func:`estimate_stance_ankle_height`) maps to the robot's ankle height at its neutral pose,
and a per-frame vertical shift puts the lower foot's target there; swing-foot clearance scales
by ``s``. Nothing assumes a fixed offset.

Conventions: metres, z up, x forward, y left, floor at z = 0 (world frame of
:mod:`molingo_ros.motion.motion`). Rotation matrices have the frame's axes as columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from molingo_ros.motion.motion import Motion
from molingo_ros.robot.models import Robot

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

# keypoint -> (parent keypoint, "rigid" frame name | "limb")
_CHAIN: dict[str, tuple[str, str]] = {
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
    """Settings of :func:`make_targets`.

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
        placements = robot.frame_placements(robot.neutral())
        pos = {k: p for k, (p, _) in placements.items()}
        rot = {k: r for k, (_, r) in placements.items()}
        lengths = {
            k: float(np.linalg.norm(pos[k] - pos[parent]))
            for k, (parent, kind) in _CHAIN.items()
            if kind == "limb"
        }
        leg = 0.5 * sum(lengths[f"{s}_knee"] + lengths[f"{s}_foot"] for s in ("left", "right"))
        return RobotRest(pos, rot, lengths, float(leg))


# --------------------------------------------------------------------------------------------
# Human side
# --------------------------------------------------------------------------------------------


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


def _horizontal_speed(p: np.ndarray, fps: float) -> np.ndarray:
    """(T,) horizontal speed of a (T, 3) track, m/s: backward differences (causal, so a
    frame's value never depends on later frames); frame 0 copies frame 1."""
    if len(p) < 2:
        return np.zeros(len(p))
    v = np.linalg.norm(np.diff(p[:, :2], axis=0), axis=1) * fps
    return np.concatenate([v[:1], v])


def _heading(h: Mapping[str, np.ndarray]) -> np.ndarray:
    """(T,) yaw of the human pelvis (rad, 0 = facing +x): normal of the hip line."""
    lat = h["left_hip"] - h["right_hip"]
    return np.arctan2(-lat[:, 0], lat[:, 1])


def _foot_pitch(ankle: np.ndarray, toe: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """(T,) pitch of the ankle -> toe line in the vertical plane of ``heading`` (rad, toe
    below ankle positive). Continuous through vertical (a raised heel at toe-off can tip
    the line past 90 degrees, where a yaw taken from the line itself would flip)."""
    d = toe - ankle
    ahead = d[:, 0] * np.cos(heading) + d[:, 1] * np.sin(heading)
    return np.arctan2(-d[:, 2], ahead)


def _stance_mask(h: Mapping[str, np.ndarray], fps: float, speed: float) -> np.ndarray:
    """(T, 2) bool: foot is the lower one and its ankle moves slower than ``speed``."""
    zl, zr = h["left_foot"][:, 2], h["right_foot"][:, 2]
    slow_l = _horizontal_speed(h["left_foot"], fps) < speed
    slow_r = _horizontal_speed(h["right_foot"], fps) < speed
    return np.stack([slow_l & (zl <= zr), slow_r & (zr < zl)], axis=1)


def estimate_stance_ankle_height(
    h: Mapping[str, np.ndarray], fps: float, config: TargetConfig = TargetConfig()
) -> float:
    """Human ankle height above the floor when standing, metres: the median height of the
    lower ankle over frames where it is (nearly) still; the lowest ankle height if the motion
    never stands still."""
    stance = _stance_mask(h, fps, config.stance_speed_m_s)
    heights = np.concatenate([h["left_foot"][stance[:, 0], 2], h["right_foot"][stance[:, 1], 2]])
    if heights.size >= 3:
        return float(np.median(heights))
    return float(min(h["left_foot"][:, 2].min(), h["right_foot"][:, 2].min()))


def estimate_flat_foot_pitch(
    h: Mapping[str, np.ndarray], fps: float, config: TargetConfig = TargetConfig()
) -> float:
    """Pitch (rad, toe below ankle positive) of the human ankle -> toe line when the foot is
    flat on the floor: its median over standing frames. 0 without toe joints."""
    if "left_toe" not in h or "right_toe" not in h:
        return 0.0
    stance = _stance_mask(h, fps, config.stance_speed_m_s)
    heading = _heading(h)
    left = _foot_pitch(h["left_foot"], h["left_toe"], heading)
    right = _foot_pitch(h["right_foot"], h["right_toe"], heading)
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
    config: TargetConfig = TargetConfig(),
) -> HumanCalibration:
    """Estimate the per-motion constants from human keypoints ``h`` (see
    :class:`HumanCalibration`)."""
    leg = human_leg_length(h)
    if not leg > 1e-3:
        raise TargetError(f"human leg length is {leg:.4f} m; the hip/knee/foot mapping is wrong")
    return HumanCalibration(
        scale=rest.leg_length_m / leg,
        stance_ankle_height_m=estimate_stance_ankle_height(h, fps, config),
        flat_foot_pitch_rad=estimate_flat_foot_pitch(h, fps, config),
    )


# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------


def make_targets(
    h: Mapping[str, np.ndarray],
    fps: float,
    rest: RobotRest,
    calibration: HumanCalibration,
    config: TargetConfig = TargetConfig(),
    *,
    previous: Mapping[str, np.ndarray] | None = None,
) -> Targets:
    """Robot keypoint targets for every frame of human keypoints ``h`` (keypoint -> (T, 3)).

    Each frame depends only on that frame (and, for the contact flags' speed, its
    neighbours), so targets do not depend on where a clip starts.

    Args:
        h: human keypoints, from :func:`human_keypoints`.
        fps: frame rate (for contact speeds).
        rest: the robot's neutral-pose measurements (:meth:`RobotRest.of`).
        calibration: per-motion constants (:func:`calibrate`).
        config: thresholds.
        previous: the last human frame of the previous chunk (keypoint -> (3,)) when
            streaming, so the first frame's speed uses it (no seam between chunks).
    """
    s = calibration.scale
    num = len(h["pelvis"])
    if previous is not None:
        h_ext = {k: np.concatenate([previous[k][None], v]) for k, v in h.items()}
    else:
        h_ext = dict(h)
    start = 1 if previous is not None else 0

    f_pelvis = _frame_from_left_up(h["left_hip"] - h["right_hip"], h["torso"] - h["pelvis"], "hip")
    f_chest = _frame_from_left_up(
        h["left_shoulder"] - h["right_shoulder"], h["head"] - h["torso"], "shoulder"
    )
    frames = {"pelvis": f_pelvis, "chest": f_chest}

    pos: dict[str, np.ndarray] = {"pelvis": s * h["pelvis"]}
    for key, (parent, kind) in _CHAIN.items():
        if kind == "limb":
            direction = _normalise(h[key] - h[parent], f"human segment {parent}->{key}")
            pos[key] = pos[parent] + rest.lengths[key] * direction
        else:
            offset = rest.positions[key] - rest.positions[parent]
            pos[key] = pos[parent] + frames[kind] @ offset

    # Ground from the feet: the lower foot's target sits at the robot's ankle height plus the
    # human's (scaled) clearance above its own stance height.
    clearance = {
        side: np.maximum(h[f"{side}_foot"][:, 2] - calibration.stance_ankle_height_m, 0.0)
        for side in ("left", "right")
    }
    shift = {
        side: rest.positions[f"{side}_foot"][2] + s * clearance[side] - pos[f"{side}_foot"][:, 2]
        for side in ("left", "right")
    }
    dz = h["left_foot"][:, 2] - h["right_foot"][:, 2]
    w_left = 0.5 * (1.0 - np.tanh(dz / (2.0 * config.lower_foot_softness_m)))  # sigmoid
    vertical = w_left * shift["left"] + (1.0 - w_left) * shift["right"]
    for key in pos:
        pos[key] = pos[key].copy()
        pos[key][:, 2] += vertical

    # Orientations: pelvis and chest frames; feet from ankle->toe (or the pelvis heading).
    heading = _heading(h)
    rots: dict[str, np.ndarray] = {
        "pelvis": f_pelvis @ rest.rotations["pelvis"],
        "torso": f_chest @ rest.rotations["torso"],
    }
    for side in ("left", "right"):
        toe = h.get(f"{side}_toe")
        if toe is not None:
            d = toe - h[f"{side}_foot"]
            pitch_abs = _foot_pitch(h[f"{side}_foot"], toe, heading)
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
            foot = _rot_z(yaw) @ _rot_y(pitch)
        else:
            foot = _rot_z(heading)
        rots[f"{side}_foot"] = foot @ rest.rotations[f"{side}_foot"]

    contacts = np.zeros((num, 2), dtype=bool)
    for i, side in enumerate(("left", "right")):
        speed = _horizontal_speed(h_ext[f"{side}_foot"], fps)[start:]
        contacts[:, i] = (clearance[side] < config.contact_height_m) & (
            speed < config.contact_speed_m_s
        )

    return Targets(
        keypoints=TARGET_KEYPOINTS,
        positions=np.stack([pos[k] for k in TARGET_KEYPOINTS], axis=1),
        oriented=ORIENTED_KEYPOINTS,
        rotations=np.stack([rots[k] for k in ORIENTED_KEYPOINTS], axis=1),
        contacts=contacts,
        calibration=calibration,
    )
