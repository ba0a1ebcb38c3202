"""Where the node's robot model comes from (molingo_ros.ros.description): the robot YAML's file,
the robot_description.urdf parameter, or the latched robot_description topic in the node's
namespace (real rclpy, a private ROS domain), and the robot built from a URDF whose joints are
named differently (robot_description.joint_name_map)."""

from __future__ import annotations

import os
import time

import pytest
import rclpy
from rclpy.context import Context
from rclpy.node import Node
from ros_helpers import Probe, domain
from std_msgs.msg import String

from molingo_ros.robot.config import load_robot_config, read_urdf_joint_names, rename_urdf_joints
from molingo_ros.robot.registry import G1_URDF_SOURCE, resolve_model_path
from molingo_ros.ros import params as P
from molingo_ros.ros.description import robot_description
from molingo_ros.ros.qos import latched

pytestmark = pytest.mark.ros


def _cfg(**values) -> P.NodeConfig:
    """The node's settings: the defaults, with ``values`` (parameter name -> value)."""
    return P.config_from(lambda name: values.get(name, P.PARAMETERS[name][0]))


@pytest.fixture(scope="module")
def g1_urdf() -> str:
    return resolve_model_path(G1_URDF_SOURCE).read_text()


@pytest.fixture
def reader():
    """A node in /robot2, not spun (robot_description waits on its own)."""
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    ctx = Context()
    rclpy.init(context=ctx, domain_id=domain(42))
    node = Node("molingo_node", namespace="/robot2", context=ctx)
    try:
        yield node
    finally:
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)


def test_file_and_parameter_sources(reader, g1_urdf):
    assert robot_description(reader, _cfg()) == ""  # the default: the robot YAML's file
    cfg = _cfg(**{"robot_description.source": "parameter", "robot_description.urdf": g1_urdf})
    assert robot_description(reader, cfg) == g1_urdf
    empty = _cfg(**{"robot_description.source": "parameter", "robot_description.urdf": "  \n"})
    with pytest.raises(ValueError, match="robot_description.urdf is empty"):
        robot_description(reader, empty)


def test_the_topic_in_the_nodes_namespace_with_renamed_joints(reader, g1_urdf):
    """robot_state_publisher in /robot2 latches a URDF whose joints lack the `_joint` suffix;
    the node reads it at configure and builds the G1 with joint_name_map auto."""
    names = read_urdf_joint_names(g1_urdf)
    renamed = rename_urdf_joints(g1_urdf, {n: n.removesuffix("_joint") for n in names})
    publisher = Probe(domain(42), "robot_state_publisher")
    try:
        pub = publisher.node.create_publisher(String, "/robot2/robot_description", latched())
        pub.publish(String(data=renamed))  # before the node looks: latched, it still gets it
        cfg = _cfg(
            **{
                "robot_description.source": "topic",
                "robot_description.timeout_s": 10.0,
                "robot_description.joint_name_map": "auto",
            }
        )
        urdf = robot_description(reader, cfg)
    finally:
        publisher.close()
    assert urdf == renamed
    robot = load_robot_config("g1", urdf_xml=urdf, joint_name_map=cfg.joint_name_map)
    assert robot.urdf_joint_names == [n.removesuffix("_joint") for n in names]
    assert list(robot.robot.joint_names) == names  # the engine runs on the YAML's names


def test_no_description_on_the_topic_in_time(reader):
    cfg = _cfg(**{"robot_description.source": "topic", "robot_description.timeout_s": 0.3})
    t0 = time.monotonic()
    with pytest.raises(ValueError) as exc:
        robot_description(reader, cfg)
    assert time.monotonic() - t0 < 5.0
    assert str(exc.value).startswith(
        "no robot_description on /robot2/robot_description within 0.3 s"
    )
    assert "robot_state_publisher" in str(exc.value)
