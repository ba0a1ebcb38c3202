"""How many robot streams one process keeps in real time (``make bench``, issue 18): N
engines (each its own robot model, stream and safety filter) share one loaded model and
generate concurrently, one thread each, as ``molingo_node --robots`` runs them; the windows
they ask for at the same time are drawn in one batch
(:class:`~molingo_ros.model.batch.WindowBatcher`). And the sampler alone: N streams advanced
by one batched pass per step against the same streams one after another."""

from __future__ import annotations

import threading
import time

import numpy as np

from molingo_ros.model.batch import WindowBatcher, next_windows
from molingo_ros.model.bundle import MoLingo
from molingo_ros.model.sampler import FPS, MotionStream, SamplerConfig
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
    batcher = WindowBatcher.of(model)
    batches0, windows0 = batcher.batches, batcher.windows
    results: list[dict] = [{} for _ in range(n)]
    threads = [
        threading.Thread(target=_run_stream, args=(e, seconds, i, results[i]))
        for i, e in enumerate(engines)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    per_batch = (batcher.windows - windows0) / max(1, batcher.batches - batches0)
    for r in results:
        r["windows_per_batch"] = per_batch
    return results


def sampler_rates(n: int, seconds: float = 3.0, batched: bool = True) -> float:
    """Seconds of motion per second of wall time of each of ``n`` sampler streams (no robot),
    advanced together by :func:`~molingo_ros.model.batch.next_windows` (``batched``) or one
    after another."""
    model = MoLingo.shared(None, device="cpu")
    streams = [MotionStream(model, SamplerConfig(), seed=i) for i in range(n)]
    for i, stream in enumerate(streams):
        stream.set_text(TEXTS[i % len(TEXTS)])

    def step() -> int:
        if batched:
            return len(next_windows(streams)[0].features)
        return [len(s.next_window().features) for s in streams][0]

    step()  # first-call costs
    frames, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        frames += step()
    return frames / FPS / (time.perf_counter() - t0)


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
                f"p50 {np.percentile(first, 50):.0f} ms, p99 {np.percentile(first, 99):.0f} ms; "
                f"{res[0]['windows_per_batch']:.1f} windows per batch",
            )
        )
        if rtf.min() >= 1.5:
            kept = max(kept, n)
    rows.append(("G1 streams all >= 1.5x real time (of those tried)", str(kept)))
    for n in (*counts, 2 * counts[-1]):
        together, apart = sampler_rates(n), sampler_rates(n, batched=False)
        rows.append(
            (
                f"sampler alone, {n} stream{'s' if n > 1 else ''}: per-stream real time",
                f"x{together:.1f} batched, x{apart:.1f} one after another "
                f"({together / apart:.1f}x)",
            )
        )
    return rows


__all__ = ["bench_streams", "sampler_rates", "stream_rates"]
