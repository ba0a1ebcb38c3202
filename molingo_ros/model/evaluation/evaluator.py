"""A TMR-style contrastive text–motion retrieval evaluator: the embedding space of the
text-to-motion metrics (FID, R-precision, MM-Dist, diversity; see :mod:`.metrics`).

Two encoders map a motion and a caption to unit vectors of the same space:

* :class:`MotionEncoder`: normalised features (T, 257) at 30 fps, grouped into patches of
  ``patch_frames`` frames (a linear map of each patch, learned positional embeddings), a
  transformer encoder, a masked mean pool and a linear head;
* :class:`TextEncoder`: the frozen MiniLM token embeddings of
  :class:`~molingo_ros.model.text.FrozenTextEncoder`, a linear map, a small transformer
  encoder, a masked mean pool and a linear head.

They are trained (:mod:`molingo_ros.model.training.evaluator`) with a symmetric InfoNCE loss
on the TRAIN split only. Checkpoints are safetensors files (no pickle) with the config as
JSON in the metadata (:mod:`.evaluator_checkpoint`); :mod:`.embedding` embeds motions and
captions with a trained one.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from torch import nn

from molingo_ros.motion.features import feature_dim
from molingo_ros.settings import setting

__all__ = [
    "EvaluatorConfig",
    "MotionEncoder",
    "RetrievalEvaluator",
    "TextEncoder",
    "default_weights_path",
]


def default_weights_path() -> Path:
    """``<repo>/molingo_ros/weights/evaluator.safetensors``."""
    return Path(__file__).resolve().parents[2] / "weights" / "evaluator.safetensors"


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
            centre-cropped by :func:`~.embedding.embed_motions`.
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
            (:func:`~molingo_ros.model.training.evaluator.corrupt_motions`), as extra
            negatives of every caption, so that broken motion matches no text (0 = plain
            TMR-style training).
    """

    dim: int = setting(256, "width of both encoders and of the embedding", range=(8, 4096))
    motion_layers: int = setting(2, "transformer layers of the motion encoder", range=(1, 64))
    text_layers: int = setting(1, "transformer layers of the text encoder", range=(0, 64))
    heads: int = setting(4, "attention heads (dim must be a multiple)", range=(1, 64))
    ff_mult: int = setting(2, "feed-forward width as a multiple of dim", range=(1, 16))
    dropout: float = setting(0.1, "dropout in the transformer layers", range=(0.0, 1.0))
    patch_frames: int = setting(
        5, "consecutive frames merged into one motion token (5 = 0.17 s)", range=(1, 64)
    )
    max_frames: int = setting(
        196,
        "longest motion seen, frames at 30 fps (longer ones are centre-cropped)",
        range=(1, 100_000),
    )
    min_frames: int = setting(
        30,
        "shortest random training crop, frames (shorter clips are used whole)",
        range=(1, 100_000),
    )
    feature_dim: int = setting(
        feature_dim(21), "motion feature size (257 for the 21-joint Bandai rig)"
    )
    text_model: str = setting("minilm", "the frozen text encoder (TextEncoderConfig.model)")
    text_dim: int = setting(384, "token-embedding size of the text encoder (384 for MiniLM)")
    max_tokens: int = setting(32, "tokens kept per caption", range=(1, 512))
    batch: int = setting(64, "training pairs per step", range=(2, 65536))
    lr: float = setting(3e-4, "AdamW peak learning rate", range=(0.0, 1.0))
    weight_decay: float = setting(0.01, "AdamW weight decay")
    warmup_steps: int = setting(
        200, "steps of linear warm-up, then cosine decay to 5 % of lr", range=(0, 10**9)
    )
    steps: int = setting(3000, "training steps", range=(1, 10**9))
    temperature: float = setting(0.1, "InfoNCE temperature", range=(1e-4, 10.0))
    seed: int = setting(0, "seed of the caption set, the sampling and the initialisation")
    captions_per_label: int = setting(
        24, "train phrasings kept per (content, style) label", range=(1, 100_000)
    )
    eval_every: int = setting(
        500,
        "steps between validation checks and checkpoint saves (0 = one save at the end)",
        range=(0, 10**9),
    )
    corrupt_negatives: float = setting(
        0.0,
        "fraction of each batch added corrupted as extra negatives (see corrupt_motions)",
        range=(0.0, 1.0),
    )

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
        """The config as a JSON object (keys sorted): a checkpoint's ``config`` metadata."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> EvaluatorConfig:
        """The config of :meth:`to_json`'s text.

        Raises:
            ValueError: not a JSON object, an unknown field, or values the config refuses.
        """
        values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError(f"config must be a JSON object, got {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown evaluator config fields {unknown}")
        return cls(**values)


def _encoder(config: EvaluatorConfig, layers: int) -> nn.TransformerEncoder:
    """A pre-norm GELU transformer encoder of ``layers`` layers of ``config``'s width."""
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
        """Where the model's weights are."""
        return self.mean.device

    def encode_motion(self, raw: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Raw (not normalised) features (B, T, D) and frame mask (B, T) -> (B, dim)."""
        return self.motion((raw - self.mean) / self.std, mask)

    def encode_text(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Frozen token embeddings (B, L, text_dim) and mask (B, L) -> (B, dim)."""
        return self.text(tokens, mask)
