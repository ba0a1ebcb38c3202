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

The checks live in their own modules (:mod:`~molingo_ros.robot.joint_checks`,
:mod:`~molingo_ros.robot.self_collision` over the pairs of
:mod:`~molingo_ros.robot.collision_setup`, :mod:`~molingo_ros.robot.foot_checks`); this module
holds their thresholds (:class:`ValidatorConfig`) and runs them (:func:`validate`) into a
:class:`~molingo_ros.robot.validation_report.ValidationReport`.

Conventions as in :mod:`molingo_ros.robot.models`: metres, radians, z up, floor at z = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from molingo_ros.robot.batch_kinematics import joint_placements, transform_points
from molingo_ros.robot.collision_setup import collision_setup
from molingo_ros.robot.dynamics import DynamicsConfig, check_dynamics
from molingo_ros.robot.foot_checks import check_feet
from molingo_ros.robot.joint_checks import check_joints, violations_by_joint
from molingo_ros.robot.models import Robot
from molingo_ros.robot.self_collision import self_collisions
from molingo_ros.robot.validation_report import ValidationReport

__all__ = ["ValidatorConfig", "validate"]


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
        dynamics: check dynamic feasibility with these thresholds
            (:mod:`~molingo_ros.robot.dynamics`: ZMP, friction, flight; about 3,000 frames/s
            on one core, against ~45,000 for the rest); None: not checked. It does not reject
            frames: :attr:`ValidationReport.dynamics` and ``dynamically_feasible`` say.
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
    dynamics: DynamicsConfig | None = None


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


def _keypoint_and_sole_positions(
    robot: Robot, rot: np.ndarray, pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """World positions (metres) of every keypoint, (T, K, 3) in ``robot.keypoint_names``
    order, and of the left and right sole centres, (T, 2, 3), from the joint placements
    ``rot``/``pos``: all are points fixed in their parent joint's frame."""
    model = robot.model
    kp_names = robot.keypoint_names
    offset = np.asarray(robot.spec.sole_offset_m, dtype=np.float64)
    kp_frames = [model.frames[robot.keypoint_frame_id(k)] for k in kp_names]
    foot_frames = [model.frames[robot.keypoint_frame_id(f"{s}_foot")] for s in ("left", "right")]
    points = [f.placement.translation for f in kp_frames]
    points += [f.placement.act(offset) for f in foot_frames]
    joints = np.array([f.parentJoint for f in kp_frames + foot_frames], dtype=np.int64)
    world = transform_points(rot, pos, joints, np.array(points, dtype=np.float64))
    return world[:, : len(kp_names)], world[:, len(kp_names) :]


def _keypoint_errors(
    robot: Robot, kp_pos: np.ndarray, targets: dict[str, np.ndarray] | None
) -> tuple[dict[str, dict[str, float]], float | None, float | None]:
    """Keypoint -> {"mean", "max"} distance to its target (metres) and the mean and max over
    all (frame, keypoint) samples; empty and None without targets."""
    kp_errors: dict[str, dict[str, float]] = {}
    if not targets:
        return kp_errors, None, None
    tg = _check_targets(robot, targets, kp_pos.shape[0])
    all_err = []
    for name, arr in tg.items():
        err = np.linalg.norm(kp_pos[:, robot.keypoint_names.index(name)] - arr, axis=1)
        kp_errors[name] = {"mean": float(err.mean()), "max": float(err.max())}
        all_err.append(err)
    stacked = np.concatenate(all_err)
    return kp_errors, float(stacked.mean()), float(stacked.max())


def _collision_check(
    robot: Robot, q: np.ndarray, rot: np.ndarray, pos: np.ndarray, config: ValidatorConfig
) -> tuple[dict[int, list[tuple[str, str]]], int, list[tuple[str, str]]]:
    """Self-collision under ``config``: (frame -> colliding pairs, number of pairs checked
    per frame, pairs ignored because they collide at the neutral pose)."""
    if not config.self_collision:
        return {}, 0, []
    setup = collision_setup(
        robot,
        min_distance_m=config.min_collision_distance_m,
        filter_adjacent_links=config.filter_adjacent_links,
        filter_neutral_collisions=config.filter_neutral_collisions,
    )
    collisions = self_collisions(robot, setup, q, rot, pos, config.collision_broadphase)
    return collisions, len(setup.pair_names), list(setup.ignored)


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
    joint = check_joints(
        robot, q, fps, config.position_tolerance_rad, config.acceleration_limit_rad_s2
    )
    # Forward kinematics for all frames at once.
    rot, pos = joint_placements(robot.model, q)
    kp_pos, soles = _keypoint_and_sole_positions(robot, rot, pos)
    feet = check_feet(
        soles,
        fps,
        config.foot_penetration_tolerance_m,
        config.contact_height_m,
        config.skate_speed_m_s,
    )
    kp_errors, mean_err, max_err = _keypoint_errors(robot, kp_pos, targets)
    collisions, checked, ignored = _collision_check(robot, q, rot, pos, config)
    dynamics = None
    if config.dynamics is not None and robot.spec.floating_base and len(q) >= 3:
        dynamics = check_dynamics(robot, q, fps, config.dynamics)
    frame_ok = joint.frame_ok() & ~feet.penetration_bad
    for t in collisions:
        frame_ok[t] = False
    names = robot.joint_names
    return ValidationReport(
        frames=q.shape[0],
        fps=fps,
        joint_limit_violations=int(joint.position_bad.sum()),
        velocity_limit_violations=int(joint.velocity_bad.sum()),
        acceleration_limit_violations=int(joint.acceleration_bad.sum()),
        self_collision_frames=len(collisions),
        mean_keypoint_error_m=mean_err,
        max_keypoint_error_m=max_err,
        max_foot_penetration_m=feet.max_penetration_m,
        foot_skate_m_per_s=feet.mean_skate_m_s,
        frame_ok=frame_ok,
        keypoint_errors_m=kp_errors,
        joint_limit_violations_by_joint=violations_by_joint(joint.position_bad, names),
        velocity_limit_violations_by_joint=violations_by_joint(joint.velocity_bad, names),
        max_velocity_ratio=joint.max_velocity_ratio,
        max_acceleration_rad_s2=joint.max_acceleration_rad_s2,
        collisions=collisions,
        checked_collision_pairs=checked,
        ignored_collision_pairs=ignored,
        foot_contact_fraction=feet.contact_fraction,
        foot_skate_frames=feet.skate_frames,
        max_foot_skate_m_per_s=feet.max_skate_m_s,
        penetration_frames=int(feet.penetration_bad.sum()),
        dynamics=None if dynamics is None else dynamics.summary(),
        dynamically_feasible=None if dynamics is None else dynamics.feasible,
    )
