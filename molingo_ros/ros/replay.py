"""``molingo replay BAG``: play a bag the node recorded back onto the ROS graph, re-stamped so
that a joint_trajectory_controller accepts it.

``ros2 bag play`` replays stamps from the past, which a JTC refuses (it drops points already
due). This player publishes the robot-facing topics of a recording (JointTrajectory,
JointState, PoseStamped, TFMessage) at their recorded pace (``--rate``) and moves every
``header.stamp`` by one offset, the time between the recording's first message and the
start of the replay (``--stamp now``), so that each trajectory is as far in the future on
arrival as it was when recorded; or stamps trajectories 0 with their times counted from
arrival (``--stamp zero``: no shared clock needed). ``--robot-namespace NS`` moves the topics
from the namespace they were recorded in (found from the node's status topic) to ``NS``: the
same motion on another robot. The node's inputs, status and diagnostics are not replayed.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from molingo_ros.ros.messages import from_time, stamp_from_arrival, to_time

ROBOT_TYPES = (
    "trajectory_msgs/msg/JointTrajectory",
    "sensor_msgs/msg/JointState",
    "geometry_msgs/msg/PoseStamped",
    "tf2_msgs/msg/TFMessage",
)
STATUS_TYPE = "molingo_ros/msg/MotionStatus"


@dataclass(frozen=True)
class Recorded:
    """One message of the recording: ``topic`` (as recorded), ``msgtype`` (ROS name),
    ``t_ns`` (the time it was recorded, ns) and ``raw`` (CDR bytes)."""

    topic: str
    msgtype: str
    t_ns: int
    raw: bytes


def recorded_namespace(topics: dict[str, str]) -> str:
    """The namespace the node ran in ("" for the root), from its status topic
    (``<ns>/<node>/status``, the one of type MotionStatus); "" when there is none."""
    for name, msgtype in topics.items():
        if msgtype == STATUS_TYPE:
            return "/".join(name.split("/")[:-2])
    return ""


def renamed(topic: str, old_ns: str, new_ns: str | None) -> str:
    """``topic`` moved from ``old_ns`` to ``new_ns`` (None: unchanged). A topic outside
    ``old_ns`` (a global name such as /diagnostics) is put under ``new_ns`` too."""
    if new_ns is None:
        return topic
    new_ns = "/" + new_ns.strip("/") if new_ns.strip("/") else ""
    rest = topic[len(old_ns) :] if old_ns and topic.startswith(old_ns + "/") else topic
    return f"{new_ns}{rest}"


def read_robot_messages(bag: Path) -> tuple[list[Recorded], str]:
    """The robot-facing messages of ``bag`` in recorded order, and the namespace the node
    recorded them in.

    Raises:
        FileNotFoundError, ValueError: not a readable bag, or nothing to replay in it.
    """
    from rosbags.highlevel import AnyReader

    from molingo_ros.ros.recorder import project_typestore

    if not Path(bag).is_dir():
        raise FileNotFoundError(f"no bag folder at {bag}")
    with AnyReader([Path(bag)], default_typestore=project_typestore()) as reader:
        topics = {c.topic: c.msgtype for c in reader.connections}
        wanted = [c for c in reader.connections if c.msgtype in ROBOT_TYPES]
        # rosbags reads every topic for an empty list: none wanted must read none.
        messages = reader.messages(wanted) if wanted else ()
        out = [Recorded(c.topic, c.msgtype, t, bytes(raw)) for c, t, raw in messages]
    if not out:
        raise ValueError(
            f"{bag} holds none of the robot topics to replay ({', '.join(ROBOT_TYPES)}); "
            f"its topics: {', '.join(sorted(topics)) or 'none'}"
        )
    return out, recorded_namespace(topics)


def restamp(msg, offset_s: float, policy: str, now_s: float):
    """``msg`` (an rclpy message, changed in place) with its stamps moved by ``offset_s``
    seconds (TFMessage: each transform's); with ``policy`` "zero" a JointTrajectory is
    stamped 0 instead, its points timed from arrival at ``now_s`` (s)."""
    def shift(header) -> None:
        t = from_time(header.stamp)
        if t > 0:
            header.stamp = to_time(t + offset_s)

    if hasattr(msg, "transforms"):
        for tf in msg.transforms:
            shift(tf.header)
        return msg
    shift(msg.header)
    if policy == "zero" and hasattr(msg, "points"):
        return stamp_from_arrival(msg, now_s)
    return msg


def _message_class(msgtype: str):
    """The rclpy class of a ROS type name such as ``sensor_msgs/msg/JointState``."""
    import importlib

    package, kind, name = msgtype.split("/")
    return getattr(importlib.import_module(f"{package}.{kind}"), name)


def play(
    messages: list[Recorded],
    old_ns: str,
    new_ns: str | None,
    policy: str = "now",
    rate: float = 1.0,
    wait_s: float = 3.0,
) -> int:
    """Publish ``messages`` at their recorded pace / ``rate`` on a node of its own; waits up
    to ``wait_s`` for each topic's subscribers first. Returns the number published."""
    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from rclpy.serialization import deserialize_message

    rclpy.init()
    node = rclpy.create_node("molingo_replay")
    try:
        qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        pubs = {}
        for m in messages:
            if m.topic not in pubs:
                pubs[m.topic] = (
                    node.create_publisher(
                        _message_class(m.msgtype), renamed(m.topic, old_ns, new_ns), qos
                    ),
                    _message_class(m.msgtype),
                )
        end = time.monotonic() + wait_s
        while time.monotonic() < end and not all(
            p.get_subscription_count() for p, _ in pubs.values()
        ):
            time.sleep(0.05)
        t0_ns = messages[0].t_ns
        start = time.monotonic()
        offset = node.get_clock().now().nanoseconds * 1e-9 - t0_ns * 1e-9
        for m in messages:
            due = start + (m.t_ns - t0_ns) * 1e-9 / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pub, cls = pubs[m.topic]
            now = node.get_clock().now().nanoseconds * 1e-9
            pub.publish(restamp(deserialize_message(m.raw, cls), offset, policy, now))
        time.sleep(0.2)  # let the last messages go out
        return len(messages)
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="molingo replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("bag", type=Path, help="a bag folder recorded by molingo_node")
    parser.add_argument(
        "--robot-namespace",
        help="publish under this namespace instead of the recorded one (e.g. /robot2; / = root)",
    )
    parser.add_argument(
        "--stamp",
        choices=("now", "zero"),
        default="now",
        help="now: stamps moved to the replay's time; zero: trajectories start on arrival",
    )
    parser.add_argument("--rate", type=float, default=1.0, help="playback speed factor (> 0)")
    args = parser.parse_args(argv)
    if not args.rate > 0:
        parser.error(f"--rate must be > 0, got {args.rate}")
    try:
        messages, old_ns = read_robot_messages(args.bag)
    except (FileNotFoundError, ValueError) as exc:
        print(f"molingo replay: {exc}", file=sys.stderr)
        return 2
    n = play(messages, old_ns, args.robot_namespace, args.stamp, args.rate)
    target = renamed("", old_ns, args.robot_namespace) or old_ns or "/"
    print(f"replayed {n} messages of {args.bag} under {target} (stamps: {args.stamp})")
    return 0


__all__ = [
    "Recorded",
    "main",
    "play",
    "read_robot_messages",
    "recorded_namespace",
    "renamed",
    "restamp",
]
