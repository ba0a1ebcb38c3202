"""Text-to-motion evaluation metrics (numpy only).

Embedding metrics follow the HumanML3D protocol of Guo et al. 2022 (as used by MARDM and
MoLingo), computed on the embeddings of a text–motion retrieval evaluator
(:mod:`molingo_ros.model.evaluation.evaluator`):

* :func:`frechet_distance` (FID) between two sets of motion embeddings,
* :func:`r_precision` (R@1/2/3 in shuffled batches of 32) and :func:`matching_score`
  (MM-Dist) between matched text and motion embeddings,
* :func:`diversity` and :func:`multimodality`,
* :func:`mean_and_ci95` over repeated evaluations.

Physical metrics work on joint positions ``(T, J, 3)`` in metres, z up, at ``fps`` frames per
second: :func:`foot_skating`, :func:`floor_penetration`, :func:`jerk` and
:func:`seam_jerk_ratio` (smoothness at the transitions of a composed sequence).

Distances between embeddings are Euclidean (the evaluator's embeddings are unit vectors, so
they lie in [0, 2]).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import linalg

__all__ = [
    "BANDAI_FOOT_REST_HEIGHTS_M",
    "diversity",
    "floor_penetration",
    "foot_skating",
    "frechet_distance",
    "frechet_distance_from_stats",
    "jerk",
    "matching_score",
    "mean_and_ci95",
    "multimodality",
    "r_precision",
    "seam_jerk_ratio",
]

BANDAI_FOOT_REST_HEIGHTS_M: tuple[float, float, float, float] = (0.12, 0.045, 0.12, 0.045)
"""Heights (m) of the Bandai rig's Foot_L, Toes_L, Foot_R, Toes_R joints above the floor when
the foot stands flat (measured on the data: ankles 11.7–12.1 cm, toes 4.2–4.6 cm)."""


def _as_2d(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"{name} must be an (N, D) array of embeddings, got shape {x.shape}")
    return x


# --------------------------------------------------------------------------------------------
# Distribution and retrieval metrics on embeddings
# --------------------------------------------------------------------------------------------


def frechet_distance_from_stats(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, eps: float = 1e-6
) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2):
    ``|mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 sqrt(sigma1 sigma2))``.

    A singular product gets ``eps`` added to both diagonals; the imaginary round-off of
    ``sqrtm`` is dropped (a large imaginary part raises ``ValueError``).
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1 = np.atleast_2d(sigma1).astype(np.float64)
    sigma2 = np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(
            f"mismatched statistics: means {mu1.shape} vs {mu2.shape}, "
            f"covariances {sigma1.shape} vs {sigma2.shape}"
        )
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(sigma1)) * eps
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(
                f"sqrtm gave an imaginary component {np.max(np.abs(covmean.imag)):.3g}"
            )
        covmean = covmean.real
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    return max(float(value), 0.0)  # round-off can make ~0 slightly negative


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FID between two sets of embeddings ``a`` (N, D) and ``b`` (M, D): the Fréchet distance of
    Gaussians fitted to each (sample mean, unbiased covariance). Identical sets give ~0."""
    a, b = _as_2d(a, "a"), _as_2d(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"embedding sizes differ: {a.shape[1]} vs {b.shape[1]}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"FID needs at least 2 samples per set, got {len(a)} and {len(b)}")
    return frechet_distance_from_stats(
        a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)
    )


def _pairwise_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(N, M) Euclidean distances between the rows of x and y."""
    sq = (x * x).sum(1)[:, None] - 2.0 * x @ y.T + (y * y).sum(1)[None, :]
    return np.sqrt(np.maximum(sq, 0.0))


def r_precision(
    text_emb: np.ndarray,
    motion_emb: np.ndarray,
    batch: int = 32,
    top_k: int = 3,
    rng: np.random.Generator | None = None,
    labels: Sequence | np.ndarray | None = None,
) -> np.ndarray:
    """R-precision (R@1..R@top_k): the matched pairs ``(text_emb[i], motion_emb[i])`` are shuffled
    into batches of ``batch`` (an incomplete last batch is dropped); in each batch every text
    ranks the batch's motions by Euclidean distance and counts a hit at k if its own motion is
    among the k nearest.

    Args:
        text_emb: (N, D) text embeddings.
        motion_emb: (N, D) motion embeddings, row i matching text row i.
        batch: batch size (32 in the HumanML3D protocol).
        top_k: largest k.
        rng: shuffles the pairs (default: seeded with 0).
        labels: optional (N,) labels; then a hit at k is any of the k nearest motions having the
            text's label (e.g. content-only retrieval), not only its own motion.

    Returns:
        (top_k,) fraction of texts with a hit within the top 1, 2, ..., top_k (chance at k is
        about k / batch).
    """
    text_emb, motion_emb = _as_2d(text_emb, "text_emb"), _as_2d(motion_emb, "motion_emb")
    if text_emb.shape != motion_emb.shape:
        raise ValueError(f"text {text_emb.shape} and motion {motion_emb.shape} shapes differ")
    n = len(text_emb)
    if n < batch:
        raise ValueError(f"R-precision needs at least batch={batch} pairs, got {n}")
    rng = rng if rng is not None else np.random.default_rng(0)
    lab = None if labels is None else np.asarray(labels)
    if lab is not None and len(lab) != n:
        raise ValueError(f"labels has {len(lab)} entries for {n} pairs")
    order = rng.permutation(n)
    hits = np.zeros(top_k)
    count = 0
    for start in range(0, n - batch + 1, batch):
        sel = order[start : start + batch]
        dist = _pairwise_distances(text_emb[sel], motion_emb[sel])
        ranked = np.argsort(dist, axis=1, kind="stable")[:, :top_k]  # (batch, top_k)
        if lab is None:
            correct = ranked == np.arange(batch)[:, None]
        else:
            correct = lab[sel][ranked] == lab[sel][:, None]
        hits += np.cumsum(correct, axis=1).clip(max=1).sum(0)
        count += batch
    return hits / count


def matching_score(text_emb: np.ndarray, motion_emb: np.ndarray) -> float:
    """MM-Dist: mean Euclidean distance between matched text and motion embeddings."""
    text_emb, motion_emb = _as_2d(text_emb, "text_emb"), _as_2d(motion_emb, "motion_emb")
    if text_emb.shape != motion_emb.shape:
        raise ValueError(f"text {text_emb.shape} and motion {motion_emb.shape} shapes differ")
    return float(np.linalg.norm(text_emb - motion_emb, axis=1).mean())


def _distinct_pairs(n: int, pairs: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``pairs`` random index pairs (i, j) with i != j from range(n)."""
    first = rng.integers(n, size=pairs)
    second = (first + rng.integers(1, n, size=pairs)) % n
    return first, second


def diversity(emb: np.ndarray, pairs: int = 300, rng: np.random.Generator | None = None) -> float:
    """Diversity: mean Euclidean distance between ``pairs`` random pairs of distinct samples
    of ``emb`` (N, D) (300 pairs in the HumanML3D protocol)."""
    emb = _as_2d(emb, "emb")
    if len(emb) < 2:
        raise ValueError(f"diversity needs at least 2 samples, got {len(emb)}")
    rng = rng if rng is not None else np.random.default_rng(0)
    i, j = _distinct_pairs(len(emb), pairs, rng)
    return float(np.linalg.norm(emb[i] - emb[j], axis=1).mean())


def multimodality(
    groups: Sequence[np.ndarray], pairs: int = 10, rng: np.random.Generator | None = None
) -> float:
    """MultiModality: for each prompt, the mean distance between ``pairs`` random pairs of
    distinct generations of that prompt (``groups[i]`` is (n_i, D), n_i >= 2), averaged over
    the prompts (10 pairs of 30 generations per prompt in the HumanML3D protocol)."""
    if len(groups) == 0:
        raise ValueError("multimodality needs at least one group of generations")
    rng = rng if rng is not None else np.random.default_rng(0)
    values = []
    for g, group in enumerate(groups):
        group = _as_2d(group, f"groups[{g}]")
        if len(group) < 2:
            raise ValueError(f"groups[{g}] has {len(group)} generation(s); needs at least 2")
        i, j = _distinct_pairs(len(group), pairs, rng)
        values.append(np.linalg.norm(group[i] - group[j], axis=1).mean())
    return float(np.mean(values))


def mean_and_ci95(values: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 95 % confidence half-width ``1.96 * std / sqrt(n)`` (population std, as the
    HumanML3D evaluation code) over repeats along axis 0; scalars for 1-d input."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError("mean_and_ci95 needs a non-empty sequence of repeats")
    mean = x.mean(0)
    ci = 1.96 * x.std(0) / np.sqrt(len(x))
    return mean, ci


# --------------------------------------------------------------------------------------------
# Physical metrics on joint positions
# --------------------------------------------------------------------------------------------


def _check_positions(positions: np.ndarray, min_frames: int = 1) -> np.ndarray:
    p = np.asarray(positions, dtype=np.float64)
    if p.ndim != 3 or p.shape[2] != 3:
        raise ValueError(f"positions must be (T, J, 3) metres, got shape {p.shape}")
    if len(p) < min_frames:
        raise ValueError(f"needs at least {min_frames} frames, got {len(p)}")
    return p


def foot_skating(
    positions: np.ndarray,
    fps: float,
    feet: Sequence[int],
    height_m: float = 0.02,
    reference_m: Sequence[float] | None = None,
    percentile: float = 5.0,
) -> float:
    """Foot skating: mean horizontal speed (m/s) of the feet while they are planted.

    ``feet`` lists joint indices as consecutive (ankle, toe) pairs, one pair per foot (for the
    Bandai rig: Foot_L, Toes_L, Foot_R, Toes_R). Between frames t and t+1 a foot is *planted*
    when both its joints are, in both frames, less than ``height_m`` above their reference
    height; its speed is then the smaller of its two joints' horizontal speeds (a foot rolling
    over its heel or toes keeps one joint still, a sliding foot moves both). The result is the
    mean of these speeds over all planted foot-steps, 0 when no foot is ever planted.

    Thresholds: a joint's reference height is ``reference_m`` (per joint in ``feet``, e.g.
    :data:`BANDAI_FOOT_REST_HEIGHTS_M`) or, by default, the ``percentile``-th percentile of its
    own height over the clip, so a clip floating or sunk by a constant offset is judged on its
    own floor (measure those with :func:`floor_penetration`). The 2 cm margin matches the data:
    ankle and toe joints stand 11.7–12.1 cm and 4.2–4.6 cm above the floor and the swing foot
    rises above the margin. On real Bandai clips this gives about 0.003 m/s for standing motions
    and 0.05–0.1 m/s for walks and runs (the margin still admits a few heel-strike frames).

    Args:
        positions: (T, J, 3) joint positions, metres, z up.
        fps: frames per second.
        feet: joint indices, (ankle, toe) pairs.
        height_m: margin above the reference height under which a joint is low (m).
        reference_m: per-joint reference heights (m), or None for the clip's percentile.
        percentile: the percentile of each joint's height used as its reference.

    Returns:
        Mean planted-foot horizontal speed (m/s).
    """
    p = _check_positions(positions, min_frames=2)
    feet = list(feet)
    if not feet or len(feet) % 2:
        raise ValueError(f"feet must list (ankle, toe) joint pairs, got {feet}")
    z = p[:, feet, 2]  # (T, F)
    if reference_m is None:
        ref = np.percentile(z, percentile, axis=0)
    else:
        ref = np.asarray(reference_m, dtype=np.float64)
        if ref.shape != (len(feet),):
            raise ValueError(f"reference_m needs {len(feet)} heights, got {ref.shape}")
    speed = np.linalg.norm(np.diff(p[:, feet, :2], axis=0), axis=-1) * fps  # (T-1, F)
    high = np.maximum(z[1:], z[:-1]) - ref  # height above reference over the step
    low = (high < height_m).reshape(len(speed), -1, 2).all(-1)  # (T-1, feet)
    foot_speed = speed.reshape(len(speed), -1, 2).min(-1)
    if not low.any():
        return 0.0
    return float(foot_speed[low].mean())


def floor_penetration(positions: np.ndarray, floor_m: float = 0.0) -> tuple[float, float]:
    """How far the joints go below the floor plane z = ``floor_m``.

    Per frame the depth is that of the lowest joint (0 when every joint is above the floor).
    Joints are inside the body (a standing Bandai toe joint is ~4 cm above the floor), so this
    measures skeleton, not skin, penetration.

    Returns:
        ``(mean depth over frames, max depth)`` in metres (>= 0).
    """
    p = _check_positions(positions)
    depth = np.maximum(floor_m - p[..., 2].min(axis=1), 0.0)
    return float(depth.mean()), float(depth.max())


def _frame_jerk(p: np.ndarray, fps: float) -> np.ndarray:
    """(T-3,) mean over joints of the third finite difference's norm (m/s^3); sample k uses
    frames k..k+3."""
    third = p[3:] - 3.0 * p[2:-1] + 3.0 * p[1:-2] - p[:-3]
    return np.linalg.norm(third, axis=-1).mean(axis=1) * fps**3


def jerk(positions: np.ndarray, fps: float) -> float:
    """Mean jerk (m/s^3): the norm of the third finite difference of each joint's position times
    ``fps^3``, averaged over joints and frames (0 for constant velocity or acceleration, 6a for
    the cubic ``a t^3``)."""
    p = _check_positions(positions, min_frames=4)
    return float(_frame_jerk(p, fps).mean())


def seam_jerk_ratio(
    positions: np.ndarray, fps: float, seams: Sequence[int], radius: int = 2
) -> float:
    """Mean jerk near the seams of a composed sequence over the mean jerk elsewhere.

    A seam ``s`` is the first frame of a new segment (the jump, if any, is between frames s-1
    and s, which affects jerk samples k = s-3..s-1, sample k using frames k..k+3). Sample k
    counts as near the seam when its centre ``k + 1.5`` is within ``radius`` frames of the
    jump at ``s - 0.5`` (radius 2: k = s-4..s). About 1 for seamless transitions; above 1 when
    the transitions are jerkier than the motion itself.

    Args:
        positions: (T, J, 3) metres.
        fps: frames per second.
        seams: first frames of the segments after the first (seams outside the clip are
            ignored).
        radius: frames around each seam (>= 0).

    Returns:
        The ratio (nan when there are no seam samples or no samples elsewhere; inf when the
        motion elsewhere has exactly zero jerk but the seams do not).
    """
    p = _check_positions(positions, min_frames=4)
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    per_frame = _frame_jerk(p, fps)
    k = np.arange(len(per_frame))
    near = np.zeros(len(per_frame), dtype=bool)
    for s in seams:
        near |= np.abs(k + 2 - int(s)) <= radius
    if not near.any() or near.all():
        return float("nan")
    seam, rest = per_frame[near].mean(), per_frame[~near].mean()
    if rest == 0.0:
        return float("inf") if seam > 0 else float("nan")
    return float(seam / rest)


def turn_rate_deg_s(heading_rad: np.ndarray, fps: float) -> float:
    """Net turning rate of a clip (deg/s, counter-clockwise positive seen from above): the
    change of the root heading (yaw about z, radians, unwrapped as integrated) from the first
    to the last frame over the clip's duration. A straight walk gives about 0, a quarter turn
    over 5 s 18 deg/s."""
    h = np.asarray(heading_rad, dtype=np.float64).reshape(-1)
    if len(h) < 2 or not np.all(np.isfinite(h)):
        raise ValueError("heading_rad must hold at least 2 finite values")
    return float(np.degrees(h[-1] - h[0]) * fps / (len(h) - 1))


def turn_rate_error(generated: Sequence[float], real: Sequence[float]) -> float:
    """Mean absolute difference (deg/s) between paired turning rates (see
    :func:`turn_rate_deg_s`): a generated "walk forward" that curves, or a turn that turns
    twice as far as the real take of the same label, both count."""
    g, r = np.asarray(generated, float), np.asarray(real, float)
    if g.shape != r.shape or g.ndim != 1 or len(g) == 0:
        raise ValueError(
            f"need two 1-D sequences of the same non-zero length, got {g.shape}, {r.shape}"
        )
    return float(np.mean(np.abs(g - r)))
