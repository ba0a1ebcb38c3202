"""Tests of molingo_ros.motion.motion_dataset: records, captions and composed sequences of a
built dataset (a small build of real clips; the full dataset's tests are marked slow)."""

import json

import numpy as np
import pytest
from motion_helpers import small_root

from molingo_ros.motion import captions
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.dataset_config import DatasetConfig
from molingo_ros.motion.features import features_to_positions
from molingo_ros.motion.motion_dataset import FPS, ClipRecord, Normalizer

SMALL = [
    "dataset-2_walk_normal_001",
    "dataset-2_wave-left-hand_normal_001",
    "dataset-2_run_active_001",
    "dataset-1_bow_normal_001",
]


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(DatasetConfig(), progress=False)


@pytest.fixture(scope="module")
def small(tmp_path_factory, data_root):
    """Four real clips and their mirrors, all in the training split."""
    tmp = tmp_path_factory.mktemp("small")
    root = small_root(tmp, data_root, SMALL)
    config = DatasetConfig(
        root=root, cache_dir=tmp / "cache", workers=1, split_fractions=(1.0, 0.0, 0.0)
    )
    return build_dataset(config, progress=False)


def test_records_locate_their_features(small) -> None:
    assert len(small) == 8
    assert [r.name for r in small.records[::2]] == sorted(SMALL)
    start = 0
    for i, rec in enumerate(small.records):
        assert isinstance(rec, ClipRecord) and rec.start == start
        assert small.clip_features(i).shape == (rec.length, small.features.shape[1])
        np.testing.assert_array_equal(
            small.clip_features(i), small.features[start : start + rec.length]
        )
        assert rec.duration_s == rec.length / FPS
        start += rec.length
    assert start == len(small.features)


def test_indices_and_find(small) -> None:
    assert small.indices("train") == list(range(8))
    assert small.indices("train", mirrored=True) == [1, 3, 5, 7]
    assert small.indices("val") == [] and small.indices("test", mirrored=False) == []
    with pytest.raises(ValueError, match="valid: train, val, test"):
        small.indices("training")
    left = small.find("dataset-2_wave-left-hand_normal_001")
    mirrored = small.find("dataset-2_wave-left-hand_normal_001_mirror")
    assert mirrored == left + 1 and small.records[mirrored].mirrored
    assert small.records[mirrored].content == "wave-right-hand"
    with pytest.raises(KeyError, match="no clip named 'dataset-2_jump_normal_001'"):
        small.find("dataset-2_jump_normal_001")


def test_captions_follow_the_labels(small) -> None:
    i = small.find("dataset-2_wave-left-hand_normal_001_mirror")
    caption = small.caption(i, np.random.default_rng(1))
    assert caption in small.all_captions(i)
    assert small.all_captions(i) == captions.captions_for(
        "wave-right-hand", "normal", split="train"
    )
    assert "right" in caption and "left" not in caption
    held = small.caption(i, np.random.default_rng(1), heldout=True)
    assert held in small.all_captions(i, heldout=True) and held not in small.all_captions(i)
    assert small.caption(i, np.random.default_rng(5)) == small.caption(i, np.random.default_rng(5))


def test_clip_motion_is_the_captioned_clip(small) -> None:
    i = small.find("dataset-2_walk_normal_001_mirror")
    motion = small.clip_motion(i)
    assert motion.name == "dataset-2_walk_normal_001_mirror"
    assert motion.text == small.caption(i, np.random.default_rng(0))
    assert motion.fps == FPS and motion.num_frames == small.records[i].length
    assert motion.num_joints == 21
    pos, _ = features_to_positions(small.clip_features(i), 21)
    np.testing.assert_allclose(motion.positions_m, pos, atol=1e-5)


def test_composed_sequence_of_the_small_split(small) -> None:
    seq = small.composed_sequence("train", 2)
    assert small.config.segments[0] <= len(seq.clips) <= small.config.segments[1]
    assert set(seq.clips) <= set(small.indices("train"))
    assert (
        len(seq.features) == len(seq.frame_labels) > max(small.records[i].length for i in seq.clips)
    )
    assert seq.segment_starts[0] == 0 and len(seq.segment_starts) == len(seq.clips)
    assert seq.text.startswith(seq.segment_captions[0])
    again = small.composed_sequence("train", 2)
    np.testing.assert_array_equal(again.features, seq.features)
    assert again.text == seq.text and again.clips == seq.clips
    with pytest.raises(ValueError, match="split 'val' is empty"):
        small.composed_sequence("val", 0)


def test_summary_counts(small) -> None:
    summary = json.loads(json.dumps(small.summary()))
    assert summary["clips"] == 4 and summary["records_with_mirrors"] == 8
    assert summary["frames"] == sum(r.length for r in small.records if not r.mirrored)
    assert summary["splits"]["train"]["clips"] == summary["splits"]["train"]["mirrored"] == 4
    assert summary["contents"] == {"bow": 1, "run": 1, "walk": 1, "wave-left-hand": 1}
    assert summary["feature_dim"] == small.features.shape[1] == 257
    assert summary["hours"] == pytest.approx(summary["frames"] / FPS / 3600)


def test_normalizer_round_trip(small) -> None:
    x = small.clip_features(0).astype(np.float64)
    norm = Normalizer(mean=x.mean(axis=0), std=np.maximum(x.std(axis=0), 1e-3))
    z = norm.normalize(x)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(norm.denormalize(z), x, atol=1e-12)


@pytest.mark.slow
def test_mirrored_records_swap_sided_labels(dataset):
    left = dataset.find("dataset-2_wave-left-hand_normal_001")
    mirrored = dataset.find("dataset-2_wave-left-hand_normal_001_mirror")
    assert dataset.records[left].content == "wave-left-hand"
    assert dataset.records[mirrored].content == "wave-right-hand"
    assert "right" in dataset.caption(mirrored, np.random.default_rng(1))
    pos, _ = features_to_positions(dataset.clip_features(mirrored), 21)
    hand_r, hand_l = 12, 8
    assert pos[:, hand_r, 2].max() > 1.6 > pos[:, hand_l, 2].max()


@pytest.mark.slow
def test_composed_sequences_carry_frame_labels_and_smooth_seams(dataset):
    for index in range(40):
        seq = dataset.composed_sequence("train", index)
        assert len(seq.frame_labels) == len(seq.features)
        assert seq.segment_starts[0] == 0 and seq.segment_starts == sorted(seq.segment_starts)
        for k, start in enumerate(seq.segment_starts):
            assert seq.frame_labels[start] == seq.segment_captions[k]
        for part in seq.segment_captions:
            assert part.split()[-1] in seq.text  # "..., then ..." holds each segment

        def joint_speeds(features):
            pos, _ = features_to_positions(features, 21)
            return np.linalg.norm(np.diff(pos, axis=0), axis=-1).max(axis=1) * 30.0  # m/s

        speed = joint_speeds(seq.features)
        fastest_source = max(joint_speeds(dataset.clip_features(i)).max() for i in seq.clips)
        # no snap at a seam: no joint faster than the clips it joins plus the blend's catch-up
        # (join_motions closes pose gaps at <= 1 m/s; slerped limbs travel arcs, hence 1.5)
        assert speed.max() <= fastest_source + 1.5, index
        pos, _ = features_to_positions(seq.features, 21)
        assert np.all(pos[..., 2] > -0.02)  # nobody sinks into the floor at a seam
    # deterministic
    np.testing.assert_array_equal(
        dataset.composed_sequence("val", 3).features, dataset.composed_sequence("val", 3).features
    )


@pytest.mark.slow
def test_heldout_phrasings_only_in_heldout_captions(dataset):
    seq = dataset.composed_sequence("test", 0, heldout=True)
    for cap, index in zip(seq.segment_captions, seq.clips, strict=True):
        assert cap not in dataset.all_captions(index)
        assert cap in dataset.all_captions(index, heldout=True)
