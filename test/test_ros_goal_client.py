"""The GenerateMotion client that does not wait forever for a lost answer
(molingo_ros.ros.goal_client), against the node's action server on a host node over real
rclpy (test/goal_helpers.py). Both losses are made real: a client whose goal-service response
reader cannot match the node's writer (durability transient local against volatile: every
answer is lost, as in the race of a new client), and a goal sent before the node exists."""

from __future__ import annotations

import pytest
from action_msgs.msg import GoalStatus
from goal_helpers import ACTION, Fixture
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from ros_helpers import Probe, domain, wait

from molingo_ros.action import GenerateMotion
from molingo_ros.ros.goal_client import GoalClient, ResentGoal

pytestmark = pytest.mark.ros


@pytest.fixture
def server():
    f = Fixture(max_queue=1)
    yield f
    f.close()


def goal(cid: str, text: str = "a person walks") -> GenerateMotion.Goal:
    g = GenerateMotion.Goal()
    g.command.text, g.command.duration_s, g.command.id = text, 1.0, cid
    return g


def test_a_lost_answer_is_followed_on_the_status_topic(server):
    unmatched = QoSProfile(
        depth=10,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL,
    )
    deaf = GoalClient(server.client.node, ACTION, goal_service_qos_profile=unmatched)
    feedback: list[int] = []
    sent = deaf.send(
        goal("lost1"),
        feedback_callback=lambda fb: feedback.append(fb.feedback.frames_streamed),
        resend_after_s=1.0,
    )
    handle = sent.wait(20)
    assert handle is not None and handle.accepted and sent.followed
    assert [i for i in server.host.inputs if i[1] == "lost1"] == [("~/generate/command", "lost1")]
    # Feedback and the result reach the follower, by goal id.
    progress = server.host.progress["lost1"]
    progress.frames_streamed = 12
    wait(lambda: 12 in feedback, 5, "feedback of the followed goal")
    result = handle.get_result_async()
    progress.frames_streamed = 30
    progress.finish("done")
    wait(result.done, 10, "the result of the followed goal")
    assert result.result().status == GoalStatus.STATUS_SUCCEEDED
    assert result.result().result.frames == 30
    # Any copy sent meanwhile was refused as a copy, never run.
    copies = [e for e in server.host.errors if e[1] == "lost1"]
    assert all("is accepted and unfinished" in e[0] for e in copies)
    assert len(copies) == sent.copies - 1
    deaf.destroy()


def test_a_goal_sent_before_the_node_exists_is_sent_again():
    probe = Probe(domain(44), "early_client")
    client = GoalClient(probe.node, ACTION)
    sent = client.send(goal("early1"), resend_after_s=1.0)
    f = Fixture(max_queue=1, client=False)
    try:
        handle = sent.wait(20)
        assert handle is not None and handle.accepted and not sent.followed
        assert sent.copies >= 2
        assert [i for i in f.host.inputs if i[1] == "early1"] == [
            ("~/generate/command", "early1")
        ]
        wait(lambda: "early1" in f.host.progress, 10, "the goal executing")
        f.host.progress["early1"].finish("done")
        result = handle.get_result_async()
        wait(result.done, 10, "the result")
        assert result.result().result.success
    finally:
        client.destroy()
        probe.close()
        f.close()


def test_a_rejection_is_the_answer_and_an_empty_id_cannot_be_resent(server):
    server.host.active = False
    sent = server.goals.send(goal("no1"), resend_after_s=1.0)
    handle = sent.wait(10)
    # Refused (each copy, when the answer to an earlier one was lost: it often is, this early).
    assert handle is not None and not handle.accepted and 1 <= sent.copies <= 3
    refusal = ("goal rejected: molingo_node is not active", "no1")
    assert server.host.errors and all(e == refusal for e in server.host.errors)
    with pytest.raises(ValueError, match="needs a command id"):
        ResentGoal(server.goals, goal(""))
