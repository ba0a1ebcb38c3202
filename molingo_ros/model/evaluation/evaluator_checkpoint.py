"""Files of the retrieval evaluator: safetensors (no pickle) with the format, its version,
the config as JSON and the training summary in the metadata."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from molingo_ros.model.checkpoint import read_safetensors, save_weights
from molingo_ros.model.evaluation.evaluator import EvaluatorConfig, RetrievalEvaluator

CHECKPOINT_FORMAT = "molingo_ros.retrieval_evaluator"
"""The ``format`` in an evaluator file's metadata."""
CHECKPOINT_VERSION = "1"
"""The ``version`` of the evaluator files this code writes and reads."""


def save_evaluator(model: RetrievalEvaluator, path: str | Path) -> Path:
    """Write the model as a safetensors file (atomically); metadata holds the format, version,
    config JSON and training summary (``model.train_info`` without the losses)."""
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


def _header_config(path: Path, metadata: dict[str, str]) -> EvaluatorConfig:
    """The config of an evaluator file, after checking its format and version."""
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
        return EvaluatorConfig.from_json(metadata.get("config", ""))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path} has an invalid evaluator config in its metadata: {exc}") from exc


def _mismatches(expected: dict[str, torch.Tensor], tensors: dict[str, torch.Tensor]) -> list[str]:
    """Missing, unexpected and wrongly shaped tensors of a file against a model's state."""
    problems = [f"missing {k}" for k in expected if k not in tensors]
    problems += [f"unexpected {k}" for k in tensors if k not in expected]
    problems += [
        f"{k} has shape {tuple(tensors[k].shape)}, the config needs {tuple(v.shape)}"
        for k, v in expected.items()
        if k in tensors and tensors[k].shape != v.shape
    ]
    return problems


def load_evaluator(path: str | Path, device: str | torch.device = "cpu") -> RetrievalEvaluator:
    """Load a checkpoint written by :func:`save_evaluator` (no pickle) in eval mode.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a readable safetensors file (e.g. truncated), is not an
            evaluator checkpoint, or its tensors do not match its config (names or shapes).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"evaluator checkpoint {path} does not exist")
    tensors, metadata = read_safetensors(path)
    model = RetrievalEvaluator(_header_config(path, metadata))
    problems = _mismatches(model.state_dict(), tensors)
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


__all__ = ["CHECKPOINT_FORMAT", "CHECKPOINT_VERSION", "load_evaluator", "save_evaluator"]
