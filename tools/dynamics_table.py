"""The dynamic-feasibility table of docs/DYNAMICS.md: real clips (Bandai test takes by kind,
DeepMimic acrobatics) retargeted onto G1, H1 and T1, each checked by
molingo_ros.robot.dynamics.check_dynamics; prints the Markdown table.

    python tools/dynamics_table.py --per-kind 6
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from molingo_ros.motion.sources import clip_loaders
from molingo_ros.robot.dynamics import check_dynamics
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.retarget import retarget

KINDS = {
    "stand / gesture": ("raise-up", "wave", "bow", "bye", "guide", "call", "punch", "slash"),
    "walk": ("walk_", "walk-left", "walk-right", "walk-back"),
    "turn": ("walk-turn",),
    "run": ("run", "dash"),
    "acrobatics (DeepMimic)": ("backflip", "cartwheel", "spinkick", "jump", "kick", "roll"),
}


def kind_of(name: str) -> str | None:
    body = name.split("_", 1)[1] + "_" if name.startswith("dataset-") else name
    for kind, words in KINDS.items():
        if any(body.startswith(w) or f"3d_{w}" in name for w in words):
            return kind
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-kind", type=int, default=6, help="clips per kind and robot")
    args = ap.parse_args()
    picked: dict[str, list] = {k: [] for k in KINDS}
    for name, load in clip_loaders("all", None):
        kind = kind_of(name)
        if kind and len(picked[kind]) < args.per_kind:
            picked[kind].append((name, load))
    print(
        "| robot | kind | clips | frames | feasible | ZMP outside | flight (infeasible) |"
        " friction | pull | worst ZMP margin (m) | check speed (frames/s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for robot_name in ("g1", "h1", "t1"):
        robot = load_robot(robot_name)
        for kind, clips in picked.items():
            rows, seconds = [], 0.0
            for _, load in clips:
                result = retarget(load(), robot)
                t0 = time.perf_counter()
                rows.append(check_dynamics(robot, result.qpos, result.fps))
                seconds += time.perf_counter() - t0
            frames = sum(len(r.feasible) for r in rows)
            c = {k: sum(r.counts[k] for r in rows) for k in rows[0].counts}
            feasible = sum(int(r.feasible.sum()) for r in rows)
            worst = np.nanmin([r.min_zmp_margin_m for r in rows])
            print(
                f"| {robot_name} | {kind} | {len(rows)} | {frames} "
                f"| {100 * feasible / frames:.0f} % "
                f"| {100 * c['zmp_outside_frames'] / frames:.0f} % | {c['flight_frames']} "
                f"({c['infeasible_flight_frames']}) | {c['friction_violations']} | "
                f"{c['pull_frames']} | {worst:.3f} | {frames / seconds:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
