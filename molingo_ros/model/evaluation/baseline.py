"""The retrieval baseline of ``molingo eval``: for a prompt, the training clip whose caption
is nearest by MiniLM sentence similarity, joined with blends for composed prompts (what a
team would build instead of a generator)."""

from __future__ import annotations

import numpy as np

from molingo_ros.model.evaluation.prompts import PromptItem
from molingo_ros.model.text import FrozenTextEncoder
from molingo_ros.motion import captions as caption_lib
from molingo_ros.motion.blend import join_motions
from molingo_ros.motion.features import canonicalize, features_to_motion, motion_to_features
from molingo_ros.motion.motion_dataset import MotionDataset

BLEND_FRAMES = 10
"""Frames over which two retrieved clips are blended at a segment start."""


class RetrievalBaseline:
    """Nearest training clip by text: MiniLM sentence similarity between the prompt and every
    training phrasing of every training label; a random training take of the best label."""

    def __init__(
        self, dataset: MotionDataset, encoder: FrozenTextEncoder, per_label: int = 24, seed: int = 0
    ) -> None:
        rng = np.random.default_rng(seed)
        self.dataset = dataset
        self.clips: dict[tuple[str, str], list[int]] = {}
        for i in dataset.indices("train"):
            r = dataset.records[i]
            self.clips.setdefault((r.content, r.style), []).append(i)
        texts, labels = [], []
        for label in sorted(self.clips):
            caps = caption_lib.captions_for(*label, split="train")
            for j in rng.choice(len(caps), size=min(per_label, len(caps)), replace=False):
                texts.append(caps[int(j)])
                labels.append(label)
        self.labels = labels
        self.encoder = encoder
        self.bank = encoder.sentence(texts).numpy()

    def clip_for(self, text: str, rng: np.random.Generator) -> np.ndarray:
        """Raw features of a random training take of the label nearest to ``text``."""
        q = self.encoder.sentence([text]).numpy()[0]
        label = self.labels[int(np.argmax(self.bank @ q))]
        idx = self.clips[label][int(rng.integers(len(self.clips[label])))]
        return np.asarray(self.dataset.clip_features(idx))

    def motion_for(
        self, item: PromptItem, rng: np.random.Generator
    ) -> tuple[np.ndarray, list[int]]:
        """(raw features, segment seams) for a prompt."""
        if len(item.segments) == 1:
            feats = self.clip_for(item.segments[0][0], rng)
            if len(feats) >= item.frames:
                start = (len(feats) - item.frames) // 2
                return feats[start : start + item.frames], []
            return feats, []
        motions = [features_to_motion(self.clip_for(t, rng), 30.0) for t, _ in item.segments]
        joined, seams = motions[0], []
        for nxt in motions[1:]:
            joined, switch = join_motions(joined, nxt, BLEND_FRAMES)
            seams.append(int(switch))
        canon, _, _ = canonicalize(joined)
        return motion_to_features(canon).astype(np.float32), seams


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


__all__ = ["BLEND_FRAMES", "RetrievalBaseline"]
