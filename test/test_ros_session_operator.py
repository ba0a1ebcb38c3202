"""The session's operator: its commands as MotionCommands (ids, seeds, modes, stamps), their
summary entries from real GenerateMotion results and feedback, and a scripted session played
over real DDS against a GenerateMotion action server in another rclpy context (same ROS
domain), which answers like molingo_node: feedback, then success or a refusal."""

from __future__ import annotations

import threading
import time

import pytest
import rclpy
from rclpy.action import ActionServer
from rclpy.context import Context
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from ros_helpers import domain, wait

from molingo_ros.action import GenerateMotion
from molingo_ros.msg import MotionCommand
from molingo_ros.ros.session_operator import (
    OperatorClient,
    command_result,
    motion_command,
    play,
)

pytestmark = pytest.mark.ros


def test_the_commands_are_numbered_seeded_and_stamped():
    cmd = motion_command("a person bows", 2, "queue", 3, 1_700_000_000_123_456_789)
    assert (cmd.text, cmd.duration_s, cmd.id, cmd.seed) == ("a person bows", 2.0, "cmd3", 3)
    assert cmd.mode == MotionCommand.MODE_QUEUE
    assert (cmd.header.stamp.sec, cmd.header.stamp.nanosec) == (1_700_000_000, 123_456_789)
    assert motion_command("walk", 1.0, "replace", 0, 0).mode == MotionCommand.MODE_REPLACE
    assert motion_command("walk", 1.0, "other", 0, 0).mode == MotionCommand.MODE_REPLACE


def _feedback(latency_s: float, rtf: float):
    fb = GenerateMotion.Feedback(frames_streamed=5, latency_s=latency_s, realtime_factor=rtf)
    return GenerateMotion.Impl.FeedbackMessage(feedback=fb)


def test_a_result_keeps_the_largest_latency_and_realtime_factor():
    res = GenerateMotion.Result(success=False, error="replaced by cmd1", frames=40)
    fbs = [_feedback(0.0, 0.0), _feedback(0.4321, 11.26), _feedback(0.4321, 9.0)]
    entry = command_result("walk", "replace", 2.5, res, fbs)
    assert entry == {
        "text": "walk",
        "mode": "replace",
        "sent_at_s": 2.5,
        "success": False,
        "error": "replaced by cmd1",
        "frames": 40,
        "latency_s": pytest.approx(0.432),
        "realtime_factor": pytest.approx(11.3),
    }
    none = command_result("bow", "queue", 0.0, GenerateMotion.Result(success=True), [])
    assert none["latency_s"] == 0.0 and none["realtime_factor"] == 0.0 and none["success"]


class FakeMolingoServer:
    """A GenerateMotion server in its own context: feedback (latency 0.25 s, 10x real time),
    then success with 30 frames per second asked for, or a refusal for "open the door"."""

    def __init__(self, domain_id: int) -> None:
        self.ctx = Context()
        rclpy.init(context=self.ctx, domain_id=domain_id)
        self.node = Node("fake_molingo_node", context=self.ctx)
        self.goals: list[tuple[float, MotionCommand]] = []
        self.server = ActionServer(
            self.node, GenerateMotion, "/molingo_node/generate", self._execute
        )
        self.executor = MultiThreadedExecutor(context=self.ctx)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def _execute(self, handle):
        cmd = handle.request.command
        self.goals.append((time.monotonic(), cmd))
        if "door" in cmd.text:
            handle.abort()
            return GenerateMotion.Result(success=False, error="I can't do 'open the door'")
        handle.publish_feedback(
            GenerateMotion.Feedback(frames_streamed=1, latency_s=0.25, realtime_factor=10.0)
        )
        time.sleep(0.3)  # the feedback arrives before the result, as while streaming
        handle.succeed()
        frames = round(cmd.duration_s * 30)
        return GenerateMotion.Result(success=True, frames=frames, command_id=cmd.id)

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.ctx)


def test_a_scripted_session_is_sent_on_time_and_collected_in_order():
    dom = domain(6)
    server = FakeMolingoServer(dom)
    client = OperatorClient(dom)
    said: list[str] = []
    try:
        wait(client.server_ready, 20, "the action server")
        commands = (
            (0.0, "a person walks", 1.0, "replace"),
            (0.5, "open the door", 2.0, "queue"),
            (0.6, "a person bows", 1.5, "queue"),
        )
        t0 = time.monotonic()
        results = play(client, commands, said.append)
    finally:
        client.close()
        server.close()
    assert [r["text"] for r in results] == [c[1] for c in commands]
    assert [r["sent_at_s"] for r in results] == [0.0, 0.5, 0.6]
    assert [r["success"] for r in results] == [True, False, True]
    assert [r["frames"] for r in results] == [30, 0, 45]
    assert results[1]["error"] == "I can't do 'open the door'"
    assert results[0]["latency_s"] == 0.25 and results[0]["realtime_factor"] == 10.0
    assert results[1]["latency_s"] == 0.0
    got = sorted(server.goals, key=lambda g: g[1].seed)
    assert [(c.id, c.seed, c.mode) for _, c in got] == [
        ("cmd0", 0, 0),
        ("cmd1", 1, 1),
        ("cmd2", 2, 1),
    ]
    assert got[1][0] - t0 >= 0.5 - 0.01  # not sent before its time
    assert abs(got[0][1].header.stamp.sec - time.time()) < 60  # stamped with the ROS clock
    assert said[0].startswith("t= 0.0 s  send (replace): 'a person walks' for 1 s")
    assert said[3:] == [
        "done      'a person walks': 30 frames",
        "stopped   'open the door': 0 frames (I can't do 'open the door')",
        "done      'a person bows': 45 frames",
    ]
