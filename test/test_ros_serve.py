"""molingo_ros.ros.serve: one molingo_node process serving several robots from one model, over
real Fast DDS (each robot its own namespace, commands, outputs and validation), and admission
refusal when the device cannot keep every stream in real time."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from ros_helpers import Probe, start_node, wait
from ros_helpers import domain as ros_domain
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory

from molingo_ros.msg import MotionStatus
from molingo_ros.robot.config import load_robot_config
from molingo_ros.ros.messages import from_time
from molingo_ros.ros.serve import robot_namespaces

RELIABLE = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
LATCHED = QoSProfile(
    depth=100, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL
)


def test_robot_namespaces_are_parsed_and_checked():
    assert robot_namespaces(["/left=g1", "right = h1", "/a/b/=t1"]) == [
        ("/left", "g1"),
        ("/right", "h1"),
        ("/a/b", "t1"),
    ]
    for bad, why in (("left", "NAMESPACE=ROBOT"), ("=g1", "NAMESPACE=ROBOT"), ("/x=", "ROBOT")):
        with pytest.raises(ValueError, match=why):
            robot_namespaces([bad])
    with pytest.raises(ValueError, match="namespace /left given twice"):
        robot_namespaces(["/left=g1", "left=h1"])


def _serve(tmp_path, offset, *params, robots):
    dom = ros_domain(offset)
    proc = start_node(tmp_path, dom, *params, node_args=("--robots", *robots))
    return dom, proc


def _stop(proc) -> None:
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=30) == 0


@pytest.mark.slow
def test_two_robots_from_one_process_stream_on_their_own_names(tmp_path):
    dom, proc = _serve(tmp_path, 51, robots=("/left=g1", "/right=h1"))
    probe = Probe(dom, "serve_probe")
    try:
        for ns in ("/left", "/right"):
            probe.collect(
                JointTrajectory, f"{ns}/joint_trajectory_controller/joint_trajectory", RELIABLE
            )
            probe.collect(MotionStatus, f"{ns}/molingo_node/status", LATCHED)
        pubs = {
            ns: probe.node.create_publisher(String, f"{ns}/molingo_node/command", RELIABLE)
            for ns in ("/left", "/right")
        }

        def active(ns):
            return any(m.state == "idle" for m in probe.messages(f"{ns}/molingo_node/status")) and (
                pubs[ns].get_subscription_count() > 0
            )

        wait(lambda: active("/left") and active("/right"), 120, "both robots ready")
        pubs["/left"].publish(String(data="walk forward for 3 seconds"))
        left_topic = "/left/joint_trajectory_controller/joint_trajectory"
        right_topic = "/right/joint_trajectory_controller/joint_trajectory"
        wait(lambda: probe.messages(left_topic), 30, "the left robot's first trajectory")
        pubs["/right"].publish(String(data="wave with your right hand for 2 seconds"))
        wait(lambda: probe.messages(right_topic), 30, "the right robot's first trajectory")
        wait(lambda: len(probe.messages(left_topic)) >= 3, 30, "the left robot streaming on")
        for ns, topic, robot in (("/left", left_topic, "g1"), ("/right", right_topic, "h1")):
            loaded = load_robot_config(robot).robot
            msgs = probe.messages(topic)
            assert all(list(m.joint_names) == list(loaded.joint_names) for m in msgs), ns
            q = np.array([p.positions for m in msgs for p in m.points])
            lo, hi = loaded.lower, loaded.upper
            assert ((q >= lo - 1e-6) & (q <= hi + 1e-6)).all(), ns  # every point validated
            states = [m.state for m in probe.messages(f"{ns}/molingo_node/status")]
            assert "streaming" in states and "error" not in states, (ns, states)
        # Different commands at different times: the right robot began after the left one.
        first = {t: from_time(probe.messages(t)[0].header.stamp) for t in (left_topic, right_topic)}
        assert first[right_topic] > first[left_topic]
    finally:
        _stop(proc)
        probe.close()
    log = next(tmp_path.glob("node_*.log")).read_text()
    assert "configured: robot g1" in log and "configured: robot h1" in log


@pytest.mark.slow
def test_a_robot_the_device_cannot_keep_in_real_time_is_refused(tmp_path):
    # A margin no device meets: the robot is refused at configure with the reason, and the
    # process stays up, the node unconfigured.
    dom, proc = _serve(tmp_path, 53, "serving.realtime_margin:=100.0", robots=("/only=g1",))
    probe = Probe(dom, "refusal_probe")
    try:
        probe.collect(MotionStatus, "/only/molingo_node/status", LATCHED)
        wait(
            lambda: any(m.state == "error" for m in probe.messages("/only/molingo_node/status")),
            120,
            "the refusal",
        )
        error = next(
            m.error for m in probe.messages("/only/molingo_node/status") if m.state == "error"
        )
        assert (
            "configure refused: the device cannot serve /only/molingo_node at 100x real time"
            in error
        )
        assert "serving.realtime_margin" in error
        assert proc.poll() is None  # still up
    finally:
        _stop(proc)
        probe.close()


@pytest.mark.slow
def test_a_signal_while_the_robots_configure_ends_the_process_cleanly(tmp_path):
    dom, proc = _serve(tmp_path, 55, robots=("/a=g1", "/b=g1"))
    probe = Probe(dom, "signal_probe")
    try:
        probe.collect(MotionStatus, "/a/molingo_node/status", LATCHED)
        # "idle" comes from the node's constructor, before configure (model load, warm-up).
        wait(lambda: probe.messages("/a/molingo_node/status"), 60, "the node's first status")
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        probe.close()
