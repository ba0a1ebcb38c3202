"""Tests of molingo_ros.motion.humanml3d: the HumanML3D / KIT-ML folder layout (text lines,
splits, axes and units, sub-clips), on a folder written by the layout's own writers."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion.humanml3d import (
    HUMANML3D,
    KIT,
    TO_WORLD,
    LayoutClip,
    LayoutFolder,
    TextLine,
    joints_from_motion,
    motion_from_joints,
    write_clip,
    write_mean_std,
    write_splits,
)


def test_text_lines_round_trip_with_sub_clip_times():
    line = "a man kicks with his left leg#a/DET man/NOUN kick/VERB#1.5#3.0"
    text = TextLine.parse(line)
    assert text.caption == "a man kicks with his left leg" and text.tokens[2] == "kick/VERB"
    assert (text.start_s, text.end_s) == (1.5, 3.0) and not text.whole_clip
    assert text.line() == line
    assert TextLine.parse("a person walks#a/DET#nan#nan").whole_clip
    assert TextLine.parse("a person walks#a/DET#0.0#0.0\n").whole_clip
    with pytest.raises(ValueError, match="caption#tokens#start#end"):
        TextLine.parse("no hashes here")


def test_file_frame_is_y_up_facing_z_left_x():
    # file x (left) -> world y, file y (up) -> world z, file z (forward) -> world x
    np.testing.assert_allclose(TO_WORLD @ [1, 0, 0], [0, 1, 0])
    np.testing.assert_allclose(TO_WORLD @ [0, 1, 0], [0, 0, 1])
    np.testing.assert_allclose(TO_WORLD @ [0, 0, 1], [1, 0, 0])


def test_units_metres_and_millimetres():
    rng = np.random.default_rng(0)
    joints = rng.normal(size=(5, 21, 3)) * 500.0
    motion = motion_from_joints(joints, KIT, "k")
    assert motion.fps == 12.5 and motion.joint_names[0] == "root"
    np.testing.assert_allclose(np.abs(motion.positions_m).max(), np.abs(joints).max() / 1000)
    np.testing.assert_allclose(joints_from_motion(motion, KIT), joints)
    with pytest.raises(ValueError, match="not on the smpl22 rig"):
        joints_from_motion(motion, HUMANML3D)


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(1)
    joints = np.cumsum(rng.normal(scale=0.01, size=(40, 22, 3)), axis=0) + 1.0
    texts = [TextLine("a person waves", ("a/DET",)), TextLine("then bows", (), 1.0, 1.5)]
    write_clip(tmp_path, LayoutClip("000001", joints, np.zeros((40, 263)), texts))
    write_splits(tmp_path, {"train": ["000001"], "test": []})
    write_mean_std(tmp_path, np.zeros(263), np.ones(263))
    return tmp_path, joints


def test_reader_reads_what_the_writers_wrote(folder):
    path, joints = folder
    layout = LayoutFolder(path)
    assert layout.spec is HUMANML3D  # from the 22 joints
    assert layout.split("train") == ["000001"] and layout.split("val") == []
    assert layout.split("all") == ["000001"] and layout.split("train_val") == ["000001"]
    clip = layout.clip("000001")
    np.testing.assert_allclose(clip.joints, joints, atol=1e-6)
    assert [t.caption for t in clip.texts] == ["a person waves", "then bows"]
    assert layout.mean.shape == layout.std.shape == (263,)
    whole = layout.motion("000001")
    assert whole.num_frames == 40 and whole.text == "a person waves"
    part = layout.motion("000001", clip.texts[1])
    assert part.num_frames == 10 and part.text == "then bows"  # 1.0 s to 1.5 s at 20 fps
    np.testing.assert_allclose(part.positions_m, whole.positions_m[20:30])


def test_reader_errors(tmp_path, folder):
    with pytest.raises(FileNotFoundError, match="not a layout folder"):
        LayoutFolder(tmp_path / "nothing")
    path, _ = folder
    np.save(path / "new_joint_vecs" / "000001.npy", np.zeros((40, 251)))
    with pytest.raises(ValueError, match="251-d vectors, humanml3d has 263"):
        LayoutFolder(path).clip("000001")
    assert LayoutFolder(path, "kit").spec is KIT
