"""The node's ~/generate action server (molingo_ros.ros.goals) over real rclpy (a private ROS
domain, an action client in another context; the host node in test/goal_helpers.py): goals
counted from acceptance up to the limit (commands.max_queue + 2), rejected with their reason
beyond it, while inactive or as a copy of a goal still running, feedback, and the result of a
command that is done, cancelled by the client, failed, or not a motion."""

from __future__ import annotations

import pytest
from action_msgs.msg import GoalStatus
from goal_helpers import Fixture
from ros_helpers import wait

from molingo_ros.language.interpret import STOP_MESSAGE
from molingo_ros.msg import MotionCommand
from molingo_ros.ros.goals import ACTION_REQUEST_DEPTH, requested_s

pytestmark = pytest.mark.ros


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


def test_a_copy_of_a_running_goal_is_refused_uncounted(goals):
    f = goals(max_queue=1)
    first = f.send("c1")
    assert first.accepted and f.server.accepted == 1
    copy = f.send("c1")
    assert not copy.accepted and f.server.accepted == 1
    assert f.host.errors[-1] == (
        "goal rejected: a goal with command id 'c1' is accepted and unfinished "
        "(a resent copy is not run twice)",
        "c1",
    )
    wait(lambda: "c1" in f.host.progress, 10, "the first goal executing")
    f.host.progress["c1"].finish("done")
    assert f.result(first)[0] == GoalStatus.STATUS_SUCCEEDED
    wait(lambda: f.server.accepted == 0, 5, "the finished goal to be uncounted")
    assert f.send("c1").accepted  # the id is free again once its goal ended


def test_requested_length_and_the_request_depth():
    msg = MotionCommand()
    assert requested_s(msg) == 0.0  # left to the command's words
    msg.duration_s = 2.5
    assert requested_s(msg) == 2.5
    msg.duration_s = -1.0
    assert requested_s(msg) == 0.0
    assert ACTION_REQUEST_DEPTH >= 100  # a burst of goals is not cut inside DDS
