"""rosbag2 recording (molingo_ros.ros.recorder): real bags (mcap and sqlite3) written with the
recorder, read back with rosbags and deserialised with rclpy."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from mcap.reader import make_reader
from mcap.records import Chunk
from mcap.stream_reader import StreamReader
from rclpy.serialization import deserialize_message
from rosbags.highlevel import AnyReader
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


# -- crash safety: a recording child process killed with SIGKILL ------------------------------

ROOT = Path(__file__).resolve().parents[1]
KILL_LOSS_S = 0.5  # the most recent seconds a SIGKILL may lose (issue 15)

# Records like the node does (rclpy messages, recorder.write(topic, msg, stamp_ns)) at 50 Hz
# until it is killed; after each write it appends "seq stamp_ns" to a log (unbuffered).
CHILD = r"""
import os, sys, time
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from molingo_ros.msg import MotionStatus
from molingo_ros.ros.recorder import BagRecorder

path, storage, log_path = sys.argv[1:4]
rec = BagRecorder(path, storage)
status = MotionStatus(state="streaming", command_id="cmd-1")
rec.write("/molingo/status", status, time.time_ns(), latched=True)
log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
seq, tick = 0, time.monotonic()
while True:
    stamp = time.time_ns()
    js = JointState(name=["left_knee_joint", "right_knee_joint"])
    js.header.stamp.sec, js.header.stamp.nanosec = divmod(stamp, 10**9)
    js.position, js.velocity = [seq * 1e-3, -0.5], [0.25, float(seq)]
    rec.write("/joint_states", js, stamp)
    rec.write("/molingo/text", String(data=f"message {seq}"), stamp + 1)
    os.write(log, f"{seq} {stamp}\n".encode())
    seq, tick = seq + 1, tick + 0.02
    time.sleep(max(0.0, tick - time.monotonic()))
"""


def record_then_sigkill(path: Path, storage: str, seconds: float = 2.0) -> tuple[int, dict]:
    """Run CHILD for ``seconds`` (s) of recording, SIGKILL it; returns the kill time (ns, wall
    clock) and {seq: stamp_ns} of the messages the child had written when it was killed."""
    log = path.with_name(path.name + ".log")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), storage, str(log)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60.0
        while not (log.exists() and log.stat().st_size) and proc.poll() is None:
            assert time.monotonic() < deadline, "the recording child did not start"
            time.sleep(0.02)
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(seconds)
        kill_ns = time.time_ns()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    lines = log.read_text().splitlines()
    written = dict(tuple(map(int, line.split())) for line in lines if len(line.split()) == 2)
    return kill_ns, written


def read_killed_bag(path: Path) -> dict[str, list]:
    """topic -> [(t_ns, message)] read with rosbags' AnyReader (its own deserialiser)."""
    out: dict[str, list] = {}
    with AnyReader([path]) as reader:
        for conn, t_ns, raw in reader.messages():
            out.setdefault(conn.topic, []).append((t_ns, reader.deserialize(raw, conn.msgtype)))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("storage", list(STORAGES))
def test_bag_killed_with_sigkill_opens_and_loses_at_most_half_a_second(tmp_path, storage):
    path = tmp_path / "bag"
    kill_ns, written = record_then_sigkill(path, storage)
    assert len(written) > 40  # ~2 s at 50 Hz, even on a busy machine

    messages = read_killed_bag(path)
    texts = messages["/molingo/text"]
    seqs = [int(msg.data.split()[1]) for _, msg in texts]
    assert seqs == list(range(len(seqs)))  # a prefix of what was written: no gaps, no repeats
    assert [t for t, _ in texts] == [written[s] + 1 for s in seqs]
    states = messages["/joint_states"]
    assert len(states) == len(texts)
    for seq, (t_ns, msg) in enumerate(states):
        assert t_ns == written[seq]
        assert list(msg.position) == [seq * 1e-3, -0.5]
        assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == divmod(t_ns, 10**9)
    assert [m.state for _, m in messages["/molingo/status"]] == ["streaming"]

    old = [seq for seq, stamp in written.items() if stamp < kill_ns - KILL_LOSS_S * 1e9]
    assert old and max(old) < len(seqs), (
        f"{storage}: lost messages older than {KILL_LOSS_S} s: the bag ends "
        f"{(kill_ns - texts[-1][0]) * 1e-9 if texts else float('inf'):.2f} s before the kill"
    )


# -- the bag while it is being recorded ----------------------------------------------------------


def write_batch(rec: BagRecorder, first: int, n: int) -> None:
    """Messages ``first`` .. ``first + n - 1`` on /joint_states and /molingo/text."""
    for seq in range(first, first + n):
        t_ns = T0_NS + seq * 20_000_000
        rec.write("/joint_states", joint_state(NAMES, np.array([seq, -seq]), np.zeros(2), 0), t_ns)
        rec.write("/molingo/text", String(data=f"message {seq}"), t_ns + 1)


def texts_in(path) -> list[str]:
    _, messages = read_all(path)
    return [
        deserialize_message(raw, String).data for _, _, raw in messages.get("/molingo/text", [])
    ]


@pytest.mark.parametrize("storage", list(STORAGES))
def test_bag_opens_while_recording(tmp_path, storage):
    path = tmp_path / "bag"
    rec = BagRecorder(path, storage, flush_period_s=0.05)
    try:
        with AnyReader([path]) as reader:  # readable before the first message
            assert reader.message_count == 0 and reader.connections == []
        write_batch(rec, 0, 10)
        assert rec.flush() and not rec.flush()  # nothing new the second time
        assert texts_in(path) == [f"message {i}" for i in range(10)]
        write_batch(rec, 10, 5)
        time.sleep(0.5)  # the flush thread's turn
        with AnyReader([path]) as reader:
            assert reader.message_count == 30
            assert {c.topic: c.msgcount for c in reader.connections} == {
                "/joint_states": 15,
                "/molingo/text": 15,
            }
            states = [
                reader.deserialize(raw, c.msgtype)
                for c, _, raw in reader.messages()
                if c.topic == "/joint_states"
            ]
        assert [s.position[0] for s in states] == list(range(15))
    finally:
        rec.close()
    assert not rec.flushing
    assert texts_in(path) == [f"message {i}" for i in range(15)]


@pytest.mark.parametrize("storage", list(STORAGES))
def test_metadata_while_recording_is_what_close_writes(tmp_path, storage):
    path = tmp_path / "bag"
    rec = BagRecorder(path, storage, flush_period_s=3600.0)
    write_batch(rec, 0, 3)
    rec.write("/molingo/status", status("done", 12), T0_NS + 10**9, latched=True)
    rec.flush()
    text = (path / "metadata.yaml").read_text()
    assert "&id" not in text  # plain YAML, no anchors
    during = yaml.safe_load(text)
    rec.close()
    assert yaml.safe_load((path / "metadata.yaml").read_text()) == during
    assert during["rosbag2_bagfile_information"]["message_count"] == 7


def test_unfinished_mcap_is_valid_for_the_mcap_library(tmp_path):
    """An independent reader (the mcap package, CRCs checked) reads the file mid-recording."""
    path = tmp_path / "bag"
    rec = BagRecorder(path, "mcap", flush_period_s=3600.0)
    try:
        for first in (0, 4, 8):
            write_batch(rec, first, 4)
            rec.flush()
        with open(path / "bag.mcap", "rb") as f:
            reader = make_reader(f, validate_crcs=True)
            summary = reader.get_summary()
            topics = [channel.topic for _, channel, _ in reader.iter_messages(log_time_order=True)]
        assert summary.statistics.message_count == 24 == len(topics)
        assert len(summary.chunk_indexes) == 2 + 3  # a topic's first message, then each flush
        with open(path / "bag.mcap", "rb") as f:
            chunks = [r for r in StreamReader(f).records if isinstance(r, Chunk)]
        assert all(chunk.uncompressed_crc != 0 for chunk in chunks)
    finally:
        rec.close()
    with open(path / "bag.mcap", "rb") as f:
        assert make_reader(f, validate_crcs=True).get_summary().statistics.message_count == 24
