"""The main job (``make demo`` = ``molingo session``): text in, a humanoid moving on screen.

Starts ``molingo_node`` (recording a bag) and ``molingo_sim`` (MuJoCo, rendering a video) as
their own processes, plays a short operator session through the GenerateMotion action —
commands with interruptions: a walk, replaced mid-way by a turn, then a wave and a bow queued
behind it — stops both with SIGINT, and prints a summary: latency to first motion, real-time
factor, validation counts, what the simulator checked, and where the bag and the video are.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SESSION = (
    # (seconds after the start, text, duration s, mode)
    (0.0, "a person walks forward", 5.0, "replace"),
    (2.5, "a person walks turning left", 3.0, "replace"),
    (2.6, "a person waves the right hand", 3.0, "queue"),
    (2.7, "a person bows", 2.5, "queue"),
)


@dataclass
class SessionResult:
    summary: dict
    bag: Path
    video: Path | None
    report: dict


def _env(domain: int, logs: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    env["ROS_DOMAIN_ID"] = str(domain)
    env.setdefault("ROS_LOG_DIR", str(logs))
    env.pop("_ROS_WHEELS_BOOTSTRAP_COMPLETE", None)
    return env


def run_session(
    out: Path,
    robot: str = "g1",
    commands: tuple = DEFAULT_SESSION,
    video: bool = True,
    video_fps: float = 10.0,
    size: tuple[int, int] = (640, 480),
    domain: int | None = None,
    progress: bool = True,
) -> SessionResult:
    """Run the session; files go to ``out`` (bag/, sim.mp4, sim.json, summary.json)."""
    import rclpy
    from rclpy.action import ActionClient
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from rosbags.rosbag2 import Reader

    from molingo_ros.action import GenerateMotion
    from molingo_ros.msg import MotionCommand
    from molingo_ros.robot.models import config_dir
    from molingo_ros.ros.recorder import project_typestore

    def say(text: str) -> None:
        if progress:
            print(f"[session] {text}", flush=True)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d_%H%M%S")
    bag = out / f"bag_{stamp}"
    video_path = out / "sim.mp4" if video else None
    report_path = out / "sim.json"
    domain = (
        domain
        if domain is not None
        else int(os.environ.get("ROS_DOMAIN_ID", 60 + os.getpid() % 60))
    )
    env = _env(domain, out / "ros_logs")
    bindir = Path(sys.executable).parent
    params = config_dir() / "molingo.yaml"
    node_log = open(out / "node.log", "w")  # noqa: SIM115
    sim_log = open(out / "sim.log", "w")  # noqa: SIM115
    node = subprocess.Popen(
        [
            str(bindir / "molingo_node"),
            "--ros-args",
            "--params-file",
            str(params),
            "-p",
            f"robot:={robot}",
            "-p",
            "record.enabled:=true",
            "-p",
            f"record.path:={bag}",
        ],
        env=env,
        stdout=node_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    sim_args = [
        str(bindir / "molingo_sim"),
        "--ros-args",
        "-p",
        f"robot:={robot}",
        "-p",
        f"report:={report_path}",
        "-p",
        f"video_fps:={video_fps}",
        "-p",
        f"video_width:={size[0]}",
        "-p",
        f"video_height:={size[1]}",
    ]
    if video_path is not None:
        sim_args += ["-p", f"video:={video_path}"]
    sim = subprocess.Popen(
        sim_args, env=env, stdout=sim_log, stderr=subprocess.STDOUT, start_new_session=True
    )
    say(f"molingo_node (pid {node.pid}) and molingo_sim (pid {sim.pid}), ROS_DOMAIN_ID={domain}")
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    ctx = Context()
    rclpy.init(context=ctx, domain_id=domain)
    client_node = Node("molingo_session", context=ctx)
    action = ActionClient(client_node, GenerateMotion, "/molingo_node/generate")
    executor = SingleThreadedExecutor(context=ctx)
    executor.add_node(client_node)
    spin = threading.Thread(target=executor.spin, daemon=True)
    spin.start()
    results: list[dict] = []
    t_start = time.monotonic()
    try:
        deadline = time.monotonic() + 180
        while not action.server_is_ready() or "ready" not in (out / "node.log").read_text():
            if node.poll() is not None or sim.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the node or the simulator did not start; see {out}/node.log, sim.log"
                )
            time.sleep(0.2)
        time.sleep(1.0)  # the simulator's subscriptions
        say("node ready; the operator session starts")
        t0 = time.monotonic()
        pending = []
        for at, text, duration, mode in commands:
            while time.monotonic() - t0 < at:
                time.sleep(0.01)
            cmd = MotionCommand()
            cmd.text, cmd.duration_s = text, float(duration)
            cmd.mode = MotionCommand.MODE_QUEUE if mode == "queue" else MotionCommand.MODE_REPLACE
            cmd.id = f"cmd{len(pending)}"
            cmd.seed = len(pending)
            now = client_node.get_clock().now().nanoseconds
            cmd.header.stamp.sec, cmd.header.stamp.nanosec = now // 10**9, now % 10**9
            feedback: list = []
            fut = action.send_goal_async(
                GenerateMotion.Goal(command=cmd), feedback_callback=feedback.append
            )
            pending.append((text, mode, at, fut, feedback, time.monotonic()))
            say(f"t={time.monotonic() - t0:4.1f} s  send ({mode}): {text!r} for {duration:g} s")
        for text, mode, at, fut, feedback, _sent in pending:
            while not fut.done():
                time.sleep(0.01)
            handle = fut.result()
            res_fut = handle.get_result_async()
            while not res_fut.done():
                time.sleep(0.02)
            res = res_fut.result().result
            lat = max((f.feedback.latency_s for f in feedback), default=0.0)
            rtf = max((f.feedback.realtime_factor for f in feedback), default=0.0)
            results.append(
                {
                    "text": text,
                    "mode": mode,
                    "sent_at_s": at,
                    "success": res.success,
                    "error": res.error,
                    "frames": res.frames,
                    "latency_s": round(lat, 3),
                    "realtime_factor": round(rtf, 1),
                }
            )
            say(
                f"{'done     ' if res.success else 'stopped  '} {text!r}: {res.frames} frames"
                + (f" ({res.error})" if res.error else "")
            )
        time.sleep(1.0)
    finally:
        for proc in (node, sim):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        executor.shutdown(timeout_sec=1.0)
        client_node.destroy_node()
        rclpy.try_shutdown(context=ctx)
        say("stopping; the simulator renders the video" if video else "stopping")
        for proc in (node, sim):
            try:
                proc.wait(timeout=600)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        node_log.close()
        sim_log.close()
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    counts: dict[str, int] = {}
    diag: dict[str, str] = {}
    store = project_typestore()
    with Reader(bag) as reader:
        for conn, _, raw in reader.messages():
            counts[conn.topic] = counts.get(conn.topic, 0) + 1
            if conn.topic == "/diagnostics":
                msg = store.deserialize_cdr(raw, conn.msgtype)
                diag = {kv.key: kv.value for kv in msg.status[0].values}
    first = next((r for r in results if r["latency_s"] > 0), None)
    summary = {
        "robot": robot,
        "commands": results,
        "latency_to_first_motion_s": first["latency_s"] if first else None,
        "realtime_factor": diag.get("realtime_factor"),
        "device": diag.get("device"),
        "frames_rejected_by_validation": int(diag.get("frames_rejected", 0)),
        "frames_clamped_by_validation": int(diag.get("frames_clamped", 0)),
        "sim": {
            k: report.get(k)
            for k in (
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
        },
        "bag": str(bag),
        "bag_messages": counts,
        "video": str(video_path) if video_path and video_path.exists() else None,
        "node_exit": node.returncode,
        "sim_exit": sim.returncode,
        "wall_s": round(time.monotonic() - t_start, 1),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return SessionResult(summary, bag, video_path, report)


def print_summary(s: dict) -> None:
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


def to_gif(video: Path, gif: Path, fps: float = 10.0, width: int = 400, every: int = 1) -> Path:
    """A README-sized GIF from the session's MP4 (every ``every``-th frame, ``width`` px)."""
    import imageio_ffmpeg
    import numpy as np
    from PIL import Image

    reader = imageio_ffmpeg.read_frames(str(video))
    meta = next(reader)
    w, h = meta["size"]
    frames = []
    for i, raw in enumerate(reader):
        if i % every:
            continue
        img = Image.fromarray(np.frombuffer(raw, np.uint8).reshape(h, w, 3))
        frames.append(img.resize((width, int(h * width / w))))
    gif.parent.mkdir(parents=True, exist_ok=True)
    frames[0].save(
        gif, save_all=True, append_images=frames[1:], duration=int(1000 * every / fps), loop=0
    )
    return gif


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="molingo session", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("out/demo"))
    ap.add_argument("--robot", default="g1")
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--video-fps", type=float, default=10.0)
    ap.add_argument("--size", default="640x480", help="video size WxH")
    ap.add_argument("--gif", type=Path, help="also write a GIF of the video (e.g. for the README)")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    res = run_session(
        args.out, args.robot, video=not args.no_video, video_fps=args.video_fps, size=(w, h)
    )
    print_summary(res.summary)
    if args.gif and res.video is not None and res.video.exists():
        print(f"gif: {to_gif(res.video, args.gif, args.video_fps, every=2)}")
    ok = res.summary["node_exit"] == 0 and res.summary["sim_exit"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
