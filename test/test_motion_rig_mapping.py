"""Tests of molingo_ros.motion.rig_mapping: Bandai / DeepMimic motion on SMPL-22 and KIT-21
joints, and frame-rate changes."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.rig_mapping import BANDAI_TO_SMPL22, MAPPINGS, map_motion, resample
from molingo_ros.motion.rigs import KIT21, SMPL22


@pytest.fixture(scope="module")
def walk(bandai_clip):
    return load_motion(bandai_clip("dataset-2_walk_normal_001"))


def test_every_target_joint_is_mapped_with_weights_summing_to_one():
    for (_, target), mapping in MAPPINGS.items():
        rig = SMPL22 if target == "smpl22" else KIT21
        assert set(mapping) == set(rig.joint_names)
        for point in mapping.values():
            assert sum(w for _, w in point.weights) == pytest.approx(1.0)


def test_bandai_on_smpl22(walk):
    smpl = map_motion(walk, "smpl22")
    assert smpl.joint_names == list(SMPL22.joint_names) and smpl.rotations is None
    assert smpl.fps == walk.fps and smpl.name == walk.name
    for ours, theirs in (("left_ankle", "Foot_L"), ("right_foot", "Toes_R"), ("neck", "Neck"),
                         ("left_collar", "Shoulder_L"), ("right_wrist", "Hand_R")):  # fmt: skip
        np.testing.assert_array_equal(
            smpl.positions_m[:, smpl.joint_index(ours)],
            walk.positions_m[:, walk.joint_index(theirs)],
        )
    z = smpl.positions_m[..., 2].mean(axis=0)
    heights = [
        z[smpl.joint_index(j)] for j in ("pelvis", "spine1", "spine2", "spine3", "neck", "head")
    ]
    assert heights == sorted(heights)  # the interpolated spine climbs from pelvis to head
    (hips, w_hips), (spine, w_spine) = BANDAI_TO_SMPL22["spine1"].weights
    assert (hips, spine) == ("Hips", "Spine") and w_spine == pytest.approx(0.55)


def test_deepmimic_on_smpl22_adds_a_head_and_toes():
    from molingo_ros.motion.deepmimic import motions_dir, read_deepmimic

    walk = read_deepmimic(motions_dir() / "humanoid3d_walk.txt")
    smpl = map_motion(walk, "smpl22")
    p = smpl.positions_m
    head, neck = smpl.joint_index("head"), smpl.joint_index("neck")
    assert (p[:, head, 2] > p[:, neck, 2] + 0.05).all()
    for side in ("left", "right"):
        toe, ankle = smpl.joint_index(f"{side}_foot"), smpl.joint_index(f"{side}_ankle")
        assert np.median(p[:, toe, 2]) < np.median(p[:, ankle, 2])
        assert 0.1 < np.linalg.norm(p[:, toe] - p[:, ankle], axis=-1).mean() < 0.2
    with pytest.raises(KeyError, match="no mapping from rig 'deepmimic' to 'kit21'"):
        map_motion(walk, "kit21")


def test_resample_30_to_20_fps(walk):
    out = resample(walk, 20.0)
    assert out.fps == 20.0
    assert out.num_frames == int(np.floor((walk.num_frames - 1) / 30 * 20 + 1e-9)) + 1
    np.testing.assert_allclose(
        out.positions_m[::2], walk.positions_m[::3][: len(out.positions_m[::2])]
    )
    middle = 0.5 * (walk.positions_m[1] + walk.positions_m[2])
    np.testing.assert_allclose(out.positions_m[1], middle)
    assert resample(walk, 30.0).num_frames == walk.num_frames
