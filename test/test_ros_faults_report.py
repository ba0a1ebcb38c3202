"""The fault suite's report (molingo_ros.ros.faults.report): report.json and report.md from
scenario results, the reliability criteria first."""

from __future__ import annotations

import json

import numpy as np

from molingo_ros.ros.faults import report
from molingo_ros.ros.faults.harness import criterion


def test_report_lists_the_failed_reliability_criteria(tmp_path):
    results = [
        {
            "name": "a",
            "wall_s": 1.0,
            "figures": {"n": np.int64(3), "x": float("nan")},
            "criteria": [
                criterion("a.ok", "fine", True),
                criterion("a.bad", "bad", False, 2, True),
            ],
        },
        {"name": "b", "wall_s": 1.0, "figures": {}, "criteria": [criterion("b.na", "n/a", None)]},
    ]
    js, md = report.write(tmp_path, {"node_code": "x", "mode": "quick"}, results)
    body = json.loads(js.read_text())
    assert body["summary"]["required_failed"] == ["a.bad"]
    assert body["summary"]["all_passed"] is False and body["scenarios"][0]["figures"]["n"] == 3
    assert "| FAIL | `a.bad` |" in md.read_text() and "| n/a | `b.na` |" in md.read_text()


def _results() -> list[dict]:
    return [
        {
            "name": "soak",
            "wall_s": 31.5,
            "error": None,
            "figures": {
                "rss": {"series": [[0.0, 700.0]] * 50, "slope_mib_per_min": np.float32(0.5)},
                "plan": np.arange(3),
                "pair": (1, float("inf")),
                "long": "x" * 5000,
            },
            "criteria": [
                criterion("soak.rss", "memory flat", np.bool_(True), "0.5 | MiB/min\nok", True),
                criterion("soak.slope", "slope judged", None, None, True),
            ],
        },
        {
            "name": "corrupt",
            "wall_s": 2.0,
            "error": "RuntimeError: the node did not start\nTraceback ...",
            "figures": {},
            "criteria": [criterion("corrupt.ran", "the scenario ran to its end", False)],
        },
    ]


def test_the_written_files_hold_meta_summary_criteria_and_plain_figures(tmp_path):
    out = tmp_path / "new" / "run"
    meta = {"node_code": "/x/node.py", "mode": "quick", "started": "2025-01-01T00:00:00"}
    js, md = report.write(out, {**meta, "wall_s": 1.0}, _results()[:1])
    js, md = report.write(out, {**meta, "wall_s": 33.5}, _results())  # written over
    assert (js, md) == (out / "report.json", out / "report.md")
    body = json.loads(js.read_text())
    assert body["meta"]["wall_s"] == 33.5 and [s["name"] for s in body["scenarios"]] == [
        "soak",
        "corrupt",
    ]
    assert body["summary"] == {
        "criteria": 3,
        "passed": 1,
        "failed": 1,
        "not_measured": 1,
        "required_failed": [],
        "all_passed": False,
    }
    assert [(c["scenario"], c["id"]) for c in body["criteria"]] == [
        ("soak", "soak.rss"),
        ("soak", "soak.slope"),
        ("corrupt", "corrupt.ran"),
    ]
    figures = body["scenarios"][0]["figures"]
    assert figures["plan"] == [0, 1, 2] and figures["pair"] == [1, "inf"]
    assert figures["rss"]["slope_mib_per_min"] == 0.5 and len(figures["rss"]["series"]) == 50


def test_the_markdown_puts_the_reliability_criteria_first_then_each_scenario():
    text = report.markdown({"node_code": "/x/node.py", "mode": "full", "wall_s": 9}, _results())
    lines = text.splitlines()
    assert lines[0] == "# molingo_node fault suite"
    assert "- node code: `/x/node.py`" in lines
    assert "- criteria: 1 passed, 1 failed, 1 n/a" in lines
    reliability = text.split("## Reliability criteria")[1].split("## soak")[0]
    assert "`soak.rss`" in reliability and "`soak.slope`" in reliability
    assert "corrupt.ran" not in reliability  # not one of the reliability criteria
    assert "| PASS | `soak.rss` | memory flat | 0.5 \\| MiB/min ok |" in lines  # value escaped
    assert "## soak (31.5 s)" in lines and "## corrupt (2.0 s)" in lines
    corrupt = text.split("## corrupt (2.0 s)")[1]
    assert corrupt.startswith("\n\n```\nRuntimeError: the node did not start\nTraceback ...\n```")
    rss = next(ln for ln in lines if ln.startswith("- **rss**"))
    assert "series" not in rss and "slope_mib_per_min" in rss  # the series is left out
    long = next(ln for ln in lines if ln.startswith("- **long**"))
    assert long.endswith(" ...`") and len(long) < 1300


def test_table_cells_escape_pipes_and_newlines_in_text_and_value():
    row = report._row({"passed": False, "id": "x", "text": "a | b\nc", "value": "1|2"})
    cells = row.split(" | ")
    assert len(cells) == 4, row
    assert "a \\| b c" in row and "1\\|2" in row
