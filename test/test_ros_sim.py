"""The main job end to end: molingo_node and molingo_sim as separate processes (real Fast DDS),
an operator session through the action (a walk replaced mid-way, a wave queued), then the
simulator's report checked against the node's bag: the simulator received every trajectory
the node published, in order, with matching joint names and no point out of limits, and the
replayed robot kept its feet on the floor."""

from __future__ import annotations

import pytest
from rosbags.rosbag2 import Reader

from molingo_ros.ros.messages import from_time
from molingo_ros.ros.recorder import project_typestore
from molingo_ros.ros.session import run_session

pytestmark = pytest.mark.slow

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


def test_processes_exit_cleanly_and_the_commands_ran(session):
    s = session.summary
    assert s["node_exit"] == 0 and s["sim_exit"] == 0
    walk, turn, wave = s["commands"]
    assert not walk["success"] and "replaced by" in walk["error"]
    assert turn["success"] and turn["frames"] == 45
    assert wave["success"] and wave["frames"] == 45
    assert 0 < s["latency_to_first_motion_s"] < 5


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


def test_the_replayed_robot_stays_on_the_floor(session):
    rep = session.report
    assert rep["frames_played"] > 100
    assert rep["feet_min_height_m"] > -0.02  # never through the floor (validator: 5 mm)
    assert rep["feet_max_low_height_m"] < 0.05  # and not floating: a foot is down
    assert rep["root_height_min_m"] > 0.5  # standing, not lying


def test_the_video_shows_the_session(session):
    assert session.video is not None and session.video.stat().st_size > 1000
    assert session.report["video_frames"] >= 8  # 2 fps over about 5 s


def test_the_summary_reads_for_an_operator(session, capsys):
    from molingo_ros.ros.session import print_summary

    print_summary(session.summary)
    out = capsys.readouterr().out
    assert "latency to first motion" in out and "validation:" in out
    assert "joint names mismatched 0" in out and str(session.bag) in out
    assert "exit codes: node 0, sim 0" in out
