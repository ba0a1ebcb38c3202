"""Tests of molingo_ros.motion.motion: the Motion container and its .npz file, on real clips."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.motion import Motion, index_of


@pytest.fixture(scope="module")
def walk(bandai_clip):
    return load_motion(bandai_clip("dataset-2_walk_normal_001"))


def test_sizes_and_duration(walk) -> None:
    assert (walk.num_frames, walk.num_joints) == (273, 21)
    assert walk.fps == 30.0 and walk.duration_s == pytest.approx(273 / 30.0)
    assert walk.positions_m.dtype == np.float64 and walk.parents.dtype == np.int64
    assert walk.rotations.shape == (273, 21, 3, 3)
    assert walk.name == "dataset-2_walk_normal_001"


def test_joint_index_and_index_of(walk) -> None:
    assert walk.joint_index("Hand_R") == walk.joint_names.index("Hand_R") == 12
    with pytest.raises(KeyError, match="unknown joint 'hand_r'; known: Hips, Spine"):
        walk.joint_index("hand_r")
    assert index_of(("a", "b"), "b") == 1
    with pytest.raises(KeyError, match="unknown link 'c'; known: a, b"):
        index_of(["a", "b"], "c", what="link")


def test_frames_cuts_every_per_frame_field(walk) -> None:
    labelled = walk.frames(0, walk.num_frames)
    labelled.frame_labels = [f"f{t}" for t in range(walk.num_frames)]
    labelled.text = "a person walks"
    part = labelled.frames(10, 25)
    assert part.num_frames == 15
    np.testing.assert_array_equal(part.positions_m, walk.positions_m[10:25])
    np.testing.assert_array_equal(part.rotations, walk.rotations[10:25])
    assert part.frame_labels == [f"f{t}" for t in range(10, 25)]
    assert (part.text, part.name, part.fps) == ("a person walks", walk.name, 30.0)


def test_npz_round_trip_with_extras(tmp_path, walk) -> None:
    motion = walk.frames(0, 60)
    motion.text = "a person walks"
    motion.frame_labels = ["walk"] * 30 + ["still walking"] * 30
    robot_q = np.linspace(0.0, 1.0, 60 * 7).reshape(60, 7)
    path = motion.save_npz(tmp_path / "m.npz", extra={"robot_q": robot_q})
    back = Motion.load_npz(path)
    np.testing.assert_allclose(back.positions_m, motion.positions_m, atol=1e-6)  # float32
    np.testing.assert_allclose(back.rotations, motion.rotations, atol=1e-6)
    assert back.joint_names == motion.joint_names and back.fps == 30.0
    np.testing.assert_array_equal(back.parents, motion.parents)
    assert (back.text, back.frame_labels, back.name) == (
        motion.text,
        motion.frame_labels,
        motion.name,
    )
    with np.load(path, allow_pickle=False) as data:
        np.testing.assert_array_equal(data["robot_q"], robot_q)
        assert data["joint_positions"].dtype == np.float32
    with pytest.raises(ValueError, match="extra key 'fps' would overwrite"):
        motion.save_npz(tmp_path / "bad.npz", extra={"fps": np.array(1.0)})


def test_minimal_npz_and_not_a_motion_file(tmp_path, walk) -> None:
    bare = Motion(walk.positions_m[:5], walk.joint_names, walk.parents, 30.0)
    back = Motion.load_npz(bare.save_npz(tmp_path / "bare.npz"))
    assert back.rotations is None and back.text is None and back.frame_labels is None
    assert back.name == ""  # stored empty name
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not a motion file, missing keys"):
        Motion.load_npz(tmp_path / "other.npz")


def test_motion_rejects_bad_shapes(walk) -> None:
    names, parents = walk.joint_names, walk.parents
    with pytest.raises(ValueError, match="positions_m must be"):
        Motion(np.zeros((3, 2)), ["a", "b"], np.array([-1, 0]), 30.0)
    with pytest.raises(ValueError, match="fps must be positive"):
        Motion(np.zeros((3, 2, 3)), ["a", "b"], np.array([-1, 0]), 0.0)
    with pytest.raises(ValueError, match="21 joints in positions_m but 20 names"):
        Motion(walk.positions_m, names[:20], parents, 30.0)
    with pytest.raises(ValueError, match=r"rotations must be \(T, J, 3, 3\)"):
        Motion(walk.positions_m, names, parents, 30.0, rotations=walk.rotations[:10])
    with pytest.raises(ValueError, match="frame_labels has 2 entries for 273 frames"):
        Motion(walk.positions_m, names, parents, 30.0, frame_labels=["a", "b"])
