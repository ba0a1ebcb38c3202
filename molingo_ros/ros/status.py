"""The node's ``~/status`` topic (molingo_ros/MotionStatus, transient local): what the current
command is doing, and every command that was not carried out (an error, a stop, a refusal),
counted for the diagnostics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from molingo_ros.msg import MotionStatus
from molingo_ros.ros import messages as M


class StatusReporter:
    """Builds and publishes status messages.

    Args:
        publisher: the status publisher (transient local).
        publish: ``publish(publisher, message, latched)``, the node's publish-and-record.
        now_s: the node's ROS clock (s).
        logger: the node's logger (errors are logged as warnings).
    """

    def __init__(
        self, publisher, publish: Callable[..., None], now_s: Callable[[], float], logger
    ) -> None:
        self.publisher, self._publish, self._now_s, self._logger = publisher, publish, now_s, logger
        self._lock = threading.Lock()
        self.last: tuple[str, str, str] = ("", "", "")  # (state, command id, message)
        self.last_time = 0.0  # monotonic (s)
        self.errors_total = 0
        self.last_error = ""

    def progress(self, state: str, progress=None, error: str = "") -> None:
        """A status of ``state`` about a command's progress record (None: no command)."""
        msg = MotionStatus()
        msg.state, msg.error = state, error
        if progress is not None:
            msg.command_id = progress.command.id
            msg.text = progress.command.text
            msg.frames_published = int(progress.frames_streamed)
            msg.realtime_factor = float(progress.realtime_factor)
        self._send(msg)

    def message(self, state: str, command_id: str, text: str, message: str) -> None:
        """A status about a command with no progress record (an error, a stop, a refusal)."""
        msg = MotionStatus()
        msg.state, msg.error, msg.command_id, msg.text = state, message, command_id, text[:200]
        self._send(msg)

    def error(
        self, error: str, command_id: str = "", text: str = "", state: str = "error"
    ) -> None:
        """Count, log and publish a command or request that was not carried out (``state``
        error, or refused: understood as nothing the model knows)."""
        self.errors_total += 1
        self.last_error = error
        self._logger.warning(error)
        self.message(state, command_id, text, error)

    def _send(self, msg: MotionStatus) -> None:
        msg.header.stamp = M.to_time(self._now_s())
        with self._lock:
            self.last = (msg.state, msg.command_id, msg.error)
            self.last_time = time.monotonic()
            self._publish(self.publisher, msg, True)


__all__ = ["StatusReporter"]
