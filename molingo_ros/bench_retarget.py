"""The retargeting benchmark of ``make bench``: retarget + validate speed on one core over
Bandai test takes, and the comparison table with GMR on the same two clips (G1)."""

from __future__ import annotations

import os
import time

#: GMR (YanjieZe/GMR v0.2.0, mink IK) on this machine, fed the same two Bandai clips onto the
#: G1 (issue 3's anchor): frames/s, mean wrist error vs its own scaled targets, stance-foot
#: height above the floor, peak ankle speed, velocity sign flips above 0.5 rad/s (walk).
GMR_ANCHOR = {
    "frames_per_s": "87-91",
    "hand_error_mm": "82-102",
    "stance_height_mm": "40-59 (floating)",
    "ankle_speed_rad_s": "15.4",
    "sign_flips_walk": "172",
    "joint_limit_violations": "0",
}

GMR_CLIPS = ("dataset-2_walk_normal_001", "dataset-2_wave-right-hand_normal_001")


def _one_core() -> set[int] | None:
    """Pin this process to one CPU (returns the previous affinity, None if unsupported)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    return before


def _dynamics_row(robot, results) -> tuple[str, str]:
    """The speed of the dynamic-feasibility check (robot/dynamics.py) on retargeted clips."""
    from molingo_ros.robot.dynamics import check_dynamics

    frames, start = 0, time.perf_counter()
    for result in results:
        check_dynamics(robot, result.qpos, result.fps)
        frames += result.frames
    rate = frames / (time.perf_counter() - start)
    return (
        f"G1 dynamic feasibility check (ZMP, friction, flight; {frames} frames of the clips "
        "below, one core)",
        f"{rate:,.0f} frames/s",
    )


def bench_retarget(test_clips: int = 40) -> tuple[list[tuple[str, str]], list[str]]:
    """Retarget + validate speed on one core, and the GMR comparison table."""
    from molingo_ros.motion.sources import clip_loaders, resolve_motion
    from molingo_ros.robot.models import load_robot
    from molingo_ros.robot.report import motion_quality, retarget_clips
    from molingo_ros.robot.retarget import retarget
    from molingo_ros.robot.validator import ValidatorConfig, validate

    before = _one_core()
    try:
        robot = load_robot("g1")
        validate(robot, robot.neutral()[None], 30.0)  # load collision geometry once
        table = [
            "| measure (G1) | GMR | molingo: walk | molingo: wave |",
            "|---|---|---|---|",
        ]
        cols: dict[str, list[str]] = {k: [] for k in GMR_ANCHOR}
        results = []
        for name in GMR_CLIPS:
            motion = resolve_motion(name)
            start = time.perf_counter()
            result = retarget(motion, robot)
            seconds = time.perf_counter() - start
            results.append(result)
            report = validate(robot, result.qpos, result.fps, result.target_positions())
            quality = motion_quality(robot, result)
            errs = report.keypoint_errors_m
            hand = 1000 * (errs["left_hand"]["mean"] + errs["right_hand"]["mean"]) / 2
            stance = quality["stance_feet"]
            cols["frames_per_s"].append(f"{result.frames / seconds:,.0f}")
            cols["hand_error_mm"].append(
                f"{hand:.1f} (left {1000 * errs['left_hand']['mean']:.1f}, "
                f"right {1000 * errs['right_hand']['mean']:.1f})"
            )
            cols["stance_height_mm"].append(
                f"{1000 * stance['mean_height_m']:+.1f} mean, "
                f"{1000 * stance['p95_abs_height_m']:.1f} p95 abs"
            )
            cols["ankle_speed_rad_s"].append(f"{quality['max_ankle_speed_rad_s']:.1f}")
            cols["sign_flips_walk"].append(str(quality["jitter_sign_flips"]))
            cols["joint_limit_violations"].append(str(report.joint_limit_violations))
        labels = {
            "frames_per_s": "retarget frames/s (one core)",
            "hand_error_mm": "hand/wrist error vs own scaled target, mean (mm)",
            "stance_height_mm": "stance-foot sole height (mm)",
            "ankle_speed_rad_s": "peak ankle speed (rad/s)",
            "sign_flips_walk": "velocity sign flips > 0.5 rad/s",
            "joint_limit_violations": "joint-limit violations",
        }
        for key, label in labels.items():
            table.append(f"| {label} | {GMR_ANCHOR[key]} | {' | '.join(cols[key])} |")

        loaders = [f for _, f in clip_loaders("bandai-test", None)][:test_clips]
        rows = [_dynamics_row(robot, results)]
        for collisions in (False, True):
            suite = retarget_clips(loaders, robot, None, ValidatorConfig(self_collision=collisions))
            summary = suite.summary()
            what = "with" if collisions else "without"
            rows.append(
                (
                    f"G1 retarget + validate, {what} self-collision ({summary['frames']:,} frames,"
                    f" {len(loaders)} Bandai test clips, one core)",
                    f"{summary['retarget_and_validate_frames_per_s']:,.0f} frames/s "
                    f"(retarget alone {summary['retarget_frames_per_s']:,.0f})",
                )
            )
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)
    return rows, table


__all__ = ["GMR_ANCHOR", "GMR_CLIPS", "bench_retarget"]
