"""molingo_ros.bench_batch (the many-streams benchmark of ``make bench-gpu``) run on the CPU
with small N: rows per N and the streams kept, and the markdown section appended (no timing
asserted beyond "motion was produced")."""

from __future__ import annotations

import pytest

from molingo_ros import bench_batch
from molingo_ros.model.bundle import MoLingo


def test_streams_run_together_and_produce_motion():
    r = bench_batch.run_streams(MoLingo.shared(None, device="cpu"), 3, seconds=0.2)
    assert r["first_ms"] > 0 and r["realtime_factor"] > 0
    assert 0 < r["step_p50_ms"] <= r["step_p99_ms"]


def test_the_section_is_printed_and_appended(tmp_path, capsys):
    out = tmp_path / "BENCH.md"
    out.write_text("# before\n")
    assert (
        bench_batch.main(
            ["--device", "cpu", "--counts", "1", "2", "--seconds", "0.2", "--out", str(out)]
        )
        == 0
    )
    text = out.read_text()
    assert text.startswith("# before\n") and "## Batched streams on one device" in text
    assert "| 1 stream, batched | real time x" in text and "| 2 streams, batched |" in text
    assert "| streams all >= 1x real time, step p99 <= 50 ms |" in text
    assert "Device: " in capsys.readouterr().out


def test_a_wrong_device_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid: auto, cpu"):
        bench_batch.bench_batch("tpu", (1,), 0.1)
