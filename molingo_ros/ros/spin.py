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


def signal_flag(signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> threading.Event:
    """Install handlers for ``signals`` that only set the returned event (never raise inside
    rclpy's C++ calls). Installed explicitly, so they also work in a process started in the
    background, which inherits SIGINT ignored. Main thread only."""
    flag = threading.Event()
    for signum in signals:
        signal.signal(signum, lambda _signum, _frame: flag.set())
    return flag


def spin_until_signal(executor: Executor, step_s: float = 0.1) -> bool:
    """Spin ``executor`` until SIGINT or SIGTERM; returns True when a signal ended it."""
    stop = signal_flag()
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


__all__ = ["close", "signal_flag", "spin_until_signal"]
