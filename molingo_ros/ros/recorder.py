"""rosbag2 recording of what the node publishes and receives, written with ``rosbags``.

``ros2 bag`` (C++ rosbag2) is not available from PyPI, so the node records itself: every
message it publishes or receives is serialised (CDR, ``rclpy.serialization``) and written to a
rosbag2 folder (mcap by default, or sqlite3) with a version-9 ``metadata.yaml``, readable by
``rosbags`` and, in a ROS install, by ``ros2 bag info`` / ``ros2 bag play``. The project's own
message types (MotionCommand, MotionStatus) are registered from their ``.msg`` files so that
their definitions are embedded in the bag. Thread-safe; :meth:`BagRecorder.close` finishes the
file (it is called on shutdown, SIGINT and SIGTERM included).
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from pathlib import Path

from rclpy.serialization import serialize_message
from rosbags.interfaces import (
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_types_from_msg, get_typestore

STORAGES = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
PACKAGE = "molingo_ros"


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
    """Write messages to a new rosbag2 folder.

    Args:
        path: the bag folder to create (must not exist).
        storage: "mcap" or "sqlite3".
    """

    def __init__(self, path: str | Path, storage: str = "mcap") -> None:
        if storage not in STORAGES:
            raise ValueError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
        self.path = Path(path)
        if self.path.exists():
            raise FileExistsError(f"bag folder {self.path} exists already; choose a new path")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._store = project_typestore()
        self._writer = Writer(self.path, version=9, storage_plugin=STORAGES[storage])
        self._writer.open()
        self._connections: dict[str, object] = {}
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.closed = False

    def _exact_cdr(self, data: bytes, msgtype: str) -> bytes:
        """``data`` cut to the message's CDR length. rclpy's ``serialize_message`` (Kilted
        wheels, Fast DDS) returns the serialisation buffer with unused bytes at its end; ROS
        readers ignore them, but strict CDR readers (rosbags) refuse the size mismatch."""
        msgdef = self._store.get_msgdef(msgtype)
        func = msgdef.deserialize_cdr_le if data[1] else msgdef.deserialize_cdr_be
        _, pos = func(data[4:], 0, msgdef.cls, self._store)
        return bytes(data[: 4 + pos])

    def write(self, topic: str, msg: object, stamp_ns: int, latched: bool = False) -> None:
        """Record ``msg`` (an rclpy message) on ``topic`` at ``stamp_ns`` (ns, ROS time)."""
        msgtype = msgtype_name(msg)
        data = self._exact_cdr(serialize_message(msg), msgtype)
        with self._lock:
            if self.closed:
                return
            conn = self._connections.get(topic)
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

    def close(self) -> None:
        """Finish the bag (metadata.yaml, indexes). Safe to call twice."""
        with self._lock:
            if not self.closed:
                self.closed = True
                self._writer.close()


__all__ = ["STORAGES", "BagRecorder", "default_bag_path", "msgtype_name", "project_typestore"]
