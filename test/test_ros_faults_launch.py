"""Starting and stopping molingo_node processes (molingo_ros.ros.faults.launch): ROS domains,
memory from /proc, the node's process (environment, parameters, log, signals), a clean stop,
and which checkout the node runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import faults_helpers
import pytest

from molingo_ros.ros.faults.launch import (
    CONFIG,
    NODE_BIN,
    REPO,
    RssSampler,
    new_domain,
    node_code_origin,
    rss_mib,
    start_node,
)
from molingo_ros.ros.faults.probe import wait_until

pytestmark = pytest.mark.ros


def test_new_domains_are_distinct_and_in_the_suites_range():
    ids = [new_domain() for _ in range(8)]
    assert len(set(ids)) == 8
    assert all(140 <= d <= 231 for d in ids)


def test_rss_is_read_from_proc_and_nan_once_the_process_is_gone():
    assert 10.0 < rss_mib(os.getpid()) < 100_000.0
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert rss_mib(gone.pid) != rss_mib(gone.pid)  # NaN


def test_the_rss_sampler_samples_in_its_period_until_stopped():
    sampler = RssSampler(os.getpid(), 0.05).start()
    time.sleep(0.3)
    samples = sampler.stop()
    n = len(samples)
    times = [t for t, _ in samples]
    assert times == sorted(times) and times[0] < 0.05 and times[-1] >= 0.3
    assert 3 <= n <= times[-1] / 0.05 + 2  # one per period, and the last one at stop
    assert all(v > 10.0 for _, v in samples)
    time.sleep(0.1)
    assert len(sampler.samples) == n  # stopped


def test_the_node_runs_the_code_of_this_checkout():
    assert Path(node_code_origin()) == REPO / "molingo_ros" / "ros" / "node.py"
    assert NODE_BIN.is_file() and CONFIG.is_file()


# -- real nodes --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def harness(request, tmp_path_factory):
    yield from faults_helpers.shared_harness(request, tmp_path_factory)


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(e.decode(errors="replace").split("=", 1) for e in raw if b"=" in e)


@pytest.mark.slow
def test_a_started_node_has_its_domain_parameters_log_and_memory(harness):
    node, _ = harness.shared()  # started with start_node by the harness
    env = _environ(node.pid)
    assert env["ROS_DOMAIN_ID"] == str(node.domain)
    assert env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"
    assert env["ROS_LOG_DIR"] == str(node.log_path.parent / "roslog")
    assert node.params[0] == "threads:=1"
    assert os.getpgid(node.pid) == node.pid  # its own session: signals reach its group
    assert node.alive() and node.wait(0.05) is None
    assert 100.0 < node.rss_mib() < 20_000.0
    size = node.log_size()
    assert size > 0 and node.log_path.name == f"{node.label}.log"
    assert "ready" in node.log_text(10**6)
    assert node.log_text(since=size) == node.log_text(10**6)[size:]
    assert len(node.log_text(tail_chars=50)) == 50


@pytest.mark.slow
def test_start_node_then_stop_ends_it_cleanly_with_status_0(tmp_path):
    node = start_node(tmp_path, new_domain(), ("stream.publish_rate_hz:=30.0",), "launch_test")
    try:
        assert node.params == ("threads:=1", "stream.publish_rate_hz:=30.0")
        assert node.log_path == tmp_path / "launch_test.log"
        wait_until(lambda: "ready" in node.log_text(10**6) or not node.alive(), 120.0, 0.2)
        assert node.alive(), node.log_text(2000)
        assert node.stop(signal.SIGTERM, 20.0) == 0, node.log_text(2000)
        assert not node.alive() and node.rss_mib() != node.rss_mib()  # gone: NaN
        assert node.stop() == 0  # already stopped: its status again
        node.send_signal(signal.SIGTERM)  # nothing left to signal: no error
    finally:
        node.stop(signal.SIGKILL, 5)
