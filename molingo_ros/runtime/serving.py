"""Admission control for the robots one process serves from one model: each robot's stream
costs a measured share of the device (seconds of compute per second of motion); a robot is
admitted only while every stream, the new one included, can stay ``realtime_margin`` times
faster than real time. No ROS imports."""

from __future__ import annotations

import threading


class AdmissionError(RuntimeError):
    """The device cannot keep one more stream in real time (the message says by how much)."""


class ServingBudget:
    """The streams a process serves and their measured loads.

    A stream's load is its compute seconds per second of motion (0.1: one window of 1.07 s
    takes 0.107 s). The streams share the device, so together they stay ``margin`` times
    faster than real time while ``margin * sum(loads) <= 1``.
    """

    def __init__(self) -> None:
        self._loads: dict[str, float] = {}
        self._lock = threading.Lock()

    def admit(self, name: str, load: float, margin: float) -> float:
        """Admit stream ``name`` with ``load`` (s of compute per s of motion) when every
        stream then keeps ``margin`` x real time (``margin`` 0: always); returns the total
        load. Raises :class:`AdmissionError` naming the streams already served."""
        if load < 0:
            raise ValueError(f"load must be >= 0, got {load}")
        with self._lock:
            others = {k: v for k, v in self._loads.items() if k != name}
            total = sum(others.values()) + load
            if margin > 0 and margin * total > 1.0:
                served = ", ".join(f"{k} ({v:.2f})" for k, v in others.items()) or "none"
                raise AdmissionError(
                    f"the device cannot serve {name} at {margin:g}x real time: its stream "
                    f"needs {load:.2f} s of compute per second of motion, {total:.2f} with the "
                    f"streams already served ({served}); the limit is {1 / margin:.2f} "
                    "(serving.realtime_margin)"
                )
            self._loads = {**others, name: load}
            return total

    def release(self, name: str) -> None:
        """Forget stream ``name`` (no error when it is not served)."""
        with self._lock:
            self._loads.pop(name, None)

    @property
    def served(self) -> dict[str, float]:
        """The streams served and their loads."""
        with self._lock:
            return dict(self._loads)


PROCESS_BUDGET = ServingBudget()
"""The budget of this process's device (every node of the process admits its robot here)."""

__all__ = ["PROCESS_BUDGET", "AdmissionError", "ServingBudget"]
