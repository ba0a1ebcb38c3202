"""Tests of molingo_ros.motion.dataset_config: default folders and the build settings' checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from molingo_ros.motion.dataset_config import DatasetConfig, default_cache_dir, read_in_workers

REPO = Path(__file__).resolve().parents[1]


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MOLINGO_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("MOLINGO_CACHE_DIR")
    assert default_cache_dir() == REPO / ".cache"


def test_defaults_read_the_environment_at_construction(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MOLINGO_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.setenv("MOLINGO_CACHE_DIR", str(tmp_path / "cache"))
    config = DatasetConfig()
    assert (config.root, config.cache_dir) == (tmp_path / "data", tmp_path / "cache")
    assert config.split_fractions == (0.8, 0.1, 0.1) and config.seed == 0 and config.mirror
    assert 1 <= config.workers <= 4
    assert (config.blend_frames, config.segments) == (10, (2, 3))


def test_folders_become_paths() -> None:
    config = DatasetConfig(root="some/where", cache_dir="cache")
    assert config.root == Path("some/where") and config.cache_dir == Path("cache")


@pytest.mark.parametrize("fractions", [(0.5, 0.5, 0.5), (1.2, -0.1, -0.1), (0.8, 0.1, 0.0)])
def test_split_fractions_must_be_shares(fractions) -> None:
    with pytest.raises(ValueError, match="split_fractions must be 3 shares summing to 1"):
        DatasetConfig(split_fractions=fractions)
    assert DatasetConfig(split_fractions=(0.6, 0.2, 0.2)).split_fractions == (0.6, 0.2, 0.2)


@pytest.mark.parametrize("workers", [1, 2])
def test_read_in_workers_keeps_the_jobs_order(workers) -> None:
    jobs = [(-3.5,), (2.0,), (-0.25,), (7.0,)] * 5
    assert read_in_workers(min, jobs, workers, progress=False) == [min(j) for j in jobs]
