"""The quadratic program of the whole-body controller (molingo_ros.sim.wbc): its inequality
rows (friction pyramids, normal forces, joint torques, joint position limits), soft rows with
a slack variable, and the proxsuite solver kept warm between control steps.

Decision variables: ``x = [a (nv), f (n_f)]`` (generalised acceleration, contact forces
stacked 3 per contact point, world frame), and with :func:`with_soft_rows` one slack last.
Units: m, rad, s, N, N m.
"""

from __future__ import annotations

import numpy as np
import proxsuite

INFINITY = 1e20


def joint_limit_accelerations(
    position: np.ndarray,
    velocity: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    horizon_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Joint accelerations (rad/s^2) that keep ``q + v T + a T^2 / 2`` inside ``[lower,
    upper]`` over ``T = horizon_s``; a joint already outside may still decelerate (the bounds
    never cross)."""
    T = horizon_s
    lo = 2.0 * (lower - position - velocity * T) / T**2
    hi = 2.0 * (upper - position - velocity * T) / T**2
    mid = 0.5 * (lo + hi)
    return np.minimum(lo, mid), np.maximum(hi, mid)


def contact_inequalities(
    nv: int,
    n_forces: int,
    friction_mu: float,
    max_normal_force_n: float,
    mass: np.ndarray,
    bias: np.ndarray,
    contact_jacobian: np.ndarray,
    torque_limit: np.ndarray,
    joint_acceleration_bounds: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(C, lower, upper)`` with ``lower <= C x <= upper``: each contact force in its friction
    pyramid (``|f_x|, |f_y| <= mu f_z``) with ``0 <= f_z <= max_normal_force_n``; the joint
    torques ``M[6:] a + h[6:] - Jc[:, 6:]^T f`` within ``torque_limit``; the joint
    accelerations within ``joint_acceleration_bounds``. ``mass`` (nv, nv), ``bias`` (nv,)
    the equations of motion; ``contact_jacobian`` (n_forces, nv)."""
    n, nj, k = nv + n_forces, nv - 6, n_forces // 3
    C = np.zeros((5 * k + 2 * nj, n))
    lo = np.full(C.shape[0], -INFINITY)
    hi = np.zeros(C.shape[0])
    row = 0
    for i in range(k):
        col = nv + 3 * i
        for axis in (0, 1):
            for sign in (1.0, -1.0):  # +-f_axis - mu f_z <= 0
                C[row, col + axis] = sign
                C[row, col + 2] = -friction_mu
                row += 1
        C[row, col + 2] = 1.0
        lo[row], hi[row] = 0.0, max_normal_force_n
        row += 1
    torque = slice(row, row + nj)
    C[torque, :nv] = mass[6:]
    C[torque, nv:] = -contact_jacobian[:, 6:].T
    lo[torque] = -torque_limit - bias[6:]
    hi[torque] = torque_limit - bias[6:]
    limits = slice(row + nj, row + 2 * nj)
    C[limits, 6:nv] = np.eye(nj)
    lo[limits], hi[limits] = joint_acceleration_bounds
    return C, lo, hi


def with_soft_rows(qp: tuple, rows: np.ndarray, upper: np.ndarray, weight: float) -> tuple:
    """``qp = (H, g, A, b, C, lower, upper)`` with ``rows a <= upper`` added as soft rows:
    one slack ``s >= 0`` appended to ``x`` (``rows a - s <= upper``), costing ``weight s^2``.
    ``rows`` (m, nv) act on the first nv variables (the accelerations)."""
    H, g, A, b, C, lo, hi = qp
    n = H.shape[0]
    H = np.pad(H, ((0, 1), (0, 1)))
    H[n, n] = weight
    extra = np.zeros((len(upper) + 1, n + 1))
    extra[:-1, : rows.shape[1]], extra[:-1, n], extra[-1, n] = rows, -1.0, 1.0
    C = np.vstack([np.pad(C, ((0, 0), (0, 1))), extra])
    lo = np.concatenate([lo, np.full(len(upper), -INFINITY), [0.0]])
    hi = np.concatenate([hi, upper, [INFINITY]])
    return H, np.append(g, 0.0), np.pad(A, ((0, 0), (0, 1))), b, C, lo, hi


class WarmQp:
    """A proxsuite dense QP solver, kept (warm) while the problem's sizes stay the same."""

    def __init__(self, eps_abs: float = 1e-6, max_iter: int = 300) -> None:
        self.eps_abs, self.max_iter = eps_abs, max_iter
        self._sizes: tuple[int, int, int] | None = None
        self._qp = None

    def solve(self, H, g, A, b, C, lo, hi) -> np.ndarray:
        """``argmin x^T H x / 2 + g^T x`` s.t. ``A x = b``, ``lo <= C x <= hi``."""
        sizes = (H.shape[0], A.shape[0], C.shape[0])
        if self._qp is None or self._sizes != sizes:
            self._qp = proxsuite.proxqp.dense.QP(*sizes)
            self._qp.settings.eps_abs = self.eps_abs
            self._qp.settings.verbose = False
            self._qp.settings.max_iter = self.max_iter
            self._qp.init(H, g, A, b, C, lo, hi)
            self._sizes = sizes
        else:
            self._qp.update(H, g, A, b, C, lo, hi)
        self._qp.solve()
        return np.asarray(self._qp.results.x)

    @property
    def solution(self) -> np.ndarray:
        """The last solution ``x``."""
        return np.asarray(self._qp.results.x)


__all__ = [
    "WarmQp",
    "contact_inequalities",
    "joint_limit_accelerations",
    "with_soft_rows",
]
