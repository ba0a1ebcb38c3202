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
import time

DEFAULT_ACTION = "/molingo_node/generate"
ANSWER_WAIT_S = 3.0
"""Without --wait: how long to wait for a stop's or a refusal's answer before returning."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="molingo send", description=__doc__.split("\n\n")[0])
    p.add_argument("text", help="what the robot should do")
    p.add_argument("--mode", choices=["replace", "queue"], default="replace")
    p.add_argument("--duration", type=float, default=0.0, help="seconds (0: node default)")
    p.add_argument("--seed", type=int, default=-1, help="-1: random")
    p.add_argument("--id", default="", help="command id (default: the node assigns one)")
    p.add_argument("--wait", action="store_true", help="show progress and wait for the result")
    p.add_argument("--action", default=DEFAULT_ACTION, help=f"action name ({DEFAULT_ACTION})")
    p.add_argument("--server-timeout", type=float, default=10.0, help="seconds to find the node")
    p.add_argument("--timeout", type=float, default=0.0, help="seconds to wait (0: no limit)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import rclpy
    from rclpy.action import ActionClient
    from rclpy.node import Node
    from rclpy.signals import SignalHandlerOptions
    from tqdm import tqdm

    from molingo_ros.action import GenerateMotion
    from molingo_ros.msg import MotionCommand
    from molingo_ros.ros.messages import to_time
    from molingo_ros.ros.spin import signal_flag

    # Ctrl-C only sets a flag, checked between spins (a KeyboardInterrupt raised inside
    # rclpy's C++ calls can surface as another error).
    interrupted = signal_flag((signal.SIGINT,))
    rclpy.init(args=None, signal_handler_options=SignalHandlerOptions.NO)
    node = Node("molingo_send")
    client = ActionClient(node, GenerateMotion, args.action)
    try:
        if not client.wait_for_server(timeout_sec=args.server_timeout):
            print(
                f"molingo send: no action server {args.action} within {args.server_timeout:g} s "
                "(is molingo_node running and active, on this ROS_DOMAIN_ID?)",
                file=sys.stderr,
            )
            return 2
        if interrupted.is_set():
            print("molingo send: interrupted; nothing was sent", file=sys.stderr)
            return 1
        cmd = MotionCommand()
        cmd.header.stamp = to_time(node.get_clock().now().nanoseconds * 1e-9)
        cmd.text = args.text
        cmd.duration_s = float(args.duration)
        cmd.mode = MotionCommand.MODE_QUEUE if args.mode == "queue" else MotionCommand.MODE_REPLACE
        cmd.seed = int(args.seed)
        cmd.id = args.id
        total = int(round(args.duration * 30)) if args.duration > 0 else None
        bar = tqdm(total=total, unit="frame", desc="streamed", disable=not args.wait)

        streamed: list[bool] = []

        def on_feedback(fb) -> None:
            f = fb.feedback
            if f.frames_streamed > 0:
                streamed.append(True)
            bar.n = int(f.frames_streamed)
            bar.set_postfix(latency=f"{f.latency_s * 1000:.0f} ms", rtf=f"{f.realtime_factor:.1f}x")
            bar.refresh()

        goal_future = client.send_goal_async(
            GenerateMotion.Goal(command=cmd), feedback_callback=on_feedback
        )

        def spin_until(future, timeout_s: float, stop_on_ctrl_c: bool = True) -> str:
            """Spin until ``future`` is done: "done", "interrupted" or "timeout"."""
            deadline = time.monotonic() + timeout_s if timeout_s > 0 else None
            while not future.done():
                if stop_on_ctrl_c and interrupted.is_set():
                    return "interrupted"
                if deadline is not None and time.monotonic() > deadline:
                    return "timeout"
                rclpy.spin_once(node, timeout_sec=0.05)
            return "done"

        def cancel(handle, why: str) -> int:
            if handle is not None and handle.accepted:
                spin_until(handle.cancel_goal_async(), 5.0, stop_on_ctrl_c=False)
            bar.close()
            print(f"molingo send: {why}; the goal was cancelled (the robot holds)", file=sys.stderr)
            return 1

        if spin_until(goal_future, args.server_timeout) == "interrupted":
            # Ctrl-C before the node answered: wait for the answer, then cancel what it took.
            spin_until(goal_future, 5.0, stop_on_ctrl_c=False)
            return cancel(goal_future.result() if goal_future.done() else None, "interrupted")
        handle = goal_future.result() if goal_future.done() else None
        if handle is None or not handle.accepted:
            bar.close()
            print("molingo send: the goal was rejected (is the node active?)", file=sys.stderr)
            return 1
        result_future = handle.get_result_async()
        if not args.wait:
            # A stop or a refusal is answered at once: wait for that or for the first frames.
            deadline = time.monotonic() + ANSWER_WAIT_S
            while not result_future.done() and not streamed and time.monotonic() < deadline:
                rclpy.spin_once(node, timeout_sec=0.05)
            if not result_future.done():
                bar.close()
                print(f"accepted: {args.text!r} ({args.mode})")
                return 0
        else:
            state = spin_until(result_future, args.timeout)
            if state != "done":
                return cancel(handle, "timed out" if state == "timeout" else "interrupted")
        bar.close()
        res = result_future.result().result
        if res.success:
            if res.message:
                print(f"plan: {res.message}")
            print(f"done: {res.command_id}: {res.frames} frames, {res.duration_s:.2f} s of motion")
            return 0
        print(f"failed: {res.command_id}: {res.error}", file=sys.stderr)
        return 1
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    raise SystemExit(main())
