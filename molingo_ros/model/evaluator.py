"""A TMR-style contrastive text–motion retrieval evaluator: the embedding space of the
text-to-motion metrics (FID, R-precision, MM-Dist, diversity; see :mod:`.metrics`).

Two encoders map a motion and a caption to unit vectors of the same space:

* :class:`MotionEncoder`: normalised features (T, 257) at 30 fps, grouped into patches of
  ``patch_frames`` frames (a linear map of each patch, learned positional embeddings), a
  transformer encoder, a masked mean pool and a linear head;
* :class:`TextEncoder`: the frozen MiniLM token embeddings of
  :class:`~molingo_ros.model.text.FrozenTextEncoder`, a linear map, a small transformer
  encoder, a masked mean pool and a linear head.

They are trained with a symmetric InfoNCE loss on the TRAIN split only; pairs of a batch with
the same (content, style) label (styles with identical phrasings, e.g. ``old``/``elderly``,
count as one) are not used as negatives. Training samples are random train clips (mirrored
copies included, with their mirrored captions), random crops of ``min_frames..max_frames``
frames and captions from a bounded, seeded set of at most ``captions_per_label`` train
phrasings per label (the frozen text encoder runs once per distinct caption).

Checkpoints are safetensors files (no pickle) with the config as JSON in the metadata:
:func:`save_evaluator` / :func:`load_evaluator`. ``python -m molingo_ros.model.evaluator``
trains one and evaluates it on a split.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from functools import cache
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from molingo_ros.model import metrics
from molingo_ros.model.text import FrozenTextEncoder, TextEncoderConfig
from molingo_ros.motion import captions
from molingo_ros.motion.dataset import MotionDataset, build_dataset
from molingo_ros.motion.features import feature_dim

__all__ = [
    "CHECKPOINT_FORMAT",
    "EvaluatorConfig",
    "MotionEncoder",
    "RetrievalEvaluator",
    "TextEncoder",
    "caption_bank",
    "contrastive_loss",
    "corrupt_motions",
    "default_weights_path",
    "embed_motions",
    "embed_texts",
    "evaluate_split",
    "label_key",
    "load_evaluator",
    "sample_batch",
    "save_evaluator",
    "train_evaluator",
]

CHECKPOINT_FORMAT = "molingo_ros.retrieval_evaluator"
CHECKPOINT_VERSION = "1"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def default_weights_path() -> Path:
    """``<repo>/molingo_ros/weights/evaluator.safetensors``."""
    return _REPO_ROOT / "molingo_ros" / "weights" / "evaluator.safetensors"


@dataclass
class EvaluatorConfig:
    """Architecture and training settings of the retrieval evaluator.

    Attributes:
        dim: width of both encoders and of the embedding.
        motion_layers: transformer layers of the motion encoder.
        text_layers: transformer layers of the text encoder.
        heads: attention heads.
        ff_mult: feed-forward width as a multiple of ``dim``.
        dropout: dropout in the transformer layers.
        patch_frames: consecutive frames merged into one motion token (5 frames = 0.17 s).
        max_frames: longest motion seen (frames at 30 fps; 196 = 6.5 s); longer motions are
            centre-cropped by :func:`embed_motions`.
        min_frames: shortest random training crop (frames; shorter clips are used whole).
        feature_dim: motion feature size (257 for the 21-joint Bandai rig).
        text_model: the frozen text encoder (``TextEncoderConfig.model``).
        text_dim: its token-embedding size (384 for MiniLM).
        max_tokens: tokens kept per caption.
        batch: training batch size (pairs).
        lr: AdamW peak learning rate.
        weight_decay: AdamW weight decay.
        warmup_steps: linear warm-up steps, then cosine decay to 5 % of ``lr``.
        steps: training steps.
        temperature: InfoNCE temperature.
        seed: seed of the caption set, the sampling and the initialisation.
        captions_per_label: train phrasings kept per (content, style) label.
        eval_every: steps between validation retrieval checks and checkpoint saves (0 = no
            validation, one save at the end).
        corrupt_negatives: fraction of each batch also added, corrupted
            (:func:`corrupt_motions`), as extra negatives of every caption, so that broken
            motion matches no text (0 = plain TMR-style training).
    """

    dim: int = 256
    motion_layers: int = 2
    text_layers: int = 1
    heads: int = 4
    ff_mult: int = 2
    dropout: float = 0.1
    patch_frames: int = 5
    max_frames: int = 196
    min_frames: int = 30
    feature_dim: int = feature_dim(21)
    text_model: str = "minilm"
    text_dim: int = 384
    max_tokens: int = 32
    batch: int = 64
    lr: float = 3e-4
    weight_decay: float = 0.01
    warmup_steps: int = 200
    steps: int = 3000
    temperature: float = 0.1
    seed: int = 0
    captions_per_label: int = 24
    eval_every: int = 500
    corrupt_negatives: float = 0.0

    def __post_init__(self) -> None:
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} must be a multiple of heads {self.heads}")
        if not 1 <= self.min_frames <= self.max_frames:
            raise ValueError(f"need 1 <= min_frames <= max_frames, got {self}")
        if self.patch_frames < 1 or self.captions_per_label < 1 or self.batch < 2:
            raise ValueError(f"patch_frames, captions_per_label >= 1 and batch >= 2: {self}")

    @property
    def max_tokens_motion(self) -> int:
        """Motion tokens of a ``max_frames`` motion."""
        return math.ceil(self.max_frames / self.patch_frames)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> EvaluatorConfig:
        values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError(f"config must be a JSON object, got {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown evaluator config fields {unknown}")
        return cls(**values)


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


def _encoder(config: EvaluatorConfig, layers: int) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(
        config.dim,
        config.heads,
        config.ff_mult * config.dim,
        config.dropout,
        activation="gelu",
        batch_first=True,
        norm_first=True,
    )
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


def _masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, L, D) mean over the True entries of ``mask`` (B, L)."""
    weights = mask.to(x.dtype)[..., None]
    return (x * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class MotionEncoder(nn.Module):
    """Normalised motion features (B, T, feature_dim) + frame mask (B, T) -> (B, dim) unit
    vectors. Frames are merged into patches of ``patch_frames`` (T is zero-padded to a
    multiple); a patch is real when any of its frames is. T may not exceed ``max_frames``."""

    def __init__(self, config: EvaluatorConfig):
        super().__init__()
        self.config = config
        self.proj = nn.Linear(config.patch_frames * config.feature_dim, config.dim)
        self.pos = nn.Parameter(torch.randn(config.max_tokens_motion, config.dim) * 0.02)
        self.encoder = _encoder(config, config.motion_layers)
        self.norm = nn.LayerNorm(config.dim)
        self.head = nn.Linear(config.dim, config.dim)

    def forward(self, feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, d = feats.shape
        p = self.config.patch_frames
        if t > self.config.max_frames:
            raise ValueError(f"motion of {t} frames is longer than max_frames")
        pad = (-t) % p
        if pad:
            feats = nn.functional.pad(feats, (0, 0, 0, pad))
            mask = nn.functional.pad(mask, (0, pad))
        n = (t + pad) // p
        x = self.proj((feats * mask[..., None]).reshape(b, n, p * d)) + self.pos[:n]
        token_mask = mask.reshape(b, n, p).any(-1)
        x = self.encoder(x, src_key_padding_mask=~token_mask)
        pooled = _masked_mean(self.norm(x), token_mask)
        return nn.functional.normalize(self.head(pooled), dim=-1)


class TextEncoder(nn.Module):
    """Frozen token embeddings (B, L, text_dim) + token mask (B, L) -> (B, dim) unit vectors."""

    def __init__(self, config: EvaluatorConfig):
        super().__init__()
        self.proj = nn.Linear(config.text_dim, config.dim)
        self.encoder = _encoder(config, config.text_layers) if config.text_layers else None
        self.norm = nn.LayerNorm(config.dim)
        self.head = nn.Linear(config.dim, config.dim)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.proj(tokens)
        if self.encoder is not None:
            x = self.encoder(x, src_key_padding_mask=~mask)
        pooled = _masked_mean(self.norm(x), mask)
        return nn.functional.normalize(self.head(pooled), dim=-1)


class RetrievalEvaluator(nn.Module):
    """Both encoders plus the feature normalisation (``mean``/``std`` buffers, so raw features
    go in)."""

    def __init__(
        self,
        config: EvaluatorConfig,
        mean: np.ndarray | None = None,
        std: np.ndarray | None = None,
    ):
        super().__init__()
        self.config = config
        self.train_info: dict = {}
        self.motion = MotionEncoder(config)
        self.text = TextEncoder(config)
        d = config.feature_dim
        self.register_buffer(
            "mean", torch.zeros(d) if mean is None else torch.as_tensor(mean, dtype=torch.float32)
        )
        self.register_buffer(
            "std", torch.ones(d) if std is None else torch.as_tensor(std, dtype=torch.float32)
        )
        if self.mean.shape != (d,) or self.std.shape != (d,):
            raise ValueError(f"normalizer mean/std must have shape ({d},)")

    @property
    def device(self) -> torch.device:
        return self.mean.device

    def encode_motion(self, raw: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Raw (not normalised) features (B, T, D) and frame mask (B, T) -> (B, dim)."""
        return self.motion((raw - self.mean) / self.std, mask)

    def encode_text(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Frozen token embeddings (B, L, text_dim) and mask (B, L) -> (B, dim)."""
        return self.text(tokens, mask)


# --------------------------------------------------------------------------------------------
# Labels, captions, batches, loss
# --------------------------------------------------------------------------------------------


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


def caption_bank(
    labels: Sequence[tuple[str, str]], per_label: int, seed: int
) -> dict[tuple[str, str], list[str]]:
    """For every label, at most ``per_label`` of its train captions, chosen with a generator
    seeded by ``seed`` and the (alias-merged) label, so aliased labels get the same captions."""
    bank: dict[tuple[str, str], list[str]] = {}
    for content, style in sorted(set(labels)):
        key = label_key(content, style)
        pool = captions.captions_for(*key, split="train")
        rng = np.random.default_rng([seed, zlib.crc32("|".join(key).encode())])
        chosen = rng.choice(len(pool), size=min(per_label, len(pool)), replace=False)
        bank[(content, style)] = [pool[int(i)] for i in sorted(chosen)]
    return bank


def _pad_motions(
    clips: Sequence[np.ndarray], feature_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-padded (B, T, D) float32 tensor and (B, T) mask of a list of (T_i, D) arrays."""
    length = max(len(c) for c in clips)
    out = np.zeros((len(clips), length, feature_size), np.float32)
    mask = np.zeros((len(clips), length), bool)
    for i, c in enumerate(clips):
        out[i, : len(c)] = c
        mask[i, : len(c)] = True
    return torch.from_numpy(out), torch.from_numpy(mask)


def sample_batch(
    dataset: MotionDataset,
    pool: Sequence[int],
    bank: dict[tuple[str, str], list[str]],
    config: EvaluatorConfig,
    rng: np.random.Generator,
    batch: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, list[str], torch.Tensor]:
    """A training batch: random records of ``pool`` (uniform), a random crop of each and a
    random caption of its label from ``bank``. The crop length is drawn once per batch from
    ``min_frames..max_frames`` (clips shorter than it are used whole), which keeps the padding,
    and so the CPU time, low.

    Returns:
        ``(raw features (B, T, D), frame mask (B, T), captions, label ids (B,))``; equal label
        ids mark pairs that must not be negatives of each other.
    """
    batch = batch or config.batch
    chosen = rng.choice(len(pool), size=batch, replace=len(pool) < batch)
    crop = int(rng.integers(config.min_frames, config.max_frames + 1))
    clips, texts, keys = [], [], []
    for c in chosen:
        index = int(pool[int(c)])
        rec = dataset.records[index]
        length = min(crop, rec.length)
        start = rec.start + int(rng.integers(rec.length - length + 1))
        clips.append(np.asarray(dataset.features[start : start + length]))
        options = bank[(rec.content, rec.style)]
        texts.append(options[int(rng.integers(len(options)))])
        keys.append(label_key(rec.content, rec.style))
    feats, mask = _pad_motions(clips, config.feature_dim)
    labels = torch.from_numpy(_ids(keys))
    return feats, mask, texts, labels


def contrastive_loss(
    text_emb: torch.Tensor,
    motion_emb: torch.Tensor,
    labels: torch.Tensor | None,
    temperature: float,
    extra_negatives: torch.Tensor | None = None,
) -> torch.Tensor:
    """Symmetric InfoNCE between matched rows of unit vectors (B, D); off-diagonal pairs with
    the same label are masked out (not negatives). ``extra_negatives`` (K, D) are motion
    embeddings that are negatives of every text (text-to-motion direction only)."""
    logits = text_emb @ motion_emb.T / temperature
    if labels is not None:
        labels = labels.to(logits.device)
        same = labels[:, None] == labels[None, :]
        same.fill_diagonal_(False)
        logits = logits.masked_fill(same, float("-inf"))
    target = torch.arange(len(logits), device=logits.device)
    text_logits = logits
    if extra_negatives is not None and len(extra_negatives):
        text_logits = torch.cat([logits, text_emb @ extra_negatives.T / temperature], dim=1)
    return 0.5 * (
        nn.functional.cross_entropy(text_logits, target)
        + nn.functional.cross_entropy(logits.T, target)
    )


CORRUPTIONS = ("jitter", "frozen", "reversed")


def corrupt_motions(
    feats: torch.Tensor, mask: torch.Tensor, std: torch.Tensor, rng: np.random.Generator
) -> torch.Tensor:
    """Broken copies of raw motions (B, T, D) with frame mask (B, T), one corruption each
    (cycling through :data:`CORRUPTIONS` from a random start):

    * ``jitter``: independent Gaussian noise on every frame and feature, of ``s`` times the
      feature's std with ``s`` log-uniform in [0.1, 1];
    * ``frozen``: one random frame of the clip held for its whole length;
    * ``reversed``: the frames in reverse order (velocities keep their sign, so the result is
      also physically inconsistent).
    """
    out = feats.clone()
    std = std.detach().cpu()
    offset = int(rng.integers(len(CORRUPTIONS)))
    for i in range(len(feats)):
        n = int(mask[i].sum())
        kind = CORRUPTIONS[(i + offset) % len(CORRUPTIONS)]
        if kind == "jitter":
            scale = float(np.exp(rng.uniform(np.log(0.1), 0.0)))
            noise = torch.from_numpy(rng.standard_normal((n, feats.shape[2])).astype(np.float32))
            out[i, :n] += scale * noise * std
        elif kind == "frozen":
            out[i, :n] = feats[i, int(rng.integers(n))]
        else:
            out[i, :n] = feats[i, :n].flip(0)
    return out


# --------------------------------------------------------------------------------------------
# Embedding
# --------------------------------------------------------------------------------------------

_FROZEN: dict[tuple[str, int], FrozenTextEncoder] = {}


def frozen_text_encoder(config: EvaluatorConfig) -> FrozenTextEncoder:
    """The (shared, CPU) frozen text encoder of ``config``, loaded once per process."""
    key = (config.text_model, config.max_tokens)
    if key not in _FROZEN:
        _FROZEN[key] = FrozenTextEncoder(
            TextEncoderConfig(model=config.text_model, max_tokens=config.max_tokens)
        )
    encoder = _FROZEN[key]
    if encoder.dim != config.text_dim:
        raise ValueError(
            f"text model {config.text_model!r} gives {encoder.dim}-d tokens, the "
            f"evaluator expects {config.text_dim}"
        )
    return encoder


def centre_crop(feats: np.ndarray, max_frames: int) -> np.ndarray:
    """The middle ``max_frames`` frames of a longer motion (the motion itself otherwise)."""
    if len(feats) <= max_frames:
        return feats
    start = (len(feats) - max_frames) // 2
    return feats[start : start + max_frames]


@torch.no_grad()
def embed_motions(
    model: RetrievalEvaluator, feats_list: Sequence[np.ndarray], batch: int = 64
) -> np.ndarray:
    """(N, dim) float32 unit embeddings of raw (not normalised) motions, each (T_i, D) at
    30 fps; motions longer than ``max_frames`` are centre-cropped."""
    config = model.config
    clips = []
    for i, f in enumerate(feats_list):
        f = np.asarray(f, dtype=np.float32)
        if f.ndim != 2 or f.shape[1] != config.feature_dim or len(f) < 1:
            raise ValueError(
                f"motion {i} must be (T >= 1, {config.feature_dim}) features, got {f.shape}"
            )
        clips.append(centre_crop(f, config.max_frames))
    was_training = model.training
    model.eval()
    order = np.argsort([len(c) for c in clips], kind="stable")  # similar lengths together
    out = np.zeros((len(clips), config.dim), np.float32)
    for start in range(0, len(order), batch):
        sel = order[start : start + batch]
        feats, mask = _pad_motions([clips[i] for i in sel], config.feature_dim)
        emb = model.encode_motion(feats.to(model.device), mask.to(model.device))
        out[sel] = emb.float().cpu().numpy()
    model.train(was_training)
    return out


@torch.no_grad()
def embed_texts(
    model: RetrievalEvaluator,
    texts: Sequence[str],
    batch: int = 256,
    text_encoder: FrozenTextEncoder | None = None,
) -> np.ndarray:
    """(N, dim) float32 unit embeddings of captions (the frozen encoder caches per text)."""
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not one string")
    text_encoder = text_encoder or frozen_text_encoder(model.config)
    was_training = model.training
    model.eval()
    out = np.zeros((len(texts), model.config.dim), np.float32)
    for start in range(0, len(texts), batch):
        tokens, mask = text_encoder.encode(list(texts[start : start + batch]))
        emb = model.encode_text(tokens.to(model.device), mask.to(model.device))
        out[start : start + len(emb)] = emb.float().cpu().numpy()
    model.train(was_training)
    return out


# --------------------------------------------------------------------------------------------
# Evaluation on a split
# --------------------------------------------------------------------------------------------


def _ids(keys: Sequence) -> np.ndarray:
    """Integer id per key (equal keys, equal ids)."""
    index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    return np.array([index[k] for k in keys])


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
    """
    pool = dataset.indices(split, mirrored=mirrored)
    if len(pool) < 64:
        raise ValueError(f"split {split!r} has only {len(pool)} records; need at least 64")
    motion_emb = embed_motions(model, [dataset.clip_features(i) for i in pool])
    recs = [dataset.records[i] for i in pool]
    label_ids = _ids([label_key(r.content, r.style) for r in recs])
    content_ids = _ids([r.content for r in recs])
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {
        k: []
        for k in (
            "r_precision",
            "label_r_precision",
            "content_r_precision",
            "matching_score",
            "fid_halves",
            "diversity",
        )
    }
    for _ in range(repeats):
        texts = [dataset.caption(i, rng, heldout=heldout) for i in pool]
        text_emb = embed_texts(model, texts, text_encoder=text_encoder)
        state = rng.bit_generator.state
        rows["r_precision"].append(metrics.r_precision(text_emb, motion_emb, rng=rng))
        for name, lab in (("label_r_precision", label_ids), ("content_r_precision", content_ids)):
            rng.bit_generator.state = state  # same batches as the plain R-precision
            rows[name].append(metrics.r_precision(text_emb, motion_emb, rng=rng, labels=lab))
        rows["matching_score"].append(metrics.matching_score(text_emb, motion_emb))
        halves = rng.permutation(len(pool))
        mid = len(pool) // 2
        rows["fid_halves"].append(
            metrics.frechet_distance(motion_emb[halves[:mid]], motion_emb[halves[mid:]])
        )
        rows["diversity"].append(metrics.diversity(motion_emb, rng=rng))
    out: dict = {"records": len(pool), "split": split, "heldout": heldout, "repeats": repeats}
    for name, values in rows.items():
        mean, ci = metrics.mean_and_ci95(values)
        out[name] = [np.round(mean, 4).tolist(), np.round(ci, 4).tolist()]
    return out


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def _lr_factor(step: int, config: EvaluatorConfig) -> float:
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    span = max(1, config.steps - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    return 0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * progress))


def train_steps(
    model: RetrievalEvaluator,
    dataset: MotionDataset,
    pool: Sequence[int],
    bank: dict[tuple[str, str], list[str]],
    optimizer: torch.optim.Optimizer,
    steps: int,
    rng: np.random.Generator,
    text_encoder: FrozenTextEncoder,
    start_step: int = 0,
    progress: tqdm | None = None,
) -> list[float]:
    """Run ``steps`` optimisation steps (learning-rate schedule from ``start_step``); returns
    the losses."""
    config = model.config
    model.train()
    losses = []
    for step in range(start_step, start_step + steps):
        for group in optimizer.param_groups:
            group["lr"] = config.lr * _lr_factor(step, config)
        feats, mask, texts, labels = sample_batch(dataset, pool, bank, config, rng)
        tokens, tmask = text_encoder.encode(texts)
        n_bad = int(round(config.corrupt_negatives * len(feats)))
        if n_bad:
            bad = corrupt_motions(feats[:n_bad], mask[:n_bad], model.std, rng)
            feats, mask = torch.cat([feats, bad]), torch.cat([mask, mask[:n_bad]])
        device = model.device
        motion_emb = model.encode_motion(feats.to(device), mask.to(device))
        text_emb = model.encode_text(tokens.to(device), tmask.to(device))
        b = len(texts)
        loss = contrastive_loss(
            text_emb, motion_emb[:b], labels, config.temperature, extra_negatives=motion_emb[b:]
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
        if progress is not None:
            progress.update(1)
            if step % 10 == 0:
                progress.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
    return losses


def _quick_val(
    model: RetrievalEvaluator, dataset: MotionDataset, text_encoder: FrozenTextEncoder
) -> dict:
    pool = dataset.indices("val")
    if len(pool) < 64:
        return {}
    result = evaluate_split(model, dataset, "val", repeats=1, text_encoder=text_encoder)
    return {
        "val_R@3": result["r_precision"][0][2],
        "val_label_R@3": result["label_r_precision"][0][2],
        "val_content_R@3": result["content_r_precision"][0][2],
    }


def train_evaluator(
    config: EvaluatorConfig | None = None,
    out_path: str | Path | None = None,
    progress: bool = True,
    *,
    dataset: MotionDataset | None = None,
    pool: Sequence[int] | None = None,
    device: str = "cpu",
    log: Callable[[str], None] | None = None,
) -> RetrievalEvaluator:
    """Train an evaluator on the train split (or on ``pool``, record indices of ``dataset``)
    and save it to ``out_path`` (if given, also after every validation check).

    Returns:
        The trained model (eval mode); ``model.train_info`` holds the losses per 50 steps,
        the validation checks and the training time (s).
    """
    config = config or EvaluatorConfig()
    log = log or tqdm.write  # keeps the progress bar intact
    dataset = dataset or build_dataset(progress=progress)
    pool = list(pool) if pool is not None else dataset.indices("train")
    if not pool:
        raise ValueError("no training records")
    if any(dataset.records[i].split != "train" for i in pool):
        raise ValueError("the evaluator trains on train-split records only")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model = RetrievalEvaluator(config, dataset.normalizer.mean, dataset.normalizer.std).to(device)
    text_encoder = frozen_text_encoder(config)
    labels = [(dataset.records[i].content, dataset.records[i].style) for i in pool]
    bank = caption_bank(labels, config.captions_per_label, config.seed)
    every_caption = sorted({c for caps in bank.values() for c in caps})
    started = time.perf_counter()
    log(
        f"encoding {len(every_caption)} train captions of {len(bank)} labels with the frozen "
        f"text encoder"
    )
    text_encoder.token_embeddings(every_caption)
    log(f"  {time.perf_counter() - started:.1f} s")
    params = sum(p.numel() for p in model.parameters())
    log(
        f"training {params / 1e6:.2f} M parameters on {len(pool)} records for {config.steps} "
        f"steps of {config.batch} (torch threads: {torch.get_num_threads()})"
    )
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    bar = tqdm(total=config.steps, desc="evaluator", disable=not progress, mininterval=5.0)
    train_start = time.perf_counter()
    info: dict = {"losses": [], "val": [], "captions": len(every_caption)}
    step = 0
    chunk = config.eval_every if config.eval_every > 0 else config.steps
    while step < config.steps:
        n = min(chunk, config.steps - step)
        losses = train_steps(model, dataset, pool, bank, optimizer, n, rng, text_encoder, step, bar)
        info["losses"] += [round(float(np.mean(losses[i : i + 50])), 4) for i in range(0, n, 50)]
        step += n
        val = _quick_val(model, dataset, text_encoder) if config.eval_every > 0 else {}
        elapsed = time.perf_counter() - train_start
        info["val"].append({"step": step, "seconds": round(elapsed, 1), **val})
        info["train_seconds"] = round(elapsed, 1)
        log(f"step {step}: loss {np.mean(losses[-50:]):.3f}, {elapsed:.0f} s, {val}")
        model.train_info = info
        if out_path is not None:
            save_evaluator(model, out_path)
    bar.close()
    model.eval()
    return model


# --------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------


def save_evaluator(model: RetrievalEvaluator, path: str | Path) -> Path:
    """Write the model as a safetensors file (atomically); metadata holds the format, version,
    config JSON and training summary."""
    from molingo_ros.model.training import save_weights

    tensors = dict(model.state_dict())
    info = model.train_info
    summary = {k: v for k, v in info.items() if k != "losses"}
    metadata = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "config": model.config.to_json(),
        "train_info": json.dumps(summary),
    }
    return save_weights(path, tensors, metadata)


def load_evaluator(path: str | Path, device: str | torch.device = "cpu") -> RetrievalEvaluator:
    """Load a checkpoint written by :func:`save_evaluator` (no pickle) in eval mode.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a readable safetensors file (e.g. truncated), is not an
            evaluator checkpoint, or its tensors do not match its config (names or shapes).
    """
    from molingo_ros.model.training import read_safetensors

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"evaluator checkpoint {path} does not exist")
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(
            f"{path} is not a retrieval evaluator checkpoint (metadata format "
            f"{metadata.get('format')!r}, expected {CHECKPOINT_FORMAT!r})"
        )
    if metadata.get("version") != CHECKPOINT_VERSION:
        raise ValueError(
            f"{path} has evaluator checkpoint version {metadata.get('version')!r}; this code "
            f"reads version {CHECKPOINT_VERSION}"
        )
    try:
        config = EvaluatorConfig.from_json(metadata.get("config", ""))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path} has an invalid evaluator config in its metadata: {exc}") from exc
    model = RetrievalEvaluator(config)
    expected = model.state_dict()
    problems = [f"missing {k}" for k in expected if k not in tensors]
    problems += [f"unexpected {k}" for k in tensors if k not in expected]
    problems += [
        f"{k} has shape {tuple(tensors[k].shape)}, the config needs {tuple(v.shape)}"
        for k, v in expected.items()
        if k in tensors and tensors[k].shape != v.shape
    ]
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; ... ({len(problems)} in all)" if len(problems) > 5 else ""
        )
        raise ValueError(f"{path} does not match its evaluator config: {shown}")
    model.load_state_dict(tensors)
    try:
        model.train_info = json.loads(metadata.get("train_info", "{}"))
    except json.JSONDecodeError:
        model.train_info = {}
    return model.to(device).eval()


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``python -m molingo_ros.model.evaluator {train,evaluate} ...``"""
    parser = argparse.ArgumentParser(prog="python -m molingo_ros.model.evaluator")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train the retrieval evaluator on the train split")
    train.add_argument("--out", type=Path, default=default_weights_path())
    train.add_argument("--steps", type=int, default=EvaluatorConfig.steps)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--corrupt-negatives",
        type=float,
        default=0.0,
        help="fraction of each batch added corrupted as extra negatives (see corrupt_motions)",
    )
    train.add_argument("--no-progress", action="store_true")
    evaluate = sub.add_parser("evaluate", help="retrieval metrics of the real motions of a split")
    evaluate.add_argument("--weights", type=Path, default=default_weights_path())
    evaluate.add_argument("--split", default="test")
    evaluate.add_argument("--heldout", action="store_true", help="held-out caption phrasings")
    evaluate.add_argument("--originals", action="store_true", help="leave out mirrored copies")
    evaluate.add_argument("--repeats", type=int, default=10)
    for p in (train, evaluate):
        p.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.command == "train":
        config = EvaluatorConfig(
            steps=args.steps, seed=args.seed, corrupt_negatives=args.corrupt_negatives
        )
        model = train_evaluator(config, args.out, progress=not args.no_progress)
        dataset = build_dataset(progress=False)
        result = evaluate_split(model, dataset, "test")
        print(json.dumps({"weights": str(args.out), "test": result}, indent=1))
    else:
        model = load_evaluator(args.weights)
        dataset = build_dataset(progress=False)
        result = evaluate_split(
            model,
            dataset,
            args.split,
            heldout=args.heldout,
            mirrored=False if args.originals else None,
            repeats=args.repeats,
        )
        print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
