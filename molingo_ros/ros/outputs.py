"""What the node sends towards a robot: the lifecycle publishers of the trajectory, the joint
states, the joint command, the floating base (PoseStamped and TF) and the generated human
skeleton, and the messages built for them. Everything goes through the node's ``publish``
(which records it). Joint names are the robot description's (the URDF's, when the node was
given one with other names than the robot YAML's)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from geometry_msgs.msg import PoseStamped
from rclpy.lifecycle import LifecycleNode
from sensor_msgs.msg import JointState
from tf2_msgs.msg import TFMessage
from trajectory_msgs.msg import JointTrajectory
from visualization_msgs.msg import MarkerArray

from molingo_ros.robot.models import Robot
from molingo_ros.ros import messages as M
from molingo_ros.ros import params as P
from molingo_ros.ros.qos import reliable
from molingo_ros.ros.tf import root_transform, tf_message

Publish = Callable[[object, object], None]


class RobotOutputs:
    """The robot's publishers (created at configure, destroyed at cleanup).

    Args:
        node: the lifecycle node that owns them.
        cfg: the node's settings (topics, QoS depth, frames, markers).
        robot: the robot driven (joint order: ``robot.joint_names``; configurations as
            :class:`~molingo_ros.runtime.safety.SafeChunk`'s ``qpos``).
        publish: ``publish(publisher, message)``, the node's publish-and-record.
        joint_names: the names published for ``robot.joint_names`` (same order; default
            those).
    """

    def __init__(
        self,
        node: LifecycleNode,
        cfg: P.NodeConfig,
        robot: Robot,
        publish: Publish,
        joint_names: list[str] | None = None,
    ) -> None:
        self.node, self.cfg, self.robot, self._publish = node, cfg, robot, publish
        self.joint_names = list(joint_names or robot.joint_names)
        self.root_link = robot.root_link
        self.idle_q = robot.neutral()  # the pose shown before the first command (nq,)
        self.zero_v = np.zeros(len(self.joint_names))
        if cfg.tf_enabled and cfg.frame_id in ("", self.root_link):
            raise ValueError(
                f"frame_id {cfg.frame_id!r} cannot be the parent of the TF to the robot's root "
                f"link {self.root_link!r}: name the world frame (e.g. world), or set tf.enabled "
                "false"
            )
        depth, t = cfg.qos_depth, cfg.topics

        def pub(msg_type, key: str):
            return node.create_lifecycle_publisher(msg_type, t[key], reliable(depth))

        self.trajectory = pub(JointTrajectory, "joint_trajectory")
        self.joint_states = pub(JointState, "joint_states")
        self.joint_command = pub(JointState, "joint_command")
        self.root_pose = pub(PoseStamped, "root_pose")
        self.markers = pub(MarkerArray, "human_markers")
        self.tf = pub(TFMessage, "tf") if cfg.tf_enabled else None
        self.created_s = time.monotonic()  # for the discovery wait of the ownership check

    @property
    def publishers(self) -> list:
        pubs = [self.trajectory, self.joint_states, self.joint_command, self.root_pose]
        return pubs + [self.markers] + ([self.tf] if self.tf is not None else [])

    @property
    def robot_topics(self) -> tuple[str, str]:
        """The topics a robot takes commands from (one writer each)."""
        return self.trajectory.topic_name, self.joint_command.topic_name

    def destroy(self) -> None:
        for pub in self.publishers:
            self.node.destroy_lifecycle_publisher(pub)

    def publish_trajectory(self, times_s: np.ndarray, q: np.ndarray, v: np.ndarray) -> None:
        """The planned future: (K,) ROS times (s), (K, nq) configurations, (K, n) joint speeds
        (rad/s)."""
        joints = q[:, self.robot.joint_q_indices]
        msg = M.timed_trajectory(self.joint_names, times_s, joints, v)
        self._publish(self.trajectory, self._stamped(msg))

    def publish_hold(self, q: np.ndarray, now_s: float, settle_s: float) -> None:
        """A one-point trajectory to configuration ``q`` (nq,), reached ``settle_s`` after
        ``now_s`` (s, ROS time), zero velocity."""
        joints = q[self.robot.joint_q_indices]
        msg = M.hold_trajectory(self.joint_names, joints, now_s, max(settle_s, 1e-3))
        self._publish(self.trajectory, self._stamped(msg))

    def _stamped(self, msg):
        """``msg`` as ``stream.stamp_policy`` says: as built (clock) or from arrival (zero)."""
        if self.cfg.stamp_policy == "zero":
            return M.stamp_from_arrival(msg, self.node.get_clock().now().nanoseconds * 1e-9)
        return msg

    def publish_state(
        self, q: np.ndarray, v: np.ndarray, now_s: float, command: bool = True
    ) -> None:
        """The state due at ``now_s``: joint states (positions of ``q``, speeds ``v`` in
        rad/s), the floating base in ``frame_id`` (PoseStamped, and TF to the root link) and,
        with ``command``, the joint command (a robot follows it: only motion the node plans)."""
        js = M.joint_state(self.joint_names, q[self.robot.joint_q_indices], v, now_s)
        self._publish(self.joint_states, js)
        if command:
            self._publish(self.joint_command, js)
        self._publish(self.root_pose, M.root_pose(q, now_s, self.cfg.frame_id))
        if self.tf is not None:
            tf = root_transform(q, now_s, self.cfg.frame_id, self.root_link)
            self._publish(self.tf, tf_message([tf]))

    def publish_human(self, human: tuple[np.ndarray, np.ndarray], q: np.ndarray, now_s: float):
        """The generated human skeleton ((J, 3) positions in m, world frame; (J,) parents),
        drawn ``markers.offset_y_m`` to the robot's side, in ``markers.frame_id`` (the world,
        or the robot's root link of configuration ``q``)."""
        pts = human[0] + np.array([0.0, self.cfg.markers_offset_y_m, 0.0])
        frame = self.cfg.markers_frame_id
        if frame != self.cfg.frame_id:  # into the robot's root link frame
            pts = M.world_to_root(pts, q[:7])
        self._publish(self.markers, M.skeleton_markers(pts, human[1], now_s, frame))


__all__ = ["RobotOutputs"]
