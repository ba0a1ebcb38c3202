"""The built dataset: clip records, memory-mapped features, normalisation, captions.

A :class:`MotionDataset` is made by :func:`molingo_ros.motion.dataset.build_dataset` (or loaded
from its cache). Features are the 30 fps learning representation of
:mod:`molingo_ros.motion.features` (metres, z up, x forward, canonical start pose). Captions
come either from the clip's content and style labels (the Bandai Namco dataset,
:mod:`molingo_ros.motion.captions`) or, for a dataset read from a HumanML3D / KIT-ML folder
(:mod:`molingo_ros.motion.layout_dataset`), from the folder's own sentences
(:attr:`MotionDataset.texts`; such records have no labels: see :class:`ClipRecord`).
Multi-segment sequences with frame-level labels are made on demand by
:meth:`MotionDataset.composed_sequence`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from molingo_ros.motion import captions
from molingo_ros.motion.blend import join_motions
from molingo_ros.motion.dataset_config import DatasetConfig
from molingo_ros.motion.features import (
    FeatureConfig,
    canonicalize,
    features_to_motion,
    motion_to_features,
)
from molingo_ros.motion.motion import Motion
from molingo_ros.motion.rigs import BANDAI, Rig
from molingo_ros.motion.splits import SPLITS

FPS = 30.0
"""Frame rate of every clip's features, frames/s."""


@dataclass(frozen=True)
class ClipRecord:
    """One clip of the dataset (a mirrored copy is its own record with the same take).

    ``content``/``style`` are labels without the dataset prefix; ``start``/``length`` locate the
    clip's frames in :attr:`MotionDataset.features`. A caption-only record (a dataset with
    :attr:`MotionDataset.texts`) has no labels: its ``content`` is its own name and its
    ``style`` is ``""`` (``"mirrored"`` for a mirrored copy), so every record is a label of
    its own whose captions are the folder's sentences; ``dataset`` is 0 and ``take`` the
    folder's clip name (sub-clips and mirrored copies share their clip's take).
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
        """Length of the clip, seconds."""
        return self.length / FPS


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
        """(..., D) features -> zero-mean, unit-std values."""
        return (features - self.mean) / self.std

    def denormalize(self, normalized: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`normalize`: back to feature units."""
        return normalized * self.std + self.mean

    @classmethod
    def fit(cls, features: np.ndarray, records: list[ClipRecord]) -> Normalizer:
        """Per-dimension mean and std (floored at 1e-3) over the training records' frames."""
        train_rows = np.concatenate(
            [np.arange(r.start, r.start + r.length) for r in records if r.split == "train"]
        )
        mean = features[train_rows].mean(axis=0, dtype=np.float64)
        std = features[train_rows].std(axis=0, dtype=np.float64)
        std = np.maximum(std, 1e-3)
        return cls(mean, std)


class MotionDataset:
    """Built dataset: records, features (memory-mapped), normalisation, captions.

    Attributes:
        config: how it was built.
        records: one :class:`ClipRecord` per clip (mirrored copies included).
        features: (N, D) float32 features of every clip, concatenated.
        normalizer: training-split mean/std.
        unreadable: ``(clip name, reason)`` of clips that could not be read.
        local_mirrors: (J, 3, 3) fitted local mirror frames of the rig.
        build_seconds: how long the build took, seconds (0 if not measured).
        texts: per record, its captions (a dataset read from a layout folder), or ``None``
            (captions from the records' labels).
        feature_config: the feature layout (of ``rig``: the 21-joint Bandai rig by default).
        source: the name of the cache folder of a dataset with ``texts`` (keys the caches made
            from it), ``""`` otherwise.
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
        *,
        texts: list[tuple[str, ...]] | None = None,
        rig: Rig = BANDAI,
    ) -> None:
        self.config = config
        self.records = records
        self.features = features
        self.normalizer = normalizer
        self.unreadable = unreadable
        self.local_mirrors = local_mirrors
        self.build_seconds = build_seconds
        self.texts = texts
        self.feature_config = FeatureConfig(rig=rig)
        self.source = ""

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
        motion = features_to_motion(self.clip_features(index), FPS, self.feature_config)
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
        """A caption of record ``index``: a training phrasing, or a held-out one (test only).
        With :attr:`texts`, one of the record's own sentences (a folder has no held-out
        phrasings: ``heldout`` draws from the same sentences)."""
        if self.texts is not None:
            own = self.texts[index]
            return own[int(rng.integers(len(own)))]
        rec = self.records[index]
        return captions.sample_caption(
            rec.content, rec.style, rng, split="heldout" if heldout else "train"
        )

    def all_captions(self, index: int, heldout: bool = False) -> list[str]:
        """Every training (or held-out) caption of record ``index``'s labels, in a fixed order
        (with :attr:`texts`: the record's own sentences, held-out or not)."""
        if self.texts is not None:
            return list(self.texts[index])
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
            motion = features_to_motion(self.clip_features(i), FPS, self.feature_config)
            motion.frame_labels = [cap] * motion.num_frames
            motions.append(motion)
        joined, starts = motions[0], [0]
        for nxt in motions[1:]:
            joined, switch = join_motions(joined, nxt, self.config.blend_frames)
            starts.append(switch)
        canon, _, _ = canonicalize(joined, self.feature_config.rig)
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
            "hours": frames / FPS / 3600.0,
            "records_with_mirrors": len(self.records),
            "unreadable": len(self.unreadable),
            "unreadable_clips": [f"{n}: {why}" for n, why in self.unreadable],
            "splits": {s: dict(c) for s, c in per_split.items()},
            "takes_per_split": {
                s: len({r.take for r in self.records if r.split == s}) for s in SPLITS
            },
            **self._label_counts(originals),
            "feature_dim": int(self.features.shape[1]),
            "build_seconds": round(self.build_seconds, 2),
        }

    def _label_counts(self, originals: list[ClipRecord]) -> dict:
        """Clips per content and per style label, or with :attr:`texts` the caption count."""
        if self.texts is not None:
            own = [t for t, r in zip(self.texts, self.records, strict=True) if not r.mirrored]
            return {"captions": sum(len(t) for t in own)}
        return {
            "contents": dict(sorted(Counter(r.content for r in originals).items())),
            "styles": dict(sorted(Counter(r.style for r in originals).items())),
        }
