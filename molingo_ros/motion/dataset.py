"""The Bandai Namco motion-capture dataset as training data.

``build_dataset`` reads every clip once (in parallel), turns it and its left/right mirror into
features (:mod:`molingo_ros.motion.features`), assigns every take to one split, computes the
normalisation on the training split and writes an on-disk cache; later calls load the cache in
seconds. Captions come from the clip's content and style labels
(:mod:`molingo_ros.motion.captions`); multi-segment sequences with frame-level labels are made
on demand by :meth:`MotionDataset.composed_sequence`.

The data (CC BY-NC 4.0) is read from ``DatasetConfig.root``: never copied into the project.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from molingo_ros.motion import captions
from molingo_ros.motion.blend import join_motions
from molingo_ros.motion.bvh import BvhError
from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.features import (
    FeatureConfig,
    canonicalize,
    feature_dim,
    features_to_motion,
    motion_to_features,
)
from molingo_ros.motion.mirror import fit_local_mirrors, mirror_motion
from molingo_ros.motion.motion import Motion

SPLITS = ("train", "val", "test")
CACHE_VERSION = 1
"""Bump when the cached content changes meaning (features, splits, records)."""

_REPO_ROOT = Path(__file__).resolve().parents[2]
MIRROR_REFERENCE_CLIP = "dataset-2_walk_normal_001"
"""A near-symmetric clip used to fit the rig's local mirror frames (see mirror.py)."""


def default_data_root() -> Path:
    """``$MOLINGO_DATA_ROOT`` or ``<repo>/../shared/data/bandai-namco-motion``."""
    env = os.environ.get("MOLINGO_DATA_ROOT")
    return Path(env) if env else _REPO_ROOT.parent / "shared" / "data" / "bandai-namco-motion"


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


@dataclass(frozen=True)
class ClipRecord:
    """One clip of the dataset (a mirrored copy is its own record with the same take).

    ``content``/``style`` are labels without the dataset prefix; ``start``/``length`` locate the
    clip's frames in :attr:`MotionDataset.features`.
    """

    name: str
    dataset: int
    content: str
    style: str
    take: str
    split: str
    mirrored: bool
    start: int
    length: int

    @property
    def duration_s(self) -> float:
        return self.length / 30.0


@dataclass
class ComposedSequence:
    """Clips joined with blended transitions.

    Attributes:
        features: (T, D) features of the whole sequence (not normalised).
        frame_labels: T captions, the one owning each frame.
        segment_starts: first frame of each segment.
        segment_captions: the caption of each segment.
        text: the whole command ("... then ...").
        clips: indices of the clip records used.
    """

    features: np.ndarray
    frame_labels: list[str]
    segment_starts: list[int]
    segment_captions: list[str]
    text: str
    clips: list[int]


@dataclass
class Normalizer:
    """Per-dimension mean/std of the training features: ``(x - mean) / std``."""

    mean: np.ndarray
    std: np.ndarray

    def normalize(self, features: np.ndarray) -> np.ndarray:
        return (features - self.mean) / self.std

    def denormalize(self, normalized: np.ndarray) -> np.ndarray:
        return normalized * self.std + self.mean


@dataclass
class SourceClip:
    """A clip file found under the dataset root."""

    path: Path | None
    name: str
    dataset: int
    content: str
    style: str


def find_clips(root: Path) -> tuple[list[SourceClip], list[tuple[str, str]]]:
    """Every clip listed by a ``.json`` label file under ``root``.

    Returns:
        ``(clips, problems)``; a clip whose BVH file is absent is still returned (with
        ``path=None``) so the caller can report it.
    """
    if not root.is_dir():
        raise FileNotFoundError(
            f"dataset folder {root} not found; pass --root or set MOLINGO_DATA_ROOT to the "
            "folder holding Bandai-Namco-Research-Motiondataset-1 and -2"
        )
    clips: list[SourceClip] = []
    problems: list[tuple[str, str]] = []
    sub_dirs = sorted(root.glob("Bandai-Namco-Research-Motiondataset-*"))
    if not sub_dirs:
        raise FileNotFoundError(f"{root} holds no Bandai-Namco-Research-Motiondataset-* folder")
    for sub in sub_dirs:
        number = int(sub.name.rsplit("-", 1)[1])
        contents = (sub / "cfg" / "content_label.txt").read_text().split()
        styles = (sub / "cfg" / "style_label.txt").read_text().split()
        for label_file in sorted((sub / "data").glob("*.json")):
            name = label_file.name.removesuffix(".json")
            try:
                labels = json.loads(label_file.read_text())
                content = captions.strip_label_prefix(contents[int(labels["content"])])
                style = captions.strip_label_prefix(styles[int(labels["style"])])
            except (ValueError, KeyError, IndexError) as exc:
                problems.append((name, f"bad label file {label_file.name}: {exc}"))
                continue
            bvh = label_file.with_name(name + ".bvh.gz")
            if not bvh.exists() and label_file.with_name(name + ".bvh").exists():
                bvh = label_file.with_name(name + ".bvh")
            clips.append(SourceClip(bvh if bvh.exists() else None, name, number, content, style))
    return clips, problems


def _take_of(name: str) -> str:
    return name  # one file is one take: a mirrored copy keeps its original's take


def assign_splits(
    clips: list[SourceClip], fractions: tuple[float, float, float], seed: int
) -> dict[str, str]:
    """Take → split. Takes of each (dataset, content, style) group are shuffled with ``seed``
    and cut by ``fractions``; groups of fewer than 10 takes draw each take's split at random
    (seeded by the take's name), so small groups still reach every split."""
    groups: dict[tuple[int, str, str], list[str]] = {}
    for clip in clips:
        groups.setdefault((clip.dataset, clip.content, clip.style), []).append(_take_of(clip.name))
    out: dict[str, str] = {}
    cuts = np.cumsum(fractions)
    for key in sorted(groups):
        takes = sorted(set(groups[key]))
        if len(takes) >= 10:
            rng = np.random.default_rng([seed, *(ord(c) for c in "|".join(map(str, key)))])
            order = rng.permutation(len(takes))
            n_val = int(round(fractions[1] * len(takes)))
            n_test = int(round(fractions[2] * len(takes)))
            for rank, i in enumerate(order):
                out[takes[i]] = (
                    "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
                )
        else:
            for take in takes:
                digest = hashlib.sha256(f"{seed}:{take}".encode()).digest()
                u = int.from_bytes(digest[:8], "little") / 2**64
                out[take] = SPLITS[int(np.searchsorted(cuts, u, side="right"))]
    return out


def _clip_features(
    args: tuple[str, np.ndarray | None],
) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
    """Worker: (features, mirrored features, error) of one BVH file."""
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


class MotionDataset:
    """Built dataset: records, features (memory-mapped), normalisation, captions.

    Attributes:
        config: how it was built.
        records: one :class:`ClipRecord` per clip (mirrored copies included).
        features: (N, D) float32 features of every clip, concatenated.
        normalizer: training-split mean/std.
        unreadable: ``(clip name, reason)`` of clips that could not be read.
        local_mirrors: (J, 3, 3) fitted local mirror frames of the rig.
    """

    def __init__(
        self,
        config: DatasetConfig,
        records: list[ClipRecord],
        features: np.ndarray,
        normalizer: Normalizer,
        unreadable: list[tuple[str, str]],
        local_mirrors: np.ndarray,
        build_seconds: float = 0.0,
    ) -> None:
        self.config = config
        self.records = records
        self.features = features
        self.normalizer = normalizer
        self.unreadable = unreadable
        self.local_mirrors = local_mirrors
        self.build_seconds = build_seconds
        self.feature_config = FeatureConfig()

    # -- access -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.records)

    def indices(self, split: str, *, mirrored: bool | None = None) -> list[int]:
        """Record indices of ``split`` (optionally only (non-)mirrored ones)."""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")
        return [
            i
            for i, r in enumerate(self.records)
            if r.split == split and (mirrored is None or r.mirrored == mirrored)
        ]

    def clip_features(self, index: int) -> np.ndarray:
        """(T, D) features of record ``index`` (not normalised)."""
        rec = self.records[index]
        return np.asarray(self.features[rec.start : rec.start + rec.length])

    def clip_motion(self, index: int) -> Motion:
        """Record ``index`` as a :class:`Motion` (canonical start pose), captioned."""
        rec = self.records[index]
        motion = features_to_motion(self.clip_features(index), 30.0, self.feature_config)
        motion.name = rec.name + ("_mirror" if rec.mirrored else "")
        motion.text = self.caption(index, np.random.default_rng(0))
        return motion

    def find(self, name: str) -> int:
        """Index of the record called ``name`` (``..._mirror`` for a mirrored copy)."""
        mirrored = name.endswith("_mirror")
        base = name.removesuffix("_mirror")
        for i, rec in enumerate(self.records):
            if rec.name == base and rec.mirrored == mirrored:
                return i
        raise KeyError(f"no clip named {name!r} in the dataset (e.g. {self.records[0].name!r})")

    def caption(self, index: int, rng: np.random.Generator, heldout: bool = False) -> str:
        """A caption of record ``index``: a training phrasing, or a held-out one (test only)."""
        rec = self.records[index]
        return captions.sample_caption(
            rec.content, rec.style, rng, split="heldout" if heldout else "train"
        )

    def all_captions(self, index: int, heldout: bool = False) -> list[str]:
        rec = self.records[index]
        return captions.captions_for(
            rec.content, rec.style, split="heldout" if heldout else "train"
        )

    def composed_sequence(self, split: str, index: int, heldout: bool = False) -> ComposedSequence:
        """The ``index``-th multi-segment sequence of ``split`` (deterministic): 2–3 clips of
        the split joined with blended transitions, each frame labelled with its segment's
        caption."""
        pool = self.indices(split)
        if not pool:
            raise ValueError(f"split {split!r} is empty")
        rng = np.random.default_rng([self.config.seed, SPLITS.index(split), index])
        count = int(rng.integers(self.config.segments[0], self.config.segments[1] + 1))
        chosen = [int(i) for i in rng.choice(pool, size=count, replace=True)]
        segment_captions = [self.caption(i, rng, heldout) for i in chosen]
        motions = []
        for i, cap in zip(chosen, segment_captions, strict=True):
            motion = features_to_motion(self.clip_features(i), 30.0, self.feature_config)
            motion.frame_labels = [cap] * motion.num_frames
            motions.append(motion)
        joined, starts = motions[0], [0]
        for nxt in motions[1:]:
            joined, switch = join_motions(joined, nxt, self.config.blend_frames)
            starts.append(switch)
        canon, _, _ = canonicalize(joined)
        feats = motion_to_features(canon, self.feature_config).astype(np.float32)
        return ComposedSequence(
            features=feats,
            frame_labels=list(joined.frame_labels),
            segment_starts=starts,
            segment_captions=segment_captions,
            text=captions.composed_caption(segment_captions, rng),
            clips=chosen,
        )

    # -- summary ----------------------------------------------------------------------------
    def summary(self) -> dict:
        """Counts for the CLI and the data card."""
        originals = [r for r in self.records if not r.mirrored]
        frames = sum(r.length for r in originals)
        per_split = {s: Counter() for s in SPLITS}
        for r in self.records:
            per_split[r.split]["mirrored" if r.mirrored else "clips"] += 1
            per_split[r.split]["frames"] += r.length
        return {
            "clips": len(originals),
            "frames": frames,
            "hours": frames / 30.0 / 3600.0,
            "records_with_mirrors": len(self.records),
            "unreadable": len(self.unreadable),
            "unreadable_clips": [f"{n}: {why}" for n, why in self.unreadable],
            "splits": {s: dict(c) for s, c in per_split.items()},
            "takes_per_split": {
                s: len({r.take for r in self.records if r.split == s}) for s in SPLITS
            },
            "contents": dict(sorted(Counter(r.content for r in originals).items())),
            "styles": dict(sorted(Counter(r.style for r in originals).items())),
            "feature_dim": int(self.features.shape[1]),
            "build_seconds": round(self.build_seconds, 2),
        }


# -- building and caching -------------------------------------------------------------------
def _cache_key(clips: list[SourceClip], config: DatasetConfig) -> str:
    h = hashlib.sha256()
    h.update(f"v{CACHE_VERSION}|{config.split_fractions}|{config.seed}|{config.mirror}".encode())
    for clip in clips:
        stat = clip.path.stat() if clip.path else None
        h.update(f"{clip.name}|{clip.content}|{clip.style}|{stat.st_size if stat else -1}".encode())
    return h.hexdigest()[:16]


def _save(dataset: MotionDataset, folder: Path, *, replace: bool = False) -> None:
    """Write the cache into a private staging folder, then rename it to ``folder`` in one step,
    so concurrent builders (two training runs started together) never see or write a half-made
    cache. Without ``replace``, a complete cache another process finished first is kept."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{folder.name}.building-", dir=folder.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
        with open(staging / "features.npy", "wb") as fh:
            np.save(fh, np.ascontiguousarray(dataset.features, dtype=np.float32))
        columns = {
            k: np.array([getattr(r, k) for r in dataset.records])
            for k in ClipRecord.__dataclass_fields__
        }
        np.savez(
            staging / "index.npz",
            mean=dataset.normalizer.mean,
            std=dataset.normalizer.std,
            local_mirrors=dataset.local_mirrors,
            unreadable=np.array(["\t".join(u) for u in dataset.unreadable], dtype=str).reshape(-1),
            build_seconds=np.array(dataset.build_seconds),
            **{f"rec_{k}": v for k, v in columns.items()},
        )
        (staging / "config.json").write_text(
            json.dumps(
                {
                    k: (str(v) if isinstance(v, Path) else v)
                    for k, v in asdict(dataset.config).items()
                },
                indent=2,
            )
        )
        if folder.exists() and (replace or not _is_complete(folder)):
            old = folder.with_name(f"{folder.name}.old-{os.getpid()}-{time.time_ns()}")
            folder.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        try:
            staging.rename(folder)
        except OSError:
            if not _is_complete(folder):  # not another builder's finished cache: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _is_complete(folder: Path) -> bool:
    return (folder / "index.npz").exists() and (folder / "features.npy").exists()


def _load(folder: Path, config: DatasetConfig) -> MotionDataset:
    with np.load(folder / "index.npz", allow_pickle=False) as stored:
        idx = {key: stored[key] for key in stored.files}  # each stored[key] re-reads the zip
    columns = [idx[f"rec_{name}"].tolist() for name in ClipRecord.__dataclass_fields__]
    records = [ClipRecord(*row) for row in zip(*columns, strict=True)]
    normalizer = Normalizer(idx["mean"], idx["std"])
    unreadable = [tuple(s.split("\t", 1)) for s in idx["unreadable"].tolist()]
    local_mirrors = idx["local_mirrors"]
    build_seconds = float(idx["build_seconds"])
    features = np.load(folder / "features.npy", mmap_mode="r")
    return MotionDataset(
        config, records, features, normalizer, unreadable, local_mirrors, build_seconds
    )


def build_dataset(
    config: DatasetConfig | None = None, *, rebuild: bool = False, progress: bool = True
) -> MotionDataset:
    """Build (or load from the cache) the dataset described by ``config``."""
    config = config or DatasetConfig()
    clips, problems = find_clips(config.root)
    folder = config.cache_dir / f"bandai-{_cache_key(clips, config)}"
    if not rebuild and _is_complete(folder):
        return _load(folder, config)

    started = time.perf_counter()
    unreadable = list(problems) + [(c.name, "BVH file missing") for c in clips if c.path is None]
    readable = [c for c in clips if c.path is not None]
    reference = next((c for c in readable if c.name == MIRROR_REFERENCE_CLIP), None)
    reference = reference or next((c for c in readable if c.content == "walk"), readable[0])
    local_mirrors = fit_local_mirrors(load_motion(reference.path))
    splits = assign_splits(readable, config.split_fractions, config.seed)

    jobs = [(str(c.path), local_mirrors if config.mirror else None) for c in readable]
    if config.workers > 1:
        with ProcessPoolExecutor(config.workers) as pool:
            results = list(
                tqdm(
                    pool.map(_clip_features, jobs, chunksize=8),
                    total=len(jobs),
                    desc="reading clips",
                    disable=not progress,
                )
            )
    else:
        results = [
            _clip_features(j) for j in tqdm(jobs, desc="reading clips", disable=not progress)
        ]

    records: list[ClipRecord] = []
    chunks: list[np.ndarray] = []
    start = 0
    for clip, (feats, mirrored, error) in zip(readable, results, strict=True):
        if error is not None:
            unreadable.append((clip.name, error))
            continue
        take = _take_of(clip.name)
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
    train_rows = np.concatenate(
        [np.arange(r.start, r.start + r.length) for r in records if r.split == "train"]
    )
    mean = features[train_rows].mean(axis=0, dtype=np.float64)
    std = features[train_rows].std(axis=0, dtype=np.float64)
    std = np.maximum(std, 1e-3)
    dataset = MotionDataset(
        config,
        records,
        features,
        Normalizer(mean, std),
        sorted(unreadable),
        local_mirrors,
        time.perf_counter() - started,
    )
    _save(dataset, folder, replace=rebuild)
    return _load(folder, config)
