"""Tests of molingo_ros.motion.humanml3d_export: a small real Bandai (and DeepMimic) export in
the HumanML3D layout, read back: joints within 1 mm, captions and splits intact, vectors
consistent, Mean/Std over train, and a clip read back as SMPL-22 retargeted onto the G1."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion import captions
from molingo_ros.motion.bandai_files import find_clips
from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.dataset_config import DatasetConfig
from molingo_ros.motion.humanml3d import HUMANML3D, LayoutFolder, joints_from_motion
from molingo_ros.motion.humanml3d_export import (
    DEEPMIMIC_CAPTIONS,
    ExportConfig,
    export_layout,
    layout_clip,
)
from molingo_ros.motion.humanml3d_features import align, mean_std, recover_from_ric
from molingo_ros.motion.rig_mapping import map_motion, resample
from molingo_ros.motion.splits import assign_splits

LIMIT = 2


@pytest.fixture(scope="module")
def exported(tmp_path_factory, data_root):
    out = tmp_path_factory.mktemp("humanml3d")
    summary = export_layout(out, ExportConfig(root=data_root, clips="all", limit=LIMIT))
    return out, summary


@pytest.fixture(scope="module")
def folder(exported):
    return LayoutFolder(exported[0])


@pytest.fixture(scope="module")
def bandai_paths(data_root):
    return {c.name: c.path for c in find_clips(data_root)[0] if c.path is not None}


def _bandai_names(folder):
    return [n for n in folder.split("all") if n.startswith("dataset-")]


def test_the_folder_has_the_humanml3d_layout(exported, folder):
    out, summary = exported
    assert folder.spec is HUMANML3D and not summary.failures
    for sub in ("new_joints", "new_joint_vecs", "texts"):
        assert (out / sub).is_dir()
    names = folder.split("all")
    assert names == folder.split("train") + folder.split("val") + folder.split("test")
    assert folder.split("train_val") == folder.split("train") + folder.split("val")
    for name in names:
        for sub, ext in (("new_joints", "npy"), ("new_joint_vecs", "npy"), ("texts", "txt")):
            assert (out / sub / f"{name}.{ext}").is_file()
    assert len(_bandai_names(folder)) == 3 * LIMIT  # every split holds Bandai clips
    assert "wrote humanml3d layout" in summary.lines()[0]


def test_splits_are_the_projects_dataset_splits(folder, data_root):
    clips = [c for c in find_clips(data_root)[0] if c.path is not None]
    config = DatasetConfig(root=data_root)
    project = assign_splits(clips, config.split_fractions, config.seed)
    for split in ("train", "val", "test"):
        bandai = [n for n in folder.split(split) if n.startswith("dataset-")]
        assert len(bandai) == LIMIT
        assert all(project[n] == split for n in bandai)
        # the first clips of the split by name, as --limit promises
        assert bandai == sorted(n for n, s in project.items() if s == split)[:LIMIT]


def test_captions_are_the_clips_captions(folder):
    for name in _bandai_names(folder):
        content, style, _ = captions.parse_clip_name(name)
        expected = captions.clip_captions(
            content, style, name, captions.CaptionConfig(phrasings_per_clip=3)
        )
        texts = folder.texts(name)
        assert [t.caption for t in texts] == expected
        assert all(t.whole_clip and t.tokens for t in texts)
        assert all("/" in token for t in texts for token in t.tokens)
        assert folder.motion(name).text == expected[0]
    for name in (n for n in folder.split("all") if n.startswith("humanoid3d_")):
        key = name.removeprefix("humanoid3d_")
        assert [t.caption for t in folder.texts(name)] == list(DEEPMIMIC_CAPTIONS[key])


def test_joints_round_trip_within_1mm(folder, bandai_paths):
    for name in _bandai_names(folder):
        source = load_motion(bandai_paths[name])
        on_rig = resample(map_motion(source, "smpl22"), HUMANML3D.fps)
        expected = align(joints_from_motion(on_rig, HUMANML3D), HUMANML3D.skeleton)
        clip = folder.clip(name)
        assert clip.joints.shape == (on_rig.num_frames - 1, 22, 3)
        assert np.abs(clip.joints - expected[:-1]).max() < 1e-3
        # read back as a Motion: metres, z up, the lowest joint on the floor
        motion = folder.motion(name)
        assert motion.fps == 20.0 and motion.joint_names[0] == "pelvis"
        assert motion.positions_m[..., 2].min() == pytest.approx(0.0, abs=1e-6)
        assert np.abs(motion.positions_m[:, 0, :2]).max() < 5.0


def test_exported_joints_are_the_real_bandai_joints(folder, bandai_paths):
    """Even 20-fps frames fall on 30-fps frames: the directly mapped joints there are the
    Bandai joints up to a rigid move (all their distances agree within 1 mm)."""
    direct = {"left_ankle": "Foot_L", "right_wrist": "Hand_R", "head": "Head",
              "left_foot": "Toes_L", "right_knee": "LowerLeg_R", "pelvis": "Hips"}  # fmt: skip
    for name in _bandai_names(folder):
        source = load_motion(bandai_paths[name])
        motion = folder.motion(name)
        frames = np.arange(0, motion.num_frames, 2)
        ours = motion.positions_m[frames][:, [motion.joint_index(j) for j in direct]]
        theirs = source.positions_m[frames * 3 // 2][
            :, [source.joint_index(j) for j in direct.values()]
        ]
        d_ours = np.linalg.norm(ours[:, :, None] - ours[:, None], axis=-1)
        d_theirs = np.linalg.norm(theirs[:, :, None] - theirs[:, None], axis=-1)
        assert np.abs(d_ours - d_theirs).max() < 1e-3


def test_vectors_are_263_d_and_their_ric_gives_the_joints(folder):
    for name in folder.split("all"):
        clip = folder.clip(name)
        assert clip.vectors.shape == (len(clip.joints), 263)
        assert np.isfinite(clip.vectors).all()
        assert np.abs(recover_from_ric(clip.vectors, 22) - clip.joints).max() < 1e-3
        assert set(np.unique(clip.vectors[:, -4:])) <= {0.0, 1.0}


def test_mean_std_are_over_the_train_split(folder):
    train = [folder.clip(n).vectors for n in folder.split("train")]
    mean, std = mean_std(train, 22)
    assert folder.mean.shape == folder.std.shape == (263,)
    np.testing.assert_allclose(folder.mean, mean, atol=1e-5)
    np.testing.assert_allclose(folder.std, std, rtol=1e-5)
    assert (folder.std > 0).all()


def test_a_deepmimic_clip_exports_too(data_root):
    from molingo_ros.motion.deepmimic import motions_dir, read_deepmimic

    walk = read_deepmimic(motions_dir() / "humanoid3d_walk.txt")
    clip = layout_clip(walk, HUMANML3D, "humanoid3d_walk", DEEPMIMIC_CAPTIONS["walk"])
    assert clip.vectors.shape[1] == 263
    forward = clip.vectors[:, 1:3].mean(axis=0) * HUMANML3D.fps
    assert forward[1] > 0.5 and abs(forward[0]) < 0.2  # walks forward (+z) at ~1 m/s
    assert clip.joints[..., 1].min() == pytest.approx(0.0, abs=1e-9)


def test_kit_layout_from_bandai(tmp_path, data_root):
    summary = export_layout(tmp_path, ExportConfig(layout="kit", root=data_root, limit=1))
    kit = LayoutFolder(tmp_path)
    assert kit.spec.name == "kit" and not summary.failures
    clip = kit.clip(kit.split("train")[0])
    assert clip.vectors.shape == (len(clip.joints), 251)
    assert 1000 < clip.joints[..., 1].max() < 2500  # millimetres
    motion = kit.motion(kit.split("train")[0])
    assert motion.fps == 12.5 and 1.0 < motion.positions_m[..., 2].max() < 2.5  # metres
    with pytest.raises(ValueError, match="Bandai clips only"):
        export_layout(tmp_path / "x", ExportConfig(layout="kit", clips="deepmimic"))


def test_a_read_back_clip_retargets_onto_the_g1(folder):
    from molingo_ros.robot.models import load_robot
    from molingo_ros.robot.report import retarget_and_validate

    motion = folder.motion(folder.split("train")[0])
    result, report = retarget_and_validate(motion, load_robot("g1"))
    assert result.rig == "smpl22"
    v = report.validation
    assert v["joint_limit_violations"] == 0 and v["velocity_limit_violations"] == 0
    assert v["max_foot_penetration_m"] < 0.005
    assert v["mean_keypoint_error_m"] < 0.03
    stance = report.quality["stance_feet"]
    assert stance["samples"] > 0 and stance["mean_abs_height_m"] < 0.02
