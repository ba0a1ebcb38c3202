"""Operator commands: checking them, and the bounded queue they wait in. No ROS imports.

A command is what the operator typed ("walk forward and wave") with a duration, a mode
(replace what is playing, or queue behind it), a seed and an id. Whatever arrives (over ROS,
from a CLI, from a script) goes through :func:`check_command`, which either returns a clean
:class:`Command` or raises :class:`CommandError` with a message that says what was wrong and
what is allowed. :class:`CommandQueue` keeps at most ``max_queue`` commands and drops commands
older than ``max_age_s`` when they would start, so a backlog built up during lag is never
replayed.
"""

from __future__ import annotations

import math
import unicodedata
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from molingo_ros.settings import setting

MODES = ("replace", "queue")


class CommandSegment(NamedTuple):
    """One part of a compound command.

    Attributes:
        text: the sentence the generator is given.
        seconds: its length (s).
        max_root_speed_m_s: cap on the root's planar speed while it plays (m/s), None = none.
    """

    text: str
    seconds: float
    max_root_speed_m_s: float | None = None


class CommandError(ValueError):
    """A command that cannot be executed; the message is meant for the operator."""


@dataclass(frozen=True)
class CommandLimits:
    """What the node accepts.

    Attributes:
        max_text_chars: longest command text, in characters.
        default_duration_s: length of a motion whose command gives none (0), seconds.
        min_duration_s: shortest motion, seconds.
        max_duration_s: longest motion, seconds.
        max_queue: commands waiting behind the current one (replace mode empties the queue).
        max_age_s: a command stamped more than this many seconds before it arrives is
            refused as stale (0 disables the check).
        max_stamp_ahead_s: a command stamped more than this many seconds after it arrives
            is refused (clock skew allowance; the stamp of a wrong clock).
    """

    max_text_chars: int = setting(
        1000, "longest accepted command text (characters)", range=(1, 100000)
    )
    default_duration_s: float = setting(
        5.0, "motion length when a command gives 0 (s)", range=(0.5, 600.0)
    )
    min_duration_s: float = 0.5
    max_duration_s: float = setting(
        120.0, "longest motion (s); longer requests are clipped", range=(0.5, 3600.0)
    )
    max_queue: int = setting(8, "commands that may wait behind the current one", range=(0, 1000))
    max_age_s: float = setting(
        5.0, "drop commands stamped longer ago than this (s); 0 = never", range=(0.0, 3600.0)
    )
    max_stamp_ahead_s: float = setting(
        2.0,
        "refuse commands stamped further than this in the future (s; clock skew allowance)",
        range=(0.0, 3600.0),
    )

    def __post_init__(self) -> None:
        if self.max_text_chars < 1:
            raise ValueError(f"max_text_chars must be >= 1, got {self.max_text_chars}")
        if not 0 < self.min_duration_s <= self.default_duration_s <= self.max_duration_s:
            raise ValueError(
                "durations must satisfy 0 < min_duration_s <= default_duration_s <= "
                f"max_duration_s, got {self.min_duration_s}, {self.default_duration_s}, "
                f"{self.max_duration_s}"
            )
        if self.max_queue < 0 or self.max_age_s < 0 or self.max_stamp_ahead_s < 0:
            raise ValueError("max_queue, max_age_s and max_stamp_ahead_s must be >= 0")


@dataclass(frozen=True)
class Command:
    """A checked command.

    Attributes:
        text: the request, stripped, printable characters only.
        duration_s: length of the motion, seconds (already defaulted and bounded).
        mode: "replace" or "queue".
        seed: random seed of the generator (>= 0).
        id: identifier (the caller's, or a generated one).
        stamp_s: when it was issued (seconds, the caller's clock; 0 = unknown).
        segments: the parts of a compound command, in order (:class:`CommandSegment`);
            empty = ``text`` for the whole duration.
    """

    text: str
    duration_s: float
    mode: str
    seed: int
    id: str
    stamp_s: float = 0.0
    segments: tuple[CommandSegment, ...] = ()

    def _segment_index(self, frame: int, fps: float) -> tuple[int, int | None]:
        """Index of the segment playing at ``frame`` and its frames left (None past the
        last segment's end: frames past it belong to the last one). Needs segments."""
        end = 0
        for i, seg in enumerate(self.segments):
            end += int(round(seg.seconds * fps))
            if frame < end:
                return i, end - frame
        return len(self.segments) - 1, None

    def speed_limit_at(self, frame: int, fps: float) -> float | None:
        """The root speed cap (m/s) of the segment playing at ``frame``; None = none."""
        if not self.segments:
            return None
        return self.segments[self._segment_index(frame, fps)[0]].max_root_speed_m_s

    def segment_at(self, frame: int, fps: float) -> tuple[str, int | None]:
        """The generator text in force at ``frame`` (counted from the command's start) and
        how many frames are left of its segment (None: to the end of the command). Frames
        past the last segment belong to the last one."""
        if not self.segments:
            return self.text, None
        i, left = self._segment_index(frame, fps)
        return self.segments[i].text, left

    def with_segments(self, segments, limits: CommandLimits) -> Command:
        """This command split into ``segments`` (:class:`CommandSegment` or plain ``(text,
        seconds[, max_root_speed_m_s])`` tuples); its duration becomes theirs (bounded)."""
        if not segments:
            raise CommandError("a command needs at least one segment")
        parts = tuple(CommandSegment(*s) for s in segments)
        seconds = sum(s.seconds for s in parts)
        duration = min(max(seconds, limits.min_duration_s), limits.max_duration_s)
        return replace(self, segments=parts, duration_s=duration)


def _check_text(text: object, limits: CommandLimits) -> str:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CommandError(f"the command text is not valid UTF-8 ({exc.reason})") from None
    if not isinstance(text, str):
        raise CommandError(f"the command text must be a string, got {type(text).__name__}")
    if "\ufffd" in text:
        # ROS string fields decode invalid UTF-8 bytes to U+FFFD.
        raise CommandError("the command text is not valid UTF-8 (replacement characters found)")
    if len(text) > limits.max_text_chars:
        raise CommandError(
            f"the command text is {len(text)} characters long; the limit is "
            f"{limits.max_text_chars} (parameter max_text_chars)"
        )
    bad = sorted(
        {
            c
            for c in text
            if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") and c not in "\t\n\r"
        }
    )
    if bad:
        codes = ", ".join(f"U+{ord(c):04X}" for c in bad[:5])
        raise CommandError(f"the command text contains control or unassigned characters ({codes})")
    text = " ".join(text.split())
    if not text:
        raise CommandError("the command text is empty; say what the robot should do")
    return text


def check_command(
    text: object,
    duration_s: float = 0.0,
    mode: str | int = "replace",
    seed: int = -1,
    command_id: str = "",
    stamp_s: float = 0.0,
    limits: CommandLimits = CommandLimits(),
    rng_seed: int | None = None,
) -> Command:
    """Check raw command fields and return a :class:`Command`.

    Args:
        text: the request (str, or UTF-8 bytes).
        duration_s: seconds; 0 means ``limits.default_duration_s``; NaN, infinite or negative
            values are rejected; positive values are clipped to the limits.
        mode: "replace" / "queue", or the message constants 0 / 1.
        seed: >= 0 for a reproducible motion, -1 to draw one (``rng_seed`` if given).
        command_id: the caller's id; empty gets a generated one.
        stamp_s: when the command was issued (seconds), 0 if unknown.

    Raises:
        CommandError: with a message naming the problem and the valid values.
    """
    clean = _check_text(text, limits)
    try:
        duration = float(duration_s)
    except (TypeError, ValueError):
        raise CommandError(f"duration_s must be a number of seconds, got {duration_s!r}") from None
    if not math.isfinite(duration) or duration < 0:
        raise CommandError(
            f"duration_s must be 0 (default {limits.default_duration_s:g} s) or a positive "
            f"number of seconds up to {limits.max_duration_s:g}, got {duration_s!r}"
        )
    if duration == 0:
        duration = limits.default_duration_s
    duration = min(max(duration, limits.min_duration_s), limits.max_duration_s)
    if isinstance(mode, int) and not isinstance(mode, bool):
        if mode not in (0, 1):
            raise CommandError(f"mode must be 0 (replace) or 1 (queue), got {mode}")
        mode = MODES[mode]
    if mode not in MODES:
        raise CommandError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if (
        isinstance(seed, bool)
        or not isinstance(seed, (int, float))
        or (isinstance(seed, float) and not (math.isfinite(seed) and seed == int(seed)))
    ):
        raise CommandError(f"seed must be an integer >= 0, or -1 for a random seed, got {seed!r}")
    seed = int(seed)
    if seed < -1:
        raise CommandError(f"seed must be >= 0, or -1 for a random seed, got {seed}")
    if seed == -1:
        seed = int(rng_seed if rng_seed is not None else uuid.uuid4().int % (2**31))
    if not isinstance(command_id, str) or len(command_id) > 256 or "\ufffd" in command_id:
        raise CommandError("the command id must be a UTF-8 string of at most 256 characters")
    command_id = command_id.strip() or uuid.uuid4().hex[:12]
    try:
        stamp = float(stamp_s)
    except (TypeError, ValueError):
        raise CommandError(f"the command stamp must be seconds, got {stamp_s!r}") from None
    if not math.isfinite(stamp):
        raise CommandError(f"the command stamp must be finite, got {stamp_s!r}")
    return Command(clean, duration, mode, seed, command_id, stamp)


NANOSECONDS_PER_SECOND = 1_000_000_000
INT32_MAX = 2**31 - 1


def check_stamp(sec: object, nanosec: object, now_s: float, limits: CommandLimits) -> float:
    """Check a command's ``builtin_interfaces/Time`` stamp and return it in seconds (0 = the
    sender left it unset: sec = nanosec = 0).

    Refused: non-integers, a negative ``sec`` or one beyond int32, ``nanosec`` outside
    [0, 1e9), a stamp more than ``limits.max_stamp_ahead_s`` after ``now_s`` (the receiver's
    clock, seconds) and one more than ``limits.max_age_s`` before it (when that is > 0).

    Raises:
        CommandError: naming the field, the value and the valid range.
    """
    for name, value in (("sec", sec), ("nanosec", nanosec)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise CommandError(f"header.stamp.{name} must be an integer, got {value!r}")
    if not 0 <= sec <= INT32_MAX:
        raise CommandError(
            f"header.stamp.sec must be in [0, {INT32_MAX}] (seconds since the epoch; 0 with "
            f"nanosec 0 = unset), got {sec}"
        )
    if not 0 <= nanosec < NANOSECONDS_PER_SECOND:
        raise CommandError(f"header.stamp.nanosec must be in [0, 999999999], got {nanosec}")
    stamp = sec + nanosec * 1e-9
    if stamp == 0:
        return 0.0
    ahead = stamp - now_s
    if ahead > limits.max_stamp_ahead_s:
        raise CommandError(
            f"the command is stamped {ahead:.3f} s in the future; the limit is "
            f"{limits.max_stamp_ahead_s:g} s (parameter commands.max_stamp_ahead_s): check "
            "the sender's clock"
        )
    if limits.max_age_s > 0 and -ahead > limits.max_age_s:
        raise CommandError(
            f"the command is stale: issued {-ahead:.1f} s ago, the limit is "
            f"{limits.max_age_s:g} s (parameter commands.max_age_s)"
        )
    return stamp


@dataclass
class CommandQueue:
    """Commands waiting to run, oldest first, at most ``limits.max_queue``.

    Not thread-safe: the caller holds its own lock.
    """

    limits: CommandLimits = field(default_factory=CommandLimits)
    _items: deque[Command] = field(default_factory=deque)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):
        return iter(list(self._items))

    def push(self, command: Command) -> list[Command]:
        """Add a command. Replace mode empties the queue first and returns what it dropped.

        Raises:
            CommandError: the queue is full (queue mode).
        """
        dropped: list[Command] = []
        if command.mode == "replace":
            dropped = list(self._items)
            self._items.clear()
        elif len(self._items) >= self.limits.max_queue:
            raise CommandError(
                f"the command queue is full ({self.limits.max_queue} waiting, parameter "
                "max_queue); wait, or send with mode replace"
            )
        self._items.append(command)
        return dropped

    def pop(self) -> Command | None:
        """The next command (oldest first), or None."""
        return self._items.popleft() if self._items else None

    def is_stale(self, command: Command, now_s: float) -> bool:
        """True when ``command`` was stamped more than ``max_age_s`` before ``now_s``."""
        return bool(
            self.limits.max_age_s > 0
            and command.stamp_s > 0
            and now_s - command.stamp_s > self.limits.max_age_s
        )

    def remove(self, command_id: str) -> Command | None:
        for cmd in list(self._items):
            if cmd.id == command_id:
                self._items.remove(cmd)
                return cmd
        return None

    def clear(self) -> list[Command]:
        out = list(self._items)
        self._items.clear()
        return out


__all__ = [
    "MODES",
    "Command",
    "CommandError",
    "CommandLimits",
    "CommandQueue",
    "CommandSegment",
    "check_command",
    "check_stamp",
]
