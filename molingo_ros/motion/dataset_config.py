"""How the Bandai Namco training dataset is built: data folder, cache folder, splits, mirroring."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from molingo_ros.motion.bandai_files import default_data_root

_REPO_ROOT = Path(__file__).resolve().parents[2]


def default_cache_dir() -> Path:
    """``$MOLINGO_CACHE_DIR`` or ``<repo>/.cache``."""
    env = os.environ.get("MOLINGO_CACHE_DIR")
    return Path(env) if env else _REPO_ROOT / ".cache"


@dataclass
class DatasetConfig:
    """How the dataset is built.

    Attributes:
        root: the dataset folder (holding ``Bandai-Namco-Research-Motiondataset-{1,2}``).
        cache_dir: where the built features and index are kept.
        split_fractions: train/val/test shares of the takes of each (content, style) pair.
        seed: seed of the split and of the composed sequences.
        mirror: also add every clip mirrored left/right (labels and captions swapped).
        workers: processes reading clips (1 = in this process).
        blend_frames: frames of cross-fade between segments of a composed sequence (30 fps).
        segments: (min, max) number of clips in a composed sequence.
    """

    root: Path = field(default_factory=default_data_root)
    cache_dir: Path = field(default_factory=default_cache_dir)
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 0
    mirror: bool = True
    workers: int = max(1, min(4, os.cpu_count() or 1))
    blend_frames: int = 10
    segments: tuple[int, int] = (2, 3)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.cache_dir = Path(self.cache_dir)
        if abs(sum(self.split_fractions) - 1.0) > 1e-6 or min(self.split_fractions) < 0:
            raise ValueError(
                f"split_fractions must be 3 shares summing to 1, got {self.split_fractions}"
            )


def read_in_workers(
    read: Callable[[Any], Any], jobs: Sequence[Any], workers: int, progress: bool
) -> list:
    """``read`` of every job, in order, in ``workers`` processes (1: in this one), with a
    "reading clips" progress bar: how both dataset builders read their clips."""
    bar = {"total": len(jobs), "desc": "reading clips", "disable": not progress}
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            return list(tqdm(pool.map(read, jobs, chunksize=8), **bar))
    return [read(job) for job in tqdm(jobs, **bar)]
