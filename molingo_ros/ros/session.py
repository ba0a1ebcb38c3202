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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from molingo_ros.robot import DEFAULT_ROBOT
from molingo_ros.robot.registry import config_dir
from molingo_ros.ros.node_env import node_env
from molingo_ros.ros.session_operator import OperatorClient, SessionCommand, play
from molingo_ros.ros.session_summary import print_summary, read_bag, summarise

DEFAULT_SESSION: tuple[SessionCommand, ...] = (
    # (seconds after the start, text, duration s, mode)
    (0.0, "a person walks forward", 5.0, "replace"),
    (2.5, "a person walks turning left", 3.0, "replace"),
    (2.6, "a person waves the right hand", 3.0, "queue"),
    (2.7, "a person bows", 2.5, "queue"),
)

PHYSICS_SESSION: tuple[SessionCommand, ...] = (
    # The standing skills, for ``--physics`` (walking under physics: docs/DYNAMICS.md).
    (0.0, "a person waves the right hand", 3.0, "replace"),
    (0.1, "a person raises both hands", 3.0, "queue"),
    (0.2, "a person bows", 3.0, "queue"),
    (0.3, "a person waves both hands", 3.0, "queue"),
)


@dataclass
class SessionResult:
    """``summary``: see :func:`~molingo_ros.ros.session_summary.summarise`; ``bag``: the node's
    rosbag2 folder; ``video``: the simulator's MP4 (None: none asked for); ``report``:
    molingo_sim's report (empty when it wrote none)."""

    summary: dict
    bag: Path
    video: Path | None
    report: dict


@dataclass(frozen=True)
class SessionFiles:
    """Where a session writes, all under ``out``: the node's bag (``bag_<date>_<time>``), the
    simulator's video and report, both processes' logs, ``summary.json``."""

    out: Path
    bag: Path
    video: Path | None
    report: Path

    @classmethod
    def create(cls, out: Path, video: bool) -> SessionFiles:
        """Create ``out``; the bag is named after the local time now."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d_%H%M%S")
        return cls(out, out / f"bag_{stamp}", out / "sim.mp4" if video else None, out / "sim.json")

    @property
    def node_log(self) -> Path:
        return self.out / "node.log"

    @property
    def sim_log(self) -> Path:
        return self.out / "sim.log"

    @property
    def summary(self) -> Path:
        return self.out / "summary.json"


def session_env(domain: int, out: Path) -> dict[str, str]:
    """The processes' environment: :func:`~molingo_ros.ros.node_env.node_env` in ``domain``
    (ROS logs under ``out/roslog``), except that a discovery range or a ROS log folder the
    operator set is kept."""
    keep = ("ROS_AUTOMATIC_DISCOVERY_RANGE", "ROS_LOG_DIR")
    return node_env(domain, out, {k: os.environ[k] for k in keep if k in os.environ})


def node_command(robot: str, bag: Path) -> list[str]:
    """``molingo_node`` (next to this Python) with config/molingo.yaml, ``robot``, recording
    to ``bag``."""
    return [
        str(Path(sys.executable).parent / "molingo_node"),
        "--ros-args",
        "--params-file",
        str(config_dir() / "molingo.yaml"),
        "-p",
        f"robot:={robot}",
        "-p",
        "record.enabled:=true",
        "-p",
        f"record.path:={bag}",
    ]


def sim_command(
    robot: str,
    files: SessionFiles,
    video_fps: float,
    size: tuple[int, int],
    physics: bool = False,
) -> list[str]:
    """``molingo_sim`` for ``robot``, reporting to ``files.report`` and rendering
    ``files.video`` (if any) at ``video_fps`` frames/s and ``size`` (width, height) px; under
    MuJoCo physics with the whole-body controller when ``physics``."""
    args = [
        str(Path(sys.executable).parent / "molingo_sim"),
        "--ros-args",
        "-p",
        f"robot:={robot}",
        "-p",
        f"report:={files.report}",
        "-p",
        f"video_fps:={video_fps}",
        "-p",
        f"video_width:={size[0]}",
        "-p",
        f"video_height:={size[1]}",
    ]
    if files.video is not None:
        args += ["-p", f"video:={files.video}"]
    if physics:
        args += ["-p", "physics:=true"]
    return args


def _start(args: list[str], env: dict[str, str], log: IO[str]) -> subprocess.Popen:
    return subprocess.Popen(
        args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


class SessionProcesses:
    """molingo_node and molingo_sim, each in its own session (process group), their output in
    ``files.node_log`` and ``files.sim_log``."""

    def __init__(
        self, node_args: list[str], sim_args: list[str], files: SessionFiles, env: dict[str, str]
    ) -> None:
        self._logs = [open(files.node_log, "w"), open(files.sim_log, "w")]  # noqa: SIM115
        self.node = _start(node_args, env, self._logs[0])
        self.sim = _start(sim_args, env, self._logs[1])

    def running(self) -> bool:
        """Whether both still run."""
        return self.node.poll() is None and self.sim.poll() is None

    def interrupt(self) -> None:
        """SIGINT to each one still running (the node closes its bag, the simulator renders)."""
        for proc in (self.node, self.sim):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)

    def wait(self, timeout_s: float = 600.0) -> None:
        """Wait up to ``timeout_s`` (s) for each, SIGKILL it after that (its exit status then
        stays None); close the logs."""
        for proc in (self.node, self.sim):
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        for log in self._logs:
            log.close()

    def exits(self) -> tuple[int | None, int | None]:
        """Exit status of (node, simulator)."""
        return self.node.returncode, self.sim.returncode


def wait_until_ready(
    client: OperatorClient, procs: SessionProcesses, files: SessionFiles, timeout_s: float = 180
) -> None:
    """Until the node's action server is there and its log says "ready"; RuntimeError when a
    process exits first or after ``timeout_s`` (s)."""
    deadline = time.monotonic() + timeout_s
    while not client.server_ready() or "ready" not in files.node_log.read_text():
        if not procs.running() or time.monotonic() > deadline:
            raise RuntimeError(
                f"the node or the simulator did not start; see {files.out}/node.log, sim.log"
            )
        time.sleep(0.2)


def _operate(
    client: OperatorClient,
    procs: SessionProcesses,
    files: SessionFiles,
    commands: Sequence[SessionCommand],
    say: Callable[[str], None],
) -> list[dict]:
    """Wait for the node, play ``commands``, let the last frames arrive; the results."""
    wait_until_ready(client, procs, files)
    time.sleep(1.0)  # the simulator's subscriptions
    say("node ready; the operator session starts")
    results = play(client, commands, say)
    time.sleep(1.0)
    return results


def run_session(
    out: Path,
    robot: str = DEFAULT_ROBOT,
    commands: Sequence[SessionCommand] = DEFAULT_SESSION,
    video: bool = True,
    video_fps: float = 10.0,
    size: tuple[int, int] = (640, 480),
    domain: int | None = None,
    progress: bool = True,
    physics: bool = False,
) -> SessionResult:
    """Run the session; files go to ``out`` (bag_<date>/, sim.mp4, sim.json, summary.json,
    node.log, sim.log). ``size``: video (width, height) px; ``domain``: the ROS_DOMAIN_ID
    (default: this environment's, else one from the process id); ``physics``: the simulator
    performs the stream under MuJoCo physics (whole-body controller) instead of replaying it."""

    def say(text: str) -> None:
        if progress:
            print(f"[session] {text}", flush=True)

    files = SessionFiles.create(out, video)
    if domain is None:
        domain = int(os.environ.get("ROS_DOMAIN_ID", 60 + os.getpid() % 60))
    procs = SessionProcesses(
        node_command(robot, files.bag),
        sim_command(robot, files, video_fps, size, physics),
        files,
        session_env(domain, files.out),
    )
    say(
        f"molingo_node (pid {procs.node.pid}) and molingo_sim (pid {procs.sim.pid}), "
        f"ROS_DOMAIN_ID={domain}"
    )
    client = OperatorClient(domain)
    t_start = time.monotonic()
    try:
        results = _operate(client, procs, files, commands, say)
    finally:
        procs.interrupt()
        client.close()
        say("stopping; the simulator renders the video" if video else "stopping")
        procs.wait()
    report = json.loads(files.report.read_text()) if files.report.exists() else {}
    counts, diag = read_bag(files.bag)
    wall_s = round(time.monotonic() - t_start, 1)
    summary = summarise(
        robot, results, files.bag, counts, diag, report, files.video, procs.exits(), wall_s
    )
    files.summary.write_text(json.dumps(summary, indent=1))
    return SessionResult(summary, files.bag, files.video, report)


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
    ap.add_argument("--robot", default=DEFAULT_ROBOT)
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--video-fps", type=float, default=10.0)
    ap.add_argument("--size", default="640x480", help="video size WxH")
    ap.add_argument("--gif", type=Path, help="also write a GIF of the video (e.g. for the README)")
    ap.add_argument(
        "--physics",
        action="store_true",
        help="perform the standing skills under MuJoCo physics (whole-body controller)",
    )
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    res = run_session(
        args.out,
        args.robot,
        commands=PHYSICS_SESSION if args.physics else DEFAULT_SESSION,
        video=not args.no_video,
        video_fps=args.video_fps,
        size=(w, h),
        physics=args.physics,
    )
    print_summary(res.summary)
    if args.gif and res.video is not None and res.video.exists():
        print(f"gif: {to_gif(res.video, args.gif, args.video_fps, every=2)}")
    ok = res.summary["node_exit"] == 0 and res.summary["sim_exit"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
