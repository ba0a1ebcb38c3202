"""Benchmarks (``make bench``): dataset build and cached load, clip reading, features,
retargeting (retarget + validate on one core, and the comparison with GMR on the same clips),
the text-to-motion model, and molingo_node's latency over ROS 2.

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

from molingo_ros.bench_retarget import bench_retarget
from molingo_ros.bench_streams import bench_streams
from molingo_ros.motion.bandai_files import default_data_root
from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.dataset_config import DatasetConfig
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


def bench_model(device: str = "cpu", model_path: Path | None = None) -> list[tuple[str, str]]:
    """Text -> first decoded window latency and sustained streaming speed of the shipped
    model (SamplerConfig defaults: 32-frame windows)."""
    import torch

    from molingo_ros.model.sampler import MoLingo, MotionStream, SamplerConfig, default_model_path

    path = model_path or default_model_path()
    if not path.exists():
        return [("model", f"no model file at {path}")]
    model = MoLingo.load(path, device=device)
    config = SamplerConfig()
    prompts = [
        "a person walks forward",
        "someone waves with the right hand",
        "a man bows politely",
        "a person runs forward quickly",
        "a woman raises both hands",
    ]
    warm = MotionStream(model, config, seed=0)  # load the text encoder, warm the kernels
    warm.set_text(prompts[0])
    warm.next_window()
    first = []
    for i, text in enumerate(prompts):
        stream = MotionStream(model, config, seed=i)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        stream.set_text(text + " now")  # a text the encoder has not cached
        stream.next_window()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        first.append(time.perf_counter() - start)
    stream = MotionStream(model, config, seed=7)
    stream.set_text(prompts[0])
    start = time.perf_counter()
    windows = 20
    for _ in range(windows):
        stream.next_window()
    seconds = time.perf_counter() - start
    frames = windows * config.emit_tokens * model.sae.config.frames_per_token
    motion_s = frames / 30.0
    name = torch.cuda.get_device_name(0) if device.startswith("cuda") else machine()
    plans = _bench_interpret(model)
    return [
        (
            "operator command -> plan (parse + grounding: MiniLM, no generation), median of "
            f"{len(plans)} validation phrasings (added before the first window)",
            f"{1000 * float(np.median(plans)):.1f} ms (p90 {1000 * np.percentile(plans, 90):.1f}"
            f" ms; {100 * float(np.median(plans) / np.median(first)):.0f} % of the first window)",
        ),
        (
            f"text -> first decoded window ({config.emit_tokens * 4} frames), {device}, "
            f"median of "
            f"{len(first)} new prompts",
            f"{1000 * float(np.median(first)):.0f} ms (max {1000 * max(first):.0f} ms)",
        ),
        (
            f"sustained streaming, {device} ({name})",
            f"{motion_s / seconds:.1f}x real time ({frames / seconds:,.0f} frames/s, "
            f"{1000 * seconds / windows:.0f} ms per {config.emit_tokens * 4}-frame step)",
        ),
    ]


def _bench_interpret(model) -> list[float]:
    """Seconds to interpret each validation phrasing (new texts: nothing cached)."""
    import json

    from molingo_ros.language.calibration import VALIDATION_FILE
    from molingo_ros.language.interpret import CommandInterpreter

    interpreter = CommandInterpreter.from_model(model)
    data = json.loads(VALIDATION_FILE.read_text())
    texts = [e["text"] for e in data["in_vocabulary"]] + data["out_of_vocabulary"]
    interpreter.interpret("walk forward")  # warm
    out = []
    for text in texts:
        start = time.perf_counter()
        interpreter.interpret(text)
        out.append(time.perf_counter() - start)
    return out


def _append_section(
    out: Path, title: str, rows: list[tuple[str, str]], note: str | None = None
) -> int:
    """Append a titled results table to ``out`` (and print it)."""
    block = [f"## {title}", "", *([note, ""] if note else [])]
    block += _table(rows)
    text = "\n".join(block)
    with out.open("a") as f:
        f.write("\n" + text)
    print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=_REPO / "BENCHMARKS.md")
    parser.add_argument("--device", default="cpu", help="device of the model benchmark")
    parser.add_argument(
        "--model", type=Path, help="model file of the model benchmark (default: the shipped one)"
    )
    parser.add_argument(
        "--model-only",
        action="store_true",
        help="only the model benchmark, appended to --out (e.g. on a GPU machine)",
    )
    parser.add_argument(
        "--ros-only",
        action="store_true",
        help="only the molingo_node latency benchmark, appended to --out",
    )
    parser.add_argument(
        "--streams-only",
        action="store_true",
        help="only the concurrent robot streams benchmark, appended to --out",
    )
    args = parser.parse_args(argv)
    if args.streams_only:
        title = f"Robot streams from one model, one process — {time.strftime('%Y-%m-%d')}"
        note = (
            f"Machine: {machine()}. One thread per stream; windows asked for together are "
            "drawn in one batch (WindowBatcher)."
        )
        return _append_section(args.out, title, bench_streams(), note)
    if args.ros_only:
        title = f"molingo_node over ROS 2 (Fast DDS, localhost) — {time.strftime('%Y-%m-%d')}"
        note = f"Machine: {machine()}. The node and the client are separate processes."
        return _append_section(args.out, title, _bench_ros(), note)
    if args.model_only:
        import torch

        where = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else machine()
        title = f"Text to motion on {args.device} ({where}) — {time.strftime('%Y-%m-%d')}"
        return _append_section(args.out, title, bench_model(args.device, args.model))
    report = full_report(
        data_rows=bench_clip() + bench_dataset(args.workers),
        retarget=bench_retarget(),
        model_rows=bench_model("cpu"),
        ros_rows=_bench_ros(),
        stream_rows=bench_streams(),
    )
    kept = accelerator_sections(args.out.read_text()) if args.out.exists() else ""
    args.out.write_text(report + (f"\n{kept}" if kept else ""))
    print(report)
    return 0


def _bench_ros() -> list[tuple[str, str]]:
    from molingo_ros.ros.bench_node import bench_node

    return bench_node()


def _table(rows: list[tuple[str, str]]) -> list[str]:
    return ["| what | result |", "|---|---|", *[f"| {n} | {v} |" for n, v in rows], ""]


def full_report(
    data_rows: list[tuple[str, str]],
    retarget: tuple[list[tuple[str, str]], list[str]],
    model_rows: list[tuple[str, str]],
    ros_rows: list[tuple[str, str]],
    stream_rows: list[tuple[str, str]] = (),
) -> str:
    """BENCHMARKS.md's text from the measured rows (``retarget``: its rows, and the lines of
    its cold-start and GMR comparison tables with their headings), dated today and naming
    this machine."""
    stamp = time.strftime("%Y-%m-%d")
    retarget_rows, gmr_table = retarget
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
        *_table(data_rows),
        f"## Retargeting — {stamp}",
        "",
        f"Machine: {machine()}; pinned to one core.",
        "",
        *_table(retarget_rows),
        *gmr_table,
        "",
        "Per-clip reports over every Bandai test take and every DeepMimic clip, for G1, H1 and "
        "T1: docs/retarget/ (`molingo retarget-report`).",
        "",
        f"## Text to motion (shipped model) — {stamp}",
        "",
        f"Machine: {machine()}; torch threads: all cores.",
        "",
        *_table(model_rows),
        *(
            [
                f"## Robot streams from one model, one process — {stamp}",
                "",
                f"Machine: {machine()}. N engines share the loaded model and generate "
                "concurrently, one thread each, windows asked for together drawn in one batch, "
                "as `molingo_node --robots` runs them (`molingo_ros/bench_streams.py`).",
                "",
                *_table(stream_rows),
            ]
            if stream_rows
            else []
        ),
        f"## molingo_node over ROS 2 (Fast DDS, localhost) — {stamp}",
        "",
        f"Machine: {machine()}. The node and the client are separate processes "
        "(`python -m molingo_ros.bench --ros-only` reruns this part).",
        "",
        *_table(ros_rows),
    ]
    return "\n".join(lines)


def accelerator_sections(markdown: str) -> str:
    """The ``## ... on cuda ...`` sections of a BENCHMARKS.md: measured on a lent GPU machine
    by ``--model-only --device cuda``, kept when ``make bench`` rewrites the file here."""
    sections = markdown.split("\n## ")
    kept = [s for s in sections[1:] if " on cuda" in s.split("\n", 1)[0]]
    return "".join(f"## {s.rstrip()}\n\n" for s in kept)


if __name__ == "__main__":
    raise SystemExit(main())
