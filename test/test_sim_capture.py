"""The capture-point rows of the whole-body controller (molingo_ros.sim.capture): the capture
point of a CoM at rest and in motion, and the rows on a square support of known size, where
the bounds can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.sim.capture import (
    GRAVITY_M_S2,
    capture_point,
    capture_rows,
    pendulum_frequency,
)
from molingo_ros.sim.support import support_hull

SQUARE = np.array([[-0.1, -0.1], [0.1, -0.1], [0.1, 0.1], [-0.1, 0.1], [0.0, 0.0]])
HULL = support_hull(SQUARE)  # the four corners, counter-clockwise
HEIGHT = 0.7
OMEGA = np.sqrt(GRAVITY_M_S2 / HEIGHT)
JACOBIAN = np.hstack([np.eye(3), np.zeros((3, 2))])  # the CoM's acceleration is a[:3]


def test_the_capture_point_of_a_com_at_rest_and_in_motion():
    assert pendulum_frequency(HEIGHT) == pytest.approx(3.7436, abs=1e-4)  # sqrt(9.81 / 0.7)
    com = np.array([0.02, -0.01, HEIGHT])
    assert capture_point(com, np.zeros(3)) == pytest.approx(com[:2])
    moving = capture_point(com, np.array([0.3, 0.0, 0.0]))
    assert moving == pytest.approx([0.02 + 0.3 / OMEGA, -0.01])


def test_at_rest_in_the_middle_each_edge_allows_its_distance_less_the_margin():
    com = np.array([0.0, 0.0, HEIGHT])
    G, h = capture_rows(com, np.zeros(3), np.zeros(3), JACOBIAN, HULL, 0.1, 0.02)
    assert G.shape == (4, 5) and h == pytest.approx(np.full(4, 0.08))  # one row per edge
    # Accelerating forward at c'' moves the predicted capture point 0.1 c'' / omega ahead:
    # allowed up to 0.08 m, i.e. c'' <= 0.8 omega.
    limit = 0.8 * OMEGA
    for ax, ok in ((limit * 0.99, True), (limit * 1.01, False)):
        a = np.array([ax, 0, 0, 0, 0])
        assert bool(np.all(G @ a <= h)) is ok


def test_running_towards_the_edge_asks_for_a_deceleration():
    """Moving forward at 0.4 m/s from the middle: the capture point is 0.4 / omega ahead, past
    the front edge less the margin; only a backward acceleration satisfies the front row."""
    com, velocity = np.array([0.0, 0.0, HEIGHT]), np.array([0.4, 0.0, 0.0])
    G, h = capture_rows(com, velocity, np.zeros(3), JACOBIAN, HULL, 0.1, 0.02)
    front = int(np.argmax(G[:, 0]))
    assert h[front] < 0  # at a = 0 the front row is violated
    needed = -h[front] * OMEGA / 0.1  # m/s^2 backwards
    expected = (0.4 / OMEGA + 0.1 * 0.4) - 0.08
    assert needed == pytest.approx(expected * OMEGA / 0.1)
    assert np.all(G @ np.array([-needed * 1.01, 0, 0, 0, 0]) <= h)
    # The drift (acceleration at a = 0) counts like an acceleration.
    _, h_drift = capture_rows(com, velocity, np.array([-1.0, 0, 0]), JACOBIAN, HULL, 0.1, 0.02)
    assert h_drift[front] == pytest.approx(h[front] + 0.1 / OMEGA)
