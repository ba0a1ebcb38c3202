"""Physical metrics of a set of generated motions (raw features at 30 fps): foot skating,
floor penetration, jerk, jerk at window seams and segment starts against jerk inside windows
(:func:`physical`), and the net turning rate (:func:`turn_rate`)."""

from __future__ import annotations

import numpy as np

from molingo_ros.model.evaluation import metrics as M
from molingo_ros.motion.features import features_to_positions, integrate_root
from molingo_ros.motion.rigs import BANDAI


def physical(
    feats: list[np.ndarray], window_frames: int | None, seams: list[list[int]] | None
) -> dict[str, float]:
    """Means over ``feats`` (motions of at least 8 frames) of foot skating (m/s), floor
    penetration (m), jerk (m/s^3) and the ratio of jerk at cuts to jerk elsewhere; the cuts
    are every ``window_frames`` frames (None: no windows) and each motion's ``seams``."""
    feet = [BANDAI.index(j) for j in BANDAI.feet]
    skate, pen, jerk, seam = [], [], [], []
    for k, f in enumerate(feats):
        if len(f) < 8:
            continue
        pos, _ = features_to_positions(f, 21)
        skate.append(M.foot_skating(pos, 30.0, feet))
        pen.append(M.floor_penetration(pos)[0])
        jerk.append(M.jerk(pos, 30.0))
        cuts = list(range(window_frames, len(f), window_frames)) if window_frames else []
        if seams is not None:
            cuts = sorted(set(cuts) | set(seams[k]))
        if cuts:
            seam.append(M.seam_jerk_ratio(pos, 30.0, cuts))
    return {
        "foot_skate_m_s": float(np.mean(skate)),
        "penetration_m": float(np.mean(pen)),
        "jerk_m_s3": float(np.mean(jerk)),
        "seam_jerk_ratio": float(np.mean(seam)) if seam else float("nan"),
    }


def turn_rate(features: np.ndarray) -> float:
    """Net turning rate (deg/s) of raw features (see :func:`metrics.turn_rate_deg_s`)."""
    return M.turn_rate_deg_s(integrate_root(np.asarray(features), 21).heading_rad, 30.0)


__all__ = ["physical", "turn_rate"]
