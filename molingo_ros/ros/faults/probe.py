"""The fault suite's view of molingo_node: a client node in its own rclpy Context, spun in a
thread.

It records, with the publisher of each message (its DDS GID, so that two nodes with one name
are told apart): the JointTrajectory topic, ``/joint_states``, ``/joint_command`` and the
node's status (transient local). It sends commands (std_msgs/String, MotionCommand, raw
bytes), action goals, and reads the ROS graph (publisher counts) and the lifecycle state.

Receive times (``recv_s``) are wall-clock seconds (``time.time()``, the ROS clock here);
joint positions are in rad in the robot's joint order, velocities in rad/s.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

import numpy as np
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory

from molingo_ros.action import GenerateMotion
from molingo_ros.msg import MotionCommand, MotionStatus
from molingo_ros.ros.goal_client import GoalClient
from molingo_ros.ros.messages import from_time, to_time

NODE = "/molingo_node"
TRAJ_TOPIC = "/joint_trajectory_controller/joint_trajectory"
JS_TOPIC = "/molingo_node/joint_states"
CMD_TOPIC = "/joint_command"
STATUS_TOPIC = f"{NODE}/status"
OUTPUT_TOPICS = (TRAJ_TOPIC, JS_TOPIC, CMD_TOPIC)


@dataclass(frozen=True)
class TrajRecord:
    """One JointTrajectory: stamp (s), time_from_start (s, (N,)), positions (rad, (N, J)),
    velocities (rad/s, (N, J))."""

    recv_s: float
    source: str
    stamp_s: float
    tfs: np.ndarray
    positions: np.ndarray
    velocities: np.ndarray

    @property
    def is_hold(self) -> bool:
        """A one-point message: the node's hold."""
        return len(self.tfs) == 1


@dataclass(frozen=True)
class StateRecord:
    """One JointState: stamp (s), positions (rad, (J,)), velocities (rad/s, (J,))."""

    recv_s: float
    source: str
    stamp_s: float
    positions: np.ndarray
    velocities: np.ndarray


@dataclass(frozen=True)
class StatusRecord:
    recv_s: float
    source: str
    stamp_s: float
    state: str
    command_id: str
    text: str
    error: str


def _source(info) -> str:
    """A short id of the node that published a message (hex of the first 12 bytes of the
    publisher's GID: the participant's prefix, shared by every publisher of one node), ""
    when unknown. Two nodes with one name differ in it; two publishers of one node do not."""
    gid = (info or {}).get("publisher_gid") if isinstance(info, dict) else None
    data = (gid or {}).get("data") if isinstance(gid, dict) else None
    return bytes(data).hex()[:24] if data is not None else ""


def _qos(depth: int, latched: bool = False) -> QoSProfile:
    return QoSProfile(
        depth=depth,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE,
    )


class Probe:
    """A client of one molingo_node (or of every node named so) in ROS domain ``domain``.

    Args:
        domain: ROS_DOMAIN_ID.
        joint_names: the robot's joints, the order positions are stored in.
        action_depth: history depth of the action client's services (requests kept).
    """

    _count = 0

    def __init__(self, domain: int, joint_names: list[str], action_depth: int = 1000) -> None:
        os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
        self.domain = domain
        self.joint_names = list(joint_names)
        self.ctx = Context()
        rclpy.init(context=self.ctx, domain_id=domain)
        Probe._count += 1
        name = f"molingo_faults_probe_{os.getpid()}_{Probe._count}"
        self.node = n = Node(name, context=self.ctx)
        self.lock = threading.Lock()
        self.traj: list[TrajRecord] = []
        self.js: list[StateRecord] = []
        self.cmd_js: list[StateRecord] = []
        self.status: list[StatusRecord] = []
        self.last_recv_s = 0.0
        n.create_subscription(JointTrajectory, TRAJ_TOPIC, self._on_traj, _qos(1000))
        n.create_subscription(JointState, JS_TOPIC, self._state_cb(self.js), _qos(1000))
        n.create_subscription(JointState, CMD_TOPIC, self._state_cb(self.cmd_js), _qos(1000))
        n.create_subscription(MotionStatus, STATUS_TOPIC, self._on_status, _qos(1000, True))
        self.text_pub = n.create_publisher(String, f"{NODE}/command", _qos(1000))
        self.cmd_pub = n.create_publisher(MotionCommand, f"{NODE}/motion_command", _qos(1000))
        svc = QoSProfile(depth=action_depth, reliability=ReliabilityPolicy.RELIABLE)
        self.goals = GoalClient(
            n,
            f"{NODE}/generate",
            goal_service_qos_profile=svc,
            result_service_qos_profile=svc,
            cancel_service_qos_profile=svc,
        )
        self.action = self.goals.action
        self.executor = SingleThreadedExecutor(context=self.ctx)
        self.executor.add_node(n)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    # -- receiving ---------------------------------------------------------------------------

    def _spin(self) -> None:
        try:
            self.executor.spin()
        except Exception:  # noqa: BLE001 - ends with the context
            pass

    def _order(self, names) -> np.ndarray | None:
        names = list(names)
        if names == self.joint_names:
            return None
        pos = {n: i for i, n in enumerate(names)}
        return np.array([pos.get(n, -1) for n in self.joint_names])

    def _reorder(self, a: np.ndarray, order: np.ndarray | None) -> np.ndarray:
        if order is None or a.size == 0:
            return a
        out = np.full(a.shape[:-1] + (len(order),), np.nan)
        ok = order >= 0
        out[..., ok] = a[..., order[ok]]
        return out

    def _on_traj(self, msg: JointTrajectory, info) -> None:
        order = self._order(msg.joint_names)
        pos = np.array([p.positions for p in msg.points], float).reshape(len(msg.points), -1)
        vel = np.array([p.velocities for p in msg.points], float).reshape(len(msg.points), -1)
        rec = TrajRecord(
            time.time(),
            _source(info),
            from_time(msg.header.stamp),
            np.array([from_time(p.time_from_start) for p in msg.points]),
            self._reorder(pos, order),
            self._reorder(vel, order),
        )
        with self.lock:
            self.traj.append(rec)
            self.last_recv_s = rec.recv_s

    def _state_cb(self, store: list):
        def cb(msg: JointState, info) -> None:
            order = self._order(msg.name)
            rec = StateRecord(
                time.time(),
                _source(info),
                from_time(msg.header.stamp),
                self._reorder(np.array(msg.position, float), order),
                self._reorder(np.array(msg.velocity, float), order),
            )
            with self.lock:
                store.append(rec)
                self.last_recv_s = rec.recv_s

        return cb

    def _on_status(self, msg: MotionStatus, info) -> None:
        rec = StatusRecord(
            time.time(),
            _source(info),
            from_time(msg.header.stamp),
            msg.state,
            msg.command_id,
            msg.text,
            msg.error,
        )
        with self.lock:
            self.status.append(rec)
            self.last_recv_s = rec.recv_s

    # -- queries -----------------------------------------------------------------------------

    def mark(self) -> dict[str, int]:
        """Current lengths of the records, for :meth:`since`."""
        with self.lock:
            return {k: len(getattr(self, k)) for k in ("traj", "js", "cmd_js", "status")}

    def since(self, mark: dict[str, int] | None, kind: str) -> list:
        """Records of ``kind`` (traj, js, cmd_js, status) received after ``mark``."""
        with self.lock:
            return list(getattr(self, kind)[(mark or {}).get(kind, 0) :])

    def statuses(
        self, command_id: str | None = None, states: tuple[str, ...] | None = None, mark=None
    ) -> list[StatusRecord]:
        """Statuses since ``mark``, of ``command_id`` and in ``states`` when given."""
        return [
            s
            for s in self.since(mark, "status")
            if (command_id is None or s.command_id == command_id)
            and (states is None or s.state in states)
        ]

    def wait_status(
        self, command_id: str | None, states: tuple[str, ...], timeout_s: float, mark=None
    ) -> StatusRecord | None:
        """The first status of ``command_id`` in ``states`` (after ``mark``), waiting up to
        ``timeout_s`` (s); None when none came."""
        end = time.monotonic() + timeout_s
        while True:
            found = self.statuses(command_id, states, mark)
            if found or time.monotonic() > end:
                return found[0] if found else None
            time.sleep(0.02)

    def publisher_counts(self) -> dict[str, int]:
        """Publishers the ROS graph shows on the output topics and the status topic."""
        return {t: self.node.count_publishers(t) for t in (*OUTPUT_TOPICS, STATUS_TOPIC)}

    def lifecycle_state(self, timeout_s: float = 5.0) -> str:
        """The label of ``/molingo_node/get_state`` ("active", "unconfigured", ...), or
        "unreachable". With two nodes of one name, whichever answers first."""
        from lifecycle_msgs.srv import GetState

        cli = self.node.create_client(GetState, f"{NODE}/get_state")
        try:
            if not cli.wait_for_service(timeout_sec=timeout_s):
                return "unreachable"
            fut = cli.call_async(GetState.Request())
            end = time.monotonic() + timeout_s
            while not fut.done() and time.monotonic() < end:
                time.sleep(0.02)
            return fut.result().current_state.label if fut.done() else "unreachable"
        finally:
            self.node.destroy_client(cli)

    def ready(self) -> bool:
        """The node answered: a status came, and the command topic and the action are up."""
        return bool(
            self.statuses(states=("idle",))
            and self.action.server_is_ready()
            and self.cmd_pub.get_subscription_count() > 0
            and self.text_pub.get_subscription_count() > 0
        )

    def wait_active(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` (s) for :meth:`ready` and the lifecycle state "active",
        then for the answer to one refused goal (answered, or followed when its answer is lost:
        :mod:`molingo_ros.ros.goal_client`), so that the node has matched this probe's action
        endpoints before a scenario counts the goals answered."""
        end = time.monotonic() + timeout_s
        if not wait_until(self.ready, timeout_s):
            return False
        if not wait_until(
            lambda: self.lifecycle_state(2.0) == "active", max(0.0, end - time.monotonic()), 0.2
        ):
            return False
        first = GenerateMotion.Goal(command=self.command("open the door", cid="probe-door"))
        return self.goals.send(first).wait(max(1.0, end - time.monotonic())) is not None

    # -- sending -----------------------------------------------------------------------------

    @staticmethod
    def command(
        text: str,
        duration_s: float = 1.0,
        mode: int = 0,
        cid: str = "",
        seed: int = 1,
        stamp_s: float | None = None,
    ) -> MotionCommand:
        """A MotionCommand stamped now (or at ``stamp_s``, s)."""
        msg = MotionCommand()
        msg.text, msg.duration_s, msg.mode, msg.id, msg.seed = text, duration_s, mode, cid, seed
        msg.header.stamp = to_time(time.time() if stamp_s is None else stamp_s)
        return msg

    def send(self, msg: MotionCommand) -> float:
        """Publish a MotionCommand; returns the send time (s)."""
        t = time.time()
        self.cmd_pub.publish(msg)
        return t

    def send_text(self, text: str | bytes) -> float:
        """Publish on the String command topic (``bytes``: an already serialised message)."""
        t = time.time()
        self.text_pub.publish(text if isinstance(text, bytes) else String(data=text))
        return t

    def goal(self, msg: MotionCommand):
        """send_goal_async of the GenerateMotion action (a future of the goal handle)."""
        return self.action.send_goal_async(GenerateMotion.Goal(command=msg))

    def close(self) -> None:
        """Stop spinning and shut this probe's context down."""
        try:
            self.executor.shutdown(timeout_sec=1.0)
            self.goals.destroy()
            self.node.destroy_node()
        finally:
            rclpy.try_shutdown(context=self.ctx)
            self._thread.join(timeout=5)


def wait_until(predicate, timeout_s: float, step_s: float = 0.05) -> bool:
    """Poll ``predicate`` until true or ``timeout_s`` (s) passed; returns its last value."""
    end = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() > end:
            return False
        time.sleep(step_s)


__all__ = [
    "CMD_TOPIC",
    "JS_TOPIC",
    "OUTPUT_TOPICS",
    "STATUS_TOPIC",
    "TRAJ_TOPIC",
    "Probe",
    "StateRecord",
    "StatusRecord",
    "TrajRecord",
    "wait_until",
]
