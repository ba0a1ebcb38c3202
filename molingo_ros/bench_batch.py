"""Many streams from one model on one device (issue 18; ``make bench-gpu`` on a GPU, or
``python -m molingo_ros.bench_batch --device cpu``): N = 1 ... 256 sampler streams (no robot)
advanced together by :func:`~molingo_ros.model.batch.next_windows`, one batched forward pass
per sampling step (bf16 autocast on CUDA).

Per N: the first step (every stream's first window, the latency of a command that starts all
of them), the step time p50/p99 once running (a command's first window waits at most one
step), and the real-time factor of each stream (seconds of motion per second of wall time),
with the most streams that all stay >= 1x real time with steps <= 50 ms p99.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from molingo_ros.model.batch import next_windows
from molingo_ros.model.bundle import MoLingo
from molingo_ros.model.device import resolve_device
from molingo_ros.model.sampler import FPS, MotionStream, SamplerConfig

COUNTS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
TEXTS = (
    "a person walks forward",
    "a person waves the right hand",
    "a person bows",
    "a person runs",
    "a person raises both hands",
)
STEP_P99_MS = 50.0
"""The first-chunk bound of the issue: a step (a window for every stream) within it at p99."""


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_streams(model: MoLingo, n: int, seconds: float) -> dict[str, float]:
    """``n`` streams (each its own text and seed) stepped together for ``seconds`` of wall
    time after a first step; ``first_ms``, ``step_p50_ms``, ``step_p99_ms`` (ms) and
    ``realtime_factor`` (per stream)."""
    device = model.feature_mean.device
    streams = [MotionStream(model, SamplerConfig(), seed=i) for i in range(n)]
    for i, stream in enumerate(streams):
        stream.set_text(TEXTS[i % len(TEXTS)])
    _sync(device)
    t0 = time.perf_counter()
    frames = len(next_windows(streams)[0].features)
    first_ms = (time.perf_counter() - t0) * 1000
    steps: list[float] = []
    t_run = time.perf_counter()
    while time.perf_counter() - t_run < seconds or len(steps) < 4:
        t = time.perf_counter()
        frames += len(next_windows(streams)[0].features)  # ends on the host: synchronised
        steps.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - t0
    return {
        "first_ms": first_ms,
        "step_p50_ms": float(np.percentile(steps, 50)),
        "step_p99_ms": float(np.percentile(steps, 99)),
        "realtime_factor": frames / FPS / wall,
    }


def bench_batch(
    device: str = "auto", counts: tuple[int, ...] = COUNTS, seconds: float = 5.0
) -> list[tuple[str, str]]:
    """Rows (what, result) per N, then the most streams kept (see the module docstring)."""
    model = MoLingo.load(None, device=str(resolve_device(device)))
    run_streams(model, 2, 0.2)  # first-call costs (kernels, caches) paid once
    rows, kept = [], 0
    for n in counts:
        r = run_streams(model, n, seconds)
        rows.append(
            (
                f"{n} stream{'s' if n > 1 else ''}, batched",
                f"real time x{r['realtime_factor']:.1f} each; first step {r['first_ms']:.0f} ms; "
                f"step p50 {r['step_p50_ms']:.0f} ms, p99 {r['step_p99_ms']:.0f} ms",
            )
        )
        if r["realtime_factor"] >= 1.0 and r["step_p99_ms"] <= STEP_P99_MS:
            kept = max(kept, n)
    rows.append((f"streams all >= 1x real time, step p99 <= {STEP_P99_MS:.0f} ms", str(kept)))
    return rows


def device_name(device: str) -> str:
    """The device in words (the GPU's name, or the CPU)."""
    resolved = resolve_device(device)
    if resolved.type == "cuda":
        return torch.cuda.get_device_name(resolved)
    from molingo_ros.bench import machine

    return machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="cuda, cpu or auto")
    parser.add_argument("--counts", type=int, nargs="+", default=list(COUNTS))
    parser.add_argument("--seconds", type=float, default=5.0, help="per N, after the first step")
    parser.add_argument("--out", type=Path, help="append the section to this markdown file")
    args = parser.parse_args(argv)
    rows = bench_batch(args.device, tuple(args.counts), args.seconds)
    lines = [
        f"## Batched streams on one device — {time.strftime('%Y-%m-%d')}",
        "",
        f"Device: {device_name(args.device)}. `python -m molingo_ros.bench_batch "
        f"--device {args.device}`: N sampler streams (no robot), one batched pass per step.",
        "",
        "| what | result |",
        "|---|---|",
        *(f"| {what} | {result} |" for what, result in rows),
        "",
    ]
    print("\n".join(lines))
    if args.out is not None:
        with args.out.open("a") as f:
            f.write("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
