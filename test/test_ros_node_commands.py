"""molingo_node's command path (molingo_ros.ros.node_commands.CommandIntake): an in-process
MolingoNode (shipped model, real G1, CPU) on a private ROS domain, configured and activated
once for the module; the tests call the intake directly (raw topic bytes, MotionCommand
messages, checked commands) and look at the controller and the status it reports. The node
is not spun: no timer runs, so nothing moves on its own between the calls."""

from __future__ import annotations

import json
import time

import pytest
import rclpy
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.serialization import serialize_message
from ros_helpers import active_node, ros_context
from std_msgs.msg import String

from molingo_ros.msg import MotionCommand
from molingo_ros.ros.messages import to_time
from molingo_ros.ros.node_commands import NODE_NAME
from molingo_ros.runtime.commands import Command, CommandError

pytestmark = pytest.mark.ros


@pytest.fixture(scope="module")
def node():
    """A configured, active MolingoNode in its own context and domain (shut down at the end)."""
    ctx = ros_context(31)
    try:
        yield from active_node(ctx)
    finally:
        rclpy.try_shutdown(context=ctx)


@pytest.fixture(autouse=True)
def idle(node):
    """Each test starts with nothing queued or playing."""
    node.hold("test start")
    node.controller.drain_finished()
    yield


def _command(node, text: str, mode: str = "replace", cid: str = "") -> Command:
    return node._command_from_fields(text, 0.0, mode, -1, cid, node.now_s())


def _stream(node, text: str) -> object:
    """Submit ``text``, generate its first chunk and wait until its frames are due."""
    _, progress = node.submit_text(_command(node, text), 0.0)
    node._generate_tick()
    assert progress.state == "streaming"
    time.sleep(0.1)  # past the controller's start delay
    return progress


def test_skills_message_lists_the_models_skills_and_grounding_settings(node):
    body = json.loads(node._skills_message().data)
    matcher = node.interpreter.matcher
    assert set(body["skills"]) == set(matcher.catalogue)
    assert {"walk", "run", "kick"} <= set(body["skills"])
    assert body["threshold"] == pytest.approx(matcher.threshold)
    assert body["margin"] == pytest.approx(matcher.margin)
    assert body["allow_unknown"] is False


def test_walk_forward_is_queued_as_a_motion(node):
    total = node.commands_total
    plan, progress = node.submit_text(_command(node, "walk forward", cid="walk-1"), 0.0)
    assert plan.kind == "motion"
    assert [s.skill for s in plan.segments] == ["walk"]
    assert progress.state == "generating"
    assert node.controller.current is progress
    assert progress.command.id == "walk-1"
    assert progress.command.duration_s == pytest.approx(node.cfg.limits.default_duration_s)
    assert node.commands_total == total + 1
    assert node.status.last == ("generating", "walk-1", "")


def test_a_queued_command_waits_behind_the_current_one(node):
    _stream(node, "walk forward")
    _, queued = node.submit_text(_command(node, "wave", mode="queue", cid="wave-1"), 0.0)
    assert queued.state == "queued"
    assert [c.id for c in node.controller.queue] == ["wave-1"]


def test_a_stop_word_holds_and_drops_everything(node):
    walking = _stream(node, "walk forward")
    _, queued = node.submit_text(_command(node, "wave", mode="queue"), 0.0)
    total = node.commands_total
    plan, progress = node.submit_text(_command(node, "stop", cid="stop-1"), 0.0)
    assert plan.kind == "stop" and progress is None
    assert node.commands_total == total  # a stop is not a motion command
    ctrl = node.controller
    assert ctrl.current is None and not len(ctrl.queue)
    assert walking.state == "cancelled" and "stopped by the operator: 'stop'" in walking.error
    assert queued.state == "cancelled"
    assert ctrl.buffered_ahead_s(node.now_s()) < 0.05  # the timeline was cut at the hold
    state, cid, message = node.status.last
    assert (state, cid) == ("stopped", "stop-1")
    assert "holding the robot" in message


def test_an_unknown_command_is_refused_with_the_closest_skills(node):
    errors = node.status.errors_total
    plan, progress = node.submit_text(_command(node, "juggle flaming torches", cid="j-1"), 0.0)
    assert plan.kind == "refused" and progress is None
    assert node.controller.current is None
    state, cid, message = node.status.last
    assert (state, cid) == ("refused", "j-1")
    assert "juggle flaming torches" in message
    closest = message.split("closest:")[1].split(",")
    known = set(node.interpreter.matcher.catalogue)
    assert len(closest) == 3 and all(name.strip() in known for name in closest)
    assert node.status.errors_total == errors + 1


def test_a_malformed_raw_message_is_reported_and_the_node_keeps_working(node):
    errors = node.status.errors_total
    for msg_type in (String, MotionCommand):
        node._on_command_bytes(b"\x00\x01not cdr", msg_type, "~/command")
        state, _, message = node.status.last
        assert state == "error" and message.startswith("undecodable command message")
    assert node.status.errors_total == errors + 2
    assert node.controller.current is None
    node._on_command_bytes(serialize_message(String(data="walk forward")), String, "~/command")
    assert node.controller.current is not None
    assert node.controller.current.command.text == "walk forward"


def test_a_motion_command_message_keeps_its_id_duration_and_mode(node):
    msg = MotionCommand(text="walk forward", duration_s=3.0, id="mc-1", seed=7)
    msg.header.stamp = to_time(node.now_s())
    node._on_command_bytes(serialize_message(msg), MotionCommand, "~/motion_command")
    cur = node.controller.current
    assert cur is not None and cur.command.id == "mc-1"
    assert cur.command.duration_s == pytest.approx(3.0)
    assert cur.command.seed == 7 and cur.command.mode == "replace"


def test_an_invalid_field_is_rejected_on_the_status(node):
    msg = MotionCommand(text="walk forward", duration_s=-1.0, id="bad-1")
    msg.header.stamp = to_time(node.now_s())
    node._on_command_bytes(serialize_message(msg), MotionCommand, "~/motion_command")
    state, cid, message = node.status.last
    assert (state, cid) == ("error", "bad-1")
    assert message.startswith("command rejected: ") and "duration_s" in message
    assert node.controller.current is None


def test_command_from_msg_checks_the_stamp(node):
    msg = MotionCommand(text="walk forward", duration_s=2.0, id="s-1")
    now = node.now_s()
    msg.header.stamp = to_time(now)
    command = node.command_from_msg(msg)
    assert command.stamp_s == pytest.approx(now, abs=1e-6)
    assert (command.text, command.id) == ("walk forward", "s-1")
    assert command.duration_s == pytest.approx(2.0)

    ahead = node.cfg.limits.max_stamp_ahead_s
    msg.header.stamp = to_time(now + ahead + 60.0)
    with pytest.raises(CommandError, match="in the future.*commands.max_stamp_ahead_s"):
        node.command_from_msg(msg)
    # Through the topic: refused on the status with the command's id, nothing queued.
    node._on_command_bytes(serialize_message(msg), MotionCommand, "~/motion_command")
    state, cid, message = node.status.last
    assert (state, cid) == ("error", "s-1") and "in the future" in message
    assert node.controller.current is None


def test_an_inactive_node_refuses_commands(node):
    assert node.trigger_deactivate() == TransitionCallbackReturn.SUCCESS
    try:
        with pytest.raises(CommandError, match=f"{NODE_NAME} is not active \\(inactive\\)"):
            node.submit_text(_command(node, "walk forward"), 0.0)
        node._on_command_bytes(serialize_message(String(data="walk forward")), String, "~/command")
        state, _, message = node.status.last
        assert state == "error" and "not active (inactive)" in message
        assert node.controller.current is None
    finally:
        assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
    _, progress = node.submit_text(_command(node, "walk forward"), 0.0)
    assert progress.state == "generating"
