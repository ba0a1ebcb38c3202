"""One owner per robot: find the other publishers on the topics that drive a robot.

A robot's command topics (the JointTrajectory of ros2_control's joint_trajectory_controller,
Isaac Sim's JointState command) must have one writer. Two nodes that both publish there (two
``molingo_node`` started with the same command line, or a teleop node left running) send
alternating goals: consecutive commanded states milliseconds apart and far apart in position.
:func:`other_publishers` lists the writers on those topics that are not this node's own, from
the ROS graph (what DDS discovery has seen so far). No message is exchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from rclpy.node import Node


def other_publishers(node: Node, topics: Iterable[str], own_per_topic: int = 1) -> list[str]:
    """The publishers on ``topics`` beyond this node's own ``own_per_topic`` on each, as
    ``"/ns/node on /topic"`` strings (empty: this node is the only writer).

    Nodes may share a name (that is one of the faults this guards against), so endpoints are
    counted, not matched by node name: a topic with more than ``own_per_topic`` publishers has
    others. The names listed are those of the topic's publishers other than one of this node's.
    """
    found: list[str] = []
    me = (node.get_name(), node.get_namespace())
    for topic in topics:
        name = node.resolve_topic_name(topic)
        infos = node.get_publishers_info_by_topic(name)
        if len(infos) <= own_per_topic:
            continue
        skipped = 0
        for info in infos:
            who = (info.node_name, info.node_namespace)
            if who == me and skipped < own_per_topic:
                skipped += 1
                continue
            ns = info.node_namespace.rstrip("/")
            found.append(f"{ns}/{info.node_name} on {name}")
    return found


def wait_for_discovery(since_s: float, wait_s: float, clock: Callable[[], float]) -> None:
    """Sleep until ``wait_s`` seconds have passed since ``since_s`` (both on ``clock``, a
    monotonic clock in seconds): DDS discovery of a publisher created at about the same time
    elsewhere takes that long. With two nodes whose outputs appear at t1 and t2, at least one
    of them sees the other when each looks ``wait_s`` after its own (if ``wait_s`` exceeds the
    discovery time), so two nodes started together never both take the robot."""
    left = since_s + wait_s - clock()
    if left > 0:
        time.sleep(left)


def describe(found: list[str], limit: int = 4) -> str:
    """A short human-readable list of :func:`other_publishers`' result."""
    text = ", ".join(found[:limit])
    return text + (f" and {len(found) - limit} more" if len(found) > limit else "")


__all__ = ["describe", "other_publishers", "wait_for_discovery"]
