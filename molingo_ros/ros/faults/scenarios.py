"""Scenarios on the shared node: fuzzed String commands, malformed MotionCommands, action goal
bursts, and the soak. Each takes a :class:`~molingo_ros.ros.faults.harness.Harness` and
returns figures and pass/fail criteria (see harness's module docstring).
"""

from __future__ import annotations

import random
import time

from rclpy.serialization import serialize_message
from std_msgs.msg import String

from molingo_ros.ros.faults.harness import Harness, criterion
from molingo_ros.ros.faults.probe import Probe, wait_until
from molingo_ros.ros.messages import to_time

KNOWN = (
    "a person walks forward",
    "a person waves the right hand",
    "a person bows",
    "a person raises both hands",
    "a person kicks",
    "a person runs",
)
ACCEPTED = ("queued", "generating", "streaming", "done", "cancelled")
REFUSED = ("error", "refused")


def settle(probe: Probe, timeout_s: float = 5.0) -> None:
    """Stop whatever plays (a stop word) and wait for the stopped status."""
    m = probe.mark()
    probe.send_text("stop")
    probe.wait_status(None, ("stopped",), timeout_s, m)
    time.sleep(0.3)


def fuzz_texts(n: int, seed: int = 15) -> list[tuple[str, str | bytes]]:
    """``n`` (kind, text) String commands: random unicode, huge, empty, control characters,
    invalid UTF-8 (raw bytes), unknown words and valid commands, mixed."""
    rng = random.Random(seed)
    bad_utf8 = bytearray(serialize_message(String(data="hello world")))
    bad_utf8[8:12] = b"\xff\xfe\xc3\x28"
    fixed: list[tuple[str, str | bytes]] = [
        ("empty", ""),
        ("blank", " \t\n "),
        ("huge_100k", "walk " * 20_000),
        ("huge_1m", "a" * 1_000_000),
        ("control", "\x1b[2J walk forward"),
        ("bell", "\x07 wave"),
        ("nul", "walk\x00 forward"),
        ("bidi", "walk \u202e forward"),
        ("invalid_utf8", bytes(bad_utf8)),
        ("unknown", "open the door"),
    ]
    ranges = [
        (0x20, 0x7E),
        (0xA0, 0x2FF),
        (0x370, 0x3FF),
        (0x4E00, 0x4FFF),
        (0x1F300, 0x1F6FF),
        (0x0, 0x1F),
        (0xE000, 0xE0FF),
        (0x300, 0x36F),
    ]
    out = []
    for i in range(n):
        if i < len(fixed):
            out.append(fixed[i])
        elif i % 3 == 0:
            out.append(("valid", rng.choice(KNOWN)))
        else:
            k = rng.randint(1, 200)
            chars = []
            for _ in range(k):
                lo, hi = rng.choice(ranges)
                chars.append(chr(rng.randint(lo, hi)))
            out.append(("random_unicode", "".join(chars)))
    rng.shuffle(out)
    return out


def fuzz(h: Harness) -> dict:
    """(a) String commands of every kind at ``fuzz_rate_hz``: each must be answered on the
    status topic (error, refusal or acceptance), and the node must keep serving."""
    node, probe = h.shared()
    b = h.bounds
    rss0 = node.rss_mib()
    mark = probe.mark()
    texts = fuzz_texts(b.fuzz_count)
    t0 = time.time()
    for _, text in texts:
        probe.send_text(text)
        time.sleep(1.0 / b.fuzz_rate_hz)
    send_s = time.time() - t0

    def answers() -> int:
        st = probe.since(mark, "status")
        bad = sum(s.state in ("error", "refused", "stopped") for s in st)
        return bad + len({s.command_id for s in st if s.state in ACCEPTED})

    wait_until(lambda: answers() >= len(texts), b.answer_timeout_s)
    n_answers = answers()
    errors = [s for s in probe.since(mark, "status") if s.state in REFUSED]
    settle(probe)
    after = Probe.command("a person bows", 1.0, cid="after_fuzz")
    m2 = probe.mark()
    probe.send(after)
    served = probe.wait_status("after_fuzz", ("streaming", "done"), 30.0, m2) is not None
    kinds: dict[str, int] = {}
    for k, _ in texts:
        kinds[k] = kinds.get(k, 0) + 1
    figures = {
        "sent": len(texts),
        "kinds": kinds,
        "rate_hz": round(len(texts) / send_s, 1),
        "answers": n_answers,
        "answered_pct": round(100.0 * min(n_answers, len(texts)) / len(texts), 1),
        "error_or_refused_statuses": len(errors),
        "rss_before_mib": round(rss0, 1),
        "rss_after_mib": round(node.rss_mib(), 1),
        "alive": node.alive(),
    }
    crit = [
        criterion("fuzz.alive", "the node survives the fuzz", node.alive()),
        criterion(
            "fuzz.answered",
            "every fuzzed command is answered on ~/status",
            n_answers >= len(texts),
            f"{n_answers}/{len(texts)}",
        ),
        criterion("fuzz.serving", "a valid command after the fuzz streams", served),
    ]
    return {"figures": figures, "criteria": crit}


def malformed_cases(now_s: float) -> list[tuple[str, str, object]]:
    """(name, group, MotionCommand) for every malformed field; group "stamp" are the bad
    malformed header stamps, "ok" is a well-formed control that must be accepted."""
    big_id = "bad_id_" + "x" * 300
    cases: list[tuple[str, str, object]] = []

    def cmd(name: str, group: str, **kw) -> None:
        m = Probe.command(kw.pop("text", "a person waves the right hand"), 1.0, cid=name)
        for k, v in kw.items():
            setattr(m, k, v)
        cases.append((name, group, m))

    cmd("mode_2", "field", mode=2)
    cmd("mode_255", "field", mode=255)
    cmd("duration_neg", "field", duration_s=-1.0)
    cmd("duration_nan", "field", duration_s=float("nan"))
    cmd("duration_inf", "field", duration_s=float("inf"))
    cmd("duration_ninf", "field", duration_s=float("-inf"))
    cmd("seed_neg", "field", seed=-5)
    cmd(big_id, "field")
    cmd("text_long", "field", text="a person walks " * 100)
    cmd("text_huge", "field", text="w" * 200_000)
    cmd("text_empty", "field", text="")
    cmd("text_control", "field", text="walk\x1b forward")
    for name, sec, nsec in (
        ("stamp_sec_minus_1", -1, 0),
        ("stamp_sec_min_int32", -(2**31), 0),
        ("stamp_sec_max_int32", 2**31 - 1, 0),
        ("stamp_one_year_ahead", int(now_s) + 365 * 86400, 0),
        ("stamp_nanosec_max_uint32", int(now_s), 4294967295),
    ):
        m = Probe.command("a person waves the right hand", 1.0, cid=name)
        m.header.stamp.sec, m.header.stamp.nanosec = sec, nsec
        cases.append((name, "stamp", m))
    cases.append(("well_formed", "ok", Probe.command("a person bows", 1.0, cid="well_formed")))
    return cases


def _verdict(probe: Probe, cid: str, mark, timeout_s: float) -> str:
    """ "accepted", "refused" or "unanswered" for the command ``cid`` (the node cuts ids to
    256 characters in its answers)."""
    key = cid[:256]
    s = probe.wait_status(key, ACCEPTED + REFUSED, timeout_s, mark)
    if s is None:
        return "unanswered"
    return "refused" if s.state in REFUSED else "accepted"


def _goal_verdict(probe: Probe, msg, timeout_s: float) -> str:
    """The answer to one goal: rejected, or the final status of its result."""
    from action_msgs.msg import GoalStatus

    fut = probe.goal(msg)
    if not wait_until(fut.done, timeout_s) or fut.result() is None:
        return "unanswered"
    handle = fut.result()
    if not handle.accepted:
        return "rejected"
    res = handle.get_result_async()
    if not wait_until(res.done, timeout_s):
        return "accepted, no result"
    names = {
        GoalStatus.STATUS_SUCCEEDED: "succeeded",
        GoalStatus.STATUS_ABORTED: "aborted",
        GoalStatus.STATUS_CANCELED: "canceled",
    }
    return names.get(res.result().status, f"status {res.result().status}")


def malformed(h: Harness) -> dict:
    """(b) MotionCommands with each bad field, and each malformed stamp: accepted or
    refused (an error status about that id); and one bad-stamp goal through the action."""
    node, probe = h.shared()
    b = h.bounds
    verdicts: dict[str, dict] = {}
    for name, group, msg in malformed_cases(time.time()):
        mark = probe.mark()
        if group != "stamp":  # stamped now, so that no case is refused as stale instead
            msg.header.stamp = to_time(time.time())
        probe.send(msg)
        verdict = _verdict(probe, name, mark, b.answer_timeout_s)
        verdicts[name[:40]] = {"group": group, "verdict": verdict}
        time.sleep(0.15)
    goal = Probe.command("a person waves the right hand", 1.0, cid="goal_stamp_minus_1")
    goal.header.stamp.sec = -1
    goal_verdict = _goal_verdict(probe, goal, b.answer_timeout_s)
    settle(probe)
    stamps = {k: v["verdict"] for k, v in verdicts.items() if v["group"] == "stamp"}
    fields = {k: v["verdict"] for k, v in verdicts.items() if v["group"] == "field"}
    accepted_stamps = sorted(k for k, v in stamps.items() if v != "refused")
    accepted_fields = sorted(k for k, v in fields.items() if v != "refused")
    figures = {
        "cases": verdicts,
        "stamps_refused": f"{len(stamps) - len(accepted_stamps)}/{len(stamps)}",
        "stamps_not_refused": accepted_stamps,
        "fields_refused": f"{len(fields) - len(accepted_fields)}/{len(fields)}",
        "fields_not_refused": accepted_fields,
        "goal_with_stamp_sec_minus_1": goal_verdict,
        "alive": node.alive(),
    }
    crit = [
        criterion(
            "malformed.stamps_refused",
            "all malformed stamps refused (sec -1, -2^31, 2^31-1, a year ahead, nanosec 2^32-1)",
            not accepted_stamps,
            figures["stamps_refused"],
            required=True,
        ),
        criterion(
            "malformed.fields_refused",
            "every other malformed field refused (mode, duration, seed, id, text)",
            not accepted_fields,
            figures["fields_refused"],
        ),
        criterion(
            "malformed.goal_stamp_refused",
            "a goal stamped sec = -1 is rejected or aborted",
            goal_verdict in ("rejected", "aborted"),
            goal_verdict,
        ),
        criterion(
            "malformed.well_formed_accepted",
            "the well-formed control command is accepted",
            verdicts["well_formed"]["verdict"] == "accepted",
        ),
        criterion("malformed.alive", "the node survives", node.alive()),
    ]
    return {"figures": figures, "criteria": crit}


__all__ = ["KNOWN", "settle", "fuzz", "fuzz_texts", "malformed", "malformed_cases"]
