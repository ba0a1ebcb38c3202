"""molingo_ros.bench: the benchmark report's pieces (the full `make bench` runs outside the
suite: timings never go into unit tests). Real clips, real files; no timing is asserted."""

from __future__ import annotations

import re

import pytest

from molingo_ros import bench


def test_machine_names_cpu_cores_and_python():
    text = bench.machine()
    assert re.search(r", \d+ cores, Python 3\.\d+\.\d+, Linux$", text), text


def test_clip_benchmark_reports_an_exact_round_trip():
    rows = dict(bench.bench_clip())
    assert set(rows) >= {"features forward", "features inverse"}
    read = next(k for k in rows if k.startswith("read + FK of a BVH clip"))
    assert re.fullmatch(r"[\d.]+ ms \([\d,]+ frames/s\)", rows[read])
    error_mm = float(rows["round-trip error (float32 features)"].split()[0])
    assert error_mm < 0.5  # float32 features rebuild the clip to well under a millimetre


def test_full_report_has_every_section_with_its_rows():
    report = bench.full_report(
        data_rows=[("clips", "3,076")],
        retarget=([("retarget G1", "1,900 frames/s")], ["| clip | ours | GMR |"]),
        model_rows=[("first window", "45 ms")],
        ros_rows=[("command -> trajectory", "150 ms")],
    )
    headings = re.findall(r"^## (.+?) — \d{4}-\d{2}-\d{2}$", report, flags=re.M)
    assert headings == [
        "Motion data",
        "Retargeting",
        "Text to motion (shipped model)",
        "molingo_node over ROS 2 (Fast DDS, localhost)",
    ]
    for row in ("| clips | 3,076 |", "| retarget G1 | 1,900 frames/s |", "| clip | ours | GMR |"):
        assert row in report
    assert report.count(bench.machine()) == 4


def test_gpu_sections_survive_a_rewrite_and_others_do_not():
    old = (
        "# Benchmarks\n\n## Motion data — 2026-01-01\n\nrows\n\n"
        "## Text to motion on cuda (NVIDIA H200) — 2026-02-02\n\n| a | b |\n\n"
        "## molingo_node over ROS 2 — 2026-01-01\n\nrows\n"
    )
    kept = bench.accelerator_sections(old)
    assert kept == "## Text to motion on cuda (NVIDIA H200) — 2026-02-02\n\n| a | b |\n\n"
    assert bench.accelerator_sections("# Benchmarks\n\n## Motion data\n") == ""


def test_append_section_adds_a_table_to_the_file(tmp_path, capsys):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n")
    assert bench._append_section(out, "Extra", [("x", "1 ms")], note="Machine: here.") == 0
    text = out.read_text()
    assert text.startswith("# Benchmarks\n\n## Extra\n\nMachine: here.\n\n| what | result |")
    assert "| x | 1 ms |" in text and "| x | 1 ms |" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--model-only", "--ros-only"])
def test_partial_runs_are_flags_of_the_one_command(flag, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.main([flag, "--help"])
    assert exit_info.value.code == 0
    assert flag in capsys.readouterr().out
