"""Reference phrasings of the skills (molingo_ros.language.phrasings): operator phrasings,
captions turned into imperatives, and the background class."""

from __future__ import annotations

from collections import Counter

import pytest

from molingo_ros.language.phrasings import (
    BACKGROUND_PHRASES,
    OPERATOR_PHRASES,
    imperative,
    reference_phrasings,
)
from molingo_ros.motion import captions


@pytest.mark.parametrize(
    ("caption", "command"),
    [
        ("a person waves with their right hand", "wave with your right hand"),
        ("someone walks and turns left", "walk and turn left"),
        ("a man dashes forward", "dash forward"),
        ("the woman goes back", "go back"),
        ("a person tries hard", "try hard"),
        ("a person brushes himself off", "brush yourself off"),
        ("somebody misses his bus", "miss your bus"),
    ],
)
def test_imperative(caption, command):
    assert imperative(caption) == command


@pytest.mark.parametrize("caption", ["a giant walks forward", "a person", "walk forward", ""])
def test_no_imperative_without_a_plain_subject_and_a_verb(caption):
    assert imperative(caption) is None


def test_operator_phrases_cover_exactly_the_known_contents():
    assert set(OPERATOR_PHRASES) == set(captions.CONTENTS)


def test_phrases_are_lower_case_unique_and_not_background():
    operator = Counter(p for phrases in OPERATOR_PHRASES.values() for p in phrases)
    assert [p for p, n in operator.items() if n > 1] == []
    assert len(set(BACKGROUND_PHRASES)) == len(BACKGROUND_PHRASES)
    assert not set(operator) & set(BACKGROUND_PHRASES)
    for phrase in [*operator, *BACKGROUND_PHRASES]:
        assert phrase == " ".join(phrase.lower().split()), phrase


def test_reference_phrasings_operator_first_then_captions():
    refs = reference_phrasings("walk")
    n = len(OPERATOR_PHRASES["walk"])
    assert refs[:n] == OPERATOR_PHRASES["walk"]
    extra = refs[n:]
    assert extra[:2] == ("a person walks forward", "someone walks forward")
    assert "take a walk straight ahead" in extra  # an imperative of a caption
    assert len(set(refs)) == len(refs)
    train = set(captions.captions_for("walk", "normal", split="train"))
    for text in extra:
        assert text in train or any(imperative(c) == text for c in train), text
    # "... normally" captions add nothing for matching.
    assert not any(text.endswith("normally") for text in extra)


def test_reference_phrasings_limit():
    n = len(OPERATOR_PHRASES["walk"])
    assert n < len(reference_phrasings("walk")) <= n + 24
    assert len(reference_phrasings("walk", per_skill=5)) == n + 5
    assert reference_phrasings("walk", per_skill=2) == (
        *OPERATOR_PHRASES["walk"], "a person walks forward", "someone walks forward"
    )


def test_reference_phrasings_of_an_unknown_content_are_empty():
    assert reference_phrasings("no-such-skill") == ()
