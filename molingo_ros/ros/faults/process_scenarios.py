"""Scenarios about node processes: signals while recording (SIGKILL, SIGINT), two nodes with
one name, and corrupt model / robot files. Each starts its own nodes (own domains) and
returns figures and pass/fail criteria (see harness's module docstring).
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from molingo_ros.ros.faults import analysis, checks
from molingo_ros.ros.faults.bags import read_bag, salvage_mcap
from molingo_ros.ros.faults.harness import Harness, criterion
from molingo_ros.ros.faults.launch import NodeProcess, new_domain, start_node
from molingo_ros.ros.faults.probe import Probe, wait_until

LIVE = analysis.LIVE_STATES


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


def _start_motion(h: Harness, probe: Probe, cid: str) -> float | None:
    """Wait for the node to be active, start a walk of ``motion_s`` and wait until it
    streams. Returns when it was active (s, wall clock), None when it did not stream."""
    if not probe.wait_active(h.bounds.start_timeout_s):
        return None
    active_s = time.time()
    m = probe.mark()
    probe.send(Probe.command("a person walks forward", h.bounds.motion_s, cid=cid))
    return active_s if probe.wait_status(cid, ("streaming",), 30.0, m) else None


def _sigkill(h: Harness, node: NodeProcess, probe: Probe, bag: Path) -> dict:
    """SIGKILL 60 % into a motion; seconds lost = last message the probe saw - last in bag
    (everything recorded, when nothing is on disk)."""
    first = _start_motion(h, probe, "sigkill_walk")  # recording since about then
    if first is None:
        return {"error": "the node did not stream", "log": node.log_text(1500)}
    time.sleep(0.6 * h.bounds.motion_s)
    last_seen = probe.last_recv_s
    node.send_signal(signal.SIGKILL)
    rc = node.wait(10)
    rb, salvage = read_bag(bag), salvage_mcap(bag)
    return {
        "exit_status": rc,
        "bag": rb,
        "lost_s": round(last_seen - rb["last_s"], 3) if rb.get("last_s") else None,
        "recorded_s": round(last_seen - first, 3),
        "on_disk": salvage,
        "lost_on_disk_s": round(last_seen - (salvage["last_s"] or first), 3),
    }


def _sigint_topic(probe: Probe, mark) -> dict:
    """What the probe saw after SIGINT: the hold, the last status, the last joint state."""
    traj = probe.since(mark, "traj")
    holds = [r for r in traj if r.is_hold]
    last_hold = holds[-1] if holds else None
    js = probe.since(None, "js")
    st = probe.since(None, "status")
    last_js, last_st = (js[-1] if js else None), (st[-1] if st else None)
    return {
        "hold_published": bool(holds),
        "hold_zero_velocity": bool(last_hold and not np.any(last_hold.velocities)),
        "motion_after_hold": bool(
            last_hold and any(r.recv_s > last_hold.recv_s and not r.is_hold for r in traj)
        ),
        "last_status": last_st.state if last_st else None,
        "last_status_after_hold": bool(
            last_hold and last_st and last_st.recv_s >= last_hold.recv_s
        ),
        "last_js_max_abs_velocity": float(np.max(np.abs(last_js.velocities))) if last_js else None,
        "last_js_after_hold": bool(last_hold and last_js and last_js.recv_s >= last_hold.recv_s),
    }


def _sigint(h: Harness, node: NodeProcess, probe: Probe, bag: Path) -> dict:
    """SIGINT 1 s into a motion: exit status, then the topic's and the bag's last words."""
    if _start_motion(h, probe, "sigint_walk") is None:
        return {"error": "the node did not stream", "log": node.log_text(1500)}
    time.sleep(1.0)
    mark = probe.mark()
    node.send_signal(signal.SIGINT)
    rc = node.wait(20)
    time.sleep(0.7)  # the last messages in flight
    return {"exit_status": rc, "topic": _sigint_topic(probe, mark), "bag": read_bag(bag)}


def _not_live(state) -> bool:
    return state is not None and state not in LIVE


def _zero(v) -> bool:
    return v is not None and v <= 1e-9


def signals(h: Harness) -> dict:
    """(e) Two recording nodes: one is SIGKILLed mid-motion (is the bag readable, how much is
    lost), one gets SIGINT mid-motion (hold, final status, zero-velocity last state)."""
    work = h.workdir("signals")
    kill_bag, int_bag = _fresh(work / "bag_sigkill"), _fresh(work / "bag_sigint")
    nk, pk = h.start("sigkill", ("record.enabled:=true", f"record.path:={kill_bag}"))
    ni, pi = h.start("sigint", ("record.enabled:=true", f"record.path:={int_bag}"))
    try:
        k = _sigkill(h, nk, pk, kill_bag)
        i = _sigint(h, ni, pi, int_bag)
    finally:
        nk.stop(signal.SIGKILL, 5)
        ni.stop(signal.SIGKILL, 5)
    kb, ib, it = k.get("bag", {}), i.get("bag", {}), i.get("topic", {})
    lost = k.get("lost_s")
    crit = [
        criterion(
            "sigkill.bag_readable",
            "the bag of a SIGKILLed node opens with AnyReader and holds all but <= 0.5 s",
            bool(kb.get("opened")) and lost is not None and lost <= 0.5,
            f"opened {kb.get('opened')}, lost {lost} s (on disk: {k.get('lost_on_disk_s')} s)"
            + (f"; {kb.get('error')}" if kb.get("error") else ""),
            required=True,
        ),
        criterion(
            "sigint.final_status",
            "after SIGINT mid-motion the last status is final (not streaming), on the topic "
            "and in the bag",
            _not_live(it.get("last_status")) and _not_live(ib.get("last_status")),
            f"topic {it.get('last_status')!r}, bag {ib.get('last_status')!r}",
            required=True,
        ),
        criterion(
            "sigint.zero_velocity",
            "after SIGINT the last joint state has zero velocity, on the topic and in the bag",
            _zero(it.get("last_js_max_abs_velocity")) and _zero(ib.get("last_js_max_abs_velocity")),
            f"max |v| topic {it.get('last_js_max_abs_velocity')}, bag "
            f"{ib.get('last_js_max_abs_velocity')} rad/s",
            required=True,
        ),
        criterion(
            "sigint.hold",
            "a zero-velocity hold is published and nothing moves after it",
            bool(it.get("hold_published") and it.get("hold_zero_velocity"))
            and not it.get("motion_after_hold"),
            it,
        ),
        criterion(
            "sigint.exit_0",
            "SIGINT: the node exits with status 0",
            i.get("exit_status") == 0,
            i.get("exit_status"),
        ),
    ]
    return {"figures": {"sigkill": k, "sigint": i}, "criteria": crit}


def _sources_after(probe: Probe, mark) -> dict:
    return {kind: analysis.sources(probe.since(mark, kind)) for kind in ("traj", "js", "cmd_js")}


def _status_by_source(probe: Probe) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in probe.since(None, "status"):
        out.setdefault(s.source, []).append(s.state + (f" ({s.error[:120]})" if s.error else ""))
    return out


_LOG_WORDS = ("configured", "ready", "activ", "refus", "owner", "publisher", "WARN", "ERROR")


def _log_lines(node: NodeProcess, limit: int = 8) -> list[str]:
    """The node's own lines about configuring, activating and refusing (its log)."""
    lines = [ln.strip() for ln in node.log_text(200_000).splitlines()]
    return [ln[:240] for ln in lines if any(w in ln for w in _LOG_WORDS)][-limit:]


def duplicates(h: Harness) -> dict:
    """(f) Two nodes with the same name and command line started together: how many publish,
    which activate, does one command move the robot from two sources."""
    d = new_domain()
    work = h.workdir("nodes")
    na, nb = (start_node(work, d, (), label) for label in ("dup_a", "dup_b"))
    probe = h.probe(d)
    try:
        wait_until(
            lambda: all("ready" in n.log_text(10**6) or not n.alive() for n in (na, nb)),
            h.bounds.start_timeout_s,
            0.2,
        )
        time.sleep(3.0)  # discovery settles
        counts = probe.publisher_counts()
        lifecycle = [probe.lifecycle_state(3.0) for _ in range(3)]
        mark = probe.mark()
        # seed -1: each node draws its own, as with a String command
        probe.send(Probe.command("a person waves the right hand", 2.0, cid="dup_cmd", seed=-1))
        wait_until(lambda: probe.statuses("dup_cmd", analysis.FINAL_STATES, mark), 30.0)
        time.sleep(1.0)
        srcs = _sources_after(probe, mark)
        streamed = analysis.sources(probe.statuses("dup_cmd", ("streaming",), mark))
        js = [(r.recv_s, r.source, r.positions) for r in probe.since(mark, "js")]
        jump, pairs = checks.max_cross_jump(js, 1.02 / h.fps)  # within one frame period
        by_source = _status_by_source(probe)
        alive = [na.alive(), nb.alive()]
    finally:
        rcs = [na.stop(), nb.stop()]
    logs = {n.label: _log_lines(n) for n in (na, nb)}
    one = lambda xs: len(xs) == 1  # noqa: E731
    refused = any(not a for a in alive) or any(
        any(s.startswith(("error", "refused")) for s in v) for v in by_source.values()
    )
    figures = {
        "publisher_counts": counts,
        "lifecycle_state_answers": lifecycle,
        "sources_after_command": srcs,
        "command_streamed_by": streamed,
        "cross_source_jump_rad": round(jump, 3),
        "cross_source_pairs_within_one_frame": pairs,
        "status_by_source": by_source,
        "alive_before_stop": alive,
        "exit_status": rcs,
        "node_logs": logs,
    }
    crit = [
        criterion(
            "duplicates.refused",
            "duplicate node refused: one command, one source of trajectories and joint states",
            all(one(v) for v in srcs.values()) and one(streamed),
            f"sources traj {len(srcs['traj'])}, joint_states {len(srcs['js'])}, joint_command "
            f"{len(srcs['cmd_js'])}; command streamed by {len(streamed)}",
            required=True,
        ),
        criterion(
            "duplicates.refusal_visible",
            "the refused node says so (error status) or exits",
            refused,
        ),
    ]
    return {"figures": figures, "criteria": crit}


def _garbage_model(work: Path) -> tuple[tuple[str, ...], dict]:
    path = work / "garbage.safetensors"
    path.write_bytes(np.random.default_rng(15).bytes(64 * 1024))
    return (f"model:={path}",), {}


def _bad_header_model(work: Path) -> tuple[tuple[str, ...], dict]:
    path = work / "bad_header.safetensors"  # header length 2^40: far past the end of the file
    path.write_bytes(struct.pack("<Q", 2**40) + b'{"x": {"dtype": "F32"' + b"\0" * 64)
    return (f"model:={path}",), {}


def _truncated_model(work: Path) -> tuple[tuple[str, ...], dict]:
    """The shipped model cut to its first half (an interrupted download)."""
    from molingo_ros.model.sampler import default_model_path

    data = default_model_path().read_bytes()
    path = work / "truncated.safetensors"
    path.write_bytes(data[: len(data) // 2])
    return (f"model:={path}",), {}


def _bad_yaml(work: Path) -> tuple[tuple[str, ...], dict]:
    path = work / "broken_robot.yaml"
    path.write_text("robot:\n  name: [g1\n  keypoints: {pelvis: : }\n\t- nope\n")
    return (f"robot:={path}",), {}


def _bad_urdf(work: Path) -> tuple[tuple[str, ...], dict]:
    """A well-formed robot YAML whose model file is a broken URDF in a package of its own."""
    import yaml

    from molingo_ros.ros.faults.launch import REPO

    pkg = work / "pkgroot" / "molingo_faults_robot"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "broken.urdf").write_text('<robot name="broken"><link name="pelvis"/><joint ')
    doc = yaml.safe_load((REPO / "config" / "robots" / "g1.yaml").read_text())
    doc["robot"]["name"] = "broken_urdf"
    doc["robot"]["source"] = {"package": pkg.name, "path": "broken.urdf", "format": "urdf"}
    path = work / "broken_urdf.yaml"
    path.write_text(yaml.safe_dump(doc))
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(pkg.parent), os.environ.get("PYTHONPATH")]))
    }
    return (f"robot:={path}",), env


CORRUPT_CASES: dict[str, Callable[[Path], tuple[tuple[str, ...], dict]]] = {
    "garbage_model": _garbage_model,
    "bad_header_model": _bad_header_model,
    "truncated_model": _truncated_model,
    "bad_yaml": _bad_yaml,
    "bad_urdf": _bad_urdf,
}


def _corrupt_case(h: Harness, node: NodeProcess, probe: Probe, name: str) -> dict:
    err = probe.wait_status(None, ("error",), 0.5)
    state = probe.lifecycle_state(5.0)
    alive = node.alive()
    m = probe.mark()
    probe.send(Probe.command("a person bows", 1.0, cid=f"{name}_cmd"))
    na = probe.wait_status(f"{name}_cmd", ("error",), h.bounds.answer_timeout_s, m)
    rc = node.stop(signal.SIGTERM, 20)
    return {
        "error_status": err.error[:300] if err else None,
        "lifecycle_state": state,
        "alive": alive,
        "command_answer": na.error[:200] if na else None,
        "sigterm_exit_status": rc,
    }


def corrupt(h: Harness) -> dict:
    """(g) Nodes given a corrupt model file or a broken robot file: each must stay up,
    unconfigured, say why on ~/status, refuse commands, and exit 0 on SIGTERM."""
    work = h.workdir("corrupt")
    started = []
    for name in h.bounds.corrupt_cases:
        params, env = CORRUPT_CASES[name](work)
        node, probe = h.start(f"corrupt_{name}", params, extra_env=env)
        started.append((name, node, probe))
    figures: dict = {}
    try:
        wait_until(  # every node said what is wrong (or died), under one deadline
            lambda: all(p.statuses(states=("error",)) or not n.alive() for _, n, p in started),
            h.bounds.start_timeout_s,
            0.2,
        )
        for name, node, probe in started:
            figures[name] = _corrupt_case(h, node, probe, name)
    finally:
        for _, node, _ in started:
            node.stop(signal.SIGKILL, 5)
    crit = []
    for name, f in figures.items():
        ok = (
            f["alive"]
            and f["lifecycle_state"] == "unconfigured"
            and bool(f["error_status"] and "configure failed" in f["error_status"])
            and bool(f["command_answer"] and "not active" in f["command_answer"])
            and f["sigterm_exit_status"] == 0
        )
        crit.append(
            criterion(
                f"corrupt.{name}",
                f"{name}: node stays up, unconfigured, error status, refuses commands, exits 0 on "
                "SIGTERM",
                ok,
                f"{f['lifecycle_state']}, alive {f['alive']}, exit {f['sigterm_exit_status']}",
            )
        )
    return {"figures": figures, "criteria": crit}


__all__ = ["CORRUPT_CASES", "corrupt", "duplicates", "signals"]
