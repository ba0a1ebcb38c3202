"""Forward kinematics of a whole motion at once: the world placement of every joint frame for
all frames (numpy, vectorised over the frames), and points fixed in joint frames carried into
the world.

Used by the validator (keypoints, sole centres, bounding spheres of the self-collision broad
phase). Conventions as in :mod:`molingo_ros.robot.models`: metres, radians, z up; ``q`` rows
are ``[root xyz, root quaternion x y z w, joint angles]`` (pinocchio's configuration layout).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pinocchio as pin

__all__ = ["joint_placements", "transform_points"]

_AXES = {
    "X": np.array([1.0, 0.0, 0.0]),
    "Y": np.array([0.0, 1.0, 0.0]),
    "Z": np.array([0.0, 0.0, 1.0]),
}


def _joint_axis(joint: Any, kind: str) -> np.ndarray | None:
    """Unit axis of a revolute (``kind`` "R") or prismatic ("P") pinocchio joint model, or
    None if the joint is not one of those we batch."""
    name = joint.shortname()
    for suffix, axis in _AXES.items():
        if name == f"JointModel{kind}{suffix}":
            return axis
    unaligned = {"R": "JointModelRevoluteUnaligned", "P": "JointModelPrismaticUnaligned"}[kind]
    if name == unaligned:
        axis = np.asarray(joint.extract().axis, dtype=np.float64)
        return axis / np.linalg.norm(axis)
    return None


def _quat_xyzw_to_matrix(quat: np.ndarray) -> np.ndarray:
    """(T, 4) unit quaternions (x, y, z, w) -> (T, 3, 3) rotation matrices."""
    x, y, z, w = quat[:, 0], quat[:, 1], quat[:, 2], quat[:, 3]
    out = np.empty((quat.shape[0], 3, 3))
    out[:, 0, 0] = 1.0 - 2.0 * (y * y + z * z)
    out[:, 0, 1] = 2.0 * (x * y - z * w)
    out[:, 0, 2] = 2.0 * (x * z + y * w)
    out[:, 1, 0] = 2.0 * (x * y + z * w)
    out[:, 1, 1] = 1.0 - 2.0 * (x * x + z * z)
    out[:, 1, 2] = 2.0 * (y * z - x * w)
    out[:, 2, 0] = 2.0 * (x * z - y * w)
    out[:, 2, 1] = 2.0 * (y * z + x * w)
    out[:, 2, 2] = 1.0 - 2.0 * (x * x + y * y)
    return out


def _axis_angle_matrices(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotations about the unit ``axis`` by each of the (T,) ``angle`` -> (T, 3, 3)."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    s, c = np.sin(angle), np.cos(angle)
    return np.eye(3) + s[:, None, None] * k + (1.0 - c)[:, None, None] * (k @ k)


def _joint_placements_loop(model: pin.Model, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`joint_placements` through pinocchio, one frame at a time (any joint type)."""
    frames = q.shape[0]
    rot = np.empty((frames, model.njoints, 3, 3))
    pos = np.empty((frames, model.njoints, 3))
    data = model.createData()
    for t in range(frames):
        pin.forwardKinematics(model, data, q[t])
        h = np.array([m.homogeneous for m in data.oMi])
        rot[t] = h[:, :3, :3]
        pos[t] = h[:, :3, 3]
    return rot, pos


def joint_placements(model: pin.Model, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World placement of every joint frame (pinocchio's ``data.oMi``) for all frames at once.

    Vectorised over the frames in numpy for free-flyer, revolute and prismatic joints (about
    x/y/z or an unaligned axis); a model with any other joint type goes through pinocchio
    frame by frame. Root quaternions must be unit (``validate`` normalises them).

    Args:
        model: the pinocchio model.
        q: (T, nq) configurations.

    Returns:
        rotations (T, njoints, 3, 3) and translations (T, njoints, 3); joint 0 (the universe)
        is the identity.
    """
    q = np.asarray(q, dtype=np.float64)
    frames = q.shape[0]
    rot = np.empty((frames, model.njoints, 3, 3))
    pos = np.empty((frames, model.njoints, 3))
    rot[:, 0] = np.eye(3)
    pos[:, 0] = 0.0
    for j in range(1, model.njoints):
        joint = model.joints[j]
        parent = int(model.parents[j])
        place = model.jointPlacements[j]
        pr, pt = np.asarray(place.rotation), np.asarray(place.translation)
        base_rot = rot[:, parent] @ pr  # (T, 3, 3): parent frame composed with the placement
        base_pos = pos[:, parent] + rot[:, parent] @ pt
        iq = joint.idx_q
        name = joint.shortname()
        if name == "JointModelFreeFlyer":
            rot[:, j] = base_rot @ _quat_xyzw_to_matrix(q[:, iq + 3 : iq + 7])
            pos[:, j] = base_pos + (base_rot @ q[:, iq : iq + 3, None])[..., 0]
            continue
        axis = _joint_axis(joint, "R")
        if axis is not None:
            rot[:, j] = base_rot @ _axis_angle_matrices(axis, q[:, iq])
            pos[:, j] = base_pos
            continue
        axis = _joint_axis(joint, "P")
        if axis is not None:
            rot[:, j] = base_rot
            pos[:, j] = base_pos + q[:, iq, None] * (base_rot @ axis)
            continue
        return _joint_placements_loop(model, q)
    return rot, pos


def transform_points(
    rot: np.ndarray, pos: np.ndarray, joints: np.ndarray, local: np.ndarray
) -> np.ndarray:
    """World positions of K points fixed in joint frames, for every frame.

    Args:
        rot, pos: (T, njoints, 3, 3) rotations and (T, njoints, 3) translations (metres) of
            the joint frames in the world, from :func:`joint_placements`.
        joints: (K,) joint index of each point.
        local: (K, 3) each point in its joint's frame, metres.

    Returns:
        (T, K, 3) world positions, metres.
    """
    return (rot[:, joints] @ local[:, :, None])[..., 0] + pos[:, joints]
