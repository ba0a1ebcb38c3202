"""The summary of a ``molingo session``: what the node recorded (its bag: message counts per
topic and its last ``/diagnostics``), what the simulator reported (``sim.json``) and what the
operator's commands returned, as one JSON-able dict and as the text printed for the operator."""

from __future__ import annotations

from pathlib import Path

SIM_REPORT_KEYS = (
    "messages",
    "streamed",
    "holds",
    "name_mismatches",
    "out_of_limits",
    "backwards",
    "starved",
    "frames_played",
    "feet_min_height_m",
    "feet_max_low_height_m",
    "video_frames",
)
"""The keys of molingo_sim's report that the summary keeps (its ``sim`` entry)."""


def read_bag(bag: Path) -> tuple[dict[str, int], dict[str, str]]:
    """(messages per topic, the key/values of the last ``/diagnostics`` message's first status)
    of the rosbag2 folder ``bag``; no ``/diagnostics`` message: an empty dict."""
    from rosbags.rosbag2 import Reader

    from molingo_ros.ros.recorder import project_typestore

    counts: dict[str, int] = {}
    diag: dict[str, str] = {}
    store = project_typestore()
    with Reader(bag) as reader:
        for conn, _, raw in reader.messages():
            counts[conn.topic] = counts.get(conn.topic, 0) + 1
            if conn.topic == "/diagnostics":
                msg = store.deserialize_cdr(raw, conn.msgtype)
                diag = {kv.key: kv.value for kv in msg.status[0].values}
    return counts, diag


def summarise(
    robot: str,
    results: list[dict],
    bag: Path,
    bag_counts: dict[str, int],
    diagnostics: dict[str, str],
    sim_report: dict,
    video: Path | None,
    exits: tuple[int | None, int | None],
    wall_s: float,
) -> dict:
    """The session's summary (``summary.json``). ``results``: one dict per command (see
    :func:`~molingo_ros.ros.session_operator.OperatorClient.wait_result`); ``bag_counts`` and
    ``diagnostics`` from :func:`read_bag`; ``sim_report``: molingo_sim's report (empty when it
    wrote none); ``video``: the MP4 asked for (None: no video; kept only if it exists);
    ``exits``: exit status of (node, simulator), None when killed; ``wall_s``: seconds."""
    first = next((r for r in results if r["latency_s"] > 0), None)
    return {
        "robot": robot,
        "commands": results,
        "latency_to_first_motion_s": first["latency_s"] if first else None,
        "realtime_factor": diagnostics.get("realtime_factor"),
        "device": diagnostics.get("device"),
        "frames_rejected_by_validation": int(diagnostics.get("frames_rejected", 0)),
        "frames_clamped_by_validation": int(diagnostics.get("frames_clamped", 0)),
        "sim": {k: sim_report.get(k) for k in SIM_REPORT_KEYS},
        "bag": str(bag),
        "bag_messages": bag_counts,
        "video": str(video) if video and video.exists() else None,
        "node_exit": exits[0],
        "sim_exit": exits[1],
        "wall_s": wall_s,
    }


def print_summary(s: dict) -> None:
    """Print the summary ``s`` (from :func:`summarise`) for the operator."""
    print("\n== molingo session ==")
    for c in s["commands"]:
        state = "done" if c["success"] else f"stopped ({c['error']})"
        print(
            f"  t={c['sent_at_s']:4.1f} s {c['mode']:7s} {c['text']!r}: "
            f"{state}, {c['frames']} frames"
        )
    print(
        f"latency to first motion: {s['latency_to_first_motion_s']} s (text -> first chunk ready)"
    )
    print(f"real-time factor: {s['realtime_factor']} on {s['device']}")
    print(
        f"validation: {s['frames_rejected_by_validation']} frames held, "
        f"{s['frames_clamped_by_validation']} slowed"
    )
    sim = s["sim"]
    print(
        f"simulator: {sim['streamed']} trajectories + {sim['holds']} holds, joint names "
        f"mismatched {sim['name_mismatches']}, points out of limits {sim['out_of_limits']}, "
        f"starved {sim['starved']}, feet {sim['feet_min_height_m']:.3f} m lowest"
    )
    print(f"bag: {s['bag']} ({sum(s['bag_messages'].values())} messages)")
    print(f"video: {s['video']}")
    print(f"exit codes: node {s['node_exit']}, sim {s['sim_exit']}; {s['wall_s']} s in all")
