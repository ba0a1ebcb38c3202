"""What a joint_trajectory_controller would do with the trajectory messages it receives, and
checks on them. No ROS imports (messages come in as plain arrays).

:class:`TrajectoryTimeline` keeps the planned joint positions by due time. Each message
replaces the plan from its first point on (as ros2_control's joint_trajectory_controller
does); between planned frames the positions are interpolated linearly; after the plan ends
the last frame is held. Every message is checked: joint names matched by name to the robot's
(any order; missing or unknown names are counted), points outside the joint limits, stamps
that go backwards, and messages that arrive after the plan had already run out while the
motion was going on ("starved": the robot would have stopped).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class TimelineReport:
    """Counts over every message received (JSON-friendly)."""

    messages: int = 0
    streamed: int = 0  # messages with more than one point
    holds: int = 0  # one-point messages (a hold)
    points: int = 0
    name_mismatches: int = 0  # messages whose joint names are not exactly the robot's set
    reordered: int = 0  # messages whose joint order differs from the robot's (handled)
    out_of_limits: int = 0  # points with a joint outside its limits
    backwards: int = 0  # messages stamped before the previous one
    starved: int = 0  # messages arriving after the plan ran out mid-motion
    first_receive_s: float | None = None
    last_receive_s: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class TrajectoryTimeline:
    """Planned joint positions (rad, robot joint order) by due time (s)."""

    def __init__(
        self,
        joint_names: list[str],
        lower: np.ndarray,
        upper: np.ndarray,
        tolerance_rad: float = 1e-6,
    ) -> None:
        self.joint_names = list(joint_names)
        self._index = {n: i for i, n in enumerate(self.joint_names)}
        self.lower = np.asarray(lower, dtype=np.float64) - tolerance_rad
        self.upper = np.asarray(upper, dtype=np.float64) + tolerance_rad
        self.times = np.zeros(0)
        self.positions = np.zeros((0, len(self.joint_names)))
        self.report = TimelineReport()
        self._last_stamp: float | None = None

    def add(
        self,
        stamp_s: float,
        names: list[str],
        offsets_s: np.ndarray,
        positions: np.ndarray,
        receive_s: float,
    ) -> bool:
        """One trajectory message: points due at ``stamp_s + offsets_s`` (s), ``positions``
        (N, len(names)) in rad. Returns False (and counts why) when it cannot be used."""
        r = self.report
        r.messages += 1
        r.first_receive_s = receive_s if r.first_receive_s is None else r.first_receive_s
        r.last_receive_s = receive_s
        pos = np.asarray(positions, dtype=np.float64)
        offsets = np.asarray(offsets_s, dtype=np.float64)
        if (
            pos.ndim != 2
            or offsets.ndim != 1
            or len(pos) != len(offsets)
            or len(pos) == 0
            or pos.shape[1] != len(names)
        ):
            r.notes.append(
                f"malformed message at {stamp_s:.3f}: positions {pos.shape} vs offsets "
                f"{offsets.shape} and {len(names)} names"
            )
            return False
        if not (np.isfinite(pos).all() and np.isfinite(offsets).all()):
            r.notes.append(f"non-finite values in the message at {stamp_s:.3f}")
            return False
        if np.any(np.diff(offsets) <= 0):
            r.notes.append(f"time_from_start does not increase in the message at {stamp_s:.3f}")
            return False
        if sorted(names) != sorted(self.joint_names) or len(set(names)) != len(names):
            r.name_mismatches += 1
            unknown = sorted(set(names) - set(self.joint_names))[:3]
            missing = sorted(set(self.joint_names) - set(names))[:3]
            repeated = sorted({n for n in names if list(names).count(n) > 1})[:3]
            r.notes.append(
                f"joint names do not match: unknown {unknown}, missing {missing}, "
                f"repeated {repeated}"
            )
            return False
        if list(names) != self.joint_names:
            r.reordered += 1
        order = np.array([names.index(n) for n in self.joint_names])
        pos = pos[:, order]
        bad = (pos < self.lower) | (pos > self.upper)
        r.out_of_limits += int(bad.any(axis=1).sum())
        if self._last_stamp is not None and stamp_s < self._last_stamp - 1e-9:
            r.backwards += 1
        self._last_stamp = stamp_s
        r.points += len(pos)
        if len(pos) == 1:
            r.holds += 1
        else:
            r.streamed += 1
            if len(self.times) and self.times[-1] < receive_s and self.times[-1] >= stamp_s - 0.1:
                # The plan had ended before this continuation arrived.
                r.starved += 1
        due = stamp_s + offsets
        keep = self.times < due[0] - 1e-9
        self.times = np.concatenate([self.times[keep], due])
        self.positions = np.concatenate([self.positions[keep], pos])
        return True

    def sample(self, t: float) -> np.ndarray | None:
        """Joint positions due at ``t`` (linear between planned frames, the first/last frame
        before/after the plan); None before any message."""
        if not len(self.times):
            return None
        if t <= self.times[0]:
            return self.positions[0].copy()
        if t >= self.times[-1]:
            return self.positions[-1].copy()
        i = int(np.searchsorted(self.times, t, side="right")) - 1
        t0, t1 = self.times[i], self.times[i + 1]
        w = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
        return (1 - w) * self.positions[i] + w * self.positions[i + 1]

    def forget_before(self, t: float) -> None:
        """Drop planned frames older than ``t`` (keeps one, for holding)."""
        keep = self.times >= t
        if len(keep) and not keep.any():
            keep[-1] = True
        self.times, self.positions = self.times[keep], self.positions[keep]


__all__ = ["TimelineReport", "TrajectoryTimeline"]
