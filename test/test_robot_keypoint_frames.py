"""Tests of molingo_ros.robot.keypoint_frames: keypoint OP frames added to the real robot
models (G1 and T1 MJCF from MuJoCo Menagerie, built with pinocchio)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pinocchio as pin
import pytest

from molingo_ros.robot.keypoint_frames import KEYPOINT_FRAME_PREFIX, add_keypoint_frames
from molingo_ros.robot.models import RobotModelError, load_robot, resolve_model_path
from molingo_ros.robot.registry import get_spec
from molingo_ros.robot.spec import KeypointFrame


def _bare_model(name: str) -> pin.Model:
    """The robot's pinocchio model straight from its MJCF file (no keypoint frames)."""
    return pin.buildModelFromMJCF(str(resolve_model_path(get_spec(name).source)))


def test_frames_sit_at_the_keypoints():
    spec = get_spec("g1")
    model = _bare_model("g1")
    before = model.nframes
    ids = add_keypoint_frames(model, spec)
    assert set(ids) == set(spec.keypoints)
    assert model.nframes == before + len(spec.keypoints)
    data = model.createData()
    q = pin.neutral(model)
    q[7:] = np.linspace(-0.3, 0.3, model.nq - 7)  # any pose: the offsets ride along
    pin.framesForwardKinematics(model, data, q)
    for key, kp in spec.keypoints.items():
        frame = model.frames[ids[key]]
        assert frame.name == KEYPOINT_FRAME_PREFIX + key
        assert frame.type == pin.FrameType.OP_FRAME
        parent = model.frames[frame.parentFrame]
        assert parent.name == kp.parent and frame.parentJoint == parent.parentJoint
        want = data.oMf[frame.parentFrame].act(np.asarray(kp.offset_m))
        np.testing.assert_allclose(data.oMf[ids[key]].translation, want, atol=1e-12)
        np.testing.assert_allclose(
            data.oMf[ids[key]].rotation, data.oMf[frame.parentFrame].rotation, atol=1e-12
        )


def test_same_positions_as_the_robot():
    g1 = load_robot("g1")
    model = _bare_model("g1")
    ids = add_keypoint_frames(model, g1.spec)
    data = model.createData()
    pin.framesForwardKinematics(model, data, g1.neutral())
    want = g1.keypoint_positions(g1.neutral())
    for key, fid in ids.items():
        np.testing.assert_allclose(data.oMf[fid].translation, want[key], atol=1e-12)


def test_body_frame_wins_over_a_joint_frame_of_the_same_name():
    model = _bare_model("t1")  # the T1's link and joint are both called "Waist"
    kinds = {f.type for f in model.frames if f.name == "Waist"}
    assert kinds == {pin.FrameType.BODY, pin.FrameType.JOINT}
    ids = add_keypoint_frames(model, get_spec("t1"))
    assert model.frames[model.frames[ids["pelvis"]].parentFrame].type == pin.FrameType.BODY


def test_missing_parent_frame_is_named():
    spec = get_spec("g1")
    broken = replace(spec, keypoints={**spec.keypoints, "head": KeypointFrame("skull_link")})
    with pytest.raises(RobotModelError, match="keypoint 'head' needs frame 'skull_link'") as err:
        add_keypoint_frames(_bare_model("g1"), broken)
    assert "pelvis" in str(err.value)  # it lists body frames that exist
    assert "body frames)" in str(err.value)  # ... and how many there are
