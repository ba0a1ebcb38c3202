"""Splitting a typed command into clauses, and the words of a clause that are not its motion:
stop phrases, fillers and leftover connectives. No ROS imports.

Clauses are split on the tidied raw text at punctuation and sequencing words ("then",
"after that", "once you're done"); plain "and" never splits, and a typo inside a connective
("thne") does not split. The phrases themselves are in :mod:`~molingo_ros.language.vocabulary`.
"""

from __future__ import annotations

import re

from molingo_ros.language.vocabulary import (
    CONNECTIVE,
    FILLERS,
    SIDE_VERBS,
    STOP_ALTERNATIVES,
    alternation,
)

_STOP_ONE = "(?:" + "|".join(STOP_ALTERNATIVES) + ")"
_STOP_RE = re.compile(rf"{_STOP_ONE}(?:\s+{_STOP_ONE})*")
_AND_STOP_RE = re.compile(rf"\s+and\s+{_STOP_ONE}$")  # "walk forward and stop": just ends it
_SPLIT_RE = re.compile(rf"\s*(?:[,;]|[.!?]+(?=\s|$)|\b{CONNECTIVE})\s*", re.I | re.X)
_RIGHT_NOW_RE = re.compile(  # "turn right now" is a direction: keep "right", drop "now"
    rf"\b({'|'.join(SIDE_VERBS)})\s+right\s+now\b")
_FILLER_RE = re.compile(rf"\b(?:{alternation(FILLERS)})\b")
_LEADING_RE = re.compile(
    r"^(?:(?:and|then|first(?:\s+of\s+all)?|firstly|secondly|finally|lastly|next(?!\s+to))\b\s*)+")
_TRAILING_RE = re.compile(r"(?:\s*\b(?:and|then|but))+$")


def split_clauses(text: str) -> list[str]:
    """Clauses of the whole (tidied) text, split at connectives and punctuation, in order.

    Surrounding spaces and ``,;.!?`` are stripped from each clause; empty pieces are dropped.
    """
    pieces = (p.strip(" ,;.!?") for p in _SPLIT_RE.split(text))
    return [p for p in pieces if p]


def is_stop_text(text: str) -> bool:
    """The whole cleaned clause (lower case, fillers removed) is one or more stop phrases."""
    return bool(text) and _STOP_RE.fullmatch(text) is not None


def drop_trailing_stop(text: str) -> str:
    """A cleaned clause without an "and stop" at its end ("walk forward and stop")."""
    return _AND_STOP_RE.sub("", text)


def strip_fillers(text: str) -> str:
    """Politeness and fillers removed; "robot" only as a form of address (first or last word).

    "right now" after a verb of direction keeps "right" ("turn right now" -> "turn right").
    """
    words = _FILLER_RE.sub(" ", _RIGHT_NOW_RE.sub(r"\1 right", text)).split()
    if words and words[0] == "robot":
        words = words[1:]
    if len(words) > 1 and words[-1] == "robot" and words[-2] not in ("a", "the", "like"):
        words = words[:-1]
    return " ".join(words)


def trim_clause(text: str) -> str:
    """A cleaned clause without leading sequencing words ("then", "first of all"), fillers,
    or trailing "and" / "then" / "but" (what is left once its modifiers are taken out)."""
    text = _LEADING_RE.sub("", text)
    return _TRAILING_RE.sub("", strip_fillers(text)).strip()


__all__ = ["drop_trailing_stop", "is_stop_text", "split_clauses", "strip_fillers", "trim_clause"]
