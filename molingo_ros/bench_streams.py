"""How many robot streams one process keeps in real time (``make bench``, issue 18): N
engines (each its own robot model, stream and safety filter) share one loaded model and
generate concurrently, one thread each, as ``molingo_node --robots`` runs them. Streams are
not batched: each thread runs its own windows."""

from __future__ import annotations

import threading
import time

import numpy as np

from molingo_ros.model.bundle import MoLingo
from molingo_ros.robot.config import load_robot_config
from molingo_ros.runtime.engine import EngineConfig, MotionEngine

TEXTS = ("a person walks forward", "a person waves the right hand", "a person bows")


def _run_stream(engine: MotionEngine, seconds: float, seed: int, out: dict) -> None:
    """Generate chunks for ``seconds`` of wall time: the first chunk's latency (s) and the
    motion produced per second of wall time."""
    t0 = time.perf_counter()
    engine.next_chunk(TEXTS[seed % len(TEXTS)], seed=seed)
    out["first_s"] = time.perf_counter() - t0
    frames = 0
    while time.perf_counter() - t0 < seconds:
        frames += engine.next_chunk(TEXTS[seed % len(TEXTS)]).frames
    out["realtime_factor"] = frames / engine.fps / (time.perf_counter() - t0)


def stream_rates(n: int, seconds: float = 6.0, robot: str = "g1") -> list[dict]:
    """Run ``n`` concurrent streams for ``seconds`` (s); per stream: ``first_s`` (the first
    chunk's latency, s) and ``realtime_factor`` (seconds of motion per second)."""
    model = MoLingo.shared(None, device="cpu")
    engines = [
        MotionEngine(model, load_robot_config(robot), EngineConfig(robot=robot)) for _ in range(n)
    ]
    for engine in engines:
        engine.warm_up()
    results: list[dict] = [{} for _ in range(n)]
    threads = [
        threading.Thread(target=_run_stream, args=(e, seconds, i, results[i]))
        for i, e in enumerate(engines)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def bench_streams(
    counts: tuple[int, ...] = (1, 2, 4, 8), seconds: float = 6.0
) -> list[tuple[str, str]]:
    """Rows: per N, the slowest and median per-stream real-time factor and the first chunk's
    p50/p99; then the most G1 streams that all stay >= 1.5x real time."""
    rows, kept = [], 0
    for n in counts:
        res = stream_rates(n, seconds)
        rtf = np.array([r["realtime_factor"] for r in res])
        first = np.array([r["first_s"] for r in res]) * 1000
        rows.append(
            (
                f"{n} G1 stream{'s' if n > 1 else ''}, one model, one thread each",
                f"real time x{rtf.min():.1f} slowest, x{np.median(rtf):.1f} median; first chunk "
                f"p50 {np.percentile(first, 50):.0f} ms, p99 {np.percentile(first, 99):.0f} ms",
            )
        )
        if rtf.min() >= 1.5:
            kept = max(kept, n)
    rows.append(("G1 streams all >= 1.5x real time (of those tried)", str(kept)))
    return rows


__all__ = ["bench_streams", "stream_rates"]
