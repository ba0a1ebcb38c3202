"""The retrieval evaluator network (molingo_ros.model.evaluation.evaluator): unit-vector
encoders, the normalisation of raw features, its config's checks and JSON."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from evaluator_helpers import TINY, tiny_evaluator

from molingo_ros.model.evaluation.evaluator import (
    EvaluatorConfig,
    RetrievalEvaluator,
    default_weights_path,
)
from molingo_ros.motion.dataset import build_dataset


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(progress=False)


def test_encoders_give_unit_vectors_and_ignore_padding(dataset):
    model = tiny_evaluator(dataset).eval()
    clip = torch.from_numpy(np.array(dataset.clip_features(dataset.indices("test")[0])[:40]))
    feats = torch.zeros(2, 50, 257)
    feats[0, :40], feats[1, :40] = clip, clip
    feats[1, 40:] = 5.0  # padding frames, masked out
    mask = torch.zeros(2, 50, dtype=torch.bool)
    mask[:, :40] = True
    with torch.no_grad():
        emb = model.encode_motion(feats, mask)
    assert emb.shape == (2, TINY.dim)
    torch.testing.assert_close(emb.norm(dim=1), torch.ones(2))
    torch.testing.assert_close(emb[0], emb[1], atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="longer than max_frames"):
        model.encode_motion(torch.zeros(1, TINY.max_frames + 1, 257), torch.ones(1, 91).bool())
    tokens, tmask = torch.randn(3, 7, 384), torch.ones(3, 7, dtype=torch.bool)
    with torch.no_grad():
        torch.testing.assert_close(model.encode_text(tokens, tmask).norm(dim=1), torch.ones(3))


def test_raw_features_are_normalised_by_the_dataset_statistics(dataset):
    model = tiny_evaluator(dataset)
    torch.testing.assert_close(model.mean, torch.as_tensor(dataset.normalizer.mean).float())
    with pytest.raises(ValueError, match=r"shape \(257,\)"):
        RetrievalEvaluator(TINY, np.zeros(3), np.ones(3))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"dim": 30, "heads": 4}, "multiple of heads"),
        ({"min_frames": 100, "max_frames": 90}, "min_frames <= max_frames"),
        ({"batch": 1}, "batch >= 2"),
    ],
)
def test_config_refuses_bad_combinations(overrides, message):
    with pytest.raises(ValueError, match=message):
        EvaluatorConfig(**overrides)


def test_config_json_round_trip_and_unknown_fields():
    assert EvaluatorConfig.from_json(TINY.to_json()) == TINY
    with pytest.raises(ValueError, match="unknown evaluator config fields"):
        EvaluatorConfig.from_json('{"dim": 64, "nope": 1}')
    with pytest.raises(ValueError, match="JSON object"):
        EvaluatorConfig.from_json("[1, 2]")


def test_the_shipped_weights_are_where_the_default_points():
    path = default_weights_path()
    assert path.name == "evaluator.safetensors" and path.is_file()
    assert path.parent.name == "weights" and path.parent.parent.name == "molingo_ros"
