"""``python -m molingo_ros.ros.faults --out DIR [--minutes M] [--quick] [--only NAME,...]``

Runs the fault-injection and soak suite against molingo_node processes it starts itself (own
ROS domains, localhost discovery) and writes ``report.json`` and ``report.md`` into DIR.
Exit status 0 when no criterion failed, 1 otherwise, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from molingo_ros.ros.faults.harness import Bounds


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring); returns the exit status."""
    from molingo_ros.ros.faults.suite import SCENARIOS, run

    ap = argparse.ArgumentParser(
        prog="python -m molingo_ros.ros.faults",
        description="Fault injection and soak of molingo_node.",
    )
    ap.add_argument("--out", type=Path, required=True, help="folder for the report and logs")
    ap.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="soak length in minutes (default 6, or 0.5 with --quick)",
    )
    ap.add_argument("--quick", action="store_true", help="short bounds (about 3 minutes in all)")
    ap.add_argument("--only", default="", help=f"comma-separated scenarios: {','.join(SCENARIOS)}")
    args = ap.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()] or None
    if only and (bad := [s for s in only if s not in SCENARIOS]):
        ap.error(f"unknown scenario(s): {', '.join(bad)}")
    bounds = Bounds.quick(args.minutes) if args.quick else Bounds.full(args.minutes)
    summary = run(args.out, bounds, only, "quick" if args.quick else "full")
    if summary["required_failed"]:
        print("reliability criteria failed: " + ", ".join(summary["required_failed"]))
    return 0 if summary["all_passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
