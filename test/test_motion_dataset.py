"""The dataset builder on the real Bandai Namco data (full build: marked slow)."""

import gzip

import numpy as np
import pytest
from motion_helpers import small_root

from molingo_ros.motion.dataset import MIRROR_REFERENCE_CLIP, build_dataset
from molingo_ros.motion.dataset_config import DatasetConfig
from molingo_ros.motion.features import feature_dim, feature_slices
from molingo_ros.motion.splits import SPLITS


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
def test_cached_load_gives_the_same_dataset(dataset):
    again = build_dataset(DatasetConfig(), progress=False)
    assert again.records == dataset.records
    np.testing.assert_array_equal(again.features[:1000], dataset.features[:1000])
    np.testing.assert_array_equal(again.normalizer.std, dataset.normalizer.std)


def test_small_build_reports_unreadable_clips_and_caches(tmp_path, data_root):
    names = [
        "dataset-2_walk_normal_001",
        "dataset-2_walk_normal_002",
        "dataset-2_run_active_001",
        "dataset-2_wave-right-hand_normal_001",
        "dataset-1_bow_normal_001",
        "dataset-1_dance-long_normal_001",
    ]
    root = small_root(tmp_path, data_root, names)
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


def test_small_build_mirrors_every_clip(tmp_path, data_root):
    names = [
        MIRROR_REFERENCE_CLIP,
        "dataset-2_wave-left-hand_normal_001",
        "dataset-1_bow_normal_001",
    ]
    root = small_root(tmp_path, data_root, names)
    config = DatasetConfig(
        root=root, cache_dir=tmp_path / "cache", workers=1, split_fractions=(1.0, 0.0, 0.0)
    )
    ds = build_dataset(config, progress=False)
    assert [(r.name, r.mirrored) for r in ds.records] == [
        (n, m) for n in sorted(names) for m in (False, True)
    ]
    for original, mirror in zip(ds.records[::2], ds.records[1::2], strict=True):
        assert (
            (mirror.take, mirror.split) == (original.take, original.split) == (mirror.name, "train")
        )
        assert mirror.length == original.length
        assert mirror.start == original.start + original.length
    assert [r.content for r in ds.records if r.name.startswith("dataset-2_wave")] == [
        "wave-left-hand",
        "wave-right-hand",
    ]
    assert ds.features.shape == (sum(r.length for r in ds.records), feature_dim(21))
    assert ds.local_mirrors.shape == (21, 3, 3)
    assert ds.build_seconds > 0


def test_normalisation_uses_only_the_training_rows(tmp_path, data_root):
    names = ["dataset-2_walk_normal_001", "dataset-2_walk_normal_002", "dataset-1_bow_normal_001"]
    root = small_root(tmp_path, data_root, names)
    config = DatasetConfig(root=root, cache_dir=tmp_path / "cache", workers=1, mirror=False)
    ds = build_dataset(config, progress=False)
    assert [r.mirrored for r in ds.records] == [False] * 3
    # seed 0 puts one take in train and two in val: the val rows must not shift the statistics
    assert [r.split for r in ds.records] == ["val", "train", "val"]
    train = ds.indices("train")
    rows = np.concatenate([ds.clip_features(i) for i in train]).astype(np.float64)
    np.testing.assert_allclose(ds.normalizer.mean, rows.mean(axis=0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        ds.normalizer.std, np.maximum(rows.std(axis=0), 1e-3), rtol=1e-6, atol=1e-9
    )
    assert ds.normalizer.std.min() >= 1e-3


def test_worker_processes_give_the_same_features(tmp_path, data_root):
    root = small_root(
        tmp_path, data_root, ["dataset-2_walk_normal_001", "dataset-1_bow_normal_001"]
    )
    one = build_dataset(
        DatasetConfig(root=root, cache_dir=tmp_path / "a", workers=1), progress=False
    )
    two = build_dataset(
        DatasetConfig(root=root, cache_dir=tmp_path / "b", workers=2), progress=False
    )
    assert one.records == two.records
    np.testing.assert_array_equal(one.features, two.features)
