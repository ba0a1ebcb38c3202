"""The session's summary from a bag the node's own recorder wrote (its /diagnostics and
trajectory messages), the simulator's report and the commands' results; and the text the
operator reads."""

from __future__ import annotations

import json

import numpy as np
import pytest

from molingo_ros.ros.diagnostics import generation_diagnostics
from molingo_ros.ros.messages import joint_trajectory
from molingo_ros.ros.recorder import BagRecorder
from molingo_ros.ros.session_summary import SIM_REPORT_KEYS, print_summary, read_bag, summarise

pytestmark = pytest.mark.ros

TRAJECTORY = "/joint_trajectory_controller/joint_trajectory"


def _diagnostics(rejected: int, clamped: int, now_s: float):
    values = {"device": "cpu", "frames_rejected": str(rejected), "frames_clamped": str(clamped)}
    return generation_diagnostics("molingo_node", "g1", values, 0.05, 1.0, [], True, now_s)


@pytest.fixture(scope="module")
def bag(tmp_path_factory):
    path = tmp_path_factory.mktemp("summary") / "bag"
    rec = BagRecorder(path)
    names = ["a", "b"]
    for i in range(3):
        msg = joint_trajectory(names, np.zeros((4, 2)), np.zeros((4, 2)), 10.0 + i, 30.0)
        rec.write(TRAJECTORY, msg, int((10.0 + i) * 1e9))
    rec.write("/diagnostics", _diagnostics(1, 0, 10.5), int(10.5e9))
    rec.write("/diagnostics", _diagnostics(4, 2, 11.5), int(11.5e9))
    rec.close()
    return path


def test_the_bag_gives_counts_per_topic_and_the_last_diagnostics(bag):
    counts, diag = read_bag(bag)
    assert counts == {TRAJECTORY: 3, "/diagnostics": 2}
    assert diag["frames_rejected"] == "4" and diag["frames_clamped"] == "2"
    assert diag["device"] == "cpu" and diag["realtime_factor"] == "20.00"  # 1 s in 0.05 s


def _result(text: str, latency_s: float, success: bool = True) -> dict:
    return {
        "text": text,
        "mode": "replace",
        "sent_at_s": 0.0,
        "success": success,
        "error": "" if success else "replaced by cmd1",
        "frames": 45,
        "latency_s": latency_s,
        "realtime_factor": 12.5,
    }


def test_the_summary_from_bag_report_and_results(bag, tmp_path):
    counts, diag = read_bag(bag)
    results = [_result("walk", 0.0, success=False), _result("wave", 0.31), _result("bow", 0.2)]
    report = {"streamed": 7, "holds": 1, "feet_min_height_m": 0.01, "notes": [], "extra": 3}
    video = tmp_path / "sim.mp4"
    s = summarise("g1", results, bag, counts, diag, report, video, (0, -2), 12.3)
    assert s["latency_to_first_motion_s"] == 0.31  # the first command that got a chunk
    assert s["realtime_factor"] == "20.00" and s["device"] == "cpu"
    assert s["frames_rejected_by_validation"] == 4 and s["frames_clamped_by_validation"] == 2
    assert list(s["sim"]) == list(SIM_REPORT_KEYS)
    assert s["sim"]["streamed"] == 7 and s["sim"]["messages"] is None
    assert s["video"] is None  # asked for, never written
    assert (s["node_exit"], s["sim_exit"], s["wall_s"]) == (0, -2, 12.3)
    assert s["bag"] == str(bag) and s["bag_messages"] == counts
    assert json.loads(json.dumps(s)) == s
    video.write_bytes(b"\0" * 10)
    again = summarise("g1", results[:1], bag, counts, {}, {}, video, (0, 0), 1.0)
    assert again["video"] == str(video)
    assert again["latency_to_first_motion_s"] is None and again["realtime_factor"] is None
    assert again["frames_rejected_by_validation"] == 0


def test_the_operator_reads_each_command_and_the_checks(bag, capsys):
    counts, diag = read_bag(bag)
    report = {k: 0 for k in SIM_REPORT_KEYS} | {"streamed": 7, "feet_min_height_m": 0.0123}
    results = [_result("walk", 0.0, success=False), _result("wave", 0.31)]
    print_summary(summarise("g1", results, bag, counts, diag, report, None, (0, 0), 9.5))
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "== molingo session =="
    assert out[2] == "  t= 0.0 s replace 'walk': stopped (replaced by cmd1), 45 frames"
    assert out[3] == "  t= 0.0 s replace 'wave': done, 45 frames"
    assert out[4] == "latency to first motion: 0.31 s (text -> first chunk ready)"
    assert out[5] == "real-time factor: 20.00 on cpu"
    assert out[6] == "validation: 4 frames held, 2 slowed"
    assert out[7].startswith("simulator: 7 trajectories + 0 holds, joint names mismatched 0")
    assert out[7].endswith("feet 0.012 m lowest")
    assert out[8] == f"bag: {bag} (5 messages)"
    assert out[9:] == ["video: None", "exit codes: node 0, sim 0; 9.5 s in all"]
