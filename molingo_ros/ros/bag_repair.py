"""Rebuild what rosbags' reader needs in a bag folder that a crash left unreadable
(``molingo bag repair BAG``).

Bags recorded by :class:`~molingo_ros.ros.recorder.BagRecorder` open directly after a SIGKILL
(their metadata.yaml counts may lag the storage by one flush). Repair is for the rest:

* bags recorded before crash-safe recording: no metadata.yaml; an mcap file without summary
  and footer (the chunk that was still in memory, up to 1 MiB, is lost); a sqlite3 database
  whose only transaction was never committed (its messages are lost);
* a kill in the middle of a flush: a torn mcap tail, a hot sqlite3 journal;
* metadata.yaml counts that lag the storage.

mcap: a file that rosbags reads from end to end is kept. Otherwise it is scanned record by
record from the start; every complete chunk (CRC checked where it has one) and every message
outside chunks is kept, up to the first damaged record, and written to a new mcap file with
rosbags' writer; the damaged file stays beside it as ``<name>.damaged``. sqlite3: opening the
database with SQLite rolls an interrupted transaction back (hot journal). Then metadata.yaml
(version 9) is rewritten from the storage: topics, QoS, type hashes, counts and times.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

import yaml
from rosbags.interfaces import (
    Connection,
    ConnectionExtRosbag2,
    MessageDefinitionFormat,
)
from rosbags.rosbag2.enums import CompressionMode
from rosbags.rosbag2.errors import ReaderError
from rosbags.rosbag2.storage_mcap import (
    McapReader,
    McapWriter,
    Schema,
    decompress,
    get_msgdef,
    get_qos,
    read_bytes,
    read_string,
)
from rosbags.rosbag2.storage_sqlite3 import Sqlite3Reader
from rosbags.typesys import Stores, get_types_from_msg, get_typestore

from molingo_ros.ros.bag_storage import MCAP_MAGIC, NO_MESSAGES_NS, bag_metadata, write_atomically

STORAGE_SUFFIXES = {".mcap": "mcap", ".db3": "sqlite3"}
DATA_END_OPS = {0x02, 0x08, 0x0A, 0x0B, 0x0D, 0x0E, 0x0F}  # the data section has ended


@dataclass
class RepairReport:
    """What :func:`repair_bag` found and did.

    Attributes:
        path: the bag folder.
        storage: "mcap" or "sqlite3".
        file: the storage file.
        rebuilt: the storage file was rewritten (mcap) or a transaction rolled back (sqlite3).
        topics: messages per topic in the repaired bag.
        start_ns: time of the earliest message (ns), None without messages.
        end_ns: time of the latest message (ns), None without messages.
        discarded_bytes: bytes of the damaged mcap file after its last usable record (a
            torn or unfinished chunk, an old summary).
        backup: where the damaged mcap file was kept, if it was rebuilt.
    """

    path: Path
    storage: str
    file: Path
    rebuilt: bool = False
    topics: dict[str, int] = field(default_factory=dict)
    start_ns: int | None = None
    end_ns: int | None = None
    discarded_bytes: int = 0
    backup: Path | None = None

    @property
    def messages(self) -> int:
        """Messages in the repaired bag."""
        return sum(self.topics.values())

    def summary(self) -> str:
        """A few lines for people."""
        span = (
            f", {(self.end_ns - self.start_ns) * 1e-9:.3f} s"
            if self.start_ns is not None and self.end_ns is not None
            else ""
        )
        lines = [f"{self.path}: {self.messages} messages recovered ({self.storage}{span})"]
        lines += [f"  {topic}: {n}" for topic, n in sorted(self.topics.items())]
        if self.backup is not None:
            lines.append(
                f"  storage rebuilt: {self.discarded_bytes} bytes after the last usable record "
                f"dropped; the damaged file is kept as {self.backup.name}"
            )
        elif self.rebuilt:
            lines.append("  an interrupted sqlite3 transaction was rolled back")
        else:
            lines.append("  storage intact; metadata.yaml rewritten")
        return "\n".join(lines)


def find_storage(path: str | Path) -> tuple[Path, Path]:
    """(bag folder, its storage file) for a bag folder or the storage file inside one."""
    path = Path(path)
    bag = path.parent if path.is_file() else path
    if not bag.is_dir():
        raise FileNotFoundError(f"no bag folder at {path}")
    files = sorted(p for p in bag.iterdir() if p.suffix in STORAGE_SUFFIXES and p.is_file())
    if path.is_file():
        files = [path] if path.suffix in STORAGE_SUFFIXES else []
    if len(files) != 1:
        found = ", ".join(p.name for p in files) or "none"
        raise ValueError(f"{bag}: expected one .mcap or .db3 file, found {found}")
    return bag, files[0]


def repair_bag(path: str | Path) -> RepairReport:
    """Make the bag at ``path`` (folder, or its storage file) readable by rosbags' reader and
    rewrite its metadata.yaml; see the module docstring. Returns what was recovered."""
    bag, file = find_storage(path)
    report = RepairReport(bag, STORAGE_SUFFIXES[file.suffix], file)
    if report.storage == "mcap":
        if not _mcap_reads(file):
            _rebuild_mcap(file, report)
    else:
        report.rebuilt = _recover_sqlite(file)
    _rewrite_metadata(report)
    return report


# -- mcap ----------------------------------------------------------------------------------------


def _mcap_reads(file: Path) -> bool:
    """Whether rosbags' mcap reader opens ``file`` and reads every message."""
    reader = McapReader(file)
    try:
        reader.open()
    except Exception:  # noqa: BLE001 - any failure means: rebuild
        return False
    try:
        for _ in reader.messages(reader.connections):
            pass
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        reader.close()


def _records(data: memoryview, pos: int, end: int) -> Iterator[tuple[int, memoryview, int]]:
    """(opcode, body, end of record) of the complete records in ``data[pos:end]``."""
    while pos + 9 <= end:
        op = data[pos]
        size = int.from_bytes(data[pos + 1 : pos + 9], "little")
        if pos + 9 + size > end:
            return
        yield op, data[pos + 9 : pos + 9 + size], pos + 9 + size
        pos += 9 + size


def _chunk_records(body: memoryview) -> list[tuple[int, bytes]]:
    """The records of a chunk record's body; ValueError if it is damaged."""
    bio = BytesIO(body)
    _, _, size, crc = struct.unpack("<QQQI", bio.read(28))
    compression = read_string(bio)
    (compressed_size,) = struct.unpack("<Q", bio.read(8))
    compressed = bio.read(compressed_size)
    if len(compressed) != compressed_size:
        raise ValueError("chunk data ends early")
    raw = memoryview(decompress(compressed, compression, size, crc))
    records = [(op, bytes(rec), end) for op, rec, end in _records(raw, 0, len(raw))]
    if (records[-1][2] if records else 0) != len(raw):
        raise ValueError("chunk ends inside a record")
    return [(op, rec) for op, rec, _ in records]


def _scan_mcap(bio: BinaryIO, size: int) -> Iterator[tuple[int, bytes, int]]:
    """(opcode, body, end offset) of the records of an mcap file of ``size`` bytes, with the
    records of each chunk in place of the chunk, up to the end of the data section or the first
    damaged or incomplete record. One chunk at a time is in memory."""
    head = bio.read(9)
    if head != MCAP_MAGIC + b"\x01":
        if len(head) < 9 and (MCAP_MAGIC + b"\x01").startswith(head):
            return  # killed before the header reached the disk: nothing to recover
        raise ValueError(f"{bio.name} is not an mcap file (bad magic or header)")
    pos = 8
    while pos + 9 <= size:
        bio.seek(pos)
        op, length = struct.unpack("<BQ", bio.read(9))
        end = pos + 9 + length
        if op in DATA_END_OPS or end > size:
            return
        body = bio.read(length)
        if op == 0x06:
            try:
                records = _chunk_records(memoryview(body))
            except Exception:  # noqa: BLE001 - a torn or corrupt chunk ends the usable part
                return
            for inner_op, inner in records:
                yield inner_op, inner, end
        else:
            yield op, body, end
        pos = end


def _schema(body: bytes) -> Schema:
    bio = BytesIO(body)
    sid = int.from_bytes(bio.read(2), "little")
    return Schema(sid, read_string(bio), read_string(bio), read_string(bio))


def _channel(body: bytes, schemas: dict[int, Schema]) -> tuple[Connection, str] | None:
    """The connection of a channel record and its QoS text; None if its schema is unknown."""
    bio = BytesIO(body)
    cid, sid = struct.unpack("<HH", bio.read(4))
    topic, encoding, meta = read_string(bio), read_string(bio), read_bytes(bio)
    if (schema := schemas.get(sid)) is None:
        return None
    ext = ConnectionExtRosbag2(encoding, get_qos(meta))
    conn = Connection(cid, topic, schema.name, get_msgdef(schema), "", 0, ext, None)
    return conn, _qos_text(meta)


def _qos_text(metadata: bytes) -> str:
    """The ``offered_qos_profiles`` entry of a channel's metadata map, "" if none."""
    bio = BytesIO(metadata)
    while bio.tell() < len(metadata):
        key, value = read_string(bio), read_string(bio)
        if key == "offered_qos_profiles":
            return value
    return ""


class _McapRebuild:
    """Hands recovered schema, channel and message records to rosbags' mcap writer (a new file
    in ``folder``), counting the messages per connection."""

    def __init__(self, folder: Path) -> None:
        self.writer = McapWriter(folder, CompressionMode.NONE)
        self.schemas: dict[int, Schema] = {}
        self.connections: dict[int, Connection] = {}
        self.counts: dict[int, int] = {}
        self.start_ns, self.end_ns = NO_MESSAGES_NS, 0

    def add(self, op: int, body: bytes) -> None:
        """One record (others than schemas, channels and messages are left out)."""
        if op == 0x03:
            schema = _schema(body)
            self.schemas[schema.id] = schema
        elif op == 0x04 and (found := _channel(body, self.schemas)) is not None:
            conn, qos = found
            if conn.id not in self.connections:
                if conn.msgtype not in {s.name for s in self.writer.schemas}:
                    self.writer.add_msgtype(conn)
                self.writer.add_connection(conn, qos)
                self.connections[conn.id] = conn
                self.counts[conn.id] = 0
        elif op == 0x05 and len(body) >= 22:
            cid, _, t_ns = struct.unpack_from("<HIQ", body)
            if (conn := self.connections.get(cid)) is not None:
                self.writer.write(conn, t_ns, body[22:])
                self.counts[cid] += 1
                self.start_ns, self.end_ns = min(self.start_ns, t_ns), max(self.end_ns, t_ns)

    def close(self, file_name: str) -> None:
        """Finish the file; its embedded rosbag2 metadata is that of the recovered messages."""
        topics = [
            (c._replace(digest=_rihs01(c)), self.counts[c.id]) for c in self.connections.values()
        ]
        text = bag_metadata("mcap", file_name, topics, self.start_ns, self.end_ns)
        info = yaml.safe_load(text)["rosbag2_bagfile_information"]
        self.writer.close(9, yaml.safe_dump(info, default_flow_style=False).strip())


def _rebuild_mcap(file: Path, report: RepairReport) -> None:
    """Write what :func:`_scan_mcap` recovers to a new file in place of ``file``."""
    tmpdir = Path(tempfile.mkdtemp(prefix=".repair", dir=file.parent))
    rebuild = _McapRebuild(tmpdir)
    good = 8  # end of the last usable record (bytes)
    try:
        with file.open("rb") as bio:
            for op, body, end in _scan_mcap(bio, file.stat().st_size):
                good = end
                try:
                    rebuild.add(op, body)
                except (ValueError, UnicodeDecodeError, struct.error, ReaderError):
                    continue  # a record that does not parse is left out
        rebuild.close(file.name)
    except BaseException:
        rebuild.writer.abort()
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    report.backup = _free_name(file.with_name(file.name + ".damaged"))
    os.replace(file, report.backup)
    os.replace(rebuild.writer.path, file)
    tmpdir.rmdir()
    report.rebuilt = True
    report.discarded_bytes = report.backup.stat().st_size - good


def _free_name(path: Path) -> Path:
    """``path``, or ``path.1``, ``path.2``, … the first that does not exist."""
    candidate, n = path, 0
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{n}")
    return candidate


# -- sqlite3 and metadata ------------------------------------------------------------------------


def _recover_sqlite(file: Path) -> bool:
    """Let SQLite roll back a transaction that a crash interrupted; True if there was one."""
    journal = file.with_name(file.name + "-journal")
    hot = journal.exists() and journal.stat().st_size > 0
    try:
        conn = sqlite3.connect(file)
        try:
            conn.execute("SELECT count(*) FROM messages").fetchone()  # rolls a hot journal back
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise RuntimeError(f"{file}: SQLite cannot recover the database: {exc}") from exc
    return hot


def _rihs01(conn: Connection) -> str:
    """RIHS01 type hash from the definition stored in the bag ("" if it cannot be parsed)."""
    if conn.digest or conn.msgdef.format != MessageDefinitionFormat.MSG:
        return conn.digest
    try:
        store = get_typestore(Stores.EMPTY)
        store.register(get_types_from_msg(conn.msgdef.data, conn.msgtype))
        return store.hash_rihs01(conn.msgtype)
    except Exception:  # noqa: BLE001 - readers accept a bag without hashes
        return ""


def _rewrite_metadata(report: RepairReport) -> None:
    """metadata.yaml from what rosbags' storage reader finds in the storage file."""
    reader = (McapReader if report.storage == "mcap" else Sqlite3Reader)(report.file)
    try:
        reader.open()
    except Exception as exc:
        raise RuntimeError(f"{report.file}: still unreadable after repair: {exc}") from exc
    try:
        topics = [
            (conn._replace(digest=_rihs01(conn)), conn.msgcount) for conn in reader.connections
        ]
        meta = reader.metadata
    finally:
        reader.close()
    has_messages = meta.message_count > 0
    start = meta.start_time if has_messages else NO_MESSAGES_NS
    end = meta.end_time - 1 if has_messages else 0
    text = bag_metadata(report.storage, report.file.name, topics, start, end)
    write_atomically(report.path / "metadata.yaml", text)
    report.topics = {}
    for conn, n in topics:
        report.topics[conn.topic] = report.topics.get(conn.topic, 0) + n
    report.start_ns, report.end_ns = (start, end) if has_messages else (None, None)


__all__ = ["RepairReport", "find_storage", "repair_bag"]
