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
from pathlib import Path

import numpy as np

_REPO = Path(__file__).resolve().parents[2]


def _percentiles(values: list[float]) -> str:
    a = np.asarray(values) * 1000
    return f"median {np.median(a):.1f} ms, p99 {np.percentile(a, 99):.1f} ms (n={len(a)})"


def _stop_latencies(pub_text, pub_cmd, chunks, lock, repeats: int) -> list[float]:
    """Start a long walk, and once it streams send "stop" on ~/command (std_msgs/String);
    the time until the one-point hold trajectory is received, per repeat."""
    from std_msgs.msg import String

    from molingo_ros.msg import MotionCommand
    from molingo_ros.ros.messages import to_time

    out: list[float] = []
    for i in range(repeats):
        msg = MotionCommand()
        msg.text, msg.duration_s, msg.seed = "walk forward", 10.0, 100 + i
        msg.header.stamp = to_time(time.time())
        with lock:
            n0 = len(chunks)
        pub_cmd.publish(msg)
        deadline = time.time() + 10
        while time.time() < deadline:
            with lock:
                if len(chunks) > n0:
                    break
            time.sleep(0.001)
        time.sleep(1.0)  # streaming
        with lock:
            n1 = len(chunks)
        sent = time.time()
        pub_text.publish(String(data="stop"))
        while time.time() - sent < 5:
            with lock:
                hold = [c for c in chunks[n1:] if c[2] == 1]
            if hold:
                out.append(hold[0][0] - sent)
                break
            time.sleep(0.0005)
        time.sleep(0.5)
    return out


def bench_node(commands: int = 12, duration_s: float = 1.5) -> list[tuple[str, str]]:
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from rosbags.rosbag2 import Reader
    from sensor_msgs.msg import JointState
    from trajectory_msgs.msg import JointTrajectory

    from molingo_ros.msg import MotionCommand
    from molingo_ros.ros.messages import from_time, to_time
    from molingo_ros.ros.recorder import project_typestore

    domain = 100 + os.getpid() % 30
    tmp = Path(tempfile.mkdtemp(prefix="molingo_bench_"))
    bag = tmp / "bag"
    env = dict(os.environ)
    env.update(
        ROS_DOMAIN_ID=str(domain),
        ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
        ROS_LOG_DIR=str(tmp / "log"),
    )
    env.pop("_ROS_WHEELS_BOOTSTRAP_COMPLETE", None)
    node_bin = Path(sys.executable).parent / "molingo_node"
    log = open(tmp / "node.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            str(node_bin),
            "--ros-args",
            "--params-file",
            str(_REPO / "config" / "molingo.yaml"),
            "-p",
            "record.enabled:=true",
            "-p",
            f"record.path:={bag}",
        ],
        cwd=_REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    ctx = Context()
    rclpy.init(context=ctx, domain_id=domain)
    node = Node("molingo_bench", context=ctx)
    lock = threading.Lock()
    chunks: list[tuple[float, float, int]] = []  # (receive, header stamp, points)
    js_lat: list[float] = []

    def on_traj(msg: JointTrajectory) -> None:
        with lock:
            chunks.append((time.time(), from_time(msg.header.stamp), len(msg.points)))

    def on_js(msg: JointState) -> None:
        js_lat.append(time.time() - from_time(msg.header.stamp))

    qos = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
    node.create_subscription(
        JointTrajectory, "/joint_trajectory_controller/joint_trajectory", on_traj, qos
    )
    node.create_subscription(JointState, "/molingo_node/joint_states", on_js, qos)
    pub = node.create_publisher(MotionCommand, "/molingo_node/motion_command", 10)
    from std_msgs.msg import String

    text_pub = node.create_publisher(String, "/molingo_node/command", 10)
    executor = SingleThreadedExecutor(context=ctx)
    executor.add_node(node)
    spin = threading.Thread(target=executor.spin, daemon=True)
    spin.start()
    first: list[float] = []
    try:
        deadline = time.monotonic() + 120
        while pub.get_subscription_count() == 0 or "ready" not in (tmp / "node.log").read_text():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"molingo_node did not start; see {tmp / 'node.log'}")
            time.sleep(0.1)
        time.sleep(1.0)
        texts = [
            "a person walks forward",
            "a person waves the right hand",
            "a person bows",
            "a person runs",
            "a person raises both hands",
            "a person kicks",
        ]
        for i in range(commands):
            with lock:
                n0 = len(chunks)
            msg = MotionCommand()
            msg.text = f"{texts[i % len(texts)]} ({i})"  # new text: nothing cached
            msg.duration_s = duration_s
            msg.seed = i
            sent = time.time()
            msg.header.stamp = to_time(sent)
            pub.publish(msg)
            while True:
                with lock:
                    new = chunks[n0:]
                if new:
                    first.append(new[0][0] - sent)
                    break
                if time.time() - sent > 10:
                    raise RuntimeError("no chunk within 10 s")
                time.sleep(0.001)
            time.sleep(duration_s + 0.5)
        stops = _stop_latencies(text_pub, pub, chunks, lock, repeats=10)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
        executor.shutdown(timeout_sec=1.0)
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)
    store = project_typestore()
    published: dict[float, float] = {}
    with Reader(bag) as reader:
        for conn, t_ns, raw in reader.messages():
            if conn.topic == "/joint_trajectory_controller/joint_trajectory":
                m = store.deserialize_cdr(raw, conn.msgtype)
                published[from_time(m.header.stamp)] = t_ns * 1e-9
    chunk_lat = [
        recv - published[stamp] for recv, stamp, n in chunks if stamp in published and n > 1
    ]
    return [
        (
            "command sent -> first JointTrajectory chunk received (new text each time)",
            _percentiles(first),
        ),
        (
            "JointTrajectory chunk (32 points x 29 joints) publish -> receive",
            _percentiles(chunk_lat),
        ),
        ("JointState publish -> receive", _percentiles(js_lat)),
        (
            '"stop" sent (std_msgs/String) -> hold JointTrajectory received, while streaming',
            _percentiles(stops),
        ),
    ]


if __name__ == "__main__":
    for name, value in bench_node():
        print(f"| {name} | {value} |")
