"""The retrieval evaluator: shapes, a few training steps on real clips, checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from molingo_ros.model import evaluator as ev
from molingo_ros.motion.dataset import build_dataset

TINY = ev.EvaluatorConfig(
    dim=64,
    motion_layers=1,
    text_layers=1,
    heads=4,
    batch=16,
    min_frames=30,
    max_frames=90,
    captions_per_label=3,
    lr=1e-3,
    warmup_steps=1,
    steps=20,
    seed=0,
)


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(progress=False)


@pytest.fixture(scope="module")
def text_encoder():
    return ev.frozen_text_encoder(TINY)


@pytest.fixture(scope="module")
def tiny_pool(dataset):
    """Two train clips of each of four labels (different contents)."""
    wanted = [
        ("walk", "normal"),
        ("run", "active"),
        ("raise-up-both-hands", "normal"),
        ("wave-left-hand", "elderly"),
    ]
    pool = []
    for content, style in wanted:
        found = [
            i
            for i in dataset.indices("train", mirrored=False)
            if (dataset.records[i].content, dataset.records[i].style) == (content, style)
        ]
        pool += found[:2]
    assert len(pool) == 8
    return pool


def _model(dataset, config=TINY) -> ev.RetrievalEvaluator:
    torch.manual_seed(0)
    return ev.RetrievalEvaluator(config, dataset.normalizer.mean, dataset.normalizer.std)


def test_forward_shapes_and_unit_norms(dataset, text_encoder):
    model = _model(dataset)
    clips = [dataset.clip_features(i) for i in dataset.indices("test")[:5]]
    clips.append(np.zeros((3, 257), np.float32))  # shorter than one patch
    motions = ev.embed_motions(model, clips, batch=4)  # includes clips longer than max_frames
    assert motions.shape == (6, TINY.dim) and motions.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(motions, axis=1), 1.0, atol=1e-5)
    texts = ev.embed_texts(
        model, ["a person walks forward", "someone bows"], text_encoder=text_encoder
    )
    assert texts.shape == (2, TINY.dim)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    # padding does not change an embedding
    alone = ev.embed_motions(model, clips[:1])
    np.testing.assert_allclose(alone[0], motions[0], atol=1e-5)
    with pytest.raises(ValueError, match="257"):
        ev.embed_motions(model, [np.zeros((10, 12))])


def test_label_key_merges_aliased_styles():
    assert ev.label_key("walk", "elderly") == ("walk", "old")
    assert ev.label_key("walk", "exhausted") == ("walk", "tired")
    assert ev.label_key("bow", "masculine") == ("bow", "masculinity")
    assert ev.label_key("walk", "happy") == ("walk", "happy")
    bank = ev.caption_bank([("walk", "old"), ("walk", "elderly"), ("bow", "sad")], 5, seed=0)
    assert bank[("walk", "old")] == bank[("walk", "elderly")]
    assert all(len(v) == 5 for v in bank.values())


def test_contrastive_loss_masks_same_label_negatives():
    emb = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    twin = emb.clone()
    twin[1] = emb[0]  # rows 0 and 1 identical
    plain = ev.contrastive_loss(twin, twin, None, 0.1)
    masked = ev.contrastive_loss(twin, twin, torch.tensor([0, 0, 1, 2]), 0.1)
    assert masked < plain


def test_corrupt_motions_and_extra_negatives(dataset):
    clips = [dataset.clip_features(i)[:40] for i in dataset.indices("train")[:3]]
    clips[2] = clips[2][:25]
    feats, mask = ev._pad_motions(clips, 257)
    std = torch.as_tensor(dataset.normalizer.std, dtype=torch.float32)
    bad = ev.corrupt_motions(feats, mask, std, np.random.default_rng(0))
    assert bad.shape == feats.shape
    assert torch.all(bad[2, 25:] == 0)  # padding untouched
    kinds = []
    for i in range(3):
        n = int(mask[i].sum())
        if torch.equal(bad[i, :n], feats[i, :n].flip(0)):
            kinds.append("reversed")
        elif torch.all(bad[i, :n] == bad[i, :1]):
            kinds.append("frozen")
        else:
            kinds.append("jitter")
    assert sorted(kinds) == sorted(ev.CORRUPTIONS)
    emb = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    plain = ev.contrastive_loss(emb, emb, None, 0.1)
    harder = ev.contrastive_loss(emb, emb, None, 0.1, extra_negatives=emb[:2])
    assert harder > plain


def test_training_steps_reduce_the_loss(dataset, tiny_pool, text_encoder):
    model = _model(dataset)
    labels = [(dataset.records[i].content, dataset.records[i].style) for i in tiny_pool]
    bank = ev.caption_bank(labels, TINY.captions_per_label, TINY.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=TINY.lr)
    rng = np.random.default_rng(0)
    losses = ev.train_steps(model, dataset, tiny_pool, bank, optimizer, 40, rng, text_encoder)
    assert np.mean(losses[-8:]) < 0.7 * np.mean(losses[:8]), losses


def test_train_evaluator_saves_and_round_trips(dataset, tiny_pool, tmp_path):
    path = tmp_path / "weights" / "evaluator.safetensors"
    config = ev.EvaluatorConfig(**{**TINY.__dict__, "steps": 4, "eval_every": 0})
    model = ev.train_evaluator(
        config, path, progress=False, dataset=dataset, pool=tiny_pool, log=lambda *_: None
    )
    assert path.is_file()
    loaded = ev.load_evaluator(path)
    assert loaded.config == config and not loaded.training
    clips = [dataset.clip_features(i) for i in tiny_pool]
    np.testing.assert_array_equal(ev.embed_motions(model, clips), ev.embed_motions(loaded, clips))
    texts = ["a person walks forward", "a man bows sadly"]
    np.testing.assert_array_equal(ev.embed_texts(model, texts), ev.embed_texts(loaded, texts))
    torch.testing.assert_close(loaded.mean, torch.as_tensor(dataset.normalizer.mean).float())
    assert loaded.train_info["train_seconds"] >= 0


def test_train_evaluator_refuses_non_train_records(dataset):
    with pytest.raises(ValueError, match="train-split"):
        ev.train_evaluator(
            TINY, None, progress=False, dataset=dataset, pool=dataset.indices("test")[:4]
        )


def test_corrupt_and_mismatched_checkpoints_raise_value_error(dataset, tmp_path):
    from safetensors.torch import save_file

    model = _model(dataset)
    good = ev.save_evaluator(model, tmp_path / "good.safetensors")

    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        ev.load_evaluator(truncated)

    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00" * 5)
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        ev.load_evaluator(garbage)

    tensors = {k: v.clone().contiguous() for k, v in model.state_dict().items()}
    meta = {
        "format": ev.CHECKPOINT_FORMAT,
        "version": ev.CHECKPOINT_VERSION,
        "config": TINY.to_json(),
    }
    tensors["motion.proj.weight"] = torch.zeros(TINY.dim + 1, 5 * 257)
    wrong = tmp_path / "wrong_shape.safetensors"
    save_file(tensors, str(wrong), metadata=meta)
    with pytest.raises(ValueError, match=r"motion\.proj\.weight has shape"):
        ev.load_evaluator(wrong)

    other = tmp_path / "other.safetensors"
    save_file({"x": torch.zeros(2)}, str(other), metadata={"format": "something-else"})
    with pytest.raises(ValueError, match="not a retrieval evaluator checkpoint"):
        ev.load_evaluator(other)

    bad_config = tmp_path / "bad_config.safetensors"
    meta_bad = {**meta, "config": json.dumps({**json.loads(TINY.to_json()), "nope": 1})}
    save_file({"x": torch.zeros(2)}, str(bad_config), metadata=meta_bad)
    with pytest.raises(ValueError, match="invalid evaluator config"):
        ev.load_evaluator(bad_config)

    with pytest.raises(FileNotFoundError):
        ev.load_evaluator(tmp_path / "missing.safetensors")
