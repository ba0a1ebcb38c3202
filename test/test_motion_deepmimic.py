"""DeepMimic humanoid3d clips from pybullet_data: a second real rig."""

import json

import numpy as np
import pytest

from molingo_ros.motion.deepmimic import (
    FRAME_SIZE,
    humanoid_clips,
    humanoid_skeleton,
    read_deepmimic,
)
from molingo_ros.motion.rigs import DEEPMIMIC


def test_all_humanoid_clips_load_in_world_frame():
    clips = humanoid_clips()
    assert len(clips) >= 15
    for path in clips:
        motion = read_deepmimic(path)
        assert tuple(motion.joint_names) == DEEPMIMIC.joint_names
        assert np.all(np.isfinite(motion.positions_m))
        dets = np.linalg.det(motion.rotations)
        np.testing.assert_allclose(dets, 1.0, atol=1e-9)  # normalised quaternions → rotations
        ankles = motion.positions_m[
            :, [DEEPMIMIC.index("left_ankle"), DEEPMIMIC.index("right_ankle")], 2
        ]
        assert ankles.min() > -0.02, path.name  # the floor is at z = 0


def test_walk_walks_forward_along_x_with_feet_on_floor():
    motion = read_deepmimic(next(p for p in humanoid_clips() if p.stem == "humanoid3d_walk"))
    assert motion.fps == pytest.approx(30.0, abs=0.1)
    disp = motion.positions_m[-1, 0] - motion.positions_m[0, 0]
    speed = np.linalg.norm(disp[:2]) / motion.duration_s
    assert disp[0] > 1.0 and 0.5 <= speed <= 2.0
    ankles = motion.positions_m[
        :, [DEEPMIMIC.index("left_ankle"), DEEPMIMIC.index("right_ankle")], 2
    ]
    assert 0.0 < ankles.min() < 0.1  # the ankle joint is ~5 cm above the sole
    left = (
        motion.positions_m[0, DEEPMIMIC.index("left_hip"), 1]
        - motion.positions_m[0, DEEPMIMIC.index("right_hip"), 1]
    )
    assert left > 0.1  # y points to the character's left


def test_bone_lengths_match_the_urdf():
    skeleton = humanoid_skeleton()
    motion = read_deepmimic(humanoid_clips()[0])
    for j, p in enumerate(skeleton.parents):
        if p >= 0:
            lengths = np.linalg.norm(motion.positions_m[:, j] - motion.positions_m[:, p], axis=1)
            np.testing.assert_allclose(lengths, np.linalg.norm(skeleton.offsets_m[j]), atol=1e-9)
    assert np.linalg.norm(skeleton.offsets_m[skeleton.index("right_knee")]) == pytest.approx(
        0.4215, abs=1e-3
    )


def test_unnormalised_quaternions_are_normalised(tmp_path):
    src = next(p for p in humanoid_clips() if p.stem == "humanoid3d_walk")
    data = json.loads(src.read_text())
    data["Frames"] = [row[:4] + [v * 1.4 for v in row[4:8]] + row[8:] for row in data["Frames"]]
    scaled = tmp_path / "scaled.txt"
    scaled.write_text(json.dumps(data))
    np.testing.assert_allclose(
        read_deepmimic(scaled).positions_m, read_deepmimic(src).positions_m, atol=1e-9
    )


def test_bad_clips_give_clear_errors(tmp_path):
    laikago = humanoid_clips()[0].parent / "laikago_walk.txt"
    with pytest.raises(ValueError, match=f"humanoid3d format has {FRAME_SIZE}"):
        read_deepmimic(laikago)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty.txt: not a readable DeepMimic"):
        read_deepmimic(empty)
    zero = tmp_path / "zero.txt"
    row = [0.033] + [0.0] * (FRAME_SIZE - 1)
    zero.write_text(json.dumps({"Frames": [row]}))
    with pytest.raises(ValueError, match="zero quaternion"):
        read_deepmimic(zero)
