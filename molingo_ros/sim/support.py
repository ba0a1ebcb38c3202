"""The support polygon of the stance soles and points kept inside it (floor plane, x y in m)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull


def support_hull(points: np.ndarray) -> np.ndarray:
    """(H, 2) the vertices of the convex hull of ``points`` (K, 2), counter-clockwise."""
    return points[ConvexHull(points).vertices]


def into_polygon(point: np.ndarray, points: np.ndarray, margin: float) -> np.ndarray:
    """``point`` (2,) moved into the convex hull of ``points`` (K, 2) shrunk ``margin`` inward
    (about its centroid; to the centroid when the hull is narrower than twice the margin);
    unchanged when already inside."""
    return into_hull(point, support_hull(points), margin)


def into_hull(point: np.ndarray, hull: np.ndarray, margin: float) -> np.ndarray:
    """:func:`into_polygon` of a hull already made (:func:`support_hull`'s vertices)."""
    centre = hull.mean(axis=0)
    factor = _shrink_factor(hull, centre, margin)
    if factor <= 0.0:
        return centre
    return _nearest_inside(np.asarray(point, dtype=np.float64), centre + (hull - centre) * factor)


def _shrink_factor(hull: np.ndarray, centre: np.ndarray, margin: float) -> float:
    """Scale about ``centre`` that moves the hull's nearest edge ``margin`` inward."""
    nearest = np.inf
    for a, b in zip(hull, np.roll(hull, -1, axis=0), strict=True):
        edge = b - a
        normal = np.array([edge[1], -edge[0]]) / max(float(np.linalg.norm(edge)), 1e-12)
        nearest = min(nearest, abs(float(normal @ (centre - a))))
    return max(0.0, 1.0 - margin / nearest) if nearest > 0 else 0.0


def _nearest_inside(point: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """The point of the convex counter-clockwise ``polygon`` nearest ``point``."""
    inside = True
    best, best_d = point, np.inf
    for a, b in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
        edge = b - a
        if edge[0] * (point[1] - a[1]) - edge[1] * (point[0] - a[0]) < 0:
            inside = False
        t = np.clip((point - a) @ edge / max(float(edge @ edge), 1e-12), 0.0, 1.0)
        candidate = a + t * edge
        d = float(np.linalg.norm(point - candidate))
        if d < best_d:
            best, best_d = candidate, d
    return point.copy() if inside else best


__all__ = ["into_hull", "into_polygon", "support_hull"]
