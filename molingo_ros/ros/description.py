"""Where the node's robot model comes from: the robot YAML's model file, the
``robot_description.urdf`` parameter, or the latched ``robot_description`` topic that
robot_state_publisher publishes (waited for at configure)."""

from __future__ import annotations

from rclpy.node import Node
from std_msgs.msg import String

from molingo_ros.ros import params as P
from molingo_ros.ros.qos import latched


def robot_description(node: Node, cfg: P.NodeConfig) -> str:
    """The URDF to build the robot from ("" = the robot YAML's model file), as
    ``robot_description.source`` says. The topic is read with its own wait (the node need not
    spin yet), for at most ``robot_description.timeout_s``.

    Raises:
        ValueError: the parameter is empty, or the topic gave nothing in time.
    """
    if cfg.description_source == "file":
        return ""
    if cfg.description_source == "parameter":
        if not cfg.description_urdf.strip():
            raise ValueError(
                "robot_description.source is parameter but robot_description.urdf is empty"
            )
        return cfg.description_urdf
    from rclpy.wait_for_message import wait_for_message

    topic = cfg.topics["robot_description"]
    ok, msg = wait_for_message(
        String, node, topic, qos_profile=latched(), time_to_wait=cfg.description_timeout_s
    )
    if not ok or not msg.data.strip():
        raise ValueError(
            f"no robot_description on {node.resolve_topic_name(topic)} within "
            f"{cfg.description_timeout_s:g} s (robot_description.timeout_s); is "
            "robot_state_publisher running in this namespace?"
        )
    return str(msg.data)


__all__ = ["robot_description"]
