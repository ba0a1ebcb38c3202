"""Retargeting quality, per clip and over many clips: the validator's checks plus the
measures GMR users complain about (jitter, ankle snaps, floating stance feet).

:func:`motion_quality` adds to :class:`~molingo_ros.robot.validation_report.ValidationReport`:

* ``jitter_sign_flips``: (frame, joint) samples where a joint's velocity changes sign with
  ``|v| > 0.5 rad/s`` on both sides (a reversal within one frame: jitter);
* ``max_joint_speed_rad_s`` overall and ``max_ankle_speed_rad_s`` (ankle snaps at toe-off);
* stance-foot heights: the robot's sole height (metres above the floor) over the frames where
  the **human** foot is in contact (``Targets.contacts``): mean, 95th percentile and max of
  ``|z|``, and the fraction within +-1 cm.

:func:`retarget_clips` runs retarget + validate over a list of clips and writes one JSON with
a row per clip and a summary.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from molingo_ros.motion.motion import Motion
from molingo_ros.robot.models import Robot
from molingo_ros.robot.retarget import RetargetResult, retarget
from molingo_ros.robot.retarget_config import RetargetConfig
from molingo_ros.robot.validator import ValidatorConfig, validate

#: Velocity magnitude (rad/s) both sides of a sign change must exceed to count as a flip.
FLIP_THRESHOLD_RAD_S = 0.5
#: Stance feet count as "on the floor" within this height (metres).
STANCE_TOLERANCE_M = 0.01


def jitter_sign_flips(
    joint_angles: np.ndarray, fps: float, threshold: float = FLIP_THRESHOLD_RAD_S
) -> int:
    """Number of (frame, joint) velocity sign changes with ``|v| > threshold`` (rad/s) on
    both sides. ``joint_angles`` is (T, n) radians."""
    if len(joint_angles) < 3:
        return 0
    v = np.diff(joint_angles, axis=0) * fps
    flip = (np.sign(v[1:]) != np.sign(v[:-1])) & (np.abs(v[1:]) > threshold)
    flip &= np.abs(v[:-1]) > threshold
    return int(flip.sum())


def stance_foot_heights(robot: Robot, qpos: np.ndarray, contacts: np.ndarray) -> np.ndarray:
    """Sole heights (metres above z = 0) of the robot's feet at the (frame, foot) samples
    where ``contacts`` (T, 2: left, right) is true."""
    out = []
    for q, c in zip(qpos, contacts, strict=True):
        if not c.any():
            continue
        soles = robot.sole_positions(q)
        if c[0]:
            out.append(soles["left"][2])
        if c[1]:
            out.append(soles["right"][2])
    return np.asarray(out, dtype=np.float64)


def motion_quality(robot: Robot, result: RetargetResult) -> dict[str, Any]:
    """Jitter, joint speeds and stance-foot heights of a retargeted motion (see module
    docstring). All lengths in metres, angles in radians."""
    ang = result.qpos[:, robot.joint_q_indices]
    speed = (
        np.abs(np.diff(ang, axis=0)) * result.fps if len(ang) > 1 else np.zeros((1, ang.shape[1]))
    )
    ankles = [i for i, n in enumerate(robot.joint_names) if "ankle" in n.lower()]
    z = stance_foot_heights(robot, result.qpos, result.targets.contacts)
    stance: dict[str, float | int | None]
    if z.size:
        a = np.abs(z)
        stance = {
            "samples": int(z.size),
            "mean_height_m": float(z.mean()),
            "mean_abs_height_m": float(a.mean()),
            "p95_abs_height_m": float(np.percentile(a, 95)),
            "max_abs_height_m": float(a.max()),
            "fraction_within_1cm": float(np.mean(a <= STANCE_TOLERANCE_M)),
        }
    else:
        stance = {
            "samples": 0,
            "mean_height_m": None,
            "mean_abs_height_m": None,
            "p95_abs_height_m": None,
            "max_abs_height_m": None,
            "fraction_within_1cm": None,
        }
    return {
        "jitter_sign_flips": jitter_sign_flips(ang, result.fps),
        "max_joint_speed_rad_s": float(speed.max()),
        "max_ankle_speed_rad_s": float(speed[:, ankles].max()) if ankles else None,
        "stance_feet": stance,
        "calibration": {
            "scale": result.targets.calibration.scale,
            "stance_ankle_height_m": result.targets.calibration.stance_ankle_height_m,
            "flat_foot_pitch_rad": result.targets.calibration.flat_foot_pitch_rad,
        },
        "rig": result.rig,
    }


@dataclass
class ClipReport:
    """Retarget + validation result of one clip (JSON-ready via :meth:`to_dict`)."""

    name: str
    frames: int
    fps: float
    retarget_s: float
    validate_s: float
    validation: dict[str, Any]
    quality: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        v = self.validation
        return {
            "clip": self.name,
            "frames": self.frames,
            "fps": self.fps,
            "retarget_s": self.retarget_s,
            "validate_s": self.validate_s,
            "joint_limit_violations": v["joint_limit_violations"],
            "velocity_limit_violations": v["velocity_limit_violations"],
            "self_collision_frames": v["self_collision_frames"],
            "mean_keypoint_error_m": v["mean_keypoint_error_m"],
            "max_keypoint_error_m": v["max_keypoint_error_m"],
            "max_foot_penetration_m": v["max_foot_penetration_m"],
            "foot_skate_m_per_s": v["foot_skate_m_per_s"],
            "dynamics": v.get("dynamics"),
            "quality": self.quality,
            "validation": v,
        }


def retarget_and_validate(
    motion: Motion,
    robot: Robot,
    config: RetargetConfig | None = None,
    validator: ValidatorConfig | None = None,
) -> tuple[RetargetResult, ClipReport]:
    """Retarget ``motion`` to ``robot``, validate every frame, measure the quality."""
    t0 = time.perf_counter()
    result = retarget(motion, robot, config)
    t1 = time.perf_counter()
    report = validate(robot, result.qpos, result.fps, result.target_positions(), validator)
    t2 = time.perf_counter()
    return result, ClipReport(
        name=motion.name,
        frames=result.frames,
        fps=result.fps,
        retarget_s=t1 - t0,
        validate_s=t2 - t1,
        validation=report.to_dict(),
        quality=motion_quality(robot, result),
    )


def _pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


@dataclass
class SuiteReport:
    """Per-clip reports of one robot over many clips, with a summary."""

    robot: str
    clips: list[ClipReport] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        rows = [c.to_dict() for c in self.clips]
        frames = sum(r["frames"] for r in rows)
        coll = sum(r["self_collision_frames"] for r in rows)
        stance = [
            r["quality"]["stance_feet"] for r in rows if r["quality"]["stance_feet"]["samples"]
        ]
        samples = sum(s["samples"] for s in stance)
        within = sum(s["fraction_within_1cm"] * s["samples"] for s in stance)
        t_rt = sum(c.retarget_s for c in self.clips)
        t_val = sum(c.validate_s for c in self.clips)
        errs = [r["mean_keypoint_error_m"] for r in rows]
        return {
            "robot": self.robot,
            "clips": len(rows),
            "failed_clips": len(self.failures),
            "frames": frames,
            "joint_limit_violations": sum(r["joint_limit_violations"] for r in rows),
            "velocity_limit_violations": sum(r["velocity_limit_violations"] for r in rows),
            "self_collision_frames": coll,
            "self_collision_fraction": coll / frames if frames else 0.0,
            "mean_keypoint_error_m": float(np.average(errs, weights=[r["frames"] for r in rows]))
            if rows
            else None,
            "median_clip_mean_keypoint_error_m": _pct(errs, 50),
            "worst_clip_mean_keypoint_error_m": max(errs) if errs else None,
            "max_foot_penetration_m": max((r["max_foot_penetration_m"] for r in rows), default=0.0),
            "stance_samples": samples,
            "stance_fraction_within_1cm": within / samples if samples else None,
            "stance_max_abs_height_m": max((s["max_abs_height_m"] for s in stance), default=None),
            "jitter_sign_flips_per_100_frames": 100.0
            * sum(r["quality"]["jitter_sign_flips"] for r in rows)
            / max(frames, 1),
            "max_ankle_speed_rad_s": max(
                (r["quality"]["max_ankle_speed_rad_s"] or 0.0 for r in rows), default=0.0
            ),
            "retarget_frames_per_s": frames / t_rt if t_rt else None,
            "retarget_and_validate_frames_per_s": frames / (t_rt + t_val) if t_rt + t_val else None,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "clips": [c.to_dict() for c in self.clips],
            "failures": self.failures,
        }

    def write_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1))
        return path

    def markdown_table(self, keypoints: Iterable[str] = ("left_hand", "right_hand")) -> str:
        """One row per clip: frames, violations, collisions, keypoint errors (mm), stance."""
        kp = list(keypoints)
        head = (
            "| clip | frames | limit viol. | vel. viol. | collision frames | mean kp err (mm) | "
            + " | ".join(f"{k} (mm)" for k in kp)
            + " | stance within 1 cm | jitter flips |"
        )
        sep = "|" + "---|" * (8 + len(kp))
        lines = [head, sep]
        for c in self.clips:
            r = c.to_dict()
            errs = r["validation"]["keypoint_errors_m"]
            st = r["quality"]["stance_feet"]["fraction_within_1cm"]
            lines.append(
                f"| {c.name} | {c.frames} | {r['joint_limit_violations']} | "
                f"{r['velocity_limit_violations']} | {r['self_collision_frames']} | "
                f"{1000 * r['mean_keypoint_error_m']:.1f} | "
                + " | ".join(f"{1000 * errs[k]['mean']:.1f}" if k in errs else "-" for k in kp)
                + f" | {'-' if st is None else f'{100 * st:.0f} %'} | "
                f"{r['quality']['jitter_sign_flips']} |"
            )
        return "\n".join(lines)


def retarget_clips(
    motions: Iterable[Callable[[], Motion]],
    robot: Robot,
    config: RetargetConfig | None = None,
    validator: ValidatorConfig | None = None,
    *,
    progress: bool = False,
    total: int | None = None,
) -> SuiteReport:
    """Retarget and validate many clips (each given as a loader, so only one is in memory).
    A clip that cannot be retargeted is listed in ``failures`` with its error."""
    from tqdm import tqdm

    suite = SuiteReport(robot=robot.name)
    for load in tqdm(motions, total=total, disable=not progress, desc=f"retarget {robot.name}"):
        motion = load()
        try:
            _, report = retarget_and_validate(motion, robot, config, validator)
        except ValueError as exc:
            suite.failures[motion.name] = str(exc)
            continue
        suite.clips.append(report)
    return suite
