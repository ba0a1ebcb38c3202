"""Training data from a HumanML3D layout folder (molingo_ros.motion.layout_dataset): a few real
Bandai clips exported with ``molingo data export``, read back as a dataset (records, captions,
splits, features), then a tiny SAE and generator trained on it, a motion generated from a
caption and retargeted onto the G1 through the validator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from molingo_ros.model.training.data import CaptionBank, DataConfig, clip_sequences
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.dataset_config import DatasetConfig
from molingo_ros.motion.features import canonicalize, features_to_positions
from molingo_ros.motion.humanml3d import HUMANML3D, LayoutFolder, TextLine
from molingo_ros.motion.humanml3d_export import ExportConfig, export_layout
from molingo_ros.motion.layout_dataset import (
    MIRRORED_STYLE,
    rest_directions,
    rotations_from_positions,
    with_rotations,
)
from molingo_ros.motion.rigs import SMPL22, SMPL22_PARENTS
from molingo_ros.motion.skeleton import bone_offsets, forward_kinematics
from molingo_ros.motion.splits import SPLITS

SUB_CLIP = TextLine("a person bows slowly", ("a/DET",), 1.0, 3.0)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, data_root) -> Path:
    """Two Bandai clips per split in the HumanML3D layout; the first train clip also gets a
    caption of its 1-3 s part."""
    out = tmp_path_factory.mktemp("layout") / "humanml3d"
    export_layout(out, ExportConfig(root=data_root, limit=2))
    first = LayoutFolder(out).split("train")[0]
    with open(out / "texts" / f"{first}.txt", "a") as fh:
        fh.write(SUB_CLIP.line() + "\n")
    return out


@pytest.fixture(scope="module")
def dataset(folder, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return build_dataset(DatasetConfig(root=folder, cache_dir=cache, workers=1), progress=False)


def test_records_captions_and_splits_follow_the_folder(folder, dataset):
    layout = LayoutFolder(folder)
    assert dataset.source.startswith("humanml3d-") and dataset.feature_config.rig is SMPL22
    assert dataset.features.shape[1] == 269 and not dataset.unreadable
    for split in SPLITS:
        originals = [dataset.records[i] for i in dataset.indices(split, mirrored=False)]
        assert sorted({r.take for r in originals}) == sorted(layout.split(split))
        assert len(dataset.indices(split, mirrored=True)) == len(originals)
    first = layout.split("train")[0]
    whole = dataset.find(first)
    wanted = [t.caption for t in layout.texts(first) if t.whole_clip]
    assert dataset.all_captions(whole) == wanted and len(wanted) == 3
    part = dataset.find(f"{first}@1-3s")
    assert dataset.all_captions(part) == [SUB_CLIP.caption]
    assert dataset.records[part].length == 59  # frames 20-59 at 20 fps: 1.95 s at 30 fps
    mirror = dataset.find(f"{first}_mirror")
    assert dataset.records[mirror].style == MIRRORED_STYLE
    bank = CaptionBank(dataset, "train", DataConfig(captions_per_label=2))
    assert len(bank.by_label[(first, "")]) == 2 and set(bank.by_label[(first, "")]) < set(wanted)
    seqs = clip_sequences(dataset, "train", bank, np.random.default_rng(0))
    assert len(seqs) == len(dataset.indices("train"))
    assert dataset.composed_sequence("train", 0).text  # captions joined, no labels needed


def test_features_return_the_joints_and_rotations_fit_the_skeleton(folder, dataset):
    layout = LayoutFolder(folder)
    name = layout.split("val")[0]
    motion = with_rotations(layout.motion(name), HUMANML3D)
    canon, _, _ = canonicalize(motion, SMPL22)
    back, _ = features_to_positions(dataset.clip_features(dataset.find(name)), 22)
    assert np.abs(back - canon.positions_m).max() < 1e-4
    local = np.array(canon.rotations)
    parents = np.asarray(SMPL22_PARENTS)
    for j in range(1, 22):
        local[:, j] = np.swapaxes(canon.rotations[:, parents[j]], -1, -2) @ canon.rotations[:, j]
    trans = np.tile(bone_offsets(canon), (canon.num_frames, 1, 1))
    trans[:, 0] = canon.positions_m[:, 0]
    _, fk = forward_kinematics(parents, local, trans)
    assert np.abs(fk - canon.positions_m).max() < 0.03  # rigid but for the pelvis/chest frames
    rest = rest_directions(HUMANML3D)
    rotations = rotations_from_positions(canon.positions_m, SMPL22_PARENTS, rest)
    assert np.allclose(rotations, canon.rotations)
    assert np.allclose(np.linalg.det(rotations), 1.0)
    assert np.allclose(rotations @ np.swapaxes(rotations, -1, -2), np.eye(3), atol=1e-9)


def test_tiny_models_train_generate_and_retarget_onto_the_g1(folder, tmp_path, monkeypatch):
    import torch

    from molingo_ros.model.generator import GeneratorConfig
    from molingo_ros.model.sae import SAEConfig
    from molingo_ros.model.sampler import MoLingo, MotionStream, SamplerConfig, generate
    from molingo_ros.model.training.generator import train_generator
    from molingo_ros.model.training.generator_config import GeneratorTrainConfig
    from molingo_ros.model.training.sae import SAETrainConfig, train_sae
    from molingo_ros.robot.models import load_robot
    from molingo_ros.robot.report import retarget_and_validate

    torch.manual_seed(0)
    monkeypatch.setenv("MOLINGO_DATA_ROOT", str(folder))  # what the trainers' dataset reads
    monkeypatch.setenv("MOLINGO_CACHE_DIR", str(tmp_path / "cache"))
    data = DataConfig(captions_per_label=2, composed_sequences=6)
    common = {"batch": 4, "warmup": 1, "device": "cpu", "log_every": 1}
    sae_cfg = SAEConfig(feature_dim=269, width=32, res_depth=1)
    sae = train_sae(
        SAETrainConfig(sae=sae_cfg, data=data, steps=3, out=tmp_path / "sae", **common),
        progress=False,
    )
    gen_cfg = GeneratorConfig(dim=32, layers=1, heads=2, flow_width=32, flow_depth=1)
    path = train_generator(
        GeneratorTrainConfig(
            generator=gen_cfg,
            sae=sae,
            data=data,
            window_tokens=12,
            max_prefix_tokens=6,
            steps=3,
            out=tmp_path / "gen",
            **common,
        ),
        progress=False,
    )
    model = MoLingo.load(path, device="cpu")
    assert model.feature_config.rig is SMPL22 and model.metadata["rig"] == "smpl22"
    motion = generate(model, [("a person bows forward", 0.0)], 2.0, SamplerConfig(), seed=0)
    assert motion.joint_names == list(SMPL22.joint_names) and motion.num_frames == 60
    _, report = retarget_and_validate(motion, load_robot("g1"))
    assert report.frames == 60
    assert report.to_dict()["joint_limit_violations"] == 0
    # Streaming, as the node runs it: a window comes out on the model's rig and retargets.
    stream = MotionStream(model, SamplerConfig(), seed=0)
    stream.set_text("a person bows forward")
    window = stream.next_window().to_motion()
    assert window.joint_names == list(SMPL22.joint_names) and window.num_frames > 0
    _, report = retarget_and_validate(window, load_robot("g1"))
    assert report.to_dict()["joint_limit_violations"] == 0
