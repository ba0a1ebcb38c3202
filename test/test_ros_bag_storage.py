"""The crash-safe rosbag2 storages (molingo_ros.ros.bag_storage), used directly: after each
checkpoint the bag folder on disk (what a SIGKILL leaves) is a complete bag that rosbags'
AnyReader reads, holding exactly what was checkpointed; the metadata.yaml written meanwhile is
the one rosbags writes at close."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from mcap.reader import make_reader
from rosbags.highlevel import AnyReader, AnyReaderError
from rosbags.rosbag2 import StoragePlugin
from rosbags.typesys import Stores, get_typestore

from molingo_ros.ros.bag_repair import repair_bag
from molingo_ros.ros.bag_storage import (
    MCAP_MAGIC,
    NO_MESSAGES_NS,
    CrashSafeWriter,
    bag_metadata,
    write_atomically,
)

pytestmark = pytest.mark.ros

STORE = get_typestore(Stores.ROS2_KILTED)
STRING = "std_msgs/msg/String"
T0_NS = 1_700_000_000_000_000_000
STORAGES = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}


def _cdr(text: str) -> bytes:
    return bytes(STORE.serialize_cdr(STORE.types[STRING](data=text), STRING))


class Bag:
    """A CrashSafeWriter on ``path`` with one String topic, checkpointed like the recorder."""

    def __init__(self, path: Path, storage: str) -> None:
        self.path = path
        self.writer = CrashSafeWriter(path, version=9, storage_plugin=STORAGES[storage])
        self.writer.open()
        self.conn = self.writer.add_connection("/chatter", STRING, typestore=STORE)
        self.sent = 0

    def write(self, n: int) -> None:
        for _ in range(n):
            self.writer.write(self.conn, T0_NS + self.sent * 10_000_000, _cdr(f"m{self.sent}"))
            self.sent += 1

    def checkpoint(self) -> str:
        """What the recorder's flush does: the storage, then metadata.yaml; returns it."""
        text = bag_metadata(*self.writer.checkpoint())
        write_atomically(self.writer.metapath, text)
        return text


def _killed_copy(path: Path, name: str) -> Path:
    """The bag folder as a SIGKILL would leave it now (the writer is not closed)."""
    copy = path.with_name(name)
    shutil.copytree(path, copy)
    return copy


def _texts(path: Path) -> list[str]:
    with AnyReader([path]) as reader:
        return [reader.deserialize(raw, c.msgtype).data for c, _, raw in reader.messages()]


@pytest.mark.parametrize("storage", list(STORAGES))
def test_each_checkpoint_leaves_a_complete_bag_on_disk(tmp_path, storage):
    bag = Bag(tmp_path / "bag", storage)
    bag.write(5)
    bag.checkpoint()
    first = _killed_copy(bag.path, "killed_1")
    bag.write(3)
    bag.checkpoint()
    second = _killed_copy(bag.path, "killed_2")
    bag.write(2)  # not checkpointed: a kill now loses these two
    third = _killed_copy(bag.path, "killed_3")
    assert _texts(first) == [f"m{i}" for i in range(5)]
    assert _texts(second) == _texts(third) == [f"m{i}" for i in range(8)]
    with AnyReader([second]) as reader:
        assert reader.message_count == 8 and reader.start_time == T0_NS
        assert reader.end_time == T0_NS + 7 * 10_000_000 + 1  # rosbags: last + 1 ns
    bag.writer.close()
    assert _texts(bag.path) == [f"m{i}" for i in range(10)]


@pytest.mark.parametrize("storage", list(STORAGES))
def test_metadata_while_writing_is_what_close_writes(tmp_path, storage):
    bag = Bag(tmp_path / "bag", storage)
    bag.write(4)
    during = yaml.safe_load(bag.checkpoint())
    assert yaml.safe_load((bag.path / "metadata.yaml").read_text()) == during
    bag.writer.close()
    assert yaml.safe_load((bag.path / "metadata.yaml").read_text()) == during
    info = during["rosbag2_bagfile_information"]
    assert (info["version"], info["storage_identifier"], info["message_count"]) == (9, storage, 4)


def test_the_mcap_file_ends_with_a_valid_summary_after_each_checkpoint(tmp_path):
    bag = Bag(tmp_path / "bag", "mcap")
    file = bag.path / "bag.mcap"
    assert file.read_bytes().startswith(MCAP_MAGIC) and file.read_bytes().endswith(MCAP_MAGIC)
    assert bag.writer.checkpoint()[2] == [(bag.conn, 0)]  # nothing pending: no new chunk
    for n in (3, 4):
        bag.write(n)
        bag.checkpoint()
        data = file.read_bytes()
        assert data.endswith(MCAP_MAGIC) and bag.writer.storage.end < len(data)  # data, tail
        with open(file, "rb") as f:  # an independent reader, CRCs checked
            stats = make_reader(f, validate_crcs=True).get_summary().statistics
        assert stats.message_count == bag.sent
    bag.writer.close()
    with open(file, "rb") as f:
        assert make_reader(f, validate_crcs=True).get_summary().statistics.message_count == 7


def test_a_kill_during_the_flush_write_tears_only_the_tail(tmp_path):
    """Killed inside a flush's own write (its tail cut short): the chunks before it are whole
    on disk, so the bag is refused as it is and repaired without losing a checkpoint."""
    bag = Bag(tmp_path / "bag", "mcap")
    bag.write(5)
    bag.checkpoint()
    bag.write(3)
    bag.checkpoint()
    torn = _killed_copy(bag.path, "torn")
    file = torn / "bag.mcap"
    file.write_bytes(file.read_bytes()[: bag.writer.storage.end + 20])
    bag.writer.close()
    with pytest.raises(AnyReaderError):
        _texts(torn)
    report = repair_bag(torn)
    assert report.rebuilt and report.topics == {"/chatter": 8} and report.discarded_bytes == 20
    assert _texts(torn) == [f"m{i}" for i in range(8)]


def test_metadata_of_an_empty_bag():
    empty = yaml.safe_load(bag_metadata("mcap", "bag.mcap", [], NO_MESSAGES_NS, 0))
    info = empty["rosbag2_bagfile_information"]
    assert info["message_count"] == 0 and info["topics_with_message_count"] == []
    assert info["starting_time"] == {"nanoseconds_since_epoch": NO_MESSAGES_NS}
    assert info["duration"] == {"nanoseconds": 0}
    assert info["relative_file_paths"] == ["bag.mcap"]
    assert info["files"] == [
        {
            "path": "bag.mcap",
            "starting_time": {"nanoseconds_since_epoch": NO_MESSAGES_NS},
            "duration": {"nanoseconds": 0},
            "message_count": 0,
        }
    ]


def test_write_atomically_replaces_the_file(tmp_path):
    path = tmp_path / "metadata.yaml"
    write_atomically(path, "first: 1\n")
    write_atomically(path, "second: ü\n")
    assert path.read_text("utf8") == "second: ü\n"
    assert [p.name for p in tmp_path.iterdir()] == ["metadata.yaml"]  # no temporary left
