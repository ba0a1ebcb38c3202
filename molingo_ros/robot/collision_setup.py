"""The self-collision pairs of a robot and their bounding volumes, built once per robot and
settings (:func:`collision_setup`, cached) for the validator's self-collision check
(:mod:`molingo_ros.robot.self_collision`) and the retargeter's repair
(:mod:`molingo_ros.robot.avoid`).

* **Pairs**: every pair of geometries on different links of ``Robot.collision_model`` (a
  copy; the robot's own model is not modified), optionally without adjacent links and without
  pairs already in collision at ``Robot.neutral()``.
* **Bounding spheres** (broad phase): one per geometry, fixed in its parent joint's frame, and
  per pair the distance beyond which the two cannot collide.
* **Convex hulls** (middle phase, :meth:`CollisionSetup.ensure_hulls`): the geometry with
  every mesh replaced by its convex hull, same pairs in the same order.

Spheres and hulls enclose the meshes, so filtering with them never drops a colliding pair.
Conventions: metres, joint frames of the pinocchio model.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field

import coal
import numpy as np
import pinocchio as pin

from molingo_ros.robot.models import Robot

__all__ = ["CollisionSetup", "collision_setup"]

#: Added to every broad-phase reach (metres): covers round-off between the numpy forward
#: kinematics and pinocchio's, and in coal's own tests. Far below any physical margin.
_BROADPHASE_SLACK_M = 1e-6

#: Added to the security margin of the convex-hull middle phase (metres), so that GJK's
#: tolerance on the hull distance can never clear a pair whose meshes collide.
_HULL_SLACK_M = 1e-4


@dataclass
class CollisionSetup:
    """Filtered collision pairs plus the broad-phase data.

    Attributes:
        geom_model, geom_data: the geometry copy with the filtered pair list, and its data.
        pair_names: geometry names of each pair, pair-index order.
        ignored: pairs dropped because they collide at the neutral pose.
        sphere_joint: (G,) parent joint of each geometry.
        sphere_centre: (G, 3) bounding-sphere centre of each geometry in its parent joint's
            frame, metres.
        pair_first, pair_second: (P,) geometry indices of each pair.
        pair_reach: (P,) the two sphere radii plus the coal security margin plus a small
            round-off allowance: a pair whose sphere centres are farther apart than this
            cannot collide (metres; -1 for a pair with a disabled geometry: never checked).
        margin: the coal security margin (``min_distance_m``, at least 0), metres.
        hull_model, hull_data, pair_hull: the middle phase, built on first use by
            :meth:`ensure_hulls`: ``geom_model`` with every mesh replaced by its convex
            hull (same pairs, same order), and per pair whether it has a hull to test.
    """

    geom_model: pin.GeometryModel
    geom_data: pin.GeometryData
    pair_names: list[tuple[str, str]]
    ignored: list[tuple[str, str]]
    sphere_joint: np.ndarray
    sphere_centre: np.ndarray
    pair_first: np.ndarray
    pair_second: np.ndarray
    pair_reach: np.ndarray
    margin: float = 0.0
    hull_model: pin.GeometryModel | None = None
    hull_data: pin.GeometryData | None = None
    pair_hull: list[bool] = field(default_factory=list)

    def ensure_hulls(self) -> None:
        """Build the convex-hull middle phase once (~0.15 s for the G1).

        A mesh lies inside its convex hull, so hulls farther apart than the security margin
        (plus :data:`_HULL_SLACK_M`) mean the meshes do not collide; hull-vs-hull GJK costs a
        few microseconds where coal's mesh-vs-mesh traversal of two nearby meshes costs 5-200.
        """
        if self.hull_model is not None:
            return
        hull_model = self.geom_model.copy()  # shares the coal geometries; objects are replaced
        replaced = [_use_convex_hull(obj) for obj in hull_model.geometryObjects]
        self.pair_hull = [
            replaced[int(i)] or replaced[int(k)]
            for i, k in zip(self.pair_first, self.pair_second, strict=True)
        ]
        self.hull_data = _make_geom_data(hull_model, self.margin + _HULL_SLACK_M)
        self.hull_model = hull_model


def _use_convex_hull(obj: pin.GeometryObject) -> bool:
    """Replace ``obj``'s mesh by its convex hull; False (left as is) for anything that is not
    a mesh of at least 4 vertices, or whose hull qhull cannot build."""
    geometry = obj.geometry
    if isinstance(geometry, coal.BVHModelBase) and geometry.num_vertices >= 4:
        try:
            mesh = geometry.clone()
            mesh.buildConvexHull(True, "Qt")
            if mesh.convex is not None and mesh.convex.num_points >= 4:
                obj.geometry = mesh.convex
                return True
        except (RuntimeError, ValueError):  # qhull failed (e.g. a flat mesh): keep it
            pass
    return False


_SETUPS: weakref.WeakKeyDictionary[Robot, dict[tuple, CollisionSetup]] = weakref.WeakKeyDictionary()


def _geometry_parent_joint(model: pin.Model, joint: int, with_geometry: set[int]) -> int:
    """Nearest strict ancestor of ``joint`` that carries geometry (0 if none)."""
    j = int(model.parents[joint])
    while j > 0 and j not in with_geometry:
        j = int(model.parents[j])
    return j


def _bounding_sphere(geometry: coal.CollisionGeometry) -> tuple[np.ndarray, float]:
    """Centre (geometry frame) and radius of a sphere enclosing ``geometry``.

    Meshes: the vertices' box centre and the farthest vertex (triangles are convex hulls of
    their vertices, so they lie inside too). Primitives: exact radius about their centre.
    Anything else: coal's local AABB (half diagonal). Coal's swept-sphere inflation of
    shapes is added. Unbounded geometry gets an infinite radius (never filtered out).
    """
    swept = (
        float(geometry.getSweptSphereRadius()) if hasattr(geometry, "getSweptSphereRadius") else 0.0
    )
    centre = np.zeros(3)
    radius: float | None = None
    if isinstance(geometry, coal.BVHModelBase) and geometry.num_vertices > 0:
        v = np.asarray(geometry.vertices(), dtype=np.float64).reshape(-1, 3)
        centre = (v.min(axis=0) + v.max(axis=0)) / 2.0
        radius = float(np.sqrt(np.max(np.sum((v - centre) ** 2, axis=1))))
    elif isinstance(geometry, coal.Sphere):
        radius = float(geometry.radius)
    elif isinstance(geometry, coal.Box):
        radius = float(np.linalg.norm(np.asarray(geometry.halfSide, dtype=np.float64)))
    elif isinstance(geometry, coal.Capsule):
        radius = float(geometry.radius + geometry.halfLength)
    elif isinstance(geometry, (coal.Cylinder, coal.Cone)):
        radius = float(math.hypot(geometry.radius, geometry.halfLength))
    elif isinstance(geometry, coal.Ellipsoid):
        radius = float(np.max(np.asarray(geometry.radii, dtype=np.float64)))
    else:
        g = geometry.clone()
        g.computeLocalAABB()
        lo = np.asarray(g.aabb_local.min_, dtype=np.float64)
        hi = np.asarray(g.aabb_local.max_, dtype=np.float64)
        if np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(hi >= lo):
            centre = (lo + hi) / 2.0
            radius = float(np.linalg.norm(hi - lo)) / 2.0
    if radius is None or not math.isfinite(radius):
        return np.zeros(3), math.inf
    return centre, radius + swept


def _make_geom_data(geom_model: pin.GeometryModel, margin: float) -> pin.GeometryData:
    """Geometry data of ``geom_model`` whose collision requests use the security ``margin``
    (metres; none when ``margin`` <= 0)."""
    geom_data = pin.GeometryData(geom_model)
    if margin > 0:
        for req in geom_data.collisionRequests:
            req.security_margin = margin
    return geom_data


def collision_setup(
    robot: Robot,
    *,
    min_distance_m: float = 0.0,
    filter_adjacent_links: bool = True,
    filter_neutral_collisions: bool = True,
) -> CollisionSetup:
    """Collision geometry copy with the filtered pair list for ``robot`` (cached per robot and
    settings). ``robot.collision_model`` itself is not modified.

    Args:
        robot: the robot (its collision geometry is loaded on first use).
        min_distance_m: a pair closer than this counts as colliding (the coal security
            margin), metres; 0 means actual contact/overlap only.
        filter_adjacent_links: leave out pairs of adjacent links (a link and its nearest
            geometry-carrying ancestor). Geometries on the same link are never paired.
        filter_neutral_collisions: leave out pairs already in collision at
            ``robot.neutral()`` (listed in :attr:`CollisionSetup.ignored`).
    """
    key = (float(min_distance_m), bool(filter_adjacent_links), bool(filter_neutral_collisions))
    cache = _SETUPS.setdefault(robot, {})
    if key in cache:
        return cache[key]

    geom = robot.collision_model.copy()
    geom.removeAllCollisionPairs()
    _add_link_pairs(robot.model, geom, filter_adjacent_links)
    ignored: list[tuple[str, str]] = []
    if filter_neutral_collisions and len(geom.collisionPairs) > 0:
        ignored = _remove_neutral_collisions(robot, geom, min_distance_m)
    objs = geom.geometryObjects
    pair_names = [(objs[p.first].name, objs[p.second].name) for p in geom.collisionPairs]

    centres, radii = _bounding_spheres(geom)
    first = np.array([p.first for p in geom.collisionPairs], dtype=np.int64)
    second = np.array([p.second for p in geom.collisionPairs], dtype=np.int64)
    margin = max(float(min_distance_m), 0.0)
    reach = radii[first] + radii[second] + margin + _BROADPHASE_SLACK_M
    # pin.computeCollisions skips pairs with a disabled geometry: never candidates either.
    disabled = np.array([bool(getattr(o, "disableCollision", False)) for o in objs], dtype=bool)
    if disabled.any():
        reach[disabled[first] | disabled[second]] = -1.0
    setup = CollisionSetup(
        geom,
        _make_geom_data(geom, min_distance_m),
        pair_names,
        ignored,
        sphere_joint=np.array([int(o.parentJoint) for o in objs], dtype=np.int64),
        sphere_centre=centres,
        pair_first=first,
        pair_second=second,
        pair_reach=reach,
        margin=margin,
    )
    cache[key] = setup
    return setup


def _add_link_pairs(model: pin.Model, geom: pin.GeometryModel, filter_adjacent: bool) -> None:
    """Add to ``geom`` every pair of geometries on different joints (links), except adjacent
    links when ``filter_adjacent``."""
    objs = geom.geometryObjects
    joints = [int(o.parentJoint) for o in objs]
    with_geometry = set(joints)
    geo_parent = {j: _geometry_parent_joint(model, j, with_geometry) for j in with_geometry}
    for i in range(len(objs)):
        for k in range(i + 1, len(objs)):
            ji, jk = joints[i], joints[k]
            if ji == jk:
                continue
            if filter_adjacent and (geo_parent[ji] == jk or geo_parent[jk] == ji):
                continue
            geom.addCollisionPair(pin.CollisionPair(i, k))


def _remove_neutral_collisions(
    robot: Robot, geom: pin.GeometryModel, min_distance_m: float
) -> list[tuple[str, str]]:
    """Remove from ``geom`` the pairs in collision at ``robot.neutral()``; their names."""
    model = robot.model
    objs = geom.geometryObjects
    data = model.createData()
    gdata = _make_geom_data(geom, min_distance_m)
    pin.computeCollisions(model, data, geom, gdata, robot.neutral(), False)
    # Copy the indices first: the pairs are references into the vector that removal shifts.
    bad = [
        (int(p.first), int(p.second))
        for p, res in zip(geom.collisionPairs, gdata.collisionResults, strict=True)
        if res.isCollision()
    ]
    for first, second in bad:
        geom.removeCollisionPair(pin.CollisionPair(first, second))
    return [(objs[first].name, objs[second].name) for first, second in bad]


def _bounding_spheres(geom: pin.GeometryModel) -> tuple[np.ndarray, np.ndarray]:
    """(G, 3) centres in each geometry's parent joint frame and (G,) radii, metres."""
    objs = geom.geometryObjects
    centres = np.zeros((len(objs), 3))
    radii = np.zeros(len(objs))
    for i, o in enumerate(objs):
        c, r = _bounding_sphere(o.geometry)
        centres[i] = o.placement.act(c) if math.isfinite(r) else o.placement.translation
        radii[i] = r
    return centres, radii
