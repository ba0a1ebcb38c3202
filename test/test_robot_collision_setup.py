"""Tests of molingo_ros.robot.collision_setup: the filtered self-collision pairs of the real
Unitree G1 (pinocchio + coal meshes), their bounding spheres and convex hulls, and the cache."""

from __future__ import annotations

import coal
import numpy as np
import pinocchio as pin
import pytest

from molingo_ros.robot.collision_setup import collision_setup
from molingo_ros.robot.models import load_robot


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def test_adjacent_links_are_filtered(g1):
    setup = collision_setup(g1)
    pairs = {frozenset(p) for p in setup.pair_names}
    assert frozenset(("left_knee_linkGeom_1", "left_hip_yaw_linkGeom_1")) not in pairs
    # Torso hangs from the pelvis through two geometry-less waist joints: still adjacent.
    assert frozenset(("pelvisGeom_2", "torso_linkGeom_1")) not in pairs
    assert frozenset(("torso_linkGeom_1", "left_elbow_linkGeom_1")) in pairs
    # Pair filtering works on a copy: the robot's own geometry model is untouched.
    assert len(g1.collision_model.collisionPairs) == 0
    # Unfiltered, the adjacent pairs are there.
    everything = collision_setup(g1, filter_adjacent_links=False, filter_neutral_collisions=False)
    names = {frozenset(p) for p in everything.pair_names}
    assert frozenset(("left_knee_linkGeom_1", "left_hip_yaw_linkGeom_1")) in names
    assert pairs < names


def test_geometries_on_one_link_are_never_paired(g1):
    setup = collision_setup(g1, filter_adjacent_links=False, filter_neutral_collisions=False)
    joints = setup.sphere_joint
    assert np.all(joints[setup.pair_first] != joints[setup.pair_second])
    objects = setup.geom_model.geometryObjects
    n = len(objects)
    per_joint = np.bincount(joints)
    same_link = int(sum(c * (c - 1) // 2 for c in per_joint))
    assert len(setup.pair_names) == n * (n - 1) // 2 - same_link
    # Pair indices, names and the geometry model's pair list agree.
    for k, pair in enumerate(setup.geom_model.collisionPairs):
        assert (pair.first, pair.second) == (setup.pair_first[k], setup.pair_second[k])
        assert setup.pair_names[k] == (objects[pair.first].name, objects[pair.second].name)


def test_bounding_spheres_enclose_meshes(g1):
    setup = collision_setup(g1)
    for i, obj in enumerate(setup.geom_model.geometryObjects):
        assert setup.sphere_joint[i] == obj.parentJoint
        if not isinstance(obj.geometry, coal.BVHModelBase):
            continue
        v = np.asarray(obj.geometry.vertices())
        in_joint = v @ obj.placement.rotation.T + obj.placement.translation
        dist = np.linalg.norm(in_joint - setup.sphere_centre[i], axis=1)
        reach = setup.pair_reach[(setup.pair_first == i) | (setup.pair_second == i)]
        # Each pair's reach holds both radii; it must cover this mesh's farthest vertex.
        assert np.all(reach >= dist.max())


def test_setups_are_cached_per_settings(g1):
    default = collision_setup(g1)
    assert collision_setup(g1) is default
    assert collision_setup(g1, min_distance_m=0) is default  # 0 and 0.0: one key
    margin = collision_setup(g1, min_distance_m=0.01)
    assert margin is not default
    assert margin.margin == 0.01 and default.margin == 0.0
    # Pairs within 1 cm at the neutral pose are dropped; the others' reach grows by exactly
    # the margin.
    assert set(margin.pair_names) < set(default.pair_names) and margin.ignored
    index = {p: k for k, p in enumerate(default.pair_names)}
    common = [index[p] for p in margin.pair_names]
    np.testing.assert_allclose(margin.pair_reach - default.pair_reach[common], 0.01, atol=1e-12)
    assert all(r.security_margin == 0.01 for r in margin.geom_data.collisionRequests)
    # A negative distance is no margin for the broad phase.
    assert collision_setup(g1, min_distance_m=-0.01).margin == 0.0


def test_convex_hulls_are_built_once(g1):
    setup = collision_setup(g1, min_distance_m=0.02)
    assert setup.hull_model is None and setup.pair_hull == []
    is_mesh = [isinstance(o.geometry, coal.BVHModelBase) for o in setup.geom_model.geometryObjects]
    setup.ensure_hulls()
    hull_model, hull_data = setup.hull_model, setup.hull_data
    assert len(hull_model.collisionPairs) == len(setup.pair_names)
    # Every mesh becomes its convex hull in the hull model (the geometry model keeps its
    # meshes); primitives (the G1's foot spheres, shoulder cylinders) stay as they are, and a
    # pair of two primitives has no hull to test.
    meshes, hulls = setup.geom_model.geometryObjects, hull_model.geometryObjects
    for was_mesh, mesh, hull in zip(is_mesh, meshes, hulls, strict=True):
        assert isinstance(mesh.geometry, coal.BVHModelBase) == was_mesh
        if was_mesh:
            assert isinstance(hull.geometry, coal.ConvexBase)
        else:
            assert type(hull.geometry) is type(mesh.geometry)
    want = [
        is_mesh[i] or is_mesh[k] for i, k in zip(setup.pair_first, setup.pair_second, strict=True)
    ]
    assert setup.pair_hull == want and 0.8 * len(want) < sum(want) < len(want)
    # Hull requests carry the margin plus a small slack.
    assert all(0.02 < r.security_margin < 0.021 for r in hull_data.collisionRequests)
    setup.ensure_hulls()
    assert setup.hull_model is hull_model and setup.hull_data is hull_data


def test_neutral_filter_drops_exactly_the_pairs_colliding_at_neutral(g1):
    everything = collision_setup(g1, filter_adjacent_links=False, filter_neutral_collisions=False)
    data = g1.model.createData()
    gm, gd = everything.geom_model, pin.GeometryData(everything.geom_model)
    pin.computeCollisions(g1.model, data, gm, gd, g1.neutral(), False)
    colliding = {
        everything.pair_names[k] for k, r in enumerate(gd.collisionResults) if r.isCollision()
    }
    assert colliding  # adjacent G1 links overlap at the neutral pose
    filtered = collision_setup(g1, filter_adjacent_links=False)
    assert set(filtered.ignored) == colliding
    assert set(filtered.pair_names) == set(everything.pair_names) - colliding
