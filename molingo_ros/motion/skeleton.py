"""Skeletons and forward kinematics, vectorised over frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from molingo_ros.motion.motion import Motion, index_of


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree.

    Attributes:
        joint_names: J names, parents listed before their children.
        parents: (J,) parent index per joint, -1 for the root.
        offsets_m: (J, 3) rest translation of each joint in its parent's frame, metres.
    """

    joint_names: tuple[str, ...]
    parents: np.ndarray
    offsets_m: np.ndarray

    def __post_init__(self) -> None:
        parents = np.asarray(self.parents, dtype=np.int64)
        if parents.shape != (len(self.joint_names),):
            raise ValueError(f"{len(self.joint_names)} names but parents of shape {parents.shape}")
        for j, p in enumerate(parents):
            if p >= j or (p < 0 and j != 0):
                raise ValueError(
                    f"joint {self.joint_names[j]!r} (index {j}) has parent {p}: parents must come "
                    "before children and only joint 0 may be the root"
                )
        object.__setattr__(self, "parents", parents)
        object.__setattr__(self, "offsets_m", np.asarray(self.offsets_m, dtype=np.float64))

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    def index(self, name: str) -> int:
        """Index of joint ``name``; the error lists the valid names."""
        return index_of(self.joint_names, name)

    def children(self, joint: int) -> list[int]:
        return [int(j) for j in np.flatnonzero(self.parents == joint)]

    def bone_lengths_m(self) -> np.ndarray:
        """(J,) length of the bone from each joint's parent to the joint (0 for the root)."""
        lengths = np.linalg.norm(self.offsets_m, axis=1)
        lengths[self.parents < 0] = 0.0
        return lengths


def forward_kinematics(
    parents: np.ndarray,
    local_rotations: np.ndarray,
    local_translations: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Global joint rotations and positions from local ones.

    Args:
        parents: (J,) parent index per joint (-1 root), parents before children.
        local_rotations: (T, J, 3, 3) rotation of each joint relative to its parent's frame.
        local_translations: (T, J, 3) or (J, 3) translation of each joint in its parent's frame
            (for the root: in the world frame).

    Returns:
        ``(global_rotations (T, J, 3, 3), global_positions (T, J, 3))`` in the frame the
        root's translation is expressed in.
    """
    local_rotations = np.asarray(local_rotations, dtype=np.float64)
    num_frames, num_joints = local_rotations.shape[:2]
    trans = np.broadcast_to(
        np.asarray(local_translations, dtype=np.float64), (num_frames, num_joints, 3)
    )
    rot_g = np.empty_like(local_rotations)
    pos_g = np.empty((num_frames, num_joints, 3))
    for j, p in enumerate(parents):
        if p < 0:
            rot_g[:, j] = local_rotations[:, j]
            pos_g[:, j] = trans[:, j]
        else:
            rot_g[:, j] = rot_g[:, p] @ local_rotations[:, j]
            pos_g[:, j] = pos_g[:, p] + np.einsum("tab,tb->ta", rot_g[:, p], trans[:, j])
    return rot_g, pos_g


def bone_offsets(motion: Motion) -> np.ndarray:
    """(J, 3) translation of each joint in its parent's frame, read off frame 0 of a motion with
    rotations (metres; the root's is zero)."""
    if motion.rotations is None:
        raise ValueError(f"motion {motion.name!r} has no rotations to read bone offsets from")
    parent = np.maximum(motion.parents, 0)
    pos, rot = motion.positions_m[0], motion.rotations[0]
    offsets = np.einsum("jba,jb->ja", rot[parent], pos - pos[parent])
    offsets[motion.parents < 0] = 0.0
    return offsets
