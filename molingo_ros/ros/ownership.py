"""One owner per robot: find the other publishers on the topics that drive a robot.

A robot's command topics (the JointTrajectory of ros2_control's joint_trajectory_controller,
Isaac Sim's JointState command) must have one writer. Two nodes that both publish there (two
``molingo_node`` started with the same command line, or a teleop node left running) send
alternating goals: consecutive commanded states milliseconds apart and far apart in position.
:func:`other_publishers` lists the writers on those topics that are not this node's own, from
the ROS graph (what DDS discovery has seen so far). No message is exchanged.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable

from rclpy.node import Node
from std_msgs.msg import String

CLAIMS_NAMESPACE = "/molingo_claims"


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


class OwnershipClaim:
    """This node's claim on a robot, visible to other nodes in the ROS graph: a publisher
    (nothing is ever sent) on ``/molingo_claims/r<hash of the robot topic>/t<token>``, the
    token being the creation time (ns) and the process id. Two molingo nodes started together
    for one robot both see both claims after the discovery wait; the earlier claim wins, so
    exactly one of them activates. Created with the robot outputs, destroyed with them."""

    def __init__(self, node: Node, robot_topic: str) -> None:
        digest = hashlib.sha1(node.resolve_topic_name(robot_topic).encode()).hexdigest()[:12]
        self.prefix = f"{CLAIMS_NAMESPACE}/r{digest}/t"
        self.token = time.time_ns() * 10**7 + os.getpid() % 10**7
        self.publisher = node.create_publisher(String, f"{self.prefix}{self.token}", 1)

    def others(self, node: Node) -> list[int]:
        """The tokens of the other nodes' claims on the same robot (what discovery has seen)."""
        tokens = []
        for name, _ in node.get_topic_names_and_types():
            tail = name[len(self.prefix) :] if name.startswith(self.prefix) else ""
            if tail.isdigit() and int(tail) != self.token and node.count_publishers(name):
                tokens.append(int(tail))
        return tokens

    def destroy(self, node: Node) -> None:
        node.destroy_publisher(self.publisher)


def must_yield(node: Node, topics: Iterable[str], claim: OwnershipClaim) -> list[str]:
    """The other writers this node must leave the robot to (empty: it may drive it): any
    publisher on ``topics`` that is not a claiming molingo node (more publishers than claims:
    a teleop node, a controller's own writer), or a molingo node whose claim is earlier.
    Described as :func:`other_publishers` does."""
    topics = list(topics)
    found = other_publishers(node, topics)
    if not found:
        return []
    claims = claim.others(node)
    foreign = any(
        node.count_publishers(node.resolve_topic_name(t)) - 1 > len(claims) for t in topics
    )
    earlier = any(token < claim.token for token in claims)
    return found if foreign or earlier else []


def must_yield_settled(
    node: Node,
    topics: Iterable[str],
    claim: OwnershipClaim,
    settle_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """:func:`must_yield`, looked at again ``settle_s`` seconds later when the first look
    says yield: a node's endpoints are discovered one by one, so another molingo node's robot
    publishers can be seen before its claim, and it then looks like a writer without a claim.
    Two nodes started together would both yield (the later to the earlier claim, the earlier
    to the unclaimed writer). The second look sees the claim; a writer that claims nothing
    (teleop) still blocks. Costs ``settle_s`` only when the answer is yield."""
    topics = list(topics)
    found = must_yield(node, topics, claim)
    if found:
        sleep(settle_s)
        found = must_yield(node, topics, claim)
    return found


def describe(found: list[str], limit: int = 4) -> str:
    """A short human-readable list of :func:`other_publishers`' result."""
    text = ", ".join(found[:limit])
    return text + (f" and {len(found) - limit} more" if len(found) > limit else "")


__all__ = [
    "CLAIMS_NAMESPACE",
    "OwnershipClaim",
    "describe",
    "must_yield",
    "must_yield_settled",
    "other_publishers",
    "wait_for_discovery",
]
