"""Retrieval check of the evaluator (molingo_ros.model.evaluation.retrieval): aliased styles
merged into one label, label ids, and the shipped evaluator on real validation motions."""

from __future__ import annotations

import pytest

from molingo_ros.model.evaluation.evaluator import default_weights_path
from molingo_ros.model.evaluation.evaluator_checkpoint import load_evaluator
from molingo_ros.model.evaluation.retrieval import (
    SPLIT_METRICS,
    evaluate_split,
    label_ids,
    label_key,
)
from molingo_ros.motion.dataset import build_dataset


def test_label_key_merges_aliased_styles():
    assert label_key("walk", "elderly") == ("walk", "old")
    assert label_key("walk", "exhausted") == ("walk", "tired")
    assert label_key("bow", "masculine") == ("bow", "masculinity")
    assert label_key("walk", "happy") == ("walk", "happy")


def test_label_ids_number_keys_in_order_of_appearance():
    assert label_ids(["b", "a", "b", ("c", 1), "a"]).tolist() == [0, 1, 0, 2, 1]


@pytest.mark.slow
def test_the_shipped_evaluator_retrieves_real_validation_motions():
    dataset = build_dataset(progress=False)
    result = evaluate_split(
        load_evaluator(default_weights_path()), dataset, "val", mirrored=False, repeats=2
    )
    assert result["records"] == len(dataset.indices("val", mirrored=False)) >= 64
    assert set(SPLIT_METRICS) <= set(result)
    r1, r2, r3 = result["r_precision"][0]
    assert 0.5 < r1 <= r2 <= r3 <= 1.0  # far above chance (1/32)
    assert result["label_r_precision"][0][2] >= r3  # any motion of the label is a hit
    assert result["content_r_precision"][0][2] >= result["label_r_precision"][0][2]
    assert result["fid_halves"][0] < 0.1  # two halves of the same motions
