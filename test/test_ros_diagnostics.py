"""The node's /diagnostics message (molingo_ros.ros.diagnostics): its level and message for
each situation, the values table in order, the stamp."""

from __future__ import annotations

import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus

from molingo_ros.ros.diagnostics import generation_diagnostics
from molingo_ros.ros.messages import from_time

pytestmark = pytest.mark.ros

VALUES = {"state": "active", "buffered_ahead_s": "0.412", "frames_rejected": "3"}
OTHERS = [f"/ns/teleop_{i} on /joint_command" for i in range(6)]


def _status(**kwargs) -> DiagnosticStatus:
    args = dict(
        node_name="molingo_node",
        robot="g1",
        values=VALUES,
        last_compute_s=0.5,
        window_s=32 / 30,
        others=[],
        active=True,
        now_s=1234.5,
    )
    args.update(kwargs)
    arr = generation_diagnostics(**args)
    assert isinstance(arr, DiagnosticArray) and len(arr.status) == 1
    assert from_time(arr.header.stamp) == pytest.approx(args["now_s"])
    return arr.status[0]


def _table(st: DiagnosticStatus) -> dict[str, str]:
    return {kv.key: kv.value for kv in st.values}


def test_ok_faster_than_real_time_with_the_values_in_order():
    st = _status()
    assert st.level == DiagnosticStatus.OK and st.message == "ok"
    assert (st.name, st.hardware_id) == ("molingo_node: generation", "g1")
    keys = [kv.key for kv in st.values]
    assert keys == [
        "generation_latency_ms",
        "realtime_factor",
        *VALUES,
        "other_publishers",
        "warnings",
    ]
    table = _table(st)
    assert table["generation_latency_ms"] == "500.0"
    assert table["realtime_factor"] == "2.13"  # 1.0667 s of motion in 0.5 s
    assert table["state"] == "active" and table["other_publishers"] == ""
    assert table["warnings"] == ""


def test_nothing_generated_yet_is_ok_with_a_zero_factor():
    st = _status(last_compute_s=0.0)
    assert st.level == DiagnosticStatus.OK
    assert _table(st)["realtime_factor"] == "0.00"


def test_slower_than_real_time_warns():
    st = _status(last_compute_s=2.0)
    assert st.level == DiagnosticStatus.WARN and st.message == "slower than real time"
    assert _table(st)["realtime_factor"] == "0.53"


def test_each_warning_sets_the_message_the_last_one_wins():
    warnings = ("clock mismatch: use_sim_time", "second warning")
    st = _status(last_compute_s=2.0, warnings=warnings)
    assert st.level == DiagnosticStatus.WARN and st.message == "second warning"
    assert _table(st)["warnings"] == "clock mismatch: use_sim_time; second warning"


def test_other_publishers_warn_while_active_and_are_an_error_when_refused():
    active = _status(others=OTHERS[:2], warnings=("a warning",))
    assert active.level == DiagnosticStatus.WARN
    assert active.message == (
        "other publishers on this robot's topics: /ns/teleop_0 on /joint_command, "
        "/ns/teleop_1 on /joint_command"
    )
    refused = _status(others=OTHERS, active=False)
    assert refused.level == DiagnosticStatus.ERROR
    assert refused.message.startswith("activation refused: other publishers drive it: ")
    assert refused.message.endswith("/ns/teleop_3 on /joint_command and 2 more")
    assert _table(refused)["other_publishers"].endswith("and 2 more")
    # Not active without other publishers (inactive, or not yet checked) is no error.
    assert _status(active=False).level == DiagnosticStatus.OK


def test_first_chunk_values_name_the_command_and_each_stage():
    from molingo_ros.ros.diagnostics import first_chunk_values
    from molingo_ros.runtime.latency import STAGES, FirstChunkTrace

    assert first_chunk_values(None) == {}
    trace = FirstChunkTrace(received=1.0, accepted=1.01, started=1.02, ready=1.09, published=1.1)
    trace.generate_s = 0.05
    values = first_chunk_values(("cmd7", trace))
    assert values["first_chunk.command"] == "cmd7"
    assert values["first_chunk"].startswith("100.0 ms = parse 10.0 + wait 10.0")
    assert [k for k in values if k.endswith("_ms")] == [
        f"first_chunk.{s}_ms" for s in (*STAGES, "total")
    ]
    assert values["first_chunk.generate_ms"] == "50.0"
