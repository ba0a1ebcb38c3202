"""molingo_ros.bench_streams: concurrent robot streams sharing one model (no timing asserted
beyond "something was produced")."""

from __future__ import annotations

import re

from molingo_ros import bench_streams


def test_two_concurrent_streams_each_produce_motion():
    res = bench_streams.stream_rates(2, seconds=1.0)
    assert len(res) == 2
    for r in res:
        assert r["first_s"] > 0 and r["realtime_factor"] > 0
        assert 1.0 <= r["windows_per_batch"] <= 2.0


def test_the_sampler_alone_batched_and_one_after_another():
    assert bench_streams.sampler_rates(2, seconds=0.5) > 0
    assert bench_streams.sampler_rates(2, seconds=0.5, batched=False) > 0


def test_rows_per_count_and_the_streams_kept(monkeypatch):
    fake = {1: [3.0], 2: [2.0, 1.6], 4: [1.2, 1.4, 1.6, 1.8]}
    monkeypatch.setattr(
        bench_streams,
        "stream_rates",
        lambda n, seconds: [
            {"realtime_factor": x, "first_s": 0.1, "windows_per_batch": 1.5} for x in fake[n]
        ],
    )
    monkeypatch.setattr(
        bench_streams, "sampler_rates", lambda n, batched=True: 20.0 / n if batched else 10.0 / n
    )
    rows = bench_streams.bench_streams((1, 2, 4), seconds=0.1)
    assert [name for name, _ in rows][:3] == [
        "1 G1 stream, one model, one thread each",
        "2 G1 streams, one model, one thread each",
        "4 G1 streams, one model, one thread each",
    ]
    assert re.match(r"real time x1\.6 slowest, x1\.8 median; first chunk p50 100 ms", rows[1][1])
    assert rows[1][1].endswith("; 1.5 windows per batch")
    assert rows[3] == ("G1 streams all >= 1.5x real time (of those tried)", "2")
    assert [name for name, _ in rows][4:] == [
        f"sampler alone, {n} stream{'s' if n > 1 else ''}: per-stream real time"
        for n in (1, 2, 4, 8)
    ]
    assert rows[-1][1] == "x2.5 batched, x1.2 one after another (2.0x)"
