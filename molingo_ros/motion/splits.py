"""Which split (train / val / test) each take of the Bandai Namco dataset belongs to.

A split is chosen per take, so a clip and its mirrored copy always share one split and no take
is in two splits.
"""

from __future__ import annotations

import hashlib

import numpy as np

from molingo_ros.motion.bandai_files import SourceClip

SPLITS = ("train", "val", "test")
"""The dataset's splits, in this order everywhere (seeds, fractions)."""


def take_of(name: str) -> str:
    """The take a clip named ``name`` belongs to: one file is one take, and a mirrored copy
    keeps its original's take."""
    return name


def assign_splits(
    clips: list[SourceClip], fractions: tuple[float, float, float], seed: int
) -> dict[str, str]:
    """Take → split. Takes of each (dataset, content, style) group are shuffled with ``seed``
    and cut by ``fractions``; groups of fewer than 10 takes draw each take's split at random
    (seeded by the take's name), so small groups still reach every split."""
    groups: dict[tuple[int, str, str], list[str]] = {}
    for clip in clips:
        groups.setdefault((clip.dataset, clip.content, clip.style), []).append(take_of(clip.name))
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
