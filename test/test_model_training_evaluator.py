"""Training of the retrieval evaluator (molingo_ros.model.training.evaluator): caption sets,
the masked contrastive loss, corrupted negatives, a few training steps on real clips, a run
that saves and round-trips, train-split records only."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from evaluator_helpers import TINY, tiny_evaluator

from molingo_ros.model.evaluation.embedding import (
    embed_motions,
    embed_texts,
    frozen_text_encoder,
    pad_motions,
)
from molingo_ros.model.evaluation.evaluator import EvaluatorConfig
from molingo_ros.model.evaluation.evaluator_checkpoint import load_evaluator
from molingo_ros.model.training.evaluator import (
    CORRUPTIONS,
    caption_bank,
    contrastive_loss,
    corrupt_motions,
    sample_batch,
    train_evaluator,
    train_steps,
)
from molingo_ros.motion.dataset import build_dataset


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(progress=False)


@pytest.fixture(scope="module")
def text_encoder():
    return frozen_text_encoder(TINY)


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


def test_caption_bank_gives_aliased_labels_the_same_captions():
    bank = caption_bank([("walk", "old"), ("walk", "elderly"), ("bow", "sad")], 5, seed=0)
    assert bank[("walk", "old")] == bank[("walk", "elderly")]
    assert all(len(v) == 5 for v in bank.values())
    assert bank == caption_bank([("bow", "sad"), ("walk", "elderly"), ("walk", "old")], 5, 0)


def test_a_batch_pairs_crops_of_the_pool_with_captions_of_their_label(dataset, tiny_pool):
    labels = [(dataset.records[i].content, dataset.records[i].style) for i in tiny_pool]
    bank = caption_bank(labels, TINY.captions_per_label, TINY.seed)
    feats, mask, texts, ids = sample_batch(
        dataset, tiny_pool, bank, TINY, np.random.default_rng(0), batch=6
    )
    assert feats.shape[0] == mask.shape[0] == len(texts) == len(ids) == 6
    assert TINY.min_frames <= feats.shape[1] <= TINY.max_frames
    every_caption = {c for caps in bank.values() for c in caps}
    assert set(texts) <= every_caption
    by_text = {}
    for text, label_id in zip(texts, ids.tolist(), strict=True):
        by_text.setdefault(text, set()).add(label_id)
    assert all(len(v) == 1 for v in by_text.values())  # a caption belongs to one label


def test_contrastive_loss_masks_same_label_negatives():
    emb = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    twin = emb.clone()
    twin[1] = emb[0]  # rows 0 and 1 identical
    plain = contrastive_loss(twin, twin, None, 0.1)
    masked = contrastive_loss(twin, twin, torch.tensor([0, 0, 1, 2]), 0.1)
    assert masked < plain


def test_corrupt_motions_and_extra_negatives(dataset):
    clips = [dataset.clip_features(i)[:40] for i in dataset.indices("train")[:3]]
    clips[2] = clips[2][:25]
    feats, mask = pad_motions(clips, 257)
    std = torch.as_tensor(dataset.normalizer.std, dtype=torch.float32)
    bad = corrupt_motions(feats, mask, std, np.random.default_rng(0))
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
    assert sorted(kinds) == sorted(CORRUPTIONS)
    emb = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    plain = contrastive_loss(emb, emb, None, 0.1)
    harder = contrastive_loss(emb, emb, None, 0.1, extra_negatives=emb[:2])
    assert harder > plain


def test_training_steps_reduce_the_loss(dataset, tiny_pool, text_encoder):
    model = tiny_evaluator(dataset)
    labels = [(dataset.records[i].content, dataset.records[i].style) for i in tiny_pool]
    bank = caption_bank(labels, TINY.captions_per_label, TINY.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=TINY.lr)
    rng = np.random.default_rng(0)
    losses = train_steps(model, dataset, tiny_pool, bank, optimizer, 40, rng, text_encoder)
    assert np.mean(losses[-8:]) < 0.7 * np.mean(losses[:8]), losses


def test_train_evaluator_saves_and_round_trips(dataset, tiny_pool, tmp_path):
    path = tmp_path / "weights" / "evaluator.safetensors"
    config = EvaluatorConfig(**{**TINY.__dict__, "steps": 4, "eval_every": 0})
    model = train_evaluator(
        config, path, progress=False, dataset=dataset, pool=tiny_pool, log=lambda *_: None
    )
    assert path.is_file()
    loaded = load_evaluator(path)
    assert loaded.config == config and not loaded.training
    clips = [dataset.clip_features(i) for i in tiny_pool]
    np.testing.assert_array_equal(embed_motions(model, clips), embed_motions(loaded, clips))
    texts = ["a person walks forward", "a man bows sadly"]
    np.testing.assert_array_equal(embed_texts(model, texts), embed_texts(loaded, texts))
    torch.testing.assert_close(loaded.mean, torch.as_tensor(dataset.normalizer.mean).float())
    assert loaded.train_info["train_seconds"] >= 0


def test_train_evaluator_refuses_non_train_records(dataset):
    with pytest.raises(ValueError, match="train-split"):
        train_evaluator(
            TINY, None, progress=False, dataset=dataset, pool=dataset.indices("test")[:4]
        )
