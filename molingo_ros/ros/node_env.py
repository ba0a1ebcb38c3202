"""The process environment of a molingo node (or CLI) started from Python in a private ROS
domain: the fault suite, the session, the ROS benchmark and the tests start their nodes with
it, so that they all see the same DDS settings."""

from __future__ import annotations

import os
from pathlib import Path


def node_env(domain: int, log_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a node in ROS domain ``domain``: localhost-only
    discovery, ROS log files under ``log_dir/roslog``, unbuffered Python output, the venv
    bootstrap marker removed (so that the node's console script bootstraps itself); ``extra``
    is applied last and wins. ``os.environ`` itself is left unchanged."""
    env = dict(os.environ)
    env.update(
        ROS_DOMAIN_ID=str(domain),
        ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
        ROS_LOG_DIR=str(log_dir / "roslog"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("_ROS_WHEELS_BOOTSTRAP_COMPLETE", None)  # let the node's venv bootstrap itself
    env.update(extra or {})
    return env
