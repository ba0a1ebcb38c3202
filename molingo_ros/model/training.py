"""Shared training plumbing: device choice, learning-rate schedule, checkpoints that resume,
CSV logs and loss plots, safetensors export with the config in the metadata."""

from __future__ import annotations

import csv
import json
import math
import os
import random
import tempfile
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file


class CheckpointError(ValueError):
    """A model file is missing, corrupt, truncated or does not match the model."""


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; otherwise the named device (the error lists
    the valid values)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for but CUDA is not available; use auto or cpu")
    try:
        return torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {device!r}; valid: auto, cpu, cuda, cuda:N") from exc


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def cosine_lr(step: int, total: int, warmup: int, base: float, floor: float = 0.1) -> float:
    """Linear warm-up then half-cosine decay to ``floor * base``."""
    if step < warmup:
        return base * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def config_to_json(config: Any) -> str:
    def default(o: Any) -> Any:
        if is_dataclass(o):
            return asdict(o)
        if isinstance(o, Path):
            return str(o)
        raise TypeError(type(o))

    return json.dumps(asdict(config) if is_dataclass(config) else config, default=default)


def save_weights(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> Path:
    """Write ``tensors`` (contiguous CPU copies) to a safetensors file, atomically: through a
    temporary file of its own in the same folder, so that two writers of one path never mix
    their bytes (the last rename wins) and a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        save_file(
            {k: v.detach().cpu().contiguous() for k, v in tensors.items()},
            str(tmp),
            metadata=metadata,
        )
        tmp.chmod(0o644)  # the file is created private; a model file is for sharing
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """(tensors on the CPU, metadata) of a safetensors file; no pickled code is executed.

    Raises:
        CheckpointError: missing file, or not a readable safetensors file (corrupt or
            truncated).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"model file {path} does not exist")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = dict(f.metadata() or {})
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors raises its own error types
        raise CheckpointError(
            f"{path} is not a readable safetensors file (corrupt or truncated?): {exc}"
        ) from exc
    return tensors, metadata


def load_weights(path: Path, kind: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read a safetensors file written by :func:`save_weights` for a model of ``kind``
    (metadata key ``kind``). No pickled code is executed.

    Raises:
        CheckpointError: missing file, not a safetensors file (corrupt or truncated), or
            another kind of model.
    """
    tensors, metadata = read_safetensors(path)
    if metadata.get("kind") != kind:
        raise CheckpointError(
            f"{path} holds a {metadata.get('kind', 'unknown')!r} model, expected {kind!r}"
        )
    return tensors, metadata


def load_state_strict(
    module: torch.nn.Module, tensors: dict[str, torch.Tensor], path: Path
) -> None:
    """``module.load_state_dict`` that reports missing/unexpected keys and shape mismatches
    as :class:`CheckpointError`."""
    own = module.state_dict()
    missing = sorted(set(own) - set(tensors))
    unexpected = sorted(set(tensors) - set(own))
    wrong = [
        f"{k}: file {tuple(tensors[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in tensors and tensors[k].shape != own[k].shape
    ]
    if missing or unexpected or wrong:
        raise CheckpointError(
            f"{path} does not match the model: missing {missing[:5]}, unexpected "
            f"{unexpected[:5]}, shape mismatches {wrong[:5]}"
        )
    module.load_state_dict(tensors)


class TrainLog:
    """CSV log of scalar losses per step, with a loss plot."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rows: list[dict[str, float]] = []
        if self.path.exists():
            with self.path.open() as f:
                self.rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]

    def add(self, step: int, values: dict[str, float]) -> None:
        row = {"step": float(step), **{k: float(v) for k, v in values.items()}}
        new_file = not self.path.exists()
        self.rows.append(row)
        with self.path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            if new_file:
                writer.writeheader()
            writer.writerow(row)

    def plot(self, out: Path) -> Path:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        skip = ("step", "lr", "seconds")
        keys = [k for k in (self.rows[0] if self.rows else {}) if k not in skip]
        fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(3.2 * max(1, len(keys)), 2.8))
        axes = np.atleast_1d(axes)
        steps = [r["step"] for r in self.rows]
        for ax, key in zip(axes, keys, strict=False):
            ax.plot(steps, [r.get(key, np.nan) for r in self.rows], lw=1)
            ax.set_title(key, fontsize=9)
            ax.set_yscale("log")
            ax.set_xlabel("step", fontsize=8)
        fig.tight_layout()
        fig.savefig(out, dpi=80)
        plt.close(fig)
        return Path(out)
