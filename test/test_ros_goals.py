"""The node's ~/generate action server (molingo_ros.ros.goals) over real rclpy (a private ROS
domain, an action client in another context): goals counted from acceptance up to the limit
(commands.max_queue + 2), rejected with their reason beyond it or while inactive, feedback,
and the result of a command that is done, cancelled by the client, failed, or not a motion.

The server runs on a small host node that offers what the action server uses of
molingo_node (its settings, activity, error reports, command checking and submission, the
hold); the commands' progress records are real, and the test moves them on."""

from __future__ import annotations

import os
import threading

import pytest
import rclpy
from action_msgs.msg import GoalStatus
from rclpy.action import ActionClient
from rclpy.context import Context
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from ros_helpers import Probe, domain, wait

from molingo_ros.action import GenerateMotion
from molingo_ros.language.interpret import STOP_MESSAGE, MotionPlan, PlannedSegment
from molingo_ros.msg import MotionCommand
from molingo_ros.ros import params as P
from molingo_ros.ros.goals import ACTION_REQUEST_DEPTH, GoalServer, requested_s
from molingo_ros.runtime.commands import Command, check_command
from molingo_ros.runtime.progress import CommandProgress

pytestmark = pytest.mark.ros

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

    def __init__(self, max_queue: int) -> None:
        os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
        self.ctx = Context()
        rclpy.init(context=self.ctx, domain_id=domain(44))
        self.host = Host(self.ctx, max_queue)
        self.server = GoalServer(self.host, "~/generate")
        self.executor = MultiThreadedExecutor(self.server.limit() + 3, context=self.ctx)
        self.executor.add_node(self.host)
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()
        self.client = Probe(domain(44), "goal_client")
        self.action = ActionClient(self.client.node, GenerateMotion, ACTION)
        assert self.action.wait_for_server(timeout_sec=10)
        self.feedback: dict[str, list[int]] = {}

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

        future = self.action.send_goal_async(goal, feedback_callback=on_feedback)
        wait(future.done, 10, f"the answer to goal {cid}")
        return future.result()

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
        self.client.close()
        self.executor.shutdown(timeout_sec=1.0)
        self.host.destroy_node()
        rclpy.try_shutdown(context=self.ctx)
        self.thread.join(timeout=5)


@pytest.fixture
def goals():
    made: list[Fixture] = []

    def make(max_queue: int = 1) -> Fixture:
        made.append(Fixture(max_queue))
        return made[-1]

    yield make
    for f in made:
        f.close()


def test_goals_are_counted_from_acceptance_up_to_the_limit(goals):
    f = goals(max_queue=1)
    assert f.server.limit() == 3
    handles = {cid: f.send(cid) for cid in ("g1", "g2", "g3")}
    assert all(h.accepted for h in handles.values()) and f.server.accepted == 3
    over = f.send("g4")
    assert not over.accepted
    assert f.host.errors[-1] == (
        "goal rejected: 3 goals are accepted and unfinished (limit commands.max_queue + 2 = 3); "
        "wait for one to finish",
        "g4",
    )
    wait(lambda: len(f.host.progress) == 3, 10, "the three goals executing")
    assert f.host.inputs == [("~/generate/command", c) for c in ("g1", "g2", "g3")]
    # Feedback while the motion streams.
    g1 = f.host.progress["g1"]
    g1.frames_streamed = 15
    wait(lambda: 15 in f.feedback["g1"], 5, "feedback with the frames streamed")
    # Done: success, and room for one more goal.
    g1.frames_streamed = 30
    g1.finish("done")
    status, result = f.result(handles["g1"])
    assert status == GoalStatus.STATUS_SUCCEEDED and result.success and result.error == ""
    assert (result.frames, result.duration_s, result.command_id) == (30, 1.0, "g1")
    assert result.message == "walk (normal, 1.0 s)"
    wait(lambda: f.server.accepted == 2, 5, "the finished goal to be uncounted")
    assert f.send("g5").accepted and f.server.accepted == 3
    # The client cancels: the node holds that command, the goal ends cancelled.
    cancel = handles["g2"].cancel_goal_async()
    wait(cancel.done, 10, "the cancel answer")
    status, result = f.result(handles["g2"])
    assert status == GoalStatus.STATUS_CANCELED and (result.success, result.error) == (
        False,
        "cancelled",
    )
    assert f.host.holds == [("cancelled by the action client", "g2")]
    assert f.host.progress["g2"].state == "cancelled"
    # A generation error: aborted with the command's error.
    f.host.progress["g3"].finish("error", "generation failed: RuntimeError: boom")
    status, result = f.result(handles["g3"])
    assert status == GoalStatus.STATUS_ABORTED and not result.success
    assert result.error == "generation failed: RuntimeError: boom"
    wait(lambda: f.server.accepted == 1, 5, "the ended goals to be uncounted")


def test_an_inactive_node_rejects_goals_uncounted(goals):
    f = goals()
    f.host.active = False
    assert not f.send("late").accepted and f.server.accepted == 0
    assert f.host.errors == [("goal rejected: molingo_node is not active", "late")]


def test_goals_that_are_not_motions(goals):
    f = goals()
    status, result = f.result(f.send("s1", text="stop"))
    assert status == GoalStatus.STATUS_SUCCEEDED and result.success
    assert (result.message, result.frames, result.command_id) == (STOP_MESSAGE, 0, "s1")
    status, result = f.result(f.send("r1", text="dance on the moon"))
    assert status == GoalStatus.STATUS_ABORTED and result.error == "not a skill"
    status, result = f.result(f.send("bad", text="   "))
    assert status == GoalStatus.STATUS_ABORTED and not result.success
    assert result.command_id == "bad" and "text" in result.error
    assert f.host.errors[-1][0].startswith("command rejected: ")
    wait(lambda: f.server.accepted == 0, 5, "every goal to be uncounted")


def test_requested_length_and_the_request_depth():
    msg = MotionCommand()
    assert requested_s(msg) == 0.0  # left to the command's words
    msg.duration_s = 2.5
    assert requested_s(msg) == 2.5
    msg.duration_s = -1.0
    assert requested_s(msg) == 0.0
    assert ACTION_REQUEST_DEPTH >= 100  # a burst of goals is not cut inside DDS
