"""Embedding with a trained retrieval evaluator: raw motions (:func:`embed_motions`) and
captions (:func:`embed_texts`) to unit vectors of its space, batched; the frozen text encoder
it reads captions with (:func:`frozen_text_encoder`, loaded once per process)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from molingo_ros.model.evaluation.evaluator import EvaluatorConfig, RetrievalEvaluator
from molingo_ros.model.text import FrozenTextEncoder, TextEncoderConfig

_FROZEN: dict[tuple[str, int], FrozenTextEncoder] = {}


def frozen_text_encoder(config: EvaluatorConfig) -> FrozenTextEncoder:
    """The (shared, CPU) frozen text encoder of ``config``, loaded once per process.

    Raises:
        ValueError: the text model's token size is not the config's ``text_dim``.
    """
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


def pad_motions(
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


@torch.no_grad()
def embed_motions(
    model: RetrievalEvaluator, feats_list: Sequence[np.ndarray], batch: int = 64
) -> np.ndarray:
    """(N, dim) float32 unit embeddings of raw (not normalised) motions, each (T_i, D) at
    30 fps; motions longer than ``max_frames`` are centre-cropped.

    Raises:
        ValueError: a motion that is not (T >= 1, feature_dim) features.
    """
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
        feats, mask = pad_motions([clips[i] for i in sel], config.feature_dim)
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
    """(N, dim) float32 unit embeddings of captions (the frozen encoder caches per text).

    Raises:
        TypeError: ``texts`` is one string instead of a list of them.
    """
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


__all__ = ["centre_crop", "embed_motions", "embed_texts", "frozen_text_encoder", "pad_motions"]
