"""Points kept inside a support polygon (molingo_ros.sim.support), on hand-made soles."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.sim.support import into_hull, into_polygon, support_hull

# Two 0.2 x 0.1 m soles side by side, 0.1 m apart: the hull is 0.2 x 0.3 m.
SOLES = np.array(
    [[0.0, 0.0], [0.2, 0.0], [0.2, 0.1], [0.0, 0.1], [0.0, 0.2], [0.2, 0.2], [0.2, 0.3], [0.0, 0.3]]
)


def test_a_point_well_inside_stays():
    assert into_polygon(np.array([0.1, 0.15]), SOLES, 0.02).tolist() == [0.1, 0.15]


def test_a_point_outside_comes_to_the_shrunk_edge():
    # The hull shrunk about its centre (0.1, 0.15) so that the nearest edge (x) is 0.02 in.
    got = into_polygon(np.array([0.5, 0.15]), SOLES, 0.02)
    assert got[0] == pytest.approx(0.18) and got[1] == pytest.approx(0.15)
    corner = into_polygon(np.array([-1.0, -1.0]), SOLES, 0.0)
    assert corner.tolist() == pytest.approx([0.0, 0.0])


def test_a_margin_wider_than_the_polygon_gives_its_centre():
    assert into_polygon(np.array([3.0, 3.0]), SOLES, 0.5).tolist() == pytest.approx([0.1, 0.15])


def test_the_hull_is_the_outer_corners_counter_clockwise_and_can_be_reused():
    hull = support_hull(SOLES)
    assert sorted(map(tuple, hull.tolist())) == [(0.0, 0.0), (0.0, 0.3), (0.2, 0.0), (0.2, 0.3)]
    edges = np.roll(hull, -1, axis=0) - hull
    assert np.all(
        edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1]
        - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
        > 0
    )
    point = np.array([0.5, 0.15])
    assert into_hull(point, hull, 0.02).tolist() == into_polygon(point, SOLES, 0.02).tolist()
