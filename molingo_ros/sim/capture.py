"""The capture point (divergent component of motion) kept inside the support polygon: rows of
an inequality on the generalised acceleration for the whole-body controller's QP.

With the linear inverted pendulum of height ``z`` (``omega = sqrt(g / z)``), the capture point
``xi = c + c_dot / omega`` (x y, m) moves away from the centre of pressure ``p`` as
``xi_dot = omega (xi - p)``; ``p`` can only be inside the support polygon, so once ``xi`` has
left it the robot cannot stop without a step. The controller therefore asks that the capture
point predicted ``horizon_s`` ahead, ``xi + horizon_s * (c_dot + c_ddot / omega)``, stays
``margin_m`` inside the polygon, with ``c_ddot = J_com a + drift`` linear in the acceleration.

Frames: world, z up, floor at z = 0. Units: m, s.
"""

from __future__ import annotations

import numpy as np

GRAVITY_M_S2 = 9.81


def pendulum_frequency(com_height_m: float) -> float:
    """``omega = sqrt(g / z)`` (1/s) of the linear inverted pendulum of CoM height ``z``."""
    return float(np.sqrt(GRAVITY_M_S2 / max(com_height_m, 1e-3)))


def capture_point(com: np.ndarray, com_velocity: np.ndarray) -> np.ndarray:
    """The capture point (2,) of a CoM at ``com`` (3,) moving at ``com_velocity`` (3,)."""
    return com[:2] + com_velocity[:2] / pendulum_frequency(float(com[2]))


def capture_rows(
    com: np.ndarray,
    com_velocity: np.ndarray,
    com_drift: np.ndarray,
    com_jacobian: np.ndarray,
    hull: np.ndarray,
    horizon_s: float,
    margin_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``(G, h)``: ``G a <= h`` keeps the predicted capture point ``margin_m`` inside the
    convex polygon ``hull`` ((H, 2) vertices, counter-clockwise:
    :func:`~molingo_ros.sim.support.support_hull`), one row per edge. ``com`` / ``com_velocity`` /
    ``com_drift`` (3,): the CoM, its velocity and its acceleration at ``a = 0``;
    ``com_jacobian`` (3, nv)."""
    omega = pendulum_frequency(float(com[2]))
    edges = np.roll(hull, -1, axis=0) - hull
    normals = np.stack([edges[:, 1], -edges[:, 0]], axis=1)  # outward (counter-clockwise)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    offsets = -np.sum(normals * hull, axis=1)  # n . p + d <= 0 inside
    drift_only = capture_point(com, com_velocity) + horizon_s * (
        com_velocity[:2] + com_drift[:2] / omega
    )  # the predicted capture point at a = 0
    G = normals @ com_jacobian[:2] * (horizon_s / omega)
    h = -offsets - margin_m - normals @ drift_only
    return G, h


__all__ = ["GRAVITY_M_S2", "capture_point", "capture_rows", "pendulum_frequency"]
