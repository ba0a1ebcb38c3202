"""Tests of molingo_ros.motion.humanml3d_features: the 263-d / 251-d motion vector on real
Bandai motion mapped to SMPL-22 (alignment, heading, inverse by ric, rotations, contacts)."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.humanml3d import HUMANML3D, joints_from_motion
from molingo_ros.motion.humanml3d_features import (
    align,
    joint_rotations,
    joints_to_vectors,
    mean_std,
    recover_from_ric,
    root_yaw,
    rotation_between,
    vector_dim,
    vector_slices,
    yaw_matrices,
)
from molingo_ros.motion.rig_mapping import map_motion, resample

SKELETON = HUMANML3D.skeleton


@pytest.fixture(scope="module")
def turn(bandai_clip):
    motion = load_motion(bandai_clip("dataset-2_walk-turn-left_normal_001"))
    on_rig = resample(map_motion(motion, "smpl22"), 20.0)
    return align(joints_from_motion(on_rig, HUMANML3D), SKELETON)


def test_dimensions():
    assert vector_dim(22) == 263 and vector_dim(21) == 251
    sizes = {k: s.stop - s.start for k, s in vector_slices(22).items()}
    assert sizes == {"root_rot_vel": 1, "root_lin_vel": 2, "root_y": 1, "ric": 63, "rot": 126,
                     "local_vel": 66, "foot_contact": 4}  # fmt: skip


def test_align_puts_the_clip_on_the_floor_at_the_origin_facing_z(turn):
    assert turn[..., 1].min() == pytest.approx(0.0)
    np.testing.assert_allclose(turn[0, 0, [0, 2]], 0.0, atol=1e-12)
    r_hip, l_hip, r_sh, l_sh = SKELETON.face_joints
    across = turn[0, r_hip] - turn[0, l_hip] + turn[0, r_sh] - turn[0, l_sh]
    forward = np.cross([0.0, 1.0, 0.0], across)
    assert np.degrees(np.arctan2(forward[0], forward[2])) == pytest.approx(0.0, abs=1e-6)
    assert turn[0, 1, 0] > turn[0, 2, 0]  # the left hip is on +x


def test_vectors_invert_by_ric_and_a_left_turn_turns_left(turn):
    vectors = joints_to_vectors(turn, SKELETON)
    assert vectors.shape == (len(turn) - 1, 263)
    np.testing.assert_allclose(recover_from_ric(vectors, 22), turn[:-1], atol=1e-9)
    # turning left (towards +x, the left) makes the yaw that faces the body to +z negative
    assert np.degrees(2 * vectors[:, 0].sum()) < -60
    assert vectors[:, 2].mean() * 20 > 0.5  # and the walk goes forward in its heading frame


def test_rotations_carry_each_bone_from_its_rest_direction(turn):
    yaw = root_yaw(turn, SKELETON)
    local = joint_rotations(turn, yaw, SKELETON)
    np.testing.assert_allclose(local[:, 0], yaw_matrices(yaw))
    rest = np.asarray(SKELETON.raw_offsets)
    for chain in SKELETON.chains:
        absolute = yaw_matrices(yaw)
        for parent, child in zip(chain[:-1], chain[1:], strict=False):
            absolute = absolute @ local[:, child]
            bone = turn[:, child] - turn[:, parent]
            bone /= np.linalg.norm(bone, axis=-1, keepdims=True)
            np.testing.assert_allclose(absolute @ rest[child], bone, atol=1e-9)
    vectors = joints_to_vectors(turn, SKELETON)
    six = vectors[:, vector_slices(22)["rot"]].reshape(-1, 21, 6)
    np.testing.assert_allclose(six[:, :, :3], local[:-1, 1:, :, 0], atol=1e-12)  # column 0
    np.testing.assert_allclose(six[:, :, 3:], local[:-1, 1:, :, 1], atol=1e-12)  # column 1


def test_contacts_follow_the_stepping_feet(turn):
    contacts = joints_to_vectors(turn, SKELETON)[:, -4:]
    assert 0.3 < contacts.mean() < 0.8
    assert (contacts[:, 0] != contacts[:, 2]).any()  # left and right alternate somewhere


def test_mean_std_average_the_std_of_each_block():
    rng = np.random.default_rng(0)
    vectors = [rng.normal(size=(30, 263)) * np.arange(1, 264), rng.normal(size=(20, 263))]
    mean, std = mean_std(vectors, 22)
    np.testing.assert_allclose(mean, np.concatenate(vectors).mean(axis=0))
    ric = vector_slices(22)["ric"]
    assert np.ptp(std[ric]) == 0 and std[1] == std[2] and std[0] != std[1]
    with pytest.raises(ValueError, match="at least 2 frames"):
        joints_to_vectors(np.zeros((1, 22, 3)), SKELETON)


def test_rotation_between_takes_u_onto_v_and_handles_opposite_vectors():
    rng = np.random.default_rng(0)
    u = rng.normal(size=(50, 3))
    v = rng.normal(size=(50, 3))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    v[:3] = -u[:3]  # exactly opposite: half a turn
    v[3] = u[3]  # the same: identity
    R = rotation_between(u, v)
    assert np.allclose(np.einsum("tij,tj->ti", R, u), v, atol=1e-9)
    assert np.allclose(R @ np.swapaxes(R, -1, -2), np.eye(3), atol=1e-9)
    assert np.allclose(np.linalg.det(R), 1.0) and np.allclose(R[3], np.eye(3))
