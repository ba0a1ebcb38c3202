"""BVH → world-frame motion on real Bandai clips: units, axes, floor, speed, bone lengths."""

import numpy as np
import pytest

from molingo_ros.motion.bvh import read_bvh
from molingo_ros.motion.convert import BvhImportConfig, bvh_to_motion, load_motion
from molingo_ros.motion.rigs import BANDAI


def test_bone_lengths_match_bvh_offsets(bandai_clip):
    clip = read_bvh(bandai_clip("dataset-1_dance-short_normal_001"))
    motion = bvh_to_motion(clip)
    assert tuple(motion.joint_names) == BANDAI.joint_names
    names = clip.joint_names
    for j, name in enumerate(motion.joint_names):
        p = motion.parents[j]
        if p < 0:
            continue
        offset_cm = clip.joints[names.index(name)].offset
        lengths = np.linalg.norm(motion.positions_m[:, j] - motion.positions_m[:, p], axis=1)
        np.testing.assert_allclose(
            lengths, np.linalg.norm(offset_cm) / 100.0, atol=1e-9, err_msg=name
        )


def test_world_convention_z_up_x_forward_left_is_y(bandai_clip):
    motion = load_motion(bandai_clip("dataset-2_wave-right-hand_normal_001"))
    first = motion.positions_m[0]
    head, hips = first[BANDAI.index("Head")], first[BANDAI.index("Hips")]
    assert 1.3 < head[2] < 1.6 and 0.8 < hips[2] < 1.0  # metres, z up
    left = first[BANDAI.index("UpperArm_L")] - first[BANDAI.index("UpperArm_R")]
    facing = np.cross(left, [0, 0, 1])
    # Bandai actors face the file's +z at the start, which the import maps onto +x.
    assert facing[0] / np.linalg.norm(facing) > 0.95
    # The right hand is the one waving above the head.
    hand_r = motion.positions_m[:, BANDAI.index("Hand_R"), 2].max()
    hand_l = motion.positions_m[:, BANDAI.index("Hand_L"), 2].max()
    assert hand_r > head[2] > hand_l


@pytest.mark.parametrize(
    ("name", "grounded_share"),
    [
        ("dataset-2_walk_normal_001", 0.9),
        ("dataset-2_walk_normal_002", 0.9),
        ("dataset-1_bow_normal_001", 0.99),
        ("dataset-2_run_active_001", 0.4),
    ],
)
def test_feet_touch_the_floor(bandai_clip, name, grounded_share):
    motion = load_motion(bandai_clip(name))
    toes = motion.positions_m[:, [BANDAI.index("Toes_L"), BANDAI.index("Toes_R")], 2]
    # the toe joint sits inside the foot, a few cm above the sole; never below the floor
    assert 0.0 < toes.min() < 0.07
    # one foot or the other is near the floor in most frames (runs have flight phases)
    assert np.mean(toes.min(axis=1) < 0.12) > grounded_share


@pytest.mark.parametrize(
    "name",
    [
        "dataset-2_walk_normal_001",
        "dataset-2_walk_normal_002",
        "dataset-2_walk_elderly_001",
        "dataset-1_walk_normal_001",
        "dataset-2_walk_youthful_003",
    ],
)
def test_walks_move_forward_at_walking_speed(bandai_clip, name):
    motion = load_motion(bandai_clip(name))
    root = motion.positions_m[:, 0, :2]
    span = slice(motion.num_frames // 4, 3 * motion.num_frames // 4)  # steady part of the walk
    seg = root[span]
    speed = np.linalg.norm(seg[-1] - seg[0]) / (len(seg) / motion.fps)
    assert 0.5 <= speed <= 2.0, speed
    # forward: displacement along the facing direction
    mid = motion.num_frames // 2
    left = (
        motion.positions_m[mid, BANDAI.index("UpperArm_L")]
        - motion.positions_m[mid, BANDAI.index("UpperArm_R")]
    )
    facing = np.cross(left, [0, 0, 1])[:2]
    assert np.dot(seg[-1] - seg[0], facing) > 0


def test_end_sites_and_floor_options(bandai_clip):
    clip = read_bvh(bandai_clip("dataset-2_walk_normal_001"))
    motion = bvh_to_motion(clip, BvhImportConfig(include_end_sites=True, floor="lowest"))
    assert "Head_end" in motion.joint_names and "Toes_L_end" in motion.joint_names
    assert motion.positions_m[..., 2].min() == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="valid: file, lowest"):
        bvh_to_motion(clip, BvhImportConfig(floor="sky"))


def test_npz_round_trip(tmp_path, bandai_clip):
    motion = load_motion(bandai_clip("dataset-2_walk_normal_001"))
    motion.text = "a person walks"
    motion.frame_labels = ["walk"] * motion.num_frames
    path = motion.save_npz(tmp_path / "m.npz")
    back = load_motion(path)
    np.testing.assert_allclose(back.positions_m, motion.positions_m, atol=1e-5)
    assert back.joint_names == motion.joint_names and back.fps == 30.0
    assert back.text == "a person walks" and back.frame_labels == motion.frame_labels
    with np.load(path) as data:
        assert data["joint_positions"].shape == (motion.num_frames, 21, 3)


def test_unknown_suffix_lists_valid_ones(tmp_path):
    with pytest.raises(ValueError, match=r"valid: \.bvh"):
        load_motion(tmp_path / "clip.fbx")
