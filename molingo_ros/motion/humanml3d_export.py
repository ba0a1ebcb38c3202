"""Write the project's real motion (Bandai Namco, DeepMimic) as a HumanML3D (or KIT-ML) folder:
:func:`export_layout`, behind ``molingo data export``.

Each clip is read in the project's frame, put on the layout's rig
(:mod:`molingo_ros.motion.rig_mapping`), resampled to the layout's frame rate, turned into the
file frame and units, aligned like HumanML3D (lowest joint on the floor, first frame at the
origin facing +z) and written with its motion vectors and captions. ``new_joints`` holds the
first T - 1 aligned frames, one per vector row, as HumanML3D's files do.

Names, splits, captions:
    * a clip keeps its own name (``dataset-2_walk_normal_001``, ``humanoid3d_walk``);
    * Bandai clips take the split the project's dataset gives their take
      (:func:`molingo_ros.motion.splits.assign_splits` over every clip of the root, with
      :class:`~molingo_ros.motion.dataset_config.DatasetConfig`'s fractions and seed: the split
      the shipped model was trained with); DeepMimic clips are drawn by name with that seed;
    * Bandai captions are the clip's :func:`~molingo_ros.motion.captions.clip_captions`
      (``captions_per_clip`` of them, whole clip); DeepMimic's come from a small table.

Mean/Std are computed over the exported train split (over every exported clip if the export
has no train clip).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from molingo_ros.motion import captions
from molingo_ros.motion.bandai_files import SourceClip, default_data_root, find_clips
from molingo_ros.motion.caption_tags import caption_tokens
from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.dataset_config import DatasetConfig
from molingo_ros.motion.humanml3d import (
    LAYOUTS,
    LayoutClip,
    LayoutSpec,
    TextLine,
    joints_from_motion,
    write_clip,
    write_mean_std,
    write_splits,
)
from molingo_ros.motion.humanml3d_features import align, joints_to_vectors, mean_std
from molingo_ros.motion.motion import Motion
from molingo_ros.motion.rig_mapping import map_motion, resample
from molingo_ros.motion.splits import SPLITS, assign_splits

CLIP_SETS = ("bandai", "deepmimic", "all")
"""Valid values of ``ExportConfig.clips``."""

DEEPMIMIC_CAPTIONS: dict[str, tuple[str, ...]] = {
    "backflip": ("a person does a backflip", "someone jumps and flips backwards"),
    "cartwheel": ("a person does a cartwheel", "someone turns a cartwheel to the side"),
    "crawl": ("a person crawls forward on hands and knees", "someone crawls on the floor"),
    "dance_a": ("a person dances", "someone performs a short dance"),
    "dance_b": ("a person dances in place", "someone does a lively dance"),
    "getup_facedown": ("a person lying face down gets up", "someone gets up from the floor"),
    "getup_faceup": ("a person lying on their back gets up", "someone rises from the floor"),
    "jump": ("a person jumps forward", "someone jumps with both feet"),
    "kick": ("a person kicks with the right leg", "someone throws a kick"),
    "punch": ("a person punches forward", "someone throws a punch"),
    "roll": ("a person rolls forward on the floor", "someone does a forward roll"),
    "run": ("a person runs forward", "someone runs straight ahead"),
    "spin": ("a person spins around in place", "someone turns around on the spot"),
    "spinkick": ("a person spins and kicks", "someone does a spinning kick"),
    "walk": ("a person walks forward", "someone walks straight ahead"),
}
"""Captions of the DeepMimic humanoid3d clips (by the clip name after ``humanoid3d_``)."""


@dataclass
class ExportConfig:
    """What :func:`export_layout` writes.

    Attributes:
        layout: ``humanml3d`` or ``kit``.
        root: the Bandai dataset folder.
        clips: ``bandai``, ``deepmimic`` or ``all``.
        limit: at most this many clips of each split and clip set (None: all), first by
            name.
        captions_per_clip: captions written per Bandai clip (HumanML3D has about 3).
        dataset: fractions and seed of the splits (the project's dataset defaults).
    """

    layout: str = "humanml3d"
    root: Path = field(default_factory=default_data_root)
    clips: str = "bandai"
    limit: int | None = None
    captions_per_clip: int = 3
    dataset: DatasetConfig | None = None

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"unknown layout {self.layout!r}; valid: {', '.join(LAYOUTS)}")
        if self.clips not in CLIP_SETS:
            raise ValueError(f"unknown clip set {self.clips!r}; valid: {', '.join(CLIP_SETS)}")
        self.root = Path(self.root)


@dataclass
class ExportSource:
    """A clip to export: its name, split, captions and how to read it."""

    name: str
    split: str
    captions: tuple[str, ...]
    load: Callable[[], Motion]


@dataclass
class ExportSummary:
    """What was written: clip names per split, frames written, clips that failed (reason)."""

    folder: Path
    layout: str
    splits: dict[str, list[str]]
    frames: int
    failures: dict[str, str]

    def lines(self) -> list[str]:
        counts = ", ".join(f"{s} {len(self.splits.get(s, []))}" for s in SPLITS)
        out = [f"wrote {self.layout} layout to {self.folder}: {counts} clips, {self.frames} frames"]
        out += [f"  skipped {name}: {why}" for name, why in sorted(self.failures.items())]
        return out


def bandai_sources(config: ExportConfig) -> list[ExportSource]:
    """Every readable Bandai clip under ``config.root``, with its split and captions."""
    dataset = config.dataset or DatasetConfig(root=config.root)
    clips = [c for c in find_clips(config.root)[0] if c.path is not None]
    splits = assign_splits(clips, dataset.split_fractions, dataset.seed)
    caption_config = captions.CaptionConfig(phrasings_per_clip=config.captions_per_clip)
    out = []
    for clip in sorted(clips, key=lambda c: c.name):
        texts = captions.clip_captions(clip.content, clip.style, clip.name, caption_config)
        load = lambda p=clip.path: load_motion(p)  # noqa: E731
        out.append(ExportSource(clip.name, splits[clip.name], tuple(texts), load))
    return out


def deepmimic_sources(config: ExportConfig) -> list[ExportSource]:
    """The DeepMimic humanoid3d clips of pybullet_data, split by name with the dataset seed."""
    from molingo_ros.motion.deepmimic import humanoid_clips

    dataset = config.dataset or DatasetConfig(root=config.root)
    paths = humanoid_clips()
    fake = [SourceClip(p, p.stem, 0, p.stem, "") for p in paths]
    splits = assign_splits(fake, dataset.split_fractions, dataset.seed)
    out = []
    for path in paths:
        key = path.stem.removeprefix("humanoid3d_")
        texts = DEEPMIMIC_CAPTIONS.get(key, (f"a person performs a {key.replace('_', ' ')}",))
        load = lambda p=path: load_motion(p)  # noqa: E731
        out.append(ExportSource(path.stem, splits[path.stem], texts, load))
    return out


def _limited(sources: list[ExportSource], limit: int | None) -> list[ExportSource]:
    if limit is None:
        return sources
    taken: Counter[str] = Counter()
    out = []
    for source in sources:
        if taken[source.split] < limit:
            taken[source.split] += 1
            out.append(source)
    return out


def layout_clip(motion: Motion, spec: LayoutSpec, name: str, texts: tuple[str, ...]) -> LayoutClip:
    """One motion (Bandai or DeepMimic rig, project frame) as a layout clip: mapped, resampled,
    aligned, with vectors and whole-clip captions."""
    on_rig = resample(map_motion(motion, spec.rig.name), spec.fps)
    joints = align(joints_from_motion(on_rig, spec), spec.skeleton)
    vectors = joints_to_vectors(joints, spec.skeleton)
    lines = [TextLine(t, caption_tokens(t)) for t in texts]
    return LayoutClip(name, joints[:-1], vectors, lines)


def export_layout(out: str | Path, config: ExportConfig | None = None) -> ExportSummary:
    """Write the clips of ``config`` to folder ``out`` in the ``config.layout`` layout."""
    config = config or ExportConfig()
    spec = LAYOUTS[config.layout]
    if config.layout != "humanml3d" and config.clips != "bandai":
        raise ValueError(f"the {config.layout} layout has a mapping from Bandai clips only")
    sources: list[ExportSource] = []
    if config.clips in ("bandai", "all"):
        sources += _limited(bandai_sources(config), config.limit)
    if config.clips in ("deepmimic", "all"):
        sources += _limited(deepmimic_sources(config), config.limit)
    splits: dict[str, list[str]] = {s: [] for s in SPLITS}
    vectors: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    failures: dict[str, str] = {}
    frames = 0
    for source in sources:
        try:
            clip = layout_clip(source.load(), spec, source.name, source.captions)
        except (ValueError, KeyError, OSError) as exc:
            failures[source.name] = str(exc)
            continue
        write_clip(out, clip)
        splits[source.split].append(source.name)
        vectors[source.split].append(clip.vectors)
        frames += len(clip.joints)
    write_splits(out, splits)
    basis = vectors["train"] or [v for s in SPLITS for v in vectors[s]]
    if basis:
        write_mean_std(out, *mean_std(basis, len(spec.rig.joint_names)))
    return ExportSummary(Path(out), spec.name, splits, frames, failures)
