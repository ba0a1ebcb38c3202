"""The prompt sets of ``molingo eval`` (test split, original takes, not mirrors):

* ``test``: one training phrasing per test take, the take's length (<= 196 frames);
* ``heldout``: a held-out phrasing (never used in training) per take;
* ``composed``: multi-segment test sequences (2-3 takes joined), the command switching at
  each segment start.

``split="val"`` draws the same sets from the validation takes (for choosing settings without
the test split)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from molingo_ros.motion.motion_dataset import MotionDataset

EVAL_SPLITS = ("test", "val")  # val: for choosing settings without the test split
MAX_FRAMES = 196
"""Longest prompt of the single-take sets (frames at 30 fps; 6.5 s)."""
MIN_FRAMES = 40
"""Shortest take used as a prompt (frames at 30 fps)."""


@dataclass
class PromptItem:
    """One prompt: its segments (text, first frame), length, and the real motion."""

    segments: list[tuple[str, int]]
    frames: int
    real: np.ndarray  # raw features (frames, F)
    label: tuple[str, str] | None = None

    @property
    def text(self) -> str:
        """The segments' texts joined by "then"."""
        return " then ".join(t for t, _ in self.segments)

    @property
    def seams(self) -> list[int]:
        """First frames of the segments after the first."""
        return [s for _, s in self.segments[1:]]


def prompt_sets(
    dataset: MotionDataset, composed: int, seed: int, split: str = "test"
) -> dict[str, list[PromptItem]]:
    """The prompt sets of a split's original takes: ``test`` (a training phrasing of each
    take's label), ``heldout`` (a held-out phrasing), ``composed`` (joined takes). The set
    names stay the same for ``split="val"`` (the split for choosing settings)."""
    rng = np.random.default_rng(seed)
    sets: dict[str, list[PromptItem]] = {"test": [], "heldout": [], "composed": []}
    for i in dataset.indices(split, mirrored=False):
        rec = dataset.records[i]
        feats = dataset.clip_features(i)
        n = min(len(feats), MAX_FRAMES) // 4 * 4
        if n < MIN_FRAMES:
            continue
        start = (len(feats) - n) // 2
        real = np.asarray(feats[start : start + n])
        label = (rec.content, rec.style)
        sets["test"].append(PromptItem([(dataset.caption(i, rng), 0)], n, real, label))
        sets["heldout"].append(
            PromptItem([(dataset.caption(i, rng, heldout=True), 0)], n, real, label)
        )
    for k in range(composed):
        seq = dataset.composed_sequence(split, k)
        n = len(seq.features) // 4 * 4
        segs = list(zip(seq.segment_captions, seq.segment_starts, strict=True))
        sets["composed"].append(PromptItem(segs, n, seq.features[:n]))
    return sets


# --------------------------------------------------------------------------------------------
# Generation, batched, in streaming windows
# --------------------------------------------------------------------------------------------


__all__ = ["EVAL_SPLITS", "MAX_FRAMES", "MIN_FRAMES", "PromptItem", "prompt_sets"]
