"""Keypoint frames on a pinocchio model: one OP frame per keypoint of a
:class:`~molingo_ros.robot.spec.RobotSpec`, named ``molingo_kp_<keypoint>``, added by
:class:`~molingo_ros.robot.models.Robot` when it is built (:func:`add_keypoint_frames`)."""

from __future__ import annotations

import numpy as np
import pinocchio as pin

from molingo_ros.robot.spec import RobotModelError, RobotSpec

__all__ = ["KEYPOINT_FRAME_PREFIX", "add_keypoint_frames"]

#: Prefix of the OP frames :class:`Robot` adds to the pinocchio model for each keypoint.
KEYPOINT_FRAME_PREFIX = "molingo_kp_"


def _find_frame(model: pin.Model, name: str) -> int | None:
    """Id of the frame called ``name``, preferring a BODY frame (a link and a joint can share
    a name, e.g. the T1's ``Waist``). None if there is none."""
    matches = [i for i, f in enumerate(model.frames) if f.name == name]
    if not matches:
        return None
    for i in matches:
        if model.frames[i].type == pin.FrameType.BODY:
            return i
    return matches[0]


def _frame_names_hint(model: pin.Model, limit: int = 12) -> str:
    names = [f.name for f in model.frames if f.type == pin.FrameType.BODY]
    shown = ", ".join(names[:limit])
    more = f", ... ({len(names)} body frames)" if len(names) > limit else ""
    return shown + more


def add_keypoint_frames(model: pin.Model, spec: RobotSpec) -> dict[str, int]:
    """Add to ``model`` one OP frame per keypoint of ``spec``, on the parent frame's joint,
    placed at the keypoint's offset in the parent frame (same orientation).

    Returns:
        keypoint name -> id of its new frame.

    Raises:
        RobotModelError: the model lacks a keypoint's parent frame (the message names it and
            lists some body frames that exist).
    """
    ids: dict[str, int] = {}
    for key, kp in spec.keypoints.items():
        parent_id = _find_frame(model, kp.parent)
        if parent_id is None:
            raise RobotModelError(
                f"robot '{spec.name}': keypoint '{key}' needs frame '{kp.parent}', which the "
                f"model lacks; available frames include: {_frame_names_hint(model)}"
            )
        parent = model.frames[parent_id]
        placement = parent.placement * pin.SE3(np.eye(3), np.asarray(kp.offset_m, float))
        frame = pin.Frame(
            KEYPOINT_FRAME_PREFIX + key,
            parent.parentJoint,
            parent_id,
            placement,
            pin.FrameType.OP_FRAME,
        )
        ids[key] = model.addFrame(frame)
    return ids
