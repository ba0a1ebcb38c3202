"""Clean shutdown (molingo_ros.ros.spin.close): no callback left to fail on a destroyed handle,
so no "The following exception was never retrieved: cannot use Destroyable because
destruction was requested" at exit, and exit status 0.

rclpy 9.1.2's Executor.shutdown does not wait for the callbacks a MultiThreadedExecutor has
already handed to its threads; an idle molingo_node (a 10 ms generation timer) hit that on
every SIGINT before close() waited for them.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from ros_helpers import domain, node_env, start_node

MESSAGES = ("never retrieved", "destruction was requested")


# A MultiThreadedExecutor with a 10 ms timer (like molingo_node's generation timer), spun in
# steps, then closed either the naive way or with spin.close.
CHILD = textwrap.dedent(
    """
    import gc, sys
    import rclpy
    from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
    from rclpy.context import Context
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.node import Node
    from molingo_ros.ros.spin import close

    ctx = Context()
    rclpy.init(context=ctx)
    node = Node("spin_close_probe", context=ctx)
    node.create_timer(0.01, lambda: None, callback_group=MutuallyExclusiveCallbackGroup())
    executor = MultiThreadedExecutor(num_threads=4, context=ctx)
    executor.add_node(node)
    for _ in range(30):
        executor.spin_once(timeout_sec=0.1)
    if sys.argv[1] == "close":
        close(executor, node)
    else:  # the order close() used before: executor, node, context
        executor.shutdown(timeout_sec=1.0)
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)
    del executor
    gc.collect()
    print("closed")
    """
)


def _run_child(mode: str, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHILD, mode],
        env=node_env(domain(3), tmp),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_close_leaves_no_unretrieved_callback_failure(tmp_path):
    naive = _run_child("naive", tmp_path)
    assert naive.returncode == 0, naive.stderr
    if not any(m in naive.stderr for m in MESSAGES):
        pytest.skip("this rclpy no longer loses a late callback at executor shutdown")
    for _ in range(3):
        done = _run_child("close", tmp_path)
        assert done.returncode == 0, done.stderr
        assert "closed" in done.stdout
        assert not any(m in done.stderr for m in MESSAGES), done.stderr
        assert "Traceback" not in done.stderr, done.stderr


def _wait_for_ready(proc: subprocess.Popen, log: Path, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if "ready" in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise AssertionError(f"molingo_node not ready (rc {proc.returncode}):\n{log.read_text()}")


@pytest.mark.slow
def test_idle_node_stops_cleanly_on_sigint(tmp_path):
    """Start molingo_node (shipped model, G1, autostart), wait for "ready", SIGINT: exit 0 and
    no unretrieved-exception message, several times in a row."""
    domain_id = domain(4)
    for run in range(3):
        log = tmp_path / f"node_{run}.log"  # where start_node writes its output
        proc = start_node(tmp_path, domain_id)
        _wait_for_ready(proc, log, timeout=180)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(
                f"run {run}: no exit 60 s after SIGINT:\n{log.read_text()}"
            ) from None
        out = log.read_text(errors="replace")
        assert rc == 0, f"run {run}: exit status {rc}:\n{out}"
        assert not any(m in out for m in MESSAGES), f"run {run}:\n{out}"
        assert "Traceback" not in out, f"run {run}:\n{out}"
