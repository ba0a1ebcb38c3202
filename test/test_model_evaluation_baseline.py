"""The retrieval baseline of molingo eval (molingo_ros.model.evaluation.baseline): the
training take of the caption's label, cut to the prompt's length, and blended joins for
composed prompts. Real data, MiniLM."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.model.evaluation.baseline import RetrievalBaseline
from molingo_ros.model.evaluation.prompts import PromptItem
from molingo_ros.model.text import FrozenTextEncoder
from molingo_ros.motion import captions
from molingo_ros.motion.dataset import build_dataset


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(progress=False)


@pytest.fixture(scope="module")
def baseline(dataset):
    return RetrievalBaseline(dataset, FrozenTextEncoder(), per_label=2, seed=0)


def _content_of(dataset, feats: np.ndarray) -> str:
    """The content of the training take ``feats`` is (it must be one)."""
    for i in dataset.indices("train"):
        take = dataset.clip_features(i)
        if len(take) == len(feats) and np.array_equal(take, feats):
            return dataset.records[i].content
    raise AssertionError("not a training take")


@pytest.mark.parametrize(("content", "family"), [("walk", "walk"), ("bow", "bow")])
def test_a_caption_retrieves_a_training_take_of_its_action(dataset, baseline, content, family):
    text = captions.captions_for(content, "normal", split="train")[0]
    feats = baseline.clip_for(text, np.random.default_rng(0))
    assert _content_of(dataset, feats).startswith(family)  # walk: walk-right is near too


def test_prompts_get_the_middle_of_a_take_or_a_blended_join(dataset, baseline):
    rng = np.random.default_rng(1)
    text = captions.captions_for("walk", "normal", split="train")[0]
    single = PromptItem([(text, 0)], 40, np.zeros((40, 257)))
    feats, seams = baseline.motion_for(single, rng)
    assert feats.shape == (40, 257) and seams == []
    two = PromptItem([(text, 0), ("a person bows", 60)], 120, np.zeros((120, 257)))
    joined, seams = baseline.motion_for(two, rng)
    assert joined.shape[1] == 257 and len(seams) == 1 and 0 < seams[0] < len(joined)
    assert np.isfinite(joined).all()
