"""Physical plausibility checks for a robot motion (a ``(T, nq)`` configuration sequence).

:func:`validate` checks, frame by frame:

* joint position limits (``Robot.lower`` / ``Robot.upper`` plus a tolerance);
* joint velocity (finite differences of the joint angles times ``fps``) against
  ``Robot.velocity_limits`` and joint acceleration against one global limit;
* self-collision of the collision geometry (pinocchio + coal), over a filtered pair list:
  a bounding-sphere broad phase over all frames at once (numpy), a convex-hull middle phase
  (GJK) and coal's mesh narrow phase only for the pairs that pass both; the colliding pairs
  are exactly those of checking every pair with coal;
* foot-floor penetration: the sole centres (``Robot.sole_positions``) below z = 0;
* foot sliding: horizontal sole speed while the sole is within the contact height;
* keypoint error against human targets (``Robot.keypoint_positions`` vs the targets).

A frame is *rejected* (``ValidationReport.frame_ok[t]`` false) if it breaks a position limit,
a velocity limit (the velocity from frame ``t - 1`` to ``t`` counts against frame ``t``), has a
self-collision or a foot penetration beyond the tolerance. Acceleration, skating and keypoint
error are reported but do not reject frames.

Conventions as in :mod:`molingo_ros.robot.models`: metres, radians, z up, floor at z = 0.
"""

from __future__ import annotations

import json
import math
import weakref
from dataclasses import dataclass, field
from typing import Any

import coal
import numpy as np
import pinocchio as pin

from molingo_ros.robot.models import Robot


@dataclass(frozen=True)
class ValidatorConfig:
    """Thresholds of :func:`validate`.

    Attributes:
        position_tolerance_rad: a joint angle may exceed its limit by this much (rad).
        acceleration_limit_rad_s2: joint acceleration limit, rad/s^2, the same for all joints.
            Neither the MJCF nor the URDF of the robots here give one; 200 rad/s^2 is a
            generous bound for human-like motion (a 37 rad/s joint reaches full speed in
            ~0.2 s) that flags finite-difference spikes from retargeting glitches.
        self_collision: run the self-collision check (loads the collision geometry, ~0.7 s
            once per robot for the G1).
        min_collision_distance_m: a pair closer than this counts as colliding (the coal
            security margin); 0 means actual contact/overlap only.
        filter_adjacent_links: never check a link against its parent or child link. Links
            are the bodies that carry geometry: a joint's geometry is checked against the
            geometry of its nearest geometry-carrying ancestor joint only when this is false
            (e.g. the G1 torso is adjacent to the pelvis through two geometry-less waist
            joints). Geometries on the same link are never checked against each other.
        filter_neutral_collisions: drop pairs that are already in collision at
            ``Robot.neutral()`` (overlapping meshes by design); they are listed in
            :attr:`ValidationReport.ignored_collision_pairs`.
        collision_broadphase: before coal's mesh narrow phase, drop the (frame, pair)
            samples whose bounding spheres (one per geometry, fixed in its joint frame) are
            farther apart than ``min_collision_distance_m`` (all frames at once in numpy),
            then those whose convex hulls are (GJK). Spheres and hulls enclose the meshes, so
            the colliding pairs are the same as without it; false checks every pair in every
            frame with ``pin.computeCollisions`` (the reference, 3-8x slower on the G1).
        foot_penetration_tolerance_m: a sole centre may be this far below z = 0.
        contact_height_m: a sole centre at or below this height is in contact with the floor.
        skate_speed_m_s: a contact sample faster than this (horizontal sole speed) counts as a
            skating sample in :attr:`ValidationReport.foot_skate_frames`.
    """

    position_tolerance_rad: float = 1e-6
    acceleration_limit_rad_s2: float = 200.0
    self_collision: bool = True
    min_collision_distance_m: float = 0.0
    filter_adjacent_links: bool = True
    filter_neutral_collisions: bool = True
    collision_broadphase: bool = True
    foot_penetration_tolerance_m: float = 0.005
    contact_height_m: float = 0.02
    skate_speed_m_s: float = 0.1


@dataclass
class ValidationReport:
    """Result of :func:`validate`. Counts are of (frame, joint) samples unless noted.

    Attributes:
        frames: number of frames T.
        fps: frame rate used for the finite differences.
        joint_limit_violations: (frame, joint) samples outside [lower - tol, upper + tol].
        velocity_limit_violations: (frame, joint) samples with |velocity| above the limit.
        acceleration_limit_violations: (frame, joint) samples with |acceleration| above the
            limit.
        self_collision_frames: frames with at least one colliding pair.
        mean_keypoint_error_m, max_keypoint_error_m: over all (frame, keypoint) samples;
            None without targets.
        max_foot_penetration_m: deepest sole centre below z = 0 (0 if none), metres.
        foot_skate_m_per_s: mean horizontal sole speed over contact samples (both feet;
            0 if there are none), m/s.
        frame_ok: (T,) bool, false for rejected frames.
        keypoint_errors_m: keypoint -> {"mean": m, "max": m}; empty without targets.
        joint_limit_violations_by_joint, velocity_limit_violations_by_joint: joint name ->
            count, only joints with violations.
        max_velocity_ratio: largest |velocity| / limit over all samples (0 for T < 2).
        max_acceleration_rad_s2: largest |acceleration| (0 for T < 3).
        collisions: frame index -> colliding pairs (geometry names), only colliding frames.
        checked_collision_pairs: number of pairs checked per frame (0 if disabled).
        ignored_collision_pairs: pairs dropped because they collide at the neutral pose.
        foot_contact_fraction: fraction of (frame, foot) samples in contact.
        foot_skate_frames: frames where a foot in contact moves faster than the threshold.
        max_foot_skate_m_per_s: fastest contact sample, m/s.
        penetration_frames: frames where a sole is below z = -tolerance.
    """

    frames: int
    fps: float
    joint_limit_violations: int
    velocity_limit_violations: int
    acceleration_limit_violations: int
    self_collision_frames: int
    mean_keypoint_error_m: float | None
    max_keypoint_error_m: float | None
    max_foot_penetration_m: float
    foot_skate_m_per_s: float
    frame_ok: np.ndarray
    keypoint_errors_m: dict[str, dict[str, float]] = field(default_factory=dict)
    joint_limit_violations_by_joint: dict[str, int] = field(default_factory=dict)
    velocity_limit_violations_by_joint: dict[str, int] = field(default_factory=dict)
    max_velocity_ratio: float = 0.0
    max_acceleration_rad_s2: float = 0.0
    collisions: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    checked_collision_pairs: int = 0
    ignored_collision_pairs: list[tuple[str, str]] = field(default_factory=list)
    foot_contact_fraction: float = 0.0
    foot_skate_frames: int = 0
    max_foot_skate_m_per_s: float = 0.0
    penetration_frames: int = 0

    @property
    def rejected_frames(self) -> list[int]:
        """Indices of the rejected frames."""
        return [int(i) for i in np.flatnonzero(~np.asarray(self.frame_ok, dtype=bool))]

    @property
    def ok(self) -> bool:
        """True if no frame is rejected."""
        return bool(np.all(self.frame_ok))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: plain ints/floats/strings/lists; ``frame_ok`` is replaced by
        ``rejected_frames`` (indices) and ``ok``; collision frames are string keys."""

        def opt(x: float | None) -> float | None:
            return None if x is None else float(x)

        return {
            "frames": int(self.frames),
            "fps": float(self.fps),
            "ok": self.ok,
            "rejected_frames": self.rejected_frames,
            "joint_limit_violations": int(self.joint_limit_violations),
            "velocity_limit_violations": int(self.velocity_limit_violations),
            "acceleration_limit_violations": int(self.acceleration_limit_violations),
            "self_collision_frames": int(self.self_collision_frames),
            "mean_keypoint_error_m": opt(self.mean_keypoint_error_m),
            "max_keypoint_error_m": opt(self.max_keypoint_error_m),
            "max_foot_penetration_m": float(self.max_foot_penetration_m),
            "foot_skate_m_per_s": float(self.foot_skate_m_per_s),
            "keypoint_errors_m": {
                k: {s: float(v) for s, v in d.items()} for k, d in self.keypoint_errors_m.items()
            },
            "joint_limit_violations_by_joint": {
                k: int(v) for k, v in self.joint_limit_violations_by_joint.items()
            },
            "velocity_limit_violations_by_joint": {
                k: int(v) for k, v in self.velocity_limit_violations_by_joint.items()
            },
            "max_velocity_ratio": float(self.max_velocity_ratio),
            "max_acceleration_rad_s2": float(self.max_acceleration_rad_s2),
            "collisions": {
                str(int(t)): [[str(a), str(b)] for a, b in pairs]
                for t, pairs in self.collisions.items()
            },
            "checked_collision_pairs": int(self.checked_collision_pairs),
            "ignored_collision_pairs": [[str(a), str(b)] for a, b in self.ignored_collision_pairs],
            "foot_contact_fraction": float(self.foot_contact_fraction),
            "foot_skate_frames": int(self.foot_skate_frames),
            "max_foot_skate_m_per_s": float(self.max_foot_skate_m_per_s),
            "penetration_frames": int(self.penetration_frames),
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON text (``kwargs`` go to ``json.dumps``)."""
        return json.dumps(self.to_dict(), **kwargs)


# --------------------------------------------------------------------------------------------
# Collision pair filtering (cached per robot and settings)
# --------------------------------------------------------------------------------------------


@dataclass
class _CollisionSetup:
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
            cannot collide.
        margin: the coal security margin (``min_collision_distance_m``, at least 0).
        hull_model, hull_data, pair_hull: the middle phase, built on first use by
            :func:`_ensure_hulls`: ``geom_model`` with every mesh replaced by its convex
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


_SETUPS: weakref.WeakKeyDictionary[Robot, dict[tuple, _CollisionSetup]] = (
    weakref.WeakKeyDictionary()
)


def _geometry_parent_joint(model: pin.Model, joint: int, with_geometry: set[int]) -> int:
    """Nearest strict ancestor of ``joint`` that carries geometry (0 if none)."""
    j = int(model.parents[joint])
    while j > 0 and j not in with_geometry:
        j = int(model.parents[j])
    return j


#: Added to every broad-phase reach (metres): covers round-off between the numpy forward
#: kinematics and pinocchio's, and in coal's own tests. Far below any physical margin.
_BROADPHASE_SLACK_M = 1e-6

#: Added to the security margin of the convex-hull middle phase (metres), so that GJK's
#: tolerance on the hull distance can never clear a pair whose meshes collide.
_HULL_SLACK_M = 1e-4


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


def _ensure_hulls(setup: _CollisionSetup) -> None:
    """Build the convex-hull middle phase of ``setup`` once (~0.15 s for the G1).

    A mesh lies inside its convex hull, so hulls farther apart than the security margin
    (plus :data:`_HULL_SLACK_M`) mean the meshes do not collide; hull-vs-hull GJK costs a few
    microseconds where coal's mesh-vs-mesh traversal of two nearby meshes costs 5-200.
    """
    if setup.hull_model is not None:
        return
    hull_model = setup.geom_model.copy()  # shares the coal geometries; objects are replaced
    replaced = []
    for obj in hull_model.geometryObjects:
        geometry = obj.geometry
        done = False
        if isinstance(geometry, coal.BVHModelBase) and geometry.num_vertices >= 4:
            try:
                mesh = geometry.clone()
                mesh.buildConvexHull(True, "Qt")
                if mesh.convex is not None and mesh.convex.num_points >= 4:
                    obj.geometry = mesh.convex
                    done = True
            except (RuntimeError, ValueError):  # qhull failed (e.g. a flat mesh): keep it
                pass
        replaced.append(done)
    setup.pair_hull = [
        replaced[int(i)] or replaced[int(k)]
        for i, k in zip(setup.pair_first, setup.pair_second, strict=True)
    ]
    setup.hull_data = _make_geom_data(hull_model, setup.margin + _HULL_SLACK_M)
    setup.hull_model = hull_model


def _make_geom_data(geom_model: pin.GeometryModel, margin: float) -> pin.GeometryData:
    geom_data = pin.GeometryData(geom_model)
    if margin > 0:
        for req in geom_data.collisionRequests:
            req.security_margin = margin
    return geom_data


def collision_setup(robot: Robot, config: ValidatorConfig | None = None) -> _CollisionSetup:
    """Collision geometry copy with the filtered pair list for ``robot`` under ``config``
    (cached). ``robot.collision_model`` itself is not modified."""
    config = config or ValidatorConfig()
    key = (
        float(config.min_collision_distance_m),
        bool(config.filter_adjacent_links),
        bool(config.filter_neutral_collisions),
    )
    cache = _SETUPS.setdefault(robot, {})
    if key in cache:
        return cache[key]

    model = robot.model
    geom = robot.collision_model.copy()
    geom.removeAllCollisionPairs()
    objs = geom.geometryObjects
    joints = [int(o.parentJoint) for o in objs]
    with_geometry = set(joints)
    geo_parent = {j: _geometry_parent_joint(model, j, with_geometry) for j in with_geometry}
    for i in range(len(objs)):
        for k in range(i + 1, len(objs)):
            ji, jk = joints[i], joints[k]
            if ji == jk:
                continue
            if config.filter_adjacent_links and (geo_parent[ji] == jk or geo_parent[jk] == ji):
                continue
            geom.addCollisionPair(pin.CollisionPair(i, k))

    ignored: list[tuple[str, str]] = []
    if config.filter_neutral_collisions and len(geom.collisionPairs) > 0:
        data = model.createData()
        gdata = _make_geom_data(geom, config.min_collision_distance_m)
        pin.computeCollisions(model, data, geom, gdata, robot.neutral(), False)
        bad = [
            p
            for p, res in zip(geom.collisionPairs, gdata.collisionResults, strict=True)
            if res.isCollision()
        ]
        for p in bad:
            ignored.append((objs[p.first].name, objs[p.second].name))
            geom.removeCollisionPair(pin.CollisionPair(p.first, p.second))

    pair_names = [(objs[p.first].name, objs[p.second].name) for p in geom.collisionPairs]

    # Broad phase: one bounding sphere per geometry, in its parent joint's frame.
    centres = np.zeros((len(objs), 3))
    radii = np.zeros(len(objs))
    for i, o in enumerate(objs):
        c, r = _bounding_sphere(o.geometry)
        centres[i] = o.placement.act(c) if math.isfinite(r) else o.placement.translation
        radii[i] = r
    first = np.array([p.first for p in geom.collisionPairs], dtype=np.int64)
    second = np.array([p.second for p in geom.collisionPairs], dtype=np.int64)
    margin = max(float(config.min_collision_distance_m), 0.0)
    reach = radii[first] + radii[second] + margin + _BROADPHASE_SLACK_M
    # pin.computeCollisions skips pairs with a disabled geometry: never candidates either.
    disabled = np.array([bool(getattr(o, "disableCollision", False)) for o in objs], dtype=bool)
    if disabled.any():
        reach[disabled[first] | disabled[second]] = -1.0
    setup = _CollisionSetup(
        geom,
        _make_geom_data(geom, config.min_collision_distance_m),
        pair_names,
        ignored,
        sphere_joint=np.array(joints, dtype=np.int64),
        sphere_centre=centres,
        pair_first=first,
        pair_second=second,
        pair_reach=reach,
        margin=margin,
    )
    cache[key] = setup
    return setup


# --------------------------------------------------------------------------------------------
# Batched forward kinematics
# --------------------------------------------------------------------------------------------

_AXES = {
    "X": np.array([1.0, 0.0, 0.0]),
    "Y": np.array([0.0, 1.0, 0.0]),
    "Z": np.array([0.0, 0.0, 1.0]),
}


def _joint_axis(joint: Any, kind: str) -> np.ndarray | None:
    """Unit axis of a revolute (``kind`` "R") or prismatic ("P") pinocchio joint model, or
    None if the joint is not one of those we batch."""
    name = joint.shortname()
    for suffix, axis in _AXES.items():
        if name == f"JointModel{kind}{suffix}":
            return axis
    unaligned = {"R": "JointModelRevoluteUnaligned", "P": "JointModelPrismaticUnaligned"}[kind]
    if name == unaligned:
        axis = np.asarray(joint.extract().axis, dtype=np.float64)
        return axis / np.linalg.norm(axis)
    return None


def _quat_xyzw_to_matrix(quat: np.ndarray) -> np.ndarray:
    """(T, 4) unit quaternions (x, y, z, w) -> (T, 3, 3) rotation matrices."""
    x, y, z, w = quat[:, 0], quat[:, 1], quat[:, 2], quat[:, 3]
    out = np.empty((quat.shape[0], 3, 3))
    out[:, 0, 0] = 1.0 - 2.0 * (y * y + z * z)
    out[:, 0, 1] = 2.0 * (x * y - z * w)
    out[:, 0, 2] = 2.0 * (x * z + y * w)
    out[:, 1, 0] = 2.0 * (x * y + z * w)
    out[:, 1, 1] = 1.0 - 2.0 * (x * x + z * z)
    out[:, 1, 2] = 2.0 * (y * z - x * w)
    out[:, 2, 0] = 2.0 * (x * z - y * w)
    out[:, 2, 1] = 2.0 * (y * z + x * w)
    out[:, 2, 2] = 1.0 - 2.0 * (x * x + y * y)
    return out


def _axis_angle_matrices(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotations about the unit ``axis`` by each of the (T,) ``angle`` -> (T, 3, 3)."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    s, c = np.sin(angle), np.cos(angle)
    return np.eye(3) + s[:, None, None] * k + (1.0 - c)[:, None, None] * (k @ k)


def _joint_placements_loop(model: pin.Model, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`joint_placements` through pinocchio, one frame at a time (any joint type)."""
    frames = q.shape[0]
    rot = np.empty((frames, model.njoints, 3, 3))
    pos = np.empty((frames, model.njoints, 3))
    data = model.createData()
    for t in range(frames):
        pin.forwardKinematics(model, data, q[t])
        h = np.array([m.homogeneous for m in data.oMi])
        rot[t] = h[:, :3, :3]
        pos[t] = h[:, :3, 3]
    return rot, pos


def joint_placements(model: pin.Model, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World placement of every joint frame (pinocchio's ``data.oMi``) for all frames at once.

    Vectorised over the frames in numpy for free-flyer, revolute and prismatic joints (about
    x/y/z or an unaligned axis); a model with any other joint type goes through pinocchio
    frame by frame. Root quaternions must be unit (``validate`` normalises them).

    Args:
        model: the pinocchio model.
        q: (T, nq) configurations.

    Returns:
        rotations (T, njoints, 3, 3) and translations (T, njoints, 3); joint 0 (the universe)
        is the identity.
    """
    q = np.asarray(q, dtype=np.float64)
    frames = q.shape[0]
    rot = np.empty((frames, model.njoints, 3, 3))
    pos = np.empty((frames, model.njoints, 3))
    rot[:, 0] = np.eye(3)
    pos[:, 0] = 0.0
    for j in range(1, model.njoints):
        joint = model.joints[j]
        parent = int(model.parents[j])
        place = model.jointPlacements[j]
        pr, pt = np.asarray(place.rotation), np.asarray(place.translation)
        base_rot = rot[:, parent] @ pr  # (T, 3, 3): parent frame composed with the placement
        base_pos = pos[:, parent] + rot[:, parent] @ pt
        iq = joint.idx_q
        name = joint.shortname()
        if name == "JointModelFreeFlyer":
            rot[:, j] = base_rot @ _quat_xyzw_to_matrix(q[:, iq + 3 : iq + 7])
            pos[:, j] = base_pos + (base_rot @ q[:, iq : iq + 3, None])[..., 0]
            continue
        axis = _joint_axis(joint, "R")
        if axis is not None:
            rot[:, j] = base_rot @ _axis_angle_matrices(axis, q[:, iq])
            pos[:, j] = base_pos
            continue
        axis = _joint_axis(joint, "P")
        if axis is not None:
            rot[:, j] = base_rot
            pos[:, j] = base_pos + q[:, iq, None] * (base_rot @ axis)
            continue
        return _joint_placements_loop(model, q)
    return rot, pos


def _transform_points(
    rot: np.ndarray, pos: np.ndarray, joints: np.ndarray, local: np.ndarray
) -> np.ndarray:
    """World positions (T, K, 3) of K points given in the frames of ``joints`` (K,)."""
    return (rot[:, joints] @ local[:, :, None])[..., 0] + pos[:, joints]


# --------------------------------------------------------------------------------------------
# Self-collision
# --------------------------------------------------------------------------------------------

#: Frames per chunk of the vectorised broad phase (bounds its memory to ~chunk * pairs * 32 B).
_BROADPHASE_CHUNK = 1024


def broadphase_candidates(setup: _CollisionSetup, rot: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """(T, P) bool: the (frame, pair) samples whose bounding spheres are within reach, i.e.
    the only ones that can collide; ``rot``/``pos`` from :func:`joint_placements`."""
    frames = rot.shape[0]
    out = np.zeros((frames, len(setup.pair_reach)), dtype=bool)
    if not len(setup.pair_reach):
        return out
    reach2 = np.square(np.where(setup.pair_reach >= 0.0, setup.pair_reach, np.nan))
    for start in range(0, frames, _BROADPHASE_CHUNK):
        sl = slice(start, min(start + _BROADPHASE_CHUNK, frames))
        centres = _transform_points(rot[sl], pos[sl], setup.sphere_joint, setup.sphere_centre)
        d = centres[:, setup.pair_first] - centres[:, setup.pair_second]
        out[sl] = np.einsum("tpi,tpi->tp", d, d) <= reach2  # NaN (disabled): never
    return out


def _self_collisions(
    robot: Robot,
    setup: _CollisionSetup,
    q: np.ndarray,
    rot: np.ndarray,
    pos: np.ndarray,
    broadphase: bool,
) -> dict[int, list[tuple[str, str]]]:
    """Frame -> colliding pairs (geometry names, pair-index order), colliding frames only."""
    model, data = robot.model, robot.data
    gm, gd = setup.geom_model, setup.geom_data
    names = setup.pair_names
    collisions: dict[int, list[tuple[str, str]]] = {}
    if not names:
        return collisions
    if not broadphase:
        for t in range(q.shape[0]):
            if pin.computeCollisions(model, data, gm, gd, q[t], False):
                collisions[t] = [
                    names[i] for i, res in enumerate(gd.collisionResults) if res.isCollision()
                ]
        return collisions
    # Broad phase (all frames at once), then per frame: convex hulls, then the meshes.
    cand = broadphase_candidates(setup, rot, pos)
    _ensure_hulls(setup)
    hm, hd, use_hull = setup.hull_model, setup.hull_data, setup.pair_hull
    counts = cand.sum(axis=1)
    pairs = np.nonzero(cand)[1].tolist()  # row-major: by frame, then ascending pair index
    start = 0
    compute, update = pin.computeCollision, pin.updateGeometryPlacements
    for t in np.flatnonzero(counts).tolist():
        stop = start + int(counts[t])
        update(model, data, gm, gd, q[t])  # forward kinematics + mesh placements
        update(model, data, hm, hd)  # hull placements from the same data.oMi
        hits = []
        for k in pairs[start:stop]:
            if use_hull[k] and not compute(hm, hd, k):
                continue
            if compute(gm, gd, k):
                hits.append(names[k])
        start = stop
        if hits:
            collisions[t] = hits
    return collisions


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------


def _check_inputs(robot: Robot, qpos: np.ndarray, fps: float) -> np.ndarray:
    q = np.asarray(qpos, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != robot.nq or q.shape[0] < 1:
        raise ValueError(
            f"qpos must have shape (T, {robot.nq}) with T >= 1 (nq = {robot.nq} for robot "
            f"'{robot.name}'), got {q.shape}"
        )
    bad = ~np.all(np.isfinite(q), axis=1)
    if bad.any():
        t = int(np.flatnonzero(bad)[0])
        cols = np.flatnonzero(~np.isfinite(q[t])).tolist()
        raise ValueError(
            f"qpos has NaN/inf in frame {t} (columns {cols}); {int(bad.sum())} bad frame(s)"
        )
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive and finite, got {fps}")
    if robot.spec.floating_base:
        norm = np.linalg.norm(q[:, 3:7], axis=1)
        if np.any(norm < 1e-9):
            t = int(np.flatnonzero(norm < 1e-9)[0])
            raise ValueError(f"qpos frame {t} has a zero root quaternion")
        q = q.copy()
        q[:, 3:7] /= norm[:, None]
    return q


def _check_targets(
    robot: Robot, targets: dict[str, np.ndarray], frames: int
) -> dict[str, np.ndarray]:
    out = {}
    for name, arr in targets.items():
        if name not in robot.keypoint_names:
            raise ValueError(
                f"unknown target keypoint '{name}'; known: {', '.join(robot.keypoint_names)}"
            )
        a = np.asarray(arr, dtype=np.float64)
        if a.shape != (frames, 3):
            raise ValueError(f"target '{name}' must have shape ({frames}, 3), got {a.shape}")
        if not np.all(np.isfinite(a)):
            t = int(np.flatnonzero(~np.all(np.isfinite(a), axis=1))[0])
            raise ValueError(f"target '{name}' has NaN/inf in frame {t}")
        out[name] = a
    return out


def validate(
    robot: Robot,
    qpos: np.ndarray,
    fps: float,
    targets: dict[str, np.ndarray] | None = None,
    config: ValidatorConfig | None = None,
) -> ValidationReport:
    """Check a motion for physical plausibility (see the module docstring).

    Args:
        robot: the robot the motion is for.
        qpos: (T, nq) configurations (root xyz, root quaternion x y z w, joint angles). The
            quaternions are normalised before use.
        fps: frame rate, frames per second.
        targets: optional keypoint name -> (T, 3) world positions (metres) of the human
            targets; keypoints must be among ``robot.keypoint_names``.
        config: thresholds; defaults to :class:`ValidatorConfig`.

    Raises:
        ValueError: wrong ``qpos`` shape (the message names the expected nq), NaN/inf in
            ``qpos`` (the message names the first bad frame), bad fps or targets.
    """
    config = config or ValidatorConfig()
    q = _check_inputs(robot, qpos, fps)
    fps = float(fps)
    frames = q.shape[0]
    names = robot.joint_names
    frame_ok = np.ones(frames, dtype=bool)

    # Joint position limits.
    ang = q[:, robot.joint_q_indices]
    tol = config.position_tolerance_rad
    pos_bad = (ang < robot.lower - tol) | (ang > robot.upper + tol)
    frame_ok &= ~pos_bad.any(axis=1)

    # Velocity (frame t-1 -> t counts against frame t) and acceleration.
    vel = np.diff(ang, axis=0) * fps
    vel_bad = np.abs(vel) > robot.velocity_limits
    frame_ok[1:] &= ~vel_bad.any(axis=1)
    max_vel_ratio = float(np.max(np.abs(vel) / robot.velocity_limits)) if frames > 1 else 0.0
    acc = np.diff(ang, n=2, axis=0) * fps * fps
    acc_bad = np.abs(acc) > config.acceleration_limit_rad_s2
    max_acc = float(np.max(np.abs(acc))) if frames > 2 else 0.0

    # Forward kinematics for all frames at once: keypoints and sole centres are points fixed
    # in their parent joint's frame.
    model = robot.model
    rot, pos = joint_placements(model, q)
    kp_names = robot.keypoint_names
    offset = np.asarray(robot.spec.sole_offset_m, dtype=np.float64)
    kp_frames = [model.frames[robot.keypoint_frame_id(k)] for k in kp_names]
    foot_frames = [model.frames[robot.keypoint_frame_id(f"{s}_foot")] for s in ("left", "right")]
    points = [f.placement.translation for f in kp_frames]
    points += [f.placement.act(offset) for f in foot_frames]
    joints = np.array([f.parentJoint for f in kp_frames + foot_frames], dtype=np.int64)
    world = _transform_points(rot, pos, joints, np.array(points, dtype=np.float64))
    kp_pos, soles = world[:, : len(kp_names)], world[:, len(kp_names) :]

    # Foot-floor penetration.
    depth = np.maximum(-soles[:, :, 2], 0.0)
    pen_bad = (depth > config.foot_penetration_tolerance_m).any(axis=1)
    frame_ok &= ~pen_bad

    # Foot skating: horizontal sole speed over samples where the sole is in contact at both
    # ends of the step.
    contact = soles[:, :, 2] <= config.contact_height_m
    if frames > 1:
        speed = np.linalg.norm(np.diff(soles[:, :, :2], axis=0), axis=2) * fps  # (T-1, 2)
        both = contact[1:] & contact[:-1]
        samples = speed[both]
        skate = float(samples.mean()) if samples.size else 0.0
        max_skate = float(samples.max()) if samples.size else 0.0
        skate_frames = int(np.any(both & (speed > config.skate_speed_m_s), axis=1).sum())
    else:
        skate, max_skate, skate_frames = 0.0, 0.0, 0

    # Keypoint error.
    kp_errors: dict[str, dict[str, float]] = {}
    mean_err = max_err = None
    if targets:
        tg = _check_targets(robot, targets, frames)
        all_err = []
        for name, arr in tg.items():
            err = np.linalg.norm(kp_pos[:, kp_names.index(name)] - arr, axis=1)
            kp_errors[name] = {"mean": float(err.mean()), "max": float(err.max())}
            all_err.append(err)
        stacked = np.concatenate(all_err)
        mean_err, max_err = float(stacked.mean()), float(stacked.max())

    # Self-collision.
    collisions: dict[int, list[tuple[str, str]]] = {}
    checked = 0
    ignored: list[tuple[str, str]] = []
    if config.self_collision:
        setup = collision_setup(robot, config)
        checked, ignored = len(setup.pair_names), list(setup.ignored)
        collisions = _self_collisions(robot, setup, q, rot, pos, config.collision_broadphase)
        for t in collisions:
            frame_ok[t] = False

    def by_joint(bad: np.ndarray) -> dict[str, int]:
        counts = bad.sum(axis=0) if bad.size else np.zeros(len(names), dtype=int)
        return {names[j]: int(c) for j, c in enumerate(counts) if c}

    return ValidationReport(
        frames=frames,
        fps=fps,
        joint_limit_violations=int(pos_bad.sum()),
        velocity_limit_violations=int(vel_bad.sum()),
        acceleration_limit_violations=int(acc_bad.sum()),
        self_collision_frames=len(collisions),
        mean_keypoint_error_m=mean_err,
        max_keypoint_error_m=max_err,
        max_foot_penetration_m=float(depth.max()),
        foot_skate_m_per_s=skate,
        frame_ok=frame_ok,
        keypoint_errors_m=kp_errors,
        joint_limit_violations_by_joint=by_joint(pos_bad),
        velocity_limit_violations_by_joint=by_joint(vel_bad),
        max_velocity_ratio=max_vel_ratio,
        max_acceleration_rad_s2=max_acc,
        collisions=collisions,
        checked_collision_pairs=checked,
        ignored_collision_pairs=ignored,
        foot_contact_fraction=float(contact.mean()),
        foot_skate_frames=skate_frames,
        max_foot_skate_m_per_s=max_skate,
        penetration_frames=int(pen_bad.sum()),
    )
