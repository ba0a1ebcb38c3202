"""Weighted keypoint inverse kinematics with pinocchio Jacobians (damped least squares).

One :class:`KeypointIk` step linearises all keypoint tasks at the current configuration::

    minimise  sum_k w_k |p_k* - p_k(q) - J_k dq|^2 + sum_m v_m |log(R_m* R_m(q)^T) - Jw_m dq|^2
              + damping |dq|^2 + posture |q_j + dq_j - q_neutral_j|^2   (actuated joints only)

A keypoint with an **anchor** (another keypoint, e.g. the hand on the shoulder) is a relative
task instead: its rows are ``J_k - J_a`` with error ``(p_k* - p_a*) - (p_k(q) - p_a(q))``, so
the limb takes its target shape from wherever the anchor actually is (a torso that cannot
follow its target, e.g. at a waist limit, does not bend the arm to make up for it).

The solver then integrates ``q <- q (+) dq`` on the configuration manifold (``pin.integrate``)
and clips the joint angles to their position limits. Position errors are in metres,
orientation errors are rotation vectors in radians, both in the world frame
(``LOCAL_WORLD_ALIGNED`` Jacobians).
Warm-started from the previous frame, one or two steps per frame track mocap at 30 fps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pinocchio as pin

from molingo_ros.robot.models import Robot


@dataclass(frozen=True)
class IkConfig:
    """Settings of :class:`KeypointIk`.

    Attributes:
        damping: Levenberg-Marquardt damping added to every DoF (units of weight x m^2/rad^2);
            larger is smoother and slower to converge.
        posture_weight: pull of the actuated joints towards the neutral pose; resolves the
            redundancy (elbow swivel, waist) without visibly biasing reachable targets.
        iterations: steps per frame when warm-started from the previous frame.
        first_frame_iterations: steps for the first frame (started from the neutral pose
            placed at the target pelvis), so the result does not depend on it.
        tolerance_m: stop early when the largest position step is below this.
    """

    damping: float = 1e-3
    posture_weight: float = 1e-3
    iterations: int = 2
    first_frame_iterations: int = 50
    tolerance_m: float = 1e-5


class KeypointIk:
    """DLS solver for position targets on ``keypoints`` and orientation targets on
    ``oriented`` (a subset of ``keypoints``) of ``robot``; ``anchors`` (keypoint -> anchor
    keypoint, not itself anchored) makes those keypoints' positions relative to their anchor.

    Not thread-safe: it reuses ``robot.data`` and preallocated buffers.
    """

    def __init__(
        self,
        robot: Robot,
        keypoints: Sequence[str],
        oriented: Sequence[str],
        position_weights: Sequence[float],
        orientation_weights: Sequence[float],
        config: IkConfig = IkConfig(),
        anchors: Mapping[str, str] | None = None,
    ) -> None:
        if len(position_weights) != len(keypoints):
            raise ValueError("one position weight per keypoint is needed")
        if len(orientation_weights) != len(oriented):
            raise ValueError("one orientation weight per oriented keypoint is needed")
        unknown = [k for k in oriented if k not in keypoints]
        if unknown:
            raise ValueError(f"oriented keypoints {unknown} are not among the keypoints")
        anchors = dict(anchors or {})
        bad = sorted(
            k
            for k, a in anchors.items()
            if k not in keypoints or a not in keypoints or a in anchors
        )
        if bad:
            raise ValueError(
                f"anchors of {bad}: both must be keypoints and an anchor cannot have an anchor"
            )
        self.robot = robot
        self.config = config
        self.keypoints = tuple(keypoints)
        self.oriented = tuple(oriented)
        self._fids = [robot.keypoint_frame_id(k) for k in self.keypoints]
        self._orient_slots = [self.keypoints.index(k) for k in self.oriented]
        self._anchors = [
            (self.keypoints.index(k), self.keypoints.index(a)) for k, a in anchors.items()
        ]
        nk, nm = len(self.keypoints), len(self.oriented)
        self._sqrt_wp = np.sqrt(np.asarray(position_weights, dtype=np.float64))
        self._sqrt_wo = np.sqrt(np.asarray(orientation_weights, dtype=np.float64))
        rows = 3 * nk + 3 * nm
        nv = robot.nv
        self._jac = np.zeros((rows, nv))
        self._err = np.zeros(rows)
        row_w = np.concatenate([np.repeat(self._sqrt_wp, 3), np.repeat(self._sqrt_wo, 3)])
        self._row_w = row_w
        self._reg = np.full(nv, config.damping)
        self._posture = np.zeros(nv)
        self._posture[robot.joint_v_indices] = config.posture_weight
        self._reg += self._posture
        self._neutral_joints = robot.joint_positions(robot.neutral())
        self._idx_q = robot.joint_q_indices
        self._idx_v = robot.joint_v_indices
        self._lower, self._upper = robot.lower, robot.upper
        self._frame = pin.ReferenceFrame.LOCAL_WORLD_ALIGNED

    def step(
        self,
        q: np.ndarray,
        target_pos: np.ndarray,
        target_rot: np.ndarray,
        extra: tuple[np.ndarray, np.ndarray, float] | None = None,
    ) -> np.ndarray:
        """One DLS step from ``q`` (nq,) towards targets ``target_pos`` (K, 3) and
        ``target_rot`` (M, 3, 3). Returns the new configuration (joints within limits).

        ``extra`` adds task rows ``(J (r, nv), e (r,), weight)``: ``J dq = e`` weighted by
        ``weight`` (e.g. self-collision separation, :mod:`molingo_ros.robot.avoid`)."""
        model, data = self.robot.model, self.robot.data
        pin.computeJointJacobians(model, data, q)
        pin.updateFramePlacements(model, data)
        jac, err = self._jac, self._err
        nk = len(self._fids)
        j6s = []
        for i, fid in enumerate(self._fids):
            j6 = pin.getFrameJacobian(model, data, fid, self._frame)
            j6s.append(j6)
            jac[3 * i : 3 * i + 3] = j6[:3]
            err[3 * i : 3 * i + 3] = target_pos[i] - data.oMf[fid].translation
        for i, a in self._anchors:  # relative task: (p_i - p_a) towards (t_i - t_a)
            jac[3 * i : 3 * i + 3] -= jac[3 * a : 3 * a + 3]
            err[3 * i : 3 * i + 3] -= err[3 * a : 3 * a + 3]
        base = 3 * nk
        for m, slot in enumerate(self._orient_slots):
            rot = data.oMf[self._fids[slot]].rotation
            jac[base + 3 * m : base + 3 * m + 3] = j6s[slot][3:]
            err[base + 3 * m : base + 3 * m + 3] = pin.log3(target_rot[m] @ rot.T)
        jw = jac * self._row_w[:, None]
        ew = err * self._row_w
        if extra is not None and len(extra[1]):
            w = float(np.sqrt(extra[2]))
            jw = np.vstack([jw, w * extra[0]])
            ew = np.concatenate([ew, w * extra[1]])
        lhs = jw.T @ jw
        lhs[np.diag_indices_from(lhs)] += self._reg
        rhs = jw.T @ ew
        rhs[self._idx_v] += self._posture[self._idx_v] * (self._neutral_joints - q[self._idx_q])
        dq = np.linalg.solve(lhs, rhs)
        q_new = pin.integrate(model, q, dq)
        q_new[self._idx_q] = np.clip(q_new[self._idx_q], self._lower, self._upper)
        return q_new

    def solve(
        self,
        q: np.ndarray,
        target_pos: np.ndarray,
        target_rot: np.ndarray,
        iterations: int | None = None,
    ) -> np.ndarray:
        """Up to ``iterations`` (default ``config.iterations``) steps from ``q``; stops early
        once the root moves less than ``config.tolerance_m`` in a step."""
        n = self.config.iterations if iterations is None else iterations
        for _ in range(n):
            q_new = self.step(q, target_pos, target_rot)
            moved = float(np.max(np.abs(q_new - q)))
            q = q_new
            if moved < self.config.tolerance_m:
                break
        return q

    def keypoint_errors(self, q: np.ndarray, target_pos: np.ndarray) -> np.ndarray:
        """(K,) distance of each keypoint from its target at ``q``, metres."""
        pin.framesForwardKinematics(self.robot.model, self.robot.data, q)
        pos = np.array([self.robot.data.oMf[f].translation for f in self._fids])
        return np.linalg.norm(pos - target_pos, axis=1)
