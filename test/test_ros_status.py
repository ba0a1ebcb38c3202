"""The node's ~/status reporter (molingo_ros.ros.status): the MotionStatus it builds for a
command's progress, for a command without one, and for an error (counted and logged); sent
through a real latched publisher (real rclpy, a private ROS domain)."""

from __future__ import annotations

import logging

import pytest
from ros_helpers import Probe, domain, wait

from molingo_ros.msg import MotionStatus
from molingo_ros.ros.messages import from_time
from molingo_ros.ros.qos import latched
from molingo_ros.ros.status import StatusReporter
from molingo_ros.runtime.commands import CommandLimits, check_command
from molingo_ros.runtime.progress import CommandProgress

pytestmark = pytest.mark.ros

TOPIC = "/status_test/status"


@pytest.fixture
def reporter():
    """A reporter on a real transient-local publisher, with the ROS time 100.25 s; yields
    (reporter, sent: [(message, latched)], a late subscriber's probe, the log records)."""
    sender = Probe(domain(43), "status_sender")
    publisher = sender.node.create_publisher(MotionStatus, TOPIC, latched())
    sent: list[tuple[MotionStatus, bool]] = []

    def publish(pub, msg, is_latched):  # the node's publish-and-record
        sent.append((msg, is_latched))
        pub.publish(msg)

    logger = logging.getLogger("test_ros_status")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    listener = None
    try:
        rep = StatusReporter(publisher, publish, lambda: 100.25, logger)
        listener = Probe(domain(43), "status_listener")
        yield rep, sent, listener, records
    finally:
        logger.removeHandler(handler)
        if listener is not None:
            listener.close()
        sender.close()


def _progress() -> CommandProgress:
    command = check_command("a person waves", 2.0, "replace", 3, "cmd-7", 0.0, CommandLimits())
    p = CommandProgress(command, fps=30.0, frames_total=60, state="streaming")
    p.frames_streamed, p.generate_s = 45, 0.5
    return p


def test_a_progress_status_carries_the_command_and_its_counts(reporter):
    rep, sent, listener, _ = reporter
    rep.progress("streaming", _progress())
    ((msg, is_latched),) = sent
    assert is_latched
    assert (msg.state, msg.command_id, msg.text, msg.error) == (
        "streaming",
        "cmd-7",
        "a person waves",
        "",
    )
    assert msg.frames_published == 45
    assert msg.realtime_factor == pytest.approx(3.0)  # 1.5 s of motion in 0.5 s
    assert from_time(msg.header.stamp) == pytest.approx(100.25)
    assert rep.last == ("streaming", "cmd-7", "") and rep.last_time > 0
    # Latched: a subscriber that joins afterwards still gets it.
    listener.collect(MotionStatus, TOPIC, latched())
    wait(lambda: listener.messages(TOPIC), 10, "the latched status")
    assert listener.messages(TOPIC)[-1].command_id == "cmd-7"


def test_a_status_without_a_command(reporter):
    rep, sent, _, records = reporter
    rep.progress("idle")
    rep.message("done", "cmd-9", "x" * 300, "stopped by the operator")
    idle, done = (m for m, _ in sent)
    assert (idle.state, idle.command_id, idle.frames_published) == ("idle", "", 0)
    assert (done.state, done.command_id, done.error) == ("done", "cmd-9", "stopped by the operator")
    assert done.text == "x" * 200  # cut to 200 characters
    assert rep.errors_total == 0 and records == []


def test_errors_are_counted_logged_and_published(reporter):
    rep, sent, listener, records = reporter
    rep.error("command rejected: empty text", "cmd-1", "")
    rep.error("I can't do 'open the door'", "cmd-2", "open the door", state="refused")
    assert rep.errors_total == 2 and rep.last_error == "I can't do 'open the door'"
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.WARNING, "command rejected: empty text"),
        (logging.WARNING, "I can't do 'open the door'"),
    ]
    assert [(m.state, m.command_id, m.text) for m, _ in sent] == [
        ("error", "cmd-1", ""),
        ("refused", "cmd-2", "open the door"),
    ]
    assert rep.last == ("refused", "cmd-2", "I can't do 'open the door'")
    listener.collect(MotionStatus, TOPIC, latched())
    wait(lambda: listener.messages(TOPIC), 10, "the latched status")
    assert listener.messages(TOPIC)[-1].state == "refused"  # depth 1: the last one
