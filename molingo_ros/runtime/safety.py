"""The last gate before a robot: every frame is validated, and an invalid one is never sent.

:class:`SafetyFilter` takes the robot frames of one streamed chunk, runs the pinocchio
validator (:func:`molingo_ros.robot.validator.validate`: joint limits, joint speed limits,
self-collision, feet through the floor) on them together with the last frame that was sent,
and returns frames that all pass it:

- a rejected frame is replaced by a **hold** of the last safe frame (counted as rejected);
- a valid frame too far from the last safe one for the joint speed limits (e.g. after a hold,
  or the first frame of a new stream) is approached at the speed limit (counted as clamped);
- the output is validated again; anything still failing is held.

No ROS imports; the node calls it on every chunk before publishing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from molingo_ros.robot.models import Robot
from molingo_ros.robot.validator import ValidatorConfig, validate


class SafetyError(RuntimeError):
    """No safe frame exists to hold (the very first chunk has no valid frame)."""


@dataclass(frozen=True)
class SafetyConfig:
    """Settings of :class:`SafetyFilter`.

    Attributes:
        velocity_fraction: joints move at most this fraction of their speed limit when the
            filter has to close a gap (0 < f <= 1).
        validator: the checks (limits, speeds, self-collision, floor).
        check_floor: reject frames with a foot below the floor (validator tolerance).
        max_root_speed_m_s: the floating base moves at most this fast (m/s, any direction);
            faster steps (a jump of the root) are slowed to it and counted as clamped.
    """

    velocity_fraction: float = 0.9
    validator: ValidatorConfig = field(default_factory=ValidatorConfig)
    check_floor: bool = True
    max_root_speed_m_s: float = 8.0

    def __post_init__(self) -> None:
        if not 0 < self.velocity_fraction <= 1:
            raise ValueError(f"velocity_fraction must be in (0, 1], got {self.velocity_fraction}")
        if not self.max_root_speed_m_s > 0:
            raise ValueError(f"max_root_speed_m_s must be positive, got {self.max_root_speed_m_s}")


@dataclass
class SafeChunk:
    """Frames that passed the filter.

    Attributes:
        qpos: (T, nq) configurations: root position (m, world frame, z up), root quaternion
            (x, y, z, w), joint angles (rad) in ``robot.joint_names`` order.
        rejected: frames replaced by a hold.
        clamped: frames slowed to the joint speed limits.
        reasons: short descriptions of why frames were rejected (at most a few).
    """

    qpos: np.ndarray
    rejected: int = 0
    clamped: int = 0
    reasons: list[str] = field(default_factory=list)


class SafetyFilter:
    """Stateful filter over a stream of chunks (remembers the last safe frame)."""

    def __init__(self, robot: Robot, fps: float, config: SafetyConfig | None = None) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.robot = robot
        self.fps = float(fps)
        self.config = config or SafetyConfig()
        self.last_q: np.ndarray | None = None
        self._max_step = robot.velocity_limits * self.config.velocity_fraction / self.fps
        self._max_root_step = self.config.max_root_speed_m_s / self.fps

    def reset(self, last_q: np.ndarray | None = None) -> None:
        """Forget (or set) the last frame sent."""
        self.last_q = None if last_q is None else np.asarray(last_q, dtype=np.float64).copy()

    def _frame_ok(self, qpos: np.ndarray, after_last: bool = True) -> tuple[np.ndarray, list[str]]:
        """Per-frame validity of ``qpos`` (validated after ``last_q`` when there is one and
        ``after_last``; without it, the speed from ``last_q`` to the first frame is not judged)."""
        with_last = after_last and self.last_q is not None
        q = np.concatenate([self.last_q[None], qpos]) if with_last else qpos
        finite = np.isfinite(q).all(axis=1)
        ok = finite.copy()
        reasons: list[str] = []
        if not finite.all():
            reasons.append("non-finite values")
        q_checked = np.where(finite[:, None], q, self.robot.neutral()[None])
        report = validate(self.robot, q_checked, self.fps, config=self.config.validator)
        ok &= report.frame_ok
        if not self.config.check_floor and report.penetration_frames:
            # Re-admit frames whose only fault is the floor.
            ok = finite & _ok_without_floor(self.robot, q_checked, self.fps, self.config)
        if report.joint_limit_violations:
            reasons.append(f"{report.joint_limit_violations} joint-limit violations")
        if report.velocity_limit_violations:
            reasons.append(f"{report.velocity_limit_violations} joint-speed violations")
        if report.self_collision_frames:
            reasons.append(f"{report.self_collision_frames} self-collision frames")
        if report.penetration_frames and self.config.check_floor:
            reasons.append(f"{report.penetration_frames} frames with a foot below the floor")
        return (ok[1:] if with_last else ok), reasons

    def apply(self, qpos: np.ndarray) -> SafeChunk:
        """Filter one chunk (T, nq); updates :attr:`last_q`.

        Raises:
            ValueError: wrong shape.
            SafetyError: no safe frame to hold (first chunk without a single valid frame).
        """
        qpos = np.asarray(qpos, dtype=np.float64)
        if qpos.ndim != 2 or qpos.shape[1] != self.robot.nq or len(qpos) == 0:
            raise ValueError(f"qpos must be (T, {self.robot.nq}) with T >= 1, got {qpos.shape}")
        # The speed from last_q to the first frame is not a reason to hold it: the clamp
        # below closes that gap at the speed limit (a hold would never end with 1-frame chunks).
        ok, reasons = self._frame_ok(qpos, after_last=False)
        prev = self.last_q
        if prev is None:
            valid = np.flatnonzero(ok)
            if len(valid) == 0:
                raise SafetyError(
                    "no frame of the first chunk passes validation: " + "; ".join(reasons)
                )
            prev = qpos[valid[0]]
        idx = self.robot.joint_q_indices
        out = np.empty_like(qpos)
        rejected = clamped = 0
        for t in range(len(qpos)):
            if not ok[t]:
                out[t] = prev
                rejected += 1
            else:
                q = qpos[t].copy()
                lo, hi = prev[idx] - self._max_step, prev[idx] + self._max_step
                slowed = False
                if np.any(q[idx] < lo) or np.any(q[idx] > hi):
                    q[idx] = np.clip(q[idx], lo, hi)
                    slowed = True
                if self.robot.spec.floating_base:
                    step = q[:3] - prev[:3]
                    norm = float(np.linalg.norm(step))
                    if norm > self._max_root_step:
                        q[:3] = prev[:3] + step * (self._max_root_step / norm)
                        slowed = True
                clamped += slowed
                out[t] = q
            prev = out[t]
        # Second pass: the clamped frames are new configurations; check the whole output.
        ok2, more = self._frame_ok(out)
        if not ok2.all():
            first = int(np.flatnonzero(~ok2)[0])
            hold = (
                out[first - 1] if first > 0 else (self.last_q if self.last_q is not None else None)
            )
            if hold is None:
                raise SafetyError("the first frame could not be made safe: " + "; ".join(more))
            rejected += len(out) - first
            out[first:] = hold
            reasons += more
        self.last_q = out[-1].copy()
        return SafeChunk(out, rejected, clamped, reasons[:4])


def _ok_without_floor(robot: Robot, q: np.ndarray, fps: float, config: SafetyConfig) -> np.ndarray:
    relaxed = ValidatorConfig(**{**config.validator.__dict__, "foot_penetration_tolerance_m": 1e9})
    return validate(robot, q, fps, config=relaxed).frame_ok


__all__ = ["SafeChunk", "SafetyConfig", "SafetyError", "SafetyFilter"]
