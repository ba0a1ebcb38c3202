"""Files of the retrieval evaluator (molingo_ros.model.evaluation.evaluator_checkpoint): a
saved model loads with the same config and embeddings; corrupt, foreign and mismatched files
are refused with the reason."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from evaluator_helpers import TINY, tiny_evaluator

from molingo_ros.model.evaluation.embedding import embed_motions
from molingo_ros.model.evaluation.evaluator_checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    load_evaluator,
    save_evaluator,
)
from molingo_ros.motion.dataset import build_dataset


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(progress=False)


def test_a_saved_evaluator_loads_with_its_config_and_summary(dataset, tmp_path):
    model = tiny_evaluator(dataset)
    model.train_info = {"losses": [1.0, 0.5], "train_seconds": 3.0}
    path = save_evaluator(model, tmp_path / "ev.safetensors")
    loaded = load_evaluator(path)
    assert loaded.config == TINY and not loaded.training
    assert loaded.train_info == {"train_seconds": 3.0}  # the losses stay out of the file
    clips = [dataset.clip_features(i) for i in dataset.indices("test")[:3]]
    np.testing.assert_array_equal(embed_motions(model, clips), embed_motions(loaded, clips))


def test_corrupt_and_mismatched_checkpoints_raise_value_error(dataset, tmp_path):
    from safetensors.torch import save_file

    model = tiny_evaluator(dataset)
    good = save_evaluator(model, tmp_path / "good.safetensors")

    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        load_evaluator(truncated)

    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00" * 5)
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        load_evaluator(garbage)

    tensors = {k: v.clone().contiguous() for k, v in model.state_dict().items()}
    meta = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "config": TINY.to_json(),
    }
    tensors["motion.proj.weight"] = torch.zeros(TINY.dim + 1, 5 * 257)
    wrong = tmp_path / "wrong_shape.safetensors"
    save_file(tensors, str(wrong), metadata=meta)
    with pytest.raises(ValueError, match=r"motion\.proj\.weight has shape"):
        load_evaluator(wrong)

    other = tmp_path / "other.safetensors"
    save_file({"x": torch.zeros(2)}, str(other), metadata={"format": "something-else"})
    with pytest.raises(ValueError, match="not a retrieval evaluator checkpoint"):
        load_evaluator(other)

    bad_config = tmp_path / "bad_config.safetensors"
    meta_bad = {**meta, "config": json.dumps({**json.loads(TINY.to_json()), "nope": 1})}
    save_file({"x": torch.zeros(2)}, str(bad_config), metadata=meta_bad)
    with pytest.raises(ValueError, match="invalid evaluator config"):
        load_evaluator(bad_config)

    with pytest.raises(FileNotFoundError):
        load_evaluator(tmp_path / "missing.safetensors")
