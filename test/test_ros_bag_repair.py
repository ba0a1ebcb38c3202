"""Bag repair (molingo_ros.ros.bag_repair, ``molingo bag repair``): bags left by real SIGKILLs
of recording processes and bags torn the way a kill in mid-write tears them, repaired and read
back with rosbags' standard reader and rclpy."""

from __future__ import annotations

import shutil
import signal
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from mcap.reader import make_reader
from rclpy.serialization import deserialize_message
from rosbags.highlevel import AnyReader
from sensor_msgs.msg import JointState
from std_msgs.msg import String

from molingo_ros.cli import main as molingo
from molingo_ros.ros.bag_repair import find_storage, repair_bag
from molingo_ros.ros.messages import joint_state
from molingo_ros.ros.recorder import BagRecorder

pytestmark = pytest.mark.ros

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["left_knee_joint", "right_knee_joint"]
T0_NS = 1_700_000_000_000_000_000

# Records the way the recorder did before crash-safe recording (rosbags' Writer: 1 MiB chunks
# in memory, nothing committed, no metadata.yaml until close), prints how many messages are in
# finished chunks, then waits to be killed.
OLD_STYLE_CHILD = r"""
import sys, time
from rclpy.serialization import serialize_message
from rosbags.rosbag2 import StoragePlugin, Writer
from sensor_msgs.msg import JointState
from molingo_ros.ros.recorder import project_typestore

path, storage, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
writer = Writer(path, version=9, storage_plugin=StoragePlugin[storage.upper()])
writer.open()
conn = writer.add_connection(
    "/joint_states", "sensor_msgs/msg/JointState", typestore=project_typestore()
)
for seq in range(n):
    msg = JointState(name=["j"], position=[float(seq)] * 2000)
    writer.write(conn, 1_700_000_000_000_000_000 + seq, serialize_message(msg))
pending = sum(len(v) for v in writer.storage.chunk.msgs.values()) if storage == "mcap" else n
print(n - pending, flush=True)
time.sleep(600)
"""

# Commits a first batch with BagRecorder.flush, then writes a batch larger than SQLite's page
# cache (so that its pages spill into the database file, the journal holding the originals) and
# waits to be killed in the middle of that transaction.
HOT_JOURNAL_CHILD = r"""
import sys, time
from std_msgs.msg import String
from molingo_ros.ros.recorder import BagRecorder

rec = BagRecorder(sys.argv[1], "sqlite3", flush_period_s=3600.0)
for seq in range(20):
    rec.write("/molingo/text", String(data=f"committed {seq}"), 1_700_000_000_000_000_000 + seq)
rec.flush()
for seq in range(400):
    rec.write("/molingo/text", String(data="x" * 20000), 1_700_000_001_000_000_000 + seq)
print("ready", flush=True)
time.sleep(600)
"""


def run_until_killed(script: str, *args: str) -> str:
    """Run ``script`` with ``args``, SIGKILL it after its first line of output; returns that."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line, proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return line


def read_raw(path: Path) -> dict[str, list[tuple[int, bytes]]]:
    """topic -> [(t_ns, raw)] with rosbags' AnyReader (which also checks the type hashes)."""
    out: dict[str, list] = {}
    with AnyReader([path]) as reader:
        for conn, t_ns, raw in reader.messages():
            out.setdefault(conn.topic, []).append((t_ns, raw))
    return out


def metadata(path: Path) -> dict:
    return yaml.safe_load((path / "metadata.yaml").read_text())["rosbag2_bagfile_information"]


def test_old_style_mcap_killed_mid_recording_is_rebuilt(tmp_path):
    path = tmp_path / "old"
    finished = int(run_until_killed(OLD_STYLE_CHILD, str(path), "mcap", "300"))
    assert 0 < finished < 300  # some 1 MiB chunks reached the disk, the last one did not
    assert not (path / "metadata.yaml").exists()
    with pytest.raises(FileNotFoundError):
        AnyReader([path])

    report = repair_bag(path)

    assert report.storage == "mcap" and report.rebuilt
    assert report.topics == {"/joint_states": finished}
    assert report.backup == path / "old.mcap.damaged" and report.backup.is_file()
    assert report.discarded_bytes >= 0
    assert (report.start_ns, report.end_ns) == (T0_NS, T0_NS + finished - 1)
    messages = read_raw(path)["/joint_states"]
    assert [t for t, _ in messages] == [T0_NS + i for i in range(finished)]
    for seq, (_, raw) in enumerate(messages):
        msg = deserialize_message(raw, JointState)
        assert list(msg.name) == ["j"] and msg.position[0] == seq and len(msg.position) == 2000
    info = metadata(path)
    assert info["version"] == 9 and info["message_count"] == finished
    assert info["relative_file_paths"] == ["old.mcap"]
    topic = info["topics_with_message_count"][0]["topic_metadata"]
    assert topic["type_description_hash"].startswith("RIHS01_")
    with open(path / "old.mcap", "rb") as f:  # a complete mcap for the mcap package, too
        reader = make_reader(f, validate_crcs=True)
        assert reader.get_summary().statistics.message_count == finished
        (embedded,) = [m for m in reader.iter_metadata() if m.name == "rosbag2"]
    assert yaml.safe_load(embedded.metadata["serialized_metadata"])["message_count"] == finished


def test_empty_old_style_mcap_gives_an_empty_bag(tmp_path):
    """Killed before the header left the write buffer: a zero-length file, nothing to read."""
    path = tmp_path / "bag"
    path.mkdir()
    (path / "bag.mcap").write_bytes(b"")
    report = repair_bag(path)
    assert report.messages == 0 and report.rebuilt
    with AnyReader([path]) as reader:
        assert reader.message_count == 0


def test_old_style_sqlite3_killed_mid_recording_opens_after_repair(tmp_path):
    path = tmp_path / "old"
    run_until_killed(OLD_STYLE_CHILD, str(path), "sqlite3", "20")
    with pytest.raises(FileNotFoundError):
        AnyReader([path])
    report = repair_bag(path)
    assert report.storage == "sqlite3"
    assert report.topics == {}  # the old recorder committed nothing, not even the topic
    with AnyReader([path]) as reader:
        assert reader.connections == [] and reader.message_count == 0


def test_sqlite3_killed_mid_transaction_rolls_back_to_the_last_flush(tmp_path):
    path = tmp_path / "bag"
    run_until_killed(HOT_JOURNAL_CHILD, str(path))
    journal = path / "bag.db3-journal"
    assert journal.is_file() and journal.stat().st_size > 0  # a hot journal

    report = repair_bag(path)

    assert report.rebuilt and report.backup is None
    assert not journal.exists()
    assert report.topics == {"/molingo/text": 20}
    texts = [deserialize_message(raw, String).data for _, raw in read_raw(path)["/molingo/text"]]
    assert texts == [f"committed {i}" for i in range(20)]
    assert metadata(path)["message_count"] == 20


# -- torn crash-safe bags (what a kill in the middle of a flush's write leaves) ---------------


def data_end(mcap: bytes) -> int:
    """Where an mcap file's data section ends: its footer's summary start minus the DataEnd
    record (13 bytes) that the recorder writes before the summary."""
    (summary_start,) = struct.unpack_from("<Q", mcap, len(mcap) - 8 - 20)  # footer field 1
    return summary_start - 13


@pytest.fixture(scope="module")
def flushed_bag(tmp_path_factory):
    """A crash-safe mcap bag and the file as it was after each of its flushes:
    [(file bytes, messages on disk)]."""
    path = tmp_path_factory.mktemp("flushed") / "bag"
    rec = BagRecorder(path, "mcap", flush_period_s=3600.0)
    states = []
    for batch in range(4):
        for i in range(5):
            seq = batch * 5 + i
            msg = joint_state(NAMES, np.array([seq, -seq]), np.zeros(2), 0.0)
            rec.write("/joint_states", msg, T0_NS + seq * 10_000_000)
        rec.flush()
        states.append(((path / "bag.mcap").read_bytes(), (batch + 1) * 5))
    rec.close()
    return path, states


def positions(path: Path) -> list[float]:
    raws = read_raw(path).get("/joint_states", [])
    return [deserialize_message(raw, JointState).position[0] for _, raw in raws]


@pytest.mark.parametrize("written", ["1", "13", "40", "chunk-1", "chunk", "data", "all-1"])
def test_flush_torn_by_a_kill_is_repaired_to_the_previous_flush(tmp_path, flushed_bag, written):
    """A flush writes [new chunk, its message indexes][DataEnd, summary, footer] over the old
    DataEnd, summary and footer in one pwrite; a kill may leave only its first bytes on disk
    (``written``: how many)."""
    source, states = flushed_bag
    (before, on_disk), (after, _) = states[1], states[2]
    start = data_end(before)
    (chunk,) = struct.unpack_from("<Q", after, start + 1)
    chunk += 9  # the new chunk record (bytes)
    new_data = data_end(after) - start  # and its message indexes
    sizes = {
        "chunk-1": chunk - 1,
        "chunk": chunk,
        "data": new_data,
        "all-1": len(after) - start - 1,
    }
    n = sizes.get(written) or int(written)
    torn = after[: start + n] + before[start + n :]
    assert torn != after
    path = tmp_path / "bag"
    shutil.copytree(source, path)
    (path / "bag.mcap").write_bytes(torn)

    report = repair_bag(path)

    # Up to 13 bytes only the old DataEnd record is overwritten: rosbags still reads the old
    # summary, and the file is kept. Beyond, the file is rebuilt from its complete chunks.
    assert report.rebuilt == (n > 13)
    expected = on_disk + 5 if n >= chunk else on_disk
    assert report.topics == {"/joint_states": expected}
    assert positions(path) == list(range(expected))
    assert metadata(path)["message_count"] == expected


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9, 0.999])
def test_truncated_crash_safe_bag_keeps_its_complete_chunks(tmp_path, flushed_bag, cut):
    source, states = flushed_bag
    final = (source / "bag.mcap").read_bytes()
    size = int(len(final) * cut)
    path = tmp_path / "bag"
    shutil.copytree(source, path)
    (path / "bag.mcap").write_bytes(final[:size])
    (path / "metadata.yaml").unlink()

    report = repair_bag(path)

    complete = max([n for data, n in states if data_end(data) <= size], default=0)
    assert report.messages == complete
    assert positions(path) == list(range(complete))


def test_intact_bag_keeps_its_storage_and_gets_exact_counts(tmp_path, flushed_bag):
    """A crash-safe bag after a kill opens as it is, its metadata.yaml counts possibly one flush
    behind; repair leaves the storage alone and rewrites the counts."""
    source, states = flushed_bag
    path = tmp_path / "bag"
    shutil.copytree(source, path)
    (path / "bag.mcap").write_bytes(states[2][0])  # the file after the third flush
    info = metadata(path)
    info["message_count"] = 10  # as written at the second flush
    (path / "metadata.yaml").write_text(yaml.safe_dump({"rosbag2_bagfile_information": info}))

    report = repair_bag(path / "bag.mcap")  # the storage file works as well as the folder

    assert not report.rebuilt and report.backup is None
    assert (path / "bag.mcap").read_bytes() == states[2][0]
    assert report.topics == {"/joint_states": 15}
    assert metadata(path)["message_count"] == 15
    assert positions(path) == list(range(15))
    before = metadata(source)
    after = metadata(path)
    before["message_count"] = after["message_count"]
    assert set(after) == set(before)


def test_find_storage_refuses_what_is_not_one_bag(tmp_path):
    with pytest.raises(FileNotFoundError, match="no bag folder"):
        find_storage(tmp_path / "missing")
    (tmp_path / "a.mcap").write_bytes(b"")
    (tmp_path / "b.db3").write_bytes(b"")
    with pytest.raises(ValueError, match="a.mcap, b.db3"):
        find_storage(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="found none"):
        find_storage(tmp_path / "notes.txt")


def test_not_an_mcap_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "bag"
    path.mkdir()
    (path / "bag.mcap").write_bytes(b"PK\x03\x04 not an mcap file")
    with pytest.raises(ValueError, match="not an mcap file"):
        repair_bag(path)
    assert (path / "bag.mcap").read_bytes().startswith(b"PK")
    assert sorted(p.name for p in path.iterdir()) == ["bag.mcap"]


def test_cli_bag_repair(tmp_path, flushed_bag, capsys):
    source, states = flushed_bag
    path = tmp_path / "bag"
    shutil.copytree(source, path)
    final = (path / "bag.mcap").read_bytes()
    (path / "bag.mcap").write_bytes(final[: data_end(states[1][0]) + 50])

    assert molingo(["bag", "repair", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}: 10 messages recovered (mcap" in out
    assert "/joint_states: 10" in out
    assert "bag.mcap.damaged" in out
    assert positions(path) == list(range(10))

    assert molingo(["bag", "repair", str(tmp_path / "missing")]) == 2
    assert "no bag folder" in capsys.readouterr().err


def test_finished_bag_missing_its_last_byte_keeps_every_message(tmp_path, flushed_bag):
    """A bag closed normally whose footer is cut (a copy interrupted, say): every chunk is
    complete, so every message comes back."""
    source, _ = flushed_bag
    path = tmp_path / "bag"
    shutil.copytree(source, path)
    (path / "bag.mcap").write_bytes((path / "bag.mcap").read_bytes()[:-1])
    report = repair_bag(path)
    assert report.rebuilt and report.messages == 20
    assert positions(path) == list(range(20))
