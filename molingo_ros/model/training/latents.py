"""The generator's training data in latent space: the SAE of an SAE file or model bundle
(:func:`load_sae`), every training sequence encoded to latent tokens
(:func:`training_sequences`), and latent packs (:func:`export_pack`): those tokens with their
captions in one npz (a few MB), so that a machine without the dataset (a lent GPU machine)
can train the generator."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from molingo_ros.model.bundle import MODEL_KIND
from molingo_ros.model.checkpoint import load_state_strict, load_weights, read_safetensors
from molingo_ros.model.device import resolve_device
from molingo_ros.model.sae import MotionAutoencoder, SAEConfig
from molingo_ros.model.training.data import (
    CaptionBank,
    Sequence,
    clip_sequences,
    composed_sequences,
)
from molingo_ros.model.training.generator_config import GeneratorTrainConfig
from molingo_ros.model.training.sae import SAE_KIND
from molingo_ros.motion.dataset import build_dataset


@dataclass
class TokenSequence:
    """One training sequence as latent tokens (one per 4 frames)."""

    latents: np.ndarray  # (N, d) normalised
    labels: np.ndarray  # (N,) caption index of each token
    seams: list[int]  # token index where a new segment starts


def load_sae(path: Path, device: torch.device) -> tuple[MotionAutoencoder, dict]:
    """The SAE of an SAE file (train_sae) or of a model bundle (its ``sae.*`` weights, e.g.
    with a fine-tuned decoder), and its tensors (``normalizer.mean``/``std`` included)."""
    tensors, meta = read_safetensors(path)
    if meta.get("kind") == MODEL_KIND:
        tensors = {
            **{k[len("sae.") :]: v for k, v in tensors.items() if k.startswith("sae.")},
            "normalizer.mean": tensors["feature_mean"],
            "normalizer.std": tensors["feature_std"],
        }
    else:
        tensors, meta = load_weights(path, SAE_KIND)
    cfg = SAEConfig(**json.loads(meta["sae_config"]))
    model = MotionAutoencoder(cfg)
    state = {k: v for k, v in tensors.items() if not k.startswith("normalizer.")}
    load_state_strict(model, state, path)
    return model.to(device).eval(), tensors


def encoder_fingerprint(sae: MotionAutoencoder) -> str:
    """A short hash of the SAE encoder's weights: a pack's latents are only valid for it."""
    h = hashlib.sha256()
    for name, value in sorted(sae.state_dict().items()):
        if name.startswith("encoder"):
            h.update(name.encode())
            h.update(value.detach().cpu().float().numpy().tobytes())
    return h.hexdigest()[:16]


@torch.no_grad()
def encode_sequences(
    sae: MotionAutoencoder, seqs: list[Sequence], device: torch.device
) -> list[TokenSequence]:
    """Posterior means of every sequence (frames cut to a multiple of 4)."""
    step = sae.config.frames_per_token
    out = []
    for s in seqs:
        n = len(s.features) // step
        if n < 2:
            continue
        x = torch.from_numpy(s.features[: n * step])[None].to(device)
        mean, _ = sae.encode(x)
        labels = s.labels[step - 1 : n * step : step]
        seams = sorted({(f + step - 1) // step for f in s.seams if 0 < (f + step - 1) // step < n})
        out.append(TokenSequence(mean[0].cpu().numpy(), labels, seams))
    return out


def _flatten(seqs: list[TokenSequence], prefix: str) -> dict[str, np.ndarray]:
    """The arrays of a pack holding ``seqs`` under ``prefix``: latents (float16), labels,
    seams and the offsets of each sequence in them."""
    offsets = np.cumsum([0] + [len(q.latents) for q in seqs])
    seam_offsets = np.cumsum([0] + [len(q.seams) for q in seqs])
    return {
        # float16: half the bytes for a relative error of 5e-4, far below the flow's own
        # error; the pack has to travel to machines with a 64 MiB transfer limit.
        f"{prefix}_latents": np.concatenate([q.latents for q in seqs]).astype(np.float16),
        f"{prefix}_labels": np.concatenate([q.labels for q in seqs]).astype(np.int32),
        f"{prefix}_offsets": offsets.astype(np.int64),
        f"{prefix}_seams": np.asarray([x for q in seqs for x in q.seams], dtype=np.int64),
        f"{prefix}_seam_offsets": seam_offsets.astype(np.int64),
    }


def _unflatten(data: Any, prefix: str) -> list[TokenSequence]:
    """The sequences stored under ``prefix`` by :func:`_flatten` (latents as float32)."""
    lat = data[f"{prefix}_latents"].astype(np.float32)
    lab = data[f"{prefix}_labels"].astype(np.int64)
    off, seams, soff = (
        data[f"{prefix}_offsets"],
        data[f"{prefix}_seams"],
        data[f"{prefix}_seam_offsets"],
    )
    return [
        TokenSequence(
            lat[off[i] : off[i + 1]].copy(),
            lab[off[i] : off[i + 1]].copy(),
            [int(x) for x in seams[soff[i] : soff[i + 1]]],
        )
        for i in range(len(off) - 1)
    ]


def _data_settings(cfg: GeneratorTrainConfig) -> str:
    """The data settings a pack was made with, as stored in it."""
    return json.dumps(asdict(cfg.data), sort_keys=True)


def _read_pack(
    cfg: GeneratorTrainConfig, sae: MotionAutoencoder
) -> tuple[list[str], list[TokenSequence], list[TokenSequence]]:
    """Captions, clip and composed sequences of the pack ``cfg.pack``, checked against the
    SAE's encoder and the run's data settings."""
    path = Path(cfg.pack)
    if not path.exists():
        raise FileNotFoundError(f"latent pack {path} does not exist (make it with --export-pack)")
    with np.load(path, allow_pickle=False) as data:
        if str(data["encoder"]) != encoder_fingerprint(sae):
            raise ValueError(
                f"{path} was made with another SAE encoder than {cfg.sae}; export the pack "
                "again with this --sae"
            )
        made_with = str(data["data_config"])
        if made_with != _data_settings(cfg):
            raise ValueError(
                f"{path} was made with the data settings {made_with}, not this run's "
                f"{_data_settings(cfg)}; export the pack again"
            )
        captions = [str(c) for c in data["captions"]]
        return captions, _unflatten(data, "clip"), _unflatten(data, "composed")


def training_sequences(
    cfg: GeneratorTrainConfig, sae: MotionAutoencoder, device: torch.device, progress: bool
) -> tuple[list[str], list[TokenSequence], list[TokenSequence]]:
    """Captions, one-clip sequences and multi-segment sequences (raw latents), from the
    dataset or, with ``cfg.pack``, from a pack (checked against the SAE's encoder).

    Raises:
        FileNotFoundError: no pack at ``cfg.pack``.
        ValueError: the pack was made with another SAE encoder or other data settings.
    """
    if cfg.pack is not None:
        return _read_pack(cfg, sae)
    dataset = build_dataset(progress=progress)
    bank = CaptionBank(dataset, "train", cfg.data)
    rng0 = np.random.default_rng(cfg.seed)
    seqs = encode_sequences(sae, clip_sequences(dataset, "train", bank, rng0), device)
    composed = encode_sequences(
        sae, composed_sequences(dataset, "train", bank, cfg.data, progress), device
    )
    return bank.captions, seqs, composed


def export_pack(cfg: GeneratorTrainConfig, path: Path, progress: bool = True) -> Path:
    """Write the training sequences' latents, captions and the encoder's fingerprint to
    ``path`` (npz, no pickles): all that :func:`~.generator.train_generator` needs besides
    the SAE file and the text encoder."""
    device = resolve_device(cfg.device)
    sae, _ = load_sae(Path(cfg.sae), device)
    captions, seqs, composed = training_sequences(replace(cfg, pack=None), sae, device, progress)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        captions=np.asarray(captions),
        encoder=np.asarray(encoder_fingerprint(sae)),
        data_config=np.asarray(_data_settings(cfg)),
        **_flatten(seqs, "clip"),
        **_flatten(composed, "composed"),
    )
    return path


__all__ = [
    "TokenSequence",
    "encode_sequences",
    "encoder_fingerprint",
    "export_pack",
    "load_sae",
    "training_sequences",
]
