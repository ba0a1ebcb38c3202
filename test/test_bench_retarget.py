"""molingo_ros.bench_retarget: the retargeting benchmark's rows, cold-start table and GMR table
on the common metrics, on the real G1 with the two comparison clips and one Bandai test take
(no timing is asserted)."""

from __future__ import annotations

import os
import re

import pytest

from molingo_ros.bench_retarget import COMMON_LABELS, GMR_COMMON, bench_retarget


@pytest.fixture(scope="module")
def measured():
    before = os.sched_getaffinity(0)
    rows, table = bench_retarget(test_clips=1)
    return rows, table, before


def test_runs_on_one_core_and_gives_the_affinity_back(measured):
    *_, before = measured
    assert os.sched_getaffinity(0) == before


def test_speed_rows_with_and_without_self_collision(measured):
    rows, _, _ = measured
    assert rows[0][0].startswith("G1 dynamic feasibility check (ZMP, friction, flight; ")
    assert re.fullmatch(r"[\d,]+ frames/s", rows[0][1]), rows[0][1]
    assert [r[0].split(",")[0] for r in rows[1:]] == [
        "G1 retarget + validate",
        "G1 retarget + validate",
    ]
    assert "without self-collision" in rows[1][0] and "with self-collision" in rows[2][0]
    for _, value in rows[1:]:
        assert re.fullmatch(r"[\d,]+ frames/s \(retarget alone [\d,]+\)", value), value


def test_cold_start_table_compares_first_and_warm(measured):
    _, table, _ = measured
    head = table.index("### Cold start: the first retarget of a process (G1)")
    rows = {line.split("|")[1].strip(): line for line in table[head:] if line.startswith("| ")}
    assert "first retarget" in rows and "warm retarget (median of 3)" in rows
    ratios = [c.strip() for c in rows["first / warm time"].strip("|").split("|")[1:]]
    assert all(re.fullmatch(r"\d+\.\d\dx", r) for r in ratios), ratios
    setup = rows["collision set-up (`RobotConfig.prepare()`: meshes, pairs, hulls)"]
    assert setup.rstrip(" |").endswith("in the first")  # without set-up at load


def test_gmr_table_has_a_row_per_common_metric_with_both_clips(measured):
    _, table, _ = measured
    head = table.index(
        "| measure (G1) | walk: GMR | walk: molingo | wave: GMR | wave: molingo | how measured |"
    )
    body = table[head + 2 :]
    assert len(body) == len(COMMON_LABELS) == len(GMR_COMMON) == 7
    for line, key in zip(body, COMMON_LABELS, strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[0] == COMMON_LABELS[key][0]
        assert (cells[1], cells[3]) == GMR_COMMON[key]
    wrist = [c.strip() for c in body[1].strip("|").split("|")]
    assert re.fullmatch(r"\d+\.\d / \d+\.\d", wrist[2]), wrist
    limits = [c.strip() for c in body[-1].strip("|").split("|")]
    assert (limits[2], limits[4]) == ("0", "0")  # no joint-limit violation
