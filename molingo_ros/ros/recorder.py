"""rosbag2 recording of what the node publishes and receives, written with ``rosbags``.

``ros2 bag`` (C++ rosbag2) is not available from PyPI, so the node records itself: every
message it publishes or receives is serialised (CDR, ``rclpy.serialization``) and written to a
rosbag2 folder (mcap by default, or sqlite3) with a version-9 ``metadata.yaml``, readable by
``rosbags`` and, in a ROS install, by ``ros2 bag info`` / ``ros2 bag play``. The project's own
message types (MotionCommand, MotionStatus) are registered from their ``.msg`` files so that
their definitions are embedded in the bag. Thread-safe; :meth:`BagRecorder.close` finishes the
file (it is called on shutdown, SIGINT and SIGTERM included).

Crash safety (SIGKILL, a segfault, the OOM killer): the bag can be read at every moment by
rosbags' standard reader (``AnyReader``), without a repair step, and holds everything written
up to :data:`FLUSH_PERIOD_S` (0.25 s) before the crash. A daemon thread flushes every period
while there is something new (a topic's first message is flushed at once):

* mcap: the pending chunk is closed (one chunk per flush instead of rosbags' 1 MiB) and written
  with its CRC, followed by DataEnd, a complete summary (schemas, channels, chunk indexes,
  statistics) and the footer, in one ``pwrite`` at the end of the data section; the next flush
  writes over that tail. The OS has the data (not ``fsync``-ed: a power cut may lose it).
* sqlite3: the transaction is committed (SQLite's default, synchronous=FULL, syncs).
* then ``metadata.yaml`` is rewritten (temp file + ``os.replace``), outside the recorder's
  lock; it is written when the bag opens, never names a topic that the storage lacks, and its
  counts may lag the storage by one flush.

The recorder's lock is held for the storage part only (mcap ~0.1 ms, ~0.35 ms after an hour
of recording as the summary grows; sqlite3 ~1-4 ms for the commit).
:func:`molingo_ros.ros.bag_repair.repair_bag` (``molingo bag repair``) rebuilds bags that a
crash left unreadable: recorded before this design, or torn by a kill during the flush's
write itself (a window of microseconds per flush).
"""

from __future__ import annotations

import sys
import threading
import weakref
from datetime import datetime
from pathlib import Path

from rclpy.serialization import serialize_message
from rosbags.interfaces import (
    Connection,
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)
from rosbags.rosbag2 import StoragePlugin
from rosbags.typesys import Stores, get_types_from_msg, get_typestore

from molingo_ros.ros.bag_storage import CrashSafeWriter, bag_metadata, write_atomically

STORAGES = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
PACKAGE = "molingo_ros"
FLUSH_PERIOD_S = 0.25  # s between flushes: the most a crash loses, plus the flush itself


def msg_dirs() -> list[Path]:
    """Where the project's .msg files are: the checkout, then installed share folders."""
    here = Path(__file__).resolve().parents[2] / "msg"
    dirs = [here, Path(sys.prefix) / "share" / PACKAGE / "msg"]
    try:
        from ament_index_python.packages import get_package_share_directory

        dirs.append(Path(get_package_share_directory(PACKAGE)) / "msg")
    except Exception:  # noqa: BLE001 - no ament index: the other places are enough
        pass
    return [d for d in dirs if d.is_dir()]


def project_typestore():
    """The Kilted typestore plus this package's messages."""
    store = get_typestore(Stores.ROS2_KILTED)
    dirs = msg_dirs()
    if not dirs:
        raise FileNotFoundError(f"the {PACKAGE} .msg files were not found (checkout msg/ or share)")
    types = {}
    for path in sorted(dirs[0].glob("*.msg")):
        types.update(get_types_from_msg(path.read_text(), f"{PACKAGE}/msg/{path.stem}"))
    store.register(types)
    return store


def msgtype_name(msg: object) -> str:
    """ROS type name of a message instance, e.g. ``trajectory_msgs/msg/JointTrajectory``."""
    module = type(msg).__module__.split(".")  # trajectory_msgs.msg._joint_trajectory
    return f"{module[0]}/msg/{type(msg).__name__}"


def _qos(latched: bool, depth: int) -> Qos:
    zero = QosTime(0, 0)
    return Qos(
        QosHistory.KEEP_LAST,
        depth,
        QosReliability.RELIABLE,
        QosDurability.TRANSIENT_LOCAL if latched else QosDurability.VOLATILE,
        zero,
        zero,
        QosLiveliness.AUTOMATIC,
        zero,
        False,
    )


def default_bag_path(folder: str | Path = "bags") -> Path:
    return Path(folder) / datetime.now().strftime("molingo_%Y%m%d_%H%M%S_%f")


class BagRecorder:
    """Write messages to a new rosbag2 folder that stays readable if the process dies.

    Args:
        path: the bag folder to create (must not exist).
        storage: "mcap" or "sqlite3".
        flush_period_s: seconds between flushes to disk (what a crash may lose).
    """

    def __init__(
        self, path: str | Path, storage: str = "mcap", flush_period_s: float = FLUSH_PERIOD_S
    ) -> None:
        if storage not in STORAGES:
            raise ValueError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
        if not flush_period_s > 0:
            raise ValueError(f"flush_period_s must be > 0, got {flush_period_s}")
        self.path = Path(path)
        if self.path.exists():
            raise FileExistsError(f"bag folder {self.path} exists already; choose a new path")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._store = project_typestore()
        self._writer = CrashSafeWriter(self.path, version=9, storage_plugin=STORAGES[storage])
        self._writer.open()
        write_atomically(self._writer.metapath, bag_metadata(*self._writer.checkpoint()))
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()  # the writer and the fields below
        self._flush_lock = threading.Lock()  # one flush (storage, then metadata.yaml) at a time
        self._dirty = False  # written since the last flush
        self._flush_error: str | None = None
        self.counts: dict[str, int] = {}
        self.closed = False
        self._stop = threading.Event()
        self._flusher = threading.Thread(
            target=_flush_loop,
            args=(weakref.ref(self), self._stop, flush_period_s),
            name="bag-flush",
            daemon=True,
        )
        self._flusher.start()

    def _exact_cdr(self, data: bytes, msgtype: str) -> bytes:
        """``data`` cut to the message's CDR length. rclpy's ``serialize_message`` (Kilted
        wheels, Fast DDS) returns the serialisation buffer with unused bytes at its end; ROS
        readers ignore them, but strict CDR readers (rosbags) refuse the size mismatch."""
        msgdef = self._store.get_msgdef(msgtype)
        func = msgdef.deserialize_cdr_le if data[1] else msgdef.deserialize_cdr_be
        _, pos = func(data[4:], 0, msgdef.cls, self._store)
        return bytes(data[: 4 + pos])

    def write(self, topic: str, msg: object, stamp_ns: int, latched: bool = False) -> None:
        """Record ``msg`` (an rclpy message) on ``topic`` at ``stamp_ns`` (ns, ROS time).

        The message reaches the disk at the next flush (within ``flush_period_s``); the first
        message of a topic at once, so that metadata.yaml can name the topic."""
        msgtype = msgtype_name(msg)
        data = self._exact_cdr(serialize_message(msg), msgtype)
        with self._lock:
            if self.closed:
                return
            conn = self._connections.get(topic)
            new = conn is None
            if conn is None:
                conn = self._writer.add_connection(
                    topic,
                    msgtype,
                    typestore=self._store,
                    offered_qos_profiles=[_qos(latched, 1 if latched else 10)],
                )
                self._connections[topic] = conn
            self._writer.write(conn, int(stamp_ns), data)
            self.counts[topic] = self.counts.get(topic, 0) + 1
            self._dirty = True
        if new:
            self.flush()

    def flush(self) -> bool:
        """Put every message written so far on disk, then rewrite metadata.yaml (the flush
        thread does this every ``flush_period_s``). Returns False if there was nothing new."""
        with self._flush_lock:
            with self._lock:
                if self.closed or not self._dirty:
                    return False
                snapshot = self._writer.checkpoint()
                self._dirty = False
            write_atomically(self._writer.metapath, bag_metadata(*snapshot))
            return True

    def _flush_logged(self) -> None:
        """:meth:`flush`, printing (once) rather than raising errors: the next write raises."""
        try:
            self.flush()
        except Exception as exc:  # noqa: BLE001 - a thread cannot raise to anybody
            if self._flush_error != str(exc):
                self._flush_error = str(exc)
                print(f"[BagRecorder] flushing {self.path} failed: {exc}", file=sys.stderr)

    @property
    def flushing(self) -> bool:
        """True while the background flush thread runs (until :meth:`close`)."""
        return self._flusher.is_alive()

    def close(self) -> None:
        """Finish the bag (metadata.yaml, indexes). Safe to call twice."""
        self._stop.set()
        if self._flusher is not threading.current_thread():
            self._flusher.join()
        with self._flush_lock, self._lock:
            if not self.closed:
                self.closed = True
                self._writer.close()


def _flush_loop(ref: weakref.ref[BagRecorder], stop: threading.Event, period_s: float) -> None:
    """The flush thread: every ``period_s`` (s) until ``stop`` or the recorder is gone."""
    while not stop.wait(period_s):
        recorder = ref()
        if recorder is None:
            return
        recorder._flush_logged()
        del recorder


__all__ = [
    "FLUSH_PERIOD_S",
    "STORAGES",
    "BagRecorder",
    "default_bag_path",
    "msgtype_name",
    "project_typestore",
]
