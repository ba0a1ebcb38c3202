"""Holding the robot (molingo_ros.ros.node_holds.RobotHolds): hold() publishes a one-point
trajectory at the frame due now, ``~/stop`` answers and holds, and the final stop publishes
status ``stopped``, a zero-velocity joint state and the hold, in that order, before the bag
closes. An in-process MolingoNode (shipped model, real G1, CPU, recording a bag) on a private
ROS domain, configured and activated once for the module, not spun (no timer runs); a probe
node in its own context receives what it publishes."""

from __future__ import annotations

import time

import numpy as np
import pytest
import rclpy
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.serialization import deserialize_message
from ros_helpers import Probe, active_node, ros_context, wait
from ros_helpers import domain as ros_domain
from rosbags.rosbag2 import Reader
from sensor_msgs.msg import JointState
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from molingo_ros.msg import MotionStatus
from molingo_ros.ros.messages import from_time
from molingo_ros.ros.node import MolingoNode

pytestmark = pytest.mark.ros

DOMAIN_OFFSET = 33
TRAJECTORY = "/joint_trajectory_controller/joint_trajectory"


@pytest.fixture(scope="module")
def ctx():
    context = ros_context(DOMAIN_OFFSET)
    yield context
    rclpy.try_shutdown(context=context)


@pytest.fixture(scope="module")
def node(ctx, tmp_path_factory):
    """A configured, active MolingoNode recording to a bag."""
    bag = tmp_path_factory.mktemp("holds") / "bag"
    yield from active_node(
        ctx, Parameter("record.enabled", value=True), Parameter("record.path", value=str(bag))
    )


@pytest.fixture(scope="module")
def probe(node):
    """Receives the node's trajectories (waits until it is matched)."""
    p = Probe(ros_domain(DOMAIN_OFFSET), "holds_probe")
    try:
        p.collect(
            JointTrajectory,
            TRAJECTORY,
            QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE),
        )
        wait(lambda: node.outputs.trajectory.get_subscription_count() > 0, 10, "the probe")
        yield p
    finally:
        p.close()


@pytest.fixture(autouse=True)
def idle(node):
    """Each test starts with nothing queued or playing."""
    node.hold("test start")
    yield


def _traj_count(node) -> int:
    """Trajectories the node published (its bag counts every publish)."""
    return node.recorder.counts.get(TRAJECTORY, 0)


def _stream(node, text: str, mode: str = "replace"):
    """Submit ``text``, generate its first chunk, wait until its frames are due."""
    command = node._command_from_fields(text, 0.0, mode, -1, "", node.now_s())
    _, progress = node.submit_text(command, 0.0)
    if mode == "replace":
        node._generate_tick()
        assert progress.state == "streaming"
        time.sleep(0.15)  # past the controller's start delay
    return progress


def _received_so_far(probe, node) -> int:
    """The trajectories received once every one the node published has arrived."""
    wait(lambda: len(probe.messages(TRAJECTORY)) >= _traj_count(node), 5, "the trajectories")
    return len(probe.messages(TRAJECTORY))


def _new_trajectory(probe, before: int) -> JointTrajectory:
    wait(lambda: len(probe.messages(TRAJECTORY)) > before, 5, "a trajectory")
    return probe.messages(TRAJECTORY)[before]


def test_hold_before_any_motion_publishes_nothing(node):
    assert node.controller.frame_at(node.now_s()) is None
    before = _traj_count(node)
    node.hold("nothing to hold")
    assert _traj_count(node) == before


def test_hold_publishes_one_point_at_the_current_frame(node, probe):
    walking = _stream(node, "walk forward")
    robot = node.engine.robot
    seen = _received_so_far(probe, node)
    t0 = node.now_s()
    node.hold("operator hold")
    t1 = node.now_s()
    msg = _new_trajectory(probe, seen)
    assert len(msg.points) == 1
    point = msg.points[0]
    held_q = node.engine.last_q  # the engine continues from the held frame
    np.testing.assert_allclose(point.positions, held_q[robot.joint_q_indices], atol=1e-9)
    assert list(point.velocities) == [0.0] * len(msg.joint_names)
    assert msg.joint_names == node.outputs.joint_names
    assert t0 <= from_time(msg.header.stamp) <= t1
    assert from_time(point.time_from_start) == pytest.approx(node.cfg.hold_settle_s)
    assert walking.state == "cancelled" and walking.error == "operator hold"
    assert node.controller.current is None
    # Held: the frame due later is the held one, at rest.
    q, v, _ = node.controller.frame_at(node.now_s() + 1.0)
    np.testing.assert_allclose(q, held_q)
    assert not np.any(v)


def test_hold_of_one_queued_command_keeps_the_current_one(node):
    walking = _stream(node, "walk forward")
    waving = _stream(node, "wave with the right hand", mode="queue")
    assert waving.state == "queued"
    before = _traj_count(node)
    node.hold("not this one", waving.command.id)
    assert waving.state == "cancelled" and waving.error == "not this one"
    assert walking.state == "streaming" and node.controller.current is walking
    assert _traj_count(node) == before  # nothing of it played: no hold published


def test_stop_service_holds_and_drops_the_queue(node, probe):
    walking = _stream(node, "walk forward")
    waving = _stream(node, "wave with the right hand", mode="queue")
    seen = _received_so_far(probe, node)
    response = node._on_stop(Trigger.Request(), Trigger.Response())
    assert response.success and response.message == "robot held; queue dropped"
    assert walking.state == waving.state == "cancelled"
    assert not len(node.controller.queue) and node.controller.current is None
    assert node.status.last == ("stopped", "", "stopped by the ~/stop service")
    assert len(_new_trajectory(probe, seen).points) == 1


def test_stop_service_refuses_when_inactive(node):
    assert node.trigger_deactivate() == TransitionCallbackReturn.SUCCESS
    try:
        response = node._on_stop(Trigger.Request(), Trigger.Response())
        assert not response.success
        assert response.message == "molingo_node is not active: nothing to stop"
    finally:
        assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS


def test_an_unconfigured_node_holds_nothing_and_stops_with_a_status(ctx):
    bare = MolingoNode(context=ctx, namespace="/unconfigured")
    try:
        bare.hold("nothing configured")  # no controller: no-op, no error
        response = bare._on_stop(Trigger.Request(), Trigger.Response())
        assert not response.success and "not active" in response.message
        bare.stop("test")
        assert bare.status.last == ("stopped", "", "molingo_node: test")
        assert bare.status.errors_total == 0
    finally:
        bare.destroy_node()


def _read_bag(path) -> list[tuple[str, object]]:
    """(topic, message) in the bag's order (publish time)."""
    types = {TRAJECTORY: JointTrajectory, "/molingo_node/status": MotionStatus}
    types["/molingo_node/joint_states"] = types["/joint_command"] = JointState
    out = []
    with Reader(path) as reader:
        conns = [c for c in reader.connections if c.topic in types]
        for conn, _, raw in reader.messages(connections=conns):
            out.append((conn.topic, deserialize_message(raw, types[conn.topic])))
    return out


def test_stop_publishes_status_then_zero_velocity_state_then_hold(node):
    """The final sequence (last test of the module: the node stops serving)."""
    _stream(node, "walk forward")
    path = node.recorder.path
    node.stop("end of the test")
    assert not node.active and node.recorder is None  # the bag is closed
    tail = _read_bag(path)[-4:]
    assert [t for t, _ in tail] == [
        "/molingo_node/status",
        "/molingo_node/joint_states",
        "/joint_command",
        TRAJECTORY,
    ]
    status, state, command, hold = (m for _, m in tail)
    assert status.state == "stopped"
    assert status.error == "molingo_node: end of the test; robot held"
    assert state.position == command.position
    assert not any(state.velocity) and not any(command.velocity)
    assert len(hold.points) == 1
    np.testing.assert_allclose(hold.points[0].positions, state.position)
    assert from_time(status.header.stamp) <= from_time(state.header.stamp)
    assert from_time(state.header.stamp) <= from_time(hold.header.stamp)
    # Stopped: no more commands.
    command = node._command_from_fields("walk forward", 0.0, "replace", -1, "", node.now_s())
    with pytest.raises(ValueError, match="not active"):
        node.submit_text(command, 0.0)
