"""Training data for the model: bounded caption sets with precomputed text embeddings, and
sequences (single clips and multi-segment composed ones) with per-frame labels.

Everything is derived from :class:`~molingo_ros.motion.dataset.MotionDataset` and cached in
its cache folder (``.cache``), keyed by the settings, so the expensive steps (MiniLM over
thousands of captions, joining clips) run once.

A dataset read from a HumanML3D / KIT-ML folder (:mod:`molingo_ros.motion.layout_dataset`) has
no (content, style) labels: each of its records is a label of its own (its name, and
``"mirrored"`` for a mirrored copy) whose phrasings are the folder's captions of that clip, so
the caption bank holds (up to ``captions_per_label`` of) every clip's own captions and a
composed sequence labels each segment with its clip's captions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from molingo_ros.model.text import FrozenTextEncoder
from molingo_ros.motion import captions as caption_lib
from molingo_ros.motion.dataset_config import default_cache_dir
from molingo_ros.motion.features import feature_slices
from molingo_ros.motion.motion_dataset import MotionDataset
from molingo_ros.settings import setting


@dataclass(frozen=True)
class DataConfig:
    """What the training sets are made of.

    Attributes:
        captions_per_label: training phrasings kept per (content, style) label (seeded draw),
            which bounds the text encoder work; the rest stay unseen, like the held-out set.
        composed_sequences: multi-segment training sequences (2-3 clips joined).
        max_text_tokens: token embeddings kept per caption.
        seed: of every draw.
    """

    captions_per_label: int = setting(
        16, "training phrasings per (content, style) label", range=(1, 100_000)
    )
    composed_sequences: int = 1500
    max_text_tokens: int = 24
    seed: int = 0

    def key(self, *extra: object) -> str:
        """A short hash of the settings and ``extra``: the name of their caches."""
        text = json.dumps([asdict(self), *map(str, extra)], sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:12]


Label = tuple[str, str]


class GroupNormalizer:
    """Feature normaliser of the model: the dataset's training mean, and per feature group
    (root velocities, height, joint positions, rotations, joint velocities, contacts) one
    standard deviation, the mean of the group's (as HumanML3D). Per-dimension standard
    deviations would blow nearly constant rotation channels up by ~1000x."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, num_joints: int = 21) -> None:
        self.mean = np.asarray(mean, dtype=np.float32)
        grouped = np.empty_like(self.mean)
        for sl in feature_slices(num_joints).values():
            grouped[sl] = float(np.mean(np.asarray(std)[sl]))
        self.std = np.maximum(grouped, 1e-3).astype(np.float32)

    @classmethod
    def of(cls, dataset: MotionDataset) -> GroupNormalizer:
        """The normaliser of ``dataset``'s training statistics (groups of its rig)."""
        num_joints = dataset.feature_config.num_joints
        return cls(dataset.normalizer.mean, dataset.normalizer.std, num_joints)

    def normalize(self, features: np.ndarray) -> np.ndarray:
        """Raw features (..., F) -> normalised float32."""
        return ((features - self.mean) / self.std).astype(np.float32)

    def denormalize(self, normalized: np.ndarray) -> np.ndarray:
        """Normalised features (..., F) -> raw."""
        return normalized * self.std + self.mean


def own_captions(dataset: MotionDataset, split: str) -> dict[Label, list[str]] | None:
    """The captions of every label of ``split`` in a dataset with captions of its own (a layout
    folder's, one label per record), ``None`` for a dataset whose captions come from labels."""
    if dataset.texts is None:
        return None
    return {
        (r.content, r.style): list(dataset.texts[i])
        for i, r in enumerate(dataset.records)
        if r.split == split
    }


class CaptionBank:
    """A bounded set of phrasings per (content, style) label of a split (for a dataset with
    captions of its own, per record: see :func:`own_captions`)."""

    def __init__(self, dataset: MotionDataset, split: str, config: DataConfig) -> None:
        rng = np.random.default_rng(config.seed)
        labels = sorted({(r.content, r.style) for r in dataset.records if r.split == split})
        phrasing_split = "heldout" if split == "heldout" else "train"
        own = own_captions(dataset, split)
        self.by_label: dict[Label, list[str]] = {}
        for label in labels:
            if own is not None:
                all_caps = own[label]
            else:
                all_caps = caption_lib.captions_for(*label, split=phrasing_split)
            k = min(config.captions_per_label, len(all_caps))
            picks = rng.choice(len(all_caps), size=k, replace=False)
            self.by_label[label] = [all_caps[int(i)] for i in sorted(picks)]
        self.captions: list[str] = sorted({c for caps in self.by_label.values() for c in caps})
        self.index = {c: i for i, c in enumerate(self.captions)}

    def sample(self, label: Label, rng: np.random.Generator) -> int:
        """Index (into :attr:`captions`) of a random phrasing of ``label``."""
        caps = self.by_label[label]
        return self.index[caps[int(rng.integers(len(caps)))]]


class TextTable:
    """Precomputed text embeddings of a caption list: sentence vectors (N, E) and token
    embeddings (N, L, E) with a mask, on the CPU."""

    def __init__(
        self, captions: list[str], sentence: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor
    ) -> None:
        self.captions = captions
        self.index = {c: i for i, c in enumerate(captions)}
        self.sentence = sentence
        self.tokens = tokens
        self.mask = mask

    @classmethod
    def build(
        cls,
        encoder: FrozenTextEncoder,
        captions: list[str],
        cache: Path | None,
        max_tokens: int,
        progress: bool = True,
    ) -> TextTable:
        """Embed ``captions`` with ``encoder`` (or load them from ``cache``)."""
        if cache is not None and cache.exists():
            data = load_file(str(cache))
            return cls(captions, data["sentence"], data["tokens"].float(), data["mask"].bool())
        n = len(captions)
        sentence = torch.zeros(n, encoder.dim)
        tokens = torch.zeros(n, max_tokens, encoder.dim, dtype=torch.float16)
        mask = torch.zeros(n, max_tokens, dtype=torch.bool)
        step = 128
        for start in tqdm(range(0, n, step), disable=not progress, desc="text embeddings"):
            chunk = captions[start : start + step]
            embs = encoder.token_embeddings(chunk)
            for j, e in enumerate(embs):
                i = start + j
                e = e[:max_tokens]
                tokens[i, : len(e)] = e.half()
                mask[i, : len(e)] = True
                sentence[i] = torch.nn.functional.normalize(e.mean(0), dim=0)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            save_file(
                {"sentence": sentence, "tokens": tokens, "mask": mask.to(torch.uint8)}, str(cache)
            )
        return cls(captions, sentence, tokens.float(), mask)


@dataclass
class Sequence:
    """Normalised features of one training sequence with a caption index per frame."""

    features: np.ndarray  # (T, F) float32, normalised
    labels: np.ndarray  # (T,) int, caption index per frame
    seams: list[int]  # frames where a new segment starts (excluding 0)


def clip_sequences(
    dataset: MotionDataset, split: str, bank: CaptionBank, rng: np.random.Generator
) -> list[Sequence]:
    """Every clip of ``split`` (mirrors included) as a one-segment sequence."""
    out = []
    for i in dataset.indices(split):
        rec = dataset.records[i]
        feats = dataset.normalizer.normalize(dataset.clip_features(i)).astype(np.float32)
        label = bank.sample((rec.content, rec.style), rng)
        out.append(Sequence(feats, np.full(len(feats), label, dtype=np.int64), []))
    return out


def composed_sequences(
    dataset: MotionDataset, split: str, bank: CaptionBank, config: DataConfig, progress: bool = True
) -> list[Sequence]:
    """``config.composed_sequences`` multi-segment sequences of ``split`` (cached), each
    frame labelled with a bank phrasing of its segment's clip label."""
    key = config.key(len(dataset), dataset.source) if dataset.source else config.key(len(dataset))
    cache = Path(dataset.config.cache_dir) / f"composed_{split}_{key}.npz"
    rng = np.random.default_rng([config.seed, 7])
    if cache.exists():
        data = np.load(cache)
        feats, seg_clip, seg_start, offsets, nseg = (
            data["features"],
            data["seg_clip"],
            data["seg_start"],
            data["offsets"],
            data["nseg"],
        )
    else:
        feats_l, clip_l, start_l, offsets, nseg = [], [], [], [0], []
        for i in tqdm(range(config.composed_sequences), disable=not progress, desc="composed"):
            seq = dataset.composed_sequence(split, i)
            feats_l.append(dataset.normalizer.normalize(seq.features).astype(np.float32))
            clip_l += list(seq.clips)
            start_l += list(seq.segment_starts)
            offsets.append(offsets[-1] + len(seq.features))
            nseg.append(len(seq.clips))
        feats = np.concatenate(feats_l)
        seg_clip, seg_start = np.asarray(clip_l), np.asarray(start_l)
        offsets, nseg = np.asarray(offsets), np.asarray(nseg)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            cache,
            features=feats,
            seg_clip=seg_clip,
            seg_start=seg_start,
            offsets=offsets,
            nseg=nseg,
        )
    norm = GroupNormalizer.of(dataset)
    out = []
    k = 0
    for s in range(len(nseg)):
        # The cache holds features normalised per dimension (the dataset's normaliser).
        f = norm.normalize(dataset.normalizer.denormalize(feats[offsets[s] : offsets[s + 1]]))
        lab = np.zeros(len(f), dtype=np.int64)
        starts = list(seg_start[k : k + nseg[s]]) + [len(f)]
        for j in range(nseg[s]):
            rec = dataset.records[int(seg_clip[k + j])]
            lab[starts[j] : starts[j + 1]] = bank.sample((rec.content, rec.style), rng)
        out.append(Sequence(f, lab, [int(x) for x in starts[1:-1]]))
        k += nseg[s]
    return out


def text_cache_path(
    captions: list[str],
    encoder: FrozenTextEncoder,
    config: DataConfig,
    cache_dir: Path | None = None,
) -> Path:
    """Where the :class:`TextTable` of ``captions`` is cached (the dataset cache folder)."""
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return folder / f"text_{encoder.name}_{config.key(len(captions), captions[:3])}.safetensors"


def text_table_for(
    bank: CaptionBank,
    encoder: FrozenTextEncoder,
    dataset: MotionDataset,
    config: DataConfig,
    progress: bool = True,
) -> TextTable:
    """The :class:`TextTable` of a bank's captions (cached in the dataset cache folder)."""
    cache = text_cache_path(bank.captions, encoder, config, Path(dataset.config.cache_dir))
    return TextTable.build(encoder, bank.captions, cache, config.max_text_tokens, progress)
