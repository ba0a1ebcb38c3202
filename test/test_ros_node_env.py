"""The environment every node started from Python gets: its own ROS domain, localhost-only
discovery, ROS logs in the caller's folder, unbuffered output, the venv bootstrap marker
removed; this process's own environment untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from molingo_ros.ros.node_env import node_env


def test_the_node_gets_its_domain_discovery_and_log_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ROS_DOMAIN_ID", "7")
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "SUBNET")
    monkeypatch.setenv("_ROS_WHEELS_BOOTSTRAP_COMPLETE", "1")
    monkeypatch.setenv("MOLINGO_TEST_KEPT", "yes")
    before = dict(os.environ)
    env = node_env(42, tmp_path)
    assert env["ROS_DOMAIN_ID"] == "42"
    assert env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"
    assert Path(env["ROS_LOG_DIR"]) == tmp_path / "roslog"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert "_ROS_WHEELS_BOOTSTRAP_COMPLETE" not in env
    assert env["MOLINGO_TEST_KEPT"] == "yes"
    assert dict(os.environ) == before


def test_extra_settings_win(tmp_path):
    env = node_env(3, tmp_path, {"ROS_AUTOMATIC_DISCOVERY_RANGE": "SUBNET", "X_EXTRA": "1"})
    assert env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "SUBNET" and env["X_EXTRA"] == "1"
    assert env["ROS_DOMAIN_ID"] == "3"


def test_a_child_process_sees_it(tmp_path):
    code = "import os; print(os.environ['ROS_DOMAIN_ID'], os.environ['ROS_LOG_DIR'])"
    out = subprocess.run(
        [sys.executable, "-c", code], env=node_env(11, tmp_path), capture_output=True, text=True
    )
    assert out.stdout.split() == ["11", str(tmp_path / "roslog")]
