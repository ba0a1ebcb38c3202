"""rosbag2 recording (molingo_ros.ros.recorder): real bags (mcap and sqlite3) written with the
recorder, read back with rosbags and deserialised with rclpy."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from rclpy.serialization import deserialize_message
from rosbags.interfaces import QosDurability
from rosbags.rosbag2 import Reader
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory

from molingo_ros.msg import MotionCommand, MotionStatus
from molingo_ros.ros.messages import joint_state, joint_trajectory
from molingo_ros.ros.recorder import (
    STORAGES,
    BagRecorder,
    default_bag_path,
    msgtype_name,
    project_typestore,
)

pytestmark = pytest.mark.ros

NAMES = ["left_knee_joint", "right_knee_joint"]
FPS = 30.0
T0_NS = 1_700_000_000_000_000_000

TOPICS = {
    "/joint_trajectory": "trajectory_msgs/msg/JointTrajectory",
    "/joint_states": "sensor_msgs/msg/JointState",
    "/molingo/text": "std_msgs/msg/String",
    "/molingo/status": "molingo_ros/msg/MotionStatus",
    "/molingo/command": "molingo_ros/msg/MotionCommand",
}


def status(state: str, frames: int) -> MotionStatus:
    msg = MotionStatus()
    msg.header.stamp.sec = 1_700_000_000
    msg.state = state
    msg.command_id = "cmd-1"
    msg.text = "a person walks forward — ünïcödé"
    msg.frames_published = frames
    msg.realtime_factor = 2.5
    return msg


def command() -> MotionCommand:
    msg = MotionCommand()
    msg.header.stamp.sec = 1_700_000_000
    msg.header.stamp.nanosec = 42
    msg.text = "walk forward and wave"
    msg.duration_s = 4.0
    msg.mode = MotionCommand.MODE_QUEUE
    msg.seed = 1234
    msg.id = "cmd-1"
    return msg


def record(path, storage: str) -> dict:
    """Write a known set of messages; returns what was written, per topic."""
    rec = BagRecorder(path, storage=storage)
    written: dict[str, list] = {t: [] for t in TOPICS}

    def put(topic, msg, t_ns, latched=False):
        rec.write(topic, msg, t_ns, latched=latched)
        written[topic].append((t_ns, msg))

    put("/molingo/command", command(), T0_NS)
    put("/molingo/status", status("generating", 0), T0_NS + 1, latched=True)
    for k in range(3):
        pos = np.full((4, 2), 0.1 * k)
        vel = np.full((4, 2), -0.5 * k)
        t_ns = T0_NS + (k + 1) * 100_000_000
        put("/joint_trajectory", joint_trajectory(NAMES, pos, vel, t_ns * 1e-9, FPS), t_ns)
        for i in range(2):
            q = np.array([0.1 * k + 0.01 * i, -0.2])
            put("/joint_states", joint_state(NAMES, q, np.zeros(2), t_ns * 1e-9), t_ns + i)
        put("/molingo/status", status("streaming", 4 * (k + 1)), t_ns + 5, latched=True)
    put("/molingo/text", String(data="done — fertig"), T0_NS + 10**9)
    put("/molingo/status", status("done", 12), T0_NS + 10**9 + 1, latched=True)
    assert rec.counts == {t: len(v) for t, v in written.items()}
    rec.close()
    return written


@pytest.fixture(params=["mcap", "sqlite3"])
def bag(request, tmp_path):
    path = tmp_path / f"bag_{request.param}"
    written = record(path, request.param)
    return path, request.param, written


def read_all(path):
    """topic -> [(t_ns, connection, raw)] from rosbags."""
    out: dict[str, list] = {}
    with Reader(path) as reader:
        connections = {c.topic: c for c in reader.connections}
        for conn, t_ns, raw in reader.messages():
            out.setdefault(conn.topic, []).append((t_ns, conn, raw))
    return connections, out


def test_bag_has_the_topics_types_and_counts(bag):
    path, storage, written = bag
    connections, messages = read_all(path)
    assert {t: c.msgtype for t, c in connections.items()} == TOPICS
    assert {t: len(v) for t, v in messages.items()} == {t: len(v) for t, v in written.items()}
    for topic, items in messages.items():
        assert [t for t, _, _ in items] == [t for t, _ in written[topic]]
    suffix = ".mcap" if storage == "mcap" else ".db3"
    assert [p.suffix for p in path.iterdir() if p.name != "metadata.yaml"] == [suffix]


def test_metadata_is_version_9(bag):
    path, storage, written = bag
    meta_path = path / "metadata.yaml"
    assert meta_path.is_file()
    info = yaml.safe_load(meta_path.read_text())["rosbag2_bagfile_information"]
    assert info["version"] == 9
    assert info["storage_identifier"] == storage
    assert info["message_count"] == sum(len(v) for v in written.values())
    topics = {t["topic_metadata"]["name"]: t for t in info["topics_with_message_count"]}
    assert set(topics) == set(TOPICS)
    assert topics["/joint_states"]["message_count"] == 6
    status_meta = topics["/molingo/status"]["topic_metadata"]
    assert status_meta["type"] == "molingo_ros/msg/MotionStatus"
    assert status_meta["serialization_format"] == "cdr"
    assert status_meta["type_description_hash"].startswith("RIHS01_")
    assert status_meta["offered_qos_profiles"][0]["durability"] == "transient_local"
    # The project's types carry their definitions (needed by ros2 bag play elsewhere).
    with Reader(path) as reader:
        defs = {c.topic: c.msgdef.data for c in reader.connections}
    assert "uint32 frames_published" in defs["/molingo/status"]
    assert "int64 seed" in defs["/molingo/command"]


def test_status_is_latched(bag):
    path, _, _ = bag
    with Reader(path) as reader:
        qos = {c.topic: c.ext.offered_qos_profiles for c in reader.connections}
    assert len(qos["/molingo/status"]) == 1
    assert qos["/molingo/status"][0].durability == QosDurability.TRANSIENT_LOCAL
    assert qos["/molingo/status"][0].depth == 1
    assert qos["/joint_trajectory"][0].durability == QosDurability.VOLATILE
    assert qos["/joint_trajectory"][0].depth == 10


def test_messages_deserialise_with_rosbags(bag):
    path, _, written = bag
    store = project_typestore()
    _, messages = read_all(path)

    traj = [store.deserialize_cdr(raw, c.msgtype) for _, c, raw in messages["/joint_trajectory"]]
    for got, (_, sent) in zip(traj, written["/joint_trajectory"], strict=True):
        assert list(got.joint_names) == NAMES
        assert len(got.points) == 4
        assert got.header.stamp.sec == sent.header.stamp.sec
        assert got.header.stamp.nanosec == sent.header.stamp.nanosec
        for p_got, p_sent in zip(got.points, sent.points, strict=True):
            assert np.array_equal(p_got.positions, p_sent.positions)
            assert np.array_equal(p_got.velocities, p_sent.velocities)
            assert p_got.time_from_start.nanosec == p_sent.time_from_start.nanosec

    states = [store.deserialize_cdr(raw, c.msgtype) for _, c, raw in messages["/joint_states"]]
    assert [list(s.name) for s in states] == [NAMES] * 6
    assert [s.position[0] for s in states] == pytest.approx([0.0, 0.01, 0.1, 0.11, 0.2, 0.21])

    statuses = [store.deserialize_cdr(raw, c.msgtype) for _, c, raw in messages["/molingo/status"]]
    assert [s.state for s in statuses] == [
        "generating",
        "streaming",
        "streaming",
        "streaming",
        "done",
    ]
    assert [s.frames_published for s in statuses] == [0, 4, 8, 12, 12]
    assert statuses[-1].text == "a person walks forward — ünïcödé"
    assert statuses[-1].realtime_factor == pytest.approx(2.5)

    ((_, c, raw),) = messages["/molingo/command"]
    cmd = store.deserialize_cdr(raw, c.msgtype)
    assert (cmd.text, cmd.mode, cmd.seed, cmd.id) == ("walk forward and wave", 1, 1234, "cmd-1")
    assert cmd.duration_s == pytest.approx(4.0)
    assert (cmd.header.stamp.sec, cmd.header.stamp.nanosec) == (1_700_000_000, 42)

    ((_, c, raw),) = messages["/molingo/text"]
    assert store.deserialize_cdr(raw, c.msgtype).data == "done — fertig"


def test_messages_deserialise_with_rclpy(bag):
    path, _, written = bag
    _, messages = read_all(path)
    types = {
        "/joint_trajectory": JointTrajectory,
        "/joint_states": JointState,
        "/molingo/text": String,
        "/molingo/status": MotionStatus,
        "/molingo/command": MotionCommand,
    }
    for topic, cls in types.items():
        got = [deserialize_message(raw, cls) for _, _, raw in messages[topic]]
        assert got == [msg for _, msg in written[topic]], topic


def test_existing_path_is_refused(tmp_path):
    path = tmp_path / "bag"
    path.mkdir()
    with pytest.raises(FileExistsError, match="exists already"):
        BagRecorder(path)
    assert list(path.iterdir()) == []


def test_bad_storage_names_the_valid_ones(tmp_path):
    with pytest.raises(ValueError) as exc:
        BagRecorder(tmp_path / "bag", storage="rosbag1")
    msg = str(exc.value)
    assert "mcap" in msg and "sqlite3" in msg and "rosbag1" in msg
    assert not (tmp_path / "bag").exists()
    assert set(STORAGES) == {"mcap", "sqlite3"}


def test_close_twice_and_write_after_close(tmp_path):
    path = tmp_path / "nested" / "bag"  # parents are created
    rec = BagRecorder(path, storage="mcap")
    rec.write("/molingo/text", String(data="one"), T0_NS)
    rec.close()
    rec.close()
    assert rec.closed
    rec.write("/molingo/text", String(data="ignored"), T0_NS + 1)
    rec.write("/other", String(data="ignored"), T0_NS + 2)
    assert rec.counts == {"/molingo/text": 1}
    connections, messages = read_all(path)
    assert set(connections) == {"/molingo/text"}
    assert [deserialize_message(raw, String).data for _, _, raw in messages["/molingo/text"]] == [
        "one"
    ]


def test_msgtype_name_and_default_path(tmp_path):
    assert msgtype_name(MotionStatus()) == "molingo_ros/msg/MotionStatus"
    assert msgtype_name(JointTrajectory()) == "trajectory_msgs/msg/JointTrajectory"
    path = default_bag_path(tmp_path)
    assert path.parent == tmp_path and path.name.startswith("molingo_")
    assert not path.exists()


def test_project_typestore_knows_the_project_messages():
    store = project_typestore()
    assert "molingo_ros/msg/MotionStatus" in store.fielddefs
    assert "molingo_ros/msg/MotionCommand" in store.fielddefs
    names = [f[0] for f in store.fielddefs["molingo_ros/msg/MotionCommand"][1]]
    assert names == ["header", "text", "duration_s", "mode", "seed", "id"]
