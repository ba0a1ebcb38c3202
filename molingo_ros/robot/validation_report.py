"""The result of :func:`molingo_ros.robot.validator.validate`: counts, per-frame verdicts and
details of every check, with a JSON form (:meth:`ValidationReport.to_dict` / ``to_json``).

Units: metres, m/s, rad/s, rad/s^2; frames are indices into the validated motion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ValidationReport"]


@dataclass
class ValidationReport:
    """Result of :func:`validate`. Counts are of (frame, joint) samples unless noted.

    Attributes:
        frames: number of frames T.
        fps: frame rate used for the finite differences.
        joint_limit_violations: (frame, joint) samples outside [lower - tol, upper + tol].
        velocity_limit_violations: (frame, joint) samples with |velocity| above the limit.
        acceleration_limit_violations: (frame, joint) samples with |acceleration| above the
            limit.
        self_collision_frames: frames with at least one colliding pair.
        mean_keypoint_error_m, max_keypoint_error_m: over all (frame, keypoint) samples;
            None without targets.
        max_foot_penetration_m: deepest sole centre below z = 0 (0 if none), metres.
        foot_skate_m_per_s: mean horizontal sole speed over contact samples (both feet;
            0 if there are none), m/s.
        frame_ok: (T,) bool, false for rejected frames.
        keypoint_errors_m: keypoint -> {"mean": m, "max": m}; empty without targets.
        joint_limit_violations_by_joint, velocity_limit_violations_by_joint: joint name ->
            count, only joints with violations.
        max_velocity_ratio: largest |velocity| / limit over all samples (0 for T < 2).
        max_acceleration_rad_s2: largest |acceleration| (0 for T < 3).
        collisions: frame index -> colliding pairs (geometry names), only colliding frames.
        checked_collision_pairs: number of pairs checked per frame (0 if disabled).
        ignored_collision_pairs: pairs dropped because they collide at the neutral pose.
        foot_contact_fraction: fraction of (frame, foot) samples in contact.
        foot_skate_frames: frames where a foot in contact moves faster than the threshold.
        max_foot_skate_m_per_s: fastest contact sample, m/s.
        penetration_frames: frames where a sole is below z = -tolerance.
        dynamics: the dynamic-feasibility counts (``flight_frames``, ``pull_frames``,
            ``friction_violations``, ``zmp_outside_frames``, ``infeasible_flight_frames``,
            ``min_zmp_margin_m``; :mod:`~molingo_ros.robot.dynamics`), None when not checked.
        dynamically_feasible: (T,) bool per frame, None when not checked.
    """

    frames: int
    fps: float
    joint_limit_violations: int
    velocity_limit_violations: int
    acceleration_limit_violations: int
    self_collision_frames: int
    mean_keypoint_error_m: float | None
    max_keypoint_error_m: float | None
    max_foot_penetration_m: float
    foot_skate_m_per_s: float
    frame_ok: np.ndarray
    keypoint_errors_m: dict[str, dict[str, float]] = field(default_factory=dict)
    joint_limit_violations_by_joint: dict[str, int] = field(default_factory=dict)
    velocity_limit_violations_by_joint: dict[str, int] = field(default_factory=dict)
    max_velocity_ratio: float = 0.0
    max_acceleration_rad_s2: float = 0.0
    collisions: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    checked_collision_pairs: int = 0
    ignored_collision_pairs: list[tuple[str, str]] = field(default_factory=list)
    foot_contact_fraction: float = 0.0
    foot_skate_frames: int = 0
    max_foot_skate_m_per_s: float = 0.0
    penetration_frames: int = 0
    dynamics: dict[str, float | int] | None = None
    dynamically_feasible: np.ndarray | None = None

    @property
    def rejected_frames(self) -> list[int]:
        """Indices of the rejected frames."""
        return [int(i) for i in np.flatnonzero(~np.asarray(self.frame_ok, dtype=bool))]

    @property
    def ok(self) -> bool:
        """True if no frame is rejected."""
        return bool(np.all(self.frame_ok))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: plain ints/floats/strings/lists; ``frame_ok`` is replaced by
        ``rejected_frames`` (indices) and ``ok``; collision frames are string keys."""

        def opt(x: float | None) -> float | None:
            return None if x is None else float(x)

        return {
            "frames": int(self.frames),
            "fps": float(self.fps),
            "ok": self.ok,
            "rejected_frames": self.rejected_frames,
            "joint_limit_violations": int(self.joint_limit_violations),
            "velocity_limit_violations": int(self.velocity_limit_violations),
            "acceleration_limit_violations": int(self.acceleration_limit_violations),
            "self_collision_frames": int(self.self_collision_frames),
            "mean_keypoint_error_m": opt(self.mean_keypoint_error_m),
            "max_keypoint_error_m": opt(self.max_keypoint_error_m),
            "max_foot_penetration_m": float(self.max_foot_penetration_m),
            "foot_skate_m_per_s": float(self.foot_skate_m_per_s),
            "keypoint_errors_m": {
                k: {s: float(v) for s, v in d.items()} for k, d in self.keypoint_errors_m.items()
            },
            "joint_limit_violations_by_joint": {
                k: int(v) for k, v in self.joint_limit_violations_by_joint.items()
            },
            "velocity_limit_violations_by_joint": {
                k: int(v) for k, v in self.velocity_limit_violations_by_joint.items()
            },
            "max_velocity_ratio": float(self.max_velocity_ratio),
            "max_acceleration_rad_s2": float(self.max_acceleration_rad_s2),
            "collisions": {
                str(int(t)): [[str(a), str(b)] for a, b in pairs]
                for t, pairs in self.collisions.items()
            },
            "checked_collision_pairs": int(self.checked_collision_pairs),
            "ignored_collision_pairs": [[str(a), str(b)] for a, b in self.ignored_collision_pairs],
            "foot_contact_fraction": float(self.foot_contact_fraction),
            "foot_skate_frames": int(self.foot_skate_frames),
            "max_foot_skate_m_per_s": float(self.max_foot_skate_m_per_s),
            "penetration_frames": int(self.penetration_frames),
            "dynamics": None
            if self.dynamics is None
            else {k: (None if v != v else v) for k, v in self.dynamics.items()},  # NaN: None
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON text (``kwargs`` go to ``json.dumps``)."""
        return json.dumps(self.to_dict(), **kwargs)
