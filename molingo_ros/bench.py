"""Benchmarks (``make bench``): dataset build and cached load, clip reading, features.

Writes the results to BENCHMARKS.md (the machine named) and prints them. Times are wall-clock
on whatever else the machine is doing: compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.dataset import DatasetConfig, build_dataset, default_data_root
from molingo_ros.motion.features import canonicalize, features_to_positions, motion_to_features

_REPO = Path(__file__).resolve().parents[1]


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def bench_dataset(workers: int) -> list[tuple[str, str]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        config = DatasetConfig(cache_dir=Path(tmp), workers=workers)
        start = time.perf_counter()
        dataset = build_dataset(config, rebuild=True, progress=False)
        build = time.perf_counter() - start
        loads = []
        for _ in range(3):
            start = time.perf_counter()
            again = build_dataset(config, progress=False)
            loads.append(time.perf_counter() - start)
            assert len(again) == len(dataset)
        summary = dataset.summary()
    rows.append(
        (
            f"full dataset build ({summary['clips']} clips + mirrors, {workers} workers)",
            f"{build:.1f} s",
        )
    )
    rows.append(("cached load (median of 3)", f"{np.median(loads):.2f} s"))
    rows.append(("build / cached load", f"{build / np.median(loads):.0f}x"))
    return rows


def bench_clip() -> list[tuple[str, str]]:
    path = (
        default_data_root()
        / "Bandai-Namco-Research-Motiondataset-2"
        / "data"
        / "dataset-2_walk_normal_001.bvh.gz"
    )
    start = time.perf_counter()
    for _ in range(20):
        motion = load_motion(path)
    read = (time.perf_counter() - start) / 20
    canon, _, _ = canonicalize(motion)
    start = time.perf_counter()
    for _ in range(20):
        feats = motion_to_features(canon)
    fwd = (time.perf_counter() - start) / 20
    start = time.perf_counter()
    for _ in range(20):
        pos, _ = features_to_positions(feats.astype(np.float32), 21)
    inv = (time.perf_counter() - start) / 20
    err_mm = 1000 * np.abs(pos - canon.positions_m).max()
    frames = motion.num_frames
    return [
        (
            f"read + FK of a BVH clip ({frames} frames)",
            f"{1000 * read:.1f} ms ({frames / read:,.0f} frames/s)",
        ),
        ("features forward", f"{frames / fwd:,.0f} frames/s"),
        ("features inverse", f"{frames / inv:,.0f} frames/s"),
        ("round-trip error (float32 features)", f"{err_mm:.5f} mm max"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=_REPO / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    rows = bench_clip() + bench_dataset(args.workers)
    stamp = time.strftime("%Y-%m-%d")
    lines = [
        "# Benchmarks",
        "",
        "Made by `make bench` (`python -m molingo_ros.bench`); wall-clock times on a shared "
        "machine, so compare ratios from one run.",
        "",
        f"## Motion data — {stamp}",
        "",
        f"Machine: {machine()}",
        "",
        "| what | result |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in rows],
        "",
    ]
    text = "\n".join(lines)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
