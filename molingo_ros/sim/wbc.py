"""A whole-body tracking controller for a floating-base humanoid under physics: task-space
inverse dynamics, one quadratic program per control step (pinocchio for the model terms,
proxsuite for the QP). No learning, no ROS.

Decision variables: the generalised acceleration ``a`` (nv, pinocchio's convention: root
linear and angular acceleration in the root frame, then the joints) and one 3-D force per
contact point of each stance foot (world frame, N; the points are the foot's collision
geometry, :func:`~molingo_ros.robot.dynamics.sole_points`).

Hard constraints:

* the floating base's six rows of the equations of motion, ``M[:6] a + h[:6] = sum_k
  J_k[:, :6]^T f_k``: the root moves only as the contact forces push it;
* a stance foot does not accelerate (its 6-D acceleration, world-aligned, is minus
  ``contact_kd`` times its velocity: slipping is damped out);
* each contact force lies in the friction pyramid of ``friction_mu`` with a normal force in
  ``[0, max_normal_force_n]`` (unilateral: the floor only pushes);
* the joint torques ``tau = M[6:] a + h[6:] - sum_k J_k[:, 6:]^T f_k`` stay within the
  model's effort limits;
* nearly hard (a slack variable with a heavy cost): the capture point stays inside the
  support polygon (:mod:`molingo_ros.sim.capture`), so no posture is followed into a fall.

Weighted costs (the reference is a configuration with its velocity and acceleration):

* the centre of mass tracks the reference's, moved with the feet (the reference's world
  placement is shifted by where the stance feet really are) and kept ``com_margin_m`` inside
  the support polygon of the stance soles (where it is held there, the reference's CoM
  velocity and acceleration are not fed forward);
* the root orientation tracks the reference's;
* a swing foot tracks the reference foot's placement (shifted like the CoM);
* the centroidal angular momentum is damped towards zero;
* every joint tracks its reference angle (PD + feed-forward acceleration), legs weighted
  lower than the upper body (the legs also carry the balance tasks);
* small regularisation of accelerations and forces.

Frames: world z up, floor at z = 0. Units: m, rad, s, N, N m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pinocchio as pin

from molingo_ros.robot.dynamics import sole_points
from molingo_ros.robot.models import Robot
from molingo_ros.sim.capture import capture_point, capture_rows
from molingo_ros.sim.reference import SIDES, ReferenceState, joint_groups
from molingo_ros.sim.support import into_hull, into_polygon, support_hull
from molingo_ros.sim.wbc_qp import (
    WarmQp,
    contact_inequalities,
    joint_limit_accelerations,
    with_soft_rows,
)

WORLD = pin.ReferenceFrame.LOCAL_WORLD_ALIGNED


@dataclass(frozen=True)
class WbcConfig:
    """Settings of :class:`WholeBodyController`. Stiffness gains ``*_kp`` in 1/s^2, damping
    ``*_kd`` in 1/s; weights are relative (dimensionless).

    Contacts: ``friction_mu`` (below the simulated floor's, so that the planned forces do not
    slip), ``max_normal_force_n`` per contact point, ``contact_kd`` (a stance foot's velocity
    is damped out at this rate). Balance: the CoM target is held ``com_margin_m`` inside the
    support polygon (the G1's sole is 17 x 6 cm: 5 cm keeps the CoM near its middle); with
    ``hold_offset`` the reference is placed on the real feet at each stance change and held
    there (else re-placed every update). Joint limits: accelerations keep each joint inside
    its range over ``limit_horizon_s``, and the posture targets stay ``limit_margin_rad``
    inside it. Desired accelerations are capped (``max_*_acceleration``: rad/s^2, m/s^2) so
    that a jerky reference cannot ask for violent motion. Weights: ``weight_com`` (CoM),
    ``weight_root`` (root orientation), ``weight_foot`` (swing foot), ``weight_legs`` /
    ``weight_waist`` / ``weight_upper`` (joint posture per group), small regularisers of
    accelerations and forces (tangential forces more: the feet should not lean on friction).
    ``weight_momentum``: the centroidal angular momentum is damped towards zero at
    ``momentum_kd`` (a fast bow or arm swing then turns the body less about the CoM, which
    keeps the centre of pressure off the sole's edge; 0 turns the task off).
    Capture point (:mod:`molingo_ros.sim.capture`): the capture point predicted
    ``capture_horizon_s`` ahead is kept ``capture_margin_m`` inside the support polygon of the
    feet balanced over, as soft inequality rows whose slack costs ``weight_capture`` (m^-2;
    high: balance before posture; 0 turns the rows off).
    The defaults were chosen on validation seeds 300-379 of the standing skills (see
    docs/DYNAMICS.md), never on the benchmark seeds."""

    friction_mu: float = 0.6
    max_normal_force_n: float = 1500.0
    com_kp: float = 80.0
    com_kd: float = 18.0
    com_margin_m: float = 0.05
    root_kp: float = 150.0
    root_kd: float = 25.0
    foot_kp: float = 300.0
    foot_kd: float = 35.0
    posture_kp: float = 250.0
    posture_kd: float = 30.0
    contact_kd: float = 20.0
    max_joint_acceleration: float = 30.0
    limit_horizon_s: float = 0.1
    limit_margin_rad: float = 0.05
    hold_offset: bool = True
    max_com_acceleration: float = 5.0
    max_root_acceleration: float = 50.0
    momentum_kd: float = 10.0
    capture_horizon_s: float = 0.1
    capture_margin_m: float = 0.02
    weight_capture: float = 1e9
    weight_com: float = 100.0
    weight_momentum: float = 1.0
    weight_root: float = 30.0
    weight_foot: float = 1000.0
    weight_legs: float = 1.0
    weight_waist: float = 0.5
    weight_upper: float = 1.0
    weight_acceleration: float = 1e-4
    weight_force: float = 1e-3
    weight_tangential_force: float = 1e-2


class WholeBodyController:
    """Joint torques that make the floating-base ``robot`` follow a reference with its feet
    on the floor (see the module docstring). One instance per robot; not thread-safe."""

    def __init__(self, robot: Robot, config: WbcConfig | None = None) -> None:
        self.robot = robot
        self.cfg = config or WbcConfig()
        self.model = pin.Model(robot.model)  # a copy: the sole frames are added to it
        self.nv = self.model.nv
        self.feet: list[tuple[int, np.ndarray]] = []  # (foot frame id, points (K, 3) in it)
        for side in SIDES:
            joint, points = sole_points(robot, side)
            frame = self.model.addFrame(
                pin.Frame(f"molingo_wbc_{side}_sole", joint, pin.SE3.Identity(), pin.OP_FRAME)
            )
            self.feet.append((frame, points))
        self.data = self.model.createData()
        self.ref_data = self.model.createData()
        limits = np.asarray(self.model.effortLimit[6:], dtype=np.float64)
        self.torque_limit = np.where(np.isfinite(limits) & (limits > 0), limits, 1e4)
        weights = np.empty(robot.num_joints)
        groups = joint_groups(robot)
        weights[groups["legs"]] = self.cfg.weight_legs
        weights[groups["waist"]] = self.cfg.weight_waist
        weights[groups["upper"]] = self.cfg.weight_upper
        self.posture_weights = weights
        self._joint_rows = np.hstack([np.zeros((robot.num_joints, 6)), np.eye(robot.num_joints)])
        self._offset = np.zeros(3)  # where the reference's world sits in the real one (x, y)
        self._offset_stance: list[int] = []
        self.balance_feet: list[int] = [0, 1]  # the feet the CoM is kept over
        self.qp = WarmQp()  # its last solution: accelerations, forces (, slack)
        self.last_forces: np.ndarray = np.zeros((2, 3))  # net force per foot (world, N)
        self._momentum_drift = np.zeros(3)  # dAg v, angular rows (N m)

    # -- the control step ---------------------------------------------------------------------

    def torques(self, q: np.ndarray, v: np.ndarray, ref: ReferenceState) -> np.ndarray:
        """Joint torques (n_joints, N m, ``robot.joint_names`` order) at state (q, v)."""
        self._kinematics(q, v, ref)
        data = self.data
        stance = [s for s, on in enumerate(ref.stance) if on]
        stance, self.balance_feet = self._shift_before_lift(stance)
        self._update_offset(ref, self.balance_feet)
        # The polygon the CoM and the capture point are kept in (None: no foot on the floor).
        hull = support_hull(self._support_points(self.balance_feet)) if stance else None
        rows, targets, weights = self._tasks(q, v, ref, stance, hull)
        contact_jac = [self._point_jacobians(s) for s in stance]
        n_f = sum(j.shape[0] for j in contact_jac)
        n = self.nv + n_f
        H = np.zeros((n, n))
        g = np.zeros(n)
        for J, t, w in zip(rows, targets, weights, strict=True):
            Jw = J * w[:, None]
            H[: self.nv, : self.nv] += J.T @ Jw
            g[: self.nv] -= Jw.T @ t
        H[: self.nv, : self.nv] += self.cfg.weight_acceleration * np.eye(self.nv)
        force_weights = np.tile([self.cfg.weight_tangential_force] * 2 + [0.0], n_f // 3)
        H[self.nv :, self.nv :] += np.diag(self.cfg.weight_force + force_weights)
        Jc = np.vstack(contact_jac) if contact_jac else np.zeros((0, self.nv))
        M, h = data.M, data.nle
        # Equalities: base dynamics, then stance feet not accelerating.
        A = [np.hstack([M[:6], -Jc[:, :6].T])]
        b = [-h[:6]]
        for s in stance:
            J, drift, vel = self._foot_terms(s)
            A.append(np.hstack([J, np.zeros((6, n_f))]))
            b.append(-drift - self.cfg.contact_kd * vel)
        bounds = joint_limit_accelerations(
            q[7:], v[6:], self.robot.lower, self.robot.upper, self.cfg.limit_horizon_s
        )
        C, lo, hi = contact_inequalities(
            self.nv, n_f, self.cfg.friction_mu, self.cfg.max_normal_force_n, M, h, Jc,
            self.torque_limit, bounds,
        )  # fmt: skip
        qp = (H, g, np.vstack(A), np.concatenate(b), C, lo, hi)
        if self.cfg.weight_capture > 0 and hull is not None:
            rows, top = capture_rows(
                data.com[0], data.vcom[0], data.acom[0], data.Jcom, hull,
                self.cfg.capture_horizon_s, self.cfg.capture_margin_m,
            )  # fmt: skip
            qp = with_soft_rows(qp, rows, top, self.cfg.weight_capture)
        x = self.qp.solve(*qp)
        a, f = x[: self.nv], x[self.nv : self.nv + n_f]
        tau = M[6:] @ a + h[6:] - Jc[:, 6:].T @ f
        self._record_forces(stance, f)
        return np.clip(tau, -self.torque_limit, self.torque_limit)

    def _kinematics(self, q: np.ndarray, v: np.ndarray, ref: ReferenceState) -> None:
        """One pinocchio pass per state: the real one (M, h, Jacobians, CoM and its Jacobian,
        frame placements, drifts at zero acceleration) in ``data``, the reference's (frames,
        CoM with its velocity and acceleration) in ``ref_data``."""
        model, data, ref_data = self.model, self.data, self.ref_data
        pin.computeAllTerms(model, data, q, v)  # also com, vcom, Jcom and Ag, hg
        pin.forwardKinematics(model, data, q, v, np.zeros(self.nv))
        pin.updateFramePlacements(model, data)
        pin.centerOfMass(model, data, pin.KinematicLevel.ACCELERATION)  # acom: the drift
        if self.cfg.weight_momentum > 0:  # dAg v: the momentum rate at zero acceleration
            rate = pin.computeCentroidalMomentumTimeVariation(model, data)
            self._momentum_drift = np.array(rate.angular)
        pin.forwardKinematics(model, ref_data, ref.q, ref.v, ref.a)
        pin.updateFramePlacements(model, ref_data)
        pin.centerOfMass(model, ref_data, pin.KinematicLevel.ACCELERATION)

    # -- tasks --------------------------------------------------------------------------------

    def _update_offset(self, ref: ReferenceState, stance: list[int]) -> None:
        """Where the reference's world sits in the real one (x, y): set from the stance feet
        when the stance changes (a touchdown, a lift-off) and held in between, so that a
        reference foot sliding on the floor does not drag the balance targets along."""
        if not stance or (self.cfg.hold_offset and stance == self._offset_stance):
            return
        real = [self.data.oMf[self.feet[s][0]].translation for s in stance]
        want = [self.ref_data.oMf[self.feet[s][0]].translation for s in stance]
        offset = np.mean(real, axis=0) - np.mean(want, axis=0)
        self._offset = np.array([offset[0], offset[1], 0.0])
        self._offset_stance = list(stance)

    def _tasks(self, q, v, ref: ReferenceState, stance: list[int], hull: np.ndarray | None):
        """(Jacobian rows, desired accelerations, weights) of the weighted tasks; ``hull``:
        the support polygon of the feet balanced over (:func:`support_hull`), or None."""
        cfg, model, data = self.cfg, self.model, self.data
        rows, targets, weights = [], [], []
        # Centre of mass.
        com, com_v, com_drift, Jcom = data.com[0], data.vcom[0], data.acom[0], data.Jcom
        com_ref = self.ref_data.com[0] + self._offset
        ref_v, ref_a = self.ref_data.vcom[0].copy(), self.ref_data.acom[0].copy()
        held = com_ref[:2] if hull is None else into_hull(com_ref[:2], hull, cfg.com_margin_m)
        if float(np.linalg.norm(held - com_ref[:2])) > 1e-9:  # held: no feed-forward
            com_ref[:2], ref_v[:2], ref_a[:2] = held, 0.0, 0.0
        acc = ref_a + cfg.com_kp * (com_ref - com) + cfg.com_kd * (ref_v - com_v)
        rows.append(Jcom)
        targets.append(_limit(acc, cfg.max_com_acceleration) - com_drift)
        weights.append(np.full(3, cfg.weight_com))
        # Root orientation (world-aligned angular rows of the root joint).
        R, R_ref = data.oMi[1].rotation, pin.XYZQUATToSE3(ref.q[:7]).rotation
        err = pin.log3(R_ref @ R.T)
        w = R @ v[3:6]
        w_ref = R_ref @ ref.v[3:6]
        J_root = pin.getJointJacobian(model, data, 1, WORLD)[3:]
        root_drift = pin.getFrameClassicalAcceleration(model, data, 1, WORLD).angular
        rows.append(J_root)
        acc = R_ref @ ref.a[3:6] + cfg.root_kp * err + cfg.root_kd * (w_ref - w)
        targets.append(_limit(acc, cfg.max_root_acceleration) - root_drift)
        weights.append(np.full(3, cfg.weight_root))
        # Centroidal angular momentum, damped towards zero.
        if cfg.weight_momentum > 0:
            rows.append(data.Ag[3:])
            targets.append(-cfg.momentum_kd * data.hg.angular - self._momentum_drift)
            weights.append(np.full(3, cfg.weight_momentum))
        # Swing feet.
        for s in range(2):
            if s not in stance:
                rows_f, target_f = self._swing_task(s, ref)
                rows.append(rows_f)
                targets.append(target_f)
                weights.append(np.full(6, cfg.weight_foot))
        # Posture.
        rows.append(self._joint_rows)
        want, want_v, want_a = self._inside_limits(ref)
        acc = want_a + cfg.posture_kp * (want - q[7:]) + cfg.posture_kd * (want_v - v[6:])
        targets.append(np.clip(acc, -cfg.max_joint_acceleration, cfg.max_joint_acceleration))
        weights.append(self.posture_weights)
        return rows, targets, weights

    def _inside_limits(self, ref: ReferenceState):
        """The reference joint angles, rates and accelerations, held ``limit_margin_rad``
        inside the joint limits (rate and acceleration zero where held)."""
        margin = self.cfg.limit_margin_rad
        lower, upper = self.robot.lower + margin, self.robot.upper - margin
        want = np.clip(ref.q[7:], lower, upper)
        held = want != ref.q[7:]
        return want, np.where(held, 0.0, ref.v[6:]), np.where(held, 0.0, ref.a[6:])

    def _shift_before_lift(self, stance: list[int]) -> tuple[list[int], list[int]]:
        """(the feet to stand on, the feet to balance over). A foot the reference lifts while
        the capture point is not yet over the other sole stays on the floor (if it still is:
        its lowest point within 1 cm), and the CoM is moved over the other foot first."""
        if len(stance) != 1:
            return stance, stance
        other = 1 - stance[0]
        frame, points = self.feet[other]
        if min(self.data.oMf[frame].act(p)[2] for p in points) > 0.01:
            return stance, stance  # already in the air
        com, com_v = self.data.com[0], self.data.vcom[0]
        capture = capture_point(com, com_v)
        over = into_polygon(capture, self._support_points(stance), 0.0)
        if float(np.linalg.norm(over - capture)) < 1e-9:
            return stance, stance
        return sorted([*stance, other]), stance

    def _swing_task(self, s: int, ref: ReferenceState) -> tuple[np.ndarray, np.ndarray]:
        cfg, model = self.cfg, self.model
        frame = self.feet[s][0]
        J, drift, vel = self._foot_terms(s)
        want = self.ref_data.oMf[frame]
        real = self.data.oMf[frame]
        pos_err = want.translation + self._offset - real.translation
        rot_err = pin.log3(want.rotation @ real.rotation.T)
        ref_vel = pin.getFrameVelocity(model, self.ref_data, frame, WORLD).vector
        ref_acc = pin.getFrameClassicalAcceleration(model, self.ref_data, frame, WORLD).vector
        target = ref_acc + cfg.foot_kp * np.concatenate([pos_err, rot_err])
        target += cfg.foot_kd * (ref_vel - vel) - drift
        return J, target

    def _foot_terms(self, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(6 x nv Jacobian, acceleration drift dJ v, velocity) of foot ``s``, world-aligned."""
        model, data, frame = self.model, self.data, self.feet[s][0]
        J = pin.getFrameJacobian(model, data, frame, WORLD)
        drift = pin.getFrameClassicalAcceleration(model, data, frame, WORLD).vector
        vel = pin.getFrameVelocity(model, data, frame, WORLD).vector
        return J, drift, vel

    def _point_jacobians(self, s: int) -> np.ndarray:
        """(3 K, nv): the linear Jacobians of foot ``s``'s contact points, world frame."""
        frame, points = self.feet[s]
        placement = self.data.oMf[frame]
        J = pin.getFrameJacobian(self.model, self.data, frame, WORLD)
        out = []
        for p in points:
            r = placement.rotation @ p
            out.append(J[:3] - pin.skew(r) @ J[3:])
        return np.vstack(out)

    def _support_points(self, stance: list[int]) -> np.ndarray:
        pts = []
        for s in stance:
            frame, points = self.feet[s]
            placement = self.data.oMf[frame]
            pts += [placement.act(p)[:2] for p in points]
        return np.array(pts)

    def _record_forces(self, stance: list[int], f: np.ndarray) -> None:
        self.last_forces = np.zeros((2, 3))
        start = 0
        for s in stance:
            k = len(self.feet[s][1])
            self.last_forces[s] = f[start : start + 3 * k].reshape(k, 3).sum(axis=0)
            start += 3 * k


def _limit(vector: np.ndarray, norm: float) -> np.ndarray:
    """``vector`` scaled down to at most ``norm`` long."""
    length = float(np.linalg.norm(vector))
    return vector * (norm / length) if length > norm else vector


__all__ = ["WbcConfig", "WholeBodyController"]
