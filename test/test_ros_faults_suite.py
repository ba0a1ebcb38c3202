"""The scenario registry and a run of a selection (molingo_ros.ros.faults.suite), and the
command line over it (``python -m molingo_ros.ros.faults``): scenario names, unknown names
refused with the valid ones named, and a run that writes its report."""

from __future__ import annotations

import json

import pytest

from molingo_ros.ros.faults import load_scenarios, process_scenarios, scenarios
from molingo_ros.ros.faults.__main__ import main
from molingo_ros.ros.faults.harness import Bounds
from molingo_ros.ros.faults.launch import REPO
from molingo_ros.ros.faults.suite import SCENARIOS, run

pytestmark = pytest.mark.ros

ORDER = ["fuzz", "malformed", "bursts", "soak", "signals", "duplicates", "corrupt"]


def test_the_scenarios_in_the_order_a_full_run_takes_them():
    assert list(SCENARIOS) == ORDER
    assert SCENARIOS["fuzz"] is scenarios.fuzz and SCENARIOS["malformed"] is scenarios.malformed
    assert SCENARIOS["bursts"] is load_scenarios.bursts and SCENARIOS["soak"] is load_scenarios.soak
    assert SCENARIOS["signals"] is process_scenarios.signals
    assert SCENARIOS["duplicates"] is process_scenarios.duplicates
    assert SCENARIOS["corrupt"] is process_scenarios.corrupt


def test_an_unknown_scenario_is_refused_naming_the_valid_ones_before_anything_runs(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"unknown scenario\(s\) \['sigterm'\]") as err:
        run(out, Bounds.quick(), ["fuzz", "sigterm"], log=lambda line: None)
    assert f"choose from {', '.join(ORDER)}" in str(err.value)
    assert not out.exists()  # no harness, no report


def test_a_run_of_a_selection_writes_its_report_and_returns_the_summary(tmp_path):
    lines: list[str] = []
    bounds = Bounds.quick().with_(corrupt_cases=())  # corrupt with no case: starts no node
    summary = run(tmp_path, bounds, ["corrupt"], "quick", log=lines.append)
    assert summary == {
        "criteria": 0,
        "passed": 0,
        "failed": 0,
        "not_measured": 0,
        "required_failed": [],
        "all_passed": True,
    }
    body = json.loads((tmp_path / "report.json").read_text())
    meta = body["meta"]
    assert meta["scenarios"] == ["corrupt"] and meta["mode"] == "quick"
    assert meta["node_code"] == str(REPO / "molingo_ros" / "ros" / "node.py")
    assert meta["bounds"]["corrupt_cases"] == [] and meta["bounds"]["soak_s"] == 30.0
    assert [s["name"] for s in body["scenarios"]] == ["corrupt"]
    assert body["scenarios"][0]["error"] is None
    assert "## corrupt (" in (tmp_path / "report.md").read_text()
    assert lines[0].startswith("fault suite: corrupt on ") and "corrupt ..." in lines[1]
    assert lines[-1].startswith(f"report: {tmp_path / 'report.md'} and ")


def test_the_command_line_names_the_scenarios_and_refuses_unknown_ones(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert ",".join(ORDER) in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["--out", str(tmp_path / "out"), "--only", "fuzz, nope ,soak"])
    assert done.value.code == 2
    assert "unknown scenario(s): nope" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
