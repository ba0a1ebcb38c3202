"""Cleaning the words of a command (molingo_ros.language.spelling): Unicode and quotes,
punctuation, numbers and units, and the conservative typo correction."""

from __future__ import annotations

import pytest

from molingo_ros.language.spelling import (
    clean_words,
    correct_word,
    edit_distance,
    is_known,
    normalize,
    tidy,
)
from molingo_ros.language.vocabulary import KNOWN_WORDS, TARGETS


def correct(word: str, known: frozenset[str] = KNOWN_WORDS) -> str:
    return correct_word(word, known, TARGETS)


def test_normalize():
    assert normalize("  Don\u2019t  \u201cWAVE\u201d\t") == "don't \"wave\""
    assert normalize("\uff37ave") == "wave"  # fullwidth W (NFKC)


def test_tidy_keeps_case():
    assert tidy("  Don\u2019t  \u201cWAVE\u201d\t") == "Don't \"WAVE\""
    assert tidy("walk\u00a0\u00a0forward") == "walk forward"  # no-break spaces collapse


@pytest.mark.parametrize("word", ["walk", "waves", "waved", "lifting", "jogging", "bowed"])
def test_known_words_and_their_plain_inflections(word):
    assert is_known(word, KNOWN_WORDS)


@pytest.mark.parametrize("word", ["wavy", "xyzs", "wlak", "ed"])
def test_unknown_words(word):
    assert not is_known(word, KNOWN_WORDS)


def test_inflection_of_a_caller_word():
    assert not is_known("cartwheels", KNOWN_WORDS)
    assert is_known("cartwheels", KNOWN_WORDS | {"cartwheel"})


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("kitten", "sitting", 3), ("", "abc", 3), ("walk", "walk", 0), ("wlak", "walk", 2),
     ("hand", "hnd", 1)],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("wlak", "walk"),  # adjacent swap
        ("hnad", "hand"),
        ("forwrad", "forward"),
        ("trun", "turn"),
        ("kcik", "kick"),
        ("stpo", "stop"),
        ("backwardz", "backward"),  # one edit, difflib
        ("yor", "your"),  # a 3-letter word gains a letter
        ("wav", "wave"),
    ],
)
def test_typos_become_the_word_meant(typo, word):
    assert correct(typo) == word


@pytest.mark.parametrize("word", ["advance", "world", "caf\u00e9", "xq", "asdf", "wave", "3rd"])
def test_real_unknown_short_or_non_ascii_words_stay(word):
    assert correct(word) == word


def test_a_dictionary_word_is_not_corrected():
    assert correct("flight") == "fight"
    assert correct("flight", KNOWN_WORDS | {"flight"}) == "flight"


def test_caller_targets_are_used_for_long_words():
    assert correct_word("cartwheal", KNOWN_WORDS, TARGETS) == "cartwheal"
    assert correct_word("cartwheal", KNOWN_WORDS, sorted([*TARGETS, "cartwheel"])) == "cartwheel"


def test_clean_words_punctuation_numbers_and_typos():
    text = "Walk_forwrad 3sec, then e-stop! 2.5s... don't 'wave'\u2014NOW!!"
    assert clean_words(text, KNOWN_WORDS, TARGETS) == (
        "walk forward 3 sec then e-stop 2.5 s don't wave now"
    )


def test_clean_words_of_punctuation_only_is_empty():
    assert clean_words("?!... -- ''", KNOWN_WORDS, TARGETS) == ""
