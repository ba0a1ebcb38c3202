"""The command words (molingo_ros.language.vocabulary): the tables are consistent with each
other and with the typo correction, and :func:`alternation` builds the regexes they need."""

from __future__ import annotations

import re

import pytest

from molingo_ros.language import vocabulary as v
from molingo_ros.language.spelling import correct_word


def test_word_set():
    assert v.word_set("  walk\n wave walk ") == frozenset({"walk", "wave"})


def test_alternation_is_longest_first_and_space_flexible():
    pattern = v.alternation(["a", "a few", "half a"])
    assert pattern == r"half\s+a|a\s+few|a"
    assert re.fullmatch(pattern, "a \t few")
    assert re.match(pattern, "a few").group() == "a few"  # not just "a"


def test_alternation_escapes_regex_characters():
    pattern = v.alternation(["c'mon", "e.g.", "a+b"])
    assert re.fullmatch(pattern, "e.g.") and re.fullmatch(pattern, "a+b")
    assert not re.fullmatch(pattern, "eXgX")


def test_numbers_one_to_twenty_in_order():
    assert list(v.NUMBERS.values()) == [float(i) for i in range(1, 21)]
    assert v.NUMBERS["seven"] == 7.0
    assert v.QUANTITIES["a few"] == 3.0 and v.QUANTITIES["half an"] == 0.5
    assert v.REPEATS == {"once": 1, "twice": 2, "thrice": 3}


def test_fillers_are_unique_lower_case_and_known():
    assert len(set(v.FILLERS)) == len(v.FILLERS)
    for filler in v.FILLERS:
        assert filler == " ".join(filler.lower().split()), filler
        assert set(filler.split()) <= v.KNOWN_WORDS, filler


def test_target_and_known_words():
    assert v.MOTION_WORDS <= v.TARGET_WORDS <= v.KNOWN_WORDS
    assert v.COMMON_WORDS <= v.KNOWN_WORDS
    assert set(v.NUMBERS) <= v.TARGET_WORDS
    assert v.TARGETS == sorted(v.TARGET_WORDS)
    assert v.SHORT_TARGETS == sorted(v.SHORT_TARGETS)
    assert set(v.SHORT_TARGETS) <= v.TARGET_WORDS
    assert "chair" in v.COMMON_WORDS and "chair" not in v.TARGET_WORDS


def test_no_table_word_is_ever_corrected_into_another():
    plain = (*v.SLOW_PACES, *v.FAST_PACES, *v.NEUTRAL_PACES, *v.SLOW_WORDS, *v.SIDE_VERBS,
             *v.APPROXIMATELY, *v.LIGHT_VERBS, *v.REPEATS, *v.QUANTITIES, *v.NUMBERS,
             *(w for w in v.FAST_WORDS if "\\" not in w))
    for phrase in plain:
        for word in phrase.split():
            assert correct_word(word, v.KNOWN_WORDS, v.TARGETS) == word


def test_speed_tables_do_not_contradict():
    assert not set(v.SLOW_PACES) & set(v.FAST_PACES)
    assert not set(v.NEUTRAL_PACES) & (set(v.SLOW_PACES) | set(v.FAST_PACES))
    assert not set(v.SLOW_WORDS) & set(v.FAST_WORDS)


@pytest.mark.parametrize(
    "phrase",
    ["stop", "stop the robot", "emergency stop", "estop", "halt", "stay put", "do not move",
     "abort that", "thats enough", "hang on a minute", "nevermind", "quit", "pause"],
)
def test_each_stop_phrase_is_one_of_the_alternatives(phrase):
    assert any(re.fullmatch(alt, phrase) for alt in v.STOP_ALTERNATIVES)


@pytest.mark.parametrize("phrase", ["stop by the door", "wait for me", "walk"])
def test_not_a_stop_alternative(phrase):
    assert not any(re.fullmatch(alt, phrase) for alt in v.STOP_ALTERNATIVES)


@pytest.mark.parametrize(
    ("text", "said"),
    [("walk then bow", "then"), ("walk and then bow", "and then"),
     ("walk after that bow", "after that"), ("walk once you're done bow", "once you're done"),
     ("walk when it is finished bow", "when it is finished"), ("walk next bow", "next"),
     ("stand next to the door", None), ("take the next step", None), ("walk and bow", None)],
)
def test_connective(text, said):
    found = re.search(rf"\b{v.CONNECTIVE}", text, re.I | re.X)
    assert (found.group() if found else None) == said
