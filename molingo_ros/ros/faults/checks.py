"""Pure computations of the fault suite (no ROS): the commanded timeline, freezes, limit
violations, statistics.

Units: seconds (s) for times, radians (rad) for joint positions, rad/s for joint velocities,
MiB for memory. Times are on one clock (the ROS clock, which is the wall clock here).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Limits:
    """Joint limits of one robot, in its joint order.

    Attributes:
        lower, upper: position limits (rad), shape (J,).
        velocity: speed limits (rad/s), shape (J,).
    """

    lower: np.ndarray
    upper: np.ndarray
    velocity: np.ndarray

    @classmethod
    def of_robot(cls, robot) -> Limits:
        """From a :class:`molingo_ros.robot.models.Robot`."""
        return cls(
            np.asarray(robot.lower, float),
            np.asarray(robot.upper, float),
            np.asarray(robot.velocity_limits, float),
        )


@dataclass(frozen=True)
class Freeze:
    """A run of identical consecutive commanded states.

    Attributes:
        start_s: time of the first state of the run (s).
        frames: repeated states after the first (count; 1 = one frame held once).
        seconds: time from the first to the last state of the run (s).
    """

    start_s: float
    frames: int
    seconds: float


def timeline(
    messages: Iterable[tuple[float, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """The commanded plan built from JointTrajectory messages the way
    joint_trajectory_controller does: each message replaces every point due from its stamp on.

    Args:
        messages: (header stamp (s), time_from_start of each point (s, (N,)), positions
            (rad, (N, J))) in the order received.

    Returns:
        (due times (s, (F,), increasing), positions (rad, (F, J))).
    """
    line: dict[int, np.ndarray] = {}
    for stamp, tfs, pos in messages:
        cut = round(stamp * 1000) - 1  # ms keys; a frame due at the stamp itself is replaced
        line = {k: v for k, v in line.items() if k < cut}
        for t, p in zip(np.asarray(tfs, float), np.asarray(pos, float), strict=True):
            line[round((stamp + t) * 1000)] = p
    keys = sorted(line)
    if not keys:
        return np.zeros(0), np.zeros((0, 0))
    return np.array(keys, float) / 1000.0, np.stack([line[k] for k in keys])


def state_at(times: np.ndarray, status: Sequence[tuple[float, str]]) -> list[str]:
    """The status state in force at each of ``times`` (s): that of the last status stamped at
    or before it ("" before the first). ``status``: (stamp s, state), any order."""
    if not status:
        return [""] * len(times)
    order = sorted(status, key=lambda s: s[0])
    stamps = np.array([s[0] for s in order])
    idx = np.searchsorted(stamps, np.asarray(times, float), side="right") - 1
    return [order[i][1] if i >= 0 else "" for i in idx]


def find_freezes(
    times: np.ndarray,
    positions: np.ndarray,
    active: Sequence[bool],
    max_gap_s: float,
) -> list[Freeze]:
    """Runs of bit-identical consecutive states while ``active`` (e.g. the status said
    "streaming"); consecutive = at most ``max_gap_s`` (s) apart.

    Args:
        times: (N,) increasing times (s).
        positions: (N, J) joint positions (rad).
        active: per state, whether a freeze there counts.
        max_gap_s: larger gaps end a run (a pause in the plan is not a repeated state).
    """
    out: list[Freeze] = []
    start = None
    for i in range(1, len(times)):
        same = (
            active[i]
            and active[i - 1]
            and times[i] - times[i - 1] <= max_gap_s
            and np.array_equal(positions[i], positions[i - 1])
        )
        if same and start is None:
            start = i - 1
        if start is not None and (not same or i == len(times) - 1):
            end = i if same else i - 1
            out.append(Freeze(float(times[start]), end - start, float(times[end] - times[start])))
            start = None
    return out


def gaps(times: np.ndarray, active: Sequence[bool], min_gap_s: float) -> list[tuple[float, float]]:
    """(start s, length s) of the pauses longer than ``min_gap_s`` between consecutive due
    times while ``active`` at both ends: the buffer ran out (generation slower than real time)."""
    return [
        (float(times[i - 1]), float(times[i] - times[i - 1]))
        for i in range(1, len(times))
        if active[i] and active[i - 1] and times[i] - times[i - 1] > min_gap_s
    ]


def freeze_summary(freezes: list[Freeze], since_s: float = 0.0, top: int = 8) -> dict:
    """Count and longest freeze (frames, s) of a list of :class:`Freeze`, and the ``top``
    longest as (start s after ``since_s``, frames)."""
    longest = max(freezes, key=lambda f: f.frames, default=None)
    ranked = sorted(freezes, key=lambda f: -f.frames)[:top]
    return {
        "longest_runs": [(round(f.start_s - since_s, 2), f.frames) for f in ranked],
        "count": len(freezes),
        "longest_frames": longest.frames if longest else 0,
        "longest_s": round(longest.seconds, 4) if longest else 0.0,
        "over_one_frame": sum(f.frames > 1 for f in freezes),
    }


def limit_violations(
    positions: np.ndarray,
    velocities: np.ndarray | None,
    limits: Limits,
    pos_tol: float = 1e-6,
    vel_tol: float = 1e-6,
) -> dict:
    """Points (rows) with a joint outside its position limits (rad, ``pos_tol`` slack), a
    non-finite value, or a reported velocity over its speed limit (rad/s, relative slack
    ``vel_tol``)."""
    pos = np.asarray(positions, float)
    if pos.size == 0:
        return {"points": 0, "position": 0, "velocity": 0, "non_finite": 0, "checked": 0}
    bad_pos = (pos < limits.lower - pos_tol) | (pos > limits.upper + pos_tol)
    non_finite = ~np.isfinite(pos)
    bad_vel = np.zeros_like(bad_pos)
    if velocities is not None and np.size(velocities):
        vel = np.asarray(velocities, float)
        non_finite |= ~np.isfinite(vel)
        bad_vel = np.abs(vel) > limits.velocity * (1 + vel_tol)
    rows = bad_pos.any(1) | bad_vel.any(1) | non_finite.any(1)
    return {
        "points": int(rows.sum()),
        "position": int(bad_pos.any(1).sum()),
        "velocity": int(bad_vel.any(1).sum()),
        "non_finite": int(non_finite.any(1).sum()),
        "checked": len(pos),
    }


def speed_violations(
    times: np.ndarray, positions: np.ndarray, limits: Limits, fps: float, tol: float = 1e-3
) -> dict:
    """Steps between consecutive frames (one frame period apart, +-25 %) faster than the speed
    limits: |dq| * fps > limit * (1 + tol). Returns the count and the worst ratio to the limit."""
    if len(times) < 2:
        return {"steps": 0, "checked": 0, "worst_ratio": 0.0}
    dt = np.diff(times)
    one = np.abs(dt - 1.0 / fps) <= 0.25 / fps
    ratio = np.abs(np.diff(positions, axis=0)) * fps / limits.velocity
    worst = ratio[one].max(axis=1) if one.any() else np.zeros(0)
    return {
        "steps": int((worst > 1 + tol).sum()),
        "checked": int(one.sum()),
        "worst_ratio": round(float(worst.max()), 4) if len(worst) else 0.0,
    }


def slope_per_min(samples: Sequence[tuple[float, float]], after_s: float = 0.0) -> float | None:
    """Least-squares slope (units per minute) of (t s, value) samples at t >= ``after_s``;
    None with fewer than 3 samples."""
    pts = [(t, v) for t, v in samples if t >= after_s and math.isfinite(v)]
    if len(pts) < 3:
        return None
    t = np.array([p[0] for p in pts]) / 60.0
    v = np.array([p[1] for p in pts])
    if np.ptp(t) <= 0:
        return None
    return float(np.polyfit(t, v, 1)[0])


def stats(values: Sequence[float]) -> dict:
    """n, median, p95 and max of ``values`` (same unit as the values; None when empty)."""
    a = np.asarray([v for v in values if v is not None and math.isfinite(v)], float)
    if not len(a):
        return {"n": 0, "median": None, "p95": None, "max": None}
    return {
        "n": len(a),
        "median": round(float(np.median(a)), 4),
        "p95": round(float(np.percentile(a, 95)), 4),
        "max": round(float(a.max()), 4),
    }


def max_cross_jump(
    series: Sequence[tuple[float, str, np.ndarray]], within_s: float
) -> tuple[float, int]:
    """States from two sources interleaved: the largest joint difference (rad) between
    consecutive states (time-ordered) from different sources at most ``within_s`` (s) apart,
    and how many such pairs there were. ``series``: (time s, source id, positions)."""
    order = sorted(series, key=lambda s: s[0])
    worst, pairs = 0.0, 0
    for (t0, s0, p0), (t1, s1, p1) in zip(order, order[1:], strict=False):
        if s0 != s1 and t1 - t0 <= within_s and len(p0) == len(p1):
            pairs += 1
            worst = max(worst, float(np.max(np.abs(np.asarray(p1) - np.asarray(p0)))))
    return worst, pairs


__all__ = [
    "Freeze",
    "Limits",
    "find_freezes",
    "freeze_summary",
    "gaps",
    "limit_violations",
    "max_cross_jump",
    "slope_per_min",
    "speed_violations",
    "state_at",
    "stats",
    "timeline",
]
