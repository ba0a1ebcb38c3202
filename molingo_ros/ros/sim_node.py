"""molingo_sim: the embedded simulator. Plays what molingo_node publishes on the robot's
MuJoCo model, as a simulator would, and checks it.

- subscribes the JointTrajectory stream (the topic a ros2_control joint_trajectory_controller
  listens to) and the root pose, and follows them like that controller: each message replaces
  the plan from its first point; between points the joints are interpolated; after the end
  the last pose is held;
- plays them on the MuJoCo Menagerie model of the same robot: kinematic replay with the
  floating base (default), or under physics (``physics: true``): the whole-body controller
  (molingo_ros.sim.wbc) follows the stream with the feet on the floor, and the report says
  whether the robot stayed up, how closely it tracked and what the feet carried;
- publishes ``joint_states`` (what the simulated robot does; relative: under its namespace)
  and, with ``publish_clock: true``, its wall clock on ``/clock`` (for nodes on sim time);
- a trajectory stamped 0 starts on arrival (as joint_trajectory_controller does);
- keeps frames and renders them offscreen to MP4/GIF at shutdown (``video``), with the
  generated human skeleton (the node's markers) beside the robot;
- checks what it receives (joint order by name, points out of limits, stamps going back,
  trajectories arriving after the plan ran out) and where the feet are; writes a JSON report
  (``report``) at shutdown.

Run: ``molingo_sim --ros-args -p robot:=g1 -p video:=out/sim.mp4 -p report:=out/sim.json``.
molingo_node publishes its commanded state on ``~/joint_states``, so the two do not collide.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pinocchio as pin
import rclpy
from geometry_msgs.msg import PoseStamped
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory
from visualization_msgs.msg import Marker, MarkerArray

from molingo_ros.robot import DEFAULT_ROBOT
from molingo_ros.robot.models import load_robot
from molingo_ros.ros.messages import from_time, joint_state, to_time
from molingo_ros.ros.spin import close, spin_until_signal
from molingo_ros.sim.player import MujocoRobot, SceneRenderer, write_video
from molingo_ros.sim.timeline import TrajectoryTimeline
from molingo_ros.sim.tracking import PhysicsTracker

PARAMS = {
    "robot": DEFAULT_ROBOT,
    "rate_hz": 30.0,
    "physics": False,
    "video": "",
    "video_fps": 10.0,
    "video_width": 640,
    "video_height": 480,
    "report": "",
    "publish_clock": False,
    "topics.joint_trajectory": "joint_trajectory_controller/joint_trajectory",
    "topics.root_pose": "molingo_node/root_pose",
    "topics.human_markers": "molingo_node/human_markers",
    "topics.joint_states": "joint_states",
    "topics.clock": "/clock",
}


PHYSICS_DELAY_S = 0.25
"""Under physics the robot follows the stream this late (s): the root pose of an instant
arrives only when it is due, and the controller needs it a little ahead (the reference's
velocity and acceleration are central differences over 0.1 s)."""

MAX_PHYSICS_STEP_S = 0.1
"""Physics advances at most this much per tick; when the machine is slower than real time the
rest of the stream's time is skipped (counted in the report's ``physics.skipped_s``)."""


class SimNode(Node):
    def __init__(self) -> None:
        super().__init__("molingo_sim")
        for name, default in PARAMS.items():
            self.declare_parameter(name, default)
        p = {name: self.get_parameter(name).value for name in PARAMS}
        self.p = p
        self.robot = load_robot(p["robot"])
        self.sim = MujocoRobot(self.robot)
        self.timeline = TrajectoryTimeline(
            self.robot.joint_names, self.robot.lower, self.robot.upper
        )
        self.physics = PhysicsTracker(self.robot, self.sim) if p["physics"] else None
        self._physics_origin = 0.0  # the ROS time of the tracker's time 0
        self.physics_skipped_s = 0.0  # stream time skipped because physics ran late
        self.lock = threading.Lock()
        self.roots: list[tuple[float, np.ndarray]] = []  # (stamp, x y z qx qy qz qw)
        self.skeleton: tuple[float, np.ndarray, np.ndarray] | None = None
        self.states: list[tuple[float, np.ndarray, tuple | None]] = []  # video frames
        self.stamps: list[float] = []  # stamps of the streamed messages, in arrival order
        self.feet: list[float] = []
        self.root_z: list[float] = []
        self.fell_at: float | None = None
        self.frames_played = 0
        self._last_video_t = -np.inf
        self._started = False
        qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        self.create_subscription(JointTrajectory, p["topics.joint_trajectory"], self._on_traj, qos)
        self.create_subscription(PoseStamped, p["topics.root_pose"], self._on_root, qos)
        self.create_subscription(MarkerArray, p["topics.human_markers"], self._on_markers, qos)
        self.js_pub = self.create_publisher(JointState, p["topics.joint_states"], 10)
        self.clock_pub = (
            self.create_publisher(Clock, p["topics.clock"], 10) if p["publish_clock"] else None
        )
        self.create_timer(1.0 / float(p["rate_hz"]), self._tick)
        self.get_logger().info(
            f"molingo_sim: {self.robot.name} from {self.sim.path.name}, "
            f"{'physics (whole-body controller)' if self.physics else 'kinematic replay'}"
        )

    def now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_traj(self, msg: JointTrajectory) -> None:
        offsets = np.array([from_time(pt.time_from_start) for pt in msg.points])
        positions = np.array([list(pt.positions) for pt in msg.points])
        stamp = from_time(msg.header.stamp)
        if stamp == 0.0:  # stamp 0: the trajectory starts when it arrives
            stamp = self.now_s()
        with self.lock:
            if len(msg.points) > 1:
                self.stamps.append(stamp)
            ok = self.timeline.add(stamp, list(msg.joint_names), offsets, positions, self.now_s())
        if not ok:
            self.get_logger().warning(f"trajectory refused: {self.timeline.report.notes[-1]}")

    def _on_root(self, msg: PoseStamped) -> None:
        p, o = msg.pose.position, msg.pose.orientation
        with self.lock:
            self.roots.append(
                (from_time(msg.header.stamp), np.array([p.x, p.y, p.z, o.x, o.y, o.z, o.w]))
            )
            if len(self.roots) > 300:
                del self.roots[:100]

    def _on_markers(self, msg: MarkerArray) -> None:
        for m in msg.markers:
            if m.type == Marker.SPHERE_LIST:
                pts = np.array([[q.x, q.y, q.z] for q in m.points])
                bones = next((b for b in msg.markers if b.type == Marker.LINE_LIST), None)
                parents = _parents_from_bones(pts, bones)
                with self.lock:
                    self.skeleton = (from_time(m.header.stamp), pts, parents)

    def _root_at(self, t: float) -> np.ndarray | None:
        """The root pose at ``t``: interpolated between the poses stamped around it (position
        linearly, orientation by slerp), the first or last one outside them."""
        if not self.roots:
            return None
        stamps = [s for s, _ in self.roots]
        k = int(np.searchsorted(stamps, t, side="right"))
        if k == 0:
            return self.roots[0][1]
        if k == len(stamps):
            return self.roots[-1][1]
        (s0, a), (s1, b) = self.roots[k - 1], self.roots[k]
        w = (t - s0) / (s1 - s0) if s1 > s0 else 1.0
        return interpolate_pose(a, b, w)

    def _reference(self, t: float) -> np.ndarray | None:
        """The configuration the stream asks for at ROS time ``t`` (None: nothing yet)."""
        joints = self.timeline.sample(t)
        root = self._root_at(t)
        if joints is None or root is None:
            return None
        return np.concatenate([root, joints])

    def _tick(self) -> None:
        t = self.now_s()
        if self.clock_pub is not None:
            self.clock_pub.publish(Clock(clock=to_time(t)))
        with self.lock:
            q = self._reference(t)
            skeleton = self.skeleton
            if q is not None and self.physics is not None:
                self._physics_tick(q, t)
            self.timeline.forget_before(t - 2.0)
        if q is None:
            return
        if self.physics is None or not self._started:
            self.sim.set_configuration(q)  # kinematic (before physics has started)
        self.frames_played += 1
        self.feet.append(self.sim.foot_height_z())
        self.root_z.append(self.sim.root_height())
        actual, velocity = self.sim.state()
        v = velocity[6:] if self.physics is not None else np.zeros(self.robot.num_joints)
        self.js_pub.publish(joint_state(self.robot.joint_names, actual[7:], v, t))
        if self.p["video"] and t - self._last_video_t >= 1.0 / float(self.p["video_fps"]) - 1e-6:
            self._last_video_t = t
            sk = None if skeleton is None else (skeleton[1].copy(), skeleton[2])
            self.states.append((t, actual.copy(), sk))

    def _physics_tick(self, q: np.ndarray, t: float) -> None:
        """Advance physics to ROS time ``t`` - ``PHYSICS_DELAY_S``, the controller following
        the stream (called with the lock held). It starts at the first instant the plan
        covers (before it, the timeline only repeats the plan's first frame, which need not
        match the root pose of that instant)."""
        tracker = self.physics
        follow = t - PHYSICS_DELAY_S
        if not self._started:
            start = self._reference(follow)
            planned = len(self.timeline.times) and follow >= self.timeline.times[0]
            if start is None or not planned:
                return
            tracker.start(start)
            self._physics_origin = follow
            self._started = True
            return

        def reference(tt: float) -> np.ndarray:
            ref = self._reference(self._physics_origin + tt)
            return q if ref is None else ref

        behind = follow - self._physics_origin - tracker.time_s
        if behind <= 0.0:
            return
        if behind > MAX_PHYSICS_STEP_S:  # a slow machine: skip ahead rather than fall behind
            self._physics_origin += behind - MAX_PHYSICS_STEP_S
            self.physics_skipped_s += behind - MAX_PHYSICS_STEP_S
            behind = MAX_PHYSICS_STEP_S
        tracker.advance(reference, behind)
        if self.fell_at is None and tracker.fell_at_s is not None:
            self.fell_at = self._physics_origin + tracker.fell_at_s
            self.get_logger().warning(f"the robot fell at t={self.fell_at:.2f}")

    # -- end ---------------------------------------------------------------------------------

    def report(self) -> dict:
        stamps = np.array(self.stamps)
        feet = np.array(self.feet) if self.feet else np.zeros(1)
        out = {
            "robot": self.robot.name,
            "mode": "physics" if self.physics else "kinematic",
            **self.timeline.report.to_dict(),
            "stamps_increasing": bool(np.all(np.diff(stamps) > 0)) if len(stamps) > 1 else True,
            "streamed_stamps": [round(float(s), 6) for s in stamps],
            "frames_played": self.frames_played,
            "feet_min_height_m": float(feet.min()),
            "feet_max_low_height_m": float(np.percentile(feet, 99)),
            "root_height_min_m": float(min(self.root_z)) if self.root_z else None,
            "fell_at": self.fell_at,
            "upright": self.fell_at is None,
        }
        if self.physics is not None and self._started:
            out["physics"] = {
                **self.physics.report().summary(),
                "skipped_s": round(self.physics_skipped_s, 3),
            }
        return out

    def finish(self) -> None:
        """Write the report and the video (called once, at shutdown)."""
        rep = self.report()
        if self.p["video"] and self.states:
            t0 = time.perf_counter()
            renderer = SceneRenderer(
                self.sim, int(self.p["video_width"]), int(self.p["video_height"])
            )
            frames = []
            for _, q, sk in self.states:
                self.sim.set_configuration(q)
                look = q[:3] + np.array([0.0, 0.5, 0.0])
                frames.append(renderer.render(sk, look_at=look))
            renderer.close()
            path = write_video(frames, self.p["video"], float(self.p["video_fps"]))
            rep["video"] = str(path)
            rep["video_frames"] = len(frames)
            rep["render_s"] = round(time.perf_counter() - t0, 1)
            print(f"[molingo_sim] video: {path} ({len(frames)} frames)", file=sys.stderr)
        if self.p["report"]:
            Path(self.p["report"]).parent.mkdir(parents=True, exist_ok=True)
            Path(self.p["report"]).write_text(json.dumps(rep, indent=1))
            print(f"[molingo_sim] report: {self.p['report']}", file=sys.stderr)


def interpolate_pose(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """The pose (x y z qx qy qz qw) ``w`` of the way from ``a`` to ``b``: position linearly,
    orientation by slerp."""
    qa = pin.Quaternion(a[6], *a[3:6])
    qb = pin.Quaternion(b[6], *b[3:6])
    qw = qa.slerp(float(np.clip(w, 0.0, 1.0)), qb)
    return np.concatenate([(1.0 - w) * a[:3] + w * b[:3], [qw.x, qw.y, qw.z, qw.w]])


def _parents_from_bones(points: np.ndarray, bones: Marker | None) -> np.ndarray:
    """Parent index of each joint from the LINE_LIST (pairs parent -> child)."""
    parents = -np.ones(len(points), dtype=np.int64)
    if bones is None:
        return parents
    seg = np.array([[q.x, q.y, q.z] for q in bones.points])
    for a, b in zip(seg[0::2], seg[1::2], strict=False):
        ia = int(np.argmin(np.linalg.norm(points - a, axis=1)))
        ib = int(np.argmin(np.linalg.norm(points - b, axis=1)))
        parents[ib] = ia
    return parents


def main(argv: list[str] | None = None) -> int:
    rclpy.init(
        args=argv if argv is not None else sys.argv, signal_handler_options=SignalHandlerOptions.NO
    )
    node = SimNode()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        spin_until_signal(executor)
    finally:
        try:
            node.finish()  # report and video, with the context still up
        finally:
            close(executor, node)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
