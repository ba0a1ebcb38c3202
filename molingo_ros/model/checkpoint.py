"""Model files: safetensors written atomically with string metadata (the config as JSON),
read without executing pickled code, checked against the model they are loaded into."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file


class CheckpointError(ValueError):
    """A model file is missing, corrupt, truncated or does not match the model."""


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


__all__ = [
    "CheckpointError",
    "load_state_strict",
    "load_weights",
    "read_safetensors",
    "save_weights",
]
