"""The prompt sets of molingo eval (molingo_ros.model.evaluation.prompts): real takes of a
split, cropped to whole tokens; validation prompts from other takes than the test ones."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.model.evaluation.prompts import MAX_FRAMES, MIN_FRAMES, PromptItem, prompt_sets
from molingo_ros.motion.dataset import build_dataset


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(progress=False)


def test_prompts_are_real_takes_cut_to_whole_tokens(dataset):
    sets = prompt_sets(dataset, 2, 0)
    assert set(sets) == {"test", "heldout", "composed"}
    for it in sets["test"]:
        assert MIN_FRAMES <= it.frames <= MAX_FRAMES and it.frames % 4 == 0
        assert it.real.shape == (it.frames, 257) and it.seams == [] and it.label is not None
    assert [it.label for it in sets["test"]] == [it.label for it in sets["heldout"]]
    assert [it.text for it in sets["test"]] != [it.text for it in sets["heldout"]]
    composed = sets["composed"][0]
    assert len(composed.segments) >= 2 and composed.seams == [s for _, s in composed.segments[1:]]
    assert composed.text == " then ".join(t for t, _ in composed.segments)
    again = prompt_sets(dataset, 2, 0)  # seeded
    assert [it.text for it in again["test"]] == [it.text for it in sets["test"]]


def test_a_prompt_item_joins_its_segments():
    item = PromptItem([("walk", 0), ("wave", 30)], 60, np.zeros((60, 257)))
    assert item.text == "walk then wave" and item.seams == [30]


def test_validation_prompts_come_from_other_takes(dataset):
    """``split="val"`` (for choosing sampler settings) draws its prompts from the validation
    takes: none of its motions is a test motion."""
    test, val = (prompt_sets(dataset, 3, 0, split) for split in ("test", "val"))
    assert len(val["test"]) > 250 and len(val["heldout"]) == len(val["test"])
    seen = {it.real.tobytes() for it in test["test"]}
    assert not any(it.real.tobytes() in seen for it in val["test"])
    assert len(val["composed"]) == 3
    assert not np.array_equal(val["composed"][0].real[:40], test["composed"][0].real[:40])
