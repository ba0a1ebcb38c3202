"""Robot root pose to TF messages (``geometry_msgs/TransformStamped`` on ``/tf``).

Same conventions as :mod:`molingo_ros.ros.messages`: the floating-base configuration ``q``
starts with the root position in m in the world frame (z up), then the root orientation as a
unit quaternion (x, y, z, w), as :func:`~molingo_ros.ros.messages.root_pose` reads it. A TF
transform ``parent_frame -> child_frame`` is the pose of the child frame expressed in the
parent frame: here the root link's pose in the world, the same numbers as ``root_pose``'s
PoseStamped. A tf2 listener uses it to map points from the child (root link) frame into the
parent (world) frame.

``tf2_msgs`` has no wheel on PyPI; the project's venv gets a build of ``TFMessage`` alone
(``interfaces/tf2_msgs``, built by ``make setup``) with the same type hash as ROS 2's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from geometry_msgs.msg import TransformStamped
from tf2_msgs.msg import TFMessage

from molingo_ros.ros.messages import root_pose


def root_transform(
    q: np.ndarray, stamp_s: float, parent_frame: str, child_frame: str
) -> TransformStamped:
    """The transform ``parent_frame -> child_frame`` of a floating base.

    ``q``: the configuration; only ``q[:7]`` is read: root position x, y, z (m, in
    ``parent_frame``, z up) and root orientation quaternion x, y, z, w (normalised here; a zero
    or non-finite quaternion gives the identity rotation, as ``root_pose`` does).
    ``stamp_s``: the time of the configuration (s, ROS clock), written to ``header.stamp``.
    ``parent_frame``: usually the world frame (the node's ``frame_id``); ``child_frame``: the
    robot's root link (e.g. ``pelvis``). Both must be non-empty, different, and without a
    leading ``/`` (tf2 rejects or warns about such frames on every message).

    The translation and rotation equal the position and orientation of
    ``root_pose(q, stamp_s, parent_frame)``. Raises ValueError for a position that is not
    finite (tf2 drops such transforms) or fewer than 7 values.
    """
    for name, frame in (("parent_frame", parent_frame), ("child_frame", child_frame)):
        if not frame or frame.startswith("/"):
            raise ValueError(f"{name} must be a frame name without a leading '/': {frame!r}")
    if parent_frame == child_frame:
        raise ValueError(f"a transform from {parent_frame!r} to itself")
    q = np.asarray(q, dtype=np.float64).reshape(-1)
    if q.size < 7:
        raise ValueError(f"q needs the 7 floating-base values, got {q.size}")
    if not all(math.isfinite(v) for v in q[:3]):
        raise ValueError(f"root position not finite: {q[:3].tolist()}")
    pose = root_pose(q, stamp_s, parent_frame)
    msg = TransformStamped()
    msg.header = pose.header
    msg.child_frame_id = child_frame
    t = msg.transform.translation
    t.x, t.y, t.z = pose.pose.position.x, pose.pose.position.y, pose.pose.position.z
    msg.transform.rotation = pose.pose.orientation
    return msg


def tf_message(transforms: Iterable[TransformStamped]) -> TFMessage:
    """A ``tf2_msgs/TFMessage`` (what ``/tf`` and ``/tf_static`` carry) of ``transforms``, in
    the given order."""
    return TFMessage(transforms=list(transforms))


__all__ = ["root_transform", "tf_message"]
