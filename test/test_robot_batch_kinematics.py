"""Tests of molingo_ros.robot.batch_kinematics: the vectorised forward kinematics against
pinocchio, on the real G1 and on a hand-built model with every batched joint type."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

from molingo_ros.robot.batch_kinematics import (
    _joint_placements_loop,
    joint_placements,
    transform_points,
)
from molingo_ros.robot.models import load_robot


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def _oMi(model: pin.Model, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    data = model.createData()
    rot, pos = [], []
    for x in q:
        pin.forwardKinematics(model, data, x)
        rot.append([np.array(m.rotation) for m in data.oMi])
        pos.append([np.array(m.translation) for m in data.oMi])
    return np.array(rot), np.array(pos)


def test_joint_placements_match_pinocchio(g1):
    rng = np.random.default_rng(3)
    q = np.tile(g1.neutral(), (20, 1))
    q[:, g1.joint_q_indices] = rng.uniform(g1.lower, g1.upper, (20, g1.num_joints))
    quat = rng.normal(size=(20, 4))
    q[:, 3:7] = quat / np.linalg.norm(quat, axis=1, keepdims=True)
    q[:, :3] = rng.normal(size=(20, 3))
    want_rot, want_pos = _oMi(g1.model, q)
    for fk in (joint_placements, _joint_placements_loop):
        rot, pos = fk(g1.model, q)
        np.testing.assert_allclose(rot, want_rot, atol=1e-12)
        np.testing.assert_allclose(pos, want_pos, atol=1e-12)


def test_joint_placements_other_joint_types():
    model = pin.Model()
    rng = np.random.default_rng(5)

    def place() -> pin.SE3:
        return pin.SE3(pin.rpy.rpyToMatrix(*rng.normal(size=3)), rng.normal(size=3))

    axis = rng.normal(size=3)
    j = model.addJoint(0, pin.JointModelFreeFlyer(), place(), "root")
    j = model.addJoint(
        j, pin.JointModelRevoluteUnaligned(axis / np.linalg.norm(axis)), place(), "ru"
    )
    j = model.addJoint(
        j, pin.JointModelPrismaticUnaligned(np.array([0.0, 0.6, 0.8])), place(), "pu"
    )
    j = model.addJoint(j, pin.JointModelPY(), place(), "py")
    model.addJoint(j, pin.JointModelRX(), place(), "rx")
    q = rng.normal(size=(6, model.nq))
    q[:, 3:7] /= np.linalg.norm(q[:, 3:7], axis=1, keepdims=True)
    want_rot, want_pos = _oMi(model, q)
    rot, pos = joint_placements(model, q)
    np.testing.assert_allclose(rot, want_rot, atol=1e-12)
    np.testing.assert_allclose(pos, want_pos, atol=1e-12)
    # A joint type without a batched form (spherical) falls back to pinocchio.
    model.addJoint(1, pin.JointModelSpherical(), place(), "ball")
    q = np.concatenate([q, np.tile([0.0, 0.0, 0.0, 1.0], (len(q), 1))], axis=1)
    q[:, -4:] = rng.normal(size=(len(q), 4))
    q[:, -4:] /= np.linalg.norm(q[:, -4:], axis=1, keepdims=True)
    want_rot, want_pos = _oMi(model, q)
    rot, pos = joint_placements(model, q)
    np.testing.assert_allclose(rot, want_rot, atol=1e-12)
    np.testing.assert_allclose(pos, want_pos, atol=1e-12)


def test_transform_points_gives_keypoints_and_soles(g1):
    rng = np.random.default_rng(11)
    q = np.tile(g1.neutral(), (5, 1))
    q[:, g1.joint_q_indices] = rng.uniform(g1.lower, g1.upper, (5, g1.num_joints))
    q[:, :3] += rng.normal(scale=0.3, size=(5, 3))
    rot, pos = joint_placements(g1.model, q)
    names = g1.keypoint_names
    frames = [g1.model.frames[g1.keypoint_frame_id(k)] for k in names]
    joints = np.array([f.parentJoint for f in frames])
    local = np.array([f.placement.translation for f in frames])
    world = transform_points(rot, pos, joints, local)
    assert world.shape == (5, len(names), 3)
    for t in range(5):
        want = g1.keypoint_positions(q[t])
        np.testing.assert_allclose(world[t], [want[k] for k in names], atol=1e-12)
    # The sole centres: the foot frames' placement applied to the spec's sole offset.
    offset = np.asarray(g1.spec.sole_offset_m)
    feet = [g1.model.frames[g1.keypoint_frame_id(f"{s}_foot")] for s in ("left", "right")]
    soles = transform_points(
        rot,
        pos,
        np.array([f.parentJoint for f in feet]),
        np.array([f.placement.act(offset) for f in feet]),
    )
    for t in range(5):
        want = g1.sole_positions(q[t])
        np.testing.assert_allclose(soles[t], [want["left"], want["right"]], atol=1e-12)


def test_neutral_g1_stands_on_the_floor(g1):
    rot, pos = joint_placements(g1.model, g1.neutral()[None])
    assert rot.shape == (1, g1.model.njoints, 3, 3)
    np.testing.assert_array_equal(rot[0, 0], np.eye(3))
    np.testing.assert_array_equal(pos[0, 0], np.zeros(3))
    # Joint 1 is the free flyer: the root sits at the neutral root position.
    np.testing.assert_allclose(pos[0, 1], g1.neutral()[:3], atol=1e-12)
    assert pos[0, 1:, 2].min() > 0.0  # every joint above the floor
