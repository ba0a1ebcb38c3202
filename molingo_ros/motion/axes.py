"""Axis conventions: the project's world frame and how other files map onto it.

Project world frame (every module): metres, right-handed, **z up**, **x forward**, **y left**,
floor at z = 0.
"""

from __future__ import annotations

import numpy as np

_AXES = {"x": 0, "y": 1, "z": 2}


def _axis_vector(spec: str) -> np.ndarray:
    spec = spec.strip().lower()
    sign = -1.0 if spec.startswith("-") else 1.0
    name = spec.lstrip("+-")
    if name not in _AXES:
        raise ValueError(f"unknown axis {spec!r}; valid: x, y, z, -x, -y, -z")
    vec = np.zeros(3)
    vec[_AXES[name]] = sign
    return vec


def to_world_matrix(up: str, forward: str) -> np.ndarray:
    """Rotation that maps vectors of a file frame into the project world frame.

    Args:
        up: the file's up axis, e.g. ``"y"``.
        forward: the axis the character faces in the file, e.g. ``"z"`` or ``"x"``.

    Returns:
        (3, 3) proper rotation ``R`` with ``v_world = R @ v_file``.
    """
    up_v, fwd_v = _axis_vector(up), _axis_vector(forward)
    if abs(float(up_v @ fwd_v)) > 0.5:
        raise ValueError(f"up axis {up!r} and forward axis {forward!r} must differ")
    left_v = np.cross(up_v, fwd_v)
    # Rows: world x (forward), y (left), z (up) expressed in file coordinates.
    return np.stack([fwd_v, left_v, up_v])
