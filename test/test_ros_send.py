"""``molingo send``: its flags, the MotionCommand it sends, how it reports a result, and (slow)
the command line against a real molingo_node in its own process and ROS domain (real Fast
DDS): a motion played to the end, a refusal, a stop answered at once, a queued command that
returns once accepted; and without a node, exit status 2."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rclpy.action import ActionClient
from ros_helpers import Probe, domain, node_env, start_node, wait

from molingo_ros.action import GenerateMotion
from molingo_ros.msg import MotionCommand
from molingo_ros.ros.messages import from_time
from molingo_ros.ros.send import (
    DEFAULT_ACTION,
    SendRequest,
    build_parser,
    motion_command,
    report_result,
)

pytestmark = pytest.mark.ros


def test_the_flags_become_a_request():
    args = build_parser().parse_args(
        ["bow", "--mode", "queue", "--duration", "2.5", "--seed", "7", "--id", "c1", "--wait"]
        + ["--action", "/r2/molingo_node/generate", "--server-timeout", "3", "--timeout", "9"]
    )
    req = SendRequest.from_args(args)
    assert req == SendRequest("bow", "queue", 2.5, 7, "c1", True, "/r2/molingo_node/generate", 3, 9)
    assert req.expected_frames() == 75  # 30 frames/s
    default = SendRequest.from_args(build_parser().parse_args(["walk"]))
    assert default == SendRequest("walk")
    assert default.action == DEFAULT_ACTION and default.expected_frames() is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["walk", "--mode", "later"])


def test_the_request_becomes_a_motion_command():
    cmd = motion_command(SendRequest("wave", "queue", 3.0, 5, "w1"), 1_700_000_000.25)
    assert (cmd.text, cmd.duration_s, cmd.seed, cmd.id) == ("wave", 3.0, 5, "w1")
    assert cmd.mode == MotionCommand.MODE_QUEUE
    assert from_time(cmd.header.stamp) == pytest.approx(1_700_000_000.25, abs=1e-6)
    plain = motion_command(SendRequest("walk"), 0.0)
    assert (plain.mode, plain.seed) == (MotionCommand.MODE_REPLACE, -1)
    # No --id: a fresh one, so that a goal whose answer is lost can be sent again under it.
    assert re.fullmatch(r"send-[0-9a-f]{8}", plain.id)
    assert motion_command(SendRequest("walk"), 0.0).id != plain.id


def test_a_result_is_reported_with_its_exit_status(capsys):
    ok = GenerateMotion.Result(
        success=True, frames=60, duration_s=2.0, command_id="c2", message="bow (normal, 2.0 s)"
    )
    assert report_result(ok) == 0
    out = capsys.readouterr()
    assert out.out == "plan: bow (normal, 2.0 s)\ndone: c2: 60 frames, 2.00 s of motion\n"
    bad = GenerateMotion.Result(success=False, command_id="c3", error="I can't do 'fly'")
    assert report_result(bad) == 1
    out = capsys.readouterr()
    assert out.out == "" and out.err == "failed: c3: I can't do 'fly'\n"


def _send(tmp: Path, domain_id: int, *args: str, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "molingo_ros.ros.send", *args],
        env=node_env(domain_id, tmp),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_without_a_node_it_says_so(tmp_path):
    out = _send(tmp_path, domain(9), "walk", "--wait", "--server-timeout", "1", timeout=30)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "no action server /molingo_node/generate within 1 s" in out.stderr
    assert "streamed" not in out.stderr  # no progress bar for a goal never sent


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """A molingo_node in its own ROS domain, active; (domain, folder)."""
    tmp = tmp_path_factory.mktemp("send")
    dom = domain(8)
    proc = start_node(tmp, dom)
    probe = Probe(dom, "send_test_probe")
    action = ActionClient(probe.node, GenerateMotion, DEFAULT_ACTION)
    try:
        log = tmp / "node_0.log"
        wait(
            lambda: action.server_is_ready() and "ready" in log.read_text(),
            120,
            f"molingo_node to be ready (see {log})",
        )
        yield dom, tmp
    finally:
        probe.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=30)


@pytest.mark.slow
def test_a_motion_is_played_to_the_end(node):
    dom, tmp = node
    out = _send(tmp, dom, "a person bows", "--duration", "1", "--wait", "--id", "send1")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("plan: ") and "bow" in lines[0]
    assert lines[1] == "done: send1: 30 frames, 1.00 s of motion"
    assert "streamed" in out.stderr  # the progress bar


@pytest.mark.slow
def test_a_refusal_names_the_closest_skills_with_or_without_wait(node):
    dom, tmp = node
    for wait_flag in (("--wait",), ()):
        out = _send(tmp, dom, "open the door", "--id", "door", *wait_flag)
        assert out.returncode == 1, (wait_flag, out.stdout, out.stderr)
        assert "failed: door: I can't do 'open the door'; closest: " in out.stderr
        assert "accepted" not in out.stdout


@pytest.mark.slow
def test_a_stop_is_answered_at_once_and_a_queued_command_once_accepted(node):
    dom, tmp = node
    stop = _send(tmp, dom, "stop", "--id", "halt")
    assert stop.returncode == 0, stop.stderr
    assert stop.stdout.splitlines()[-1] == "done: halt: 0 frames, 0.00 s of motion"
    queued = _send(tmp, dom, "a person waves", "--mode", "queue", "--duration", "2")
    assert queued.returncode == 0, queued.stderr
    assert queued.stdout == "accepted: 'a person waves' (queue)\n"
