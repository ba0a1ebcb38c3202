"""Stick-figure views of robot motions, for rendering next to the human clip.

:func:`robot_to_motion` turns a configuration sequence ``qpos`` (T, nq) of a
:class:`~molingo_ros.robot.models.Robot` into a :class:`~molingo_ros.motion.motion.Motion`
whose "joints" are points of the robot, so :mod:`molingo_ros.motion.render` can draw it:

* the world origin of every pinocchio joint (the free-flyer root first), except joints whose
  origin lies within :data:`MERGE_DISTANCE_M` of the point they hang from (stacked joints such
  as a waist yaw on the pelvis origin): those are merged into that point and their children
  re-parented to it;
* every keypoint frame (head, hands, ...) that is not on one of those points;
* the two sole centres (:meth:`Robot.sole_positions`), so the feet reach the floor.

Point names carry the body side so :func:`~molingo_ros.motion.joint_sides.joint_sides` colours them:
the side is taken from the point's y coordinate at the neutral pose (y > 1 cm left, y < -1 cm
right), else from the name; a name that would read as another side is renamed
``left_<name>`` / ``right_<name>``.

:func:`render_retarget` draws a human clip and the robot side by side on one scale.

Conventions: metres, z up, x forward, y left, floor at z = 0 (as in
:mod:`molingo_ros.motion.motion`); ``q`` = root xyz, root quaternion x y z w, joint angles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pinocchio as pin

from molingo_ros.motion.joint_sides import joint_sides
from molingo_ros.motion.motion import Motion
from molingo_ros.motion.render import render_side_by_side
from molingo_ros.motion.render_config import RenderConfig
from molingo_ros.robot.models import Robot

__all__ = ["MERGE_DISTANCE_M", "SIDE_THRESHOLD_M", "render_retarget", "robot_to_motion"]

#: A joint origin closer than this to the point it hangs from is merged into that point, and
#: a keypoint this close to a point on its body is not drawn separately (metres).
MERGE_DISTANCE_M: float = 0.01
#: A point whose neutral-pose |y| exceeds this is on the left (y > 0) or right (y < 0), metres.
SIDE_THRESHOLD_M: float = 0.01

_SIDE_WORD = {"L": "left", "R": "right"}


def _check_qpos(robot: Robot, qpos: np.ndarray) -> np.ndarray:
    """``qpos`` as a float (T, nq) array with unit root quaternions; clear errors otherwise."""
    q = np.asarray(qpos, dtype=np.float64)
    nq = robot.nq
    if q.ndim != 2 or q.shape[1] != nq or q.shape[0] < 1:
        raise ValueError(
            f"qpos must have shape (T, nq) = (T, {nq}) with T >= 1 for robot '{robot.name}' "
            f"(nq = {nq}: root xyz, root quaternion xyzw, {robot.num_joints} joint angles), "
            f"got {q.shape}"
        )
    bad = ~np.isfinite(q)
    if bad.any():
        t, i = np.argwhere(bad)[0]
        raise ValueError(
            f"qpos has {int(bad.sum())} non-finite value(s), first at frame {t}, index {i}"
        )
    if robot.spec.floating_base:
        norm = np.linalg.norm(q[:, 3:7], axis=1)
        if (norm < 1e-9).any():
            t = int(np.flatnonzero(norm < 1e-9)[0])
            raise ValueError(f"qpos root quaternion (q[3:7]) is zero at frame {t}")
        q = q.copy()
        q[:, 3:7] /= norm[:, None]
    return q


def _side_of(name: str, y_m: float) -> str:
    """Side "L", "R" or "C": from the neutral-pose y coordinate, else from the name."""
    if y_m > SIDE_THRESHOLD_M:
        return "L"
    if y_m < -SIDE_THRESHOLD_M:
        return "R"
    return joint_sides([name])[0]


def _sided_name(name: str, side: str, taken: set[str]) -> str:
    """``name``, renamed if needed so :func:`joint_sides` reads ``side``; unique in ``taken``."""
    if joint_sides([name])[0] != side:
        if side == "C":
            # Drop the side words/tokens (e.g. a centre point named "l_neck" -> "neck").
            stripped = re.sub(r"(?i)left|right", "", name)
            stripped = re.sub(r"(?i)(^|[^A-Za-z0-9])[lr](?=$|[^A-Za-z0-9])", r"\1", stripped)
            name = stripped.strip("_.- ") or "centre"
            if joint_sides([name])[0] != "C":
                name = "centre"
        else:
            name = f"{_SIDE_WORD[side]}_{name}"
            if joint_sides([name])[0] != side:  # e.g. "right_" + "Left_Foo": left wins
                name = f"{_SIDE_WORD[side]}_point"
    base, k = name, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


class _StickLayout:
    """Which points a robot's stick figure has: each is a fixed offset in a joint's frame."""

    def __init__(self, robot: Robot) -> None:
        model = robot.model
        data = model.createData()
        pin.framesForwardKinematics(model, data, robot.neutral())

        joint_ids: list[int] = []  # pinocchio joint carrying each point
        local: list[np.ndarray] = []  # point in that joint's frame, metres
        parents: list[int] = []
        raw_names: list[str] = []
        neutral: list[np.ndarray] = []
        rep: dict[int, int] = {}  # pinocchio joint id -> index of the point drawn for it

        def add(jid: int, offset: np.ndarray, parent: int, name: str, pos: np.ndarray) -> int:
            joint_ids.append(jid)
            local.append(np.asarray(offset, dtype=np.float64))
            parents.append(parent)
            raw_names.append(name)
            neutral.append(np.asarray(pos, dtype=np.float64))
            return len(joint_ids) - 1

        # Joint origins (pinocchio orders parents before children).
        for jid in range(1, model.njoints):
            pos = np.array(data.oMi[jid].translation)
            parent_jid = int(model.parents[jid])
            # Children of the universe hang from the first point (the free-flyer root).
            parent = rep[parent_jid] if parent_jid > 0 else (0 if joint_ids else -1)
            if parent >= 0 and np.linalg.norm(pos - neutral[parent]) < MERGE_DISTANCE_M:
                rep[jid] = parent
                continue
            rep[jid] = add(jid, np.zeros(3), parent, model.names[jid], pos)
        if not joint_ids:
            raise ValueError(f"robot '{robot.name}' has no joints to draw")

        # Keypoints that are not on a point rigidly attached to their joint.
        children_of: dict[int, list[int]] = {}
        for jid in range(1, model.njoints):
            children_of.setdefault(int(model.parents[jid]), []).append(jid)
        kp_point: dict[str, int] = {}
        for key in robot.keypoint_names:
            frame = model.frames[robot.keypoint_frame_id(key)]
            jid = int(frame.parentJoint)
            pos = np.array(data.oMf[robot.keypoint_frame_id(key)].translation)
            candidates = [rep[jid]] + [rep[c] for c in children_of.get(jid, [])]
            near = [c for c in candidates if np.linalg.norm(pos - neutral[c]) < MERGE_DISTANCE_M]
            if near:
                kp_point[key] = near[0]
                continue
            kp_point[key] = add(jid, frame.placement.translation, rep[jid], key, pos)

        # Sole centres, below the foot keypoint frames.
        sole_offset = np.asarray(robot.spec.sole_offset_m, dtype=np.float64)
        for side in ("left", "right"):
            fid = robot.keypoint_frame_id(f"{side}_foot")
            frame = model.frames[fid]
            pos = data.oMf[fid].act(sole_offset)
            offset = frame.placement.act(sole_offset)
            add(int(frame.parentJoint), offset, kp_point[f"{side}_foot"], f"{side}_sole", pos)

        self.joint_ids = np.asarray(joint_ids, dtype=np.int64)
        self.local = np.stack(local)
        self.parents = np.asarray(parents, dtype=np.int64)
        self.neutral = np.stack(neutral)
        taken: set[str] = set()
        self.names = [
            _sided_name(n, _side_of(n, float(p[1])), taken)
            for n, p in zip(raw_names, self.neutral, strict=True)
        ]
        self.used_joints = np.unique(self.joint_ids)


def robot_to_motion(robot: Robot, qpos: np.ndarray, fps: float, name: str = "") -> Motion:
    """A stick-figure :class:`Motion` of the robot moving through ``qpos``.

    Points (see the module docstring): joint origins with stacked joints merged, keypoints off
    the joints (head, hands), and the two sole centres; names carry the body side.

    Args:
        robot: the robot.
        qpos: (T, nq) configurations (root xyz, root quaternion x y z w, joint angles); root
            quaternions are normalised.
        fps: frames per second of ``qpos``.
        name: the motion's name; default ``robot.name``.

    Returns:
        A Motion with ``positions_m`` (T, P, 3) in metres, world frame (z up), ``parents``
        with -1 for the root (the free-flyer origin), ``extras["robot"] = robot.name``.

    Raises:
        ValueError: ``qpos`` is not (T, nq) (the message names nq), has non-finite values or a
            zero root quaternion, or ``fps`` is not positive.
    """
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps}")
    q = _check_qpos(robot, qpos)
    layout = _StickLayout(robot)
    model, data = robot.model, robot.data

    used = layout.used_joints
    rot = np.empty((len(q), len(used), 3, 3))
    trans = np.empty((len(q), len(used), 3))
    for t, qt in enumerate(q):
        pin.forwardKinematics(model, data, qt)
        for k, jid in enumerate(used):
            m = data.oMi[int(jid)]
            rot[t, k] = m.rotation
            trans[t, k] = m.translation
    slot = np.searchsorted(used, layout.joint_ids)
    positions = trans[:, slot] + np.einsum("tpij,pj->tpi", rot[:, slot], layout.local)
    return Motion(
        positions_m=positions,
        joint_names=layout.names,
        parents=layout.parents,
        fps=float(fps),
        name=name or robot.name,
        extras={"robot": robot.name},
    )


def render_retarget(
    human: Motion,
    robot: Robot,
    qpos: np.ndarray,
    fps: float,
    out: str | Path,
    *,
    title: str | None = None,
    max_frames: int | None = None,
    config: RenderConfig | None = None,
    titles: Sequence[str | None] | None = None,
) -> Path:
    """Render the human clip and the robot's motion side by side, on one scale and clock.

    Args:
        human: the source clip (left panel; its fps sets the output rate unless
            ``config.fps`` is given).
        robot: the robot; ``qpos`` (T, nq) at ``fps`` is drawn with :func:`robot_to_motion`.
        out: ``.gif`` or ``.mp4``; parent folders are created.
        title: caption across the figure; default ``human.text``.
        max_frames: render at most this many output frames (overrides ``config.max_frames``).
        config: drawing options (default :class:`RenderConfig`).
        titles: the two panel titles; default ``["human", robot.name]``.

    Returns:
        ``out`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: a bad ``qpos`` or ``fps`` (see :func:`robot_to_motion`), or an unsupported
            suffix.
    """
    cfg = config if config is not None else RenderConfig()
    if max_frames is not None:
        cfg = replace(cfg, max_frames=max_frames)
    robot_motion = robot_to_motion(robot, qpos, fps)
    return render_side_by_side(
        [human, robot_motion],
        out,
        cfg,
        titles=list(titles) if titles is not None else ["human", robot.name],
        title=title if title is not None else human.text,
    )
