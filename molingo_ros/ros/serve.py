"""``molingo_node``'s process: one node, or one node per robot sharing one model.

    molingo_node [--ros-args ...]                                    one robot
    molingo_node --robots /left=g1 /right=h1 [--ros-args ...]        one model, two robots

Each ``NAMESPACE=ROBOT`` becomes a :class:`~molingo_ros.ros.node.MolingoNode` in that
namespace with ``robot`` set (every other parameter from the command line / params file, the
same for all), so each robot has its own commands, action, retargeting, validation, outputs,
status, diagnostics and bag; their engines share the model loaded once
(:meth:`~molingo_ros.model.bundle.MoLingo.shared`), and each robot is admitted only while the
device keeps every stream ``serving.realtime_margin`` x real time
(:mod:`molingo_ros.runtime.serving`).
"""

from __future__ import annotations

import argparse
import sys

import rclpy
from rclpy.executors import MultiThreadedExecutor
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.parameter import Parameter
from rclpy.signals import SignalHandlerOptions
from rclpy.utilities import remove_ros_args

from molingo_ros.ros.spin import close, signal_flag, spin_until_signal


def robot_namespaces(items: list[str]) -> list[tuple[str, str]]:
    """``["/left=g1", "right=h1"]`` -> ``[("/left", "g1"), ("/right", "h1")]``.

    Raises:
        ValueError: an item without one ``=``, an empty side, or a namespace given twice.
    """
    out: list[tuple[str, str]] = []
    for item in items:
        ns, sep, robot = (x.strip() for x in item.partition("="))
        if not sep or not ns.strip("/") or not robot:
            raise ValueError(f"--robots wants NAMESPACE=ROBOT (e.g. /left=g1), got {item!r}")
        ns = "/" + ns.strip("/")
        if ns in (n for n, _ in out):
            raise ValueError(f"--robots: namespace {ns} given twice")
        out.append((ns, robot))
    return out


def _parse(argv: list[str]) -> list[tuple[str, str]]:
    parser = argparse.ArgumentParser(prog="molingo_node", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--robots",
        nargs="+",
        default=[],
        metavar="NAMESPACE=ROBOT",
        help="serve several robots from one model (g1, h1, t1 or a robot YAML each)",
    )
    return robot_namespaces(parser.parse_args(remove_ros_args(argv)[1:]).robots)


def _start(node) -> None:
    """Configure and activate ``node`` when ``autostart`` (errors are logged, it stays up)."""
    if node.cfg.autostart:
        if node.trigger_configure() == TransitionCallbackReturn.SUCCESS:
            if node.trigger_activate() != TransitionCallbackReturn.SUCCESS:
                node.get_logger().error("autostart: activation refused; the node is inactive")
        else:
            node.get_logger().error("autostart: configure failed; the node stays unconfigured")
    node.get_logger().info("ready")


def serve(node_class: type, argv: list[str] | None = None) -> int:
    """``molingo_node``'s process: ``node_class`` (:class:`~molingo_ros.ros.node.MolingoNode`)
    once, or once per ``--robots`` entry; run until SIGINT/SIGTERM; then each node publishes a
    hold and closes its bag; exit status 0 (2 for bad ``--robots``)."""
    argv = list(argv if argv is not None else sys.argv)
    try:
        robots = _parse(argv)
    except ValueError as exc:
        print(f"molingo_node: error: {exc}", file=sys.stderr)
        return 2
    # Our own SIGINT/SIGTERM handling: rclpy's would shut the context down before the hold
    # could be published.
    rclpy.init(args=argv, signal_handler_options=SignalHandlerOptions.NO)
    stop = signal_flag()  # now: a signal during the (slow) configure is kept, not lost
    if robots:
        nodes = [
            node_class(namespace=ns, parameter_overrides=[Parameter("robot", value=robot)])
            for ns, robot in robots
        ]
    else:
        nodes = [node_class()]
    # Each executing action goal holds a thread; 4 more per node serve timers, topics, services.
    executor = MultiThreadedExecutor(num_threads=sum(4 + n.goals.limit() for n in nodes))
    for node in nodes:
        executor.add_node(node)
    signalled = False
    try:
        for node in nodes:  # one after the other: each admission sees the ones before
            if not stop.is_set():
                _start(node)
        signalled = spin_until_signal(executor, stop=stop)
    finally:
        try:
            for node in nodes:  # hold + bag, context up
                node.stop("shutdown (signal)" if signalled else "shutdown")
        finally:
            close(executor, *nodes)
    return 0


__all__ = ["robot_namespaces", "serve"]
