"""Tests of molingo_ros.robot.self_collision on real mocap: a Bandai Namco sword slash
retargeted onto the real Unitree G1 with the retargeter's collision repair off, so the arms
pass through the torso (pinocchio + coal meshes)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from robot_helpers import unrepaired_slash

from molingo_ros.robot.batch_kinematics import joint_placements
from molingo_ros.robot.collision_setup import collision_setup
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.self_collision import broadphase_candidates, self_collisions


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


@pytest.fixture(scope="module")
def slash_q(bandai_clip, g1) -> np.ndarray:
    """(120, nq) G1 configurations of the slash, unrepaired (unit root quaternions)."""
    return unrepaired_slash(bandai_clip, g1, 120).qpos


@pytest.mark.parametrize("margin", [0.0, 0.01])
def test_broadphase_matches_exhaustive(g1, slash_q, margin):
    setup = collision_setup(g1, min_distance_m=margin)
    q = slash_q[::2]
    rot, pos = joint_placements(g1.model, q)
    fast = self_collisions(g1, setup, q, rot, pos, broadphase=True)
    slow = self_collisions(g1, setup, q, rot, pos, broadphase=False)
    assert fast == slow
    # The motion really exercises the check: the arms cut through the torso in many frames.
    assert len(slow) >= 20
    pairs = {p for ps in slow.values() for p in ps}
    assert any("torso" in a and "shoulder" in b for a, b in pairs)
    for hits in slow.values():
        assert hits == sorted(hits, key=setup.pair_names.index)  # pair-index order


def test_broadphase_covers_every_collision_and_prunes(g1, slash_q):
    setup = collision_setup(g1)
    rot, pos = joint_placements(g1.model, slash_q)
    cand = broadphase_candidates(setup, rot, pos)
    assert cand.shape == (len(slash_q), len(setup.pair_names))
    index = {p: i for i, p in enumerate(setup.pair_names)}
    collisions = self_collisions(g1, setup, slash_q, rot, pos, broadphase=False)
    for t, pairs in collisions.items():
        assert all(cand[t, index[p]] for p in pairs)
    # ... and the narrow phase sees only a few percent of the pairs.
    assert cand.sum(axis=1).mean() < 0.1 * len(setup.pair_names)


def test_broadphase_chunks_join_seamlessly(g1, slash_q):
    setup = collision_setup(g1)
    q = np.concatenate([slash_q] * 9)  # 1080 frames: more than one 1024-frame chunk
    rot, pos = joint_placements(g1.model, q)
    cand = broadphase_candidates(setup, rot, pos)
    one = broadphase_candidates(setup, *joint_placements(g1.model, slash_q))
    np.testing.assert_array_equal(cand, np.concatenate([one] * 9))


def test_standing_still_and_no_pairs(g1):
    setup = collision_setup(g1)
    q = np.tile(g1.neutral(), (4, 1))
    rot, pos = joint_placements(g1.model, q)
    assert self_collisions(g1, setup, q, rot, pos, broadphase=True) == {}
    empty = replace(
        setup,
        pair_names=[],
        pair_first=np.zeros(0, dtype=np.int64),
        pair_second=np.zeros(0, dtype=np.int64),
        pair_reach=np.zeros(0),
    )
    assert broadphase_candidates(empty, rot, pos).shape == (4, 0)
    assert self_collisions(g1, empty, q, rot, pos, broadphase=False) == {}
