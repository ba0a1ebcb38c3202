"""The operator's side of a ``molingo session``: a GenerateMotion action client in its own rclpy
context, which sends a scripted list of commands at their times and collects what each one
returned (success, frames, the latency to its first chunk, the real-time factor)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

SessionCommand = tuple[float, str, float, str]
"""(seconds after the session's start, text, duration s, mode "replace" or "queue")."""

ACTION = "/molingo_node/generate"


def motion_command(text: str, duration_s: float, mode: str, index: int, stamp_ns: int) -> Any:
    """The ``index``-th command of a session as a molingo_ros/MotionCommand: id ``cmd<index>``,
    seed ``index``, queued when ``mode`` is "queue" (else it replaces), stamped ``stamp_ns``
    (ROS time, ns)."""
    from molingo_ros.msg import MotionCommand

    cmd = MotionCommand()
    cmd.text, cmd.duration_s = text, float(duration_s)
    cmd.mode = MotionCommand.MODE_QUEUE if mode == "queue" else MotionCommand.MODE_REPLACE
    cmd.id = f"cmd{index}"
    cmd.seed = index
    cmd.header.stamp.sec, cmd.header.stamp.nanosec = stamp_ns // 10**9, stamp_ns % 10**9
    return cmd


def command_result(
    text: str, mode: str, sent_at_s: float, result: Any, feedback: Sequence[Any]
) -> dict:
    """One command's entry in the session summary: ``result`` is the GenerateMotion result,
    ``feedback`` its feedback messages; latency (s) and real-time factor are their maxima."""
    lat = max((f.feedback.latency_s for f in feedback), default=0.0)
    rtf = max((f.feedback.realtime_factor for f in feedback), default=0.0)
    return {
        "text": text,
        "mode": mode,
        "sent_at_s": sent_at_s,
        "success": result.success,
        "error": result.error,
        "frames": result.frames,
        "latency_s": round(lat, 3),
        "realtime_factor": round(rtf, 1),
    }


@dataclass
class SentGoal:
    """A goal sent to the node: its command, the node's answer (a
    :class:`~molingo_ros.ros.goal_client.ResentGoal`, sent again when lost) and the feedback
    messages received so far."""

    text: str
    mode: str
    sent_at_s: float
    answer: Any
    feedback: list = field(default_factory=list)


class OperatorClient:
    """A GenerateMotion client (node ``molingo_session``) in its own rclpy context in ROS domain
    ``domain``, spun in a daemon thread."""

    def __init__(self, domain: int, action: str = ACTION) -> None:
        import rclpy
        from rclpy.context import Context
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.node import Node

        from molingo_ros.action import GenerateMotion
        from molingo_ros.ros.goal_client import GoalClient

        self._goal_type, self._result_type = GenerateMotion.Goal, GenerateMotion.Result
        os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
        self._ctx = Context()
        rclpy.init(context=self._ctx, domain_id=domain)
        self._node = Node("molingo_session", context=self._ctx)
        self._goals = GoalClient(self._node, action)
        self._executor = SingleThreadedExecutor(context=self._ctx)
        self._executor.add_node(self._node)
        threading.Thread(target=self._executor.spin, daemon=True).start()

    def server_ready(self) -> bool:
        """Whether the node's action server is there."""
        return self._goals.action.server_is_ready()

    def send(self, text: str, duration_s: float, mode: str, index: int, at_s: float) -> SentGoal:
        """Send the ``index``-th command (planned ``at_s`` s after the start), stamped now."""
        cmd = motion_command(
            text, duration_s, mode, index, self._node.get_clock().now().nanoseconds
        )
        sent = SentGoal(text, mode, at_s, None)
        sent.answer = self._goals.send(
            self._goal_type(command=cmd), feedback_callback=sent.feedback.append
        )
        return sent

    def wait_result(self, sent: SentGoal) -> Any:
        """Block until the goal is answered and finished; its GenerateMotion result."""
        handle = None
        while handle is None:
            handle = sent.answer.wait(60.0)
        if not handle.accepted:
            return self._result_type(
                success=False, error="the goal was rejected (the reason is on the node's status)"
            )
        res_future = handle.get_result_async()
        while not res_future.done():
            time.sleep(0.02)
        return res_future.result().result

    def close(self) -> None:
        """Stop spinning, destroy the node and shut the context down."""
        import rclpy

        self._executor.shutdown(timeout_sec=1.0)
        self._goals.destroy()
        self._node.destroy_node()
        rclpy.try_shutdown(context=self._ctx)


def play(
    client: OperatorClient, commands: Sequence[SessionCommand], say: Callable[[str], None]
) -> list[dict]:
    """Send ``commands`` at their times (s after now), then wait for each in turn; their
    summary entries (:func:`command_result`), in the order sent."""
    t0 = time.monotonic()
    sent: list[SentGoal] = []
    for at, text, duration, mode in commands:
        while time.monotonic() - t0 < at:
            time.sleep(0.01)
        sent.append(client.send(text, duration, mode, len(sent), at))
        say(f"t={time.monotonic() - t0:4.1f} s  send ({mode}): {text!r} for {duration:g} s")
    results = []
    for goal in sent:
        res = client.wait_result(goal)
        results.append(command_result(goal.text, goal.mode, goal.sent_at_s, res, goal.feedback))
        say(
            f"{'done     ' if res.success else 'stopped  '} {goal.text!r}: {res.frames} frames"
            + (f" ({res.error})" if res.error else "")
        )
    return results
