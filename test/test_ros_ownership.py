"""One owner per robot (molingo_ros.ros.ownership), on the real ROS graph (rclpy, Fast DDS, a
private ROS domain): the other publishers on a robot's topics, the claims of two molingo
nodes (the earlier wins, the later must yield), a writer that claims nothing."""

from __future__ import annotations

import itertools
import time

import pytest
from ros_helpers import Probe, domain, wait
from std_msgs.msg import String

from molingo_ros.ros.ownership import (
    CLAIMS_NAMESPACE,
    OwnershipClaim,
    describe,
    must_yield,
    must_yield_settled,
    other_publishers,
    wait_for_discovery,
)

pytestmark = pytest.mark.ros

_RUN = itertools.count()


class Driver:
    """A node with publishers on a robot's topics ``(trajectory, joint command)``, as a
    molingo node's outputs, and (with ``claim``) its claim on the robot."""

    def __init__(self, name: str, topics: tuple[str, str], *, claim: bool = True) -> None:
        self.probe = Probe(domain(41), name)
        self.node = self.probe.node
        self.topics = topics
        self.pubs = [self.node.create_publisher(String, t, 10) for t in topics]
        self.claim = OwnershipClaim(self.node, topics[0]) if claim else None

    def sees(self, publishers: int, claims: int = 0) -> bool:
        """Whether the graph shows ``publishers`` on each topic, by node name (endpoints are
        discovered before their node's name: ``_NODE_NAME_UNKNOWN_`` until then), and
        ``claims`` other claims."""
        infos = [self.node.get_publishers_info_by_topic(t) for t in self.topics]
        named = all("UNKNOWN" not in i.node_name for found in infos for i in found)
        others = len(self.claim.others(self.node)) if self.claim is not None else 0
        return named and [len(i) for i in infos] == [publishers] * len(infos) and others == claims

    def close(self) -> None:
        self.probe.close()


@pytest.fixture
def robot():
    """``(make_driver, topics)`` for a robot of its own (topics no other test uses)."""
    n = next(_RUN)
    topics = (f"/own{n}/joint_trajectory", f"/own{n}/joint_command")
    made: list[Driver] = []

    def make(name: str, *, claim: bool = True) -> Driver:
        made.append(Driver(name, topics, claim=claim))
        return made[-1]

    yield make, topics
    for d in reversed(made):
        d.close()


def test_alone_a_node_may_drive_the_robot(robot):
    make, topics = robot
    a = make("molingo_a")
    assert other_publishers(a.node, topics) == []
    assert a.claim.others(a.node) == [] and must_yield(a.node, topics, a.claim) == []
    assert a.claim.prefix.startswith(f"{CLAIMS_NAMESPACE}/r") and a.claim.prefix.endswith("/t")
    assert a.claim.publisher.topic_name == f"{a.claim.prefix}{a.claim.token}"


def test_of_two_claims_on_one_robot_the_earlier_wins(robot):
    make, (traj, cmd) = robot
    a = make("molingo_a")
    time.sleep(0.01)
    b = make("molingo_b")
    assert a.claim.token < b.claim.token and a.claim.prefix == b.claim.prefix
    wait(lambda: a.sees(2, claims=1) and b.sees(2, claims=1), 10, "both nodes and claims")
    assert a.claim.others(a.node) == [b.claim.token]
    assert b.claim.others(b.node) == [a.claim.token]
    assert sorted(other_publishers(a.node, a.topics)) == [f"/molingo_b on {t}" for t in (cmd, traj)]
    assert must_yield(a.node, a.topics, a.claim) == []  # earlier: keeps the robot
    assert sorted(must_yield(b.node, b.topics, b.claim)) == [
        f"/molingo_a on {t}" for t in (cmd, traj)
    ]
    # The earlier one leaves: the later one may take the robot.
    a.claim.destroy(a.node)
    for pub in a.pubs:
        a.node.destroy_publisher(pub)
    wait(lambda: b.sees(1, claims=0), 10, "the first node's endpoints to go")
    assert must_yield(b.node, b.topics, b.claim) == []


def test_a_writer_without_a_claim_blocks_even_the_earliest_claim(robot):
    make, (traj, cmd) = robot
    a = make("molingo_a")
    make("teleop", claim=False)
    wait(lambda: a.sees(2, claims=0), 10, "the teleop node's publishers")
    assert sorted(must_yield(a.node, a.topics, a.claim)) == [f"/teleop on {t}" for t in (cmd, traj)]


def test_a_claim_seen_after_its_publishers_is_waited_for(robot):
    """The race of two nodes started together: the later node's robot publishers are
    discovered before its claim. At that moment the earlier node sees an unclaimed writer
    (must_yield says yield, as the later node does to the earlier claim: both would refuse);
    the settled look, once the claim is seen, keeps the robot for the earlier node."""
    make, (traj, cmd) = robot
    a = make("molingo_a")
    b = make("molingo_b", claim=False)  # its claim not created (not discovered) yet
    wait(lambda: a.sees(2, claims=0), 10, "the second node's publishers")
    assert sorted(must_yield(a.node, a.topics, a.claim)) == [
        f"/molingo_b on {t}" for t in (cmd, traj)
    ]
    slept: list[float] = []

    def claim_then_wait(seconds: float) -> None:
        b.claim = OwnershipClaim(b.node, traj)  # later token: a keeps the robot
        slept.append(seconds)
        wait(lambda: a.sees(2, claims=1), 10, "the second node's claim")

    assert must_yield_settled(a.node, a.topics, a.claim, 0.5, sleep=claim_then_wait) == []
    assert slept == [0.5] and b.claim.token > a.claim.token
    assert must_yield_settled(b.node, b.topics, b.claim, 0.05) != []  # the later yields
    # A writer that never claims still blocks after the second look.
    c = make("teleop", claim=False)
    wait(lambda: a.sees(3, claims=1), 10, "the teleop node")
    assert sorted(must_yield_settled(a.node, a.topics, a.claim, 0.05)) == sorted(
        f"/{n} on {t}" for n in ("molingo_b", "teleop") for t in (traj, cmd)
    )
    assert c.claim is None


def test_endpoints_are_counted_not_matched_by_name(robot):
    """Two nodes of the same name (a node started twice): the other one is still found."""
    make, (traj, _) = robot
    a = make("molingo_node", claim=False)
    make("molingo_node", claim=False)
    wait(lambda: a.sees(2), 10, "the second node")
    assert other_publishers(a.node, [traj]) == [f"/molingo_node on {traj}"]
    assert other_publishers(a.node, [traj], own_per_topic=2) == []


def test_a_claim_is_per_robot_topic(robot):
    make, (traj, _) = robot
    a = make("molingo_a")
    other = Probe(domain(41), "molingo_other_robot")
    try:
        claim = OwnershipClaim(other.node, traj.replace("/own", "/another"))
        assert claim.prefix != a.claim.prefix
        wait(lambda: other.node.count_publishers(a.claim.publisher.topic_name), 10, "discovery")
        assert claim.others(other.node) == [] and a.claim.others(a.node) == []
    finally:
        other.close()


def test_describe_and_the_discovery_wait():
    found = [f"/n{i} on /t" for i in range(6)]
    assert describe(found[:2]) == "/n0 on /t, /n1 on /t"
    assert describe(found) == "/n0 on /t, /n1 on /t, /n2 on /t, /n3 on /t and 2 more"
    assert describe(found, limit=6) == ", ".join(found) and describe([]) == ""
    t0 = time.monotonic()
    wait_for_discovery(since_s=10.0, wait_s=0.3, clock=lambda: 10.1)  # 0.2 s left
    slept = time.monotonic() - t0
    assert 0.18 <= slept < 1.0
    t0 = time.monotonic()
    wait_for_discovery(since_s=10.0, wait_s=0.3, clock=lambda: 11.0)  # already past
    assert time.monotonic() - t0 < 0.05
