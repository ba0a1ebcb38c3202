"""Tests of molingo_ros.motion.axes: file frames mapped onto the project's world frame
(metres, z up, x forward, y left)."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion.axes import to_world_matrix
from molingo_ros.motion.bvh import read_bvh
from molingo_ros.motion.convert import load_motion


def test_bandai_frame_y_up_z_forward() -> None:
    rot = to_world_matrix("y", "z")
    np.testing.assert_array_equal(rot, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(rot @ [0, 1, 0], [0, 0, 1])  # file up -> world z
    np.testing.assert_array_equal(rot @ [0, 0, 1], [1, 0, 0])  # file forward -> world x
    np.testing.assert_array_equal(rot @ [1, 0, 0], [0, 1, 0])  # file x -> world left


def test_world_frame_is_the_identity() -> None:
    np.testing.assert_array_equal(to_world_matrix("z", "x"), np.eye(3))
    np.testing.assert_array_equal(to_world_matrix(" +Z ", "X"), np.eye(3))


@pytest.mark.parametrize("up", ["x", "y", "z", "-x", "-y", "-z"])
@pytest.mark.parametrize("forward", ["x", "y", "z", "-x", "-y", "-z"])
def test_every_valid_pair_is_a_proper_rotation(up: str, forward: str) -> None:
    if up.strip("-") == forward.strip("-"):
        with pytest.raises(ValueError, match="must differ"):
            to_world_matrix(up, forward)
        return
    rot = to_world_matrix(up, forward)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=0)
    assert np.linalg.det(rot) == pytest.approx(1.0)
    sign = -1.0 if up.startswith("-") else 1.0
    up_vec = np.zeros(3)
    up_vec["xyz".index(up.strip("-"))] = sign
    np.testing.assert_array_equal(rot @ up_vec, [0, 0, 1])


def test_unknown_axis_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown axis 'w'; valid: x, y, z, -x, -y, -z"):
        to_world_matrix("w", "x")


def test_real_bandai_root_track_maps_to_world_metres(bandai_clip) -> None:
    """The Hips' position channels (cm, y up, z forward) are the loaded clip's root track."""
    path = bandai_clip("dataset-2_walk_normal_001")
    clip = read_bvh(path)
    hips = clip.joint_names.index("Hips")
    raw = np.stack([clip.channel(hips, f"{a}position") for a in "XYZ"], axis=1)
    world = raw @ to_world_matrix("y", "z").T * 0.01
    motion = load_motion(path)
    np.testing.assert_allclose(world, motion.positions_m[:, 0], atol=1e-12)
    assert 0.85 < world[:, 2].mean() < 1.0  # hip height above the floor, metres
    assert world[-1, 0] - world[0, 0] > 9.0  # this take walks ~10 m forward along +x
