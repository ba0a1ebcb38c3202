"""What every training run shares: the settings of a run (seed, device, threads, output
folder, log and checkpoint periods), its start (seed, threads, device, the folder with the
run's config as JSON), resuming from ``last.pt``, the learning-rate schedule and the CSV log
with its loss plot."""

from __future__ import annotations

import csv
import json
import math
import random
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from molingo_ros.model.device import resolve_device
from molingo_ros.model.training.distributed import Parallel
from molingo_ros.settings import setting

RESUME_FILE = "last.pt"
"""The checkpoint in a run's folder that a run resumes from (model, optimiser, step)."""


def seed_setting() -> Any:
    """The ``seed`` field of a training config."""
    return setting(0, "seed of every random draw (data, initialisation)")


def device_setting() -> Any:
    """The ``device`` field of a training config."""
    return setting("auto", "torch device: auto (CUDA when there is one, else cpu), cpu, cuda:N")


def threads_setting() -> Any:
    """The ``threads`` field of a training config."""
    return setting(0, "torch CPU threads (0 = torch's default)", range=(0, 1024))


def log_every_setting() -> Any:
    """The ``log_every`` field of a training config."""
    return setting(50, "steps between rows of log.csv", range=(1, 1_000_000))


def checkpoint_every_setting() -> Any:
    """The ``checkpoint_every`` field of a training config."""
    return setting(
        500, "steps between checkpoints (last.pt and the model file)", range=(1, 1_000_000)
    )


def out_setting(default: Path) -> Any:
    """The ``out`` field of a training config: the run's folder."""
    return setting(default, "run folder: config.json, last.pt, log.csv, loss.png, the model")


class RunConfig(Protocol):
    """The fields :func:`start_run` reads from a training config."""

    seed: int
    threads: int
    device: str
    out: Path


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators."""
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
    """A config dataclass (nested ones and paths included) as one JSON object."""

    def default(o: Any) -> Any:
        if is_dataclass(o):
            return asdict(o)
        if isinstance(o, Path):
            return str(o)
        raise TypeError(type(o))

    return json.dumps(asdict(config) if is_dataclass(config) else config, default=default)


def start_run(cfg: RunConfig, world: Parallel | None = None) -> tuple[torch.device, Path]:
    """Seed everything, set the CPU threads, pick the device and create the run folder with
    the run's ``config.json``. Returns (device, run folder). In a run of several processes
    (``world``) the device is the process's own and only rank 0 writes."""
    seed_everything(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = resolve_device(cfg.device) if world is None else world.device
    out = Path(cfg.out)
    if world is None or world.main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(config_to_json(cfg))
    return device, out


def resume(
    out: Path, device: torch.device, model: torch.nn.Module, opt: torch.optim.Optimizer
) -> dict[str, Any] | None:
    """Load ``out/last.pt`` into ``model`` and ``opt`` when there is one; returns its whole
    state (``step`` and what the run stored besides), or None for a fresh run."""
    last = Path(out) / RESUME_FILE
    if not last.exists():
        return None
    state = torch.load(last, map_location=device, weights_only=True)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    return state


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
        """Append a row (``step`` and ``values``) to the file; the first row writes the header."""
        row = {"step": float(step), **{k: float(v) for k, v in values.items()}}
        new_file = not self.path.exists()
        self.rows.append(row)
        with self.path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            if new_file:
                writer.writeheader()
            writer.writerow(row)

    def plot(self, out: Path) -> Path:
        """One log-scale panel per logged loss (not step, lr, seconds) against the step."""
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
