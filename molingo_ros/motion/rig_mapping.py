"""Re-express a motion of one rig on another rig's joints (Bandai or DeepMimic → SMPL-22 or
KIT-21), and change a motion's frame rate.

Each target joint is a :class:`Point`: a weighted mean of source joints (one joint with weight 1
is that joint itself) plus, optionally, an offset fixed in one source joint's local frame (for
points the source rig lacks, such as DeepMimic's toes and head).

Bandai → SMPL-22 (:data:`BANDAI_TO_SMPL22`): every joint is a Bandai joint except the two lower
spine points, which are **interpolated**: ``spine1`` at 55 % of Hips → Spine and ``spine2``
halfway along Spine → Chest (SMPL's spine1/spine2 sit at about 21 % and 49 % of the pelvis →
neck height, Bandai's Spine and Chest at 38 % and 60 %). ``spine3`` = Chest, ``neck`` = Neck,
``head`` = Head, collars = Shoulder_L/R, shoulders = UpperArm, elbows = LowerArm, wrists = Hand,
hips = UpperLeg, knees = LowerLeg, ankles = Foot, feet (SMPL's toe-base point) = Toes.

DeepMimic → SMPL-22 (:data:`DEEPMIMIC_TO_SMPL22`): the spine points and collars are
interpolated between root, chest, neck and shoulders; head and feet are offsets in the neck's
and ankles' frames (DeepMimic has neither).

Bandai → KIT-21 (:data:`BANDAI_TO_KIT21`): the KIT spine points are interpolated along Hips →
Spine → Chest; the metatarsal point is interpolated between Foot and Toes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from molingo_ros.motion.motion import Motion
from molingo_ros.motion.rigs import KIT21, KIT21_PARENTS, SMPL22, SMPL22_PARENTS, Rig, rig_for


@dataclass(frozen=True)
class Point:
    """A target joint: ``sum(w * source[j])`` plus ``R_frame @ offset_m`` (``R_frame`` the global
    rotation of source joint ``frame``, ``offset_m`` in that joint's local axes, metres)."""

    weights: tuple[tuple[str, float], ...]
    frame: str | None = None
    offset_m: tuple[float, float, float] = (0.0, 0.0, 0.0)


def _at(joint: str) -> Point:
    return Point(((joint, 1.0),))


def _lerp(a: str, b: str, t: float) -> Point:
    return Point(((a, 1.0 - t), (b, t)))


def _off(joint: str, offset: tuple[float, float, float]) -> Point:
    return Point(((joint, 1.0),), joint, offset)


def _sides(left: dict[str, Point]) -> dict[str, Point]:
    """``left`` plus the same points for the right side (``_L``/``left_`` → ``_R``/``right_``)."""

    def swap(name: str) -> str:
        return name.replace("_L", "_R").replace("left_", "right_")

    out = dict(left)
    for name, point in left.items():
        weights = tuple((swap(j), w) for j, w in point.weights)
        frame = swap(point.frame) if point.frame else None
        out[swap(name)] = Point(weights, frame, point.offset_m)
    return out


BANDAI_TO_SMPL22: dict[str, Point] = {
    "pelvis": _at("Hips"),
    "spine1": _lerp("Hips", "Spine", 0.55),
    "spine2": _lerp("Spine", "Chest", 0.5),
    "spine3": _at("Chest"),
    "neck": _at("Neck"),
    "head": _at("Head"),
    **_sides(
        {
            "left_hip": _at("UpperLeg_L"),
            "left_knee": _at("LowerLeg_L"),
            "left_ankle": _at("Foot_L"),
            "left_foot": _at("Toes_L"),
            "left_collar": _at("Shoulder_L"),
            "left_shoulder": _at("UpperArm_L"),
            "left_elbow": _at("LowerArm_L"),
            "left_wrist": _at("Hand_L"),
        }
    ),
}
"""SMPL-22 joint → Bandai joints (see the module docstring)."""

DEEPMIMIC_TO_SMPL22: dict[str, Point] = {
    "pelvis": _at("root"),
    "spine1": _lerp("root", "chest", 0.4),
    "spine2": _at("chest"),
    "spine3": _lerp("chest", "neck", 0.2),
    "neck": _at("neck"),
    # DeepMimic's file axes: y up, x forward; its neck frame carries the head.
    "head": _off("neck", (0.0, 0.1, 0.0)),
    **_sides(
        {
            "left_hip": _at("left_hip"),
            "left_knee": _at("left_knee"),
            "left_ankle": _at("left_ankle"),
            "left_foot": _off("left_ankle", (0.13, -0.045, 0.0)),
            "left_collar": Point((("neck", 0.45), ("left_shoulder", 0.45), ("chest", 0.1))),
            "left_shoulder": _at("left_shoulder"),
            "left_elbow": _at("left_elbow"),
            "left_wrist": _at("left_wrist"),
        }
    ),
}
"""SMPL-22 joint → DeepMimic humanoid3d joints (see the module docstring)."""

BANDAI_TO_KIT21: dict[str, Point] = {
    "root": _at("Hips"),
    "spine_lower": _lerp("Hips", "Spine", 0.7),
    "spine_upper": _lerp("Spine", "Chest", 0.8),
    "neck": _at("Neck"),
    "head": _at("Head"),
    **_sides(
        {
            "left_shoulder": _at("UpperArm_L"),
            "left_elbow": _at("LowerArm_L"),
            "left_wrist": _at("Hand_L"),
            "left_hip": _at("UpperLeg_L"),
            "left_knee": _at("LowerLeg_L"),
            "left_ankle": _at("Foot_L"),
            "left_metatarsal": _lerp("Foot_L", "Toes_L", 0.6),
            "left_toe": _at("Toes_L"),
        }
    ),
}
"""KIT-21 joint → Bandai joints (see the module docstring)."""

MAPPINGS: dict[tuple[str, str], dict[str, Point]] = {
    ("bandai", "smpl22"): BANDAI_TO_SMPL22,
    ("deepmimic", "smpl22"): DEEPMIMIC_TO_SMPL22,
    ("bandai", "kit21"): BANDAI_TO_KIT21,
}
"""(source rig, target rig) → mapping."""

_TARGETS: dict[str, tuple[Rig, tuple[int, ...]]] = {
    "smpl22": (SMPL22, SMPL22_PARENTS),
    "kit21": (KIT21, KIT21_PARENTS),
}


def map_motion(motion: Motion, target: str) -> Motion:
    """``motion`` (a Bandai or DeepMimic rig) on the joints of rig ``target`` (``smpl22`` or
    ``kit21``): positions only (rotations dropped), same frames, fps, name and text.

    Raises:
        KeyError: no mapping from the motion's rig to ``target`` (the message lists them).
    """
    source = rig_for(motion.joint_names)
    if (source.name, target) not in MAPPINGS:
        raise KeyError(
            f"no mapping from rig {source.name!r} to {target!r}; known: "
            + ", ".join(f"{s} -> {t}" for s, t in MAPPINGS)
        )
    mapping = MAPPINGS[(source.name, target)]
    rig, parents = _TARGETS[target]
    out = np.zeros((motion.num_frames, len(rig.joint_names), 3))
    for k, name in enumerate(rig.joint_names):
        point = mapping[name]
        for joint, weight in point.weights:
            out[:, k] += weight * motion.positions_m[:, motion.joint_index(joint)]
        if point.frame is not None:
            if motion.rotations is None:
                raise ValueError(f"motion {motion.name!r} needs rotations to place {name!r}")
            frame = motion.rotations[:, motion.joint_index(point.frame)]
            out[:, k] += frame @ np.asarray(point.offset_m)
    return replace(
        motion,
        positions_m=out,
        joint_names=list(rig.joint_names),
        parents=np.asarray(parents),
        rotations=None,
        frame_labels=None,
    )


def resample(motion: Motion, fps: float) -> Motion:
    """``motion`` at ``fps`` frames per second: joint positions linearly interpolated at times
    ``k / fps`` within the clip (rotations and frame labels dropped)."""
    if abs(fps - motion.fps) < 1e-9:
        return replace(motion, rotations=None, frame_labels=None)
    source_t = np.arange(motion.num_frames) / motion.fps
    count = int(np.floor(source_t[-1] * fps + 1e-9)) + 1
    target_t = np.arange(count) / fps
    flat = motion.positions_m.reshape(motion.num_frames, -1)
    out = np.stack([np.interp(target_t, source_t, flat[:, c]) for c in range(flat.shape[1])], 1)
    return replace(
        motion,
        positions_m=out.reshape(count, motion.num_joints, 3),
        fps=float(fps),
        rotations=None,
        frame_labels=None,
    )
