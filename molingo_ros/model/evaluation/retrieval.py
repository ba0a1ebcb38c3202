"""Retrieval check of a trained evaluator on the real motions of a split
(:func:`evaluate_split`: the reference a generator is compared with), and the label groups a
retrieved motion may match (:func:`label_key`: aliased styles merged, :func:`label_ids`)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from molingo_ros.model.evaluation import metrics
from molingo_ros.model.evaluation.embedding import embed_motions, embed_texts
from molingo_ros.model.evaluation.evaluator import RetrievalEvaluator
from molingo_ros.model.text import FrozenTextEncoder
from molingo_ros.motion import captions
from molingo_ros.motion.motion_dataset import MotionDataset

SPLIT_METRICS = (
    "r_precision",
    "label_r_precision",
    "content_r_precision",
    "matching_score",
    "fid_halves",
    "diversity",
)
"""The metrics :func:`evaluate_split` reports, each as [mean, ci95]."""


@cache
def label_key(content: str, style: str) -> tuple[str, str]:
    """The (content, style) label with aliased styles merged: styles whose train captions are
    identical for this content (``old``/``elderly``, ``tired``/``exhausted``,
    ``masculinity``/``masculine``) map to the first one in ``captions.STYLES`` order."""
    own = captions.captions_for(content, style, split="train")
    for other in captions.STYLES:
        if other == style:
            break
        if captions.captions_for(content, other, split="train") == own:
            return content, other
    return content, style


def label_ids(keys: Sequence) -> np.ndarray:
    """Integer id per key (equal keys, equal ids), numbered in order of first appearance."""
    index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    return np.array([index[k] for k in keys])


def _split_repeat(
    text_emb: np.ndarray,
    motion_emb: np.ndarray,
    group_ids: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> dict[str, list | float]:
    """One repeat's metrics (:data:`SPLIT_METRICS`) of matched text and motion embeddings."""
    row: dict[str, list | float] = {}
    state = rng.bit_generator.state
    row["r_precision"] = metrics.r_precision(text_emb, motion_emb, rng=rng)
    for name, ids in group_ids.items():
        rng.bit_generator.state = state  # same batches as the plain R-precision
        row[name] = metrics.r_precision(text_emb, motion_emb, rng=rng, labels=ids)
    row["matching_score"] = metrics.matching_score(text_emb, motion_emb)
    halves = rng.permutation(len(motion_emb))
    mid = len(motion_emb) // 2
    row["fid_halves"] = metrics.frechet_distance(motion_emb[halves[:mid]], motion_emb[halves[mid:]])
    row["diversity"] = metrics.diversity(motion_emb, rng=rng)
    return row


def evaluate_split(
    model: RetrievalEvaluator,
    dataset: MotionDataset,
    split: str = "test",
    *,
    heldout: bool = False,
    mirrored: bool | None = None,
    repeats: int = 10,
    seed: int = 0,
    text_encoder: FrozenTextEncoder | None = None,
) -> dict:
    """Retrieval metrics of the real motions of ``split`` (the reference a generator is
    compared with): each repeat draws one caption per record (train phrasings, or held-out
    ones with ``heldout``) and shuffles the pairs into batches of 32.

    Motions longer than ``max_frames`` are centre-cropped. ``mirrored`` selects records as
    :meth:`MotionDataset.indices` does (None = originals and mirrored copies).

    Returns:
        A dict with, as ``[mean, ci95]``: ``r_precision`` (R@1..3), ``label_r_precision`` (a
        hit is any retrieved motion of the text's (content, style) label),
        ``content_r_precision`` (any motion of the same content), ``matching_score``
        (MM-Dist), ``fid_halves`` (FID between two random halves of the motions) and
        ``diversity``; plus ``records``.

    Raises:
        ValueError: the split has fewer than 64 records.
    """
    pool = dataset.indices(split, mirrored=mirrored)
    if len(pool) < 64:
        raise ValueError(f"split {split!r} has only {len(pool)} records; need at least 64")
    motion_emb = embed_motions(model, [dataset.clip_features(i) for i in pool])
    recs = [dataset.records[i] for i in pool]
    group_ids = {
        "label_r_precision": label_ids([label_key(r.content, r.style) for r in recs]),
        "content_r_precision": label_ids([r.content for r in recs]),
    }
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {k: [] for k in SPLIT_METRICS}
    for _ in range(repeats):
        texts = [dataset.caption(i, rng, heldout=heldout) for i in pool]
        text_emb = embed_texts(model, texts, text_encoder=text_encoder)
        for name, value in _split_repeat(text_emb, motion_emb, group_ids, rng).items():
            rows[name].append(value)
    out: dict = {"records": len(pool), "split": split, "heldout": heldout, "repeats": repeats}
    for name, values in rows.items():
        mean, ci = metrics.mean_and_ci95(values)
        out[name] = [np.round(mean, 4).tolist(), np.round(ci, 4).tolist()]
    return out


__all__ = ["SPLIT_METRICS", "evaluate_split", "label_ids", "label_key"]
