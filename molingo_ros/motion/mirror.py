"""Left/right mirroring of a motion (reflection through the world x-z plane, y → -y)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from molingo_ros.motion.motion import Motion
from molingo_ros.motion.rigs import mirror_joint_name
from molingo_ros.motion.skeleton import bone_offsets

_WORLD_MIRROR = np.diag([1.0, -1.0, 1.0])
_LOCAL_CANDIDATES = [
    np.diag(signs) for signs in itertools.product([1.0, -1.0], repeat=3) if np.prod(signs) < 0
]


def mirror_indices(joint_names: list[str]) -> list[int]:
    """For each joint, the index of its mirror partner (itself for centre joints)."""
    names = list(joint_names)
    return [
        names.index(mirror_joint_name(n)) if mirror_joint_name(n) in names else i
        for i, n in enumerate(names)
    ]


def fit_local_mirrors(motion: Motion) -> np.ndarray:
    """(J, 3, 3) local reflections ``D_j`` such that the mirrored global rotations
    ``G'_{m(j)} = M G_j D_j`` (``M`` the world reflection) are proper rotations consistent with the
    mirrored positions and with the rig's own local frames on the other side.

    Each ``D_j`` is the diagonal reflection that maps the child offsets of ``j`` onto those of its
    mirror partner and, among those, brings the clip's mean rotation of ``j`` mirrored closest to
    its partner's (this settles the twist of single-child limbs). Best fitted on a clip whose
    average pose is near symmetric, such as a walk.
    """
    if motion.rotations is None:
        raise ValueError(f"motion {motion.name!r} has no rotations to mirror")
    rot, parents = motion.rotations, motion.parents
    partner = mirror_indices(motion.joint_names)
    offsets = bone_offsets(motion)
    mean_rot = rot.mean(axis=0)
    fitted = np.empty((motion.num_joints, 3, 3))
    for j in range(motion.num_joints):
        children = np.flatnonzero(parents == j)
        best, best_score = None, np.inf
        for cand in _LOCAL_CANDIDATES:
            offset_err = sum(
                float(np.linalg.norm(offsets[partner[c]] - cand @ offsets[c])) for c in children
            )
            rot_err = float(
                np.linalg.norm(_WORLD_MIRROR @ mean_rot[j] @ cand - mean_rot[partner[j]])
            )
            score = 100.0 * offset_err + rot_err
            if score < best_score:
                best, best_score = cand, score
        fitted[j] = best
    return fitted


def mirror_motion(motion: Motion, local_mirrors: np.ndarray | None = None) -> Motion:
    """The motion performed with the other side: positions reflected (y → -y), left and right
    joints swapped, rotations mirrored with ``local_mirrors`` (fitted on this motion if None).
    Frame labels and text are kept as they are (mirror captions with
    :func:`molingo_ros.motion.captions.mirror_caption`)."""
    partner = mirror_indices(motion.joint_names)
    positions = motion.positions_m[:, partner] * np.array([1.0, -1.0, 1.0])
    rotations = None
    if motion.rotations is not None:
        if local_mirrors is None:
            local_mirrors = fit_local_mirrors(motion)
        mirrored = np.einsum("ab,tjbc,jcd->tjad", _WORLD_MIRROR, motion.rotations, local_mirrors)
        rotations = mirrored[:, partner]
    name = f"{motion.name}_mirror" if motion.name else ""
    return replace(motion, positions_m=positions, rotations=rotations, name=name)
