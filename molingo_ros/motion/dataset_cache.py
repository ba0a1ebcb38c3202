"""The on-disk cache of a built :class:`~molingo_ros.motion.motion_dataset.MotionDataset`.

One folder per build, ``<cache_dir>/bandai-<key>/``, named by :func:`cache_key` (the build
settings and the clip files' names, labels and sizes) and holding ``features.npy`` (float32,
loaded memory-mapped), ``index.npz`` (records, normalisation, mirror frames, unreadable clips;
for a dataset read from a layout folder also every record's captions and the rig; no pickled
objects) and ``config.json``. Layout folders name their caches themselves
(:mod:`molingo_ros.motion.layout_dataset`: ``<layout>-<key>``). A cache is written into a
private staging folder and renamed into place in one step, so concurrent builders never see a
half-made cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from molingo_ros.motion.bandai_files import SourceClip
from molingo_ros.motion.dataset_config import DatasetConfig
from molingo_ros.motion.motion_dataset import ClipRecord, MotionDataset, Normalizer
from molingo_ros.motion.rigs import BANDAI, RIGS

CACHE_VERSION = 1
"""Bump when the cached content changes meaning (features, splits, records)."""


def cache_key(clips: list[SourceClip], config: DatasetConfig) -> str:
    """16 hex digits naming the build of ``clips`` with ``config`` (cache version, splits, seed,
    mirroring, and every clip's name, labels and file size)."""
    h = hashlib.sha256()
    h.update(f"v{CACHE_VERSION}|{config.split_fractions}|{config.seed}|{config.mirror}".encode())
    for clip in clips:
        stat = clip.path.stat() if clip.path else None
        h.update(f"{clip.name}|{clip.content}|{clip.style}|{stat.st_size if stat else -1}".encode())
    return h.hexdigest()[:16]


def cache_folder(clips: list[SourceClip], config: DatasetConfig) -> Path:
    """``<config.cache_dir>/bandai-<cache_key>``: where this build is cached."""
    return config.cache_dir / f"bandai-{cache_key(clips, config)}"


def is_complete(folder: Path) -> bool:
    """``folder`` holds a finished cache (index and features)."""
    return (folder / "index.npz").exists() and (folder / "features.npy").exists()


def save_dataset(dataset: MotionDataset, folder: Path, *, replace: bool = False) -> None:
    """Write the cache into a private staging folder, then rename it to ``folder`` in one step,
    so concurrent builders (two training runs started together) never see or write a half-made
    cache. Without ``replace``, a complete cache another process finished first is kept."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{folder.name}.building-", dir=folder.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
        _write_files(dataset, staging)
        if folder.exists() and (replace or not is_complete(folder)):
            old = folder.with_name(f"{folder.name}.old-{os.getpid()}-{time.time_ns()}")
            folder.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        try:
            staging.rename(folder)
        except OSError:
            if not is_complete(folder):  # not another builder's finished cache: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_files(dataset: MotionDataset, staging: Path) -> None:
    """``features.npy``, ``index.npz`` and ``config.json`` of ``dataset`` in ``staging``."""
    with open(staging / "features.npy", "wb") as fh:
        np.save(fh, np.ascontiguousarray(dataset.features, dtype=np.float32))
    columns = {
        k: np.array([getattr(r, k) for r in dataset.records])
        for k in ClipRecord.__dataclass_fields__
    }
    extra = {}  # nothing for the Bandai dataset: its index is as it always was
    if dataset.texts is not None:
        extra["texts"] = np.array(["\n".join(t) for t in dataset.texts], dtype=str).reshape(-1)
    if dataset.feature_config.rig is not BANDAI:
        extra["rig"] = np.array(dataset.feature_config.rig.name)
    np.savez(
        staging / "index.npz",
        mean=dataset.normalizer.mean,
        std=dataset.normalizer.std,
        local_mirrors=dataset.local_mirrors,
        unreadable=np.array(["\t".join(u) for u in dataset.unreadable], dtype=str).reshape(-1),
        build_seconds=np.array(dataset.build_seconds),
        **{f"rec_{k}": v for k, v in columns.items()},
        **extra,
    )
    (staging / "config.json").write_text(
        json.dumps(
            {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(dataset.config).items()},
            indent=2,
        )
    )


def load_dataset(folder: Path, config: DatasetConfig) -> MotionDataset:
    """The dataset cached in ``folder`` (features memory-mapped, read-only), with ``config``."""
    with np.load(folder / "index.npz", allow_pickle=False) as stored:
        idx = {key: stored[key] for key in stored.files}  # each stored[key] re-reads the zip
    columns = [idx[f"rec_{name}"].tolist() for name in ClipRecord.__dataclass_fields__]
    records = [ClipRecord(*row) for row in zip(*columns, strict=True)]
    normalizer = Normalizer(idx["mean"], idx["std"])
    unreadable = [tuple(s.split("\t", 1)) for s in idx["unreadable"].tolist()]
    local_mirrors = idx["local_mirrors"]
    build_seconds = float(idx["build_seconds"])
    features = np.load(folder / "features.npy", mmap_mode="r")
    texts = [tuple(t.split("\n")) for t in idx["texts"].tolist()] if "texts" in idx else None
    rig = RIGS[str(idx["rig"])] if "rig" in idx else BANDAI
    return MotionDataset(
        config,
        records,
        features,
        normalizer,
        unreadable,
        local_mirrors,
        build_seconds,
        texts=texts,
        rig=rig,
    )
