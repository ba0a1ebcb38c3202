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
import sys
import threading
import time

import rclpy
from rclpy.exceptions import InvalidHandle
from rclpy.executors import Executor, ExternalShutdownException


def signal_flag(signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> threading.Event:
    """Install handlers for ``signals`` that only set the returned event (never raise inside
    rclpy's C++ calls). Installed explicitly, so they also work in a process started in the
    background, which inherits SIGINT ignored. Main thread only."""
    flag = threading.Event()
    for signum in signals:
        signal.signal(signum, lambda _signum, _frame: flag.set())
    return flag


def spin_until_signal(
    executor: Executor, step_s: float = 0.1, stop: threading.Event | None = None
) -> bool:
    """Spin ``executor`` until SIGINT or SIGTERM; returns True when a signal ended it.
    ``stop``: the flag of handlers installed earlier (:func:`signal_flag`, e.g. before a slow
    start, so that a signal during it is not lost); default: installed now."""
    stop = stop if stop is not None else signal_flag()
    try:
        while not stop.is_set() and rclpy.ok(context=executor.context):
            executor.spin_once(timeout_sec=step_s)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    return stop.is_set()


def close(executor: Executor, *nodes, timeout_s: float = 1.0) -> None:
    """Shut down ``executor``, then destroy the ``nodes``, then their context (the order that
    does not crash rclpy), without leaving a callback to fail on a destroyed handle.

    A :class:`~rclpy.executors.MultiThreadedExecutor`'s ``spin_once`` only hands the ready
    callback to a worker thread, so when :func:`spin_until_signal` returns, the last one (a
    10 ms timer's, on an idle molingo_node) may not have run yet. rclpy 9.1.2's
    ``Executor.shutdown`` does not wait for it (its ``_work_tracker`` wait is skipped) and
    destroys the executor's guard condition at once; the late callback then fails on it and the
    interpreter prints "The following exception was never retrieved: cannot use Destroyable
    because destruction was requested" when the task is collected. So: first wait (at most
    ``timeout_s``) for the callbacks already handed to threads, then shut down (which joins the
    threads), then collect what those callbacks raised: a failure on a destroyed handle (only
    possible when the wait timed out) is expected at shutdown and dropped; anything else is
    printed to stderr rather than lost.
    """
    context = nodes[0].context
    _wait_handed_out(executor, timeout_s)
    executor.shutdown(timeout_sec=timeout_s)
    _collect_exceptions(executor)
    for node in nodes:
        node.destroy_node()
    rclpy.try_shutdown(context=context)


def _handed_out(executor: Executor) -> list:
    """The callbacks (rclpy Tasks) a MultiThreadedExecutor handed to its threads and has not
    yet checked; empty for the other executors, which run callbacks inside ``spin_once``.
    rclpy has no public accessor for these (``MultiThreadedExecutor._futures``)."""
    return list(getattr(executor, "_futures", ()))


def _wait_handed_out(executor: Executor, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if all(task.done() for task in _handed_out(executor)):
            return
        time.sleep(0.002)


def _collect_exceptions(executor: Executor) -> None:
    for task in _handed_out(executor):
        if not task.done():
            continue
        exc = task.exception()  # marks it retrieved: no "never retrieved" message at exit
        if exc is not None and not isinstance(exc, InvalidHandle):
            print(f"callback failed at shutdown: {exc!r}", file=sys.stderr)


__all__ = ["close", "signal_flag", "spin_until_signal"]
