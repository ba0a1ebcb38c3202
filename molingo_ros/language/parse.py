"""Parsing an operator's typed command into an ordered plan of motion segments. No ROS imports.

``parse_command("walk forward, then wave with your right hand")`` gives a :class:`CommandPlan`
with two :class:`Segment` objects, "walk forward" and "wave with your right hand", in order.
Each segment's ``text`` is cleaned for matching against the skills the model knows (done
elsewhere): lower case, politeness and fillers removed, typos in motion words corrected, and
duration / count / speed phrases taken out into fields. Stop words are not motions: a stop at
the start sets :attr:`CommandPlan.stop`, one at the end is dropped, one in the middle is
dropped with a note for the operator.

Limits, by design: clauses are split on the raw text, so a typo inside a connective ("thne")
does not split; plain "and" never splits; a stop phrase with a duration ("stop for 2 seconds")
is a timed pause, kept as a segment. A count's number is removed; "steps" stays after
"take"/"make"/"do" ("take two steps forward" -> "take steps forward") and at the start of a
clause with more words, and goes elsewhere ("walk two steps forward" -> "walk forward").

This module builds the plan; the steps live beside it: :mod:`~molingo_ros.language.clauses`
(splitting, stop phrases, fillers), :mod:`~molingo_ros.language.spelling` (normalising,
typos), :mod:`~molingo_ros.language.modifiers` (durations, counts, speed) and the word tables
in :mod:`~molingo_ros.language.vocabulary`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from molingo_ros.language.clauses import (
    drop_trailing_stop,
    is_stop_text,
    split_clauses,
    strip_fillers,
    trim_clause,
)
from molingo_ros.language.modifiers import take_count, take_duration, take_speed
from molingo_ros.language.spelling import clean_words, normalize, tidy
from molingo_ros.language.vocabulary import KNOWN_WORDS, TARGET_WORDS, TARGETS

STEP_SECONDS: float = 0.55
"""Seconds per walking step (human cadence is about 1.8 steps per second)."""
REPETITION_SECONDS: float = 1.5
"""Seconds per repetition of a gesture ("wave twice")."""
MIN_COUNT_SECONDS: float = 2.0
"""A duration derived from a count is never shorter than this, seconds."""


@dataclass(frozen=True)
class Segment:
    """One motion of a plan.

    Attributes:
        text: the cleaned clause for matching ("wave with your right hand").
        raw: the clause as the operator typed it, stripped.
        seconds: explicit duration, or one derived from ``count``; None when not said. Seconds.
        count: number of steps or repetitions; None when not said.
        count_unit: "steps" or "times"; None when there is no count.
        speed: "slow", "fast" or None, from speed words ("slowly", "quickly").
    """

    text: str
    raw: str
    seconds: float | None = None
    count: int | None = None
    count_unit: str | None = None
    speed: str | None = None


@dataclass(frozen=True)
class CommandPlan:
    """A parsed command.

    Attributes:
        text: the whole input, whitespace-normalised.
        segments: the motion segments, in the order they must happen.
        stop: the command starts with (or is only) a stop phrase: hold the robot now.
        notes: plain-English remarks for the operator about anything ignored.
    """

    text: str
    segments: tuple[Segment, ...]
    stop: bool = False
    notes: tuple[str, ...] = ()

    @property
    def is_stop(self) -> bool:
        """A pure stop command: ``stop`` and no segments."""
        return self.stop and not self.segments


def _check_text(text: object, allow_blank: bool = False) -> str:
    """``text`` itself; ValueError when it is not a str, or blank (unless ``allow_blank``)."""
    if not isinstance(text, str):
        raise ValueError(f"command text must be a str, got {type(text).__name__}")
    if not text.strip() and not allow_blank:
        raise ValueError("command text is empty: type a command such as 'walk forward'")
    return text


def is_stop_phrase(text: str) -> bool:
    """True when the whole text is a stop command ("stop", "STOP!!", "please halt now").

    Fillers, punctuation, case and typos are ignored ("stpo" is a stop); "walk to the bus
    stop" is not one. Raises ValueError for a non-str; blank text is not a stop.
    """
    text = _check_text(text, allow_blank=True)
    return is_stop_text(strip_fillers(clean_words(text, KNOWN_WORDS, TARGETS)))


@dataclass
class _Clause:
    """A clause while the plan is being built; duration is explicit seconds only."""

    raw: str
    text: str = ""
    duration: float | None = None
    count: int | None = None
    unit: str | None = None
    speed: str | None = None
    stop: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing to match: no words left and not a stop (fillers, speed or duration only)."""
        return not self.stop and not self.text

    @property
    def has_modifiers(self) -> bool:
        return (self.duration, self.count, self.speed) != (None, None, None)


def _parse_clause(raw: str, known: frozenset[str], targets: list[str]) -> _Clause:
    """Clean one clause and pull out its stop, duration, speed and count."""
    clause = _Clause(raw=raw, text=strip_fillers(clean_words(raw, known, targets)))
    if is_stop_text(clause.text):
        clause.stop, clause.text = True, ""
        return clause
    text, clause.duration, notes = take_duration(drop_trailing_stop(clause.text))
    clause.notes.extend(notes)
    text, clause.speed, notes = take_speed(text)
    clause.notes.extend(notes)
    text, clause.count, clause.unit, notes = take_count(text)
    clause.notes.extend(notes)
    clause.text = trim_clause(text)
    return clause


def _absorb(target: _Clause, piece: _Clause, before: bool) -> None:
    """Fold a modifier-only piece into a neighbouring clause; the clause's own values win."""
    clash = False
    for name in ("duration", "count", "speed"):
        value, own = getattr(piece, name), getattr(target, name)
        if value is not None and own is None:
            setattr(target, name, value)
            target.unit = piece.unit if name == "count" else target.unit
        clash = clash or (own is not None and value not in (None, own))
    if clash:
        target.notes.append(f"ignored '{piece.raw}': '{target.raw}' already says otherwise")
    target.raw = f"{piece.raw}, {target.raw}" if before else f"{target.raw}, {piece.raw}"
    target.notes.extend(piece.notes)


def _merge(clauses: list[_Clause]) -> tuple[list[_Clause], list[str]]:
    """Fold pieces with nothing to match (fillers, speed or duration only) into a neighbour.

    A piece goes into the motion clause before it, else into the next motion clause; fillers
    alone after a stop go into the stop. Returns the clauses and notes about pieces that found
    no motion.
    """
    out: list[_Clause] = []
    pending: list[_Clause] = []  # pieces waiting for the next motion clause
    for clause in clauses:
        if not clause.empty:
            if not clause.stop:
                for piece in reversed(pending):
                    _absorb(clause, piece, before=True)
                pending = []
            out.append(clause)
        elif out and (not out[-1].stop or not clause.has_modifiers):
            _absorb(out[-1], clause, before=False)
        else:
            pending.append(clause)
    notes = [f"ignored '{p.raw}': no motion to apply it to" for p in pending if p.has_modifiers]
    return out, notes


def _segment(clause: _Clause) -> Segment:
    """The finished segment; a count without a duration gives seconds per step / repetition."""
    seconds = clause.duration
    if seconds is None and clause.count is not None:
        per = STEP_SECONDS if clause.unit == "steps" else REPETITION_SECONDS
        seconds = max(MIN_COUNT_SECONDS, clause.count * per)
    return Segment(clause.text, clause.raw, seconds, clause.count, clause.unit, clause.speed)


def parse_command(
    text: str, vocabulary: Iterable[str] = (), dictionary: frozenset[str] = frozenset()
) -> CommandPlan:
    """Parse an operator's command into an ordered :class:`CommandPlan`.

    Args:
        text: what the operator typed, e.g. "walk forward, then wave with your right hand".
        vocabulary: extra words or phrases (skill names, captions) that typos may be
            corrected to, on top of the built-in motion vocabulary.
        dictionary: real words that are never "corrected" (lower case), e.g. the whole
            words of the text encoder's vocabulary, so "flight" does not become "fight".

    Raises:
        ValueError: ``text`` is not a str, or is empty or only whitespace.
    """
    whole = tidy(_check_text(text))
    if isinstance(vocabulary, str):
        vocabulary = (vocabulary,)
    extra = {w for phrase in vocabulary for w in re.findall(r"[^\W\d_]+", normalize(phrase))}
    known = KNOWN_WORDS | extra | frozenset(dictionary)
    targets = sorted(TARGET_WORDS | extra) if extra else TARGETS
    clauses, leftover = _merge([_parse_clause(raw, known, targets) for raw in split_clauses(whole)])
    motions = [i for i, c in enumerate(clauses) if not c.stop and c.text]
    first = motions[0] if motions else len(clauses)
    last = motions[-1] if motions else -1
    stop = any(c.stop for c in clauses[:first])
    notes: list[str] = []
    for i, clause in enumerate(clauses):
        notes.extend(clause.notes)
        if clause.stop and first < i < last:
            notes.append(f"ignored '{clause.raw}' in the middle of the command")
    notes.extend(leftover)
    if not motions and not stop:
        notes.append(f"found no motion to do in '{whole}'")
    segments = tuple(_segment(clauses[i]) for i in motions)
    return CommandPlan(whole, segments, stop, tuple(notes))


__all__ = ["MIN_COUNT_SECONDS", "REPETITION_SECONDS", "STEP_SECONDS", "CommandPlan", "Segment",
           "is_stop_phrase", "parse_command"]
