"""Dynamic feasibility of a floating-base motion: can the feet carry it?

Per frame, the wrench the motion demands of its contacts is the floating base's part of
pinocchio's inverse dynamics (RNEA on the configuration, its velocity and acceleration:
central differences on the configuration manifold, smoothed by a Savitzky-Golay filter). The
contacts can give it when:

* some sole is in **stance** (its centre within ``contact_height_m`` of the floor z = 0 and
  slower than ``stance_speed_m_s`` horizontally); a frame with none is a **flight** frame,
  feasible only when nearly no wrench is demanded (``flight_force_fraction`` of the weight):
  a ballistic phase;
* the demanded normal force is **unilateral** (pushing, f_z > 0);
* the tangential force stays in the **friction cone** of coefficient ``friction_mu``
  (|f_xy| <= mu f_z; the net force: a necessary condition);
* the **zero moment point** on the floor lies inside the **support polygon**: the convex hull
  of the stance soles' contact points (from the robot's foot collision geometry: spheres'
  centres, capsules' ends, boxes' bottom corners), by at least ``zmp_margin_m``.

World frame: z up, floor at z = 0 (the validator's convention). Forces in N, distances in m.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pinocchio as pin
from scipy.signal import savgol_filter
from scipy.spatial import ConvexHull

from molingo_ros.robot.models import Robot

GRAVITY_M_S2 = 9.81


@dataclass(frozen=True)
class DynamicsConfig:
    """Thresholds of :func:`check_dynamics` (see the module docstring): ``friction_mu``
    (stated, dry rubber on a hard floor), ``zmp_margin_m`` (the ZMP must be this far inside
    the polygon), ``contact_height_m`` / ``stance_speed_m_s`` (a stance sole), and
    ``flight_force_fraction`` (a flight frame may demand this fraction of the weight),
    ``smoothing_frames`` (odd Savitzky-Golay window of the derivatives; 0: none)."""

    friction_mu: float = 0.7
    zmp_margin_m: float = 0.0
    contact_height_m: float = 0.03
    stance_speed_m_s: float = 0.5
    flight_force_fraction: float = 0.2
    smoothing_frames: int = 7


@dataclass
class DynamicsReport:
    """Per frame: ``normal_force_n`` (demanded f_z, N), ``tangential_force_n`` (|f_xy|),
    ``zmp_m`` (T, 2; NaN where f_z <= 0), ``zmp_margin_m`` (signed distance of the ZMP to the
    support polygon's edge, > 0 inside; NaN in flight), ``stance`` (T, 2: left, right),
    ``feasible`` (T,). Counts of frames: ``flight_frames``, ``pull_frames`` (stance, f_z <=
    0), ``friction_violations``, ``zmp_outside_frames`` (margin below ``zmp_margin_m``),
    ``infeasible_flight_frames``; ``min_zmp_margin_m`` over stance frames."""

    normal_force_n: np.ndarray
    tangential_force_n: np.ndarray
    zmp_m: np.ndarray
    zmp_margin_m: np.ndarray
    stance: np.ndarray
    feasible: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)
    min_zmp_margin_m: float = float("nan")

    def summary(self) -> dict[str, float | int]:
        """The report's keys for a validation report / JSON."""
        return {**self.counts, "min_zmp_margin_m": self.min_zmp_margin_m}


def sole_points(robot: Robot, side: str) -> tuple[int, np.ndarray]:
    """(the joint id of ``side``'s foot, its contact points (K, 3) in that joint's frame):
    the lowest points of the foot's collision geometry (see the module docstring)."""
    fid = robot.keypoint_frame_id(f"{side}_foot")
    joint = robot.model.frames[fid].parentJoint
    points = []
    for geom in robot.collision_model.geometryObjects:
        if geom.parentJoint != joint:
            continue
        shape, m = geom.geometry, geom.placement
        if isinstance(shape, pin.hppfcl.Sphere):
            local = [np.zeros(3)]
        elif isinstance(shape, pin.hppfcl.Capsule):
            local = [np.array([0.0, 0.0, s * shape.halfLength]) for s in (-1, 1)]
        elif isinstance(shape, pin.hppfcl.Box):
            hx, hy, hz = shape.halfSide
            local = [np.array([x, y, -hz]) for x in (-hx, hx) for y in (-hy, hy)]
        else:
            continue
        points += [m.act(p) for p in local]
    if len(points) < 3:
        raise ValueError(
            f"{robot.name}: the {side} foot has no sole geometry (spheres, capsules or boxes on "
            "its link): cannot build a support polygon"
        )
    return joint, np.array(points)


def _derivatives(robot: Robot, q: np.ndarray, fps: float, window: int):
    """(v, a) (T, nv): velocities from the steps between frames on the manifold (their mean
    at a frame, extrapolated linearly at the ends), accelerations as their derivative; both by
    Savitzky-Golay fits of order 2 over ``window`` frames (exact for constant accelerations)."""
    model = robot.model
    steps = np.array([pin.difference(model, a, b) for a, b in zip(q[:-1], q[1:], strict=True)])
    mid = steps * fps  # velocities half-way between frames
    v = np.empty((len(q), model.nv))
    v[1:-1] = 0.5 * (mid[:-1] + mid[1:])
    if len(mid) > 1:
        v[0], v[-1] = 1.5 * mid[0] - 0.5 * mid[1], 1.5 * mid[-1] - 0.5 * mid[-2]
    else:
        v[0] = v[-1] = mid[0]
    dt = 1.0 / fps
    if window and len(q) > window:
        v = savgol_filter(v, window, 2, axis=0, mode="interp")
        return v, savgol_filter(v, window, 2, deriv=1, delta=dt, axis=0, mode="interp")
    return v, np.gradient(v, dt, axis=0, edge_order=2)


def _margin(point: np.ndarray, polygon: np.ndarray) -> float:
    """Signed distance (m) of ``point`` (2,) to the convex ``polygon`` (K, 2) edge: > 0
    inside."""
    hull = ConvexHull(polygon)
    # Each facet: normal . x + offset <= 0 inside (unit normals).
    return float(-np.max(hull.equations[:, :2] @ point + hull.equations[:, 2]))


def _support_points(robot: Robot, feet, on: np.ndarray) -> np.ndarray:
    """The stance soles' contact points (K, 2) on the floor, at the joint placements of the
    last pinocchio pass."""
    points = []
    for (joint, local), standing in zip(feet, on, strict=True):
        if standing:
            placement = robot.data.oMi[joint]
            points.append((local @ placement.rotation.T + placement.translation)[:, :2])
    return np.concatenate(points)


def _frame_wrench(robot: Robot, q, v, a) -> tuple[np.ndarray, np.ndarray]:
    """The contact wrench the frame demands, in the world frame at the world origin: (force
    (3,), moment (3,)); the joint placements of ``q`` are left in ``robot.data``."""
    tau = pin.rnea(robot.model, robot.data, q, v, a)
    pin.forwardKinematics(robot.model, robot.data, q)  # joint placements (RNEA leaves oMi)
    base = robot.data.oMi[1]
    force = base.rotation @ tau[:3]
    moment = base.rotation @ tau[3:6] + np.cross(base.translation, force)
    return force, moment


def check_dynamics(
    robot: Robot, qpos: np.ndarray, fps: float, config: DynamicsConfig | None = None
) -> DynamicsReport:
    """The dynamic feasibility of ``qpos`` (T, nq) at ``fps`` (see the module docstring)."""
    cfg = config or DynamicsConfig()
    if not robot.spec.floating_base:
        raise ValueError(f"{robot.name} has no floating base: nothing to check")
    q = np.asarray(qpos, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != robot.nq or len(q) < 3:
        raise ValueError(f"qpos must be (T >= 3, {robot.nq}), got {q.shape}")
    v, a = _derivatives(robot, q, float(fps), cfg.smoothing_frames)
    feet = [sole_points(robot, side) for side in ("left", "right")]
    soles = np.array([[robot.sole_positions(qk)[s] for s in ("left", "right")] for qk in q])
    speed = np.zeros(soles.shape[:2])
    speed[1:] = np.linalg.norm(np.diff(soles[..., :2], axis=0), axis=-1) * fps
    stance = (soles[..., 2] <= cfg.contact_height_m) & (speed <= cfg.stance_speed_m_s)
    weight = float(pin.computeTotalMass(robot.model)) * GRAVITY_M_S2
    n = len(q)
    fz, fxy = np.empty(n), np.empty(n)
    zmp, margin = np.full((n, 2), np.nan), np.full(n, np.nan)
    for k in range(n):
        force, moment = _frame_wrench(robot, q[k], v[k], a[k])
        fz[k], fxy[k] = force[2], np.hypot(force[0], force[1])
        if force[2] > 1e-6:
            zmp[k] = (-moment[1] / force[2], moment[0] / force[2])
        if stance[k].any() and force[2] > 1e-6:
            margin[k] = _margin(zmp[k], _support_points(robot, feet, stance[k]))
    return _report(cfg, weight, fz, fxy, zmp, margin, stance)


def _report(cfg, weight, fz, fxy, zmp, margin, stance) -> DynamicsReport:
    """Flags and counts of the per-frame values."""
    standing = stance.any(axis=1)
    flight = ~standing
    pull = standing & (fz <= 0)
    friction = standing & (fz > 0) & (fxy > cfg.friction_mu * fz)
    outside = standing & (fz > 0) & (margin < cfg.zmp_margin_m)
    bad_flight = flight & (np.hypot(fz, fxy) > cfg.flight_force_fraction * weight)
    feasible = ~(pull | friction | outside | bad_flight)
    counts = {
        "flight_frames": int(flight.sum()),
        "pull_frames": int(pull.sum()),
        "friction_violations": int(friction.sum()),
        "zmp_outside_frames": int(outside.sum()),
        "infeasible_flight_frames": int(bad_flight.sum()),
    }
    inside = margin[standing & np.isfinite(margin)]
    return DynamicsReport(
        normal_force_n=fz,
        tangential_force_n=fxy,
        zmp_m=zmp,
        zmp_margin_m=margin,
        stance=stance,
        feasible=feasible,
        counts=counts,
        min_zmp_margin_m=float(inside.min()) if len(inside) else float("nan"),
    )


__all__ = ["DynamicsConfig", "DynamicsReport", "check_dynamics", "sole_points"]
