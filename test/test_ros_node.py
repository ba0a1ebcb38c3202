"""molingo_node end to end: the node runs as its own process (real Fast DDS, its own
ROS_DOMAIN_ID, localhost discovery), this test process talks to it over topics, the action and
the parameter service, and the bag it records is read back after SIGINT.

The node uses the shipped model and the real Unitree G1 on the CPU.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import rclpy
from action_msgs.msg import GoalStatus
from geometry_msgs.msg import PoseStamped
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.parameter_client import AsyncParameterClient
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import serialize_message
from ros_helpers import domain as _domain
from ros_helpers import node_env as _env
from ros_helpers import start_node as _start_node
from ros_helpers import wait as _wait
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory

from molingo_ros.action import GenerateMotion
from molingo_ros.msg import MotionCommand, MotionStatus
from molingo_ros.robot.models import load_robot
from molingo_ros.ros.goal_client import GoalClient
from molingo_ros.ros.messages import from_time, to_time

pytestmark = pytest.mark.slow

FPS = 30.0


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Client:
    """The operator's side: a plain rclpy node in this process, spun in a thread."""

    def __init__(self, domain: int) -> None:
        os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
        self.ctx = Context()
        rclpy.init(context=self.ctx, domain_id=domain)
        self.node = Node("test_client", context=self.ctx)
        self.lock = threading.Lock()
        self.traj: list[JointTrajectory] = []
        self.traj_received: list[float] = []  # wall-clock receive time of each trajectory
        self.js: list[JointState] = []
        self.cmd_js: list[JointState] = []
        self.poses: list[PoseStamped] = []
        self.status: list[MotionStatus] = []
        n = self.node
        rel = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(
            depth=1000,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL,
        )
        n.create_subscription(
            JointTrajectory, "/joint_trajectory_controller/joint_trajectory", self._on_traj, rel
        )
        n.create_subscription(
            JointState, "/molingo_node/joint_states", self._add(self.js), rel
        )
        n.create_subscription(JointState, "/joint_command", self._add(self.cmd_js), rel)
        n.create_subscription(PoseStamped, "/molingo_node/root_pose", self._add(self.poses), rel)
        n.create_subscription(MotionStatus, "/molingo_node/status", self._add(self.status), latched)
        self.text_pub = n.create_publisher(String, "/molingo_node/command", 10)
        self.cmd_pub = n.create_publisher(MotionCommand, "/molingo_node/motion_command", 100)
        self.goals = GoalClient(n, "/molingo_node/generate")
        self.action = self.goals.action
        self.params = AsyncParameterClient(n, "molingo_node")
        self.executor = SingleThreadedExecutor(context=self.ctx)
        self.executor.add_node(n)
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()

    def _on_traj(self, msg: JointTrajectory) -> None:
        with self.lock:
            self.traj.append(msg)
            self.traj_received.append(time.time())

    def lifecycle_state(self) -> str:
        from lifecycle_msgs.srv import GetState

        cli = self.node.create_client(GetState, "/molingo_node/get_state")
        try:
            if not cli.wait_for_service(timeout_sec=5):
                return "unknown"
            return self.wait_future(cli.call_async(GetState.Request()), 60).current_state.label
        finally:
            self.node.destroy_client(cli)

    def _spin(self) -> None:
        try:
            self.executor.spin()
        except Exception:  # noqa: BLE001 - ends with the context
            pass

    def _add(self, store: list):
        def cb(msg) -> None:
            with self.lock:
                store.append(msg)

        return cb

    def statuses(
        self, command_id: str | None = None, state: str | None = None
    ) -> list[MotionStatus]:
        with self.lock:
            return [
                s
                for s in self.status
                if (command_id is None or s.command_id == command_id)
                and (state is None or s.state == state)
            ]

    def trajectories(self) -> list[JointTrajectory]:
        with self.lock:
            return list(self.traj)

    def command(
        self,
        text: str,
        duration: float = 1.5,
        mode: int = 0,
        cid: str = "",
        seed: int = 1,
        stamp: float | None = None,
    ) -> MotionCommand:
        msg = MotionCommand()
        msg.text, msg.duration_s, msg.mode, msg.id, msg.seed = text, duration, mode, cid, seed
        msg.header.stamp = to_time(time.time() if stamp is None else stamp)
        return msg

    def send(self, *args, **kwargs) -> MotionCommand:
        msg = self.command(*args, **kwargs)
        self.cmd_pub.publish(msg)
        return msg

    def wait_state(self, cid: str, state: str, timeout: float = 30.0) -> MotionStatus:
        _wait(lambda: self.statuses(cid, state), timeout, f"command {cid!r} to be {state}")
        return self.statuses(cid, state)[0]

    def send_goal(self, goal, feedback: list | None = None, timeout: float = 60.0):
        """The node's answer to ``goal`` (a goal handle), sent again if it is lost."""
        answer = self.goals.send(goal, None if feedback is None else feedback.append)
        handle = answer.wait(timeout)
        assert handle is not None, f"no answer to goal {goal.command.id} in {timeout} s"
        return handle

    def wait_future(self, future, timeout: float = 60.0):
        _wait(future.done, timeout, "an action/parameter reply")
        return future.result()

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.ctx)
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """(node process, client, bag path): one node for the module's tests, in order."""
    tmp = tmp_path_factory.mktemp("node")
    domain = _domain()
    bag = tmp / "bag"
    proc = _start_node(
        tmp, domain, "record.enabled:=true", f"record.path:={bag}", "commands.max_queue:=4"
    )
    client = Client(domain)
    try:
        _wait(
            lambda: (
                client.statuses(state="idle")
                and client.action.server_is_ready()
                and client.text_pub.get_subscription_count() > 0
            ),
            90,
            "the node to be ready",
        )
        _wait(lambda: client.lifecycle_state() == "active", 90, "the node to be active")
        yield proc, client, bag, tmp
    finally:
        client.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _check_chunks(chunks: list[JointTrajectory], robot) -> None:
    """Every message: all actuated joints by name, finite, inside the limits, one frame apart,
    ending at rest (joint_trajectory_controller refuses trajectories that end moving)."""
    assert chunks
    lower, upper = robot.lower - 1e-6, robot.upper + 1e-6
    for msg in chunks:
        assert list(msg.joint_names) == list(robot.joint_names)
        pos = np.array([p.positions for p in msg.points])
        vel = np.array([p.velocities for p in msg.points])
        assert pos.shape == (len(msg.points), robot.num_joints)
        assert np.isfinite(pos).all() and np.isfinite(vel).all()
        assert (pos >= lower).all() and (pos <= upper).all(), "a point outside the joint limits"
        assert not vel[-1].any(), "the last point moves"
        tfs = [from_time(p.time_from_start) for p in msg.points]
        if len(tfs) > 1:  # a stream; a single point is a hold, reached after a settle time
            assert tfs[0] == 0.0 and np.allclose(np.diff(tfs), 1 / FPS, atol=1e-6)


def _timeline(msgs: list[JointTrajectory]) -> dict[int, np.ndarray]:
    """Frame due time (ms) -> positions, each message replacing the future from its stamp on,
    as joint_trajectory_controller does."""
    line: dict[int, np.ndarray] = {}
    for m in msgs:
        t0 = from_time(m.header.stamp)
        line = {k: v for k, v in line.items() if k < round(t0 * 1000) - 1}
        for p in m.points:
            line[round((t0 + from_time(p.time_from_start)) * 1000)] = np.array(p.positions)
    return line


def test_topic_command_streams_valid_trajectories_that_join(session, g1):
    proc, client, _, _ = session
    n0 = len(client.trajectories())
    js0 = len(client.js)
    client.text_pub.publish(String(data="a person walks forward"))
    # std_msgs/String gets a generated id: find it through the status of this text.
    _wait(
        lambda: [s for s in client.statuses(state="done") if s.text == "a person walks forward"],
        40,
        "the walk to finish",
    )
    with client.lock:
        msgs = [m for m in client.traj[n0:] if len(m.points) > 1]
        received = client.traj_received[n0:]
    _check_chunks(msgs, g1)
    # Each message carries the planned future from (just after) the moment it is sent, and
    # agrees with the previous message wherever they overlap: replacing the controller's
    # trajectory with it changes nothing already planned.
    for m, t_recv in zip(msgs, received, strict=False):
        assert from_time(m.header.stamp) > t_recv - 0.02, "a trajectory that starts in the past"
    for a, b in zip(msgs, msgs[1:], strict=False):
        ta, tb = _timeline([a]), _timeline([b])
        common = sorted(set(ta) & set(tb))
        assert common, "consecutive messages do not overlap: a gap in the plan"
        assert all(np.allclose(ta[k], tb[k]) for k in common)
    # Together they cover the 5 s command (config default duration) frame by frame.
    line = _timeline(msgs)
    times = np.array(sorted(line)) / 1000
    assert len(line) == round(5.0 * FPS)
    assert np.allclose(np.diff(times), 1 / FPS, atol=2e-3)
    limits = g1.velocity_limits
    q = np.array([line[k] for k in sorted(line)])
    assert (np.abs(np.diff(q, axis=0)) * FPS <= limits + 1e-6).all()
    # JointState (RViz and Isaac Sim topics) and the floating base came along at the motion rate.
    assert len(client.js) - js0 >= 100
    last = client.js[-1]
    assert list(last.name) == list(g1.joint_names) and len(last.velocity) == g1.num_joints
    assert client.cmd_js and list(client.cmd_js[-1].name) == list(g1.joint_names)
    pose = client.poses[-1]
    assert pose.header.frame_id == "world"
    o = pose.pose.orientation
    assert math.isclose(o.x**2 + o.y**2 + o.z**2 + o.w**2, 1.0, abs_tol=1e-6)
    assert 0.3 < pose.pose.position.z < 1.2  # a standing G1's pelvis height, metres
    assert proc.poll() is None


def test_action_goal_gives_feedback_and_result(session):
    _, client, _, _ = session
    feedback: list = []
    goal = GenerateMotion.Goal(
        command=client.command("a person waves the right hand", 1.5, cid="wave1")
    )
    handle = client.send_goal(goal, feedback)
    assert handle.accepted
    res = client.wait_future(handle.get_result_async())
    assert res.status == GoalStatus.STATUS_SUCCEEDED, res.result.error
    assert res.result.success and res.result.error == ""
    assert res.result.command_id == "wave1"
    assert res.result.frames == 45 and res.result.duration_s == pytest.approx(1.5)
    assert feedback and max(f.feedback.frames_streamed for f in feedback) > 0
    latency = max(f.feedback.latency_s for f in feedback)
    assert 0.01 < latency < 10.0  # generation + retargeting + validation of one window
    client.wait_state("wave1", "done", 5)


def _root_steps(poses: list[PoseStamped]) -> np.ndarray:
    p = np.array([[m.pose.position.x, m.pose.position.y, m.pose.position.z] for m in poses])
    return np.linalg.norm(np.diff(p, axis=0), axis=1)


def test_replace_takes_over_at_the_next_window(session):
    _, client, _, _ = session
    p0 = len(client.poses)
    client.send("a person walks forward", 6.0, mode=0, cid="long")
    client.wait_state("long", "streaming")
    time.sleep(0.5)
    client.send("a person runs", 1.5, mode=0, cid="run_now")
    cancelled = client.wait_state("long", "cancelled")
    assert "replaced by run_now" in cancelled.error
    done = client.wait_state("run_now", "done")
    assert from_time(done.header.stamp) - from_time(cancelled.header.stamp) < 1.5 + 1.5
    # The floating base never jumps (30 Hz samples; a run is < 0.3 m per sample).
    time.sleep(0.3)
    with client.lock:
        poses = client.poses[p0:]
    assert len(poses) > 60 and _root_steps(poses).max() < 0.3


def test_queue_plays_commands_in_order(session):
    _, client, _, _ = session
    client.send("a person raises both hands", 1.0, mode=0, cid="q1")
    client.send("a person kicks", 1.0, mode=1, cid="q2")
    queued = client.wait_state("q2", "queued", 10)
    assert queued.command_id == "q2"
    d1 = client.wait_state("q1", "done")
    s2 = client.wait_state("q2", "streaming")
    assert from_time(s2.header.stamp) >= from_time(
        client.wait_state("q1", "streaming").header.stamp
    )
    client.wait_state("q2", "done")
    assert from_time(client.wait_state("q2", "done").header.stamp) > from_time(d1.header.stamp)


def test_cancel_holds_the_robot(session, g1):
    _, client, _, _ = session
    feedback: list = []
    goal = GenerateMotion.Goal(command=client.command("a person runs", 10.0, cid="run"))
    handle = client.send_goal(goal, feedback)
    _wait(lambda: feedback and feedback[-1].feedback.frames_streamed > 0, 30, "frames to stream")
    client.wait_future(handle.cancel_goal_async())
    res = client.wait_future(handle.get_result_async())
    assert res.status == GoalStatus.STATUS_CANCELED
    assert not res.result.success and res.result.error == "cancelled"
    assert res.result.frames < 300
    _wait(lambda: any(len(m.points) == 1 for m in client.trajectories()), 5, "the hold")
    time.sleep(1.0)
    msgs = client.trajectories()
    i = max(k for k, m in enumerate(msgs) if len(m.points) == 1)
    hold = msgs[i]
    assert np.allclose(hold.points[0].velocities, 0.0)
    _check_chunks([hold], g1)
    assert not [m for m in msgs[i + 1 :] if len(m.points) > 1], "motion published after the hold"
    assert client.statuses("run", "cancelled")


def test_stop_word_holds_at_once_and_drops_the_queue(session, g1):
    _, client, _, _ = session
    client.send("walk forward", 10.0, cid="walk_to_stop")
    client.send("wave with your right hand", 3.0, mode=1, cid="queued_after")
    client.wait_state("walk_to_stop", "streaming", 30)
    n0 = len(client.trajectories())
    client.text_pub.publish(String(data="Stop!"))
    _wait(
        lambda: any(len(m.points) == 1 for m in client.trajectories()[n0:]), 5, "the hold"
    )
    _wait(lambda: client.statuses(state="stopped"), 5, "the stopped status")
    stopped = client.statuses(state="stopped")[-1]
    assert stopped.text == "Stop!" and "holding" in stopped.error
    client.wait_state("walk_to_stop", "cancelled", 5)
    client.wait_state("queued_after", "cancelled", 5)
    time.sleep(1.0)
    msgs = client.trajectories()[n0:]
    i = max(k for k, m in enumerate(msgs) if len(m.points) == 1)
    assert np.allclose(msgs[i].points[0].velocities, 0.0)
    _check_chunks([msgs[i]], g1)
    assert not [m for m in msgs[i + 1 :] if len(m.points) > 1], "motion published after stop"


def test_unknown_commands_are_refused_naming_the_closest_skills(session):
    _, client, _, _ = session
    n0 = len(client.trajectories())
    goal = GenerateMotion.Goal(command=client.command("open the door", 3.0, cid="door"))
    handle = client.send_goal(goal)
    res = client.wait_future(handle.get_result_async())
    assert res.status == GoalStatus.STATUS_ABORTED
    assert not res.result.success and res.result.frames == 0
    assert res.result.error.startswith("I can't do 'open the door'; closest: ")
    assert len(res.result.error.split("closest: ")[1].split(", ")) == 3
    assert res.result.message == res.result.error
    refused = client.wait_state("door", "refused", 5)
    assert refused.error == res.result.error
    client.text_pub.publish(String(data="asdf qwerty"))
    _wait(
        lambda: any("asdf qwerty" in s.error for s in client.statuses(state="refused")),
        5,
        "the second refusal",
    )
    time.sleep(0.5)
    assert len(client.trajectories()) == n0, "a refused command moved the robot"
    out = _molingo(session[3], _domain(), "send", "sit down on the chair")
    assert out.returncode == 1 and "I can't do 'sit down on the chair'" in out.stderr


def test_compound_command_plays_its_parts_in_order(session):
    """The README's compound command over DDS: the floating base travels while the first
    part plays and stays in place while the robot waves."""
    _, client, _, _ = session
    with client.lock:
        n0 = len(client.poses)
    text = "walk forward for 3 seconds, then wave with your right hand for 3 seconds"
    goal = GenerateMotion.Goal(command=client.command(text, 0.0, cid="compound"))
    handle = client.send_goal(goal)
    res = client.wait_future(handle.get_result_async())
    assert res.status == GoalStatus.STATUS_SUCCEEDED, res.result.error
    assert res.result.frames == 180
    plan = res.result.message
    assert plan.index("walk (") < plan.index("wave-right-hand (")
    time.sleep(0.3)
    with client.lock:
        poses = client.poses[n0:]
    t = np.array([from_time(m.header.stamp) for m in poses])
    xy = np.array([[m.pose.position.x, m.pose.position.y] for m in poses])
    moving = np.flatnonzero(np.linalg.norm(xy - xy[0], axis=1) > 0.02)
    start = t[moving[0]]
    walk = (t >= start) & (t <= start + 3.0)
    wave = (t >= start + 3.5) & (t <= start + 6.0)
    walked = np.linalg.norm(xy[walk][-1] - xy[walk][0])
    waved = np.linalg.norm(xy[wave][-1] - xy[wave][0])
    assert walked >= 0.8, f"walked {walked:.2f} m in the walking part"
    assert waved / 2.5 <= 0.25, f"travelled {waved:.2f} m while waving"


def test_skills_are_published_latched(session):
    import json

    _, client, _, _ = session
    got: list[String] = []
    latched = QoSProfile(
        depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL
    )
    sub = client.node.create_subscription(String, "/molingo_node/skills", got.append, latched)
    try:
        _wait(lambda: got, 10, "the skills message")
    finally:
        client.node.destroy_subscription(sub)
    body = json.loads(got[0].data)
    assert {"walk", "wave-right-hand", "bow"} <= set(body["skills"])
    assert body["skills"]["walk"]["styles"]["normal"]["takes"] > 0
    assert 0 < body["threshold"] < 1 and body["allow_unknown"] is False


def _errors_since(client: Client, n0: int) -> list[str]:
    with client.lock:
        return [s.error for s in client.status[n0:] if s.state == "error"]


def test_bad_input_is_reported_and_the_node_keeps_serving(session):
    proc, client, _, _ = session
    n0 = len(client.status)
    client.text_pub.publish(String(data=""))
    client.text_pub.publish(String(data="walk " * 20_000))  # 100 kB
    client.text_pub.publish(String(data="\x1b[2J walk forward"))
    # Invalid UTF-8 on the wire: serialise a valid string and break its bytes.
    raw = bytearray(serialize_message(String(data="hello world")))
    raw[8:12] = b"\xff\xfe\xc3\x28"
    client.text_pub.publish(bytes(raw))
    client.send("a person walks", float("nan"), cid="nan")
    client.send("a person walks", -2.0, cid="neg")
    client.send("a person walks", 1.0, cid="stale", stamp=time.time() - 3600)
    expected = ["empty", "characters long", "control", "UTF-8", "duration_s", "duration_s", "stale"]
    _wait(lambda: len(_errors_since(client, n0)) >= len(expected), 15, "7 error statuses")
    errors = _errors_since(client, n0)
    for word in expected:
        assert any(word in e for e in errors), (word, errors)
    # Through the action: the result says why.
    goal = GenerateMotion.Goal(command=client.command("   ", 1.0, cid="blank"))
    handle = client.send_goal(goal)
    res = client.wait_future(handle.get_result_async())
    assert res.status == GoalStatus.STATUS_ABORTED and "empty" in res.result.error
    # The robot cannot change while the node runs: read-only (set it at start).
    reply = client.wait_future(client.params.set_parameters([Parameter("robot", value="h1")]))
    assert not reply.results[0].successful and "read-only" in reply.results[0].reason
    # A value outside a parameter's choices is refused with them.
    bad = Parameter("sampler.cfg_schedule", value="cosine")
    reply = client.wait_future(client.params.set_parameters([bad]))
    assert not reply.results[0].successful and "constant, linear" in reply.results[0].reason
    # Sampler settings that do not go together are refused, naming them.
    bad = Parameter("sampler.emit_tokens", value=40)
    reply = client.wait_future(client.params.set_parameters([bad]))
    assert not reply.results[0].successful and "emit_tokens" in reply.results[0].reason
    # Still serving.
    client.send("a person waves both hands", 1.0, cid="after_bad")
    client.wait_state("after_bad", "done")
    assert proc.poll() is None


def test_malformed_stamps_are_refused(session):
    proc, client, _, _ = session
    now = int(time.time())
    bad = {
        "neg1": (-1, 0),
        "min32": (-(2**31), 0),
        "max32": (2**31 - 1, 0),
        "year": (now + 365 * 86400, 0),
        "nsmax": (now, 4294967295),
    }
    n0 = len(client.status)
    for cid, (sec, nanosec) in bad.items():
        msg = client.command("a person walks", 1.0, cid=cid)
        msg.header.stamp.sec, msg.header.stamp.nanosec = sec, nanosec
        client.cmd_pub.publish(msg)
    _wait(lambda: len(_errors_since(client, n0)) >= len(bad), 15, "an error per bad stamp")
    errors = {s.command_id: s.error for s in client.status[n0:] if s.state == "error"}
    assert set(errors) == set(bad)
    assert "header.stamp.sec must be in [0, 2147483647]" in errors["neg1"]
    assert "header.stamp.sec must be in [0, 2147483647]" in errors["min32"]
    assert "in the future" in errors["max32"] and "in the future" in errors["year"]
    assert "nanosec must be in [0, 999999999]" in errors["nsmax"]
    assert not any(client.statuses(cid, "streaming") for cid in bad)
    client.send("a person walks", 1.0, cid="after_stamps")  # a good stamp still works
    client.wait_state("after_stamps", "done")


def _burst_client(client: Client) -> GoalClient:
    """An action client whose services keep a burst's requests and replies: with the ROS
    default depth (10) a client that sends 50 goals within milliseconds loses some of its own
    requests or replies in DDS, whatever the server does. One refused goal first, answered or
    followed (molingo_ros.ros.goal_client), so that the node has matched the new client's
    endpoints before the burst."""
    deep = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
    goals = GoalClient(
        client.node,
        "/molingo_node/generate",
        goal_service_qos_profile=deep,
        result_service_qos_profile=deep,
        cancel_service_qos_profile=deep,
    )
    assert goals.action.wait_for_server(timeout_sec=10)
    first = GenerateMotion.Goal(command=client.command("open the door", 1.0, cid="door0"))
    assert goals.send(first).wait(30) is not None
    return goals


@pytest.mark.parametrize("mode", [0, 1], ids=["replace", "queue"])
def test_every_goal_of_a_burst_is_answered(session, mode):
    proc, client, _, _ = session
    goals = _burst_client(client)
    action = goals.action
    n0 = len(client.status)
    handles = []
    for i in range(50):  # back to back, no pause
        cmd = client.command("a person bows", 0.5, mode=mode, cid=f"burst{mode}_{i}")
        handles.append(action.send_goal_async(GenerateMotion.Goal(command=cmd)))
    _wait(lambda: all(h.done() for h in handles), 60, "an answer to each of 50 goals")
    accepted = [h.result() for h in handles if h.result().accepted]
    rejected = 50 - len(accepted)
    # Queued goals stay unfinished, so the node's own limit (max_queue + 2 = 6 at once) fires;
    # replacing goals end as the next one replaces them, and on a loaded machine the node may
    # free a slot as fast as the burst comes.
    assert accepted and (rejected or mode == 0)
    reasons = [e for e in _errors_since(client, n0) if e.startswith("goal rejected")]
    assert len(reasons) == rejected and all("limit commands.max_queue + 2" in e for e in reasons)
    results = [client.wait_future(g.get_result_async(), 90) for g in accepted]
    assert len(results) == len(accepted)  # every accepted goal ends with a result
    states = {r.status for r in results}
    assert states <= {GoalStatus.STATUS_SUCCEEDED, GoalStatus.STATUS_ABORTED}
    assert GoalStatus.STATUS_SUCCEEDED in states
    goals.destroy()
    assert proc.poll() is None


def test_a_flood_of_commands_is_bounded(session):
    proc, client, _, _ = session
    rss0 = _rss_mb(proc.pid)
    n0 = len(client.status)
    for i in range(50):  # 50 commands in about one second
        client.send(f"a person walks forward number {i}", 1.0, mode=1, cid=f"flood{i}")
        time.sleep(0.018)
    _wait(
        lambda: sum("queue is full" in e for e in _errors_since(client, n0)) >= 40,
        20,
        "queue-full errors",
    )
    full = sum("queue is full" in e for e in _errors_since(client, n0))
    assert 40 <= full <= 50 - 4  # max_queue 4 behind the one generating
    # 50 replacing commands: each takes over the last; only the last one plays out.
    for i in range(50):
        client.send("a person bows", 1.0, mode=0, cid=f"rep{i}")
        time.sleep(0.018)
    client.wait_state("rep49", "done", 40)
    assert client.statuses("rep0", "cancelled")
    # 12 queued goals through the action within 0.4 s: the node refuses what it cannot hold
    # (queue and goal limits) and keeps publishing while the accepted ones play. (The action
    # services keep 10 requests: a burst of more within a millisecond loses requests in DDS.)
    handles = []
    for i in range(12):
        cmd = client.command("a person bows", 0.5, mode=1, cid=f"g{i}")
        handles.append(client.action.send_goal_async(GenerateMotion.Goal(command=cmd)))
        time.sleep(0.03)
    _wait(lambda: all(h.done() for h in handles), 30, "goal responses")
    accepted = [h.result() for h in handles if h.result().accepted]
    assert 1 <= len(accepted) <= 12
    js0 = len(client.js)
    results = [client.wait_future(h.get_result_async(), 60) for h in accepted]
    assert len(client.js) > js0, "joint states stopped while goals executed"
    ok = [r for r in results if r.status == GoalStatus.STATUS_SUCCEEDED]
    refused = [r for r in results if r.status == GoalStatus.STATUS_ABORTED]
    assert ok and all("queue is full" in r.result.error for r in refused)
    assert _rss_mb(proc.pid) - rss0 < 150
    assert proc.poll() is None


def test_a_second_node_on_the_same_robot_is_refused(session, g1):
    """Two molingo_node with one command line: the second refuses to activate (status error,
    diagnostics), the robot keeps one writer."""
    proc, client, _, tmp = session
    # The same command line; only its status goes elsewhere, to tell the two nodes apart.
    seen: list[MotionStatus] = []
    latched = QoSProfile(
        depth=100,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL,
    )
    sub = client.node.create_subscription(MotionStatus, "/second/status", seen.append, latched)
    second = _start_node(tmp, _domain(), remaps=("/molingo_node/status:=/second/status",))
    try:
        _wait(
            lambda: any("activation refused" in s.error for s in list(seen)),
            120,
            "the second node to refuse activation",
        )
        error = next(s.error for s in list(seen) if "activation refused" in s.error)
        assert "another node drives this robot" in error and "safety.exclusive_output" in error
        traj = "/joint_trajectory_controller/joint_trajectory"
        assert client.node.count_publishers(traj) == 2  # configured, but only one active
        js0 = len(client.js)
        client.send("a person walks forward", 2.0, cid="one_writer")
        client.wait_state("one_writer", "done", 60)
        states = client.js[js0:]
        assert len(states) > 30
        q = np.array([m.position for m in states])
        t = np.array([from_time(m.header.stamp) for m in states])
        speed = np.abs(np.diff(q, axis=0)) / np.maximum(np.diff(t), 1e-3)[:, None]
        assert np.all(speed <= g1.velocity_limits[None] * 1.05), "two writers interleave"
        assert second.poll() is None  # refused, not crashed
    finally:
        os.killpg(second.pid, signal.SIGINT)
        assert second.wait(timeout=30) == 0
        client.node.destroy_subscription(sub)
    _wait(lambda: client.node.count_publishers(traj) == 1, 10, "the second node to go")


def test_lifecycle_deactivate_refuses_commands_and_reactivates(session):
    _, client, _, _ = session
    from lifecycle_msgs.msg import Transition
    from lifecycle_msgs.srv import ChangeState

    change = client.node.create_client(ChangeState, "/molingo_node/change_state")
    assert change.wait_for_service(timeout_sec=10)

    def transition(tid: int) -> bool:
        req = ChangeState.Request()
        req.transition.id = tid
        return client.wait_future(change.call_async(req), 120).success

    assert transition(Transition.TRANSITION_DEACTIVATE)
    n0 = len(client.status)
    client.send("a person walks", 1.0, cid="while_inactive")
    _wait(lambda: any("not active" in e for e in _errors_since(client, n0)), 10, "not-active error")
    assert transition(Transition.TRANSITION_ACTIVATE)
    client.send("a person walks", 1.0, cid="reactivated")
    client.wait_state("reactivated", "done")
    # cleanup frees the model and closes the bag; configure loads again into a new bag.
    assert transition(Transition.TRANSITION_DEACTIVATE)
    assert transition(Transition.TRANSITION_CLEANUP)
    assert client.lifecycle_state() == "unconfigured"
    assert transition(Transition.TRANSITION_CONFIGURE)
    assert transition(Transition.TRANSITION_ACTIVATE)
    client.send("a person walks", 1.0, cid="reconfigured")
    client.wait_state("reconfigured", "done")
    _, _, bag, _ = session
    assert (bag / "metadata.yaml").exists()  # the first bag, closed at cleanup
    assert bag.with_name(bag.name + "_2").is_dir()


def _molingo(
    tmp: Path, domain: int, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "molingo"), *args],
        env=_env(domain, tmp),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_operator_cli_sends_waits_and_reports(session):
    _, client, _, tmp = session
    out = _molingo(
        tmp, _domain(), "send", "a person bows", "--duration", "1", "--wait", "--id", "cli1"
    )
    assert out.returncode == 0, out.stderr
    assert "done: cli1: 30 frames" in out.stdout
    assert client.statuses("cli1", "done")
    bad = _molingo(tmp, _domain(), "send", "\x07 beep", "--wait")
    assert bad.returncode == 1 and "control" in bad.stderr
    queued = _molingo(
        tmp, _domain(), "send", "a person waves", "--mode", "queue", "--duration", "1"
    )
    assert queued.returncode == 0 and "accepted" in queued.stdout


def test_operator_cli_ctrl_c_cancels_the_goal(session):
    _, client, _, tmp = session
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "molingo"),
            "send",
            "a person runs",
            "--duration",
            "10",
            "--wait",
            "--id",
            "cli_interrupted",
        ],
        env=_env(_domain(), tmp),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client.wait_state("cli_interrupted", "streaming", 30)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and "cancelled" in err
    client.wait_state("cli_interrupted", "cancelled", 10)


def test_operator_cli_without_a_node_says_so(tmp_path):
    out = _molingo(tmp_path, _domain() + 2, "send", "walk", "--server-timeout", "1", timeout=30)
    assert out.returncode == 2 and "no action server" in out.stderr, (out.returncode, out.stderr)


def test_sigint_holds_exits_cleanly_and_the_bags_are_complete(session):
    proc, client, bag, _ = session
    from rosbags.rosbag2 import Reader

    from molingo_ros.ros.recorder import project_typestore

    client.send("a person walks forward", 5.0, cid="before_sigint")
    client.wait_state("before_sigint", "streaming")
    time.sleep(0.3)
    n_before = len(client.trajectories())
    statuses = len(client.status)
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=20) == 0
    # The robot was told to hold before the node went away.
    _wait(lambda: any(len(m.points) == 1 for m in client.trajectories()[n_before:]), 5, "a hold")
    time.sleep(0.2)
    # In order: the final status (stopped), a zero-velocity joint state, then the hold.
    final = client.status[-1]
    assert final.state == "stopped" and "shutdown (signal)" in final.error
    last_js = client.js[-1]
    assert np.all(np.asarray(last_js.velocity) == 0.0)
    hold = client.trajectories()[-1]
    assert len(hold.points) == 1
    assert np.allclose(hold.points[0].positions, last_js.position)
    assert from_time(final.header.stamp) <= from_time(last_js.header.stamp)
    received = {from_time(m.header.stamp) for m in client.trajectories()}
    store = project_typestore()
    counts: dict[str, int] = {}
    stamps = set()
    for path in (bag, bag.with_name(bag.name + "_2")):  # before and after the reconfigure
        assert (path / "metadata.yaml").exists()
        with Reader(path) as reader:
            for conn, _, raw in reader.messages():
                counts[conn.topic] = counts.get(conn.topic, 0) + 1
                if conn.topic == "/joint_trajectory_controller/joint_trajectory":
                    stamps.add(from_time(store.deserialize_cdr(raw, conn.msgtype).header.stamp))
    assert received and received <= stamps  # every trajectory received is in a bag
    # Every status but the two published while no bag was open (at start, before configure;
    # after cleanup, before the next configure).
    assert counts["/molingo_node/status"] >= statuses - 2
    js_topic = "/molingo_node/joint_states"
    # Joint states also carry the idle pose before the first command; the command does not.
    assert counts["/joint_command"] >= 300 and counts[js_topic] >= counts["/joint_command"]
    assert counts["/molingo_node/root_pose"] == counts[js_topic]
    assert counts["/molingo_node/command"] >= 4 and counts["/molingo_node/motion_command"] >= 50
    assert counts["/molingo_node/generate/command"] >= 3  # goals sent through the action
    assert counts["/diagnostics"] >= 5
    # The bag's last status is the final one, and its last joint state has zero velocity.
    with Reader(bag.with_name(bag.name + "_2")) as reader:
        last: dict[str, object] = {}
        for conn, _, raw in reader.messages():
            if conn.topic in ("/molingo_node/status", js_topic):
                last[conn.topic] = store.deserialize_cdr(raw, conn.msgtype)
    assert last["/molingo_node/status"].state == "stopped"
    assert np.all(last[js_topic].velocity == 0.0)


def test_unknown_robot_at_start_leaves_the_node_up_and_unconfigured_until_sigterm(tmp_path):
    domain = _domain() + 1
    proc = _start_node(tmp_path, domain, "robot:=nao_v9")
    client = Client(domain)
    try:
        _wait(lambda: any("nao_v9" in s.error for s in client.statuses(state="error")), 60, "error")
        err = next(s.error for s in client.statuses(state="error") if "nao_v9" in s.error)
        assert "configure failed" in err and "g1" in err
        n0 = len(client.status)
        _wait(lambda: client.cmd_pub.get_subscription_count() > 0, 10, "discovery")
        client.send("a person walks", 1.0, cid="x")
        _wait(lambda: any("not active" in e for e in _errors_since(client, n0)), 10, "not-active")
        assert proc.poll() is None
    finally:
        client.close()
        os.killpg(proc.pid, signal.SIGTERM)  # SIGTERM (e.g. from systemd or docker stop)
        assert proc.wait(timeout=20) == 0
