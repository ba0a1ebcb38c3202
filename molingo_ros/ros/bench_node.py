"""Latency of molingo_node as another process sees it (``python -m molingo_ros.bench --ros``).

Starts the node as its own process (Fast DDS, a private ROS_DOMAIN_ID, localhost discovery,
recording a bag), sends commands from this process and measures:

- command sent -> first JointTrajectory chunk received (text encoding, generation of one
  window, retargeting, validation, DDS);
- chunk publish -> receive: the publish time is the bag's record time of the same chunk (the
  node writes it right after ``publish``), matched by the chunk's header stamp;
- JointState publish (its header stamp) -> receive.

All clocks are this machine's wall clock (ROS time = system time here).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from molingo_ros.ros.messages import from_time, to_time
from molingo_ros.ros.node_env import node_env

_REPO = Path(__file__).resolve().parents[2]
TRAJECTORY_TOPIC = "/joint_trajectory_controller/joint_trajectory"
TEXTS = (
    "a person walks forward",
    "a person waves the right hand",
    "a person bows",
    "a person runs",
    "a person raises both hands",
    "a person kicks",
)
"""The commands' texts, in turn; each is sent with a new suffix `` (<i>)`` (nothing cached)."""

SHOULDERS = ("left_shoulder_pitch_joint", "right_shoulder_pitch_joint")
"""The G1 joints :meth:`LatencyProbe.replace_reaction` watches."""

Chunk = tuple[float, float, int]
"""A JointTrajectory received: (receive wall time s, header stamp s, number of points)."""


def latency_summary(values_s: Sequence[float]) -> str:
    """Median and 99th percentile of latencies given in seconds, printed in ms."""
    if len(values_s) == 0:
        return "not measured (n=0)"
    a = np.asarray(values_s) * 1000
    return f"median {np.median(a):.1f} ms, p99 {np.percentile(a, 99):.1f} ms (n={len(a)})"


def start_node(
    workdir: Path, domain: int, bag: Path, parameters: Sequence[str] = ()
) -> subprocess.Popen:
    """``molingo_node`` with config/molingo.yaml in ROS domain ``domain``, recording ``bag``,
    with further ``parameters`` (``name:=value``); its output goes to ``workdir/node.log``,
    its ROS logs under ``workdir/roslog``."""
    node_bin = Path(sys.executable).parent / "molingo_node"
    with open(workdir / "node.log", "w") as log:
        return subprocess.Popen(
            [
                str(node_bin),
                "--ros-args",
                "--params-file",
                str(_REPO / "config" / "molingo.yaml"),
                "-p",
                "record.enabled:=true",
                "-p",
                f"record.path:={bag}",
                *[arg for p in parameters for arg in ("-p", p)],
            ],
            cwd=_REPO,
            env=node_env(domain, workdir),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


class LatencyProbe:
    """The measuring side: a node (``molingo_bench``) in its own rclpy context in ROS domain
    ``domain``, spun in a daemon thread, that records every trajectory chunk and the latency of
    every JointState and publishes commands (MotionCommand and the text topic)."""

    def __init__(self, domain: int) -> None:
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.context import Context
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.node import Node
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import JointState
        from std_msgs.msg import String
        from trajectory_msgs.msg import JointTrajectory

        from molingo_ros.msg import MotionCommand

        os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
        self._ctx = Context()
        rclpy.init(context=self._ctx, domain_id=domain)
        self._node = Node("molingo_bench", context=self._ctx)
        self._lock = threading.Lock()
        self._chunks: list[Chunk] = []
        self.joint_state_latencies: list[float] = []
        """JointState header stamp -> receive (s), one per message."""
        self.last_joint_state: tuple[float, dict[str, float]] | None = None
        """The last commanded JointState: (receive wall time s, joint name -> position rad)."""
        qos = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        self._node.create_subscription(JointTrajectory, TRAJECTORY_TOPIC, self._on_traj, qos)
        self._node.create_subscription(
            JointState, "/molingo_node/joint_states", self._on_joint_state, qos
        )
        self._cmd_pub = self._node.create_publisher(
            MotionCommand, "/molingo_node/motion_command", 10
        )
        self._text_pub = self._node.create_publisher(String, "/molingo_node/command", 10)
        self.breakdowns: dict[str, dict[str, float]] = {}
        """Command id -> the node's first-chunk stages (ms), from its /diagnostics."""
        self._node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, qos)
        self._executor = SingleThreadedExecutor(context=self._ctx)
        self._executor.add_node(self._node)
        threading.Thread(target=self._executor.spin, daemon=True).start()

    def _on_traj(self, msg) -> None:
        with self._lock:
            self._chunks.append((time.time(), from_time(msg.header.stamp), len(msg.points)))

    def _on_joint_state(self, msg) -> None:
        self.joint_state_latencies.append(time.time() - from_time(msg.header.stamp))
        self.last_joint_state = (time.time(), dict(zip(msg.name, msg.position, strict=False)))

    def _on_diagnostics(self, msg) -> None:
        for status in msg.status:
            values = {kv.key: kv.value for kv in status.values}
            cid = values.get("first_chunk.command")
            if cid:
                prefix, suffix = "first_chunk.", "_ms"
                self.breakdowns[cid] = {
                    k[len(prefix) : -len(suffix)]: float(v)
                    for k, v in values.items()
                    if k.startswith(prefix) and k.endswith(suffix)
                }

    def chunks(self, since: int = 0) -> list[Chunk]:
        """The chunks received, from the ``since``-th on."""
        with self._lock:
            return self._chunks[since:]

    def wait_ready(self, proc: subprocess.Popen, log: Path, timeout_s: float = 120) -> None:
        """Until the node subscribes the commands and its ``log`` says "ready"; RuntimeError
        when it exits first or after ``timeout_s`` (s)."""
        deadline = time.monotonic() + timeout_s
        while self._cmd_pub.get_subscription_count() == 0 or "ready" not in log.read_text():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"molingo_node did not start; see {log}")
            time.sleep(0.1)

    def _command(self, text: str, duration_s: float, seed: int, command_id: str = ""):
        """A MotionCommand (replace mode), not stamped yet."""
        from molingo_ros.msg import MotionCommand

        msg = MotionCommand()
        msg.text, msg.duration_s, msg.seed, msg.id = text, duration_s, seed, command_id
        return msg

    def first_chunk_latency(
        self, text: str, duration_s: float, seed: int, command_id: str = ""
    ) -> float:
        """Send a command stamped now; seconds until its first chunk is received (RuntimeError
        after 10 s). The node's breakdown arrives later in :attr:`breakdowns`."""
        n0 = len(self.chunks())
        msg = self._command(text, duration_s, seed, command_id)
        sent = time.time()
        msg.header.stamp = to_time(sent)
        self._cmd_pub.publish(msg)
        while True:
            new = self.chunks(n0)
            if new:
                return new[0][0] - sent
            if time.time() - sent > 10:
                raise RuntimeError("no chunk within 10 s")
            time.sleep(0.001)

    def _start_walk(self, duration_s: float, seed: int) -> None:
        """Send a walk of ``duration_s`` stamped now; return once its first chunk is received
        (or after 10 s)."""
        msg = self._command("walk forward", duration_s, seed)
        msg.header.stamp = to_time(time.time())
        n0 = len(self.chunks())
        self._cmd_pub.publish(msg)
        deadline = time.time() + 10
        while time.time() < deadline and not self.chunks(n0):
            time.sleep(0.001)

    def stop_latency(self, seed: int) -> float | None:
        """Start a long walk, and once it streams send "stop" on ~/command (std_msgs/String);
        the time (s) until the one-point hold trajectory is received (None: not within 5 s)."""
        from std_msgs.msg import String

        self._start_walk(10.0, seed)
        time.sleep(1.0)  # streaming
        n1 = len(self.chunks())
        sent = time.time()
        self._text_pub.publish(String(data="stop"))
        latency = None
        while time.time() - sent < 5:
            hold = [c for c in self.chunks(n1) if c[2] == 1]
            if hold:
                latency = hold[0][0] - sent
                break
            time.sleep(0.0005)
        time.sleep(0.5)
        return latency

    def replace_reaction(
        self, seed: int, joints: Sequence[str] = SHOULDERS, angle_rad: float = 1.0
    ) -> float | None:
        """Start a long walk and, once it has streamed for 1.5-2.4 s (varied by ``seed``),
        replace it with "raise both hands"; the time (s) until each of ``joints`` (commanded
        joint states) is ``angle_rad`` from its angle when the command was sent (None: not
        within 6 s)."""
        from std_msgs.msg import String

        self._start_walk(12.0, seed)
        time.sleep(1.5 + 0.1 * (seed % 10))  # walking
        up = self._command("raise both hands", 4.0, seed)
        sent = time.time()
        up.header.stamp = to_time(sent)
        start = dict(self.last_joint_state[1])
        self._cmd_pub.publish(up)
        latency = None
        while time.time() - sent < 6:
            received, now = self.last_joint_state
            if received > sent and all(abs(now[j] - start[j]) >= angle_rad for j in joints):
                latency = received - sent
                break
            time.sleep(0.002)
        self._text_pub.publish(String(data="stop"))
        time.sleep(1.0)
        return latency

    def close(self) -> None:
        """Stop spinning, destroy the node and shut the context down."""
        import rclpy

        self._executor.shutdown(timeout_sec=1.0)
        self._node.destroy_node()
        rclpy.try_shutdown(context=self._ctx)


def bag_publish_times(bag: Path) -> dict[float, float]:
    """Header stamp (s) -> the bag's record time (s) of each JointTrajectory in ``bag``."""
    from rosbags.rosbag2 import Reader

    from molingo_ros.ros.recorder import project_typestore

    store = project_typestore()
    published: dict[float, float] = {}
    with Reader(bag) as reader:
        for conn, t_ns, raw in reader.messages():
            if conn.topic == TRAJECTORY_TOPIC:
                m = store.deserialize_cdr(raw, conn.msgtype)
                published[from_time(m.header.stamp)] = t_ns * 1e-9
    return published


def chunk_latencies(chunks: Sequence[Chunk], published: dict[float, float]) -> list[float]:
    """Publish -> receive (s) of each streamed chunk (more than one point) whose stamp is in
    ``published`` (:func:`bag_publish_times`)."""
    return [recv - published[stamp] for recv, stamp, n in chunks if stamp in published and n > 1]


def latency_rows(
    first: Sequence[float],
    chunks: Sequence[float],
    joint_states: Sequence[float],
    stops: Sequence[float],
    replacements: Sequence[float] = (),
) -> list[tuple[str, str]]:
    """The benchmark's table rows (what, :func:`latency_summary`) from latencies in s."""
    rows = [
        (
            "command sent -> first JointTrajectory chunk received (new text each time)",
            latency_summary(first),
        ),
        (
            "JointTrajectory chunk (32 points x 29 joints) publish -> receive",
            latency_summary(chunks),
        ),
        ("JointState publish -> receive", latency_summary(joint_states)),
        (
            '"stop" sent (std_msgs/String) -> hold JointTrajectory received, while streaming',
            latency_summary(stops),
        ),
    ]
    if replacements:
        rows.append(
            (
                '"raise both hands" replacing a walk -> both shoulder pitches 1 rad from their '
                "angle at the command (commanded joint states)",
                reaction_summary(replacements),
            )
        )
    return rows


def breakdown_rows(stages: Sequence[dict[str, float]]) -> list[tuple[str, str]]:
    """Rows of the node's own first-chunk stages (ms per command, from its /diagnostics):
    median and p99 of each, in path order."""
    from molingo_ros.runtime.latency import STAGES

    rows = []
    for name in (*STAGES, "total"):
        values = [s[name] / 1000 for s in stages if name in s]
        if values:
            rows.append((f"... in the node: {name}", latency_summary(values)))
    return rows


def reaction_summary(values_s: Sequence[float]) -> str:
    """Median and maximum of reaction times given in seconds."""
    if len(values_s) == 0:
        return "not measured (n=0)"
    a = np.asarray(values_s)
    return f"median {np.median(a):.2f} s, max {a.max():.2f} s (n={len(a)})"


def bench_node(
    commands: int = 50,
    duration_s: float = 1.5,
    stop_repeats: int = 10,
    replace_repeats: int = 10,
    parameters: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """Start the node (with further ``parameters``, ``name:=value``), send ``commands``
    commands of ``duration_s`` s one after the other, then ``stop_repeats`` walks each stopped
    while streaming and ``replace_repeats`` walks each replaced by "raise both hands"; the
    table rows (:func:`latency_rows`)."""
    domain = 100 + os.getpid() % 30
    tmp = Path(tempfile.mkdtemp(prefix="molingo_bench_"))
    bag = tmp / "bag"
    proc = start_node(tmp, domain, bag, parameters)
    probe = LatencyProbe(domain)
    first: list[float] = []
    try:
        probe.wait_ready(proc, tmp / "node.log")
        time.sleep(1.0)
        for i in range(commands):
            text = f"{TEXTS[i % len(TEXTS)]} ({i})"  # new text: nothing cached
            first.append(probe.first_chunk_latency(text, duration_s, i, f"bench-{i}"))
            time.sleep(duration_s + 1.2)  # the motion, and a /diagnostics with its breakdown
        stops = [probe.stop_latency(100 + i) for i in range(stop_repeats)]
        replaced = [probe.replace_reaction(200 + i) for i in range(replace_repeats)]
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
        probe.close()
    chunk_lat = chunk_latencies(probe.chunks(), bag_publish_times(bag))
    stopped = [s for s in stops if s is not None]
    reacted = [r if r is not None else float("inf") for r in replaced]  # missed: shown as inf
    stages = [
        probe.breakdowns[k]
        for k in (f"bench-{i}" for i in range(commands))
        if k in probe.breakdowns
    ]
    rows = latency_rows(first, chunk_lat, probe.joint_state_latencies, stopped, reacted)
    return rows[:1] + breakdown_rows(stages) + rows[1:]


if __name__ == "__main__":
    for name, value in bench_node():
        print(f"| {name} | {value} |")
