"""The node's QoS profiles (molingo_ros.ros.qos): their settings, and what they mean on the
wire (real rclpy, Fast DDS, a private ROS domain): a latched topic reaches a late subscriber,
a volatile one does not."""

from __future__ import annotations

import pytest
from rclpy.qos import DurabilityPolicy, HistoryPolicy, ReliabilityPolicy
from ros_helpers import Probe, domain, wait
from std_msgs.msg import String

from molingo_ros.ros.qos import latched, reliable

pytestmark = pytest.mark.ros


def test_latched_is_reliable_transient_local_keep_last():
    one, five = latched(), latched(5)
    assert (one.depth, five.depth) == (1, 5)
    for qos in (one, five):
        assert qos.history == HistoryPolicy.KEEP_LAST
        assert qos.reliability == ReliabilityPolicy.RELIABLE
        assert qos.durability == DurabilityPolicy.TRANSIENT_LOCAL


def test_reliable_is_volatile_keep_last_of_the_given_depth():
    qos = reliable(1000)
    assert qos.depth == 1000 and qos.history == HistoryPolicy.KEEP_LAST
    assert qos.reliability == ReliabilityPolicy.RELIABLE
    assert qos.durability == DurabilityPolicy.VOLATILE


def test_a_late_subscriber_gets_the_latched_messages_only():
    sender, late = Probe(domain(40), "qos_sender"), Probe(domain(40), "qos_late")
    try:
        kept = sender.node.create_publisher(String, "/qos_test/latched", latched(2))
        gone = sender.node.create_publisher(String, "/qos_test/volatile", reliable(10))
        for i in range(3):
            kept.publish(String(data=f"latched {i}"))
            gone.publish(String(data=f"volatile {i}"))
        # Subscribed after everything was sent: only the transient local topic's last two.
        late.collect(String, "/qos_test/latched", latched(10))
        late.collect(String, "/qos_test/volatile", reliable(10))
        wait(lambda: len(late.messages("/qos_test/latched")) >= 2, 10, "the latched messages")
        wait(lambda: kept.get_subscription_count() and gone.get_subscription_count(), 10, "match")
        gone.publish(String(data="volatile after"))
        wait(lambda: late.messages("/qos_test/volatile"), 10, "the message sent after matching")
        assert [m.data for m in late.messages("/qos_test/latched")] == ["latched 1", "latched 2"]
        assert [m.data for m in late.messages("/qos_test/volatile")] == ["volatile after"]
    finally:
        late.close()
        sender.close()
