"""The HumanML3D motion vector (263-d for SMPL-22, 251-d for KIT-21), this project's own
implementation of the definition in HumanML3D's ``motion_representation.ipynb``.

Everything here is in the layout's **file frame**: y up, the clip's first frame facing +z, x to
the character's left, in the layout's units (metres for HumanML3D, millimetres for KIT-ML).
For J joints, row t of the vector (T joint frames give T - 1 rows) holds:

==================  =========  =============================================================
block               size       meaning
==================  =========  =============================================================
root_rot_vel        1          half the change of the root yaw from t to t+1 (rad); the yaw
                               of frame t is ``2 * sum(root_rot_vel[:t])``, frame 0 has 0
root_lin_vel        2          root x, z displacement t → t+1 in the heading frame of t+1
root_y              1          root height at t
ric                 3 (J-1)    joints relative to the root (x, z) in the heading frame of t,
                               y absolute
rot                 6 (J-1)    joint rotations (two first matrix columns) from the positions:
                               each bone's rotation from its rest direction (``raw_offsets``)
                               relative to the previous bone of its chain (the first bone of
                               every chain relative to the root heading, as in HumanML3D)
local_vel           3 J        joint displacement t → t+1 in the heading frame of t
foot_contact        4          left ankle, left foot, right ankle, right foot: squared
                               displacement t → t+1 below ``contact_threshold``
==================  =========  =============================================================

The heading is the horizontal direction perpendicular to the hips' and shoulders' left-right
axis, smoothed over time with a Gaussian of 20 frames (HumanML3D's ``smooth_forward``), and
the root yaw of frame 0 is zero (the clip is aligned first, :func:`align`). Two deliberate
differences from the original notebook: the heading uses right − left for both hips and
shoulders (the notebook swaps the hips in its inverse kinematics), and the yaw velocity is the
wrapped angle difference, so a turn through 180° keeps its sign.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

_UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class VectorSkeleton:
    """What the motion vector needs to know about a skeleton (joint indices, file frame).

    Attributes:
        parents: parent of each joint, -1 for the root (joint 0).
        chains: the kinematic chains (joint indices from a chain's base to its tip).
        raw_offsets: (J, 3) rest direction of each joint from its parent (unit axes).
        face_joints: (right hip, left hip, right shoulder, left shoulder).
        feet: (left ankle, left foot, right ankle, right foot).
        contact_threshold: squared per-frame displacement (file units²) under which a foot
            joint is in contact (HumanML3D: 0.002 m²).
        smooth_frames: sigma (frames) of the Gaussian smoothing of the heading.
    """

    parents: tuple[int, ...]
    chains: tuple[tuple[int, ...], ...]
    raw_offsets: tuple[tuple[float, float, float], ...]
    face_joints: tuple[int, int, int, int]
    feet: tuple[int, int, int, int]
    contact_threshold: float
    smooth_frames: float = 20.0

    @property
    def num_joints(self) -> int:
        return len(self.parents)


def vector_slices(num_joints: int) -> dict[str, slice]:
    """Block name → slice of the motion vector of a ``num_joints`` skeleton."""
    names = ("root_rot_vel", "root_lin_vel", "root_y", "ric", "rot", "local_vel", "foot_contact")
    sizes = (1, 2, 1, 3 * (num_joints - 1), 6 * (num_joints - 1), 3 * num_joints, 4)
    stops = np.cumsum(sizes)
    return {n: slice(int(e - k), int(e)) for n, k, e in zip(names, sizes, stops, strict=True)}


def vector_dim(num_joints: int) -> int:
    """263 for 22 joints, 251 for 21."""
    return vector_slices(num_joints)["foot_contact"].stop


def yaw_matrices(yaw: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotations about +y by ``yaw`` radians."""
    c, s = np.cos(yaw), np.sin(yaw)
    mats = np.zeros(np.shape(yaw) + (3, 3))
    mats[..., 0, 0], mats[..., 0, 2] = c, s
    mats[..., 1, 1] = 1.0
    mats[..., 2, 0], mats[..., 2, 2] = -s, c
    return mats


def _forward(joints: np.ndarray, skeleton: VectorSkeleton) -> np.ndarray:
    """(T, 3) horizontal facing direction (unnormalised) from hips and shoulders."""
    r_hip, l_hip, r_sh, l_sh = skeleton.face_joints
    across = (joints[:, r_hip] - joints[:, l_hip]) + (joints[:, r_sh] - joints[:, l_sh])
    across = across / np.maximum(np.linalg.norm(across, axis=-1, keepdims=True), 1e-9)
    return np.cross(_UP, across)


def align(joints: np.ndarray, skeleton: VectorSkeleton) -> np.ndarray:
    """HumanML3D's placement: lowest joint of the clip on y = 0, frame 0's root at x = z = 0,
    frame 0 facing +z."""
    out = np.array(joints, dtype=np.float64)
    out[..., 1] -= out[..., 1].min()
    out -= out[0, 0] * np.array([1.0, 0.0, 1.0])
    forward = _forward(out[:1], skeleton)[0]
    return out @ yaw_matrices(-np.arctan2(forward[0], forward[2])).T


def root_yaw(joints: np.ndarray, skeleton: VectorSkeleton) -> np.ndarray:
    """(T,) yaw (rad about +y) that turns each frame's smoothed heading to +z; frame 0 is 0."""
    forward = _forward(joints, skeleton)
    forward = gaussian_filter1d(forward, skeleton.smooth_frames, axis=0, mode="nearest")
    yaw = -np.arctan2(forward[:, 0], forward[:, 2])
    yaw[0] = 0.0
    return yaw


def rotation_between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(..., 3, 3) shortest rotations taking unit vectors ``u`` onto unit vectors ``v``
    (opposite vectors: half a turn about an axis perpendicular to ``u``)."""
    k = np.cross(u, v)
    c = np.sum(u * v, axis=-1)
    skew = np.zeros(k.shape + (3,))
    skew[..., 0, 1], skew[..., 0, 2] = -k[..., 2], k[..., 1]
    skew[..., 1, 0], skew[..., 1, 2] = k[..., 2], -k[..., 0]
    skew[..., 2, 0], skew[..., 2, 1] = -k[..., 1], k[..., 0]
    scale = 1.0 / np.maximum(1.0 + c, 1e-9)
    out = np.eye(3) + skew + skew @ skew * scale[..., None, None]
    opposite = c < -1.0 + 1e-6
    if opposite.any():
        other = np.where(np.abs(u[opposite, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
        axis = np.cross(u[opposite], other)
        axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
        out[opposite] = 2.0 * axis[:, :, None] * axis[:, None, :] - np.eye(3)
    return out


def joint_rotations(joints: np.ndarray, yaw: np.ndarray, skeleton: VectorSkeleton) -> np.ndarray:
    """(T, J, 3, 3) local joint rotations from positions (HumanML3D's inverse kinematics):
    joint 0 holds the root yaw; joint c holds the rotation of its bone from its rest direction,
    relative to the previous bone of its chain (the root yaw for a chain's first bone)."""
    num_frames = len(joints)
    root = yaw_matrices(yaw)
    out = np.tile(np.eye(3), (num_frames, skeleton.num_joints, 1, 1))
    out[:, 0] = root
    offsets = np.asarray(skeleton.raw_offsets, dtype=np.float64)
    for chain in skeleton.chains:
        previous = root
        for parent, child in zip(chain[:-1], chain[1:], strict=False):
            bone = joints[:, child] - joints[:, parent]
            bone = bone / np.maximum(np.linalg.norm(bone, axis=-1, keepdims=True), 1e-9)
            rest = np.broadcast_to(offsets[child] / np.linalg.norm(offsets[child]), bone.shape)
            absolute = rotation_between(rest, bone)
            out[:, child] = np.swapaxes(previous, -1, -2) @ absolute
            previous = absolute
    return out


def _foot_contacts(joints: np.ndarray, skeleton: VectorSkeleton) -> np.ndarray:
    feet = joints[:, list(skeleton.feet)]
    moved = np.sum((feet[1:] - feet[:-1]) ** 2, axis=-1)
    return (moved < skeleton.contact_threshold).astype(np.float64)


def joints_to_vectors(joints: np.ndarray, skeleton: VectorSkeleton) -> np.ndarray:
    """(T - 1, D) motion vectors of aligned joint positions (T, J, 3) (see :func:`align`)."""
    joints = np.asarray(joints, dtype=np.float64)
    if len(joints) < 2:
        raise ValueError(f"a motion vector needs at least 2 frames, got {len(joints)}")
    yaw = root_yaw(joints, skeleton)
    heading = yaw_matrices(yaw)
    root_step = joints[1:, 0] - joints[:-1, 0]
    lin_vel = np.einsum("tab,tb->ta", heading[1:], root_step)[:, [0, 2]]
    rot_vel = 0.5 * ((np.diff(yaw) + np.pi) % (2 * np.pi) - np.pi)
    local = joints - joints[:, :1] * np.array([1.0, 0.0, 1.0])
    ric = np.einsum("tab,tjb->tja", heading, local)[:, 1:]
    rot = joint_rotations(joints, yaw, skeleton)[:, 1:, :, :2]
    rot6d = np.swapaxes(rot, -1, -2).reshape(len(joints), -1)  # column 0 then column 1
    local_vel = np.einsum("tab,tjb->tja", heading[:-1], joints[1:] - joints[:-1])
    parts = [
        rot_vel[:, None],
        lin_vel,
        joints[:-1, 0, 1:2],
        ric[:-1].reshape(len(joints) - 1, -1),
        rot6d[:-1],
        local_vel.reshape(len(joints) - 1, -1),
        _foot_contacts(joints, skeleton),
    ]
    return np.concatenate(parts, axis=1)


def recover_from_ric(vectors: np.ndarray, num_joints: int) -> np.ndarray:
    """(T, J, 3) joint positions from motion vectors (T, D): the root integrated from its
    velocities (starting at x = z = 0, yaw 0), the other joints from ``ric``."""
    vectors = np.asarray(vectors, dtype=np.float64)
    blocks = vector_slices(num_joints)
    half = np.concatenate([[0.0], np.cumsum(vectors[:-1, 0])])
    inverse = np.swapaxes(yaw_matrices(2.0 * half), -1, -2)
    steps = np.zeros((len(vectors), 3))
    steps[1:, [0, 2]] = vectors[:-1, blocks["root_lin_vel"]]
    root = np.cumsum(np.einsum("tab,tb->ta", inverse, steps), axis=0)
    root[:, 1] = vectors[:, blocks["root_y"]][:, 0]
    ric = vectors[:, blocks["ric"]].reshape(len(vectors), num_joints - 1, 3)
    others = np.einsum("tab,tjb->tja", inverse, ric) + root[:, None] * np.array([1.0, 0.0, 1.0])
    return np.concatenate([root[:, None], others], axis=1)


def mean_std(vectors: list[np.ndarray], num_joints: int) -> tuple[np.ndarray, np.ndarray]:
    """``Mean.npy`` / ``Std.npy`` of motion vectors: per-dimension mean; the std of each block
    replaced by the block's average std (as HumanML3D does; floored at 1e-6)."""
    stacked = np.concatenate(vectors, axis=0)
    mean = stacked.mean(axis=0)
    std = stacked.std(axis=0)
    groups = [slice(0, 1), slice(1, 3), slice(3, 4)] + list(vector_slices(num_joints).values())[3:]
    for block in groups:
        std[block] = std[block].mean()
    return mean, np.maximum(std, 1e-6)
