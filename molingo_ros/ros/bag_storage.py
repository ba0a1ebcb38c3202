"""Crash-safe rosbag2 storages for :class:`~molingo_ros.ros.recorder.BagRecorder`: rosbags'
mcap and sqlite3 writers, extended so that the file on disk is a complete, readable bag after
every flush, and the version-9 ``metadata.yaml`` that goes with it (see the recorder's module
docstring for the design). Relies on rosbags' writer internals (pinned in constraints.txt).
"""

from __future__ import annotations

import os
import sqlite3
import struct
from binascii import crc32
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import Any, cast

import yaml
from rosbags.interfaces import Connection, ConnectionExtRosbag2
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.rosbag2.enums import CompressionMode
from rosbags.rosbag2.metadata import dump_qos_v9
from rosbags.rosbag2.storage_mcap import McapWriter, write_channel, write_schema
from rosbags.rosbag2.storage_sqlite3 import Sqlite3Writer

MCAP_MAGIC = b"\x89MCAP0\r\n"
NO_MESSAGES_NS = 2**63 - 1  # rosbags' start time of a bag without messages


def bag_metadata(
    storage: str,
    file_name: str,
    topics: Sequence[tuple[Connection, int]],
    start_ns: int,
    end_ns: int,
) -> str:
    """``metadata.yaml`` (rosbag2 version 9, uncompressed) of a one-file bag, as rosbags'
    ``Writer.close`` writes it.

    Args:
        storage: "mcap" or "sqlite3".
        file_name: the storage file's name inside the bag folder.
        topics: (connection, message count) per topic, in connection id order.
        start_ns: the earliest message time (ns), ``NO_MESSAGES_NS`` without messages.
        end_ns: the latest message time (ns), 0 without messages.
    """
    count = sum(n for _, n in topics)

    def span() -> dict[str, dict[str, int]]:  # a new dict each time: no YAML anchors
        return {
            "starting_time": {"nanoseconds_since_epoch": start_ns},
            "duration": {"nanoseconds": max(0, end_ns - start_ns)},
        }

    topic_list = []
    for conn, n in topics:
        ext = cast(ConnectionExtRosbag2, conn.ext)
        meta = {
            "name": conn.topic,
            "type": conn.msgtype,
            "serialization_format": ext.serialization_format,
            "offered_qos_profiles": dump_qos_v9(ext.offered_qos_profiles),
            "type_description_hash": conn.digest,
        }
        topic_list.append({"topic_metadata": meta, "message_count": n})
    info = {
        "version": 9,
        "storage_identifier": storage,
        "relative_file_paths": [file_name],
        **span(),
        "message_count": count,
        "topics_with_message_count": topic_list,
        "compression_format": "",
        "compression_mode": "",
        "files": [{"path": file_name, **span(), "message_count": count}],
        "custom_data": None,
        "ros_distro": "rosbags",
    }
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump({"rosbag2_bagfile_information": info}, Dumper=dumper, default_flow_style=False)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) so that a reader sees the old or the new file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf8")
    os.replace(tmp, path)


def _record(opcode: int, body: bytes) -> bytes:
    """One mcap record: opcode, length, body."""
    return struct.pack("<BQ", opcode, len(body)) + body


def _pwrite_all(fd: int, parts: Sequence[bytes | bytearray], offset: int) -> None:
    """Write ``parts`` one after the other from byte ``offset`` of ``fd``: one syscall, without
    joining them in memory, unless the OS writes less than asked."""
    done = os.pwritev(fd, parts, offset)
    if done == sum(len(part) for part in parts):
        return
    rest = b"".join(parts)[done:]
    while rest:
        n = os.pwrite(fd, rest, offset + done)
        rest, done = rest[n:], done + n


class _Staged(BytesIO):
    """Bytes on their way to the file at ``base`` (bytes): ``tell()`` answers file offsets, and
    ``close()`` keeps the bytes, so rosbags' mcap code can write here instead of to the file."""

    def __init__(self, base: int) -> None:
        super().__init__()
        self.base = base

    def tell(self) -> int:
        return self.base + super().tell()

    def close(self) -> None:
        pass


class CrashSafeMcapWriter(McapWriter):
    """rosbags' mcap storage, kept readable at every flush (see the module docstring).

    ``end`` is where the data section ends on disk (bytes); everything after it is the current
    tail (DataEnd, summary, footer), rewritten by the next flush."""

    def __init__(self, path: Path, compression: CompressionMode) -> None:
        super().__init__(path, compression)
        self.bio.flush()  # the header; all later bytes go through _put / close
        self.fd = self.bio.fileno()
        self.end = self.bio.tell()
        self.index = bytearray()  # the chunk index records (0x08) of the chunks on disk
        self._put(b"")

    def checkpoint(self) -> bool:
        """Put the pending messages on disk (as one chunk) with a new summary; False if none."""
        if not self.chunk.msgs:
            return False
        self.close_chunk()
        return True

    def close_chunk(self) -> None:
        """Close the pending chunk (with its CRC); outside :meth:`close`, write it to disk."""
        with self.chunk.bio.getbuffer() as records:
            crc = crc32(records)
        outer = self.bio
        staged = outer if isinstance(outer, _Staged) else _Staged(self.end)
        at = staged.tell() - staged.base  # the chunk record's start in ``staged``
        self.bio = staged
        try:
            super().close_chunk()
        finally:
            self.bio = outer
        with staged.getbuffer() as view:  # the chunk's CRC field (rosbags writes 0)
            view[at + 33 : at + 37] = crc.to_bytes(4, "little")
        self.index += _record(0x08, self.chunks[-1].getvalue())  # for the next summaries
        if staged is not outer:
            self._put(staged.getvalue())

    def _put(self, data: bytes) -> None:
        """Write ``data`` at the end of the data section, then a new tail, in one write."""
        _pwrite_all(self.fd, [data, *self._tail(self.end + len(data))], self.end)
        self.end += len(data)

    def _tail(self, data_end: int) -> list[bytes | bytearray]:
        """DataEnd record, summary (schemas, channels, chunk indexes, statistics) and footer of
        a file whose data section ends at ``data_end`` (bytes), in parts."""
        head = BytesIO()
        head.write(_record(0x0F, bytes(4)))  # DataEnd
        for schema in self.schemas:
            write_schema(head, schema)
        for channel in self.channels:
            write_channel(head, channel, self.schemas)
        stats = self.channel_stats
        sizes = (sum(stats.values()), len(self.schemas), len(self.channels), 0, 0, len(self.chunks))
        times = (self.message_start_time, self.message_end_time)
        counts = b"".join(struct.pack("<HQ", cid, n) for cid, n in sorted(stats.items()))
        statistics = _record(0x0B, struct.pack("<QHIIIIQQI", *sizes, *times, len(counts)) + counts)
        footer = _record(0x02, struct.pack("<QQI", data_end + 13, 0, 0))  # summary after DataEnd
        return [head.getvalue(), self.index, statistics + footer + MCAP_MAGIC]

    def close(self, version: int, metadata: str) -> None:
        """rosbags' final chunk, metadata record, summary and footer, in one write."""
        real, self.bio = self.bio, _Staged(self.end)
        try:
            super().close(version, metadata)
            blob = cast(_Staged, self.bio).getvalue()
        finally:
            self.bio = real
        _pwrite_all(self.fd, [blob], self.end)
        os.ftruncate(self.fd, self.end + len(blob))
        real.close()


class CrashSafeSqlite3Writer(Sqlite3Writer):
    """rosbags' sqlite3 storage, committed at every flush (by the flush thread: the connection
    is shared between threads, the recorder's lock serialises its use)."""

    def __init__(self, path: Path, compression: CompressionMode) -> None:
        del compression  # the recorder writes uncompressed bags
        self.path = path / f"{path.name}.db3"
        self.conn = sqlite3.connect(f"file:{self.path}", uri=True, check_same_thread=False)
        self.conn.executescript(self.SQLITE_SCHEMA)
        self.cursor = self.conn.cursor()

    def checkpoint(self) -> bool:
        """Commit the open transaction; False if there is none."""
        if not self.conn.in_transaction:
            return False
        self.conn.commit()
        return True


class CrashSafeWriter(Writer):
    """rosbags' rosbag2 ``Writer`` with the crash-safe storages and a metadata.yaml on demand."""

    STORAGE_PLUGINS = cast(
        Any,
        {StoragePlugin.SQLITE3: CrashSafeSqlite3Writer, StoragePlugin.MCAP: CrashSafeMcapWriter},
    )

    def checkpoint(self) -> tuple[str, str, list[tuple[Connection, int]], int, int]:
        """Put everything written so far on disk; returns :func:`bag_metadata`'s arguments for
        what is on disk now (metadata.yaml is written by the caller, outside its lock)."""
        storage = cast(CrashSafeMcapWriter | CrashSafeSqlite3Writer, self.storage)
        storage.checkpoint()
        topics = [(conn, self.counts[conn.id]) for conn in self.connections]
        name = self.storage_plugin.name.lower()
        return name, storage.path.name, topics, self.min_timestamp, self.max_timestamp


__all__ = [
    "MCAP_MAGIC",
    "NO_MESSAGES_NS",
    "CrashSafeMcapWriter",
    "CrashSafeSqlite3Writer",
    "CrashSafeWriter",
    "bag_metadata",
    "write_atomically",
]
