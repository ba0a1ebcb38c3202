"""The fault suite's client node (molingo_ros.ros.faults.probe): a Probe in a private ROS
domain records what a publisher in this process sends (in its joint order, with the
publisher's id), finds statuses, and sends String and MotionCommand commands that the other
node receives; then against the shared molingo_node (slow): lifecycle state, graph, a goal."""

from __future__ import annotations

import time

import faults_helpers
import numpy as np
import pytest
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import serialize_message
from ros_helpers import Probe as Peer
from ros_helpers import wait
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory

from molingo_ros.msg import MotionCommand, MotionStatus
from molingo_ros.ros.faults.launch import new_domain
from molingo_ros.ros.faults.probe import (
    CMD_TOPIC,
    JS_TOPIC,
    STATUS_TOPIC,
    TRAJ_TOPIC,
    Probe,
    wait_until,
)
from molingo_ros.ros.messages import from_time, joint_state, joint_trajectory, to_time

pytestmark = pytest.mark.ros

JOINTS = ["a", "b", "c"]
RELIABLE = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
LATCHED = QoSProfile(
    depth=50,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)


@pytest.fixture(scope="module")
def pair():
    """A Probe and two plain nodes (peers, each in its own context) in one private domain,
    the peers' publishers matched with the probe's subscriptions."""
    d = new_domain()
    probe = Probe(d, JOINTS)
    peer, other = Peer(d, "faults_probe_peer"), Peer(d, "faults_probe_other")
    pubs = {
        "traj": peer.node.create_publisher(JointTrajectory, TRAJ_TOPIC, RELIABLE),
        "js": peer.node.create_publisher(JointState, JS_TOPIC, RELIABLE),
        "cmd_js": peer.node.create_publisher(JointState, CMD_TOPIC, RELIABLE),
        "status": peer.node.create_publisher(MotionStatus, STATUS_TOPIC, LATCHED),
        "other_status": other.node.create_publisher(MotionStatus, STATUS_TOPIC, LATCHED),
    }
    peer.collect(String, "/molingo_node/command", RELIABLE)
    peer.collect(MotionCommand, "/molingo_node/motion_command", RELIABLE)
    wait(lambda: all(p.get_subscription_count() > 0 for p in pubs.values()), 20.0, "matching")
    wait(lambda: probe.text_pub.get_subscription_count() > 0, 20.0, "the command subscriber")
    wait(lambda: probe.cmd_pub.get_subscription_count() > 0, 20.0, "the motion subscriber")
    yield probe, peer, pubs
    other.close()
    peer.close()
    probe.close()


def _status(state: str, cid: str, stamp_s: float) -> MotionStatus:
    msg = MotionStatus()
    msg.header.stamp = to_time(stamp_s)
    msg.state, msg.command_id, msg.text, msg.error = state, cid, "walk", ""
    return msg


def test_records_are_in_the_probes_joint_order_with_their_publisher(pair):
    probe, _, pubs = pair
    mark = probe.mark()
    names = ["c", "a", "x"]  # b missing, x unknown
    pos = np.array([[3.0, 1.0, 9.0], [3.5, 1.5, 9.5]])
    traj = joint_trajectory(names, pos, -pos, 1000.0, 30.0)
    before = time.time()
    pubs["traj"].publish(traj)
    pubs["js"].publish(joint_state(JOINTS, np.array([0.1, 0.2, 0.3]), np.zeros(3), 1001.0))
    pubs["cmd_js"].publish(joint_state(["b"], np.array([7.0]), np.array([0.5]), 1002.0))
    wait(lambda: all(probe.since(mark, k) for k in ("traj", "js", "cmd_js")), 10.0, "records")
    (t,) = probe.since(mark, "traj")
    assert t.stamp_s == pytest.approx(1000.0) and np.allclose(t.tfs, [0.0, 1 / 30.0])
    assert np.array_equal(t.positions, [[1.0, np.nan, 3.0], [1.5, np.nan, 3.5]], equal_nan=True)
    assert np.array_equal(t.velocities, -t.positions, equal_nan=True)
    assert not t.is_hold and before <= t.recv_s <= time.time()
    (js,) = probe.since(mark, "js")
    assert np.allclose(js.positions, [0.1, 0.2, 0.3]) and js.stamp_s == pytest.approx(1001.0)
    (cmd,) = probe.since(mark, "cmd_js")
    assert np.array_equal(cmd.positions, [np.nan, 7.0, np.nan], equal_nan=True)
    assert np.array_equal(cmd.velocities, [np.nan, 0.5, np.nan], equal_nan=True)
    assert len(t.source) == 24 and js.source == cmd.source == t.source  # one node, one source
    assert probe.last_recv_s >= t.recv_s
    hold = joint_trajectory(JOINTS, np.zeros((1, 3)), np.zeros((1, 3)), 1003.0, 30.0)
    m2 = probe.mark()
    pubs["traj"].publish(hold)
    wait(lambda: probe.since(m2, "traj"), 10.0, "the hold")
    assert probe.since(m2, "traj")[0].is_hold and probe.since(m2, "traj")[0].source == t.source


def test_statuses_are_found_by_command_state_and_mark(pair):
    probe, _, pubs = pair
    mark = probe.mark()
    pubs["status"].publish(_status("queued", "c1", 10.0))
    pubs["status"].publish(_status("streaming", "c1", 10.5))
    pubs["other_status"].publish(_status("refused", "c2", 11.0))
    assert probe.wait_status("c2", ("refused", "error"), 10.0, mark).stamp_s == 11.0
    wait(lambda: len(probe.statuses(mark=mark)) == 3, 10.0, "three statuses")
    assert [s.state for s in probe.statuses("c1", mark=mark)] == ["queued", "streaming"]
    assert [s.command_id for s in probe.statuses(states=("refused",), mark=mark)] == ["c2"]
    first = probe.wait_status("c1", ("queued", "streaming"), 1.0, mark)
    assert first.state == "queued" and first.text == "walk" and first.error == ""
    sources = {s.source for s in probe.statuses(mark=mark)}
    assert len(sources) == 2  # two nodes publishing on one topic are told apart
    t0 = time.monotonic()
    assert probe.wait_status("c1", ("done",), 0.3, mark) is None
    assert 0.3 <= time.monotonic() - t0 < 2.0
    later = probe.mark()
    assert probe.statuses(mark=later) == [] and later["status"] == mark["status"] + 3


def test_commands_reach_the_other_node(pair):
    probe, peer, _ = pair
    cmd = Probe.command("a person bows", 2.5, mode=1, cid="bow-1", seed=7, stamp_s=1234.5)
    assert (cmd.text, cmd.duration_s, cmd.mode, cmd.id, cmd.seed) == (
        "a person bows",
        2.5,
        1,
        "bow-1",
        7,
    )
    assert from_time(cmd.header.stamp) == pytest.approx(1234.5)
    assert abs(from_time(Probe.command("x").header.stamp) - time.time()) < 1.0
    before = time.time()
    sent = probe.send(cmd)
    assert before <= sent <= time.time()
    probe.send_text("walk forward")
    probe.send_text(serialize_message(String(data="raw bytes")))
    wait(lambda: len(peer.messages("/molingo_node/command")) == 2, 10.0, "two String commands")
    wait(lambda: peer.messages("/molingo_node/motion_command"), 10.0, "the MotionCommand")
    assert [m.data for m in peer.messages("/molingo_node/command")] == ["walk forward", "raw bytes"]
    (got,) = peer.messages("/molingo_node/motion_command")
    assert (got.text, got.id, got.seed, got.mode) == ("a person bows", "bow-1", 7, 1)


def test_without_a_molingo_node_the_probe_is_not_ready_and_its_state_unreachable(pair):
    probe, _, _ = pair
    counts = probe.publisher_counts()
    assert counts[TRAJ_TOPIC] == 1 and counts[JS_TOPIC] == 1 and counts[CMD_TOPIC] == 1
    assert counts[STATUS_TOPIC] == 2
    assert not probe.action.server_is_ready()
    assert not probe.ready()
    assert probe.lifecycle_state(0.3) == "unreachable"
    assert probe.wait_active(0.3) is False


def test_wait_until_polls_until_true_or_the_timeout():
    calls = []
    assert wait_until(lambda: calls.append(1) or len(calls) >= 3, 5.0, 0.01) is True
    assert len(calls) == 3
    t0 = time.monotonic()
    assert wait_until(lambda: False, 0.2, 0.05) is False
    assert 0.2 <= time.monotonic() - t0 < 1.0


def test_close_shuts_the_probes_context_down():
    probe = Probe(new_domain(), JOINTS)
    assert probe.ctx.ok()
    probe.close()
    assert not probe.ctx.ok()


# -- against molingo_node ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def harness(request, tmp_path_factory):
    yield from faults_helpers.shared_harness(request, tmp_path_factory)


@pytest.mark.slow
def test_the_shared_node_is_active_publishes_once_per_topic_and_accepts_a_goal(harness):
    node, probe = harness.shared()
    assert probe.ready() and probe.lifecycle_state() == "active"
    assert set(probe.publisher_counts().values()) == {1}
    mark = probe.mark()
    future = probe.goal(Probe.command("a person bows", 1.0, cid="probe_goal"))
    assert wait_until(future.done, 10.0) and future.result().accepted
    final = probe.wait_status("probe_goal", ("done", "error", "cancelled"), 30.0, mark)
    assert final is not None and final.state == "done", node.log_text(2000)
    assert probe.since(mark, "traj") and probe.since(mark, "js")
