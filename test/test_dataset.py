"""The dataset builder on the real Bandai Namco data (full build: marked slow)."""

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from molingo_ros.motion import captions
from molingo_ros.motion.dataset import SPLITS, DatasetConfig, build_dataset
from molingo_ros.motion.features import feature_slices, features_to_positions


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(DatasetConfig(), progress=False)


@pytest.mark.slow
def test_counts_match_the_data_readme(dataset):
    summary = dataset.summary()
    assert summary["clips"] == 3076
    assert summary["frames"] == 416845
    assert 3.85 < summary["hours"] < 3.87
    assert summary["records_with_mirrors"] == 2 * 3076
    assert dataset.unreadable == [("dataset-1_dance-long_normal_001", "BVH file missing")]
    assert dataset.features.shape == (2 * 416845, 257)


@pytest.mark.slow
def test_no_take_in_two_splits(dataset):
    split_of_take: dict[str, str] = {}
    for rec in dataset.records:
        assert split_of_take.setdefault(rec.take, rec.split) == rec.split, rec.take
    counts = {s: len(dataset.indices(s)) for s in SPLITS}
    total = sum(counts.values())
    assert 0.75 < counts["train"] / total < 0.85
    assert 0.07 < counts["test"] / total < 0.13
    for split in SPLITS:  # both datasets and both sides reach every split
        recs = [dataset.records[i] for i in dataset.indices(split)]
        assert {r.dataset for r in recs} == {1, 2}
        assert {"wave-left-hand", "wave-right-hand"} <= {r.content for r in recs}


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
def test_normalisation_is_fitted_on_train(dataset):
    rng = np.random.default_rng(0)
    rows = np.concatenate(
        [
            np.arange(
                dataset.records[i].start, dataset.records[i].start + dataset.records[i].length
            )
            for i in rng.choice(dataset.indices("train"), 400, replace=False)
        ]
    )
    normed = dataset.normalizer.normalize(
        np.asarray(dataset.features[np.sort(rows)], dtype=np.float64)
    )
    varying = dataset.normalizer.std > 1e-3
    assert np.abs(normed[:, varying].mean(axis=0)).max() < 0.5
    assert 0.5 < np.median(normed[:, varying].std(axis=0)) < 1.5
    x = dataset.clip_features(0)
    np.testing.assert_allclose(
        dataset.normalizer.denormalize(dataset.normalizer.normalize(x)), x, atol=1e-4
    )


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


@pytest.mark.slow
def test_cached_load_gives_the_same_dataset(dataset):
    again = build_dataset(DatasetConfig(), progress=False)
    assert again.records == dataset.records
    np.testing.assert_array_equal(again.features[:1000], dataset.features[:1000])
    np.testing.assert_array_equal(again.normalizer.std, dataset.normalizer.std)


def _small_root(tmp_path: Path, data_root: Path, names: list[str]) -> Path:
    """A dataset folder with a few real clips (copied to a temp dir, never into the repo)."""
    root = tmp_path / "bandai"
    for number in (1, 2):
        src = data_root / f"Bandai-Namco-Research-Motiondataset-{number}"
        dst = root / src.name
        (dst / "data").mkdir(parents=True)
        shutil.copytree(src / "cfg", dst / "cfg")
    for name in names:
        number = name.split("_", 1)[0][-1]
        src = data_root / f"Bandai-Namco-Research-Motiondataset-{number}" / "data"
        dst = root / f"Bandai-Namco-Research-Motiondataset-{number}" / "data"
        shutil.copy(src / f"{name}.json", dst)
        if (src / f"{name}.bvh.gz").exists():
            shutil.copy(src / f"{name}.bvh.gz", dst)
    return root


def test_small_build_reports_unreadable_clips_and_caches(tmp_path, data_root):
    names = [
        "dataset-2_walk_normal_001",
        "dataset-2_walk_normal_002",
        "dataset-2_run_active_001",
        "dataset-2_wave-right-hand_normal_001",
        "dataset-1_bow_normal_001",
        "dataset-1_dance-long_normal_001",
    ]
    root = _small_root(tmp_path, data_root, names)
    broken = (
        root / "Bandai-Namco-Research-Motiondataset-2" / "data" / "dataset-2_run_active_001.bvh.gz"
    )
    text = gzip.decompress(broken.read_bytes()).decode().splitlines()
    broken.write_bytes(gzip.compress("\n".join(text[:-40]).encode()))  # truncated
    config = DatasetConfig(root=root, cache_dir=tmp_path / "cache", workers=1)
    ds = build_dataset(config, progress=False)
    reasons = dict(ds.unreadable)
    assert reasons["dataset-1_dance-long_normal_001"] == "BVH file missing"
    assert "dataset-2_run_active_001.bvh.gz" in reasons["dataset-2_run_active_001"]
    assert "truncated" in reasons["dataset-2_run_active_001"]
    assert ds.summary()["clips"] == 4 and len(ds) == 8
    assert feature_slices(21)["foot_contact"].stop == ds.features.shape[1]
    cached = build_dataset(config, progress=False)
    assert cached.records == ds.records
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_missing_root_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="MOLINGO_DATA_ROOT"):
        build_dataset(DatasetConfig(root=tmp_path / "nowhere", cache_dir=tmp_path), progress=False)


def test_bad_split_names_valid_ones(tmp_path, data_root):
    root = _small_root(tmp_path, data_root, ["dataset-2_walk_normal_001"])
    ds = build_dataset(
        DatasetConfig(root=root, cache_dir=tmp_path / "c", workers=1), progress=False
    )
    with pytest.raises(ValueError, match="valid: train, val, test"):
        ds.indices("training")
    assert json.loads(json.dumps(ds.summary()))["clips"] == 1
    assert captions.strip_label_prefix("dataset-2_walk") == "walk"


def test_concurrent_builds_share_one_complete_cache(tmp_path, data_root):
    """Two training runs started together used to write the same temporary file; now each
    builds in its own staging folder and the first finished cache is kept."""
    from concurrent.futures import ThreadPoolExecutor

    root = _small_root(
        tmp_path, data_root, ["dataset-2_walk_normal_001", "dataset-1_bow_normal_001"]
    )
    config = DatasetConfig(root=root, cache_dir=tmp_path / "cache", workers=1)
    with ThreadPoolExecutor(8) as pool:
        built = list(pool.map(lambda _: build_dataset(config, progress=False), range(8)))
    assert all(ds.records == built[0].records for ds in built)
    entries = [p.name for p in (tmp_path / "cache").iterdir()]
    assert len(entries) == 1 and ".building-" not in entries[0], entries  # no leftovers
    again = build_dataset(config, rebuild=True, progress=False)
    np.testing.assert_array_equal(again.features, built[0].features)
    assert len(list((tmp_path / "cache").iterdir())) == 1
