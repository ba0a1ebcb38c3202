"""The generated molingo_ros interfaces: import, defaults, CDR round trip, and a real
cross-process publish/subscribe over Fast DDS on localhost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.serialization import deserialize_message, serialize_message

from molingo_ros.action import GenerateMotion
from molingo_ros.msg import MotionCommand, MotionStatus

pytestmark = pytest.mark.ros

TIMEOUT_S = 20.0


def make_command() -> MotionCommand:
    msg = MotionCommand()
    msg.header.stamp.sec = 12
    msg.header.stamp.nanosec = 345
    msg.header.frame_id = "world"
    msg.text = "a person walks forward and waves — ünïcödé"
    msg.duration_s = 4.5
    msg.mode = MotionCommand.MODE_QUEUE
    msg.seed = 1234567890123
    msg.id = "cmd-42"
    return msg


def test_command_defaults_and_constants():
    msg = MotionCommand()
    assert MotionCommand.MODE_REPLACE == 0
    assert MotionCommand.MODE_QUEUE == 1
    assert msg.mode == MotionCommand.MODE_REPLACE
    assert msg.duration_s == 0.0  # 0 = the model decides
    assert msg.seed == -1  # -1 = random
    assert msg.text == "" and msg.id == ""


def test_command_round_trip():
    msg = make_command()
    data = serialize_message(msg)
    assert isinstance(data, bytes) and len(data) > 0
    back = deserialize_message(data, MotionCommand)
    assert back == msg


def test_status_round_trip():
    msg = MotionStatus()
    msg.header.frame_id = "base"
    msg.state = "streaming"
    msg.command_id = "cmd-1"
    msg.text = "jump"
    msg.error = ""
    msg.frames_published = 4_000_000_000  # uint32
    msg.realtime_factor = 2.5
    back = deserialize_message(serialize_message(msg), MotionStatus)
    assert back == msg


def test_action_types_round_trip():
    goal = GenerateMotion.Goal(command=make_command())
    result = GenerateMotion.Result(
        success=True, error="", frames=120, duration_s=4.0, command_id="cmd-42"
    )
    feedback = GenerateMotion.Feedback(frames_streamed=30, latency_s=0.25, realtime_factor=3.0)
    for msg in (goal, result, feedback):
        assert deserialize_message(serialize_message(msg), type(msg)) == msg
    # The service and message types that rclpy's ActionServer/ActionClient need.
    assert GenerateMotion.Impl.SendGoalService.Request().goal == GenerateMotion.Goal()
    assert GenerateMotion.Impl.GetResultService.Response().result == GenerateMotion.Result()
    assert GenerateMotion.Impl.FeedbackMessage().feedback == GenerateMotion.Feedback()


PUBLISHER = r"""
import sys, time
import rclpy
from molingo_ros.msg import MotionCommand

topic, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
rclpy.init()
node = rclpy.create_node("molingo_test_publisher")
pub = node.create_publisher(MotionCommand, topic, 10)
msg = MotionCommand()
msg.header.stamp.sec = 7
msg.header.frame_id = "world"
msg.text = "a person turns left"
msg.duration_s = 2.5
msg.mode = MotionCommand.MODE_QUEUE
msg.seed = 99
msg.id = "from-child"
try:
    # Publish until killed: the first messages may go out before discovery completes.
    while rclpy.ok() and time.monotonic() < deadline:
        pub.publish(msg)
        time.sleep(0.05)
except KeyboardInterrupt:
    pass
finally:
    node.destroy_node()
    rclpy.try_shutdown()
"""


def _domain_id() -> int:
    # A domain of its own (1..100), so parallel test runs and other ROS traffic don't mix.
    return 1 + (os.getpid() + int(time.time())) % 100


def test_command_pub_sub_across_processes(tmp_path):
    domain = _domain_id()
    topic = f"/molingo_test_{uuid.uuid4().hex[:12]}"
    env = dict(os.environ)
    env.update(
        ROS_DOMAIN_ID=str(domain),
        ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
        ROS_LOG_DIR=str(tmp_path / "ros_log"),
    )
    # rcl reads these when the context is initialised; restored afterwards.
    saved = {k: os.environ.get(k) for k in ("ROS_DOMAIN_ID", "ROS_AUTOMATIC_DISCOVERY_RANGE")}
    os.environ["ROS_DOMAIN_ID"] = str(domain)
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"

    child = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, topic, str(TIMEOUT_S + 5)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    context = rclpy.Context()
    received: list[MotionCommand] = []
    try:
        rclpy.init(context=context, domain_id=domain)
        node = rclpy.create_node("molingo_test_subscriber", context=context)
        node.create_subscription(MotionCommand, topic, received.append, 10)
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)
        deadline = time.monotonic() + TIMEOUT_S
        while not received and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.1)
            if child.poll() is not None:
                break
        executor.shutdown()
        node.destroy_node()
    finally:
        rclpy.try_shutdown(context=context)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=5)
        output = child.stdout.read().decode(errors="replace") if child.stdout else ""
        if child.stdout:
            child.stdout.close()

    assert received, f"no MotionCommand within {TIMEOUT_S} s; publisher output:\n{output}"
    msg = received[0]
    assert msg.header.stamp.sec == 7
    assert msg.header.frame_id == "world"
    assert msg.text == "a person turns left"
    assert msg.duration_s == pytest.approx(2.5)
    assert msg.mode == MotionCommand.MODE_QUEUE
    assert msg.seed == 99
    assert msg.id == "from-child"
