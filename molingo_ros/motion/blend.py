"""Joining motions with a smooth blended transition."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from molingo_ros.motion.features import _yaw_matrices, heading
from molingo_ros.motion.motion import Motion
from molingo_ros.motion.rigs import Rig, rig_for
from molingo_ros.motion.skeleton import bone_offsets, forward_kinematics


def _local_rotations(motion: Motion) -> np.ndarray:
    glob, parents = motion.rotations, motion.parents
    local = glob.copy()
    for j in range(1, motion.num_joints):
        local[:, j] = np.swapaxes(glob[:, parents[j]], -1, -2) @ glob[:, j]
    return local


def place_like(motion: Motion, frame: int, target: Motion, target_frame: int, rig: Rig) -> Motion:
    """Move ``motion`` rigidly (about z and in xy) so that its ``frame`` has the root xy and
    heading of ``target``'s ``target_frame``."""
    theta_src = heading(motion.positions_m[frame : frame + 1], rig)[0]
    theta_dst = heading(target.positions_m[target_frame : target_frame + 1], rig)[0]
    rot = _yaw_matrices(np.array(theta_dst - theta_src))
    src_xy = np.array([*motion.positions_m[frame, 0, :2], 0.0])
    dst_xy = np.array([*target.positions_m[target_frame, 0, :2], 0.0])
    positions = (motion.positions_m - src_xy) @ rot.T + dst_xy
    rotations = np.einsum("ab,tjbc->tjac", rot, motion.rotations)
    return replace(motion, positions_m=positions, rotations=rotations)


def join_motions(
    first: Motion,
    second: Motion,
    blend_frames: int = 10,
    max_catch_up_m_s: float = 1.0,
) -> tuple[Motion, int]:
    """``first`` then ``second``, cross-faded over at least ``blend_frames`` frames.

    The cross-fade is lengthened (up to the shorter clip's length) until closing the pose gap
    between the clips needs no joint faster than ``max_catch_up_m_s`` on top of the clips' own
    motion, so short clips that start far from where the first ends do not snap.

    ``second`` is moved so that its first frame starts where and facing the way ``first``'s
    last ``blend_frames`` begin; over the overlap, local joint rotations are slerped and the root
    position interpolated with a smooth-step weight, and positions are recomputed by forward
    kinematics so the result stays a rigid skeleton. Frame labels (or texts) carry over; in the
    overlap a frame belongs to whichever clip weighs more.

    Returns:
        ``(joined motion, index of the first frame labelled by second)``.
    """
    if first.rotations is None or second.rotations is None:
        raise ValueError("join_motions needs joint rotations in both motions")
    if first.joint_names != second.joint_names:
        raise ValueError("join_motions needs motions of the same rig")
    rig = rig_for(first.joint_names)
    longest = max(1, min(first.num_frames - 1, second.num_frames - 1))
    placed = place_like(second, 0, first, first.num_frames - 1, rig)
    gap_m = float(np.linalg.norm(first.positions_m[-1] - placed.positions_m[0], axis=-1).max())
    # smooth-step peaks at 1.5x the mean rate: frames needed to close the gap at that speed
    needed = int(np.ceil(1.5 * gap_m * first.fps / max_catch_up_m_s))
    blend = int(max(1, min(max(blend_frames, needed), longest)))
    start = first.num_frames - blend
    second = place_like(second, 0, first, start, rig)

    weights = np.linspace(0.0, 1.0, blend + 2)[1:-1]
    weights = weights * weights * (3 - 2 * weights)  # smooth-step: zero slope at both ends
    loc_a = _local_rotations(first)[start:]
    loc_b = _local_rotations(second)[:blend]
    blended_local = np.empty_like(loc_a)
    for t, w in enumerate(weights):
        pair = Rotation.from_matrix(np.stack([loc_a[t], loc_b[t]], axis=1).reshape(-1, 3, 3))
        for j in range(first.num_joints):
            slerp = Slerp([0.0, 1.0], pair[2 * j : 2 * j + 2])
            blended_local[t, j] = slerp([w]).as_matrix()[0]
    root = (1 - weights)[:, None] * first.positions_m[start:, 0] + weights[
        :, None
    ] * second.positions_m[:blend, 0]
    trans = np.tile(bone_offsets(first), (blend, 1, 1))
    trans[:, 0] = root
    rot_blend, pos_blend = forward_kinematics(first.parents, blended_local, trans)

    positions = np.concatenate([first.positions_m[:start], pos_blend, second.positions_m[blend:]])
    rotations = np.concatenate([first.rotations[:start], rot_blend, second.rotations[blend:]])
    switch = start + int(np.searchsorted(weights, 0.5))
    labels_a = first.frame_labels or [first.text or ""] * first.num_frames
    labels_b = second.frame_labels or [second.text or ""] * second.num_frames
    labels = list(labels_a[:switch]) + list(labels_b[switch - start :])
    joined = Motion(
        positions,
        first.joint_names,
        first.parents,
        first.fps,
        rotations,
        frame_labels=labels,
        name=f"{first.name}+{second.name}",
    )
    return joined, switch
