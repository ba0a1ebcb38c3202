"""Where the model runs: ``auto`` (CUDA when there is one, else the CPU) or a named torch
device, checked so that a wrong name fails with the valid ones."""

from __future__ import annotations

import torch


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; otherwise the named device (the error lists
    the valid values).

    Raises:
        ValueError: an unknown device name, or ``cuda...`` on a machine without CUDA.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for but CUDA is not available; use auto or cpu")
    try:
        return torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {device!r}; valid: auto, cpu, cuda, cuda:N") from exc


__all__ = ["resolve_device"]
