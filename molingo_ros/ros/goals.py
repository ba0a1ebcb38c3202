"""The node's ``~/generate`` action (molingo_ros/action/GenerateMotion): goals in, feedback
while the motion streams, a result at the end, cancel = hold.

Every goal request gets an answer. Goals are counted when they are accepted (not when they
start executing), at most :meth:`GoalServer.limit` at once, each holding an executor thread
while it runs; above the limit a goal is rejected at once with its reason on ``~/status``. The
action's services keep :data:`ACTION_REQUEST_DEPTH` requests, so a burst is not cut inside DDS
before the node sees it.

A goal whose non-empty command id belongs to a goal still accepted and unfinished is refused:
a client that got no answer (Fast DDS can lose it while the client is new,
:mod:`molingo_ros.ros.goal_client`) sends its command again, and a copy is never run twice.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import rclpy
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup

from molingo_ros.action import GenerateMotion
from molingo_ros.ros.qos import reliable
from molingo_ros.runtime.commands import CommandError

if TYPE_CHECKING:
    from molingo_ros.ros.node import MolingoNode

ACTION_REQUEST_DEPTH = 1000
"""Requests each action service (goal, cancel, result) keeps until the node takes them. With
the ROS default (10), a burst of goals loses requests inside DDS and their clients wait for an
answer forever; every request kept gets one (accepted, or rejected with the reason on
``~/status``)."""


def requested_s(msg) -> float:
    """The whole length a MotionCommand asks for (s), 0 when it leaves it to the command's
    words (its parts' durations, else the default per part)."""
    return float(msg.duration_s) if msg.duration_s > 0 else 0.0


class GoalServer:
    """The action server of ``node`` on ``name`` (see the module docstring)."""

    def __init__(self, node: MolingoNode, name: str) -> None:
        self.node = node
        self.accepted = 0  # goals accepted and not finished (each holds an executor thread)
        self._running_ids: set[str] = set()  # their non-empty command ids
        self._lock = threading.Lock()
        deep = reliable(ACTION_REQUEST_DEPTH)
        self.server = ActionServer(
            node,
            GenerateMotion,
            name,
            execute_callback=self._execute,
            goal_callback=self._on_goal,
            cancel_callback=lambda _goal: CancelResponse.ACCEPT,
            callback_group=ReentrantCallbackGroup(),
            goal_service_qos_profile=deep,
            result_service_qos_profile=deep,
            cancel_service_qos_profile=deep,
        )

    def limit(self) -> int:
        """Goals that may be accepted and unfinished at once: ``commands.max_queue + 2``."""
        return self.node.cfg.limits.max_queue + 2

    def _on_goal(self, goal_request) -> GoalResponse:
        """Accept a goal while the node is active, below the limit (counted here, so a burst
        cannot take every executor thread and starve the goal service) and not a copy of a
        goal still running (the same non-empty command id: a client resending it)."""
        node = self.node
        cid = str(goal_request.command.id)[:256]
        with self._lock:
            active, goals, copy = node.active, self.accepted, bool(cid) and cid in self._running_ids
            accept = active and goals < self.limit() and not copy
            if accept:
                self.accepted += 1
                if cid:
                    self._running_ids.add(cid)
        if accept:
            return GoalResponse.ACCEPT
        if not active:
            node.report_error(f"goal rejected: {node.get_name()} is not active", cid)
        elif copy:
            node.report_error(
                f"goal rejected: a goal with command id {cid!r} is accepted and unfinished "
                "(a resent copy is not run twice)",
                cid,
            )
        else:
            node.report_error(
                f"goal rejected: {goals} goals are accepted and unfinished (limit "
                f"commands.max_queue + 2 = {self.limit()}); wait for one to finish",
                cid,
            )
        return GoalResponse.REJECT

    def _release(self, goal_handle) -> None:
        """The goal ended: its slot and its command id are free."""
        with self._lock:
            self.accepted -= 1
            self._running_ids.discard(str(goal_handle.request.command.id)[:256])

    def _execute(self, goal_handle):
        try:
            return self._execute_goal(goal_handle)
        finally:
            self._release(goal_handle)

    def _execute_goal(self, goal_handle):
        node = self.node
        result = GenerateMotion.Result()
        msg = goal_handle.request.command
        result.command_id = msg.id
        node.record_input(f"{node.cfg.action}/command", msg)
        try:
            command = node.command_from_msg(msg)
            plan, progress = node.submit_text(command, requested_s(msg))
        except (CommandError, ValueError) as exc:
            node.report_error(f"command rejected: {exc}", msg.id[:256], str(msg.text)[:200])
            result.success, result.error = False, str(exc)
            goal_handle.abort()
            return result
        result.command_id = command.id
        result.message = plan.message()
        if progress is None:  # a stop (done at once) or a refusal (nothing generated)
            result.success = plan.kind == "stop"
            result.error = "" if plan.kind == "stop" else plan.message()
            if result.success:
                goal_handle.succeed()
            else:
                goal_handle.abort()
            return result
        self._follow(goal_handle, progress)
        return self._finish(goal_handle, progress, result)

    def _follow(self, goal_handle, progress) -> None:
        """Feedback every 0.1 s until the command finishes or the client cancels (hold)."""
        feedback = GenerateMotion.Feedback()
        while not progress.finished.wait(0.1):
            if goal_handle.is_cancel_requested:
                self.node.hold("cancelled by the action client", progress.command.id)
                return
            if not rclpy.ok(context=self.node.context):  # the node's context shut down
                return
            feedback.frames_streamed = int(progress.frames_streamed)
            feedback.latency_s = float(progress.latency_s)
            feedback.realtime_factor = float(progress.realtime_factor)
            goal_handle.publish_feedback(feedback)

    @staticmethod
    def _finish(goal_handle, progress, result):
        result.frames = int(progress.frames_streamed)
        result.duration_s = float(progress.frames_streamed / progress.fps)
        if goal_handle.is_cancel_requested:
            progress.finish("cancelled", "cancelled by the action client")
            result.success, result.error = False, "cancelled"
            goal_handle.canceled()
        elif progress.state == "done":
            result.success = True
            goal_handle.succeed()
        else:
            result.success = False
            result.error = progress.error or progress.state
            goal_handle.abort()
        return result


__all__ = ["ACTION_REQUEST_DEPTH", "GoalServer", "requested_s"]
