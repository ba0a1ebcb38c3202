"""Tests of molingo_ros.motion.splits: every take of the real Bandai clips in exactly one split."""

from __future__ import annotations

from collections import Counter

import pytest

from molingo_ros.motion.bandai_files import find_clips
from molingo_ros.motion.splits import SPLITS, assign_splits, take_of


@pytest.fixture(scope="module")
def clips(data_root):
    return [c for c in find_clips(data_root)[0] if c.path is not None]


def test_a_mirrored_copy_keeps_its_take() -> None:
    assert take_of("dataset-2_walk_normal_001") == "dataset-2_walk_normal_001"
    assert SPLITS == ("train", "val", "test")


def test_every_take_gets_one_split_in_the_right_shares(clips) -> None:
    splits = assign_splits(clips, (0.8, 0.1, 0.1), seed=0)
    assert set(splits) == {take_of(c.name) for c in clips}
    assert Counter(splits.values()) == {"train": 2464, "val": 303, "test": 309}
    # a group of >= 10 takes is cut exactly: 24 takes of dataset-2 walk/normal -> 2 val, 2 test
    walks = [splits[c.name] for c in clips if c.name.startswith("dataset-2_walk_normal_")]
    assert Counter(walks) == {"train": 20, "val": 2, "test": 2}


def test_small_groups_still_reach_every_split(clips) -> None:
    splits = assign_splits(clips, (0.8, 0.1, 0.1), seed=0)
    small = [splits[c.name] for c in clips if c.dataset == 1]  # dataset 1: < 10 takes a group
    assert set(small) == set(SPLITS)


def test_deterministic_and_seeded(clips) -> None:
    first = assign_splits(clips, (0.8, 0.1, 0.1), seed=0)
    assert assign_splits(list(reversed(clips)), (0.8, 0.1, 0.1), seed=0) == first
    other = assign_splits(clips, (0.8, 0.1, 0.1), seed=1)
    assert other != first and Counter(other.values())["train"] == pytest.approx(2464, abs=40)


def test_fractions_of_one_split_put_everything_there(clips) -> None:
    assert set(assign_splits(clips, (1.0, 0.0, 0.0), seed=3).values()) == {"train"}
    assert set(assign_splits(clips, (0.0, 0.0, 1.0), seed=3).values()) == {"test"}
