"""Starting and stopping molingo_node processes for the fault suite, and sampling their memory.

Each node runs as its own process in its own session (process group), with its own
ROS_DOMAIN_ID and localhost-only discovery, from the repository root with
``config/molingo.yaml`` and ``threads:=1`` plus the scenario's parameters; its output goes to
a log file. The node is the console script next to this Python (``molingo_node``), so it runs
the same code as this process (``PYTHONPATH`` included).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from molingo_ros.ros.node_env import node_env

REPO = Path(__file__).resolve().parents[3]
NODE_BIN = Path(sys.executable).parent / "molingo_node"
CONFIG = REPO / "config" / "molingo.yaml"

_domains_used: set[int] = set()
_domain_lock = threading.Lock()


def new_domain() -> int:
    """A ROS_DOMAIN_ID (140..231) not handed out before in this process; the base depends on
    the process id, so that two runs at once rarely share one."""
    with _domain_lock:
        base = 140 + (os.getpid() % 13) * 7
        for k in range(92):
            d = 140 + (base - 140 + k) % 92
            if d not in _domains_used:
                _domains_used.add(d)
                return d
    raise RuntimeError("no free ROS domain id left")


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` (MiB) from /proc; NaN once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return float("nan")


@dataclass
class NodeProcess:
    """A running molingo_node. ``started_s``: time.monotonic() at start (s)."""

    proc: subprocess.Popen
    domain: int
    label: str
    log_path: Path
    params: tuple[str, ...]
    started_s: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_mib(self) -> float:
        return rss_mib(self.proc.pid)

    def send_signal(self, signum: int) -> None:
        """Send ``signum`` to the node's process group (it was started in its own session)."""
        if self.alive():
            try:
                os.killpg(self.proc.pid, signum)
            except ProcessLookupError:
                pass

    def wait(self, timeout_s: float) -> int | None:
        """Exit status, or None when still running after ``timeout_s`` (s)."""
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, signum: int = signal.SIGTERM, timeout_s: float = 20.0) -> int | None:
        """Signal, wait up to ``timeout_s`` (s); SIGKILL if it is still there. Returns the
        status of the first exit (None when it had to be killed)."""
        if not self.alive():
            return self.proc.returncode
        self.send_signal(signum)
        rc = self.wait(timeout_s)
        if rc is None:
            self.send_signal(signal.SIGKILL)
            self.wait(10)
        return rc

    def log_text(self, tail_chars: int = 4000, since: int = 0) -> str:
        """The log from byte ``since`` on, its last ``tail_chars`` characters."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(since)
                return f.read().decode(errors="replace")[-tail_chars:]
        except OSError:
            return ""

    def log_size(self) -> int:
        """Bytes written to the log so far (an offset for :meth:`log_text`)."""
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0


def start_node(
    workdir: Path,
    domain: int,
    params: Sequence[str] = (),
    label: str = "node",
    extra_env: dict[str, str] | None = None,
) -> NodeProcess:
    """Start ``molingo_node`` in ``domain`` with ``params`` (``name:=value`` strings) added to
    the shipped config; its log is ``workdir/<label>.log``."""
    workdir.mkdir(parents=True, exist_ok=True)
    args = [str(NODE_BIN), "--ros-args", "--params-file", str(CONFIG)]
    all_params = ("threads:=1", *params)
    for p in all_params:
        args += ["-p", p]
    log_path = workdir / f"{label}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            args,
            cwd=REPO,
            env=node_env(domain, workdir, extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return NodeProcess(proc, domain, label, log_path, tuple(all_params))


def node_code_origin() -> str:
    """Where the node's code comes from (``molingo_ros/ros/node.py`` as the node's Python
    imports it with this environment): which checkout a report is about."""
    out = subprocess.run(
        [sys.executable, "-c", "import molingo_ros.ros.node as n; print(n.__file__)"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    return out.stdout.strip() or out.stderr.strip()[-300:]


class RssSampler:
    """Samples a process's RSS every ``period_s`` (s) in a thread: ``samples`` holds
    (seconds since start, MiB)."""

    def __init__(self, pid: int, period_s: float) -> None:
        self.pid = pid
        self.period_s = period_s
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - self._t0, rss_mib(self.pid)))
            self._stop.wait(self.period_s)

    def stop(self) -> list[tuple[float, float]]:
        self._stop.set()
        self._thread.join(timeout=5)
        self.samples.append((time.monotonic() - self._t0, rss_mib(self.pid)))
        return self.samples


__all__ = [
    "CONFIG",
    "NODE_BIN",
    "REPO",
    "NodeProcess",
    "RssSampler",
    "new_domain",
    "node_code_origin",
    "rss_mib",
    "start_node",
]
