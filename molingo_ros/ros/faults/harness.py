"""What every scenario shares: its bounds, the output folder, the robot's limits, the shared
node (started on first use) and the shape of a scenario's result.

A result is a dict::

    {"name": str, "figures": {...}, "criteria": [criterion, ...], "wall_s": float,
     "error": str | None}

and a criterion::

    {"id": str, "text": str, "passed": True | False | None (not measurable here),
     "value": any (the figure it judges), "required": bool (one of the reliability criteria)}
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from molingo_ros.robot import DEFAULT_ROBOT
from molingo_ros.ros.faults.checks import Limits
from molingo_ros.ros.faults.launch import NodeProcess, new_domain, start_node
from molingo_ros.ros.faults.probe import Probe

FPS = 30.0  # the node's frame rate (Hz): the shipped model's and stream.publish_rate_hz


@dataclass(frozen=True)
class Bounds:
    """Counts and time bounds of the scenarios (s = seconds).

    Attributes:
        start_timeout_s: a node must be active within this.
        fuzz_count, fuzz_rate_hz: String commands sent by the fuzz scenario, and their rate.
        answer_timeout_s: a single command must be answered (status) within this.
        burst_size: goals per action burst; burst_timeout_s: every one answered within this.
        soak_s: length of the soak; soak_warmup_s: RSS samples before this are warm-up.
        rss_period_s: RSS sampling period.
        min_slope_window_s: the RSS slope is judged only over at least this much soak after
            warm-up (shorter: the criterion is reported as not measurable).
        motion_s: length of the motion a signal arrives in the middle of.
        corrupt_cases: which corrupt-file cases run (see process_scenarios.CORRUPT_CASES).
    """

    start_timeout_s: float = 120.0
    fuzz_count: int = 120
    fuzz_rate_hz: float = 20.0
    answer_timeout_s: float = 10.0
    burst_size: int = 50
    burst_timeout_s: float = 45.0
    soak_s: float = 360.0
    soak_warmup_s: float = 120.0
    rss_period_s: float = 5.0
    min_slope_window_s: float = 120.0
    motion_s: float = 6.0
    corrupt_cases: tuple[str, ...] = (
        "garbage_model",
        "bad_header_model",
        "truncated_model",
        "bad_yaml",
        "bad_urdf",
    )

    @classmethod
    def full(cls, minutes: float | None = None) -> Bounds:
        """The default run (about 10 minutes with a 6-minute soak); ``minutes`` sets the soak."""
        soak = 360.0 if minutes is None else max(0.25, minutes) * 60.0
        return cls(soak_s=soak, soak_warmup_s=min(120.0, soak / 3), burst_timeout_s=30.0)

    @classmethod
    def quick(cls, minutes: float | None = None) -> Bounds:
        """About 2-3 minutes in all: short soak, fewer fuzz messages, two corrupt files."""
        soak = 30.0 if minutes is None else max(0.25, minutes) * 60.0
        return cls(
            fuzz_count=60,
            fuzz_rate_hz=20.0,
            answer_timeout_s=8.0,
            burst_timeout_s=20.0,
            soak_s=soak,
            soak_warmup_s=min(60.0, soak / 3),
            rss_period_s=2.0,
            motion_s=5.0,
            corrupt_cases=("truncated_model", "bad_urdf"),
        )

    @property
    def slope_measurable(self) -> bool:
        """Whether the soak is long enough after warm-up to judge the RSS slope."""
        return self.soak_s - self.soak_warmup_s >= self.min_slope_window_s

    def with_(self, **changes) -> Bounds:
        """A copy with ``changes`` (field=value)."""
        return replace(self, **changes)


def criterion(cid: str, text: str, passed: bool | None, value=None, required: bool = False) -> dict:
    """One pass/fail line (``passed`` None: not measurable in this run)."""
    return {
        "id": cid,
        "text": text,
        "passed": None if passed is None else bool(passed),
        "value": value,
        "required": required,
    }


class Harness:
    """Output folder, bounds, robot limits and the shared node of one run.

    Args:
        out: folder for logs, bags and the report.
        bounds: the scenarios' counts and time bounds.
        robot: the robot the node drives (its limits are checked), default the G1.
    """

    def __init__(self, out: Path, bounds: Bounds, robot: str = DEFAULT_ROBOT) -> None:
        from molingo_ros.robot.models import load_robot

        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.bounds = bounds
        self.robot = load_robot(robot)
        self.limits = Limits.of_robot(self.robot)
        self.joint_names = list(self.robot.joint_names)
        self.fps = FPS
        self._shared: tuple[NodeProcess, Probe] | None = None
        self._probes: list[Probe] = []

    def workdir(self, name: str) -> Path:
        """``out/name``, created."""
        path = self.out / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def probe(self, domain: int) -> Probe:
        """A new probe in ``domain`` (closed by :meth:`close`)."""
        p = Probe(domain, self.joint_names)
        self._probes.append(p)
        return p

    def start(self, label: str, params=(), domain: int | None = None, extra_env=None):
        """Start a node (its own domain unless given) and a probe for it: (node, probe)."""
        d = new_domain() if domain is None else domain
        node = start_node(self.workdir("nodes"), d, params, label, extra_env)
        return node, self.probe(d)

    def shared(self, fresh: bool = False) -> tuple[NodeProcess, Probe]:
        """The node the command scenarios share (default parameters), active, and its probe;
        started again if it died, or when ``fresh`` (a new process, e.g. for the soak)."""
        if self._shared is not None and (fresh or not self._shared[0].alive()):
            self._shared[0].stop()
            self._shared = None
        if self._shared is None:
            node, probe = self.start(f"shared_{len(self._probes)}")
            if not probe.wait_active(self.bounds.start_timeout_s):
                raise RuntimeError(f"the shared node did not activate: {node.log_text(1500)}")
            self._shared = (node, probe)
        return self._shared

    def close(self) -> None:
        """Stop the shared node and close every probe."""
        if self._shared is not None:
            self._shared[0].stop()
            self._shared = None
        for p in self._probes:
            try:
                p.close()
            except Exception:  # noqa: BLE001 - closing what is left
                pass
        self._probes = []


def run_scenario(name: str, fn: Callable[[Harness], dict], h: Harness) -> dict:
    """Run one scenario; an exception becomes the result's error (and a failed criterion)."""
    t0 = time.monotonic()
    try:
        result = fn(h)
        result.setdefault("error", None)
    except Exception as exc:  # noqa: BLE001 - the report says what broke
        result = {
            "figures": {},
            "criteria": [criterion(f"{name}.ran", "the scenario ran to its end", False)],
            "error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-2000:]}",
        }
    result["name"] = name
    result["wall_s"] = round(time.monotonic() - t0, 1)
    return result


__all__ = ["FPS", "Bounds", "Harness", "criterion", "run_scenario"]
