"""Figures from what a :class:`~molingo_ros.ros.faults.probe.Probe` received: limits, freezes,
underruns, latencies, sources; and the node's own log of held frames.

Units: s, rad, rad/s; frames at the node's rate (30 Hz).
"""

from __future__ import annotations

import re

import numpy as np

from molingo_ros.ros.faults import checks
from molingo_ros.ros.faults.probe import Probe, StateRecord

LIVE_STATES = ("queued", "generating", "streaming")
FINAL_STATES = ("done", "cancelled", "error", "stopped", "refused")


def _state_limits(records: list[StateRecord], limits: checks.Limits) -> dict:
    if not records:
        return checks.limit_violations(np.zeros((0, 0)), None, limits)
    pos = np.stack([r.positions for r in records])
    vel = np.stack([r.velocities for r in records]) if records[0].velocities.size else None
    return checks.limit_violations(pos, vel, limits)


def trajectory_plan(probe: Probe, mark) -> tuple[np.ndarray, np.ndarray]:
    """The commanded plan (due times s, positions rad) from the trajectories since ``mark``."""
    msgs = probe.since(mark, "traj")
    return checks.timeline((m.stamp_s, m.tfs, m.positions) for m in msgs)


def _underruns(found: list[tuple[float, float]], status) -> list[tuple[float, float]]:
    """The pauses of the plan during which one command kept streaming (every status stamped
    in the pause says "streaming" about the command streaming at its start): the buffer ran
    out. Pauses where a command starts or ends are not underruns."""
    st = sorted(status, key=lambda s: s.stamp_s)
    out = []
    for t0, length in found:
        before = [s for s in st if s.stamp_s <= t0]
        inside = [s for s in st if t0 < s.stamp_s <= t0 + length]
        if before and all(
            s.state == "streaming" and s.command_id == before[-1].command_id for s in inside
        ):
            out.append((t0, length))
    return out


def motion_quality(
    probe: Probe, mark, limits: checks.Limits, fps: float, since_s: float = 0.0
) -> dict:
    """Limits of every trajectory point and joint state; freezes (identical consecutive
    commanded states while the status says "streaming") in the plan and on /joint_states
    (longest runs timed from ``since_s``, s); underruns (pauses in the plan while
    streaming)."""
    traj = probe.since(mark, "traj")
    js = probe.since(mark, "js")
    status = probe.since(mark, "status")
    pos = [m.positions for m in traj if len(m.positions)]
    vel = [m.velocities for m in traj if len(m.positions)]
    traj_lim = checks.limit_violations(
        np.concatenate(pos) if pos else np.zeros((0, len(limits.lower))),
        np.concatenate(vel) if vel else None,
        limits,
    )
    times, plan = trajectory_plan(probe, mark)
    by_stamp = [(s.stamp_s, s.state) for s in status]
    streaming = [s == "streaming" for s in checks.state_at(times, by_stamp)]
    plan_freezes = checks.find_freezes(times, plan, streaming, 1.5 / fps)
    underruns = _underruns(checks.gaps(times, streaming, 1.5 / fps), status)
    js_freezes: list[checks.Freeze] = []
    by_recv = [(s.recv_s, s.state) for s in status]
    for src in sorted({r.source for r in js}):
        mine = [r for r in js if r.source == src]
        t = np.array([r.recv_s for r in mine])
        active = [s == "streaming" for s in checks.state_at(t, by_recv)]
        stamps = np.array([r.stamp_s for r in mine])
        js_freezes += checks.find_freezes(
            stamps, np.stack([r.positions for r in mine]), active, 1.5 / fps
        )
    speed = checks.speed_violations(times, plan, limits, fps) if len(times) else {}
    return {
        "trajectory_messages": len(traj),
        "holds": sum(m.is_hold for m in traj),
        "planned_frames": len(times),
        "trajectory_points": traj_lim,
        "joint_states": _state_limits(js, limits),
        "joint_command": _state_limits(probe.since(mark, "cmd_js"), limits),
        "plan_speed": speed,
        "points_outside_limits": traj_lim["points"]
        + _state_limits(js, limits)["points"]
        + speed.get("steps", 0),
        "plan_freezes": checks.freeze_summary(plan_freezes, since_s),
        "joint_state_freezes": checks.freeze_summary(js_freezes, since_s),
        "underruns": {
            "count": len(underruns),
            "longest_s": round(max((g[1] for g in underruns), default=0.0), 3),
            "total_s": round(sum(g[1] for g in underruns), 3),
        },
    }


def first_status_times(probe: Probe, mark, state: str) -> dict[str, float]:
    """command id -> receive time (s) of its first status in ``state`` since ``mark``."""
    out: dict[str, float] = {}
    for s in probe.since(mark, "status"):
        if s.state == state and s.command_id not in out:
            out[s.command_id] = s.recv_s
    return out


def outcomes(probe: Probe, mark, ids) -> dict[str, str]:
    """command id -> the last state its status reached since ``mark`` ("" when none)."""
    last: dict[str, str] = {}
    for s in probe.since(mark, "status"):
        last[s.command_id] = s.state
    return {cid: last.get(cid, "") for cid in ids}


def sources(records) -> list[str]:
    """Distinct publishers (GID prefixes) of ``records``."""
    return sorted({r.source for r in records})


_HELD = re.compile(r"validation (?:held|replaced) (\d+) frames of command")
_LONGEST_HOLD = re.compile(r"longest hold (\d+)\)")


def held_frames_in_log(text: str) -> dict:
    """The node's own warnings "validation replaced N frames of command C (H held, R
    repaired; longest hold L)" (older nodes: "validation held N frames"): chunks with
    rejected frames, their sum, the largest N, and the longest run of held frames L."""
    ns = [int(m) for m in _HELD.findall(text)]
    runs = [int(m) for m in _LONGEST_HOLD.findall(text)]
    return {
        "chunks": len(ns),
        "frames": sum(ns),
        "largest": max(ns, default=0),
        "longest_hold": max(runs, default=0),
    }


__all__ = [
    "FINAL_STATES",
    "LIVE_STATES",
    "first_status_times",
    "held_frames_in_log",
    "motion_quality",
    "outcomes",
    "sources",
    "trajectory_plan",
]
