"""Tests of molingo_ros.motion.dataset_cache: the on-disk cache of a built dataset (real clips)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from motion_helpers import small_root

from molingo_ros.motion.bandai_files import find_clips
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.dataset_cache import (
    cache_folder,
    cache_key,
    is_complete,
    load_dataset,
    save_dataset,
)
from molingo_ros.motion.dataset_config import DatasetConfig
from molingo_ros.motion.motion_dataset import MotionDataset

NAMES = ["dataset-2_walk_normal_001", "dataset-1_bow_normal_001", "dataset-1_dance-long_normal_001"]


@pytest.fixture
def root(tmp_path, data_root):
    return small_root(tmp_path, data_root, NAMES)


def _config(root, tmp_path, **kw) -> DatasetConfig:
    return DatasetConfig(root=root, cache_dir=tmp_path / "cache", workers=1, **kw)


def test_cache_key_names_the_build_settings_and_files(root, tmp_path) -> None:
    clips, _ = find_clips(root)
    config = _config(root, tmp_path)
    key = cache_key(clips, config)
    assert len(key) == 16 and int(key, 16) >= 0
    assert cache_key(clips, replace(config, workers=3)) == key  # how it is built: no matter
    assert cache_key(clips, replace(config, cache_dir=tmp_path / "x")) == key
    for changed in (
        replace(config, seed=1),
        replace(config, mirror=False),
        replace(config, split_fractions=(0.7, 0.2, 0.1)),
    ):
        assert cache_key(clips, changed) != key
    assert cache_key(clips[:1], config) != key
    clips[0].path.write_bytes(clips[0].path.read_bytes() + b"\0")  # another file size
    assert cache_key(clips, config) != key
    assert cache_folder(clips, config) == tmp_path / "cache" / f"bandai-{cache_key(clips, config)}"


def test_save_and_load_round_trip(root, tmp_path) -> None:
    built = build_dataset(_config(root, tmp_path), progress=False)
    folder = tmp_path / "copy" / "bandai-test"
    assert not is_complete(folder)
    save_dataset(built, folder)
    assert is_complete(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "features.npy", "index.npz"]
    loaded = load_dataset(folder, built.config)
    assert isinstance(loaded, MotionDataset) and loaded.config is built.config
    assert loaded.records == built.records
    np.testing.assert_array_equal(loaded.features, built.features)
    assert isinstance(loaded.features, np.memmap) and loaded.features.dtype == np.float32
    np.testing.assert_array_equal(loaded.normalizer.mean, built.normalizer.mean)
    np.testing.assert_array_equal(loaded.normalizer.std, built.normalizer.std)
    np.testing.assert_array_equal(loaded.local_mirrors, built.local_mirrors)
    assert loaded.unreadable == built.unreadable
    assert loaded.unreadable == [("dataset-1_dance-long_normal_001", "BVH file missing")]
    assert loaded.build_seconds == built.build_seconds
    stored = json.loads((folder / "config.json").read_text())
    assert stored["root"] == str(root) and stored["split_fractions"] == [0.8, 0.1, 0.1]
    with np.load(folder / "index.npz", allow_pickle=False) as index:
        assert list(index["rec_name"]) == [r.name for r in built.records]


def test_a_finished_cache_is_kept_unless_replaced(root, tmp_path) -> None:
    first = build_dataset(_config(root, tmp_path), progress=False)
    other = build_dataset(_config(root, tmp_path, mirror=False), progress=False)
    folder = tmp_path / "shared" / "bandai-x"
    save_dataset(first, folder)
    save_dataset(other, folder)  # another builder finished first: its cache stays
    assert len(load_dataset(folder, first.config)) == len(first) == 4
    save_dataset(other, folder, replace=True)
    assert len(load_dataset(folder, other.config)) == len(other) == 2
    assert sorted(p.name for p in folder.parent.iterdir()) == ["bandai-x"]  # no leftovers


def test_an_incomplete_folder_is_replaced(root, tmp_path) -> None:
    built = build_dataset(_config(root, tmp_path), progress=False)
    folder = tmp_path / "half" / "bandai-y"
    folder.mkdir(parents=True)
    (folder / "features.npy").write_bytes(b"")  # a crashed build: no index
    assert not is_complete(folder)
    save_dataset(built, folder)
    assert load_dataset(folder, built.config).records == built.records


def test_concurrent_builds_share_one_complete_cache(tmp_path, data_root):
    """Two training runs started together used to write the same temporary file; now each
    builds in its own staging folder and the first finished cache is kept."""
    from concurrent.futures import ThreadPoolExecutor

    root = small_root(tmp_path, data_root, NAMES)
    config = DatasetConfig(root=root, cache_dir=tmp_path / "cache", workers=1)
    with ThreadPoolExecutor(8) as pool:
        built = list(pool.map(lambda _: build_dataset(config, progress=False), range(8)))
    assert all(ds.records == built[0].records for ds in built)
    entries = [p.name for p in (tmp_path / "cache").iterdir()]
    assert len(entries) == 1 and ".building-" not in entries[0], entries  # no leftovers
    again = build_dataset(config, rebuild=True, progress=False)
    np.testing.assert_array_equal(again.features, built[0].features)
    assert len(list((tmp_path / "cache").iterdir())) == 1
