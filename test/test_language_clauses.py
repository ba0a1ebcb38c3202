"""Splitting a command into clauses, stop phrases, fillers and leftover connectives
(molingo_ros.language.clauses)."""

from __future__ import annotations

import pytest

from molingo_ros.language.clauses import (
    drop_trailing_stop,
    is_stop_text,
    split_clauses,
    strip_fillers,
    trim_clause,
)


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("walk forward, then wave with your right hand",
         ["walk forward", "wave with your right hand"]),
        ("first, walk forward; then turn left. Finally bow!",
         ["first", "walk forward", "turn left", "bow"]),
        ("walk forward once you're done bow", ["walk forward", "bow"]),
        ("walk forward followed by waving", ["walk forward", "waving"]),
        ("Walk forward AND THEN wave", ["Walk forward", "wave"]),  # case kept, any case splits
        ("walk 2.5 seconds, then bow", ["walk 2.5 seconds", "bow"]),  # a decimal point stays
    ],
)
def test_split_at_punctuation_and_connectives_in_order(text, clauses):
    assert split_clauses(text) == clauses


@pytest.mark.parametrize(
    "text",
    ["walk forward and wave", "walk forward thne wave", "stand next to the door",
     "take the next step"],
)
def test_no_split_at_plain_and_a_typo_or_next_to(text):
    assert split_clauses(text) == [text]


def test_split_of_punctuation_only_is_empty():
    assert split_clauses("  ,, ;; !") == []


@pytest.mark.parametrize(
    "text",
    ["stop", "stop stop", "emergency stop", "e-stop", "never mind", "stop walking forward",
     "hold still", "don't move", "that's enough", "hold on a second", "cancel everything"],
)
def test_stop_texts(text):
    assert is_stop_text(text)


@pytest.mark.parametrize(
    "text", ["", "walk to the bus stop", "stop for 2 seconds", "halt now", "walk forward"]
)
def test_not_stop_texts(text):
    # "now" is a filler: the caller strips fillers before asking.
    assert not is_stop_text(text)


@pytest.mark.parametrize(
    ("text", "rest"),
    [("walk forward and stop", "walk forward"), ("walk forward and halt", "walk forward"),
     ("stop and walk", "stop and walk"), ("walk to the bus stop", "walk to the bus stop")],
)
def test_drop_trailing_stop(text, rest):
    assert drop_trailing_stop(text) == rest


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("could you please wave for me", "wave"),
        ("hey robot um walk forward thanks", "walk forward"),
        ("turn right now", "turn right"),  # a side after a verb of direction
        ("wave right now", "wave"),
        ("robot wave", "wave"),
        ("wave robot", "wave"),
        ("dance like a robot", "dance like a robot"),  # not a form of address
        ("walk towards the robot", "walk towards the robot"),
    ],
)
def test_strip_fillers(text, rest):
    assert strip_fillers(text) == rest


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("and then walk forward and", "walk forward"),
        ("first of all please wave but", "wave"),
        ("next bow then", "bow"),
        ("next to the door", "next to the door"),
        ("walk and", "walk"),
    ],
)
def test_trim_clause(text, rest):
    assert trim_clause(text) == rest
