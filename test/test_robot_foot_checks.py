"""Tests of molingo_ros.robot.foot_checks on sole-centre tracks of the real Unitree G1
(``Robot.sole_positions`` at its neutral pose, moved)."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.robot.foot_checks import check_feet
from molingo_ros.robot.models import load_robot

FPS = 30.0
T = 20


@pytest.fixture(scope="module")
def standing_soles() -> np.ndarray:
    """(T, 2, 3) the G1's left/right sole centres at its neutral pose, metres."""
    g1 = load_robot("g1")
    soles = g1.sole_positions(g1.neutral())
    return np.tile(np.stack([soles["left"], soles["right"]]), (T, 1, 1))


def check(soles: np.ndarray):
    return check_feet(soles, FPS, 0.005, 0.02, 0.1)


def test_standing_is_clean(standing_soles):
    assert np.abs(standing_soles[..., 2]).max() < 1e-9  # the neutral pose stands on z = 0
    feet = check(standing_soles)
    assert feet.contact_fraction == 1.0
    assert not feet.penetration_bad.any() and feet.max_penetration_m == pytest.approx(0.0)
    assert feet.mean_skate_m_s == 0.0 and feet.skate_frames == 0


def test_penetration_beyond_the_tolerance(standing_soles):
    soles = standing_soles.copy()
    soles[5, 0, 2] = -0.004  # within the 5 mm tolerance
    soles[9, 1, 2] = -0.03
    feet = check(soles)
    assert np.flatnonzero(feet.penetration_bad).tolist() == [9]
    assert feet.max_penetration_m == pytest.approx(0.03)


def test_sliding_feet_skate(standing_soles):
    soles = standing_soles.copy()
    soles[:, :, 1] += (np.arange(T) / FPS)[:, None]  # both feet 1 m/s sideways
    feet = check(soles)
    assert feet.mean_skate_m_s == pytest.approx(1.0)
    assert feet.max_skate_m_s == pytest.approx(1.0)
    assert feet.skate_frames == T - 1
    # Slower than the threshold: still averaged, not counted as skating.
    slow = standing_soles.copy()
    slow[:, :, 0] += (0.05 * np.arange(T) / FPS)[:, None]
    feet = check(slow)
    assert feet.mean_skate_m_s == pytest.approx(0.05) and feet.skate_frames == 0


def test_only_contact_steps_count(standing_soles):
    soles = standing_soles.copy()
    soles[:, 0, 0] += 2.0 * np.arange(T) / FPS  # the left foot swings forward at 2 m/s ...
    soles[:, 0, 2] = 0.10  # ... 10 cm up: no contact
    soles[10, 1, 2] = 0.05  # the right foot leaves the floor for one frame
    feet = check(soles)
    assert feet.contact_fraction == pytest.approx((T - 1) / (2 * T))
    assert feet.mean_skate_m_s == 0.0 and feet.skate_frames == 0
    # Sliding while in contact at both ends of a step is skating; the swing is not.
    soles[:, 1, 0] += 0.5 * np.arange(T) / FPS
    feet = check(soles)
    assert feet.skate_frames == T - 3  # the two steps touching frame 10 are not contact steps
    assert feet.mean_skate_m_s == pytest.approx(0.5)


def test_single_frame(standing_soles):
    feet = check(standing_soles[:1])
    assert feet.skate_frames == 0 and feet.max_skate_m_s == 0.0
    assert feet.penetration_bad.shape == (1,)
