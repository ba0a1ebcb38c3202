"""Foot-floor checks of a motion from its sole-centre tracks: penetration below the floor and
skating (horizontal sole speed while the sole is in contact).

Conventions: metres, m/s, world frame, z up, floor at z = 0; ``soles`` is (T, 2, 3), the left
then the right sole centre (``Robot.sole_positions``) in every frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FootCheck", "check_feet"]


@dataclass(frozen=True)
class FootCheck:
    """Result of :func:`check_feet`.

    Attributes:
        penetration_bad: (T,) bool, a sole is deeper below z = 0 than the tolerance.
        max_penetration_m: deepest sole centre below z = 0 (0 if none), metres.
        contact_fraction: fraction of (frame, foot) samples in contact.
        mean_skate_m_s: mean horizontal sole speed over contact steps (0 if none), m/s.
        max_skate_m_s: fastest contact step, m/s.
        skate_frames: steps where a foot in contact moves faster than the threshold.
    """

    penetration_bad: np.ndarray
    max_penetration_m: float
    contact_fraction: float
    mean_skate_m_s: float
    max_skate_m_s: float
    skate_frames: int


def check_feet(
    soles: np.ndarray,
    fps: float,
    penetration_tolerance_m: float,
    contact_height_m: float,
    skate_speed_m_s: float,
) -> FootCheck:
    """Penetration and skating of the (T, 2, 3) sole-centre tracks ``soles``.

    Args:
        soles: (T, 2, 3) left and right sole centres, metres, world frame.
        fps: frame rate, frames per second.
        penetration_tolerance_m: a sole centre may be this far below z = 0.
        contact_height_m: a sole centre at or below this height is in contact.
        skate_speed_m_s: a contact step faster than this counts as skating.

    A step counts for skating when the sole is in contact at both of its ends.
    """
    depth = np.maximum(-soles[:, :, 2], 0.0)
    pen_bad = (depth > penetration_tolerance_m).any(axis=1)
    contact = soles[:, :, 2] <= contact_height_m
    if soles.shape[0] > 1:
        speed = np.linalg.norm(np.diff(soles[:, :, :2], axis=0), axis=2) * fps  # (T-1, 2)
        both = contact[1:] & contact[:-1]
        samples = speed[both]
        skate = float(samples.mean()) if samples.size else 0.0
        max_skate = float(samples.max()) if samples.size else 0.0
        skate_frames = int(np.any(both & (speed > skate_speed_m_s), axis=1).sum())
    else:
        skate, max_skate, skate_frames = 0.0, 0.0, 0
    return FootCheck(
        penetration_bad=pen_bad,
        max_penetration_m=float(depth.max()),
        contact_fraction=float(contact.mean()),
        mean_skate_m_s=skate,
        max_skate_m_s=max_skate,
        skate_frames=skate_frames,
    )
