"""The whole-body controller's QP pieces (molingo_ros.sim.wbc_qp) on small problems solved by
proxsuite: joint-limit accelerations, the friction pyramid and torque rows, soft rows with a
slack that give only when they must, and the solver kept warm across steps."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.sim.wbc_qp import (
    WarmQp,
    contact_inequalities,
    joint_limit_accelerations,
    with_soft_rows,
)


def test_joint_limit_accelerations_stop_a_joint_at_its_limit():
    lo, hi = joint_limit_accelerations(
        np.array([0.9, 0.0, 1.2]), np.array([1.0, 0.0, 0.0]), -np.ones(3), np.ones(3), 0.1
    )
    # 0.1 rad left at 1 rad/s: q + v T + a T^2 / 2 <= 1 asks a <= 2 (0.1 - 0.1) / 0.01 = 0.
    assert hi[0] == pytest.approx(0.0) and lo[0] < -300
    assert lo[1] == pytest.approx(-200.0) and hi[1] == pytest.approx(200.0)
    # 0.2 rad past the upper limit: it must come back (bounds [-440, -40], never crossed).
    assert lo[2] == pytest.approx(-440.0) and hi[2] == pytest.approx(-40.0)


def test_contact_rows_hold_friction_normal_force_and_torques():
    nv, n_f = 8, 3  # a floating base and 2 joints, one contact point
    M, h = np.eye(nv) * 2.0, np.arange(nv, dtype=float)
    Jc = np.ones((3, nv))
    bounds = (np.full(2, -5.0), np.full(2, 5.0))
    C, lo, hi = contact_inequalities(nv, n_f, 0.5, 100.0, M, h, Jc, np.array([10.0, 20.0]), bounds)
    assert C.shape == (5 + 2 * 2, nv + n_f)

    def inside(a: np.ndarray, f: np.ndarray) -> bool:
        x = np.concatenate([a, f])
        return bool(np.all(C @ x >= lo - 1e-12) and np.all(C @ x <= hi + 1e-12))

    a = np.zeros(nv)
    assert inside(a, np.array([0.4, -0.4, 1.0]))  # |f_t| <= 0.5 f_z
    assert not inside(a, np.array([0.6, 0.0, 1.0]))  # outside the pyramid
    assert not inside(a, np.array([0.0, 0.0, -1.0]))  # the floor only pushes
    assert not inside(a, np.array([0.0, 0.0, 101.0]))  # over the normal-force cap
    # Torques M[6:] a + h[6:] - Jc[:, 6:]^T f: joint 0 has h = 6, limit 10.
    assert inside(np.r_[np.zeros(6), 1.9, 0.0], np.zeros(3))  # 2 * 1.9 + 6 = 9.8
    assert not inside(np.r_[np.zeros(6), 2.1, 0.0], np.zeros(3))  # 10.2
    assert not inside(np.r_[np.zeros(6), 0.0, 6.0], np.zeros(3))  # joint acceleration > 5


def test_a_soft_row_gives_only_against_a_heavier_cost():
    """min (x0 - 3)^2 + (x1 - 1)^2 with x0 + x1 = 4 hard and x0 <= 1 soft: a heavy slack
    holds the soft row, a light one lets it go; the equality holds either way."""
    H, g = 2.0 * np.eye(2), np.array([-6.0, -2.0])
    A, b = np.array([[1.0, 1.0]]), np.array([4.0])
    C, lo, hi = np.zeros((0, 2)), np.zeros(0), np.zeros(0)
    for weight, expected in ((1e7, 1.0), (1e-6, 3.0)):
        qp = with_soft_rows(
            (H, g, A, b, C, lo, hi), np.array([[1.0, 0.0]]), np.array([1.0]), weight
        )
        x = WarmQp().solve(*qp)
        assert x.shape == (3,) and x[0] == pytest.approx(expected, abs=1e-3)
        assert x[0] + x[1] == pytest.approx(4.0, abs=1e-6) and x[2] >= -1e-9


def test_the_solver_is_kept_warm_and_rebuilt_when_sizes_change():
    def unconstrained(n: int) -> tuple:
        """(A, b, C, lower, upper) of no constraint on n variables."""
        return np.zeros((0, n)), np.zeros(0), np.zeros((0, n)), np.zeros(0), np.zeros(0)

    solver = WarmQp()
    x = solver.solve(np.eye(2), np.array([-1.0, -2.0]), *unconstrained(2))
    assert x == pytest.approx([1.0, 2.0], abs=1e-6)
    kept = solver._qp
    x = solver.solve(np.eye(2), np.array([-3.0, 0.0]), *unconstrained(2))
    assert solver._qp is kept and x == pytest.approx([3.0, 0.0], abs=1e-6)
    solver.solve(np.eye(3), -np.ones(3), *unconstrained(3))
    assert solver._qp is not kept and solver.solution == pytest.approx(np.ones(3), abs=1e-6)
