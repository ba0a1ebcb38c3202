"""Scenarios under load on the shared node: action goal bursts and the soak (mixed replace and
queue commands for minutes: memory, latency, limits, freezes).
"""

from __future__ import annotations

import random
import threading
import time

from molingo_ros.ros.faults import analysis, checks
from molingo_ros.ros.faults.harness import Harness, criterion
from molingo_ros.ros.faults.launch import RssSampler
from molingo_ros.ros.faults.probe import Probe, wait_until
from molingo_ros.ros.faults.scenarios import KNOWN, settle

_FINAL = {4: "succeeded", 5: "canceled", 6: "aborted"}  # action_msgs/GoalStatus


class _Goal:
    """What happened to one goal of a burst (times in s, wall clock)."""

    def __init__(self, sent_s: float) -> None:
        self.sent_s = sent_s
        self.response_s: float | None = None
        self.final = ""  # rejected / succeeded / canceled / aborted / status N
        self.answered_s: float | None = None


def _send_burst(probe: Probe, n: int, mode: int, cancel_every: int, tag: str) -> list[_Goal]:
    """``n`` goals back to back; each accepted one asks for its result at once, and every
    ``cancel_every``-th accepted one is cancelled right away."""
    goals: list[_Goal] = []
    lock = threading.Lock()

    def on_result(g: _Goal, fut) -> None:
        res = fut.result()
        with lock:
            g.final = _FINAL.get(res.status, f"status {res.status}") if res else "no result"
            g.answered_s = time.time()

    def on_response(i: int, g: _Goal, fut) -> None:
        handle = fut.result()
        with lock:
            g.response_s = time.time()
            if handle is None or not handle.accepted:
                g.final, g.answered_s = "rejected", g.response_s
                return
        handle.get_result_async().add_done_callback(lambda f: on_result(g, f))
        if cancel_every and i % cancel_every == cancel_every - 1:
            handle.cancel_goal_async()

    for i in range(n):
        msg = Probe.command("a person bows", 0.5, mode=mode, cid=f"{tag}{i}", seed=i)
        g = _Goal(time.time())
        goals.append(g)
        probe.goal(msg).add_done_callback(lambda f, i=i, g=g: on_response(i, g, f))
    return goals


def _burst_figures(goals: list[_Goal], wall_s: float) -> dict:
    finals: dict[str, int] = {}
    for g in goals:
        key = g.final or ("accepted, no result" if g.response_s else "no response")
        finals[key] = finals.get(key, 0) + 1
    answered = sum(g.final in ("rejected", *_FINAL.values()) for g in goals)
    return {
        "sent": len(goals),
        "responses": sum(g.response_s is not None for g in goals),
        "outcomes": finals,
        "answered": answered,
        "answered_pct": round(100.0 * answered / len(goals), 1),
        "response_s": checks.stats([g.response_s - g.sent_s for g in goals if g.response_s]),
        "answer_s": checks.stats([g.answered_s - g.sent_s for g in goals if g.answered_s]),
        "wall_s": round(wall_s, 1),
    }


def bursts(h: Harness) -> dict:
    """(c) Bursts of ``burst_size`` goals sent back to back on ~/generate, in replace mode and
    in queue mode, every 5th accepted goal cancelled: every goal must be answered (rejected,
    or a result: succeeded / aborted / canceled) within ``burst_timeout_s``."""
    node, probe = h.shared()
    b = h.bounds
    figures: dict = {}
    for name, mode in (("replace", 0), ("queue", 1)):
        settle(probe)
        t0 = time.monotonic()
        goals = _send_burst(probe, b.burst_size, mode, 5, f"burst_{name}_")
        wait_until(lambda goals=goals: all(g.answered_s for g in goals), b.burst_timeout_s, 0.1)
        figures[name] = _burst_figures(goals, time.monotonic() - t0)
    settle(probe)
    figures["alive"] = node.alive()
    ok = all(figures[k]["answered"] == b.burst_size for k in ("replace", "queue"))
    crit = [
        criterion(
            "bursts.all_answered",
            f"100 % of goals answered in bursts of {b.burst_size} (within "
            f"{b.burst_timeout_s:g} s; replace and queue mode, with cancels)",
            ok,
            f"replace {figures['replace']['answered_pct']} %, queue "
            f"{figures['queue']['answered_pct']} %",
            required=True,
        ),
        criterion("bursts.alive", "the node survives the bursts", node.alive()),
    ]
    return {"figures": figures, "criteria": crit}


def _drive(probe: Probe, seconds: float, alive, rng: random.Random) -> dict[str, tuple]:
    """A steady stream of commands for ``seconds`` (s): replace or queue (half each), 1-3 s
    long, one every 0.8-2.2 s, now and then a stop. Returns id -> (send time s, mode)."""
    sent: dict[str, tuple] = {}
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end and alive():
        i += 1
        if rng.random() < 0.04:
            probe.send_text("stop")
            time.sleep(rng.uniform(0.5, 1.0))
            continue
        mode = 0 if rng.random() < 0.5 else 1
        msg = Probe.command(rng.choice(KNOWN), rng.uniform(1.0, 3.0), mode, f"soak{i}", seed=i)
        sent[msg.id] = (probe.send(msg), mode)
        time.sleep(rng.uniform(0.8, 2.2))
    return sent


def _latencies(probe: Probe, mark, sent: dict[str, tuple]) -> dict:
    """send -> first "streaming" status (s) per mode; for queue mode also the commands sent
    while no other command was live (nothing to wait behind)."""
    streaming = analysis.first_status_times(probe, mark, "streaming")
    first: dict[str, float] = {}
    final: dict[str, float] = {}
    for s in probe.since(mark, "status"):
        first.setdefault(s.command_id, s.recv_s)
        if s.state in analysis.FINAL_STATES:
            final.setdefault(s.command_id, s.recv_s)

    def idle_at(t: float, me: str) -> bool:
        return not any(
            c != me and first[c] <= t < final.get(c, float("inf")) for c in first if c in sent
        )

    out: dict = {}
    for mode, name in ((0, "replace"), (1, "queue")):
        ids = [c for c, (_, m) in sent.items() if m == mode]
        lat = [streaming[c] - sent[c][0] for c in ids if c in streaming]
        idle = [streaming[c] - sent[c][0] for c in ids if c in streaming and idle_at(sent[c][0], c)]
        outs = analysis.outcomes(probe, mark, ids)
        counts: dict[str, int] = {}
        for v in outs.values():
            counts[v or "no status"] = counts.get(v or "no status", 0) + 1
        out[name] = {"send_to_streaming_s": checks.stats(lat), "outcomes": counts}
        if mode == 1:
            out[name]["send_to_streaming_when_idle_s"] = checks.stats(idle)
    return out


def _rss(samples: list[tuple[float, float]], warmup_s: float) -> dict:
    after = [s for s in samples if s[0] >= warmup_s]
    half = samples[-1][0] / 2 if samples else 0.0
    slope = checks.slope_per_min(samples, warmup_s)
    return {
        "samples": len(samples),
        "start_mib": round(samples[0][1], 1) if samples else None,
        "end_mib": round(samples[-1][1], 1) if samples else None,
        "warmup_s": warmup_s,
        "window_s": round(after[-1][0] - after[0][0], 1) if len(after) > 1 else 0.0,
        "growth_after_warmup_mib": round(after[-1][1] - after[0][1], 1) if after else None,
        "slope_after_warmup_mib_per_min": None if slope is None else round(slope, 3),
        "slope_last_half_mib_per_min": checks.slope_per_min(samples, max(half, warmup_s)),
        "series": [(round(t, 1), round(v, 1)) for t, v in samples],
    }


def soak(h: Harness) -> dict:
    """(d) Mixed replace/queue commands for ``soak_s``: RSS slope after warm-up, send ->
    streaming latency, points outside the limits, freezes. On a fresh node when the soak is
    long enough to judge the RSS slope (else on the shared node as it is)."""
    node, probe = h.shared(fresh=h.bounds.slope_measurable)
    b = h.bounds
    sampler = RssSampler(node.pid, b.rss_period_s).start()
    mark, t0, log0 = probe.mark(), time.time(), node.log_size()
    sent = _drive(probe, b.soak_s, node.alive, random.Random(7))
    time.sleep(1.5)
    rss = _rss(sampler.stop(), b.soak_warmup_s)
    quality = analysis.motion_quality(probe, mark, h.limits, h.fps, t0)
    figures = {
        "commands": len(sent),
        "latency": _latencies(probe, mark, sent),
        "motion": quality,
        "held_frames_in_node_log": analysis.held_frames_in_log(node.log_text(10**9, log0)),
        "rss": rss,
        "alive": node.alive(),
    }
    settle(probe)
    pf, jf = quality["plan_freezes"], quality["joint_state_freezes"]
    # One held frame per rejected input frame: a run of k rejected frames that nothing safe
    # could replace is k held frames; the node logs its longest run per chunk.
    allowed = max(1, figures["held_frames_in_node_log"]["longest_hold"])
    slope = rss["slope_after_warmup_mib_per_min"]
    measurable = slope is not None and rss["window_s"] >= b.min_slope_window_s
    crit = [
        criterion(
            "soak.no_long_freeze",
            "no freeze longer than one frame per rejected frame while streaming (identical "
            "consecutive states in the commanded trajectory plan; at most the node's longest "
            "run of held frames, 1 when it held none in a row)",
            pf["longest_frames"] <= allowed,
            f"{pf['count']} freezes, longest {pf['longest_frames']} frames ({pf['longest_s']} s)"
            f"; node's longest run of held frames {allowed}",
            required=True,
        ),
        criterion(
            "soak.joint_state_freeze",
            "no /joint_states freeze longer than 0.25 s while streaming (the 30 Hz samples "
            "repeat a frame now and then, and at a command's end)",
            jf["longest_s"] <= 0.25,
            f"longest {jf['longest_frames']} frames ({jf['longest_s']} s)",
        ),
        criterion(
            "soak.within_limits",
            "0 trajectory points / joint states outside the G1's position and velocity limits",
            quality["points_outside_limits"] == 0,
            quality["points_outside_limits"],
            required=True,
        ),
        criterion(
            "soak.rss_slope",
            f"RSS slope <= 1 MiB/min after warm-up (judged over >= {b.min_slope_window_s:g} s)",
            (slope <= 1.0) if measurable else None,
            f"{slope} MiB/min over {rss['window_s']} s",
            required=True,
        ),
        criterion(
            "soak.rss_growth",
            "no gross leak: RSS grows by at most 50 MiB after warm-up",
            rss["growth_after_warmup_mib"] is not None and rss["growth_after_warmup_mib"] <= 50,
            rss["growth_after_warmup_mib"],
        ),
        criterion("soak.alive", "the node survives the soak", node.alive()),
    ]
    return {"figures": figures, "criteria": crit}


__all__ = ["bursts", "soak"]
