"""Durations, counts and speed taken out of a clause (molingo_ros.language.modifiers)."""

from __future__ import annotations

import pytest

from molingo_ros.language.modifiers import number, take_count, take_duration, take_speed


@pytest.mark.parametrize(
    ("phrase", "value"),
    [("2.5", 2.5), ("three", 3.0), ("twenty", 20.0), ("a few", 3.0), ("a couple of", 2.0),
     ("half a", 0.5), ("  a   couple  ", 2.0), ("zzz", 1.0)],
)
def test_number(phrase, value):
    assert number(phrase) == value


@pytest.mark.parametrize(
    ("text", "rest", "seconds"),
    [
        ("walk forward for 3 seconds", "walk forward", 3.0),
        ("walk for half a minute", "walk", 30.0),
        ("walk for 2 and a half seconds", "walk", 2.5),
        ("walk for about 2 mins", "walk", 120.0),
        ("3 seconds of walking", "walking", 3.0),
        ("walk for a while", "walk", None),  # vague: removed, no value
        ("wave a bit", "wave", None),
        ("walk forward", "walk forward", None),
    ],
)
def test_take_duration(text, rest, seconds):
    assert take_duration(text) == (rest, seconds, [])


def test_a_zero_duration_is_ignored_with_a_note():
    rest, seconds, notes = take_duration("walk for 0 seconds")
    assert (rest, seconds) == ("walk", None)
    assert notes == ["ignored 'for 0 seconds': a duration must be over 0 seconds"]


def test_the_first_duration_wins():
    assert take_duration("walk for 2 seconds for 4 seconds") == (
        "walk", 2.0, ["ignored a second duration 'for 4 seconds'"]
    )


@pytest.mark.parametrize(
    ("text", "rest", "speed"),
    [
        ("walk slowly", "walk", "slow"),
        ("at a fast pace walk", "walk", "fast"),
        ("hurry up and walk", "and walk", "fast"),
        ("walk as fast as you can", "walk", "fast"),
        ("walk slowly and gently", "walk and", "slow"),  # the same speed twice: no note
        ("walk at a normal pace", "walk", None),  # removed, no value
        ("walk", "walk", None),
    ],
)
def test_take_speed(text, rest, speed):
    assert take_speed(text) == (rest, speed, [])


def test_a_contrary_speed_is_ignored_with_a_note():
    assert take_speed("walk quickly and slowly") == (
        "walk and", "fast", ["ignored 'slowly': already asked for fast speed"]
    )


@pytest.mark.parametrize(
    ("text", "rest", "count", "unit"),
    [
        ("take two steps forward", "take steps forward", 2, "steps"),  # kept after "take"
        ("take one step", "take a step", 1, "steps"),
        ("two steps forward", "steps forward", 2, "steps"),  # kept at the start
        ("walk two steps forward", "walk forward", 2, "steps"),  # goes elsewhere
        ("walk a few paces", "walk", 3, "steps"),
        ("walk 3 more strides", "walk", 3, "steps"),
        ("wave twice", "wave", 2, "times"),
        ("wave 3 times", "wave", 3, "times"),
        ("wave one more time", "wave", 1, "times"),
        ("wave", "wave", None, None),
    ],
)
def test_take_count(text, rest, count, unit):
    assert take_count(text) == (rest, count, unit, [])


def test_a_zero_count_is_ignored_with_a_note():
    assert take_count("wave 0 times") == (
        "wave", None, None, ["ignored '0 times': a count must be at least 1"]
    )


def test_the_first_count_wins():
    assert take_count("wave twice three times") == (
        "wave", 2, "times", ["ignored a second count 'three times'"]
    )
