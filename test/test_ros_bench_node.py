"""The ROS latency benchmark: its statistics, the chunks matched to their publish times in a
bag the node's own recorder wrote, the table it prints, and (slow) a very short real run
against molingo_node in its own process."""

from __future__ import annotations

import re

import numpy as np
import pytest

from molingo_ros.ros.bench_node import (
    TRAJECTORY_TOPIC,
    bag_publish_times,
    bench_node,
    breakdown_rows,
    chunk_latencies,
    latency_rows,
    latency_summary,
    reaction_summary,
)
from molingo_ros.ros.messages import joint_trajectory
from molingo_ros.ros.recorder import BagRecorder
from molingo_ros.runtime.latency import STAGES

pytestmark = pytest.mark.ros


def test_latencies_are_summarised_in_milliseconds():
    assert latency_summary([0.003, 0.001, 0.002]) == "median 2.0 ms, p99 3.0 ms (n=3)"
    spread = [0.010] * 99 + [0.500]
    assert latency_summary(spread) == "median 10.0 ms, p99 14.9 ms (n=100)"
    assert latency_summary([]) == reaction_summary([]) == "not measured (n=0)"


def test_chunks_are_matched_to_their_publish_time_in_the_bag(tmp_path):
    rec = BagRecorder(tmp_path / "bag")
    stamps = [100.0, 100.5, 101.0]
    for k, stamp in enumerate(stamps):
        n = 1 if k == 2 else 4  # the last one is a one-point hold
        msg = joint_trajectory(["a"], np.zeros((n, 1)), np.zeros((n, 1)), stamp, 30.0)
        rec.write(TRAJECTORY_TOPIC, msg, int((stamp + 0.01) * 1e9))  # recorded 10 ms later
    rec.write("/other", joint_trajectory(["a"], np.zeros((2, 1)), np.zeros((2, 1)), 1.0, 30), 5)
    rec.close()
    published = bag_publish_times(tmp_path / "bag")
    assert published == pytest.approx({100.0: 100.01, 100.5: 100.51, 101.0: 101.01})
    received = [(100.02, 100.0, 4), (100.535, 100.5, 4), (101.03, 101.0, 1), (102.0, 99.0, 4)]
    # the hold (one point) and the chunk missing from the bag are left out
    assert chunk_latencies(received, published) == pytest.approx([0.01, 0.025])


def test_the_nodes_stages_are_summarised_in_path_order():
    stages = [
        {"parse": 10.0, "wait": 5.0, "generate": 40.0, "total": 60.0},
        {"parse": 20.0, "wait": 15.0, "generate": 50.0, "total": 90.0},
    ]
    rows = breakdown_rows(stages)
    assert [name for name, _ in rows] == [
        "... in the node: parse",
        "... in the node: wait",
        "... in the node: generate",
        "... in the node: total",
    ]
    assert rows[0][1].startswith("median 15.0 ms") and rows[-1][1].endswith("(n=2)")
    assert breakdown_rows([]) == []


def test_the_table_has_one_row_per_latency():
    rows = latency_rows([0.1, 0.2], [0.001], [0.002, 0.004], [0.05])
    assert [name for name, _ in rows] == [
        "command sent -> first JointTrajectory chunk received (new text each time)",
        "JointTrajectory chunk (32 points x 29 joints) publish -> receive",
        "JointState publish -> receive",
        '"stop" sent (std_msgs/String) -> hold JointTrajectory received, while streaming',
    ]
    assert rows[0][1] == "median 150.0 ms, p99 199.0 ms (n=2)"
    assert rows[3][1] == "median 50.0 ms, p99 50.0 ms (n=1)"
    with_replace = latency_rows([0.1], [0.001], [0.002], [0.05], [0.6, 0.9, 1.4])
    assert with_replace[:4] == latency_rows([0.1], [0.001], [0.002], [0.05])
    assert with_replace[4][0].startswith('"raise both hands" replacing a walk')
    assert with_replace[4][1] == "median 0.90 s, max 1.40 s (n=3)"


@pytest.mark.slow
def test_a_short_run_measures_every_latency():
    rows = dict(bench_node(commands=1, duration_s=0.5, stop_repeats=1, replace_repeats=1))
    stages = [k for k in rows if k.startswith("... in the node: ")]
    assert [k.removeprefix("... in the node: ") for k in stages] == [*STAGES, "total"]
    assert len(rows) == 5 + len(stages)
    reaction = rows.pop(next(k for k in rows if k.startswith('"raise both hands"')))
    # One trial: the model may take longer than the 6 s watched to raise both arms (inf).
    assert re.fullmatch(r"median (inf|[\d.]+) s, max (inf|[\d.]+) s \(n=1\)", reaction), reaction
    for name, value in rows.items():
        n = int(value.split("(n=")[1].rstrip(")"))
        assert n >= 1, name
        median_ms = float(value.split("median ")[1].split(" ms")[0])
        assert 0 < median_ms < 10_000, (name, value)
