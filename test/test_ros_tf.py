"""TF: the venv's tf2_msgs (built by make setup from interfaces/tf2_msgs) is wire-compatible
with ROS 2 Kilted's, and molingo_ros.ros.tf builds the root transform from a configuration."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import rclpy
from ament_index_python.packages import get_package_share_directory
from geometry_msgs.msg import TransformStamped
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from ros_helpers import domain as ros_domain
from ros_helpers import node_env
from tf2_msgs.msg import TFMessage

from molingo_ros.ros.messages import from_time, root_pose
from molingo_ros.ros.tf import root_transform, tf_message

pytestmark = pytest.mark.ros

# tf2_msgs/msg/TFMessage in ROS 2 Kilted (the same since Iron: ros2 topic info -v /tf shows it;
# rosbags' ROS2_KILTED type store computes it from Kilted's definitions, see below).
KILTED_TFMESSAGE_HASH = "RIHS01_e369d0f05a23ae52508854b66f6aa0437f3449d652e8cbf22d5abe85d020f087"


def _context(domain: int) -> Context:
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    ctx = Context()
    rclpy.init(context=ctx, domain_id=domain)
    return ctx


def _advertised_hash(node: Node, topic: str, publishers: bool = True) -> str:
    infos = (
        node.get_publishers_info_by_topic(topic)
        if publishers
        else node.get_subscriptions_info_by_topic(topic)
    )
    assert infos, f"no endpoint on {topic}"
    assert {i.topic_type for i in infos} == {"tf2_msgs/msg/TFMessage"}
    return str(infos[0].topic_type_hash)


# -- the type ---------------------------------------------------------------------------------


def test_tfmessage_type_hash_is_kilteds():
    """The hash rclpy/Fast DDS advertise for the built TFMessage (from its type support's
    get_type_hash) is Kilted's, and so is the one in the type description rosidl installed."""
    ctx = _context(ros_domain(1))
    try:
        node = Node("tf_hash_probe", context=ctx)
        node.create_publisher(TFMessage, "/tf", 10)
        assert _advertised_hash(node, "/tf") == KILTED_TFMESSAGE_HASH
        node.destroy_node()
    finally:
        rclpy.try_shutdown(context=ctx)

    try:
        share = Path(get_package_share_directory("tf2_msgs"))
    except (OSError, LookupError):  # the venv sets no AMENT_PREFIX_PATH; its prefix is ours
        share = Path(sys.prefix) / "share" / "tf2_msgs"
    description = json.loads((share / "msg" / "TFMessage.json").read_text())
    hashes = {h["type_name"]: h["hash_string"] for h in description["type_hashes"]}
    assert hashes["tf2_msgs/msg/TFMessage"] == KILTED_TFMESSAGE_HASH


def test_kilted_hash_from_rosbags_type_store():
    """An independent computation: rosbags hashes TFMessage from its own copy of Kilted's
    message definitions (what a Kilted rosbag2 writes into metadata.yaml)."""
    from rosbags.typesys import Stores, get_typestore

    ts = get_typestore(Stores.ROS2_KILTED)
    assert ts.hash_rihs01("tf2_msgs/msg/TFMessage") == KILTED_TFMESSAGE_HASH


PUBLISHER = textwrap.dedent(
    """
    import sys, time
    import rclpy
    from rclpy.node import Node
    from tf2_msgs.msg import TFMessage
    from molingo_ros.ros.tf import root_transform, tf_message

    rclpy.init()
    node = Node("tf_test_publisher")
    pub = node.create_publisher(TFMessage, "/tf", 100)
    q = [0.5, -0.25, 0.78, 0.0, 0.0, 0.38268343236508984, 0.9238795325112867]
    end = time.monotonic() + float(sys.argv[1])
    i = 0
    while time.monotonic() < end and rclpy.ok():
        pub.publish(tf_message([root_transform(q, 100.0 + i, "world", "pelvis")]))
        i += 1
        time.sleep(0.05)
    node.destroy_node()
    rclpy.try_shutdown()
    """
)


def test_tfmessage_crosses_processes(tmp_path):
    """A TFMessage published on /tf by another process (its own rclpy, same domain, localhost
    discovery) arrives here, and the type hash it advertises over discovery is Kilted's."""
    domain = ros_domain(2)
    env = node_env(domain, tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, "60"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ctx = _context(domain)
    try:
        node = Node("tf_test_listener", context=ctx)
        received: list[TFMessage] = []
        node.create_subscription(TFMessage, "/tf", received.append, 100)
        executor = SingleThreadedExecutor(context=ctx)
        executor.add_node(node)
        end = time.monotonic() + 30.0
        while len(received) < 3 and time.monotonic() < end and child.poll() is None:
            executor.spin_once(timeout_sec=0.1)
        assert len(received) >= 3, f"received {len(received)} TFMessages; child rc {child.poll()}"
        assert _advertised_hash(node, "/tf") == KILTED_TFMESSAGE_HASH
        tf = received[0].transforms[0]
        assert (tf.header.frame_id, tf.child_frame_id) == ("world", "pelvis")
        assert from_time(tf.header.stamp) >= 100.0
        t, r = tf.transform.translation, tf.transform.rotation
        assert (t.x, t.y, t.z) == (0.5, -0.25, 0.78)
        assert (r.x, r.y) == (0.0, 0.0)
        assert (r.z, r.w) == pytest.approx((math.sin(math.pi / 8), math.cos(math.pi / 8)))
        executor.shutdown()
        node.destroy_node()
    finally:
        rclpy.try_shutdown(context=ctx)
        child.terminate()
        out, _ = child.communicate(timeout=30)
    assert "Traceback" not in out, out


# -- the builder ------------------------------------------------------------------------------


def _q(xyz, quat_xyzw, joints=(0.1, -0.2)) -> np.ndarray:
    return np.array([*xyz, *quat_xyzw, *joints], dtype=np.float64)


@pytest.mark.parametrize(
    "q",
    [
        _q((0.0, 0.0, 0.78), (0.0, 0.0, 0.0, 1.0)),
        # 90 deg about z, 1 m ahead
        _q((1.0, 0.0, 0.75), (0.0, 0.0, math.sqrt(0.5), math.sqrt(0.5))),
        # not normalised: normalised like root_pose
        _q((-2.5, 3.25, 0.9), (0.1, -0.2, 0.3, 2.0)),
        # zero quaternion: identity like root_pose
        _q((0.3, 0.2, 0.1), (0.0, 0.0, 0.0, 0.0)),
    ],
)
def test_root_transform_matches_root_pose(q):
    stamp = 1_765_000_123.456789
    tf = root_transform(q, stamp, "world", "pelvis")
    pose = root_pose(q, stamp, "world")
    assert isinstance(tf, TransformStamped)
    assert tf.header.frame_id == "world" and tf.child_frame_id == "pelvis"
    assert (tf.header.stamp.sec, tf.header.stamp.nanosec) == (
        pose.header.stamp.sec,
        pose.header.stamp.nanosec,
    )
    t, p = tf.transform.translation, pose.pose.position
    assert (t.x, t.y, t.z) == (p.x, p.y, p.z)
    r, o = tf.transform.rotation, pose.pose.orientation
    assert (r.x, r.y, r.z, r.w) == (o.x, o.y, o.z, o.w)
    assert math.isclose(math.hypot(r.x, r.y, r.z, r.w), 1.0, rel_tol=1e-12)


def test_root_transform_maps_root_frame_points_into_world():
    """TF semantics: the transform world -> pelvis takes a point given in pelvis coordinates
    to world coordinates (rotate by the root quaternion, then add the root position)."""
    yaw = math.pi / 2
    q = _q((1.0, 2.0, 0.75), (0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)))
    tf = root_transform(q, 5.0, "world", "pelvis")
    r, t = tf.transform.rotation, tf.transform.translation
    # rotate (1, 0, 0) (1 m ahead of the pelvis) by the quaternion
    x, y, z, w = r.x, r.y, r.z, r.w
    rot = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    world = rot @ np.array([1.0, 0.0, 0.0]) + np.array([t.x, t.y, t.z])
    np.testing.assert_allclose(world, [1.0, 3.0, 0.75], atol=1e-12)


def test_root_transform_rejects_bad_input():
    q = _q((0.0, 0.0, 0.8), (0.0, 0.0, 0.0, 1.0))
    for parent, child in (("", "pelvis"), ("world", ""), ("/world", "pelvis"), ("a", "a")):
        with pytest.raises(ValueError):
            root_transform(q, 0.0, parent, child)
    with pytest.raises(ValueError, match="7"):
        root_transform(q[:6], 0.0, "world", "pelvis")
    bad = q.copy()
    bad[2] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        root_transform(bad, 0.0, "world", "pelvis")


def test_tf_message_keeps_order_and_serializes():
    from rclpy.serialization import deserialize_message, serialize_message

    a = root_transform(_q((0, 0, 0.8), (0, 0, 0, 1)), 1.0, "world", "pelvis")
    b = root_transform(_q((1, 0, 0.8), (0, 0, 0, 1)), 1.0, "world", "skeleton")
    msg = tf_message(iter([a, b]))
    assert isinstance(msg, TFMessage)
    assert [t.child_frame_id for t in msg.transforms] == ["pelvis", "skeleton"]
    back = deserialize_message(serialize_message(msg), TFMessage)
    assert back == msg
    assert tf_message([]).transforms == []
