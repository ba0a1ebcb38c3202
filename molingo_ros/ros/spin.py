"""Running a node until SIGINT/SIGTERM with the ROS context still valid afterwards.

rclpy's own signal handling shuts the context down at once, so a node could no longer publish
its last words (a hold, a video, a closed bag). :func:`spin_until_signal` installs handlers
that only set a flag; the executor is spun in short steps (``spin_once`` with a timeout, so the
handler runs within a step even when nothing else wakes the executor) until the flag is set (or
the context goes down), then returns, and the caller cleans up with the context still up.
Initialise rclpy with ``signal_handler_options=SignalHandlerOptions.NO``.
"""

from __future__ import annotations

import signal
import threading

import rclpy
from rclpy.executors import Executor, ExternalShutdownException


def spin_until_signal(executor: Executor, step_s: float = 0.1) -> bool:
    """Spin ``executor`` until SIGINT or SIGTERM; returns True when a signal ended it."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop.is_set() and rclpy.ok(context=executor.context):
            executor.spin_once(timeout_sec=step_s)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    return stop.is_set()


def close(executor: Executor, node) -> None:
    """The shutdown order that does not crash rclpy: executor, node, then the context."""
    executor.shutdown(timeout_sec=1.0)
    node.destroy_node()
    rclpy.try_shutdown()


__all__ = ["close", "spin_until_signal"]
