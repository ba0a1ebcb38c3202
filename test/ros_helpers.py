"""Helpers of the tests that run molingo_node as its own process over real Fast DDS: a ROS
domain per test process, the node's environment, starting it, waiting for a condition, and a
probe node in its own rclpy context spun in a thread."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node

from molingo_ros.ros.node_env import node_env

ROOT = Path(__file__).resolve().parents[1]
NODE_BIN = Path(sys.executable).parent / "molingo_node"


def domain(offset: int = 0) -> int:
    """A ROS_DOMAIN_ID of this test process (+ ``offset`` for a second one). The nodes' own
    environment is :func:`~molingo_ros.ros.node_env.node_env` (ROS files
    in ``<tmp>/roslog``)."""
    return 20 + (os.getpid() + offset) % 70


def start_node(
    tmp: Path,
    domain_id: int,
    *params: str,
    remaps: tuple[str, ...] = (),
    params_file: Path | None = None,
    node_args: tuple[str, ...] = (),
) -> subprocess.Popen:
    """``molingo_node`` with its own ``node_args`` (e.g. ``--robots``), config/molingo.yaml (or
    ``params_file``), ``threads:=1`` and ``params`` (``name:=value``), ``remaps`` (``from:=to``,
    e.g. ``__ns:=/robot2``); its output goes to ``tmp/node_<n>.log``."""
    args = [str(NODE_BIN), *node_args, "--ros-args", "--params-file"]
    args += [str(ROOT / "config" / "molingo.yaml")]
    if params_file is not None:
        args += ["--params-file", str(params_file)]
    for p in ("threads:=1", *params):
        args += ["-p", p]
    for r in remaps:
        args += ["-r", r]
    log = open(tmp / f"node_{len(list(tmp.glob('node_*.log')))}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=node_env(domain_id, tmp),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait(predicate, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Probe:
    """A plain rclpy node in its own context and domain, spun in a thread. ``collect(type,
    topic, qos)`` stores every message received on ``topic`` in ``self.got[topic]``."""

    def __init__(self, domain_id: int, name: str = "test_probe") -> None:
        os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
        self.ctx = Context()
        rclpy.init(context=self.ctx, domain_id=domain_id)
        self.node = Node(name, context=self.ctx)
        self.lock = threading.Lock()
        self.got: dict[str, list] = {}
        self.executor = SingleThreadedExecutor(context=self.ctx)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()

    def _spin(self) -> None:
        try:
            self.executor.spin()
        except Exception:  # noqa: BLE001 - ends with the context
            pass

    def collect(self, msg_type, topic: str, qos) -> None:
        self.got.setdefault(topic, [])

        def on(msg, store=self.got[topic]) -> None:
            with self.lock:
                store.append(msg)

        self.node.create_subscription(msg_type, topic, on, qos)

    def messages(self, topic: str) -> list:
        with self.lock:
            return list(self.got.get(topic, []))

    def call(self, client, request, timeout: float = 30.0):
        assert client.wait_for_service(timeout_sec=timeout), client.srv_name
        future = client.call_async(request)
        wait(future.done, timeout, f"a reply from {client.srv_name}")
        return future.result()

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.ctx)
        self.thread.join(timeout=5)


def ros_context(domain_offset: int) -> Context:
    """A fresh rclpy context on the private domain ``domain(domain_offset)`` (localhost
    discovery); shut it down with ``rclpy.try_shutdown(context=...)``."""
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    context = Context()
    rclpy.init(context=context, domain_id=domain(domain_offset))
    return context


def active_node(context: Context, *parameters) -> Iterator:
    """A configured, active MolingoNode in this process (shipped model, G1, CPU, one thread;
    not spun: tests call its methods), with the extra ``parameters`` (rclpy Parameters).
    A generator for a fixture: yields the node, then stops and destroys it."""
    from rclpy.lifecycle import TransitionCallbackReturn
    from rclpy.parameter import Parameter

    from molingo_ros.ros.node import MolingoNode

    n = MolingoNode(
        context=context,
        parameter_overrides=[
            Parameter("threads", value=1),
            Parameter("device", value="cpu"),
            *parameters,
        ],
    )
    try:
        assert n.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert n.trigger_activate() == TransitionCallbackReturn.SUCCESS
        yield n
    finally:
        n.stop("end of the test module")
        n.destroy_node()
