"""The scenarios by name, and running a selection of them into a report."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from molingo_ros.ros.faults import report
from molingo_ros.ros.faults.harness import Bounds, Harness, run_scenario
from molingo_ros.ros.faults.launch import node_code_origin
from molingo_ros.ros.faults.load_scenarios import bursts, soak
from molingo_ros.ros.faults.process_scenarios import corrupt, duplicates, signals
from molingo_ros.ros.faults.scenarios import fuzz, malformed

#: Scenario name -> function, in the order a full run takes them.
SCENARIOS: dict[str, Callable[[Harness], dict]] = {
    "fuzz": fuzz,
    "malformed": malformed,
    "bursts": bursts,
    "soak": soak,
    "signals": signals,
    "duplicates": duplicates,
    "corrupt": corrupt,
}


def run(
    out: Path,
    bounds: Bounds,
    only: list[str] | None = None,
    mode: str = "full",
    log: Callable[[str], None] = print,
) -> dict:
    """Run the scenarios named in ``only`` (all by default) and write the report into
    ``out``. Returns the report's summary (``all_passed`` etc.)."""
    names = only or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
    meta = {
        "started": datetime.now().isoformat(timespec="seconds"),
        "mode": mode,
        "bounds": bounds.__dict__,
        "node_code": node_code_origin(),
        "scenarios": names,
    }
    log(f"fault suite: {', '.join(names)} on {meta['node_code']} -> {out}")
    t0 = time.monotonic()
    h = Harness(out, bounds)
    results: list[dict] = []
    try:
        for name in names:
            log(f"[{time.monotonic() - t0:6.1f} s] {name} ...")
            r = run_scenario(name, SCENARIOS[name], h)
            results.append(r)
            marks = " ".join(f"{c['id']}={report.MARK[c['passed']]}" for c in r["criteria"])
            log(f"[{time.monotonic() - t0:6.1f} s] {name}: {marks}")
            meta["wall_s"] = round(time.monotonic() - t0, 1)
            report.write(out, meta, results)  # a report survives an interrupted run
    finally:
        h.close()
    meta["wall_s"] = round(time.monotonic() - t0, 1)
    js, md = report.write(out, meta, results)
    log(f"report: {md} and {js} ({meta['wall_s']} s)")
    return report.summary(results)


__all__ = ["SCENARIOS", "run"]
