"""The main job end to end: molingo_node and molingo_sim as separate processes (real Fast DDS),
an operator session through the action (a walk replaced mid-way, a wave queued), then the
simulator's report checked against the node's bag: the simulator received every trajectory
the node published, in order, with matching joint names and no point out of limits, and the
replayed robot kept its feet on the floor (slow). And its parts: where it writes, the two
processes' command lines and environment, stopping them, giving up on a dead one."""

from __future__ import annotations

import re
import signal
import sys
import time
from pathlib import Path

import pytest
from ros_helpers import domain
from rosbags.rosbag2 import Reader

from molingo_ros.robot.registry import config_dir
from molingo_ros.ros.messages import from_time
from molingo_ros.ros.recorder import project_typestore
from molingo_ros.ros.session import (
    SessionFiles,
    SessionProcesses,
    node_command,
    run_session,
    session_env,
    sim_command,
    wait_until_ready,
)
from molingo_ros.ros.session_operator import OperatorClient

pytestmark = pytest.mark.ros


def test_the_session_writes_under_its_folder(tmp_path):
    files = SessionFiles.create(tmp_path / "demo" / "x", video=True)
    assert files.out.is_dir()
    assert re.fullmatch(r"bag_\d{8}_\d{6}", files.bag.name) and files.bag.parent == files.out
    assert files.video == files.out / "sim.mp4" and files.report == files.out / "sim.json"
    assert (files.node_log.name, files.sim_log.name) == ("node.log", "sim.log")
    assert files.summary == files.out / "summary.json"
    assert SessionFiles.create(tmp_path, video=False).video is None


def _params(args: list[str]) -> dict[str, str]:
    return dict(args[i + 1].split(":=", 1) for i, a in enumerate(args) if a == "-p")


def test_the_node_records_and_the_simulator_renders_and_reports(tmp_path):
    files = SessionFiles.create(tmp_path, video=True)
    node = node_command("h1", files.bag)
    assert Path(node[0]) == Path(sys.executable).parent / "molingo_node"
    assert Path(node[0]).exists() and node[1:3] == ["--ros-args", "--params-file"]
    assert Path(node[3]) == config_dir() / "molingo.yaml" and Path(node[3]).exists()
    assert _params(node) == {
        "robot": "h1",
        "record.enabled": "true",
        "record.path": str(files.bag),
    }
    sim = sim_command("h1", files, 12.5, (320, 240))
    assert Path(sim[0]).name == "molingo_sim" and Path(sim[0]).exists()
    assert _params(sim) == {
        "robot": "h1",
        "report": str(files.report),
        "video_fps": "12.5",
        "video_width": "320",
        "video_height": "240",
        "video": str(files.video),
    }
    no_video = sim_command("g1", SessionFiles.create(tmp_path / "b", video=False), 10.0, (1, 1))
    assert "video" not in _params(no_video)


def test_the_processes_environment_keeps_the_operators_discovery(tmp_path, monkeypatch):
    monkeypatch.delenv("ROS_AUTOMATIC_DISCOVERY_RANGE", raising=False)
    monkeypatch.delenv("ROS_LOG_DIR", raising=False)
    env = session_env(33, tmp_path)
    assert env["ROS_DOMAIN_ID"] == "33" and env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"
    assert env["ROS_LOG_DIR"] == str(tmp_path / "roslog")
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "SUBNET")
    monkeypatch.setenv("ROS_LOG_DIR", "/var/tmp/ros")
    env = session_env(33, tmp_path)
    assert env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "SUBNET"
    assert env["ROS_LOG_DIR"] == "/var/tmp/ros"


EXITS_ON_SIGINT = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGINT, lambda *a: sys.exit(0))\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)
IGNORES_SIGINT = EXITS_ON_SIGINT.replace("lambda *a: sys.exit(0)", "signal.SIG_IGN")


def _running(files: SessionFiles) -> None:
    deadline = time.monotonic() + 20
    while "ready" not in files.node_log.read_text() or "ready" not in files.sim_log.read_text():
        assert time.monotonic() < deadline, "the stand-in processes did not start"
        time.sleep(0.05)


def test_sigint_stops_both_and_one_that_ignores_it_is_killed(tmp_path):
    files = SessionFiles.create(tmp_path, video=False)
    py = [sys.executable, "-c"]
    env = session_env(domain(7), tmp_path)
    procs = SessionProcesses([*py, EXITS_ON_SIGINT], [*py, IGNORES_SIGINT], files, env)
    _running(files)
    assert procs.running()
    procs.interrupt()
    procs.wait(timeout_s=1.0)
    assert procs.exits() == (0, None)  # the simulator was killed: no exit status
    assert procs.sim.wait(timeout=10) == -signal.SIGKILL
    assert not procs.running()


def test_the_session_gives_up_when_a_process_dies(tmp_path):
    files = SessionFiles.create(tmp_path, video=False)
    py = [sys.executable, "-c"]
    env = session_env(domain(7), tmp_path)
    procs = SessionProcesses([*py, EXITS_ON_SIGINT], [*py, "raise SystemExit(3)"], files, env)
    client = OperatorClient(domain(7))
    try:
        with pytest.raises(RuntimeError, match="did not start; see .*node.log, sim.log"):
            wait_until_ready(client, procs, files, timeout_s=30)
        assert procs.sim.returncode == 3
    finally:
        client.close()
        procs.interrupt()
        procs.wait(timeout_s=10)


COMMANDS = (
    (0.0, "a person walks forward", 3.0, "replace"),
    (1.5, "a person walks turning left", 1.5, "replace"),
    (1.6, "a person waves the right hand", 1.5, "queue"),
)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    out = tmp_path_factory.mktemp("session")
    return run_session(
        out, "g1", COMMANDS, video=True, video_fps=2.0, size=(160, 120), progress=False
    )


@pytest.mark.slow
def test_processes_exit_cleanly_and_the_commands_ran(session):
    s = session.summary
    assert s["node_exit"] == 0 and s["sim_exit"] == 0
    walk, turn, wave = s["commands"]
    assert not walk["success"] and "replaced by" in walk["error"]
    assert turn["success"] and turn["frames"] == 45
    assert wave["success"] and wave["frames"] == 45
    assert 0 < s["latency_to_first_motion_s"] < 5


@pytest.mark.slow
def test_the_simulator_received_every_trajectory_in_order(session):
    store = project_typestore()
    published = []
    with Reader(session.bag) as reader:
        for conn, _, raw in reader.messages():
            if conn.topic == "/joint_trajectory_controller/joint_trajectory":
                msg = store.deserialize_cdr(raw, conn.msgtype)
                if len(msg.points) > 1:
                    published.append(round(from_time(msg.header.stamp), 6))
    rep = session.report
    assert published and rep["streamed_stamps"] == published
    assert rep["stamps_increasing"] and rep["backwards"] == 0
    assert rep["name_mismatches"] == 0 and rep["out_of_limits"] == 0
    assert rep["starved"] == 0 and not rep["notes"]


@pytest.mark.slow
def test_the_replayed_robot_stays_on_the_floor(session):
    rep = session.report
    assert rep["frames_played"] > 100
    assert rep["feet_min_height_m"] > -0.02  # never through the floor (validator: 5 mm)
    assert rep["feet_max_low_height_m"] < 0.05  # and not floating: a foot is down
    assert rep["root_height_min_m"] > 0.5  # standing, not lying


@pytest.mark.slow
def test_the_video_shows_the_session(session):
    assert session.video is not None and session.video.stat().st_size > 1000
    assert session.report["video_frames"] >= 8  # 2 fps over about 5 s


@pytest.mark.slow
def test_the_summary_reads_for_an_operator(session, capsys):
    from molingo_ros.ros.session_summary import print_summary

    print_summary(session.summary)
    out = capsys.readouterr().out
    assert "latency to first motion" in out and "validation:" in out
    assert "joint names mismatched 0" in out and str(session.bag) in out
    assert "exit codes: node 0, sim 0" in out
