"""``molingo replay`` (molingo_ros.ros.replay) on a short real bag written by the recorder:
what it reads back (the robot-facing topics, the namespace they were recorded in), how topics
are moved to another namespace and stamps to the replay's time, and a replay onto the ROS
graph (its own process, a private ROS domain) received here."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped
from rclpy.qos import QoSProfile, ReliabilityPolicy
from ros_helpers import ROOT, Probe, domain, node_env, wait
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from tf2_msgs.msg import TFMessage
from trajectory_msgs.msg import JointTrajectory

from molingo_ros.msg import MotionCommand, MotionStatus
from molingo_ros.ros.messages import (
    from_time,
    joint_state,
    joint_trajectory,
    root_pose,
)
from molingo_ros.ros.recorder import BagRecorder
from molingo_ros.ros.replay import (
    ROBOT_TYPES,
    read_robot_messages,
    recorded_namespace,
    renamed,
    restamp,
)
from molingo_ros.ros.tf import root_transform, tf_message

pytestmark = pytest.mark.ros

NAMES = ["left_knee_joint", "right_knee_joint"]
T0_S = 1_700_000_000.0
TRAJ = "/robot1/joint_trajectory_controller/joint_trajectory"
STATES = "/robot1/molingo_node/joint_states"
POSE = "/robot1/molingo_node/root_pose"
TF = "/robot1/tf"
ROBOT_TOPICS = (TRAJ, STATES, POSE, TF)


def _q(k: int) -> np.ndarray:
    q = np.zeros(9)
    q[:3], q[6], q[7:] = [0.1 * k, 0.0, 0.78], 1.0, [0.2 * k, -0.2 * k]
    return q


@pytest.fixture(scope="module")
def bag(tmp_path_factory):
    """A session of molingo_node in /robot1, as its recorder writes it: a command, statuses,
    3 ticks of trajectory, joint states, root pose and TF (0.1 s apart, stamped with the
    time they were recorded), and diagnostics."""
    path = tmp_path_factory.mktemp("replay") / "bag_a"
    rec = BagRecorder(path)
    rec.write("/robot1/molingo_node/motion_command", MotionCommand(text="walk"), int(T0_S * 1e9))
    status = MotionStatus(state="streaming", command_id="c1")
    rec.write("/robot1/molingo_node/status", status, int(T0_S * 1e9) + 1, latched=True)
    for k in range(3):
        t = T0_S + 0.1 * (k + 1)
        t_ns = int(round(t * 1e9))
        pos, vel = np.full((4, 2), 0.1 * k), np.zeros((4, 2))
        rec.write(TRAJ, joint_trajectory(NAMES, pos, vel, t + 0.05, 30.0), t_ns)
        rec.write(STATES, joint_state(NAMES, _q(k)[7:], np.zeros(2), t), t_ns + 1)
        rec.write(POSE, root_pose(_q(k), t, "world"), t_ns + 2)
        rec.write(TF, tf_message([root_transform(_q(k), t, "world", "pelvis")]), t_ns + 3)
    rec.write("/diagnostics", DiagnosticArray(), int((T0_S + 0.5) * 1e9))
    rec.close()
    return path


def test_the_robot_topics_are_read_in_recorded_order(bag):
    messages, ns = read_robot_messages(bag)
    assert ns == "/robot1"
    assert [m.topic for m in messages] == [*ROBOT_TOPICS] * 3
    assert {m.msgtype for m in messages} == set(ROBOT_TYPES)
    assert [m.t_ns for m in messages] == sorted(m.t_ns for m in messages)
    assert messages[0].t_ns == int(round((T0_S + 0.1) * 1e9)) and messages[0].raw


def test_a_bag_without_robot_topics_or_no_bag(tmp_path):
    path = tmp_path / "only_text"
    rec = BagRecorder(path)
    rec.write("/molingo_node/command", String(data="walk"), 1)
    rec.close()
    with pytest.raises(ValueError, match=r"holds none of the robot topics.*/molingo_node/command"):
        read_robot_messages(path)
    with pytest.raises(FileNotFoundError, match="no bag folder"):
        read_robot_messages(tmp_path / "missing")


def test_namespaces_found_and_moved():
    status = "molingo_ros/msg/MotionStatus"
    assert recorded_namespace({"/robot1/molingo_node/status": status, TF: "x"}) == "/robot1"
    assert recorded_namespace({"/molingo_node/status": status}) == ""
    assert recorded_namespace({TF: "tf2_msgs/msg/TFMessage"}) == ""
    assert renamed(TF, "/robot1", None) == TF
    assert renamed(TF, "/robot1", "/replayed") == "/replayed/tf"
    assert renamed(TF, "/robot1", "replayed/") == "/replayed/tf"
    assert renamed(TF, "/robot1", "/") == "/tf"
    assert renamed("/joint_command", "", "/robot2") == "/robot2/joint_command"
    assert renamed("/diagnostics", "/robot1", "/robot2") == "/robot2/diagnostics"
    assert renamed("/robot10/tf", "/robot1", "/r") == "/r/robot10/tf"  # not in /robot1


def test_restamp_moves_every_stamp_by_one_offset():
    traj = joint_trajectory(NAMES, np.zeros((3, 2)), np.zeros((3, 2)), 100.0, 30.0)
    assert from_time(restamp(traj, 50.25, "now", 0.0).header.stamp) == pytest.approx(150.25)
    tf = tf_message([root_transform(_q(k), 100.0, "world", "pelvis") for k in range(2)])
    moved = restamp(tf, 1.5, "now", 0.0)
    assert [from_time(t.header.stamp) for t in moved.transforms] == pytest.approx([101.5] * 2)
    unstamped = JointState()  # stamp 0: "now" for the receiver, left 0
    assert from_time(restamp(unstamped, 5.0, "now", 0.0).header.stamp) == 0.0
    # zero: a trajectory stamped 0, its points due from arrival (at 151 s on the replay clock).
    traj = joint_trajectory(NAMES, np.zeros((3, 2)), np.zeros((3, 2)), 100.0, 30.0, 0.5)
    zero = restamp(traj, 51.0, "zero", 151.0)
    assert from_time(zero.header.stamp) == 0.0
    assert [from_time(p.time_from_start) for p in zero.points] == pytest.approx(
        [0.5, 0.5 + 1 / 30, 0.5 + 2 / 30]
    )
    state = joint_state(NAMES, np.zeros(2), np.zeros(2), 100.0)
    assert from_time(restamp(state, 51.0, "zero", 151.0).header.stamp) == 151.0


def test_a_replay_onto_another_namespace(bag, tmp_path):
    """``molingo replay BAG --robot-namespace /replayed --rate 20``, as its own process."""
    dom = domain(46)
    probe = Probe(dom, "replay_listener")
    qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
    types = {TRAJ: JointTrajectory, STATES: JointState, POSE: PoseStamped, TF: TFMessage}
    topics = {t: renamed(t, "/robot1", "/replayed") for t in ROBOT_TOPICS}
    try:
        for old, new in topics.items():
            probe.collect(types[old], new, qos)
        started = time.time()
        script = "import sys; from molingo_ros.ros.replay import main; sys.exit(main())"
        out = subprocess.run(
            [sys.executable, "-c", script, str(bag), "--robot-namespace", "/replayed"]
            + ["--rate", "20"],
            cwd=ROOT,
            env=node_env(dom, tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == f"replayed 12 messages of {bag} under /replayed (stamps: now)"
        wait(lambda: all(len(probe.messages(t)) == 3 for t in topics.values()), 10, "the replay")
        traj = probe.messages(topics[TRAJ])
        states = probe.messages(topics[STATES])
        poses = probe.messages(topics[POSE])
        tfs = probe.messages(topics[TF])
    finally:
        probe.close()
    # One offset for every stamp: from the recording's first message to the replay's start.
    offset = from_time(states[0].header.stamp) - (T0_S + 0.1)
    assert started - (T0_S + 0.1) - 1.0 < offset < time.time() - (T0_S + 0.1)
    for k in range(3):
        t = T0_S + 0.1 * (k + 1) + offset
        assert from_time(states[k].header.stamp) == pytest.approx(t, abs=1e-6)
        assert from_time(poses[k].header.stamp) == pytest.approx(t, abs=1e-6)
        assert from_time(tfs[k].transforms[0].header.stamp) == pytest.approx(t, abs=1e-6)
        assert from_time(traj[k].header.stamp) == pytest.approx(t + 0.05, abs=1e-6)
        assert list(states[k].position) == pytest.approx([0.2 * k, -0.2 * k])
        assert poses[k].pose.position.x == pytest.approx(0.1 * k)
        assert traj[k].points[0].positions.tolist() == pytest.approx([0.1 * k] * 2)
