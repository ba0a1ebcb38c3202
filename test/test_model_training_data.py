"""Training data of the model (molingo_ros.model.training.data): cache keys, the grouped
feature normaliser, bounded caption banks, clip and composed sequences with per-frame labels,
and text tables cached on disk. Real data, MiniLM."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from molingo_ros.model.text import FrozenTextEncoder
from molingo_ros.model.training.data import (
    CaptionBank,
    DataConfig,
    GroupNormalizer,
    TextTable,
    clip_sequences,
    composed_sequences,
    text_cache_path,
)
from molingo_ros.motion import captions
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.features import feature_slices


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(progress=False)


@pytest.fixture(scope="module")
def bank(dataset):
    return CaptionBank(dataset, "train", DataConfig(captions_per_label=3))


def test_cache_keys_follow_the_settings():
    assert DataConfig().key(5) == DataConfig().key(5)
    assert DataConfig().key(5) != DataConfig().key(6)
    assert DataConfig().key(5) != DataConfig(captions_per_label=3).key(5)
    assert len(DataConfig().key()) == 12


def test_the_normaliser_has_one_deviation_per_feature_group(dataset):
    norm = GroupNormalizer.of(dataset)
    for sl in feature_slices(21).values():
        assert np.unique(norm.std[sl]).size == 1
    assert (norm.std >= 1e-3).all()
    feats = dataset.clip_features(dataset.indices("train")[0])
    normalised = norm.normalize(feats)
    assert normalised.dtype == np.float32
    np.testing.assert_allclose(norm.denormalize(normalised), feats, rtol=1e-4, atol=1e-4)


def test_the_caption_bank_keeps_a_few_training_phrasings_per_label(dataset, bank):
    labels = {(r.content, r.style) for r in dataset.records if r.split == "train"}
    assert set(bank.by_label) == labels
    for label, caps in bank.by_label.items():
        assert 1 <= len(caps) <= 3
        assert set(caps) <= set(captions.captions_for(*label, split="train"))
    assert bank.captions == sorted(set(bank.captions))
    label = ("walk", "normal")
    picks = {bank.sample(label, np.random.default_rng(s)) for s in range(20)}
    assert {bank.captions[i] for i in picks} <= set(bank.by_label[label])
    again = CaptionBank(dataset, "train", DataConfig(captions_per_label=3))
    assert again.by_label == bank.by_label  # seeded


def test_clip_sequences_carry_one_caption_each(dataset, bank):
    seqs = clip_sequences(dataset, "train", bank, np.random.default_rng(0))
    pool = dataset.indices("train")
    assert len(seqs) == len(pool)
    for i, s in zip(pool[:50], seqs[:50], strict=True):
        assert len(s.features) == dataset.records[i].length and s.seams == []
        assert np.unique(s.labels).size == 1
        rec = dataset.records[i]
        assert bank.captions[s.labels[0]] in bank.by_label[(rec.content, rec.style)]


def test_composed_sequences_change_caption_at_their_seams(dataset):
    config = DataConfig(composed_sequences=12)
    bank = CaptionBank(dataset, "train", config)
    seqs = composed_sequences(dataset, "train", bank, config, progress=False)
    assert len(seqs) == 12 and all(s.seams for s in seqs)
    for s in seqs:
        starts = [0, *s.seams, len(s.features)]
        for a, b in zip(starts[:-1], starts[1:], strict=True):
            assert np.unique(s.labels[a:b]).size == 1  # one caption per segment


def test_a_text_table_is_built_once_and_read_from_its_cache(tmp_path):
    encoder = FrozenTextEncoder()
    texts = ["a person walks forward", "someone bows", "a man waves with the left hand"]
    cache = text_cache_path(texts, encoder, DataConfig(), tmp_path)
    assert cache.parent == tmp_path and not cache.exists()
    table = TextTable.build(encoder, texts, cache, max_tokens=8, progress=False)
    assert cache.exists()
    assert table.tokens.shape == (3, 8, encoder.dim) and table.mask.shape == (3, 8)
    torch.testing.assert_close(table.sentence.norm(dim=1), torch.ones(3))
    assert table.index["someone bows"] == 1
    cached = TextTable.build(encoder, texts, cache, max_tokens=8, progress=False)
    assert torch.equal(cached.tokens, table.tokens) and torch.equal(cached.mask, table.mask)
