"""Reading the node's bags back: with rosbags' ``AnyReader`` (what an operator would use), and,
when that fails, by scanning the raw mcap records (what is on disk at all).

Times are the bag's message times (the node's publish time), in seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TRAJ = "/joint_trajectory_controller/joint_trajectory"
JS = "/molingo_node/joint_states"
STATUS = "/molingo_node/status"


def read_bag(path: Path) -> dict:
    """Open ``path`` (a rosbag2 folder) with ``AnyReader`` and summarise it: message count,
    last message time (s), the last status, the last joint state's largest |velocity| (rad/s),
    the holds (one-point trajectories) and the last streamed trajectory.

    Never raises: ``opened`` False and ``error`` say why it could not be read."""
    from rosbags.highlevel import AnyReader

    from molingo_ros.ros.recorder import project_typestore

    out: dict = {"path": str(path), "opened": False, "error": None, "messages": 0}
    try:
        with AnyReader([Path(path)], default_typestore=project_typestore()) as reader:
            last_t = 0
            statuses: list[tuple[float, str]] = []
            holds: list[float] = []
            streams: list[float] = []
            last_js: tuple[float, float] | None = None
            for conn, t, raw in reader.messages():
                out["messages"] += 1
                last_t = max(last_t, t)
                if conn.topic not in (TRAJ, JS, STATUS):
                    continue
                msg = reader.deserialize(raw, conn.msgtype)
                ts = t * 1e-9
                if conn.topic == STATUS:
                    statuses.append((ts, msg.state))
                elif conn.topic == JS:
                    v = np.abs(np.asarray(msg.velocity, float))
                    last_js = (ts, float(v.max()) if v.size else 0.0)
                elif len(msg.points) == 1:
                    holds.append(ts)
                else:
                    streams.append(ts)
    except Exception as exc:  # noqa: BLE001 - a bag that cannot be read is the finding
        out["error"] = f"{type(exc).__name__}: {exc}"[:400]
        return out
    out.update(
        opened=True,
        last_s=last_t * 1e-9 if out["messages"] else None,
        statuses=len(statuses),
        last_status=statuses[-1][1] if statuses else None,
        last_status_s=statuses[-1][0] if statuses else None,
        last_js_s=last_js[0] if last_js else None,
        last_js_max_abs_velocity=last_js[1] if last_js else None,
        holds=len(holds),
        last_hold_s=holds[-1] if holds else None,
        last_stream_s=streams[-1] if streams else None,
    )
    return out


def salvage_mcap(path: Path) -> dict:
    """Scan the raw mcap files in ``path`` record by record (no index, no footer needed) and
    report the messages found and the last message time (s): what a repair could recover."""
    from mcap.records import Message
    from mcap.stream_reader import StreamReader

    files = sorted(Path(path).glob("*.mcap"))
    out = {
        "files": [f.name for f in files],
        "bytes": sum(f.stat().st_size for f in files),
        "messages": 0,
        "last_s": None,
        "stopped_at": None,
    }
    last = 0
    for f in files:
        try:
            with open(f, "rb") as fh:
                for rec in StreamReader(fh, skip_magic=False).records:
                    if isinstance(rec, Message):
                        out["messages"] += 1
                        last = max(last, rec.log_time)
        except Exception as exc:  # noqa: BLE001 - a truncated file ends the scan
            out["stopped_at"] = f"{f.name}: {type(exc).__name__}: {exc}"[:300]
    out["last_s"] = last * 1e-9 if last else None
    out["metadata_yaml"] = (Path(path) / "metadata.yaml").exists()
    return out


__all__ = ["read_bag", "salvage_mcap"]
