"""The Bandai Namco motion-capture dataset as training data: :func:`build_dataset`.

``build_dataset`` reads every clip once (in parallel), turns it and its left/right mirror into
features (:mod:`molingo_ros.motion.features`), assigns every take to one split
(:mod:`molingo_ros.motion.splits`), computes the normalisation on the training split and writes
an on-disk cache (:mod:`molingo_ros.motion.dataset_cache`); later calls load the cache in
seconds. The result is a :class:`~molingo_ros.motion.motion_dataset.MotionDataset`.

The data (CC BY-NC 4.0) is read from ``DatasetConfig.root``: never copied into the project.
"""

from __future__ import annotations

import time

import numpy as np

from molingo_ros.motion import captions
from molingo_ros.motion.bandai_files import SourceClip, find_clips
from molingo_ros.motion.bvh import BvhError
from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.dataset_cache import cache_folder, is_complete, load_dataset, save_dataset
from molingo_ros.motion.dataset_config import DatasetConfig, read_in_workers
from molingo_ros.motion.features import canonicalize, feature_dim, motion_to_features
from molingo_ros.motion.layout_dataset import build_layout_dataset, is_layout_folder
from molingo_ros.motion.mirror import fit_local_mirrors, mirror_motion
from molingo_ros.motion.motion_dataset import ClipRecord, MotionDataset, Normalizer
from molingo_ros.motion.splits import assign_splits, take_of

MIRROR_REFERENCE_CLIP = "dataset-2_walk_normal_001"
"""A near-symmetric clip used to fit the rig's local mirror frames (see mirror.py)."""

_ClipResult = tuple[np.ndarray | None, np.ndarray | None, str | None]


def build_dataset(
    config: DatasetConfig | None = None, *, rebuild: bool = False, progress: bool = True
) -> MotionDataset:
    """Build (or load from the cache) the dataset described by ``config``.

    Args:
        config: the data folder, cache folder, split shares, seed, mirroring and workers;
            :class:`DatasetConfig` defaults if ``None``. A ``root`` that is a HumanML3D /
            KIT-ML layout folder is read by
            :func:`~molingo_ros.motion.layout_dataset.build_layout_dataset` instead.
        rebuild: build even if a complete cache exists, and replace it.
        progress: show a progress bar while reading clips.

    Returns:
        The dataset, loaded from its cache folder (features memory-mapped).

    Raises:
        FileNotFoundError: ``config.root`` is missing or holds no sub-dataset folder.
    """
    config = config or DatasetConfig()
    if is_layout_folder(config.root):
        return build_layout_dataset(config, rebuild=rebuild, progress=progress)
    clips, problems = find_clips(config.root)
    folder = cache_folder(clips, config)
    if not rebuild and is_complete(folder):
        return load_dataset(folder, config)

    started = time.perf_counter()
    unreadable = list(problems) + [(c.name, "BVH file missing") for c in clips if c.path is None]
    readable = [c for c in clips if c.path is not None]
    local_mirrors = _fit_rig_mirrors(readable)
    splits = assign_splits(readable, config.split_fractions, config.seed)
    jobs = [(str(c.path), local_mirrors if config.mirror else None) for c in readable]
    results = read_in_workers(_clip_features, jobs, config.workers, progress)
    records, features = _collect_records(readable, results, splits, unreadable)
    dataset = MotionDataset(
        config,
        records,
        features,
        Normalizer.fit(features, records),
        sorted(unreadable),
        local_mirrors,
        time.perf_counter() - started,
    )
    save_dataset(dataset, folder, replace=rebuild)
    return load_dataset(folder, config)


def _fit_rig_mirrors(readable: list[SourceClip]) -> np.ndarray:
    """(J, 3, 3) local mirror frames of the rig, fitted on :data:`MIRROR_REFERENCE_CLIP` (or
    the first walk, or the first clip)."""
    reference = next((c for c in readable if c.name == MIRROR_REFERENCE_CLIP), None)
    reference = reference or next((c for c in readable if c.content == "walk"), readable[0])
    return fit_local_mirrors(load_motion(reference.path))


def _clip_features(args: tuple[str, np.ndarray | None]) -> _ClipResult:
    """Worker: (features, mirrored features, error) of one BVH file; the mirrored features
    only when local mirror frames are given."""
    path, local_mirrors = args
    try:
        motion = load_motion(path)
        if motion.num_frames < 2:
            return None, None, f"only {motion.num_frames} frame(s)"
        canon, _, _ = canonicalize(motion)
        feats = motion_to_features(canon).astype(np.float32)
        mirrored = None
        if local_mirrors is not None:
            mirror, _, _ = canonicalize(mirror_motion(motion, local_mirrors))
            mirrored = motion_to_features(mirror).astype(np.float32)
        return feats, mirrored, None
    except (BvhError, ValueError, KeyError, OSError) as exc:
        return None, None, str(exc)


def _collect_records(
    readable: list[SourceClip],
    results: list[_ClipResult],
    splits: dict[str, str],
    unreadable: list[tuple[str, str]],
) -> tuple[list[ClipRecord], np.ndarray]:
    """One record per clip and per mirrored copy (sided content label swapped), and all their
    features concatenated in record order; clips whose reading failed go to ``unreadable``."""
    records: list[ClipRecord] = []
    chunks: list[np.ndarray] = []
    start = 0
    for clip, (feats, mirrored, error) in zip(readable, results, strict=True):
        if error is not None:
            unreadable.append((clip.name, error))
            continue
        take = take_of(clip.name)
        variants = [(feats, False, clip.content, clip.style)]
        if mirrored is not None:
            variants.append((mirrored, True, captions.mirror_label(clip.content), clip.style))
        for array, is_mirror, content, style in variants:
            records.append(
                ClipRecord(
                    clip.name,
                    clip.dataset,
                    content,
                    style,
                    take,
                    splits[take],
                    is_mirror,
                    start,
                    len(array),
                )
            )
            chunks.append(array)
            start += len(array)
    features = np.concatenate(chunks) if chunks else np.zeros((0, feature_dim(21)), np.float32)
    return records, features
