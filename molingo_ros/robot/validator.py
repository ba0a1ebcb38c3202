"""Physical plausibility checks for a robot motion (a ``(T, nq)`` configuration sequence).

:func:`validate` checks, frame by frame:

* joint position limits (``Robot.lower`` / ``Robot.upper`` plus a tolerance);
* joint velocity (finite differences of the joint angles times ``fps``) against
  ``Robot.velocity_limits`` and joint acceleration against one global limit;
* self-collision of the collision geometry (pinocchio + coal), over a filtered pair list;
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
import weakref
from dataclasses import dataclass, field
from typing import Any

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
    geom_model: pin.GeometryModel
    geom_data: pin.GeometryData
    pair_names: list[tuple[str, str]]
    ignored: list[tuple[str, str]]


_SETUPS: weakref.WeakKeyDictionary[Robot, dict[tuple, _CollisionSetup]] = (
    weakref.WeakKeyDictionary()
)


def _geometry_parent_joint(model: pin.Model, joint: int, with_geometry: set[int]) -> int:
    """Nearest strict ancestor of ``joint`` that carries geometry (0 if none)."""
    j = int(model.parents[joint])
    while j > 0 and j not in with_geometry:
        j = int(model.parents[j])
    return j


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
    setup = _CollisionSetup(
        geom, _make_geom_data(geom, config.min_collision_distance_m), pair_names, ignored
    )
    cache[key] = setup
    return setup


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

    # Forward kinematics: keypoints and soles, one FK per frame.
    kp_names = robot.keypoint_names
    kp_ids = [robot.keypoint_frame_id(k) for k in kp_names]
    foot_ids = [robot.keypoint_frame_id(f"{s}_foot") for s in ("left", "right")]
    offset = np.asarray(robot.spec.sole_offset_m, dtype=np.float64)
    kp_pos = np.empty((frames, len(kp_names), 3))
    soles = np.empty((frames, 2, 3))
    model, data = robot.model, robot.data
    for t in range(frames):
        pin.framesForwardKinematics(model, data, q[t])
        for i, fid in enumerate(kp_ids):
            kp_pos[t, i] = data.oMf[fid].translation
        for i, fid in enumerate(foot_ids):
            m = data.oMf[fid]
            soles[t, i] = m.translation + m.rotation @ offset

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
        gm, gd = setup.geom_model, setup.geom_data
        if checked:
            for t in range(frames):
                if pin.computeCollisions(model, data, gm, gd, q[t], False):
                    collisions[t] = [
                        setup.pair_names[i]
                        for i, res in enumerate(gd.collisionResults)
                        if res.isCollision()
                    ]
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
