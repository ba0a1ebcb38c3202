"""Embedding with the retrieval evaluator (molingo_ros.model.evaluation.embedding): unit
vectors of motions and captions, padding and cropping that change nothing, bad input refused."""

from __future__ import annotations

import numpy as np
import pytest
from evaluator_helpers import TINY, tiny_evaluator

from molingo_ros.model.evaluation.embedding import (
    centre_crop,
    embed_motions,
    embed_texts,
    frozen_text_encoder,
    pad_motions,
)
from molingo_ros.model.evaluation.evaluator import EvaluatorConfig, RetrievalEvaluator
from molingo_ros.motion.dataset import build_dataset


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(progress=False)


@pytest.fixture(scope="module")
def text_encoder():
    return frozen_text_encoder(TINY)


def test_forward_shapes_and_unit_norms(dataset, text_encoder):
    model = tiny_evaluator(dataset)
    clips = [dataset.clip_features(i) for i in dataset.indices("test")[:5]]
    clips.append(np.zeros((3, 257), np.float32))  # shorter than one patch
    motions = embed_motions(model, clips, batch=4)  # includes clips longer than max_frames
    assert motions.shape == (6, TINY.dim) and motions.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(motions, axis=1), 1.0, atol=1e-5)
    texts = embed_texts(
        model, ["a person walks forward", "someone bows"], text_encoder=text_encoder
    )
    assert texts.shape == (2, TINY.dim)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    # padding does not change an embedding
    alone = embed_motions(model, clips[:1])
    np.testing.assert_allclose(alone[0], motions[0], atol=1e-5)
    with pytest.raises(ValueError, match="257"):
        embed_motions(model, [np.zeros((10, 12))])


def test_padding_and_centre_crop():
    clips = [np.ones((3, 2), np.float32), 2 * np.ones((5, 2), np.float32)]
    feats, mask = pad_motions(clips, 2)
    assert feats.shape == (2, 5, 2) and mask.tolist() == [[True] * 3 + [False] * 2, [True] * 5]
    assert float(feats[0, 3:].abs().sum()) == 0.0
    motion = np.arange(10)
    assert centre_crop(motion, 4).tolist() == [3, 4, 5, 6]
    assert centre_crop(motion, 12) is motion


def test_a_text_model_of_another_size_is_refused():
    with pytest.raises(ValueError, match="gives 384-d tokens, the evaluator expects 512"):
        frozen_text_encoder(EvaluatorConfig(text_dim=512))
    with pytest.raises(TypeError, match="list of strings"):
        embed_texts(RetrievalEvaluator(TINY), "a person walks")
