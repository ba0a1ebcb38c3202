"""BVH reader: any rig, any channel order, End Sites, plain or gzipped files.

The reader returns the file's content as written (units and axes of the file); conversion to the
project's world convention (metres, z up, x forward) happens in :mod:`molingo_ros.motion.convert`.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_VALID_CHANNELS = (
    "Xposition",
    "Yposition",
    "Zposition",
    "Xrotation",
    "Yrotation",
    "Zrotation",
)


class BvhError(ValueError):
    """A BVH file could not be parsed; the message names the file and the line."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


@dataclass
class BvhJoint:
    """One joint of a BVH hierarchy (file units, parent-local frame)."""

    name: str
    parent: int
    offset: np.ndarray  # (3,)
    channels: list[str]
    channel_start: int  # column of this joint's first channel in the motion table
    end_site: np.ndarray | None = None  # (3,) offset of an End Site child, if any


@dataclass
class BvhClip:
    """A parsed BVH file.

    Attributes:
        joints: the hierarchy in file order (parents before children).
        frames: (T, C) motion table as written (positions in file units, angles in degrees).
        frame_time_s: seconds per frame.
        path: the source file.
    """

    joints: list[BvhJoint]
    frames: np.ndarray
    frame_time_s: float
    path: str

    @property
    def joint_names(self) -> list[str]:
        return [j.name for j in self.joints]

    @property
    def parents(self) -> np.ndarray:
        return np.array([j.parent for j in self.joints], dtype=np.int64)

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time_s

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    def channel(self, joint: int, name: str) -> np.ndarray | None:
        """(T,) values of channel ``name`` of joint index ``joint``, or None if absent."""
        j = self.joints[joint]
        if name not in j.channels:
            return None
        return self.frames[:, j.channel_start + j.channels.index(name)]


def _read_text(path: Path) -> str:
    if not path.exists():
        raise BvhError(path, None, "file does not exist")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
                return fh.read()
        return path.read_text(encoding="utf-8", errors="replace")
    except (OSError, EOFError) as exc:  # truncated gzip stream, unreadable file
        raise BvhError(path, None, f"cannot read file: {exc}") from exc


class _Tokens:
    """Whitespace tokens with their 1-based line numbers."""

    def __init__(self, lines: list[str], path: Path) -> None:
        self.items: list[tuple[str, int]] = []
        for number, line in enumerate(lines, start=1):
            for tok in line.split():
                self.items.append((tok, number))
        self.pos = 0
        self.path = path
        self.last_line = len(lines)

    def next(self, what: str) -> tuple[str, int]:
        if self.pos >= len(self.items):
            raise BvhError(self.path, self.last_line, f"unexpected end of file, expected {what}")
        item = self.items[self.pos]
        self.pos += 1
        return item

    def expect(self, word: str) -> int:
        tok, line = self.next(repr(word))
        if tok != word:
            raise BvhError(self.path, line, f"expected {word!r}, found {tok!r}")
        return line

    def number(self, what: str) -> float:
        tok, line = self.next(what)
        try:
            return float(tok)
        except ValueError:
            raise BvhError(
                self.path, line, f"expected a number for {what}, found {tok!r}"
            ) from None

    def peek(self) -> str | None:
        return self.items[self.pos][0] if self.pos < len(self.items) else None


def read_bvh(path: str | Path) -> BvhClip:
    """Parse a ``.bvh`` or ``.bvh.gz`` file.

    The file is read in three steps: the HIERARCHY section (joints, offsets in file units,
    channel layout), the MOTION header (frame count, seconds per frame) and the motion table
    (one row of channel values per frame).

    Raises:
        BvhError: the file is missing, empty, truncated or malformed; the message gives
            ``path:line`` and what was expected.
    """
    path = Path(path)
    text = _read_text(path)
    lines = text.splitlines()
    if not text.strip():
        raise BvhError(path, 1, "empty file")
    motion_line = next((i for i, s in enumerate(lines) if s.strip().upper() == "MOTION"), None)
    if motion_line is None:
        raise BvhError(path, len(lines), "no MOTION section (file truncated?)")
    joints, num_channels = _HierarchyParser(_Tokens(lines[:motion_line], path)).parse()
    num_frames, frame_time_s = _parse_motion_header(lines, motion_line, path)
    data = _parse_frames(lines, motion_line + 3, num_frames, num_channels, path)
    return BvhClip(joints=joints, frames=data, frame_time_s=frame_time_s, path=str(path))


class _HierarchyParser:
    """The HIERARCHY section: joints in file order and their columns in the motion table."""

    def __init__(self, tokens: _Tokens) -> None:
        self.toks = tokens
        self.path = tokens.path
        self.joints: list[BvhJoint] = []
        self.num_channels = 0

    def parse(self) -> tuple[list[BvhJoint], int]:
        """``(joints, number of channels of all joints)``; exactly one ROOT is accepted."""
        toks = self.toks
        toks.expect("HIERARCHY")
        tok, line = toks.next("ROOT")
        if tok != "ROOT":
            raise BvhError(self.path, line, f"expected ROOT, found {tok!r}")
        self._joint(-1)
        if toks.peek() is not None:
            tok, line = toks.items[toks.pos]
            raise BvhError(
                self.path,
                line,
                f"unexpected {tok!r} after the hierarchy (only one ROOT is supported)",
            )
        return self.joints, self.num_channels

    def _joint(self, parent: int) -> None:
        """One ``JOINT``/``ROOT`` block (its keyword already read) and its children."""
        toks = self.toks
        name, _ = toks.next("a joint name")
        toks.expect("{")
        toks.expect("OFFSET")
        offset = np.array(
            [toks.number("OFFSET x"), toks.number("OFFSET y"), toks.number("OFFSET z")]
        )
        channels = self._channels(name) if toks.peek() == "CHANNELS" else []
        index = len(self.joints)
        self.joints.append(BvhJoint(name, parent, offset, channels, self.num_channels))
        self.num_channels += len(channels)
        while True:
            tok, line = toks.next("JOINT, End Site or '}'")
            if tok == "}":
                return
            if tok == "JOINT":
                self._joint(index)
            elif tok == "End":
                self.joints[index].end_site = self._end_site()
            else:
                raise BvhError(self.path, line, f"expected JOINT, End Site or '}}', found {tok!r}")

    def _channels(self, joint: str) -> list[str]:
        """``CHANNELS n name...`` of joint ``joint``: the channel names in file order."""
        toks = self.toks
        toks.next("CHANNELS")
        count_tok, count_line = toks.next("a channel count")
        try:
            count = int(count_tok)
        except ValueError:
            raise BvhError(self.path, count_line, f"bad channel count {count_tok!r}") from None
        channels: list[str] = []
        for _ in range(count):
            ch, ch_line = toks.next("a channel name")
            if ch not in _VALID_CHANNELS:
                raise BvhError(
                    self.path,
                    ch_line,
                    f"unknown channel {ch!r} (joint {joint!r} declares {count}); "
                    f"valid: {', '.join(_VALID_CHANNELS)}",
                )
            channels.append(ch)
        return channels

    def _end_site(self) -> np.ndarray:
        """``Site { OFFSET x y z }`` after ``End``: the (3,) offset, file units."""
        toks = self.toks
        toks.expect("Site")
        toks.expect("{")
        toks.expect("OFFSET")
        offset = np.array(
            [toks.number("End Site x"), toks.number("End Site y"), toks.number("End Site z")]
        )
        toks.expect("}")
        return offset


def _parse_motion_header(lines: list[str], motion_line: int, path: Path) -> tuple[int, float]:
    """``(frame count, seconds per frame)`` from the two lines after ``MOTION`` (0-based
    ``motion_line``): ``Frames: N`` and ``Frame Time: dt``."""
    header = lines[motion_line + 1 : motion_line + 3]
    if len(header) < 2:
        raise BvhError(path, motion_line + 1, "MOTION section lacks 'Frames:' and 'Frame Time:'")
    try:
        num_frames = int(header[0].split(":", 1)[1])
        if not header[0].strip().startswith("Frames"):
            raise ValueError
    except (IndexError, ValueError):
        raise BvhError(
            path, motion_line + 2, f"expected 'Frames: N', found {header[0]!r}"
        ) from None
    try:
        frame_time = float(header[1].split(":", 1)[1])
        if not header[1].strip().startswith("Frame Time") or frame_time <= 0:
            raise ValueError
    except (IndexError, ValueError):
        raise BvhError(
            path, motion_line + 3, f"expected 'Frame Time: seconds > 0', found {header[1]!r}"
        ) from None
    return num_frames, frame_time


def _parse_frames(
    lines: list[str], first_row: int, num_frames: int, num_channels: int, path: Path
) -> np.ndarray:
    """(num_frames, num_channels) motion table starting at 0-based line ``first_row``
    (trailing blank lines and rows past ``num_frames`` are ignored); every value finite."""
    rows = [s for s in lines[first_row:]]
    while rows and not rows[-1].strip():
        rows.pop()
    if len(rows) < num_frames:
        raise BvhError(
            path,
            first_row + len(rows) + 1,
            f"file declares {num_frames} frames but has {len(rows)} (truncated?)",
        )
    data = _parse_rows(rows[:num_frames], num_channels, path, first_row)
    if not np.all(np.isfinite(data)):
        bad = int(np.argwhere(~np.isfinite(data))[0, 0])
        raise BvhError(path, first_row + bad + 1, f"frame {bad} has a NaN or infinite value")
    return data


def _parse_rows(rows: list[str], num_channels: int, path: Path, first_row: int) -> np.ndarray:
    """Parse the motion table fast; on a malformed table, find and report the bad line."""
    tokens = " ".join(rows).split()
    if len(tokens) == len(rows) * num_channels:
        try:
            return np.array(tokens, dtype=np.float64).reshape(len(rows), num_channels)
        except ValueError:
            pass  # a non-numeric token: locate it below
    for i, row in enumerate(rows):
        values = row.split()
        if len(values) != num_channels:
            raise BvhError(
                path,
                first_row + i + 1,
                f"frame {i} has {len(values)} values, "
                f"the hierarchy declares {num_channels} channels",
            )
        try:
            np.array(values, dtype=np.float64)
        except ValueError:
            raise BvhError(path, first_row + i + 1, f"frame {i} has a non-numeric value") from None
    raise AssertionError("unreachable: the table parsed row by row")
