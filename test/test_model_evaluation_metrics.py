"""Text-to-motion metrics against known answers (and real Bandai clips for the physical ones)."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.model.evaluation import metrics
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.features import features_to_positions
from molingo_ros.motion.rigs import BANDAI

FPS = 30.0
FEET = [BANDAI.index(j) for j in BANDAI.feet]


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(progress=False)


def _positions(dataset, name: str) -> np.ndarray:
    positions, _ = features_to_positions(dataset.clip_features(dataset.find(name)), 21)
    return positions


# -- embeddings -------------------------------------------------------------------------------
def test_fid_identical_sets_is_zero():
    a = np.random.default_rng(0).normal(size=(500, 16))
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_fid_of_shifted_set_is_squared_shift():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(400, 8))
    shift = rng.normal(size=8)
    # same sample covariance: the trace term vanishes exactly
    assert metrics.frechet_distance(a, a + shift) == pytest.approx(shift @ shift, rel=1e-6)


def test_fid_of_gaussians_matches_closed_form():
    rng = np.random.default_rng(2)
    mu1, mu2 = np.zeros(4), np.array([1.0, -2.0, 0.5, 0.0])
    s1, s2 = np.array([1.0, 2.0, 0.5, 1.0]), np.array([4.0, 0.5, 0.5, 2.0])  # std devs
    a = mu1 + s1 * rng.normal(size=(200_000, 4))
    b = mu2 + s2 * rng.normal(size=(200_000, 4))
    expected = ((mu1 - mu2) ** 2).sum() + ((s1 - s2) ** 2).sum()  # diagonal covariances
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=0.02)
    stats = metrics.frechet_distance_from_stats(mu1, np.diag(s1**2), mu2, np.diag(s2**2))
    assert stats == pytest.approx(expected, rel=1e-9)


def test_fid_of_rank_deficient_sets_is_finite():
    a = np.random.default_rng(3).normal(size=(5, 20))  # covariance of rank 4
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-5)


def test_r_precision_of_matched_embeddings_is_one():
    emb = np.random.default_rng(4).normal(size=(320, 32))
    np.testing.assert_allclose(metrics.r_precision(emb, emb.copy()), [1.0, 1.0, 1.0])
    assert metrics.matching_score(emb, emb) == 0.0


def test_r_precision_of_random_embeddings_is_chance():
    rng = np.random.default_rng(5)
    text, motion = rng.normal(size=(32 * 400, 16)), rng.normal(size=(32 * 400, 16))
    r = metrics.r_precision(text, motion, rng=rng)
    np.testing.assert_allclose(r, np.arange(1, 4) / 32, atol=0.01)


def test_r_precision_with_labels_counts_any_same_label_motion():
    rng = np.random.default_rng(6)
    centres = rng.normal(size=(2, 8)) * 10
    labels = np.arange(64) % 2
    text = centres[labels] + rng.normal(size=(64, 8)) * 0.01
    motion = centres[labels] + rng.normal(size=(64, 8)) * 0.01
    np.testing.assert_allclose(metrics.r_precision(text, motion, labels=labels), [1, 1, 1])
    # without labels, the own motion is one of 16 equally close ones: ~1/16 at R@1
    assert metrics.r_precision(text, motion)[0] < 0.3


def test_matching_score_and_diversity_of_known_sets():
    text = np.zeros((10, 3))
    motion = np.tile([3.0, 4.0, 0.0], (10, 1))
    assert metrics.matching_score(text, motion) == pytest.approx(5.0)
    simplex = np.eye(5) * 2.0  # every pair of distinct rows is 2 * sqrt(2) apart
    assert metrics.diversity(simplex, pairs=300) == pytest.approx(2.0 * np.sqrt(2.0))
    groups = [np.eye(3) * 3.0, np.eye(4) * 1.0]
    assert metrics.multimodality(groups, pairs=10) == pytest.approx(np.sqrt(2.0) * 2.0)


def test_mean_and_ci95():
    mean, ci = metrics.mean_and_ci95([1.0, 2.0, 3.0, 4.0])
    assert mean == pytest.approx(2.5)
    assert ci == pytest.approx(1.96 * np.std([1, 2, 3, 4]) / 2.0)
    means, cis = metrics.mean_and_ci95(np.array([[1.0, 0.0], [3.0, 0.0]]))
    np.testing.assert_allclose(means, [2.0, 0.0])
    np.testing.assert_allclose(cis, [1.96 / np.sqrt(2), 0.0])


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.r_precision(np.zeros((64, 3)), np.zeros((64, 4)))
    with pytest.raises(ValueError, match="at least batch"):
        metrics.r_precision(np.zeros((10, 3)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"\(T, J, 3\)"):
        metrics.jerk(np.zeros((10, 3)), FPS)


# -- physical ---------------------------------------------------------------------------------
def test_jerk_of_constant_velocity_is_zero_and_of_cubic_known():
    t = np.arange(60) / FPS
    track = np.zeros((60, 2, 3))
    track[:, :, 0] = 1.5 * t[:, None] + 0.3
    track[:, 1, 2] = 2.0 * t**2  # constant acceleration: still no jerk
    assert metrics.jerk(track, FPS) == pytest.approx(0.0, abs=1e-6)
    cubic = np.zeros((60, 1, 3))
    cubic[:, 0, 1] = 0.7 * t**3  # third derivative 6 * 0.7
    assert metrics.jerk(cubic, FPS) == pytest.approx(4.2, rel=1e-6)


def test_seam_jerk_ratio_detects_a_jump():
    t = np.arange(90) / FPS
    track = np.zeros((90, 1, 3))
    track[:, 0, 0], track[:, 0, 1] = np.cos(3.0 * t), np.sin(3.0 * t)  # constant jerk 27 m/s^3
    assert metrics.seam_jerk_ratio(track, FPS, [45]) == pytest.approx(1.0, rel=1e-3)
    jumped = track.copy()
    jumped[45:, 0, 0] += 0.05  # a 5 cm pop at the seam
    assert metrics.seam_jerk_ratio(jumped, FPS, [45]) > 10
    assert np.isnan(metrics.seam_jerk_ratio(track, FPS, [500]))


def test_foot_skating_of_standing_clip_is_small_and_of_sliding_clip_is_speed(dataset):
    standing = _positions(dataset, "dataset-2_raise-up-both-hands_normal_001")
    assert metrics.foot_skating(standing, FPS, FEET) < 0.02
    assert (
        metrics.foot_skating(standing, FPS, FEET, reference_m=metrics.BANDAI_FOOT_REST_HEIGHTS_M)
        < 0.02
    )
    sliding = standing.copy()
    sliding[..., 0] += (np.arange(len(standing)) / FPS)[:, None]  # +1 m/s along x
    assert metrics.foot_skating(sliding, FPS, FEET) == pytest.approx(1.0, abs=0.03)


def test_foot_skating_of_real_walk_is_low(dataset):
    walk = _positions(dataset, "dataset-2_walk_normal_001")
    assert metrics.foot_skating(walk, FPS, FEET) < 0.15  # feet planted, swing foot excluded
    floating = walk + np.array([0.0, 0.0, 0.5])
    # absolute reference heights: a foot half a metre up is never planted
    assert metrics.foot_skating(floating, FPS, FEET, reference_m=(0.12, 0.045) * 2) == 0.0


def test_floor_penetration_of_lowered_clip(dataset):
    standing = _positions(dataset, "dataset-2_raise-up-both-hands_normal_001")
    mean, deepest = metrics.floor_penetration(standing)
    assert mean == 0.0 and deepest == 0.0  # toes stay ~4 cm up
    lowest = standing[..., 2].min()
    lowered = standing - np.array([0.0, 0.0, lowest + 0.05])  # lowest joint 5 cm under
    mean, deepest = metrics.floor_penetration(lowered)
    assert deepest == pytest.approx(0.05, abs=1e-9)
    assert mean == pytest.approx(0.05, abs=0.005)


def test_turn_rate_of_known_headings():
    heading = np.linspace(0.0, np.pi / 2, 151)  # a quarter turn over 150 frames = 5 s
    assert metrics.turn_rate_deg_s(heading, FPS) == pytest.approx(18.0)
    assert metrics.turn_rate_deg_s(-heading, FPS) == pytest.approx(-18.0)
    assert metrics.turn_rate_error([18.0, 0.0], [9.0, -3.0]) == pytest.approx(6.0)
    with pytest.raises(ValueError):
        metrics.turn_rate_deg_s(np.array([0.0]), FPS)
    with pytest.raises(ValueError):
        metrics.turn_rate_error([1.0], [1.0, 2.0])


def test_turn_rate_of_real_walks_and_turns(dataset):
    """Straight walks barely turn; turning walks turn left (positive) or right, and a mirrored
    take turns the other way by the same amount."""
    from molingo_ros.motion.features import integrate_root

    def rate(i: int) -> float:
        return metrics.turn_rate_deg_s(
            integrate_root(dataset.clip_features(i), 21).heading_rad, FPS
        )

    by_content: dict[str, list[float]] = {}
    for i in dataset.indices("test", mirrored=False):
        content = dataset.records[i].content
        if content in ("walk", "walk-turn-left", "walk-turn-right"):
            by_content.setdefault(content, []).append(rate(i))
    assert abs(np.mean(by_content["walk"])) < 2.0
    assert np.mean(by_content["walk-turn-left"]) > 10.0
    assert np.mean(by_content["walk-turn-right"]) < -10.0
    source = next(
        i
        for i in dataset.indices("test", mirrored=False)
        if dataset.records[i].content == "walk-turn-left"
    )
    mirror = dataset.find(dataset.records[source].name + "_mirror")
    assert dataset.records[mirror].content == "walk-turn-right"
    assert rate(mirror) == pytest.approx(-rate(source), abs=1.0)
