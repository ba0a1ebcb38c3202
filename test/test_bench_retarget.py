"""molingo_ros.bench_retarget: the retargeting benchmark's rows and GMR table, on the real G1
with the two comparison clips and one Bandai test take (no timing is asserted)."""

from __future__ import annotations

import os
import re

import pytest

from molingo_ros.bench_retarget import GMR_ANCHOR, GMR_CLIPS, bench_retarget


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


def test_gmr_table_has_a_row_per_anchor_with_both_clips(measured):
    _, table, _ = measured
    assert table[0] == "| measure (G1) | GMR | molingo: walk | molingo: wave |"
    body = table[2:]
    assert len(body) == len(GMR_ANCHOR) == 6
    for line, gmr in zip(body, GMR_ANCHOR.values(), strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == 2 + len(GMR_CLIPS) and cells[1] == gmr
    limits = body[-1].strip("|").split("|")
    assert [c.strip() for c in limits[2:]] == ["0", "0"]  # no joint-limit violation
