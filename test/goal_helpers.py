"""The action server of molingo_node (molingo_ros.ros.goals) on a small host node, for the
tests of the server and of its client (molingo_ros.ros.goal_client): a private ROS domain, an
action client in another context.

The host offers what the action server uses of molingo_node (its settings, activity, error
reports, command checking and submission, the hold); the commands' progress records are real,
and the tests move them on."""

from __future__ import annotations

import os
import threading

import rclpy
from rclpy.context import Context
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from ros_helpers import Probe, domain, wait

from molingo_ros.action import GenerateMotion
from molingo_ros.language.interpret import MotionPlan, PlannedSegment
from molingo_ros.msg import MotionCommand
from molingo_ros.ros import params as P
from molingo_ros.ros.goal_client import GoalClient
from molingo_ros.ros.goals import GoalServer
from molingo_ros.runtime.commands import Command, check_command
from molingo_ros.runtime.progress import CommandProgress

ACTION = "/molingo_node/generate"


class Host(Node):
    """What GoalServer uses of molingo_node. A text "stop" is a stop, "dance on the moon" is
    refused; any other text is a motion whose progress record the test drives."""

    def __init__(self, context: Context, max_queue: int) -> None:
        super().__init__("molingo_node", context=context)
        self.cfg = P.config_from(
            lambda n: max_queue if n == "commands.max_queue" else P.PARAMETERS[n][0]
        )
        self.active = True
        self.errors: list[tuple[str, str]] = []
        self.inputs: list[tuple[str, str]] = []
        self.holds: list[tuple[str, str | None]] = []
        self.progress: dict[str, CommandProgress] = {}
        self.lock = threading.Lock()

    def report_error(self, error: str, command_id: str = "", text: str = "", state="error"):
        with self.lock:
            self.errors.append((error, command_id))

    def record_input(self, topic: str, msg) -> None:
        with self.lock:
            self.inputs.append((topic, msg.id))

    def command_from_msg(self, msg: MotionCommand) -> Command:
        return check_command(
            msg.text, msg.duration_s, int(msg.mode), msg.seed, msg.id, 0.0, self.cfg.limits
        )

    def submit_text(self, command: Command, requested: float):
        if command.text == "stop":
            return MotionPlan(command.text, "stop", False, ()), None
        if command.text == "dance on the moon":
            plan = MotionPlan(command.text, "refused", False, (), notes=("not a skill",))
            return plan, None
        segment = PlannedSegment(command.text, command.duration_s, "walk", "normal", 1.0, "")
        progress = CommandProgress(
            command, fps=30.0, state="generating", frames_total=round(command.duration_s * 30)
        )
        with self.lock:
            self.progress[command.id] = progress
        return MotionPlan(command.text, "motion", False, (segment,)), progress

    def hold(self, reason: str, command_id: str | None = None) -> None:
        with self.lock:
            self.holds.append((reason, command_id))
        self.progress[command_id].finish("cancelled", reason)


class Fixture:
    """The host with its GoalServer (spun by a multi-threaded executor) and a client."""

    def __init__(self, max_queue: int, client: bool = True) -> None:
        os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
        self.ctx = Context()
        rclpy.init(context=self.ctx, domain_id=domain(44))
        self.host = Host(self.ctx, max_queue)
        self.server = GoalServer(self.host, "~/generate")
        self.executor = MultiThreadedExecutor(self.server.limit() + 3, context=self.ctx)
        self.executor.add_node(self.host)
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()
        self.feedback: dict[str, list[int]] = {}
        self.client: Probe | None = None
        if client:
            try:
                self.open_client()
            except BaseException:
                self.close()  # else its server lingers in the domain and answers the next test
                raise

    def open_client(self) -> None:
        """The Probe node with a GoalClient of the action, once the server is found."""
        self.client = Probe(domain(44), "goal_client")
        self.goals = GoalClient(self.client.node, ACTION)
        self.action = self.goals.action
        assert self.action.wait_for_server(timeout_sec=30), "no action server found in 30 s"

    def _spin(self) -> None:
        try:
            self.executor.spin()
        except Exception:  # noqa: BLE001 - ends with the context
            pass

    def send(self, cid: str, text: str = "a person walks", duration_s: float = 1.0):
        """Send a goal; returns its goal handle once answered (accepted or not)."""
        goal = GenerateMotion.Goal()
        goal.command.text, goal.command.duration_s, goal.command.id = text, duration_s, cid
        self.feedback[cid] = []

        def on_feedback(fb, store=self.feedback[cid]) -> None:
            store.append(fb.feedback.frames_streamed)

        sent = self.goals.send(goal, feedback_callback=on_feedback)
        handle = sent.wait(10)
        assert handle is not None, f"no answer to goal {cid} in 10 s ({sent.copies} sent)"
        return handle

    def result(self, handle):
        """(status, result) of an accepted goal, once it ends."""
        future = handle.get_result_async()
        wait(future.done, 10, "the goal's result")
        return future.result().status, future.result().result

    def close(self) -> None:
        """End every goal still executing (each holds an executor thread), then shut down."""
        for progress in list(self.host.progress.values()):
            progress.finish("cancelled", "the test is over")
        wait(lambda: self.server.accepted == 0, 10, "every goal to end")
        if self.client is not None:
            self.client.close()
        self.executor.shutdown(timeout_sec=1.0)
        self.host.destroy_node()
        rclpy.try_shutdown(context=self.ctx)
        self.thread.join(timeout=5)
