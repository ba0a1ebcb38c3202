"""A HumanML3D or KIT-ML layout folder as training data: :func:`build_layout_dataset`.

A researcher's copy of HumanML3D (or KIT-ML, or what ``molingo data export`` writes) becomes a
:class:`~molingo_ros.motion.motion_dataset.MotionDataset` like the Bandai Namco one, so the
trainers run on it unchanged (:func:`molingo_ros.motion.dataset.build_dataset` comes here when
``DatasetConfig.root`` is a layout folder):

* clips are read with :class:`~molingo_ros.motion.humanml3d.LayoutFolder` (``new_joints``, in
  the project frame on the ``smpl22`` / ``kit21`` rig), resampled to the project's 30 fps, given
  joint rotations from the positions (:func:`rotations_from_positions`) and turned into the
  project's own features (:func:`~molingo_ros.motion.features.motion_to_features` on the rig:
  heading from its hips and shoulders, contacts of its feet), not the folder's 263/251-d
  vectors;
* every caption line is kept: the whole-clip lines of a clip are one record with those captions;
  lines with a start/end make a record of their sub-clip (``<name>@<start>-<end>s``) with their
  captions;
* the splits are the folder's ``train/val/test.txt`` (clips in none of them are left out);
* with ``DatasetConfig.mirror``, every record is also mirrored left/right (positions reflected,
  mirror joints swapped, rotations recomputed; captions through
  :func:`~molingo_ros.motion.captions.mirror_caption`);
* records carry no labels (see :class:`~molingo_ros.motion.motion_dataset.ClipRecord`);
* the cache folder is ``<cache_dir>/<layout>-<key>`` (``humanml3d-...``, ``kit-...``), keyed by
  the folder's clip names, splits, file sizes and captions: it never meets a Bandai cache.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from molingo_ros.motion import captions
from molingo_ros.motion.dataset_cache import is_complete, load_dataset, save_dataset
from molingo_ros.motion.dataset_config import DatasetConfig, read_in_workers
from molingo_ros.motion.features import FeatureConfig, canonicalize, motion_to_features
from molingo_ros.motion.humanml3d import TO_WORLD, LayoutFolder, LayoutSpec, TextLine
from molingo_ros.motion.humanml3d_features import rotation_between
from molingo_ros.motion.mirror import mirror_indices
from molingo_ros.motion.motion import Motion
from molingo_ros.motion.motion_dataset import FPS, ClipRecord, MotionDataset, Normalizer
from molingo_ros.motion.rig_mapping import resample
from molingo_ros.motion.splits import SPLITS

LAYOUT_CACHE_VERSION = 1
"""Bump when a layout dataset's cached content changes meaning."""

MIRRORED_STYLE = "mirrored"
"""The ``style`` of a mirrored caption-only record (an original's is ``""``)."""

# (record name, captions, features, mirrored features or None, error or None)
_Segment = tuple[str, tuple[str, ...], np.ndarray | None, np.ndarray | None, str | None]


def is_layout_folder(root: str | Path) -> bool:
    """``root`` is a HumanML3D / KIT-ML layout folder (it has ``new_joints/``)."""
    return (Path(root) / "new_joints").is_dir()


def rest_directions(spec: LayoutSpec) -> np.ndarray:
    """(J, 3) unit rest direction of every joint from its parent, project frame (zero for the
    root): the layout's ``raw_offsets`` turned from the file frame."""
    raw = np.asarray(spec.skeleton.raw_offsets, dtype=np.float64) @ TO_WORLD.T
    norm = np.linalg.norm(raw, axis=-1, keepdims=True)
    return np.divide(raw, norm, out=np.zeros_like(raw), where=norm > 0)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _frame(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., 3, 3) orthonormal frame: first axis along ``a``, second towards ``b``."""
    x = _unit(a)
    y = _unit(b - np.sum(b * x, axis=-1, keepdims=True) * x)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def rotations_from_positions(
    positions: np.ndarray, parents: tuple[int, ...], rest: np.ndarray
) -> np.ndarray:
    """(T, J, 3, 3) global joint rotations of joint positions (T, J, 3), consistent with
    forward kinematics: each joint's rotation turns its children's rest offsets onto the
    bones. A joint with one child turns the bone from where its parent's rotation puts it
    (the shortest way: no twist); a joint with several children (pelvis, upper spine) is the
    frame of its upmost child's bone and its leftmost child's; a leaf keeps its parent's.
    Identity everywhere is the rest pose (bones along ``rest``); parents come before children."""
    num_frames, num_joints = positions.shape[:2]
    glob = np.empty((num_frames, num_joints, 3, 3))
    for j in range(num_joints):
        kids = [c for c in range(num_joints) if parents[c] == j]
        base = (
            glob[:, parents[j]] if parents[j] >= 0 else np.broadcast_to(np.eye(3), glob[:, j].shape)
        )
        if not kids:
            glob[:, j] = base
        elif len(kids) == 1:
            bone = _unit(positions[:, kids[0]] - positions[:, j])
            glob[:, j] = rotation_between(base @ rest[kids[0]], bone) @ base
        else:
            up = max(kids, key=lambda c: rest[c][2])
            left = max(kids, key=lambda c: rest[c][1])
            now = _frame(positions[:, up] - positions[:, j], positions[:, left] - positions[:, j])
            glob[:, j] = now @ _frame(rest[up], rest[left]).T
    return glob


def with_rotations(motion: Motion, spec: LayoutSpec) -> Motion:
    """``motion`` (positions on ``spec.rig``) at :data:`FPS` with the rotations of
    :func:`rotations_from_positions`."""
    moved = resample(motion, FPS)
    rotations = rotations_from_positions(moved.positions_m, spec.parents, rest_directions(spec))
    return replace(moved, rotations=rotations)


def mirror_positions(motion: Motion) -> Motion:
    """``motion`` reflected left/right (y → -y) with mirror joints swapped; positions only."""
    swap = mirror_indices(list(motion.joint_names))
    positions = motion.positions_m[:, swap] * np.array([1.0, -1.0, 1.0])
    return replace(motion, positions_m=positions, rotations=None, frame_labels=None)


def caption_groups(texts: list[TextLine]) -> list[tuple[TextLine, tuple[str, ...]]]:
    """The clip's caption lines grouped by the part they describe: (first line, captions),
    the whole clip's group first."""
    groups: dict[tuple[float, float], list[TextLine]] = {}
    for line in texts:
        key = (0.0, 0.0) if line.whole_clip else (line.start_s, line.end_s)
        groups.setdefault(key, []).append(line)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] != (0.0, 0.0), kv[0]))
    return [(lines[0], tuple(t.caption for t in lines)) for _, lines in ordered]


def segment_name(name: str, line: TextLine) -> str:
    """The record name of the part of clip ``name`` that ``line`` describes."""
    return name if line.whole_clip else f"{name}@{line.start_s:g}-{line.end_s:g}s"


def _features(motion: Motion, spec: LayoutSpec) -> np.ndarray:
    """Canonical features (float32) of positions on ``spec.rig``."""
    canon, _, _ = canonicalize(with_rotations(motion, spec), spec.rig)
    if canon.num_frames < 2:
        raise ValueError(f"only {canon.num_frames} frame(s) at {FPS:g} fps")
    return motion_to_features(canon, FeatureConfig(rig=spec.rig)).astype(np.float32)


def _clip_segments(args: tuple[str, str, str, bool]) -> list[_Segment]:
    """Worker: every caption group of one clip as (record name, captions, features, mirrored
    features, error)."""
    root, layout, name, mirror = args
    folder = LayoutFolder(root, layout)
    try:
        groups = caption_groups(folder.texts(name))
    except (ValueError, OSError) as exc:
        return [(name, (), None, None, str(exc))]
    if not groups:
        return [(name, (), None, None, "no captions")]
    out: list[_Segment] = []
    for line, texts in groups:
        record = segment_name(name, line)
        try:
            motion = folder.motion(name, line)
            feats = _features(motion, folder.spec)
            mirrored = _features(mirror_positions(motion), folder.spec) if mirror else None
            out.append((record, texts, feats, mirrored, None))
        except (ValueError, KeyError, OSError) as exc:
            out.append((record, texts, None, None, str(exc)))
    return out


def layout_cache_folder(folder: LayoutFolder, config: DatasetConfig) -> Path:
    """``<cache_dir>/<layout>-<key>``: the key hashes the cache version, the mirroring and every
    split clip's name, split, joint file size and captions."""
    h = hashlib.sha256()
    h.update(f"layout-v{LAYOUT_CACHE_VERSION}|{folder.spec.name}|{config.mirror}|{FPS}".encode())
    for split in SPLITS:
        for name in folder.split(split):
            joints = folder.folder / "new_joints" / f"{name}.npy"
            texts = folder.folder / "texts" / f"{name}.txt"
            size = joints.stat().st_size if joints.exists() else -1
            h.update(f"{split}|{name}|{size}|".encode())
            h.update(texts.read_bytes() if texts.exists() else b"")
    return config.cache_dir / f"{folder.spec.name}-{h.hexdigest()[:16]}"


def _records(
    names: list[tuple[str, str]], results: list[list[_Segment]], unreadable: list
) -> tuple[list[ClipRecord], list[tuple[str, ...]], np.ndarray]:
    """Records (originals, then their mirrored copy), their captions and features."""
    records: list[ClipRecord] = []
    texts: list[tuple[str, ...]] = []
    chunks: list[np.ndarray] = []
    start = 0
    for (name, split), segments in zip(names, results, strict=True):
        for record, caps, feats, mirrored, error in segments:
            if error is not None:
                unreadable.append((record, error))
                continue
            variants = [(feats, False, "", caps)]
            if mirrored is not None:
                mirror_caps = tuple(captions.mirror_caption(c) for c in caps)
                variants.append((mirrored, True, MIRRORED_STYLE, mirror_caps))
            for array, is_mirror, style, caps_k in variants:
                records.append(
                    ClipRecord(record, 0, record, style, name, split, is_mirror, start, len(array))
                )
                texts.append(caps_k)
                chunks.append(array)
                start += len(array)
    return records, texts, np.concatenate(chunks)


def build_layout_dataset(
    config: DatasetConfig, *, rebuild: bool = False, progress: bool = True
) -> MotionDataset:
    """Build (or load from its cache) the dataset of the layout folder ``config.root``.

    Uses ``config.cache_dir``, ``mirror`` and ``workers`` (the splits are the folder's;
    ``split_fractions`` is not used).

    Raises:
        FileNotFoundError: ``config.root`` is no layout folder.
        ValueError: no readable clip in the folder's train split.
    """
    folder = LayoutFolder(config.root)
    cache = layout_cache_folder(folder, config)
    if rebuild or not is_complete(cache):
        started = time.perf_counter()
        names = [(n, s) for s in SPLITS for n in folder.split(s)]
        jobs = [(str(folder.folder), folder.spec.name, n, config.mirror) for n, _ in names]
        results = read_in_workers(_clip_segments, jobs, config.workers, progress)
        unreadable: list[tuple[str, str]] = []
        records, texts, features = _records(names, results, unreadable)
        if not any(r.split == "train" for r in records):
            raise ValueError(f"{folder.folder}: no readable clip in train.txt")
        num_joints = len(folder.spec.rig.joint_names)
        dataset = MotionDataset(
            config,
            records,
            features,
            Normalizer.fit(features, records),
            sorted(unreadable),
            np.tile(np.eye(3), (num_joints, 1, 1)),  # mirrored from positions, not frames
            time.perf_counter() - started,
            texts=texts,
            rig=folder.spec.rig,
        )
        save_dataset(dataset, cache, replace=rebuild)
    dataset = load_dataset(cache, config)
    dataset.source = cache.name
    return dataset


__all__ = [
    "MIRRORED_STYLE",
    "build_layout_dataset",
    "caption_groups",
    "is_layout_folder",
    "layout_cache_folder",
    "mirror_positions",
    "rest_directions",
    "rotations_from_positions",
    "segment_name",
    "with_rotations",
]
