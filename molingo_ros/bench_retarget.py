"""The retargeting benchmark of ``make bench``: retarget + validate speed on one core over
Bandai test takes, the cold start (a fresh process's first retarget vs a warm one, per
stage) and the comparison with GMR on the same two clips by the common metrics of
:mod:`molingo_ros.robot.retarget_metrics` (G1).

``python -m molingo_ros.bench_retarget --cold-start [--no-prepare]`` measures one fresh
process's stages (one JSON line); the bench runs it in a subprocess per column."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

#: GMR (YanjieZe/GMR 4f9e8b7, unmodified, daqp) run side by side on this kind of machine on the
#: same two Bandai clips, its output scored by the common metrics on the Menagerie G1
#: (docs/robots-and-retargeting.md, "Measured side by side"): (walk, wave) per measure.
GMR_COMMON = {
    "frames_per_s": ("277", "306"),
    "wrist_mm": ("13.2 / 11.5", "13.0 / 12.1"),
    "hand_mm": ("48.3 / 43.7", "44.3 / 78.7"),
    "stance_mm": ("48.2 / 57.6", "46.6 / 48.7"),
    "max_speed": ("15.2 (left ankle pitch)", "13.8 (right shoulder pitch)"),
    "sign_flips": ("163", "24"),
    "limit_violations": ("0", "0"),
}

#: Row labels of the common-metric table, with how each is measured (the same for both tools).
COMMON_LABELS = {
    "frames_per_s": (
        "retarget frames/s (warm, median of 3, one core)",
        "GMR: its per-frame loop; ours: `retarget()` (targets, IK, filter, repair, floor)",
    ),
    "wrist_mm": (
        "wrist error, mean L / R (mm)",
        "`wrist_yaw_link` origin vs robot shoulder_roll + k (human Hand - UpperArm)",
    ),
    "hand_mm": (
        "hand-centre error, mean L / R (mm)",
        "same target; robot point `wrist_yaw_link` + 0.107 m along its x",
    ),
    "stance_mm": (
        "stance sole height, mean / max abs (mm)",
        "`ankle_roll_link` z - 0.035 m at human contact frames",
    ),
    "max_speed": ("max joint speed (rad/s)", "finite differences at 30 fps"),
    "sign_flips": ("velocity sign flips > 0.5 rad/s", "summed over 29 joints"),
    "limit_violations": ("joint-limit violations", "Menagerie ranges"),
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


def _common_cells(robot, config, motion) -> dict[str, str]:
    """This project's figures on ``motion`` by the common metrics (the GMR table's cells)."""
    from molingo_ros.robot.human_keypoints import human_keypoints
    from molingo_ros.robot.retarget import retarget
    from molingo_ros.robot.retarget_metrics import common_metrics

    retarget(motion, robot, config)  # warm
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        result = retarget(motion, robot, config)
        seconds.append(time.perf_counter() - start)
    human = human_keypoints(motion, config.human_mapping(motion)[1])
    m = common_metrics(robot, result.qpos, result.fps, human)
    joint = m.max_speed_joint.removesuffix("_joint").replace("_", " ")
    return {
        "frames_per_s": f"{result.frames / sorted(seconds)[1]:,.0f}",
        "wrist_mm": f"{m.wrist_error_mm['left']:.1f} / {m.wrist_error_mm['right']:.1f}",
        "hand_mm": f"{m.hand_error_mm['left']:.1f} / {m.hand_error_mm['right']:.1f}",
        "stance_mm": f"{m.stance_mean_mm:.1f} / {m.stance_max_abs_mm:.1f}",
        "max_speed": f"{m.max_joint_speed_rad_s:.1f} ({joint})",
        "sign_flips": str(m.sign_flips),
        "limit_violations": str(m.limit_violations),
    }


def common_metric_table(robot, config) -> list[str]:
    """The GMR comparison on the common metrics: GMR's figures from the shared doc beside
    this project's, measured here by the same definitions."""
    from molingo_ros.motion.sources import resolve_motion

    cells = [_common_cells(robot, config, resolve_motion(name)) for name in GMR_CLIPS]
    table = [
        "| measure (G1) | walk: GMR | walk: molingo | wave: GMR | wave: molingo | how measured |",
        "|---|---|---|---|---|---|",
    ]
    for key, (label, how) in COMMON_LABELS.items():
        gmr = GMR_COMMON[key]
        table.append(
            f"| {label} | {gmr[0]} | {cells[0][key]} | {gmr[1]} | {cells[1][key]} | {how} |"
        )
    return table


def cold_start(prepare: bool = True, clip: str = GMR_CLIPS[0]) -> dict[str, float]:
    """Seconds of each stage of a process's first retarget of ``clip`` on the G1 (run it in
    a fresh process): imports, robot load, the one-time collision set-up (``prepare``;
    without it the first retarget pays it), the first retarget and a warm one (median of 3).
    """
    t0 = time.perf_counter()
    from molingo_ros.motion.sources import resolve_motion
    from molingo_ros.robot.config import load_robot_config
    from molingo_ros.robot.retarget import retarget

    t1 = time.perf_counter()
    loaded = load_robot_config("g1")
    t2 = time.perf_counter()
    prepare_s = loaded.prepare() if prepare else 0.0
    motion = resolve_motion(clip)
    t3 = time.perf_counter()
    result = retarget(motion, loaded.robot, loaded.retarget)
    first = time.perf_counter() - t3
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        retarget(motion, loaded.robot, loaded.retarget)
        warm.append(time.perf_counter() - start)
    return {
        "frames": float(result.frames),
        "import_s": t1 - t0,
        "load_s": t2 - t1,
        "prepare_s": prepare_s,
        "first_s": first,
        "warm_s": sorted(warm)[1],
    }


def _cold_start_fresh(prepare: bool) -> dict[str, float]:
    """:func:`cold_start` in a fresh Python process (pinned to one core there)."""
    cmd = [sys.executable, "-m", "molingo_ros.bench_retarget", "--cold-start"]
    out = subprocess.run(
        cmd + ([] if prepare else ["--no-prepare"]), check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_start_table() -> list[str]:
    """First vs warm retarget of a fresh process, per stage, with and without the set-up
    done at load (:meth:`~molingo_ros.robot.config.RobotConfig.prepare`)."""
    runs = [_cold_start_fresh(True), _cold_start_fresh(False)]
    frames = int(runs[0]["frames"])

    def rate(r: dict[str, float], key: str) -> str:
        return f"{1000 * r[key]:,.0f} ms ({r['frames'] / r[key]:,.0f} frames/s)"

    rows = [
        ("imports", lambda r: f"{1000 * r['import_s']:,.0f} ms"),
        ("`load_robot_config('g1')`", lambda r: f"{1000 * r['load_s']:,.0f} ms"),
        (
            "collision set-up (`RobotConfig.prepare()`: meshes, pairs, hulls)",
            lambda r: f"{1000 * r['prepare_s']:,.0f} ms" if r["prepare_s"] else "in the first",
        ),
        ("first retarget", lambda r: rate(r, "first_s")),
        ("warm retarget (median of 3)", lambda r: rate(r, "warm_s")),
        ("first / warm time", lambda r: f"{r['first_s'] / r['warm_s']:.2f}x"),
    ]
    table = [
        f"| stage (fresh process, one core; walk clip, {frames} frames) | set-up at load "
        "(`molingo retarget`, the node's configure) | no set-up at load |",
        "|---|---|---|",
    ]
    for label, cell in rows:
        table.append(f"| {label} | {cell(runs[0])} | {cell(runs[1])} |")
    return table


def bench_retarget(test_clips: int = 40) -> tuple[list[tuple[str, str]], list[str]]:
    """Retarget + validate speed on one core, the cold-start table and the GMR comparison on
    the common metrics (``table``: both tables' markdown lines, each with its heading)."""
    from molingo_ros.motion.sources import clip_loaders, resolve_motion
    from molingo_ros.robot.config import load_robot_config
    from molingo_ros.robot.report import retarget_clips
    from molingo_ros.robot.retarget import retarget
    from molingo_ros.robot.validator import ValidatorConfig

    cold = cold_start_table()
    before = _one_core()
    try:
        loaded = load_robot_config("g1")
        robot = loaded.robot
        loaded.prepare(ValidatorConfig())
        common = common_metric_table(robot, loaded.retarget)
        results = [retarget(resolve_motion(name), robot) for name in GMR_CLIPS]
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
    table = [
        "### Cold start: the first retarget of a process (G1)",
        "",
        "`python -m molingo_ros.bench_retarget --cold-start [--no-prepare]` in a fresh process "
        "per column; the one-time set-up is the self-collision geometry (meshes, pairs, convex "
        "hulls) the retargeter's repair and the validator share.",
        "",
        *cold,
        "",
        "### Against GMR on the same two Bandai clips, common metrics (G1)",
        "",
        "GMR: re-run side by side on this kind of machine (GMR 4f9e8b7, unmodified, daqp), "
        'figures from docs/robots-and-retargeting.md ("Measured side by side"). Ours: the '
        "same metric definitions (`molingo_ros/robot/retarget_metrics.py`) on "
        "`molingo retarget <clip> --robot g1` output (config/robots/g1.yaml). k = robot / "
        'human arm length (0.79-0.80). The "wrist" is the `wrist_yaw_link` origin; the '
        "\"hand centre\" is 0.107 m beyond it along the link's x (the rubber hand's middle).",
        "",
        *common,
    ]
    return rows, table


def main(argv: list[str] | None = None) -> int:
    """``--cold-start [--no-prepare]``: print :func:`cold_start`'s stages as one JSON line."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--cold-start", action="store_true", required=True)
    parser.add_argument("--no-prepare", action="store_true")
    args = parser.parse_args(argv)
    _one_core()
    print(json.dumps(cold_start(prepare=not args.no_prepare)))
    return 0


__all__ = [
    "COMMON_LABELS",
    "GMR_CLIPS",
    "GMR_COMMON",
    "bench_retarget",
    "cold_start",
    "cold_start_table",
    "common_metric_table",
]

if __name__ == "__main__":
    raise SystemExit(main())
