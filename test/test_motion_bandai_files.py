"""Tests of molingo_ros.motion.bandai_files: finding the Bandai Namco clips and their labels."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest
from motion_helpers import small_root

from molingo_ros.motion.bandai_files import SourceClip, default_data_root, find_clips


def test_default_data_root_follows_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MOLINGO_DATA_ROOT", str(tmp_path / "elsewhere"))
    assert default_data_root() == tmp_path / "elsewhere"
    monkeypatch.delenv("MOLINGO_DATA_ROOT")
    repo = Path(__file__).resolve().parents[1]
    assert default_data_root() == repo.parent / "shared" / "data" / "bandai-namco-motion"


def test_every_real_clip_is_found_with_its_labels(data_root) -> None:
    clips, problems = find_clips(data_root)
    assert problems == []
    assert len(clips) == 3077 and len({c.name for c in clips}) == 3077
    assert Counter(c.dataset for c in clips) == {1: 175, 2: 2902}
    missing = [c.name for c in clips if c.path is None]
    assert missing == ["dataset-1_dance-long_normal_001"]  # a label file without its BVH
    walk = next(c for c in clips if c.name == "dataset-2_walk-turn-left_exhausted_028")
    assert walk == SourceClip(walk.path, walk.name, 2, "walk-turn-left", "exhausted")
    assert walk.path.name == "dataset-2_walk-turn-left_exhausted_028.bvh.gz" and walk.path.is_file()
    assert all(not c.content.startswith("dataset-") for c in clips)
    assert [c.name for c in clips] == sorted(c.name for c in clips)  # folder order, sorted


def test_plain_bvh_is_used_when_there_is_no_gzip(tmp_path, data_root) -> None:
    root = small_root(tmp_path, data_root, ["dataset-2_walk_normal_001"])
    data = root / "Bandai-Namco-Research-Motiondataset-2" / "data"
    zipped = data / "dataset-2_walk_normal_001.bvh.gz"
    (data / "dataset-2_walk_normal_001.bvh").write_bytes(gzip.decompress(zipped.read_bytes()))
    zipped.unlink()
    clips, problems = find_clips(root)
    assert problems == []
    assert [c.path.name for c in clips] == ["dataset-2_walk_normal_001.bvh"]


def test_bad_label_files_are_reported_not_raised(tmp_path, data_root) -> None:
    root = small_root(
        tmp_path, data_root, ["dataset-2_walk_normal_001", "dataset-1_bow_normal_001"]
    )
    data = root / "Bandai-Namco-Research-Motiondataset-2" / "data"
    (data / "dataset-2_broken_normal_001.json").write_text("{not json")
    (data / "dataset-2_far_normal_001.json").write_text('{"content": 999, "style": 0}')
    clips, problems = find_clips(root)
    assert [c.name for c in clips] == ["dataset-1_bow_normal_001", "dataset-2_walk_normal_001"]
    reasons = dict(problems)
    assert set(reasons) == {"dataset-2_broken_normal_001", "dataset-2_far_normal_001"}
    assert reasons["dataset-2_far_normal_001"].startswith("bad label file dataset-2_far_normal_001")


def test_missing_folders_are_clear_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="MOLINGO_DATA_ROOT"):
        find_clips(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="holds no Bandai-Namco-Research-Motiondataset"):
        find_clips(tmp_path)
