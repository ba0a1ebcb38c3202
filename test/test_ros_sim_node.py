"""molingo_sim as its own process (real Fast DDS, its own ROS_DOMAIN_ID): it follows the
trajectories it receives like joint_trajectory_controller (joints matched by name, stamp 0
starts on arrival, the last point held), publishes what the simulated G1 does on
``joint_states`` and its clock on ``/clock``, refuses a message with the wrong joints, and
writes its report at SIGINT. And the skeleton's parents rebuilt from the node's markers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from geometry_msgs.msg import PoseStamped
from rclpy.qos import QoSProfile, ReliabilityPolicy
from ros_helpers import Probe, domain, node_env, wait
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from molingo_ros.robot.models import load_robot
from molingo_ros.ros.messages import from_time, skeleton_markers, to_duration, to_time
from molingo_ros.ros.sim_node import _parents_from_bones

pytestmark = pytest.mark.ros

TRAJECTORY = "/joint_trajectory_controller/joint_trajectory"


def test_the_skeleton_parents_come_back_from_the_bone_markers():
    """The simulator draws the human beside the robot from the node's markers: the LINE_LIST
    (parent, child pairs) gives back every joint's parent."""
    rng = np.random.default_rng(3)
    points = rng.normal(size=(6, 3))
    parents = np.array([-1, 0, 1, 1, 3, 0])
    bones, joints = skeleton_markers(points, parents, 1.0, "world").markers
    got = _parents_from_bones(np.array([[q.x, q.y, q.z] for q in joints.points]), bones)
    assert got.tolist() == parents.tolist()
    assert _parents_from_bones(points, None).tolist() == [-1] * 6


def _trajectory(names: list[str], rows: np.ndarray, stamp_s: float, dt_s: float = 0.2):
    msg = JointTrajectory()
    msg.header.stamp = to_time(stamp_s)
    msg.joint_names = list(names)
    for i, row in enumerate(rows):
        msg.points.append(
            JointTrajectoryPoint(
                positions=[float(v) for v in row], time_from_start=to_duration(i * dt_s)
            )
        )
    return msg


def _start_sim(tmp_path: Path, dom: int, *params: str) -> subprocess.Popen:
    """molingo_sim in its own process group, reporting to ``tmp_path/sim.json``, with the
    extra ``name:=value`` parameters."""
    args = [str(Path(sys.executable).parent / "molingo_sim"), "--ros-args"]
    for param in (f"report:={tmp_path / 'sim.json'}", *params):
        args += ["-p", param]
    return subprocess.Popen(
        args,
        env=node_env(dom, tmp_path),
        stdout=open(tmp_path / "sim.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _publishers(probe: Probe, tmp_path: Path):
    """The trajectory and root-pose publishers, once molingo_sim subscribes to both."""
    qos = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
    traj_pub = probe.node.create_publisher(JointTrajectory, TRAJECTORY, qos)
    root_pub = probe.node.create_publisher(PoseStamped, "/molingo_node/root_pose", qos)
    wait(
        lambda: traj_pub.get_subscription_count() and root_pub.get_subscription_count(),
        60,
        f"molingo_sim to subscribe (see {tmp_path}/sim.log)",
    )
    return traj_pub, root_pub


def _stop(proc: subprocess.Popen) -> int:
    """SIGINT (the report and video are written then); the exit status."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    return proc.wait(timeout=60)


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def test_the_simulator_follows_checks_and_reports(tmp_path, g1):
    dom = domain(5)
    report = tmp_path / "sim.json"
    proc = _start_sim(tmp_path, dom, "publish_clock:=true")
    probe = Probe(dom, "sim_test_probe")
    try:
        qos = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        probe.collect(JointState, "/joint_states", qos)
        probe.collect(Clock, "/clock", qos)
        traj_pub, root_pub = _publishers(probe, tmp_path)
        wait(lambda: probe.messages("/clock"), 10, "the simulator's clock")
        root = PoseStamped()
        root.header.stamp = to_time(time.time())
        root.pose.position.z, root.pose.orientation.w = 0.78, 1.0
        root_pub.publish(root)

        # Two points in the reverse joint order, stamped 0: played from arrival, then held.
        target = np.clip(0.1, g1.lower, g1.upper)
        rows = np.stack([np.clip(0.0, g1.lower, g1.upper), target])
        names = list(reversed(g1.joint_names))
        traj_pub.publish(_trajectory(names, rows[:, ::-1], 0.0))

        def holds_target() -> bool:
            js = probe.messages("/joint_states")
            return bool(js) and np.allclose(js[-1].position, target, atol=1e-9)

        wait(holds_target, 10, "joint_states at the trajectory's last point")
        assert list(probe.messages("/joint_states")[-1].name) == list(g1.joint_names)

        # A joint missing: refused. A one-point hold with one joint over its limit: counted.
        traj_pub.publish(_trajectory(g1.joint_names[:-1], rows[:, :-1], time.time()))
        over = target.copy()
        over[0] = g1.upper[0] + 0.5
        traj_pub.publish(_trajectory(g1.joint_names, over[None], time.time()))
        time.sleep(0.5)
    finally:
        probe_clock = [from_time(m.clock) for m in probe.messages("/clock")]
        probe.close()
        rc = _stop(proc)
    assert rc == 0
    rep = json.loads(report.read_text())
    assert rep["robot"] == g1.name and rep["mode"] == "kinematic"
    assert rep["messages"] == 3 and rep["streamed"] == 1 and rep["holds"] == 1
    assert rep["reordered"] == 1 and rep["name_mismatches"] == 1 and rep["out_of_limits"] == 1
    assert abs(rep["streamed_stamps"][0] - time.time()) < 60  # stamp 0: the arrival time
    assert rep["stamps_increasing"] and rep["backwards"] == 0
    assert rep["frames_played"] > 0 and rep["upright"]
    assert len(probe_clock) > 5 and np.all(np.diff(probe_clock) > 0)
    assert abs(probe_clock[-1] - time.time()) < 60  # the wall clock, not a simulated one


def test_under_physics_the_controller_performs_the_stream(tmp_path, g1):
    """``physics:=true``: the whole-body controller performs a streamed arm raise on the
    standing G1 under MuJoCo physics; joint_states show the real (simulated) arm, and the
    report says the robot stayed up, with the tracking errors and foot forces."""
    dom = domain(6)
    report = tmp_path / "sim.json"
    proc = _start_sim(tmp_path, dom, "physics:=true")
    probe = Probe(dom, "sim_physics_probe")
    arm = g1.joint_names.index("left_shoulder_roll_joint")
    try:
        qos = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        probe.collect(JointState, "/joint_states", qos)
        traj_pub, root_pub = _publishers(probe, tmp_path)
        standing = g1.neutral()
        root = PoseStamped()
        root.header.stamp = to_time(time.time())
        root.pose.position.z, root.pose.orientation.w = float(standing[2]), 1.0
        root_pub.publish(root)
        time.sleep(0.3)
        raised = standing[7:].copy()
        raised[arm] = 0.8
        rows = np.stack([standing[7:], standing[7:], raised])
        traj_pub.publish(_trajectory(g1.joint_names, rows, 0.0, dt_s=0.5))

        def arm_up() -> bool:
            js = probe.messages("/joint_states")
            return bool(js) and abs(js[-1].position[arm] - 0.8) < 0.1

        wait(arm_up, 20, "the simulated arm to rise")
        time.sleep(1.0)
    finally:
        probe.close()
        rc = _stop(proc)
    assert rc == 0
    rep = json.loads(report.read_text())
    assert rep["mode"] == "physics" and rep["upright"] and rep["fell_at"] is None
    physics = rep["physics"]
    assert physics["upright"] and physics["duration_s"] > 1.0
    assert physics["joint_rms_rad"]["legs"] < 0.05
    assert physics["foot_force_n"]["left"]["mean"] > 50
    assert rep["root_height_min_m"] > 0.7
    assert physics["skipped_s"] >= 0.0


def test_physics_starts_where_the_plan_begins(tmp_path, g1):
    """Root poses of the robot at rest stream in before a plan that starts later in a crouch:
    physics waits for the plan's first instant (before it the timeline only repeats that
    crouch, which does not match the standing root pose) and then performs it upright."""
    dom = domain(7)
    report = tmp_path / "sim.json"
    proc = _start_sim(tmp_path, dom, "physics:=true")
    probe = Probe(dom, "sim_start_probe")
    standing = g1.neutral()
    crouch = standing.copy()
    for name, angle in (("hip_pitch", -0.3), ("knee", 0.6), ("ankle_pitch", -0.3)):
        for side in ("left", "right"):
            crouch[7 + g1.joint_names.index(f"{side}_{name}_joint")] = angle
    crouch[2] -= min(p[2] for p in g1.sole_positions(crouch).values())
    try:
        traj_pub, root_pub = _publishers(probe, tmp_path)
        plan_start = time.time() + 1.5
        traj_pub.publish(_trajectory(g1.joint_names, np.stack([crouch[7:]] * 2), plan_start))
        while time.time() < plan_start + 2.5:  # the root as a node streams it: when due
            now = time.time()
            root = PoseStamped()
            root.header.stamp = to_time(now)
            root.pose.position.z = float(standing[2] if now < plan_start - 0.1 else crouch[2])
            root.pose.orientation.w = 1.0
            root_pub.publish(root)
            time.sleep(1 / 30)
        stopped = time.time()
    finally:
        probe.close()
        rc = _stop(proc)
    assert rc == 0
    rep = json.loads(report.read_text())
    physics = rep["physics"]
    assert rep["upright"] and physics["upright"], physics
    # Started at the plan's first instant (followed 0.25 s late), not at the first root pose.
    assert physics["duration_s"] <= stopped - plan_start - 0.25 + 0.5
    assert physics["duration_s"] > 1.0
    assert physics["joint_rms_rad"]["legs"] < 0.1
