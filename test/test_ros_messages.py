"""Robot frames to ROS messages (molingo_ros.ros.messages): times, trajectories, joint states
and root poses, checked field by field and through a CDR round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest
from builtin_interfaces.msg import Duration, Time
from geometry_msgs.msg import PoseStamped
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

from molingo_ros.ros.messages import (
    from_time,
    hold_trajectory,
    joint_state,
    joint_trajectory,
    root_pose,
    to_duration,
    to_time,
)

pytestmark = pytest.mark.ros

NAMES = ["left_hip_pitch_joint", "left_knee_joint", "right_elbow_joint"]
FPS = 30.0


def frames(n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.uniform(-1.0, 1.0, (n, len(NAMES))), rng.uniform(-3.0, 3.0, (n, len(NAMES)))


def duration_s(d: Duration) -> float:
    return d.sec + d.nanosec * 1e-9


@pytest.mark.parametrize(
    ("seconds", "sec", "nanosec"),
    [
        (0.0, 0, 0),
        (1.5, 1, 500_000_000),
        (86400.125, 86400, 125_000_000),
        (1.9999999996, 2, 0),  # rounds up to the next second: no nanosec = 1e9
        (1.9999999994, 1, 999_999_999),
        (1e-9, 0, 1),
    ],
)
def test_to_time(seconds, sec, nanosec):
    t = to_time(seconds)
    assert isinstance(t, Time)
    assert (t.sec, t.nanosec) == (sec, nanosec)
    assert 0 <= t.nanosec < 1_000_000_000
    d = to_duration(seconds)
    assert isinstance(d, Duration)
    assert (d.sec, d.nanosec) == (sec, nanosec)


@pytest.mark.parametrize("seconds", [0.0, 0.123456789, 42.000000001, 1.9999999996, 1.7e9 + 0.5])
def test_time_round_trip(seconds):
    assert from_time(to_time(seconds)) == pytest.approx(
        seconds, abs=1e-6 if seconds > 1e6 else 1e-9
    )


def test_wall_clock_times_are_within_float_resolution():
    # Near 1.7e9 s (epoch time) a float64 second has a resolution of ~0.24 us; the conversion
    # must not lose more than that (it carries into sec correctly and stays < 1e9 ns).
    t = Time(sec=1_712_345_678, nanosec=999_999_900)
    back = to_time(from_time(t))
    assert 0 <= back.nanosec < 1_000_000_000
    assert abs((back.sec - t.sec) * 1_000_000_000 + back.nanosec - t.nanosec) < 1_000
    exact = to_time(1712345678.25)  # exactly representable input
    assert exact.sec == 1712345678
    assert abs(exact.nanosec - 250_000_000) < 1_000


def test_joint_trajectory_timing_and_values():
    pos, vel = frames(5)
    msg = joint_trajectory(NAMES, pos, vel, start_s=100.25, fps=FPS)
    assert isinstance(msg, JointTrajectory)
    assert from_time(msg.header.stamp) == pytest.approx(100.25, abs=1e-9)
    assert list(msg.joint_names) == NAMES
    assert len(msg.points) == 5
    for i, p in enumerate(msg.points):
        assert duration_s(p.time_from_start) == pytest.approx(i / FPS, abs=1e-9)
        assert np.array_equal(np.asarray(p.positions), pos[i])
        assert np.array_equal(np.asarray(p.velocities), vel[i])
        assert len(p.accelerations) == 0


def test_joint_trajectory_offset_continues_a_chunk():
    pos, vel = frames(4)
    msg = joint_trajectory(NAMES, pos, vel, start_s=10.0, fps=FPS, offset_s=0.5)
    due = [from_time(msg.header.stamp) + duration_s(p.time_from_start) for p in msg.points]
    assert due == pytest.approx([10.5 + i / FPS for i in range(4)], abs=1e-9)


def test_joint_trajectory_copies_the_arrays():
    pos, vel = frames(2)
    msg = joint_trajectory(NAMES, pos, vel, 0.0, FPS)
    pos[:] = 0.0
    assert np.asarray(msg.points[0].positions).any()
    names = list(NAMES)
    msg2 = joint_trajectory(names, pos, vel, 0.0, FPS)
    names.append("extra")
    assert len(msg2.joint_names) == len(NAMES)


def test_hold_trajectory():
    q = np.array([0.1, -0.2, 0.3])
    msg = hold_trajectory(NAMES, q, now_s=7.5, settle_s=0.25)
    assert list(msg.joint_names) == NAMES
    assert from_time(msg.header.stamp) == pytest.approx(7.5)
    assert len(msg.points) == 1
    p = msg.points[0]
    assert np.array_equal(np.asarray(p.positions), q)
    assert np.array_equal(np.asarray(p.velocities), np.zeros(3))
    assert duration_s(p.time_from_start) == pytest.approx(0.25, abs=1e-9)


def test_joint_state():
    q, v = np.array([0.5, 1.0, -1.5]), np.array([0.0, 2.0, -2.0])
    msg = joint_state(NAMES, q, v, stamp_s=3.000000002)
    assert isinstance(msg, JointState)
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (3, 2)
    assert list(msg.name) == NAMES
    assert list(msg.position) == q.tolist()
    assert list(msg.velocity) == v.tolist()
    assert len(msg.effort) == 0


def test_root_pose_normalises_the_quaternion():
    q_root = np.array([1.0, -2.0, 0.75, 0.0, 0.0, 2.0, 2.0, 9.9, 9.9])  # joints after [:7]
    msg = root_pose(q_root, stamp_s=5.5, frame_id="world")
    assert isinstance(msg, PoseStamped)
    assert msg.header.frame_id == "world"
    assert from_time(msg.header.stamp) == pytest.approx(5.5)
    p, o = msg.pose.position, msg.pose.orientation
    assert (p.x, p.y, p.z) == (1.0, -2.0, 0.75)
    s = 1 / math.sqrt(2)
    assert (o.x, o.y, o.z) == (0.0, 0.0, pytest.approx(s))
    assert o.w == pytest.approx(s)
    assert math.hypot(o.x, o.y, o.z, o.w) == pytest.approx(1.0)


def test_root_pose_keeps_a_unit_quaternion():
    msg = root_pose(np.array([0, 0, 0.8, 0.0, 0.0, 0.0, 1.0]), 0.0, "odom")
    o = msg.pose.orientation
    assert (o.x, o.y, o.z, o.w) == (0.0, 0.0, 0.0, 1.0)
    assert msg.header.frame_id == "odom"


def test_messages_survive_cdr_round_trip():
    pos, vel = frames(3)
    traj = joint_trajectory(NAMES, pos, vel, start_s=12.345678901, fps=FPS)
    data = serialize_message(traj)
    assert isinstance(data, bytes) and len(data) > 0
    back = deserialize_message(data, JointTrajectory)
    assert back == traj
    assert (back.header.stamp.sec, back.header.stamp.nanosec) == (12, 345_678_901)
    assert np.array_equal(np.asarray(back.points[2].positions), pos[2])
    assert duration_s(back.points[2].time_from_start) == pytest.approx(2 / FPS, abs=1e-9)

    state = joint_state(NAMES, pos[0], vel[0], 1.0)
    assert deserialize_message(serialize_message(state), JointState) == state
    pose = root_pose(np.array([1, 2, 3, 0, 0, 0, 2.0]), 1.0, "world")
    assert deserialize_message(serialize_message(pose), PoseStamped) == pose


def test_config_file_lists_every_parameter_with_its_default():
    from pathlib import Path

    import yaml

    from molingo_ros.ros.params import PARAMETERS, to_yaml

    path = Path(__file__).resolve().parents[1] / "config" / "molingo.yaml"
    assert path.read_text() == to_yaml(), "regenerate: python -m molingo_ros.ros.params"
    params = yaml.safe_load(path.read_text())["/**"]["ros__parameters"]  # any ns, any name
    for name, (default, _, _) in PARAMETERS.items():
        node = params
        for part in name.split("."):
            node = node[part]
        assert node == default, name


def test_skeleton_markers():
    from visualization_msgs.msg import Marker

    from molingo_ros.ros.messages import skeleton_markers

    pos = np.array([[0.0, 0.0, 1.0], [0.0, 0.1, 0.5], [0.0, -0.1, 0.5]])
    arr = skeleton_markers(pos, np.array([-1, 0, 0]), 3.5, "world", (0.0, 1.0, 0.0))
    bones, joints = arr.markers
    assert bones.type == Marker.LINE_LIST and len(bones.points) == 4  # two bones
    assert joints.type == Marker.SPHERE_LIST and len(joints.points) == 3
    assert joints.points[1].y == pytest.approx(1.1) and bones.header.frame_id == "world"


def test_world_to_root_inverts_the_root_pose():
    from scipy.spatial.transform import Rotation

    from molingo_ros.ros.messages import world_to_root

    rot = Rotation.from_euler("xyz", [0.1, -0.2, 1.3])
    q_root = np.r_[[0.5, -1.0, 0.8], rot.as_quat()]  # scipy: x, y, z, w
    local = np.array([[0.1, 0.2, 0.3], [0.0, 0.0, 0.0], [-0.4, 0.1, 0.9]])
    world = rot.apply(local) + q_root[:3]
    assert np.allclose(world_to_root(world, q_root), local)


def test_stamp_from_arrival_keeps_each_point_due_at_the_same_time():
    from molingo_ros.ros.messages import stamp_from_arrival, timed_trajectory

    times = 1000.0 + np.arange(5) / FPS
    pos = np.arange(10, dtype=float).reshape(5, 2)
    msg = timed_trajectory(NAMES, times, pos, np.zeros((5, 2)))
    now = 999.9  # the first point is due 0.1 s after now
    out = stamp_from_arrival(msg, now)
    assert (out.header.stamp.sec, out.header.stamp.nanosec) == (0, 0)
    due = [now + duration_s(p.time_from_start) for p in out.points]
    assert np.allclose(due, times, atol=1e-9)
    late = stamp_from_arrival(timed_trajectory(NAMES, times, pos, np.zeros((5, 2))), 1000.05)
    offsets = [duration_s(p.time_from_start) for p in late.points]
    assert offsets[0] == 0.0 and offsets[1] == 0.0  # already due: at once
    assert offsets[2] == pytest.approx(2 / FPS - 0.05, abs=1e-9)
