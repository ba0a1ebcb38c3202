"""Robot frames to ROS messages (JointTrajectory, JointState, PoseStamped) and back.

Conventions: positions in rad (joints) and m (root), velocities in rad/s and m/s, root pose
in the world frame (z up), quaternion (x, y, z, w) as in ``geometry_msgs``.
"""

from __future__ import annotations

import math

import numpy as np
from builtin_interfaces.msg import Duration, Time
from geometry_msgs.msg import Point, PoseStamped
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint
from visualization_msgs.msg import Marker, MarkerArray


def to_time(seconds: float) -> Time:
    """Seconds (ROS clock) -> builtin_interfaces/Time (whole and fractional seconds converted
    apart, so epoch-sized times keep their sub-microsecond part)."""
    sec = math.floor(seconds)
    ns = int(round((seconds - sec) * 1e9))
    if ns >= 1_000_000_000:
        sec, ns = sec + 1, ns - 1_000_000_000
    return Time(sec=int(sec), nanosec=ns)


def from_time(t: Time) -> float:
    return t.sec + t.nanosec * 1e-9


def to_duration(seconds: float) -> Duration:
    ns = int(round(seconds * 1e9))
    return Duration(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def joint_trajectory(
    joint_names: list[str],
    positions: np.ndarray,
    velocities: np.ndarray,
    start_s: float,
    fps: float,
    offset_s: float = 0.0,
) -> JointTrajectory:
    """A trajectory whose point ``i`` is due at ``start_s + offset_s + i / fps`` (ROS time):
    ``header.stamp = start_s``, ``time_from_start = offset_s + i / fps``. Consecutive chunks
    whose stamps continue the previous chunk's timing join without a jump in
    joint_trajectory_controller."""
    msg = JointTrajectory()
    msg.header.stamp = to_time(start_s)
    msg.joint_names = list(joint_names)
    pos = np.asarray(positions, dtype=np.float64)
    vel = np.asarray(velocities, dtype=np.float64)
    for i in range(len(pos)):
        p = JointTrajectoryPoint()
        p.positions = pos[i].tolist()
        p.velocities = vel[i].tolist()
        p.time_from_start = to_duration(offset_s + i / fps)
        msg.points.append(p)
    return msg


def timed_trajectory(
    joint_names: list[str],
    times_s: np.ndarray,
    positions: np.ndarray,
    velocities: np.ndarray,
    stop_at_end: bool = True,
) -> JointTrajectory:
    """Points due at ``times_s`` (s, ROS time, increasing): ``header.stamp = times_s[0]``,
    ``time_from_start = times_s - times_s[0]``. ``stop_at_end`` zeroes the last point's
    velocities: joint_trajectory_controller (Jazzy and later, by default) refuses
    trajectories that end moving; each streamed message is replaced by the next one long
    before its end, so that last point is never reached while the motion goes on."""
    t = np.asarray(times_s, dtype=np.float64)
    if t.ndim != 1 or len(t) == 0 or np.any(np.diff(t) <= 0):
        raise ValueError("times_s must be a non-empty, strictly increasing 1-D array")
    vel = np.array(velocities, dtype=np.float64, copy=True)
    if stop_at_end:
        vel[-1] = 0.0
    msg = JointTrajectory()
    msg.header.stamp = to_time(float(t[0]))
    msg.joint_names = list(joint_names)
    pos = np.asarray(positions, dtype=np.float64)
    for i in range(len(t)):
        p = JointTrajectoryPoint()
        p.positions = pos[i].tolist()
        p.velocities = vel[i].tolist()
        p.time_from_start = to_duration(float(t[i] - t[0]))
        msg.points.append(p)
    return msg


def stamp_from_arrival(msg: JointTrajectory, now_s: float) -> JointTrajectory:
    """``msg`` (changed in place and returned) with ``header.stamp`` 0 and each point's
    ``time_from_start`` counted from the message's arrival instead: a point due at ROS time
    ``stamp + time_from_start`` is due ``stamp + time_from_start - now_s`` seconds after
    arrival (at least 0). joint_trajectory_controller starts a trajectory stamped 0 when it
    receives it, whatever its clock (wall or sim time)."""
    shift = from_time(msg.header.stamp) - now_s
    for pt in msg.points:
        pt.time_from_start = to_duration(max(0.0, from_time(pt.time_from_start) + shift))
    msg.header.stamp = Time(sec=0, nanosec=0)
    return msg


def hold_trajectory(
    joint_names: list[str], q_joints: np.ndarray, now_s: float, settle_s: float
) -> JointTrajectory:
    """One point: stay at ``q_joints`` (rad) with zero velocity, reached ``settle_s`` after now."""
    return joint_trajectory(
        joint_names,
        np.asarray(q_joints)[None],
        np.zeros((1, len(joint_names))),
        now_s,
        1.0,
        settle_s,
    )


def joint_state(
    joint_names: list[str], q_joints: np.ndarray, v_joints: np.ndarray, stamp_s: float
) -> JointState:
    msg = JointState()
    msg.header.stamp = to_time(stamp_s)
    msg.name = list(joint_names)
    msg.position = np.asarray(q_joints, dtype=np.float64).tolist()
    msg.velocity = np.asarray(v_joints, dtype=np.float64).tolist()
    return msg


def skeleton_markers(
    positions_m: np.ndarray,
    parents: np.ndarray,
    stamp_s: float,
    frame_id: str,
    offset_m: tuple[float, float, float] = (0.0, 0.0, 0.0),
    namespace: str = "human",
) -> MarkerArray:
    """A skeleton (J, 3 joint positions in m, world frame, z up; parent indices, -1 = root)
    as two markers: the bones (LINE_LIST) and the joints (SPHERE_LIST), moved by
    ``offset_m``."""
    pts = np.asarray(positions_m, dtype=np.float64) + np.asarray(offset_m)
    stamp = to_time(stamp_s)
    bones = Marker()
    bones.header.stamp, bones.header.frame_id = stamp, frame_id
    bones.ns, bones.id, bones.type, bones.action = namespace, 0, Marker.LINE_LIST, Marker.ADD
    bones.pose.orientation.w = 1.0
    bones.scale.x = 0.025
    bones.color.r, bones.color.g, bones.color.b, bones.color.a = 0.95, 0.55, 0.15, 1.0
    for j, parent in enumerate(np.asarray(parents)):
        if parent >= 0:
            for k in (int(parent), j):
                bones.points.append(Point(x=pts[k, 0], y=pts[k, 1], z=pts[k, 2]))
    joints = Marker()
    joints.header.stamp, joints.header.frame_id = stamp, frame_id
    joints.ns, joints.id, joints.type, joints.action = namespace, 1, Marker.SPHERE_LIST, Marker.ADD
    joints.pose.orientation.w = 1.0
    joints.scale.x = joints.scale.y = joints.scale.z = 0.05
    joints.color.r, joints.color.g, joints.color.b, joints.color.a = 0.2, 0.2, 0.25, 1.0
    joints.points = [Point(x=p[0], y=p[1], z=p[2]) for p in pts]
    out = MarkerArray()
    out.markers = [bones, joints]
    return out


def world_to_root(points_m: np.ndarray, q_root: np.ndarray) -> np.ndarray:
    """World points (N, 3) expressed in the floating base's frame given by ``q_root`` =
    (x, y, z m, qx, qy, qz, qw)."""
    x, y, z, w = (float(v) for v in (*q_root[3:6], q_root[6]))
    n = math.sqrt(x * x + y * y + z * z + w * w) or 1.0
    x, y, z, w = x / n, y / n, z / n, w / n
    rot = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    return (np.asarray(points_m, dtype=np.float64) - np.asarray(q_root[:3])) @ rot


def root_pose(q_root: np.ndarray, stamp_s: float, frame_id: str) -> PoseStamped:
    """Floating-base pose from ``q[:7]`` (xyz in m, quaternion xyzw) in ``frame_id``."""
    msg = PoseStamped()
    msg.header.stamp = to_time(stamp_s)
    msg.header.frame_id = frame_id
    x, y, z, qx, qy, qz, qw = (float(v) for v in q_root[:7])
    n = math.sqrt(qx * qx + qy * qy + qz * qz + qw * qw)
    if not n > 0:  # no rotation given (or NaN): identity, never an invalid pose
        qx, qy, qz, qw, n = 0.0, 0.0, 0.0, 1.0, 1.0
    msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = x, y, z
    o = msg.pose.orientation
    o.x, o.y, o.z, o.w = qx / n, qy / n, qz / n, qw / n
    return msg


__all__ = [
    "from_time",
    "hold_trajectory",
    "joint_state",
    "joint_trajectory",
    "root_pose",
    "skeleton_markers",
    "timed_trajectory",
    "to_duration",
    "to_time",
    "world_to_root",
]
