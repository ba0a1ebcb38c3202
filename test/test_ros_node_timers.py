"""molingo_node's timer callbacks (molingo_ros.ros.node_timers.StreamTimers): the generation
tick publishes the planned future as one JointTrajectory, the playback tick the state due now
(or the idle pose before any motion), the diagnostics tick a DiagnosticArray with the node's
counts, a /clock without use_sim_time and other publishers on the robot's topics. An
in-process MolingoNode (shipped model, real G1, CPU, recording a bag so that every publish is
counted) on a private ROS domain, configured and activated once for the module and not spun:
the tests call the ticks themselves; a probe node in its own context receives the messages
and plays the other nodes (a simulator's /clock, a second writer)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from ros_helpers import Probe, active_node, ros_context, wait
from ros_helpers import domain as ros_domain
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

from molingo_ros.ros.messages import from_time
from molingo_ros.runtime.latency import STAGES

pytestmark = pytest.mark.ros

DOMAIN_OFFSET = 34
TRAJECTORY = "/joint_trajectory_controller/joint_trajectory"
JOINT_STATES = "/molingo_node/joint_states"
JOINT_COMMAND = "/joint_command"
DIAGNOSTICS = "/diagnostics"
DIAGNOSTIC_KEYS = [
    "generation_latency_ms",
    "realtime_factor",
    "state",
    "device",
    "buffered_ahead_s",
    "frames_rejected",
    "frames_held",
    "frames_dynamically_infeasible",
    "frames_repaired",
    "longest_hold_frames",
    "frames_clamped",
    "chunks",
    "commands",
    "errors",
    "last_error",
    "queued",
    "other_publishers",
    "warnings",
]


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """A configured, active MolingoNode recording to a bag (its own context, shut down)."""
    ctx = ros_context(DOMAIN_OFFSET)
    bag = tmp_path_factory.mktemp("timers") / "bag"
    try:
        yield from active_node(
            ctx, Parameter("record.enabled", value=True), Parameter("record.path", value=str(bag))
        )
    finally:
        rclpy.try_shutdown(context=ctx)


@pytest.fixture(scope="module")
def probe(node):
    p = Probe(ros_domain(DOMAIN_OFFSET), "timers_probe")
    try:
        qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        for msg_type, topic in (
            (JointTrajectory, TRAJECTORY),
            (JointState, JOINT_STATES),
            (JointState, JOINT_COMMAND),
            (DiagnosticArray, DIAGNOSTICS),
        ):
            p.collect(msg_type, topic, qos)
        out = node.outputs
        for pub in (out.trajectory, out.joint_states, out.joint_command, node._diag_pub):
            wait(lambda pub=pub: pub.get_subscription_count() > 0, 10, pub.topic_name)
        yield p
    finally:
        p.close()


def _count(node, topic: str) -> int:
    """Messages the node published on ``topic`` (its bag counts every publish)."""
    return node.recorder.counts.get(topic, 0)


def _next(probe, topic: str, before: int):
    wait(lambda: len(probe.messages(topic)) > before, 5, f"a message on {topic}")
    return probe.messages(topic)[before]


def _submit(node, text: str):
    command = node._command_from_fields(text, 0.0, "replace", -1, "", node.now_s())
    return node.submit_text(command, 0.0)[1]


def _diagnostics(node, probe) -> DiagnosticStatus:
    seen = len(probe.messages(DIAGNOSTICS))
    node._diagnostics_tick()
    arr = _next(probe, DIAGNOSTICS, seen)
    assert len(arr.status) == 1
    return arr.status[0]


def test_playback_before_any_motion_shows_the_idle_pose(node, probe):
    """First test of the module: nothing generated yet."""
    assert node.controller.frame_at(node.now_s()) is None
    seen, commands = len(probe.messages(JOINT_STATES)), _count(node, JOINT_COMMAND)
    node._playback_tick()
    msg = _next(probe, JOINT_STATES, seen)
    out = node.outputs
    np.testing.assert_allclose(msg.position, out.idle_q[node.engine.robot.joint_q_indices])
    assert not any(msg.velocity)
    assert _count(node, JOINT_COMMAND) == commands  # observers only: no joint command


def test_generate_tick_without_a_command_does_nothing(node):
    chunks, trajectories = node.controller.chunks_total, _count(node, TRAJECTORY)
    node._generate_tick()
    assert node.controller.chunks_total == chunks
    assert _count(node, TRAJECTORY) == trajectories


def test_generate_tick_publishes_the_planned_future(node, probe):
    progress = _submit(node, "walk forward")
    ctrl, fps = node.controller, node.engine.fps
    seen, chunks = len(probe.messages(TRAJECTORY)), ctrl.chunks_total
    t0 = node.now_s()
    node._generate_tick()
    assert ctrl.chunks_total == chunks + 1
    msg = _next(probe, TRAJECTORY, seen)
    times = from_time(msg.header.stamp) + np.array(
        [from_time(p.time_from_start) for p in msg.points]
    )
    assert times[0] >= t0  # every point is due from now on
    np.testing.assert_allclose(np.diff(times), 1.0 / fps, atol=1e-6)
    assert len(msg.points) == progress.frames_streamed > 0  # the whole first chunk
    assert msg.joint_names == node.outputs.joint_names
    assert len(msg.points[0].positions) == len(msg.joint_names) == 29
    assert not any(msg.points[-1].velocities)  # it ends at rest
    assert progress.state == "streaming"
    assert node.status.last[:2] == ("streaming", progress.command.id)
    # Its way to the first trajectory is traced through the publication.
    command_id, trace = node.last_first_chunk
    assert command_id == progress.command.id and trace is progress.trace and trace.complete
    assert trace.ready <= trace.published and trace.stages_ms()["total"] > 0
    # The short first chunk (stream.first_chunk_tokens: 8 frames) leaves less than lead_s
    # buffered: the next tick adds the rest of its window; then the buffer is full and a tick
    # generates nothing.
    assert progress.frames_streamed == 4 * node.cfg.controller.first_chunk_tokens
    node._generate_tick()
    assert ctrl.chunks_total == chunks + 2
    node._generate_tick()
    assert ctrl.chunks_total == chunks + 2
    wait(
        lambda: _count(node, TRAJECTORY) == len(probe.messages(TRAJECTORY)),
        5,
        "every trajectory published received",
    )
    # With less than lead_s buffered: the next chunk, sent with every frame due from now on
    # (the rest of the first chunk too), none already played.
    first = progress.frames_streamed
    lead_s = node.cfg.controller.lead_s
    wait(lambda: ctrl.buffered_ahead_s(node.now_s()) < lead_s, 5, "a low buffer")
    seen, t1 = len(probe.messages(TRAJECTORY)), node.now_s()
    node._generate_tick()
    t2 = node.now_s()
    assert ctrl.chunks_total == chunks + 3
    msg = _next(probe, TRAJECTORY, seen)
    times = from_time(msg.header.stamp) + np.array(
        [from_time(p.time_from_start) for p in msg.points]
    )
    assert t1 <= times[0] < t2 + 1.5 / fps
    assert times[-1] == pytest.approx(ctrl.buffered_until(), abs=1e-6)
    assert len(msg.points) > progress.frames_streamed - first  # more than the new chunk


def test_playback_tick_publishes_the_frame_due_now(node, probe):
    _submit(node, "walk forward")
    node._generate_tick()
    time.sleep(0.2)  # into the motion
    seen = len(probe.messages(JOINT_COMMAND))
    markers = _count(node, "/molingo_node/human_markers")
    node._playback_tick()
    msg = _next(probe, JOINT_COMMAND, seen)
    q, v, _ = node.controller.frame_at(from_time(msg.header.stamp))
    joints = node.engine.robot.joint_q_indices
    np.testing.assert_allclose(msg.position, q[joints], atol=1e-9)
    np.testing.assert_allclose(msg.velocity, v, atol=1e-9)
    assert any(msg.velocity)  # walking
    assert _count(node, "/molingo_node/human_markers") == markers + 1


def test_diagnostics_report_the_nodes_counts(node, probe):
    _submit(node, "walk forward")
    node._generate_tick()
    st = _diagnostics(node, probe)
    assert st.name == "molingo_node: generation" and st.hardware_id == "g1"
    values = {kv.key: kv.value for kv in st.values}
    first_chunk = [
        "first_chunk.command",
        "first_chunk",
        *[f"first_chunk.{s}_ms" for s in (*STAGES, "total")],
    ]
    at = DIAGNOSTIC_KEYS.index("queued") + 1
    assert [kv.key for kv in st.values] == DIAGNOSTIC_KEYS[:at] + first_chunk + DIAGNOSTIC_KEYS[at:]
    assert values["first_chunk.command"] == node.last_first_chunk[0]
    assert float(values["first_chunk.total_ms"]) > float(values["first_chunk.generate_ms"]) > 0
    ctrl = node.controller
    assert values["state"] == "active" and values["device"] == "cpu"
    assert values["chunks"] == str(ctrl.chunks_total) != "0"
    assert values["commands"] == str(node.commands_total) != "0"
    assert values["errors"] == str(node.status.errors_total)
    assert float(values["buffered_ahead_s"]) > 0.1
    assert float(values["generation_latency_ms"]) == pytest.approx(
        ctrl.last_compute_s * 1000, abs=0.06
    )
    assert values["other_publishers"] == values["warnings"] == ""
    assert values["frames_dynamically_infeasible"] == "not counted (safety.check_dynamics: false)"
    assert st.level in (DiagnosticStatus.OK, DiagnosticStatus.WARN)  # WARN: slower than real time


def test_clock_warnings_only_while_a_clock_is_published_without_sim_time(node, probe):
    assert node._clock_warnings() == ()
    clock = probe.node.create_publisher(Clock, "/clock", 10)
    try:
        wait(lambda: node.count_publishers("/clock") > 0, 10, "the /clock publisher")
        (text,) = node._clock_warnings()
        assert "use_sim_time" in text and "stream.stamp_policy" in text
        st = _diagnostics(node, probe)
        assert st.level == DiagnosticStatus.WARN and st.message == text
        assert {kv.key: kv.value for kv in st.values}["warnings"] == text
        # Stamped from arrival, the clock does not matter.
        assert node.set_parameters([Parameter("stream.stamp_policy", value="zero")])[0].successful
        assert node._clock_warnings() == ()
        assert node.set_parameters([Parameter("stream.stamp_policy", value="clock")])[0].successful
        assert node._clock_warnings() == (text,)
    finally:
        probe.node.destroy_publisher(clock)
    wait(lambda: node.count_publishers("/clock") == 0, 10, "the /clock publisher to go")
    assert node._clock_warnings() == ()


def test_another_writer_on_the_robot_topics_is_reported(node, probe):
    assert node._watch_ownership() == []
    other = probe.node.create_publisher(JointState, JOINT_COMMAND, 10)
    try:
        wait(lambda: node._watch_ownership(), 10, "the other publisher")
        assert any("timers_probe" in o for o in node._watch_ownership())
        st = _diagnostics(node, probe)
        assert st.level == DiagnosticStatus.WARN
        assert st.message.startswith("other publishers on this robot's topics")
        assert "timers_probe" in {kv.key: kv.value for kv in st.values}["other_publishers"]
    finally:
        probe.node.destroy_publisher(other)
    wait(lambda: not node._watch_ownership(), 10, "the other publisher to go")


def test_inactive_node_neither_generates_nor_plays(node, probe):
    _submit(node, "walk forward")
    assert node.trigger_deactivate() == TransitionCallbackReturn.SUCCESS
    try:
        chunks, states = node.controller.chunks_total, _count(node, JOINT_STATES)
        node._generate_tick()
        node._playback_tick()
        assert node.controller.chunks_total == chunks
        assert _count(node, JOINT_STATES) == states
        st = _diagnostics(node, probe)  # diagnostics go on, saying so
        assert {kv.key: kv.value for kv in st.values}["state"] == "inactive"
    finally:
        assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
