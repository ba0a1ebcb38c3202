"""Turn files of any supported kind into a :class:`Motion` in the project's world frame.

World frame: metres, z up, x forward, y left, floor at z = 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.spatial.transform import Rotation

from molingo_ros.motion.axes import to_world_matrix
from molingo_ros.motion.bvh import BvhClip, read_bvh
from molingo_ros.motion.motion import Motion
from molingo_ros.motion.skeleton import forward_kinematics

_POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
_ROTATION_AXES = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}


@dataclass
class BvhImportConfig:
    """How to read a BVH file into the project's world frame.

    Attributes:
        up_axis: the file's up axis (``"y"`` for most BVH, Bandai Namco included).
        forward_axis: the axis the actor faces in the file's rest frame (Bandai: ``"z"``).
            Only fixes the world axes: a clip keeps its own walking direction.
        metres_per_unit: file unit in metres (Bandai: centimetres, 0.01).
        drop_joints: joints removed from the output (their children are re-parented);
            Bandai's ``joint_Root`` stays at the origin and carries nothing.
        include_end_sites: add each End Site as a joint named ``<parent>_end``.
        floor: ``"file"`` keeps the file's floor (Bandai: y = 0); ``"lowest"`` shifts the clip
            so that its lowest joint over all frames is at z = 0.
        fps_decimals: the frame rate is rounded to this many decimals (0.0333333 s → 30.0).
    """

    up_axis: str = "y"
    forward_axis: str = "z"
    metres_per_unit: float = 0.01
    drop_joints: tuple[str, ...] = ("joint_Root",)
    include_end_sites: bool = False
    floor: Literal["file", "lowest"] = "file"
    fps_decimals: int = 1


def bvh_local_transforms(clip: BvhClip) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations (T, J, 3, 3) and translations (T, J, 3, file units) of a BVH clip.

    Rotation channels compose in the order they are listed (``Zrotation Xrotation Yrotation``
    gives ``Rz @ Rx @ Ry``, intrinsic). A joint's position channels, where present, replace
    its OFFSET on the axes they name (the usual BVH reading: Bandai's equal the offsets).
    """
    num_frames = clip.num_frames
    num_joints = len(clip.joints)
    rotations = np.tile(np.eye(3), (num_frames, num_joints, 1, 1))
    translations = np.tile(np.stack([j.offset for j in clip.joints]), (num_frames, 1, 1))
    for index, joint in enumerate(clip.joints):
        rot_names = [c for c in joint.channels if c in _ROTATION_AXES]
        if rot_names:
            order = "".join(_ROTATION_AXES[c] for c in rot_names)
            columns = [joint.channel_start + joint.channels.index(c) for c in rot_names]
            angles = clip.frames[:, columns]
            rotations[:, index] = Rotation.from_euler(order, angles, degrees=True).as_matrix()
        for axis, name in enumerate(_POSITION_CHANNELS):
            if name in joint.channels:
                translations[:, index, axis] = clip.frames[
                    :, joint.channel_start + joint.channels.index(name)
                ]
    return rotations, translations


def bvh_to_motion(clip: BvhClip, config: BvhImportConfig | None = None) -> Motion:
    """Forward kinematics of a BVH clip, expressed in the project's world frame."""
    config = config or BvhImportConfig()
    local_rot, local_trans = bvh_local_transforms(clip)
    names = clip.joint_names
    parents = clip.parents
    if config.include_end_sites:
        ends = [(i, j) for i, j in enumerate(clip.joints) if j.end_site is not None]
        for parent, joint in ends:
            names = names + [f"{joint.name}_end"]
            parents = np.append(parents, parent)
        if ends:
            num_frames = clip.num_frames
            extra_rot = np.tile(np.eye(3), (num_frames, len(ends), 1, 1))
            extra_trans = np.tile(np.stack([j.end_site for _, j in ends]), (num_frames, 1, 1))
            local_rot = np.concatenate([local_rot, extra_rot], axis=1)
            local_trans = np.concatenate([local_trans, extra_trans], axis=1)
    rot_g, pos_g = forward_kinematics(parents, local_rot, local_trans)

    # Names in drop_joints that this rig lacks are ignored: the default list is Bandai's.
    keep = [i for i, n in enumerate(names) if n not in config.drop_joints]
    if not keep:
        raise ValueError(f"{clip.path}: every joint is in drop_joints {config.drop_joints}")
    new_index = {old: new for new, old in enumerate(keep)}
    new_parents = []
    for old in keep:
        p = parents[old]
        while p >= 0 and p not in new_index:
            p = parents[p]
        new_parents.append(new_index.get(int(p), -1) if p >= 0 else -1)
    if sum(1 for p in new_parents if p < 0) != 1:
        raise ValueError(f"{clip.path}: dropping {config.drop_joints} leaves more than one root")

    to_world = to_world_matrix(config.up_axis, config.forward_axis)
    positions = np.einsum("ab,tjb->tja", to_world, pos_g[:, keep]) * config.metres_per_unit
    rotations = np.einsum("ab,tjbc->tjac", to_world, rot_g[:, keep])
    if config.floor == "lowest":
        positions[..., 2] -= positions[..., 2].min()
    elif config.floor != "file":
        raise ValueError(f"unknown floor mode {config.floor!r}; valid: file, lowest")
    return Motion(
        positions_m=positions,
        joint_names=[names[i] for i in keep],
        parents=np.array(new_parents),
        fps=round(clip.fps, config.fps_decimals),
        rotations=rotations,
        name=Path(clip.path).name.removesuffix(".gz").removesuffix(".bvh"),
    )


def load_motion(path: str | Path, bvh_config: BvhImportConfig | None = None) -> Motion:
    """Read a motion from a ``.bvh``/``.bvh.gz``, a DeepMimic clip (``.txt``/``.json``) or a
    project motion ``.npz``; the result is in the project's world frame."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".bvh", ".bvh.gz")):
        return bvh_to_motion(read_bvh(path), bvh_config)
    if name.endswith(".npz"):
        return Motion.load_npz(path)
    if name.endswith((".txt", ".json")):
        from molingo_ros.motion.deepmimic import read_deepmimic

        return read_deepmimic(path)
    raise ValueError(
        f"{path}: unknown motion file type; valid: .bvh, .bvh.gz, .npz, DeepMimic .txt/.json"
    )
