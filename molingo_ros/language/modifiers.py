"""Durations, counts and speed in a clause: found, read and taken out of its text. No ROS
imports.

Each ``take_*`` function gets a cleaned clause (lower case, fillers removed; see
:mod:`~molingo_ros.language.spelling`) and returns the clause without the phrase, the value
read (the first one said wins) and plain-English notes about anything ignored:

- :func:`take_duration`: "for 3 seconds", "for half a minute", "2.5 s of" -> seconds;
  vague ones ("for a while", "a bit") are removed without a value;
- :func:`take_speed`: "slowly", "at a fast pace" -> "slow" / "fast"; "at a normal pace" is
  removed without a value;
- :func:`take_count`: "two steps", "a few paces", "twice", "3 times" -> a count of "steps" or
  "times". The number goes; "steps" stays after "take"/"make"/"do" ("take two steps
  forward" -> "take steps forward") and at the start of a clause with more words.

The words are in :mod:`~molingo_ros.language.vocabulary`.
"""

from __future__ import annotations

import re

from molingo_ros.language.vocabulary import (
    APPROXIMATELY,
    FAST_PACES,
    FAST_WORDS,
    LIGHT_VERBS,
    NEUTRAL_PACES,
    NUMBERS,
    QUANTITIES,
    REPEATS,
    SLOW_PACES,
    SLOW_WORDS,
    alternation,
)

_NUM = rf"\d+(?:\.\d+)?|{alternation([*NUMBERS, *QUANTITIES])}"
_NUM_BARE = rf"\d+(?:\.\d+)?|{alternation([*NUMBERS, *QUANTITIES.keys() - {'a', 'an'}])}"
_UNIT = r"(?P<half>\s+and\s+a\s+half)?\s+(?P<u>seconds?|secs?|s|minutes?|mins?)\b"
_ABOUT = rf"(?:(?:{'|'.join(APPROXIMATELY)})\s+)?"
_DURATION_RES = (re.compile(rf"\bfor\s+{_ABOUT}(?P<n>{_NUM}){_UNIT}"),
                 re.compile(rf"\b{_ABOUT}(?P<n>{_NUM_BARE}){_UNIT}(?:\s+of\b)?"))
_VAGUE_RE = re.compile(r"\b(?:for\s+(?:a\s+(?:while|bit|moment|little\s+(?:while|bit))|"
                       r"some\s+time|a\s+long\s+time)|a\s+(?:little\s+)?bit)\b")
_COUNT_RE = re.compile(
    rf"\b(?:for\s+)?{_ABOUT}(?P<n>{_NUM})\s+(?:(?:more|small|little|big|short|long|tiny|large|"
    rf"baby|giant)\s+)?(?P<steps>steps?|paces?|strides?)\b"
    rf"|\b(?P<t>{_NUM})\s+(?:more\s+)?times\b|\b(?:one|1)\s+more\s+time\b"
    r"|\b(?P<w>once|twice|thrice)(?:\s+more)?\b")
_SPEED_RE = re.compile(
    rf"\bat\s+(?:an?\s+)?(?:(?P<slow>{'|'.join(SLOW_PACES)})|"
    rf"(?P<fast>{'|'.join(FAST_PACES)})|{'|'.join(NEUTRAL_PACES)})\s+(?:pace|speed)\b"
    rf"|\b(?P<fast2>{'|'.join(FAST_WORDS)})\b"
    rf"|\b(?P<slow2>{'|'.join(SLOW_WORDS)})\b")


def number(phrase: str) -> float:
    """The value of a number phrase: digits ("2.5"), a number word ("three") or a quantity
    ("a few" -> 3.0); 1.0 for anything else."""
    phrase = " ".join(phrase.split())
    if phrase[0].isdigit():
        return float(phrase)
    return NUMBERS.get(phrase, QUANTITIES.get(phrase, 1.0))


def take_duration(text: str) -> tuple[str, float | None, list[str]]:
    """Take "for 3 seconds" (or "for half a minute", "3 seconds of") out of a clause.

    Returns:
        The clause without duration phrases, the first valid duration in seconds (None when
        none was said) and notes about ignored ones (not over 0 s, or a second duration).
    """
    duration: float | None = None
    notes: list[str] = []
    text = _VAGUE_RE.sub(" ", text)
    for pattern in _DURATION_RES:
        for m in pattern.finditer(text):
            value = number(m["n"]) + (0.5 if m["half"] else 0.0)
            seconds = value * (60.0 if m["u"].startswith("m") else 1.0)
            if seconds <= 0:
                notes.append(f"ignored '{m.group()}': a duration must be over 0 seconds")
            elif duration is None:
                duration = seconds
            else:
                notes.append(f"ignored a second duration '{m.group()}'")
        text = pattern.sub(" ", text)
    return " ".join(text.split()), duration, notes


def take_speed(text: str) -> tuple[str, str | None, list[str]]:
    """Take speed words ("slowly", "at a fast pace") out of a clause; "normal pace" is removed.

    Returns:
        The clause without speed words, "slow", "fast" or None (the first one said), and
        notes about a contrary speed that was ignored.
    """
    speed: str | None = None
    notes: list[str] = []
    for m in _SPEED_RE.finditer(text):
        said = "slow" if m["slow"] or m["slow2"] else "fast" if m["fast"] or m["fast2"] else None
        if said is not None and speed is None:
            speed = said
        elif said is not None and said != speed:
            notes.append(f"ignored '{m.group()}': already asked for {speed} speed")
    return " ".join(_SPEED_RE.sub(" ", text).split()), speed, notes


def take_count(text: str) -> tuple[str, int | None, str | None, list[str]]:
    """Take "two steps", "a few paces", "twice", "3 times" out of a clause.

    Returns:
        The clause without the count's number (see the module docstring for when "steps"
        stays), the first count of at least 1 (None when none was said), its unit ("steps" or
        "times"; None without a count) and notes about ignored counts.
    """
    count: int | None = None
    unit: str | None = None
    notes: list[str] = []

    def swap(m: re.Match[str]) -> str:
        nonlocal count, unit
        n = m["n"] or m["t"] or m["w"] or "1"
        said = round(REPEATS.get(n) or number(n))
        said_unit = "steps" if m["steps"] else "times"
        if said < 1:
            notes.append(f"ignored '{m.group()}': a count must be at least 1")
        elif count is None:
            count, unit = said, said_unit
        else:
            notes.append(f"ignored a second count '{m.group()}'")
        previous, following = m.string[:m.start()].split(), m.string[m.end():].strip()
        light = bool(previous) and previous[-1] in LIGHT_VERBS
        if said_unit == "steps" and (light or (not previous and following)):
            return " a step " if said == 1 else " steps "
        return " "

    text = " ".join(_COUNT_RE.sub(swap, text).split())
    return text, count, unit, notes


__all__ = ["number", "take_count", "take_duration", "take_speed"]
