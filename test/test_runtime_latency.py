"""molingo_ros.runtime.latency: a command's way to its first trajectory, stage by stage."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.runtime.engine import RobotChunk
from molingo_ros.runtime.latency import STAGES, FirstChunkTrace


def _chunk(**times) -> RobotChunk:
    return RobotChunk(
        qpos=np.zeros((2, 3)),
        joint_velocities=np.zeros((2, 1)),
        root_velocity=np.zeros((2, 3)),
        joint_names=["j"],
        fps=30.0,
        text="a person waves",
        **times,
    )


def test_stages_add_up_to_the_total():
    trace = FirstChunkTrace(received=10.000, accepted=10.012, started=10.030)
    trace.text_s, trace.generate_s, trace.retarget_s, trace.validate_s = 0.008, 0.045, 0.015, 0.004
    trace.ready, trace.published = 10.105, 10.107
    ms = trace.stages_ms()
    assert list(ms) == [*STAGES, "total"]
    assert ms["parse"] == pytest.approx(12.0) and ms["wait"] == pytest.approx(18.0)
    assert ms["place"] == pytest.approx(75.0 - 72.0) and ms["publish"] == pytest.approx(2.0)
    assert sum(ms[s] for s in STAGES) == pytest.approx(ms["total"]) == pytest.approx(107.0)
    assert trace.summary().startswith("107.0 ms = parse 12.0 + wait 18.0 + text 8.0")


def test_an_incomplete_trace_has_no_stages():
    trace = FirstChunkTrace.now()
    assert trace.accepted == trace.received and not trace.complete
    assert trace.stages_ms() == {} and trace.summary() == ""


def test_stamp_ready_takes_the_chunks_compute_times():
    trace = FirstChunkTrace.now(received=0.0)
    trace.started = trace.accepted
    chunk = _chunk(generate_s=0.04, retarget_s=0.01, validate_s=0.002, text_s=0.005)
    trace.stamp_ready(chunk)
    assert trace.ready >= trace.started
    assert (trace.text_s, trace.generate_s, trace.retarget_s, trace.validate_s) == (
        0.005,
        0.04,
        0.01,
        0.002,
    )
