"""Common retargeting metrics: one definition to score any retargeter's output (ours, GMR's)
on the same robot model against the same human motion, so figures from different tools can
stand side by side (docs/robots-and-retargeting.md, "Measured side by side").

The retargeter's own report (:mod:`molingo_ros.robot.report`) measures against its **own**
targets and its own contact rule; those figures are not comparable with another tool's. The
metrics here depend only on the robot's joint trajectory, the robot model and the human
joint positions:

* **Wrist target** of a side: the robot's ``<side>_shoulder_roll_link`` origin plus
  ``k * (human hand - human shoulder)``, with ``k`` = robot arm length / human arm length
  (:func:`arm_scale`; about 0.79 for the G1 and the Bandai actors). The robot's own
  shoulder anchors it, so the figure measures the arm, not the torso or the root.
* **Wrist error**: distance of the ``<side>_wrist_yaw_link`` origin from that target;
  **hand-centre error**: of the point ``hand_offset_m`` (in the wrist_yaw_link frame; the
  G1's rubber-hand centre, +0.107 m along x) from the same target.
* **Stance sole height**: ``<side>_ankle_roll_link`` height minus ``sole_drop_m`` (0.035 m)
  at the frames where the **human** foot is in contact (:func:`human_contacts`: its ankle
  joint below its own 10th height percentile + 2 cm and slower than 0.3 m/s).
* **Joint speed**: finite differences of the joint angles at the clip's frame rate; **velocity
  sign flips**: (frame, joint) samples where a joint velocity changes sign with magnitude
  above 0.5 rad/s on both sides, summed over the joints
  (:func:`~molingo_ros.robot.report.jitter_sign_flips`).
* **Joint-limit violations**: (frame, joint) samples outside the model's position limits.

Conventions: metres, seconds, radians; world frame z up, floor at z = 0; ``qpos`` rows are
pinocchio configurations ``[root xyz, root quaternion x y z w, joint angles]``. Human tracks
are (T, 3) joint positions in the same world frame as the robot motion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pinocchio as pin

from molingo_ros.robot.batch_kinematics import joint_placements, transform_points
from molingo_ros.robot.models import Robot
from molingo_ros.robot.report import jitter_sign_flips

__all__ = [
    "HUMAN_TRACKS",
    "CommonMetrics",
    "CommonMetricsConfig",
    "arm_scale",
    "common_metrics",
    "human_contacts",
]

_SIDES = ("left", "right")

#: The human keypoints the metrics read (keypoint names of the retarget config's mapping).
HUMAN_TRACKS: tuple[str, ...] = tuple(
    f"{side}_{part}" for side in _SIDES for part in ("shoulder", "elbow", "hand", "foot")
)


@dataclass(frozen=True)
class CommonMetricsConfig:
    """The fixed definitions of the common metrics (defaults: the G1, as measured for GMR).

    Attributes:
        shoulder_link, elbow_link, wrist_link, ankle_link: robot link names without the
            ``left_``/``right_`` prefix.
        hand_offset_m: hand centre in the wrist link's frame, metres.
        sole_drop_m: ankle link origin height above the sole, metres.
        contact_percentile: a human foot is low below this height percentile of its clip...
        contact_margin_m: ...plus this margin, metres...
        contact_speed_m_s: ...and slower than this (3D speed of its ankle joint), m/s.
        flip_threshold_rad_s: both velocities of a sign flip exceed this, rad/s.
        limit_tolerance_rad: an angle beyond its limit by more than this is a violation.
    """

    shoulder_link: str = "shoulder_roll_link"
    elbow_link: str = "elbow_link"
    wrist_link: str = "wrist_yaw_link"
    ankle_link: str = "ankle_roll_link"
    hand_offset_m: tuple[float, float, float] = (0.107, 0.0, 0.0)
    sole_drop_m: float = 0.035
    contact_percentile: float = 10.0
    contact_margin_m: float = 0.02
    contact_speed_m_s: float = 0.3
    flip_threshold_rad_s: float = 0.5
    limit_tolerance_rad: float = 1e-6


@dataclass(frozen=True)
class CommonMetrics:
    """The common metrics of one robot motion (lengths in mm, speeds in rad/s).

    Attributes:
        wrist_error_mm: side -> mean wrist_yaw_link origin error.
        hand_error_mm: side -> mean hand-centre error.
        stance_mean_mm: mean signed sole height over the human contact samples.
        stance_max_abs_mm: largest absolute sole height over them.
        stance_samples: (frame, foot) contact samples.
        max_joint_speed_rad_s: fastest joint speed, and ``max_speed_joint`` its joint.
        sign_flips: velocity sign flips summed over the joints.
        limit_violations: (frame, joint) samples outside the position limits.
        arm_scale: ``k`` of the wrist target.
    """

    wrist_error_mm: dict[str, float]
    hand_error_mm: dict[str, float]
    stance_mean_mm: float | None
    stance_max_abs_mm: float | None
    stance_samples: int
    max_joint_speed_rad_s: float
    max_speed_joint: str
    sign_flips: int
    limit_violations: int
    arm_scale: float


def _frame_id(robot: Robot, name: str) -> int:
    fid = robot.model.getFrameId(name)
    if fid >= robot.model.nframes:
        raise KeyError(f"robot '{robot.name}' has no frame '{name}'")
    return int(fid)


def _robot_arm_length(robot: Robot, config: CommonMetricsConfig, side: str) -> float:
    """Shoulder -> elbow -> wrist link origins at the neutral pose, metres."""
    model, data = robot.model, robot.model.createData()
    pin.framesForwardKinematics(model, data, robot.neutral())
    names = (config.shoulder_link, config.elbow_link, config.wrist_link)
    p = [data.oMf[_frame_id(robot, f"{side}_{n}")].translation for n in names]
    return float(np.linalg.norm(p[1] - p[0]) + np.linalg.norm(p[2] - p[1]))


def arm_scale(
    robot: Robot, human: Mapping[str, np.ndarray], config: CommonMetricsConfig | None = None
) -> float:
    """``k`` = robot arm length / human arm length: the mean over both sides of the robot's
    shoulder -> elbow -> wrist (neutral pose) over the mean over both sides and all frames
    of the human shoulder -> elbow -> hand."""
    config = config or CommonMetricsConfig()
    robot_len = np.mean([_robot_arm_length(robot, config, s) for s in _SIDES])
    human_len = np.mean(
        [
            np.linalg.norm(human[f"{s}_elbow"] - human[f"{s}_shoulder"], axis=1)
            + np.linalg.norm(human[f"{s}_hand"] - human[f"{s}_elbow"], axis=1)
            for s in _SIDES
        ]
    )
    return float(robot_len / human_len)


def human_contacts(
    foot: np.ndarray, fps: float, config: CommonMetricsConfig | None = None
) -> np.ndarray:
    """(T,) bool: the human foot (its ankle joint track, (T, 3) m) is in contact: below its
    ``contact_percentile`` height plus ``contact_margin_m`` and slower than
    ``contact_speed_m_s`` (backward differences; frame 0 takes frame 1's speed)."""
    config = config or CommonMetricsConfig()
    z = foot[:, 2]
    low = z < np.percentile(z, config.contact_percentile) + config.contact_margin_m
    if len(foot) < 2:
        return low
    v = np.linalg.norm(np.diff(foot, axis=0), axis=1) * fps
    return low & (np.concatenate([v[:1], v]) < config.contact_speed_m_s)


def _link_tracks(
    robot: Robot, qpos: np.ndarray, config: CommonMetricsConfig
) -> dict[str, np.ndarray]:
    """``<side>_shoulder``, ``_wrist``, ``_hand``, ``_ankle`` -> (T, 3) world positions (one
    vectorised forward kinematics of the whole motion: :mod:`.batch_kinematics`)."""
    offset = np.asarray(config.hand_offset_m, dtype=np.float64)
    links = {"shoulder": config.shoulder_link, "wrist": config.wrist_link}
    links["hand"], links["ankle"] = config.wrist_link, config.ankle_link
    keys, joints, local = [], [], []
    for s in _SIDES:
        for key, link in links.items():
            frame = robot.model.frames[_frame_id(robot, f"{s}_{link}")]
            point = offset if key == "hand" else np.zeros(3)
            keys.append(f"{s}_{key}")
            joints.append(int(frame.parentJoint))
            local.append(frame.placement.act(point))
    rot, pos = joint_placements(robot.model, qpos)
    points = transform_points(rot, pos, np.asarray(joints), np.asarray(local))
    return {key: points[:, k] for k, key in enumerate(keys)}


def common_metrics(
    robot: Robot,
    qpos: np.ndarray,
    fps: float,
    human: Mapping[str, np.ndarray],
    config: CommonMetricsConfig | None = None,
) -> CommonMetrics:
    """The common metrics of the robot motion ``qpos`` (T, nq) at ``fps`` Hz made from the
    human motion whose :data:`HUMAN_TRACKS` are ``human`` (keypoint -> (T, 3) m)."""
    config = config or CommonMetricsConfig()
    qpos = np.asarray(qpos, dtype=np.float64)
    k = arm_scale(robot, human, config)
    links = _link_tracks(robot, qpos, config)
    wrist, hand, soles = {}, {}, []
    for s in _SIDES:
        target = links[f"{s}_shoulder"] + k * (human[f"{s}_hand"] - human[f"{s}_shoulder"])
        wrist[s] = 1000 * float(np.linalg.norm(links[f"{s}_wrist"] - target, axis=1).mean())
        hand[s] = 1000 * float(np.linalg.norm(links[f"{s}_hand"] - target, axis=1).mean())
        contact = human_contacts(human[f"{s}_foot"], fps, config)
        soles.append(links[f"{s}_ankle"][contact, 2] - config.sole_drop_m)
    z = 1000 * np.concatenate(soles)
    ang = qpos[:, robot.joint_q_indices]
    speed = np.abs(np.diff(ang, axis=0)) * fps if len(ang) > 1 else np.zeros_like(ang)
    fastest = int(np.argmax(speed.max(axis=0)))
    tol = config.limit_tolerance_rad
    outside = (ang < robot.lower - tol) | (ang > robot.upper + tol)
    return CommonMetrics(
        wrist_error_mm=wrist,
        hand_error_mm=hand,
        stance_mean_mm=float(z.mean()) if z.size else None,
        stance_max_abs_mm=float(np.abs(z).max()) if z.size else None,
        stance_samples=int(z.size),
        max_joint_speed_rad_s=float(speed.max()),
        max_speed_joint=robot.joint_names[fastest],
        sign_flips=jitter_sign_flips(ang, fps, config.flip_threshold_rad_s),
        limit_violations=int(outside.sum()),
        arm_scale=k,
    )
