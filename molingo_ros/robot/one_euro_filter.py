"""One-euro filter (Casiez et al., CHI 2012): adaptive low-pass smoothing of a vector signal,
low lag when it moves fast and strong smoothing when it moves slowly. The retargeter runs it
on the output joint angles against IK jitter (:class:`FilterConfig` is the ``filter:`` section
of a robot's ``retarget:`` config).

Units: the signal's own (rad for joint angles); cutoffs in Hz, ``beta`` per signal unit/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["FilterConfig", "OneEuroFilter"]


@dataclass(frozen=True)
class FilterConfig:
    """One-euro filter (Casiez et al., CHI 2012) on the output joint angles.

    Attributes:
        enabled: filter at all.
        min_cutoff_hz: cutoff when still (lower = smoother, more lag when slow).
        beta: how fast the cutoff rises with speed (per rad/s or m/s); higher = less lag
            when moving fast.
        derivative_cutoff_hz: cutoff of the speed estimate.
        joints: filter only joints whose name contains one of these words (e.g. ``hip``,
            ``knee``, ``ankle``: the joints that foot-orientation noise shakes); empty: all.
    """

    enabled: bool = True
    min_cutoff_hz: float = 4.0
    beta: float = 4.0
    derivative_cutoff_hz: float = 2.0
    joints: tuple[str, ...] = ()


class OneEuroFilter:
    """Vector one-euro filter; each component gets its own adaptive cutoff.

    Args:
        config: cutoffs and speed coefficient (``config.enabled`` is the caller's business).
        rate_hz: sample rate of the signal, Hz.
    """

    def __init__(self, config: FilterConfig, rate_hz: float) -> None:
        self.config = config
        self.dt = 1.0 / rate_hz
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
        """Smoothing factor of a first-order low-pass with ``cutoff`` Hz at step ``dt`` s."""
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Filter the next sample ``x`` (any fixed shape); returns a new array. The first
        sample passes through unchanged."""
        if self._x is None:
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            return x.copy()
        c = self.config
        dx = (x - self._x) / self.dt
        self._dx = self._dx + self._alpha(c.derivative_cutoff_hz, self.dt) * (dx - self._dx)
        cutoff = c.min_cutoff_hz + c.beta * np.abs(self._dx)
        self._x = self._x + self._alpha(cutoff, self.dt) * (x - self._x)
        return self._x.copy()
