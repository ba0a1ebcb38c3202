"""molingo_node as ROS users deploy it (issue 16): two robots under two namespaces in one
domain (a G1 and an H1), the params file keyed for any namespace, sim time from a /clock
publisher, live parameters and read-only ones, the ``~/stop`` service, the stamp policy.

Both nodes run as their own processes over real Fast DDS with the shipped model on the CPU;
this process is the operator and the simulator (it publishes /clock).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import Parameter as ParameterMsg
from rcl_interfaces.msg import ParameterType, ParameterValue
from rcl_interfaces.srv import GetParameters, SetParameters
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from ros_helpers import Probe, domain, start_node, wait
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from std_srvs.srv import Trigger
from tf2_msgs.msg import TFMessage
from trajectory_msgs.msg import JointTrajectory

from molingo_ros.msg import MotionStatus
from molingo_ros.robot.models import load_robot
from molingo_ros.ros.messages import from_time, to_time

pytestmark = pytest.mark.slow

SIM_T0 = 1000.0  # the simulator's clock starts here (s)
REL = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
LATCHED = QoSProfile(
    depth=1000, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL
)
TRAJ = "joint_trajectory_controller/joint_trajectory"
ROBOTS = {"/robot_a": "g1", "/robot_b": "h1"}


class Clocked(Probe):
    """The probe, publishing a simulator clock on /clock at 100 Hz (SIM_T0 + elapsed)."""

    def __init__(self, domain_id: int) -> None:
        super().__init__(domain_id)
        self.clock_pub = self.node.create_publisher(Clock, "/clock", 10)
        self._t0 = time.monotonic()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def sim_now(self) -> float:
        return SIM_T0 + time.monotonic() - self._t0

    def _tick(self) -> None:
        while not self._stop.wait(0.01):
            self.clock_pub.publish(Clock(clock=to_time(self.sim_now())))

    def close(self) -> None:
        self._stop.set()
        self._ticker.join(timeout=5)  # no publish on a destroyed node
        super().close()


@pytest.fixture(scope="module")
def robots(tmp_path_factory):
    """(probe, {namespace: process}, folder): robot_a (G1, wall clock, recording a bag in
    folder/bag_a) and robot_b (H1, sim time)."""
    tmp = tmp_path_factory.mktemp("deploy")
    dom = domain(7)
    extra = tmp / "site.yaml"  # a user's file: keyed /** it applies under any namespace
    extra.write_text("/**:\n  ros__parameters:\n    commands:\n      max_queue: 3\n")
    procs = {
        "/robot_a": start_node(
            tmp,
            dom,
            "robot:=g1",
            "record.enabled:=true",
            f"record.path:={tmp / 'bag_a'}",
            remaps=("__ns:=/robot_a",),
            params_file=extra,
        ),
        "/robot_b": start_node(
            tmp, dom, "robot:=h1", "use_sim_time:=true", remaps=("__ns:=/robot_b",)
        ),
    }
    probe = Clocked(dom)
    for ns in (*ROBOTS, ""):  # the global names must stay silent
        probe.collect(JointTrajectory, f"{ns}/{TRAJ}", REL)
        probe.collect(JointState, f"{ns}/joint_command", REL)
        probe.collect(JointState, f"{ns}/molingo_node/joint_states", REL)
        probe.collect(MotionStatus, f"{ns}/molingo_node/status", LATCHED)
        probe.collect(TFMessage, f"{ns}/tf", REL)
    probe.collect(JointState, "/joint_states", REL)
    probe.collect(DiagnosticArray, "/diagnostics", REL)
    try:
        for ns in ROBOTS:
            wait(
                lambda ns=ns: (
                    any(s.state == "idle" for s in probe.messages(f"{ns}/molingo_node/status"))
                    and probe.node.count_subscribers(f"{ns}/molingo_node/command") > 0
                    and probe.node.count_publishers(f"{ns}/{TRAJ}") > 0
                ),
                120,
                f"{ns} to be ready",
            )
        time.sleep(1.0)  # activation (ownership check) after configure
        yield probe, procs, tmp
    finally:
        probe.close()
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _send(probe: Probe, ns: str, text: str) -> None:
    pub = probe.node.create_publisher(String, f"{ns}/molingo_node/command", 10)
    wait(lambda: pub.get_subscription_count() > 0, 10, f"{ns}'s command subscriber")
    pub.publish(String(data=text))


def _done_after(probe: Probe, ns: str, n0: int, timeout: float = 90.0) -> MotionStatus:
    topic = f"{ns}/molingo_node/status"
    wait(
        lambda: any(s.state == "done" for s in probe.messages(topic)[n0:]),
        timeout,
        f"a command of {ns} to be done",
    )
    return next(s for s in probe.messages(topic)[n0:] if s.state == "done")


def _set(probe: Probe, ns: str, name: str, value) -> object:
    client = probe.node.create_client(SetParameters, f"{ns}/molingo_node/set_parameters")
    if isinstance(value, bool):
        pv = ParameterValue(type=ParameterType.PARAMETER_BOOL, bool_value=value)
    elif isinstance(value, float):
        pv = ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=value)
    elif isinstance(value, int):
        pv = ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=value)
    else:
        pv = ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=value)
    req = SetParameters.Request(parameters=[ParameterMsg(name=name, value=pv)])
    result = probe.call(client, req).results[0]
    probe.node.destroy_client(client)
    return result


def test_each_robot_streams_on_its_own_names_only(robots):
    probe, _, _ = robots
    counts = {ns: len(probe.messages(f"{ns}/molingo_node/status")) for ns in ROBOTS}
    _send(probe, "/robot_a", "walk forward for two seconds")
    _send(probe, "/robot_b", "wave with your right hand for two seconds")
    for ns, robot in ROBOTS.items():
        _done_after(probe, ns, counts[ns])
        names = load_robot(robot).joint_names
        chunks = probe.messages(f"{ns}/{TRAJ}")
        assert chunks and all(list(m.joint_names) == list(names) for m in chunks), ns
        states = probe.messages(f"{ns}/molingo_node/joint_states")
        assert states and all(list(m.name) == list(names) for m in states)
        assert probe.messages(f"{ns}/joint_command")
    for topic in (f"/{TRAJ}", "/joint_command", "/molingo_node/joint_states", "/joint_states"):
        assert probe.messages(topic) == [], f"{topic} is not namespaced"
    assert not [s for s in probe.messages("/molingo_node/status")]
    # TF: world -> root link, per robot, on its own tf topic.
    for ns in ROBOTS:
        tfs = [t for m in probe.messages(f"{ns}/tf") for t in m.transforms]
        assert tfs and {(t.header.frame_id, t.child_frame_id) for t in tfs} == {("world", "pelvis")}
    assert probe.messages("/tf") == []
    assert load_robot("g1").joint_names != load_robot("h1").joint_names


def test_the_params_file_keyed_for_any_namespace_applies(robots):
    probe, _, _ = robots
    client = probe.node.create_client(GetParameters, "/robot_a/molingo_node/get_parameters")
    reply = probe.call(client, GetParameters.Request(names=["commands.max_queue", "threads"]))
    assert [v.integer_value for v in reply.values] == [3, 1]


def test_sim_time_stamps_come_from_the_clock_topic(robots):
    probe, _, _ = robots
    sim = [from_time(m.header.stamp) for m in probe.messages(f"/robot_b/{TRAJ}")]
    wall = [from_time(m.header.stamp) for m in probe.messages(f"/robot_a/{TRAJ}")]
    assert sim and wall
    assert all(SIM_T0 < t < probe.sim_now() + 5 for t in sim), (min(sim), max(sim))
    assert all(abs(t - time.time()) < 600 for t in wall)

    # The wall-clock node sees a /clock publisher and says its stamps would not fit.
    def warned() -> bool:
        for arr in probe.messages("/diagnostics"):
            for st in arr.status:
                values = {kv.key: kv.value for kv in st.values}
                if st.hardware_id == "g1" and "/clock is published" in values.get("warnings", ""):
                    return True
        return False

    wait(warned, 10, "robot_a's clock warning in diagnostics")


def test_live_parameters_apply_at_once_and_read_only_ones_are_refused(robots):
    probe, _, _ = robots
    ns = "/robot_a"
    assert _set(probe, ns, "commands.default_duration_s", 2.0).successful
    n0 = len(probe.messages(f"{ns}/molingo_node/status"))
    _send(probe, ns, "walk forward")
    done = _done_after(probe, ns, n0)
    assert done.frames_published == pytest.approx(60, abs=2)  # 2 s at 30 fps, not 5 s
    assert _set(probe, ns, "stream.publish_rate_hz", 10.0).successful
    n0 = len(probe.messages(f"{ns}/molingo_node/status"))
    js0 = len(probe.messages(f"{ns}/molingo_node/joint_states"))
    _send(probe, ns, "walk forward for three seconds")
    _done_after(probe, ns, n0)
    stamps = [from_time(m.header.stamp) for m in probe.messages(f"{ns}/molingo_node/joint_states")]
    rate = 1.0 / np.median(np.diff(stamps[js0 + 2 :]))
    assert rate == pytest.approx(10.0, rel=0.2)
    assert _set(probe, ns, "sampler.cfg_scale", 3.0).successful
    refused = _set(probe, ns, "topics.joint_states", "/x")
    assert not refused.successful and "read-only" in refused.reason
    refused = _set(probe, ns, "commands.default_duration_s", 500.0)  # > max_duration_s
    assert not refused.successful and "max_duration_s" in refused.reason
    assert _set(probe, ns, "stream.publish_rate_hz", 30.0).successful


def _command_trajectories(probe: Probe, ns: str, text: str, k0: int | None = None) -> list:
    """Send ``text`` to ``ns``, wait until it is done, return the trajectories published for
    it (multi-point ones: the streamed chunks)."""
    k0 = len(probe.messages(f"{ns}/{TRAJ}")) if k0 is None else k0
    n0 = len(probe.messages(f"{ns}/molingo_node/status"))
    _send(probe, ns, text)
    _done_after(probe, ns, n0)
    return [m for m in probe.messages(f"{ns}/{TRAJ}")[k0:] if len(m.points) > 1]


def _worst_speed_ratio(chunks: list, limits: np.ndarray) -> float:
    worst = 0.0
    for m in chunks:
        q = np.array([p.positions for p in m.points])
        t = np.array([from_time(p.time_from_start) for p in m.points])
        worst = max(worst, float(np.max(np.abs(np.diff(q, axis=0)) / np.diff(t)[:, None] / limits)))
    return worst


def test_safety_stream_sampler_and_queue_parameters_take_effect(robots):
    """Each group changes what the next window does: the speed cap, the chunk size, the
    hold's settle time, the queue length."""
    from molingo_ros.msg import MotionCommand

    probe, _, _ = robots
    ns = "/robot_a"
    limits = load_robot("g1").velocity_limits
    # safety.velocity_fraction: every planned step within the new fraction of the limits.
    assert _set(probe, ns, "safety.velocity_fraction", 0.3).successful
    slow = _command_trajectories(probe, ns, "run forward for two seconds")
    assert slow and _worst_speed_ratio(slow, limits) <= 0.3 * 1.01
    assert _set(probe, ns, "safety.velocity_fraction", 0.9).successful
    # sampler.emit_tokens: windows of 4 tokens (16 frames) instead of 8: a shorter horizon.
    before = _command_trajectories(probe, ns, "walk forward for three seconds")
    assert _set(probe, ns, "sampler.emit_tokens", 4).successful
    after = _command_trajectories(probe, ns, "walk forward for three seconds")
    horizon = [max(from_time(m.points[-1].time_from_start) for m in c) for c in (before, after)]
    assert horizon[1] < horizon[0] - 0.3, horizon
    assert _set(probe, ns, "sampler.emit_tokens", 8).successful
    # stream.hold_settle_s: the hold after a stop is reached in the new time.
    assert _set(probe, ns, "stream.hold_settle_s", 1.0).successful
    status = f"{ns}/molingo_node/status"
    n0, k0 = len(probe.messages(status)), len(probe.messages(f"{ns}/{TRAJ}"))
    _send(probe, ns, "walk forward for five seconds")
    wait(lambda: any(s.state == "streaming" for s in probe.messages(status)[n0:]), 60, "stream")
    _send(probe, ns, "stop")
    wait(lambda: any(s.state == "stopped" for s in probe.messages(status)[n0:]), 10, "stopped")
    wait(lambda: any(len(m.points) == 1 for m in probe.messages(f"{ns}/{TRAJ}")[k0:]), 5, "hold")
    hold = next(m for m in probe.messages(f"{ns}/{TRAJ}")[k0:] if len(m.points) == 1)
    assert from_time(hold.points[0].time_from_start) == pytest.approx(1.0, abs=1e-6)
    assert _set(probe, ns, "stream.hold_settle_s", 0.2).successful
    # commands.max_queue: 1 behind the current command; the rest are refused as full.
    assert _set(probe, ns, "commands.max_queue", 1).successful
    pub = probe.node.create_publisher(MotionCommand, f"{ns}/molingo_node/motion_command", 10)
    wait(lambda: pub.get_subscription_count() > 0, 10, "the motion_command subscriber")
    n0 = len(probe.messages(status))
    for i in range(4):
        msg = MotionCommand(text="walk forward", duration_s=2.0, mode=1, id=f"q{i}", seed=i)
        msg.header.stamp = to_time(time.time())
        pub.publish(msg)
    wait(
        lambda: sum("queue is full" in s.error for s in probe.messages(status)[n0:]) >= 2,
        20,
        "queue-full refusals",
    )
    full = [s.command_id for s in probe.messages(status)[n0:] if "queue is full" in s.error]
    assert sorted(set(full)) == ["q2", "q3"]
    assert _set(probe, ns, "commands.max_queue", 3).successful
    n0 = len(probe.messages(status))
    _send(probe, ns, "stop")  # and wait for it: the next test starts from a quiet node
    wait(lambda: any(s.state == "stopped" for s in probe.messages(status)[n0:]), 10, "stopped")


def test_stamp_policy_zero_starts_trajectories_on_arrival(robots):
    probe, _, _ = robots
    ns = "/robot_a"
    assert _set(probe, ns, "stream.stamp_policy", "zero").successful
    k0 = len(probe.messages(f"{ns}/{TRAJ}"))
    n0 = len(probe.messages(f"{ns}/molingo_node/status"))
    _send(probe, ns, "walk forward for two seconds")
    _done_after(probe, ns, n0)
    new = probe.messages(f"{ns}/{TRAJ}")[k0:]
    assert new and all(from_time(m.header.stamp) == 0.0 for m in new)
    assert all(
        from_time(m.points[-1].time_from_start) > from_time(m.points[0].time_from_start)
        for m in new
        if len(m.points) > 1
    )
    refused = _set(probe, ns, "stream.stamp_policy", "later")
    assert not refused.successful and "clock, zero" in refused.reason
    assert _set(probe, ns, "stream.stamp_policy", "clock").successful


def test_the_stop_service_holds_at_once(robots):
    probe, _, _ = robots
    ns = "/robot_a"
    status = f"{ns}/molingo_node/status"
    n0 = len(probe.messages(status))
    _send(probe, ns, "walk forward for ten seconds")
    wait(lambda: any(s.state == "streaming" for s in probe.messages(status)[n0:]), 60, "streaming")
    k0 = len(probe.messages(f"{ns}/{TRAJ}"))
    client = probe.node.create_client(Trigger, f"{ns}/molingo_node/stop")
    reply = probe.call(client, Trigger.Request())
    assert reply.success and "held" in reply.message
    wait(lambda: any(s.state == "stopped" for s in probe.messages(status)[n0:]), 5, "stopped")
    holds = [m for m in probe.messages(f"{ns}/{TRAJ}")[k0:] if len(m.points) == 1]
    assert holds


def _replay(tmp, dom: int, *args: str) -> str:
    from ros_helpers import NODE_BIN, node_env

    cmd = [str(NODE_BIN.parent / "molingo"), "replay", str(tmp / "bag_a"), *args]
    done = subprocess.run(cmd, env=node_env(dom, tmp), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_replay_restamps_a_recorded_session_for_another_robot(robots):
    """The bag robot_a recorded (robot_a stopped first: it closes the bag), played back under
    /replayed: every trajectory arrives, its stamp moved by one offset to the replay's time."""
    from rosbags.highlevel import AnyReader

    from molingo_ros.ros.recorder import project_typestore

    probe, procs, tmp = robots
    os.killpg(procs["/robot_a"].pid, signal.SIGINT)
    assert procs["/robot_a"].wait(timeout=30) == 0
    topic = f"/replayed/{TRAJ}"
    probe.collect(JointTrajectory, topic, REL)
    wait(lambda: probe.node.count_subscribers(topic) >= 1, 5, "the probe's subscription")
    store = project_typestore()
    with AnyReader([tmp / "bag_a"], default_typestore=store) as reader:
        conns = [c for c in reader.connections if c.topic == f"/robot_a/{TRAJ}"]
        recorded = [
            from_time(store.deserialize_cdr(raw, c.msgtype).header.stamp)
            for c, _, raw in reader.messages(conns)
        ]
    t_start = time.time()
    out = _replay(tmp, domain(7), "--robot-namespace", "/replayed", "--rate", "50")
    assert "under /replayed" in out
    wait(lambda: len(probe.messages(topic)) >= len(recorded), 10, "every replayed trajectory")
    got = [from_time(m.header.stamp) for m in probe.messages(topic)][: len(recorded)]
    stamped = np.array(recorded) > 0  # those sent with stream.stamp_policy zero stay 0
    offsets = np.array(got)[stamped] - np.array(recorded)[stamped]
    assert stamped.sum() >= 5 and np.ptp(offsets) < 1e-6  # one offset: the timing is kept
    assert np.all(np.array(got)[~stamped] == 0.0)
    assert offsets[0] > 0 and np.array(got)[stamped][0] >= t_start - 1.0  # to the replay time
    n0 = len(probe.messages(topic))
    _replay(tmp, domain(7), "--robot-namespace", "/replayed", "--rate", "50", "--stamp", "zero")
    wait(lambda: len(probe.messages(topic)) >= n0 + len(recorded), 10, "the zero-stamped replay")
    assert all(from_time(m.header.stamp) == 0.0 for m in probe.messages(topic)[n0:])


def _custom_robot_yaml(folder) -> str:
    """A copy of the G1 robot YAML under another name (a user's own robot file)."""
    import yaml

    from molingo_ros.robot.models import robot_config_path

    doc = yaml.safe_load(robot_config_path("g1").read_text())
    doc["robot"]["name"] = "mybot"
    path = folder / "mybot.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def test_a_custom_robot_yaml_with_a_robot_description_topic(tmp_path):
    """The node configured from a custom robot YAML path and the robot_description topic
    (robot_state_publisher's, latched) whose URDF names the joints without "_joint": it
    publishes the URDF's names, and TF to its root link."""
    from molingo_ros.robot.config import read_urdf_joint_names, rename_urdf_joints
    from molingo_ros.robot.models import G1_URDF_SOURCE, resolve_model_path

    urdf = resolve_model_path(G1_URDF_SOURCE).read_text()
    names = read_urdf_joint_names(urdf)
    stripped = rename_urdf_joints(urdf, {n: n.removesuffix("_joint") for n in names})
    dom = domain(11)
    probe = Probe(dom)
    desc = probe.node.create_publisher(String, "/robot_description", LATCHED)
    desc.publish(String(data=stripped))
    probe.collect(JointState, "/molingo_node/joint_states", REL)
    probe.collect(MotionStatus, "/molingo_node/status", LATCHED)
    probe.collect(TFMessage, "/tf", REL)
    proc = start_node(
        tmp_path,
        dom,
        f"robot:={_custom_robot_yaml(tmp_path)}",
        "robot_description.source:=topic",
        "robot_description.joint_name_map:=auto",
    )
    try:
        wait(lambda: probe.messages("/molingo_node/joint_states"), 120, "the idle pose")
        state = probe.messages("/molingo_node/joint_states")[-1]
        assert list(state.name) == [n.removesuffix("_joint") for n in load_robot("g1").joint_names]
        assert np.all(np.asarray(state.velocity) == 0.0)
        tf = probe.messages("/tf")[-1].transforms[0]
        assert (tf.header.frame_id, tf.child_frame_id) == ("world", "pelvis")
        assert not [s for s in probe.messages("/molingo_node/status") if s.state == "error"]
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        probe.close()
