"""The demo's human motion (``molingo demo``): two real Bandai clips — a walk, then a wave —
joined with a blended transition, captioned, and rebuilt from its features, which checks the
feature round trip on real mocap."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from molingo_ros.motion import captions
from molingo_ros.motion.blend import join_motions
from molingo_ros.motion.features import canonicalize, features_to_motion, motion_to_features
from molingo_ros.motion.motion import Motion
from molingo_ros.motion.sources import resolve_motion

DEMO_CLIPS = ("dataset-2_walk_normal_001", "dataset-2_wave-right-hand_normal_001")
"""The walk (its first 5 s) and the wave the demo joins."""


@dataclass
class DemoMotion:
    """The demo's motion.

    Attributes:
        motion: rebuilt from the features of the joined clips (world frame, z up, metres,
            30 fps), with per-frame labels and a composed caption as ``text``.
        feature_shape: (frames, feature dim) of the features.
        round_trip_error_mm: largest joint-position difference between the joined clips and
            the motion rebuilt from their features (mm).
    """

    motion: Motion
    feature_shape: tuple[int, int]
    round_trip_error_mm: float


def demo_motion(root: Path | None = None, blend_frames: int = 15) -> DemoMotion:
    """The demo's motion from the Bandai dataset at ``root`` (default: the usual place).
    Captions are drawn with a fixed seed, so the result is the same every run."""
    rng = np.random.default_rng(0)
    parts = []
    for name in DEMO_CLIPS:
        motion = resolve_motion(name, root)
        content, style, _ = captions.parse_clip_name(name)
        caption = captions.sample_caption(content, style, rng)
        motion.frame_labels = [caption] * motion.num_frames
        parts.append((motion, caption))
    walk = parts[0][0].frames(0, 150)
    joined, _ = join_motions(walk, parts[1][0], blend_frames=blend_frames)
    canon, xy0, theta0 = canonicalize(joined)
    features = motion_to_features(canon)
    rebuilt = features_to_motion(features, joined.fps, start_xy=xy0, start_heading=theta0)
    error_mm = float(1000 * np.abs(rebuilt.positions_m - joined.positions_m).max())
    rebuilt.frame_labels = joined.frame_labels
    rebuilt.text = captions.composed_caption([c for _, c in parts], rng)
    return DemoMotion(rebuilt, tuple(features.shape), error_mm)


__all__ = ["DEMO_CLIPS", "DemoMotion", "demo_motion"]
