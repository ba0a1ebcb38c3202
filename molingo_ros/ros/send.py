"""``molingo send``: the operator's command line for a running molingo_node.

    molingo send "walk forward, then wave with your right hand" --duration 6 --wait
    molingo send "bow" --mode queue
    molingo send "run" --wait --timeout 30      # Ctrl-C while waiting cancels the goal

Sends the text as a GenerateMotion goal. Without ``--wait`` it returns once the node accepted
the goal (the motion plays on). With ``--wait`` it shows a progress bar of the frames streamed
and prints the result. Exit status: 0 success/accepted, 1 failed/rejected/cancelled, 2 no node.
Use the same ROS_DOMAIN_ID (and discovery settings) as the node.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_ACTION = "/molingo_node/generate"
ANSWER_WAIT_S = 3.0
"""Without --wait: how long to wait for a stop's or a refusal's answer before returning."""
FRAME_RATE_HZ = 30.0
"""The node's frame rate: the progress bar's total is ``duration * FRAME_RATE_HZ`` frames."""


@dataclass(frozen=True)
class SendRequest:
    """What to send and how to wait: ``duration_s`` 0 lets the node choose, ``seed`` -1 is
    random, ``command_id`` "" gets a fresh one (``send-<8 hex digits>``: a goal whose answer
    is lost is sent again under its id, :mod:`molingo_ros.ros.goal_client`);
    ``server_timeout_s`` to find the node
    (and for its answer), ``timeout_s`` for the result with ``wait`` (0: no limit); all in s."""

    text: str
    mode: str = "replace"
    duration_s: float = 0.0
    seed: int = -1
    command_id: str = ""
    wait: bool = False
    action: str = DEFAULT_ACTION
    server_timeout_s: float = 10.0
    timeout_s: float = 0.0

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> SendRequest:
        """From :func:`build_parser`'s arguments."""
        return cls(
            text=args.text,
            mode=args.mode,
            duration_s=args.duration,
            seed=args.seed,
            command_id=args.id,
            wait=args.wait,
            action=args.action,
            server_timeout_s=args.server_timeout,
            timeout_s=args.timeout,
        )

    def expected_frames(self) -> int | None:
        """Frames the motion will have (None: the node chooses the duration)."""
        return int(round(self.duration_s * FRAME_RATE_HZ)) if self.duration_s > 0 else None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="molingo send", description=__doc__.split("\n\n")[0])
    p.add_argument("text", help="what the robot should do")
    p.add_argument("--mode", choices=["replace", "queue"], default="replace")
    p.add_argument("--duration", type=float, default=0.0, help="seconds (0: node default)")
    p.add_argument("--seed", type=int, default=-1, help="-1: random")
    p.add_argument("--id", default="", help="command id (default: send-<8 hex digits>)")
    p.add_argument("--wait", action="store_true", help="show progress and wait for the result")
    p.add_argument("--action", default=DEFAULT_ACTION, help=f"action name ({DEFAULT_ACTION})")
    p.add_argument("--server-timeout", type=float, default=10.0, help="seconds to find the node")
    p.add_argument("--timeout", type=float, default=0.0, help="seconds to wait (0: no limit)")
    return p


def motion_command(request: SendRequest, stamp_s: float) -> Any:
    """The request as a molingo_ros/MotionCommand stamped ``stamp_s`` (ROS time, s)."""
    from molingo_ros.msg import MotionCommand
    from molingo_ros.ros.messages import to_time

    cmd = MotionCommand()
    cmd.header.stamp = to_time(stamp_s)
    cmd.text = request.text
    cmd.duration_s = float(request.duration_s)
    cmd.mode = MotionCommand.MODE_QUEUE if request.mode == "queue" else MotionCommand.MODE_REPLACE
    cmd.seed = int(request.seed)
    cmd.id = request.command_id or f"send-{uuid.uuid4().hex[:8]}"
    return cmd


def _error(text: str) -> None:
    print(f"molingo send: {text}", file=sys.stderr)


class GoalSender:
    """Sends one request as a GenerateMotion goal from ``node`` (spun here, in the main
    thread) and follows it; Ctrl-C only sets ``interrupted``, checked between spins."""

    def __init__(self, node: Any, request: SendRequest, interrupted: threading.Event) -> None:
        from molingo_ros.action import GenerateMotion
        from molingo_ros.ros.goal_client import GoalClient

        self._node = node
        self._request = request
        self._interrupted = interrupted
        self._goal_type = GenerateMotion.Goal
        self._client = GoalClient(node, request.action)
        self._streamed = False
        self._bar: Any = None  # the progress bar, from sending on (shown with ``wait``)

    def run(self) -> int:
        """Find the node, send, wait as asked; the exit status (0 success/accepted, 1
        failed/rejected/cancelled, 2 no node)."""
        from tqdm import tqdm

        r = self._request
        if not self._client.action.wait_for_server(timeout_sec=r.server_timeout_s):
            _error(
                f"no action server {r.action} within {r.server_timeout_s:g} s "
                "(is molingo_node running and active, on this ROS_DOMAIN_ID?)"
            )
            return 2
        if self._interrupted.is_set():
            _error("interrupted; nothing was sent")
            return 1
        cmd = motion_command(r, self._node.get_clock().now().nanoseconds * 1e-9)
        self._bar = tqdm(
            total=r.expected_frames(), unit="frame", desc="streamed", disable=not r.wait
        )
        sent = self._client.send(self._goal_type(command=cmd), feedback_callback=self._on_feedback)
        answered = lambda: sent.poll() is not None  # noqa: E731 - polled between spins
        if self._spin_until(answered, r.server_timeout_s) == "interrupted":
            # Ctrl-C before the node answered: wait for the answer, then cancel what it took.
            self._spin_until(answered, 5.0, stop_on_ctrl_c=False)
            return self._cancel(sent.poll(), "interrupted")
        handle = sent.poll()
        if handle is None or not handle.accepted:
            self._bar.close()
            _error("the goal was rejected (is the node active?)")
            return 1
        return self._follow(handle)

    def _follow(self, handle: Any) -> int:
        """After the node accepted the goal: wait for its answer (see :data:`ANSWER_WAIT_S`) or
        its result (``--wait``) and report it."""
        result_future = handle.get_result_async()
        if not self._request.wait:
            # A stop or a refusal is answered at once: wait for that or for the first frames.
            deadline = time.monotonic() + ANSWER_WAIT_S
            while not result_future.done() and not self._streamed and time.monotonic() < deadline:
                self._spin_once()
            if not result_future.done():
                self._bar.close()
                print(f"accepted: {self._request.text!r} ({self._request.mode})")
                return 0
        else:
            state = self._spin_until(result_future.done, self._request.timeout_s)
            if state != "done":
                return self._cancel(handle, "timed out" if state == "timeout" else "interrupted")
        self._bar.close()
        return report_result(result_future.result().result)

    def _on_feedback(self, fb: Any) -> None:
        f = fb.feedback
        if f.frames_streamed > 0:
            self._streamed = True
        self._bar.n = int(f.frames_streamed)
        self._bar.set_postfix(
            latency=f"{f.latency_s * 1000:.0f} ms", rtf=f"{f.realtime_factor:.1f}x"
        )
        self._bar.refresh()

    def _spin_once(self) -> None:
        import rclpy

        rclpy.spin_once(self._node, timeout_sec=0.05)

    def _spin_until(
        self, done: Callable[[], bool], timeout_s: float, stop_on_ctrl_c: bool = True
    ) -> str:
        """Spin until ``done()``: "done", "interrupted" or "timeout" (``timeout_s`` s, 0:
        none)."""
        deadline = time.monotonic() + timeout_s if timeout_s > 0 else None
        while not done():
            if stop_on_ctrl_c and self._interrupted.is_set():
                return "interrupted"
            if deadline is not None and time.monotonic() > deadline:
                return "timeout"
            self._spin_once()
        return "done"

    def _cancel(self, handle: Any, why: str) -> int:
        if handle is not None and handle.accepted:
            self._spin_until(handle.cancel_goal_async().done, 5.0, stop_on_ctrl_c=False)
        self._bar.close()
        _error(f"{why}; the goal was cancelled (the robot holds)")
        return 1


def report_result(res: Any) -> int:
    """Print a GenerateMotion result (the plan and frames, or the error on stderr); the exit
    status (0 success, 1 failure)."""
    if res.success:
        if res.message:
            print(f"plan: {res.message}")
        print(f"done: {res.command_id}: {res.frames} frames, {res.duration_s:.2f} s of motion")
        return 0
    print(f"failed: {res.command_id}: {res.error}", file=sys.stderr)
    return 1


def send(request: SendRequest) -> int:
    """Send ``request`` to the node in this environment's ROS domain; the exit status."""
    import rclpy
    from rclpy.node import Node
    from rclpy.signals import SignalHandlerOptions

    from molingo_ros.ros.spin import signal_flag

    # Ctrl-C only sets a flag, checked between spins (a KeyboardInterrupt raised inside
    # rclpy's C++ calls can surface as another error).
    interrupted = signal_flag((signal.SIGINT,))
    rclpy.init(args=None, signal_handler_options=SignalHandlerOptions.NO)
    node = Node("molingo_send")
    try:
        return GoalSender(node, request, interrupted).run()
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


def main(argv: list[str] | None = None) -> int:
    return send(SendRequest.from_args(build_parser().parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
