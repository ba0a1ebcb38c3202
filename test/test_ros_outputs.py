"""What the node sends towards a robot (molingo_ros.ros.outputs): its lifecycle publishers on
the configured topics (real rclpy, a private ROS domain) and the messages built from robot
configurations of the real Unitree G1, handed to the node's publish-and-record."""

from __future__ import annotations

import os

import numpy as np
import pytest
import rclpy
from geometry_msgs.msg import PoseStamped
from rclpy.context import Context
from rclpy.lifecycle import LifecycleNode
from ros_helpers import domain
from sensor_msgs.msg import JointState
from tf2_msgs.msg import TFMessage
from trajectory_msgs.msg import JointTrajectory
from visualization_msgs.msg import MarkerArray

from molingo_ros.robot.models import load_robot
from molingo_ros.ros import params as P
from molingo_ros.ros.messages import from_time, world_to_root
from molingo_ros.ros.outputs import RobotOutputs

pytestmark = pytest.mark.ros

NS = "/robot2"


def _cfg(**values) -> P.NodeConfig:
    """The node's settings: the defaults, with ``values`` (parameter name -> value)."""
    return P.config_from(lambda name: values.get(name, P.PARAMETERS[name][0]))


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


@pytest.fixture
def node():
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    ctx = Context()
    rclpy.init(context=ctx, domain_id=domain(45))
    n = LifecycleNode("molingo_node", namespace=NS, context=ctx)
    try:
        yield n
    finally:
        n.destroy_node()
        rclpy.try_shutdown(context=ctx)


class Sent:
    """The node's publish-and-record: keeps (publisher, message) in order."""

    def __init__(self) -> None:
        self.items: list[tuple[object, object]] = []

    def __call__(self, publisher, msg) -> None:
        self.items.append((publisher, msg))


def _q(g1) -> np.ndarray:
    """A G1 configuration: moved and turned root, joints at known angles (nq,)."""
    q = g1.neutral().copy()
    q[:3] = [0.5, -0.25, 0.78]
    q[3:7] = [0.0, 0.0, np.sin(np.pi / 8), np.cos(np.pi / 8)]  # 45 degrees about z
    q[g1.joint_q_indices] = np.linspace(-0.2, 0.2, len(g1.joint_q_indices))
    return q


def test_publishers_on_the_configured_topics_and_destroyed(node, g1):
    out = RobotOutputs(node, _cfg(), g1, Sent())
    topics = {p.topic_name: p.msg_type for p in out.publishers}
    assert topics == {
        f"{NS}/joint_trajectory_controller/joint_trajectory": JointTrajectory,
        f"{NS}/molingo_node/joint_states": JointState,
        f"{NS}/joint_command": JointState,
        f"{NS}/molingo_node/root_pose": PoseStamped,
        f"{NS}/molingo_node/human_markers": MarkerArray,
        f"{NS}/tf": TFMessage,
    }
    assert out.robot_topics == (
        f"{NS}/joint_trajectory_controller/joint_trajectory",
        f"{NS}/joint_command",
    )
    assert all(node.count_publishers(t) == 1 for t in topics)
    assert out.joint_names == list(g1.joint_names) and out.root_link == g1.root_link
    out.destroy()
    assert all(node.count_publishers(t) == 0 for t in topics)
    no_tf = RobotOutputs(node, _cfg(**{"tf.enabled": False}), g1, Sent())
    assert no_tf.tf is None and len(no_tf.publishers) == 5


def test_the_tf_parent_must_be_a_world_frame(node, g1):
    for frame in ("", g1.root_link):
        with pytest.raises(ValueError, match="cannot be the parent of the TF"):
            RobotOutputs(node, _cfg(frame_id=frame), g1, Sent())
    # Without TF the root pose may be given in any frame.
    RobotOutputs(node, _cfg(frame_id=g1.root_link, **{"tf.enabled": False}), g1, Sent())


def test_the_state_due_now(node, g1):
    sent = Sent()
    urdf_names = [f"urdf_{n}" for n in g1.joint_names]
    out = RobotOutputs(node, _cfg(), g1, sent, joint_names=urdf_names)
    q, v = _q(g1), np.linspace(1.0, 2.0, len(g1.joint_names))
    out.publish_state(q, v, 12.5)
    assert [pub for pub, _ in sent.items] == [
        out.joint_states,
        out.joint_command,
        out.root_pose,
        out.tf,
    ]
    js, cmd, pose, tf = (msg for _, msg in sent.items)
    assert js is cmd  # the command is the state due now
    assert list(js.name) == urdf_names  # the robot description's names
    assert np.allclose(js.position, q[g1.joint_q_indices]) and np.allclose(js.velocity, v)
    assert from_time(js.header.stamp) == pytest.approx(12.5)
    p = pose.pose
    assert pose.header.frame_id == "world"
    assert (p.position.x, p.position.y, p.position.z) == pytest.approx(tuple(q[:3]))
    assert (p.orientation.z, p.orientation.w) == pytest.approx((q[5], q[6]))
    ((t,),) = [tf.transforms]
    assert (t.header.frame_id, t.child_frame_id) == ("world", g1.root_link)
    assert t.transform.translation.x == pytest.approx(0.5)
    sent.items.clear()
    out.publish_state(q, v, 13.0, command=False)  # shown, not commanded (the idle pose)
    assert out.joint_command not in [pub for pub, _ in sent.items]
    assert len(sent.items) == 3


def test_the_planned_future_and_the_hold(node, g1):
    sent = Sent()
    out = RobotOutputs(node, _cfg(), g1, sent)
    q = np.stack([_q(g1)] * 3)
    q[:, g1.joint_q_indices[0]] += [0.0, 0.01, 0.02]
    v = np.full((3, len(g1.joint_names)), 0.3)
    times = 50.0 + np.arange(3) / 30
    out.publish_trajectory(times, q, v)
    ((pub, traj),) = sent.items
    assert pub is out.trajectory and list(traj.joint_names) == list(g1.joint_names)
    assert from_time(traj.header.stamp) == pytest.approx(50.0)
    assert [from_time(p.time_from_start) for p in traj.points] == pytest.approx([0, 1 / 30, 2 / 30])
    assert np.allclose([p.positions for p in traj.points], q[:, g1.joint_q_indices])
    assert np.allclose(traj.points[0].velocities, 0.3) and not any(traj.points[-1].velocities)
    out.publish_hold(q[1], now_s=60.0, settle_s=0.2)
    _, hold = sent.items[-1]
    ((point,),) = [hold.points]
    assert from_time(hold.header.stamp) == pytest.approx(60.0)
    assert from_time(point.time_from_start) == pytest.approx(0.2)
    assert np.allclose(point.positions, q[1, g1.joint_q_indices]) and not any(point.velocities)
    out.publish_hold(q[1], now_s=60.0, settle_s=0.0)  # never due before it is sent
    assert from_time(sent.items[-1][1].points[0].time_from_start) == pytest.approx(1e-3)


def test_stamp_policy_zero_times_the_points_from_arrival(node, g1):
    sent = Sent()
    out = RobotOutputs(node, _cfg(**{"stream.stamp_policy": "zero"}), g1, sent)
    now = node.get_clock().now().nanoseconds * 1e-9
    times = now + 2.0 + np.arange(3) / 30
    q = np.stack([_q(g1)] * 3)
    out.publish_trajectory(times, q, np.zeros((3, len(g1.joint_names))))
    _, traj = sent.items[-1]
    assert (traj.header.stamp.sec, traj.header.stamp.nanosec) == (0, 0)
    starts = [from_time(p.time_from_start) for p in traj.points]
    assert starts[0] == pytest.approx(2.0, abs=0.5)  # due 2 s after it was sent
    assert np.diff(starts) == pytest.approx([1 / 30, 1 / 30], abs=1e-6)


def test_the_human_skeleton_beside_the_robot(node, g1):
    human = (np.array([[0.5, -0.25, 1.0], [0.5, -0.25, 1.5]]), np.array([-1, 0]))
    q = _q(g1)
    sent = Sent()
    out = RobotOutputs(node, _cfg(**{"markers.offset_y_m": 1.0}), g1, sent)
    out.publish_human(human, q, 7.0)
    ((pub, markers),) = sent.items
    bones, joints = markers.markers
    assert pub is out.markers and joints.header.frame_id == "world"
    assert [(p.x, p.y, p.z) for p in joints.points] == [(0.5, 0.75, 1.0), (0.5, 0.75, 1.5)]
    assert len(bones.points) == 2  # one bone: parent, child
    # In the root link's frame (RViz without a world -> root TF): the same points, moved.
    sent = Sent()
    root = RobotOutputs(node, _cfg(**{"markers.frame_id": g1.root_link}), g1, sent)
    root.publish_human(human, q, 7.0)
    _, markers = sent.items[0]
    got = np.array([(p.x, p.y, p.z) for p in markers.markers[1].points])
    expected = world_to_root(human[0] + [0.0, 1.0, 0.0], q[:7])
    assert markers.markers[1].header.frame_id == g1.root_link and np.allclose(got, expected)
    assert np.allclose(got[0], [np.sqrt(0.5), np.sqrt(0.5), 0.22])  # 1 m to +y, turned 45 deg
