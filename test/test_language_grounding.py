"""Grounding (molingo_ros.language.grounding) with the shipped model's catalogue, calibrated
settings and MiniLM encoder: refusals, skills, sides and styles."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from molingo_ros.language.grounding import (
    BUNDLE_KEY,
    DEFAULT_MARGIN,
    DEFAULT_THRESHOLD,
    SkillMatcher,
    apply_side,
    calibrate,
    detect_style,
    load_settings,
)
from molingo_ros.language.parse import parse_command


def ground(matcher: SkillMatcher, text: str, allow_unknown: bool = False):
    """The grounding of the single segment of ``text``."""
    segments = parse_command(text).segments
    assert len(segments) == 1, segments
    return matcher.ground(segments, allow_unknown=allow_unknown)[0]


# -- settings --------------------------------------------------------------------------------


def test_the_shipped_settings_were_chosen_on_validation(model, matcher):
    stored = json.loads(model.metadata[BUNDLE_KEY])
    settings = load_settings(model.metadata)
    assert settings["threshold"] == pytest.approx(stored["threshold"])
    assert settings["margin"] == pytest.approx(stored["margin"])
    assert (settings["threshold"], settings["margin"]) != (DEFAULT_THRESHOLD, DEFAULT_MARGIN)
    assert "validation" in settings["source"]
    assert matcher.threshold == pytest.approx(stored["threshold"])
    assert matcher.margin == pytest.approx(stored["margin"])


def test_settings_default_without_a_bundle_entry():
    assert load_settings({}) == {
        "threshold": DEFAULT_THRESHOLD,
        "margin": DEFAULT_MARGIN,
        "source": "default",
    }
    assert load_settings({BUNDLE_KEY: ""})["source"] == "default"
    # A margin is optional.
    assert load_settings({BUNDLE_KEY: '{"threshold": 0.6}'})["margin"] == DEFAULT_MARGIN


@pytest.mark.parametrize(
    "raw", ["{not json", "[1, 2]", '{"margin": 0.1}', '{"threshold": "high"}', '"0.5"']
)
def test_bad_settings_raise_value_error(raw):
    with pytest.raises(ValueError, match="bad grounding settings"):
        load_settings({BUNDLE_KEY: raw})


@pytest.mark.parametrize("kw", [{"threshold": 1.01}, {"threshold": -1.5}, {"margin": 2.0}])
def test_out_of_range_settings_raise(catalogue, model, kw):
    with pytest.raises(ValueError, match="must be in"):
        SkillMatcher(catalogue, model.text_encoder, **kw)


def test_a_threshold_override_is_kept(model):
    m = SkillMatcher.from_model(model, threshold=0.9)
    assert m.threshold == 0.9
    assert not ground(m, "walk happily").accepted  # 0.72 with the shipped threshold


# -- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["open the door", "sit down on the chair", "asdf qwerty"])
def test_unknown_actions_are_refused_naming_the_closest_skills(matcher, catalogue, text):
    g = ground(matcher, text)
    assert not g.accepted
    names = [n for n, _ in g.closest[:3]]
    assert len(set(names)) == 3 and all(n in catalogue for n in names)
    scores = [s for _, s in g.closest]
    assert scores == sorted(scores, reverse=True)
    assert g.confidence == pytest.approx(scores[0])
    assert g.refusal() == f"I can't do '{g.segment.raw}'; closest: {', '.join(names)}"
    assert re.fullmatch(r"I can't do '[^']+'; closest: [a-z-]+, [a-z-]+, [a-z-]+", g.refusal())
    assert g.segment.raw == text
    assert g.caption == g.segment.text  # never a skill's caption


def test_allow_unknown_accepts_with_the_operators_words(matcher):
    g = ground(matcher, "open the door", allow_unknown=True)
    assert g.accepted
    assert g.caption == "open the door"
    assert g.confidence < matcher.threshold
    # A known segment still gets its skill's caption.
    assert ground(matcher, "walk forward", allow_unknown=True).caption == "a person walks forward"


def test_no_segments_no_groundings(matcher):
    assert matcher.ground([]) == []


# -- skills ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "skill"),
    [
        ("walk forward", "walk"),
        ("turn left", "walk-turn-left"),
        ("turn right", "walk-turn-right"),
        ("take a bow", "bow"),
        ("raise both hands", "raise-up-both-hands"),
        ("run", "run"),
        ("walk backwards", "walk-back"),
    ],
)
def test_plain_commands_are_accepted_as_their_skill(matcher, catalogue, text, skill):
    g = ground(matcher, text)
    assert g.accepted, g.refusal()
    assert g.skill == skill
    assert g.confidence >= matcher.threshold
    assert g.caption == catalogue.caption(skill, g.style)


def test_one_encoder_call_grounds_segments_in_order(matcher):
    plan = parse_command("walk forward, then take a bow, then run")
    assert [g.skill for g in matcher.ground(plan.segments)] == ["walk", "bow", "run"]


# -- sides -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "skill"),
    [
        ("wave with your left hand", "wave-left-hand"),
        ("wave with your right hand", "wave-right-hand"),
        ("raise your hands", "raise-up-both-hands"),
        ("raise your left hand", "raise-up-left-hand"),
        ("wave with both hands", "wave-both-hands"),
    ],
)
def test_sides_come_from_the_words(matcher, text, skill):
    g = ground(matcher, text)
    assert g.accepted, g.refusal()
    assert g.skill == skill


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_goodbye_with_a_named_hand_uses_that_hand(matcher, side):
    g = ground(matcher, f"say goodbye with your {side} hand")
    assert g.accepted, g.refusal()
    assert f"{side}-hand" in g.skill
    assert side in g.caption


@pytest.mark.parametrize(
    ("skill", "text", "out"),
    [
        ("wave-right-hand", "wave with your left hand", "wave-left-hand"),
        ("wave-left-hand", "wave your right hand", "wave-right-hand"),
        ("wave-right-hand", "wave with your right hand", "wave-right-hand"),
        ("wave-right-hand", "wave with both hands", "wave-both-hands"),
        ("wave-left-hand", "wave with your left and right hand", "wave-both-hands"),
        ("wave-both-hands", "wave your left hand", "wave-left-hand"),
        ("raise-up-right-hand", "raise your hands", "raise-up-both-hands"),
        ("raise-up-both-hands", "raise your right arm", "raise-up-right-hand"),
        ("walk-turn-left", "turn right", "walk-turn-right"),
        ("walk-left", "walk to the right", "walk-right"),
        ("wave-right-hand", "wave hello", "wave-right-hand"),  # no side said
        ("walk", "walk to the left", "walk"),  # no sided form
        ("bow", "bow with your hands", "bow"),
        ("bye", "say goodbye with your left hand", "wave-left-hand"),
        ("byebye", "say goodbye with your right hand", "wave-right-hand"),
        ("byebye", "wave goodbye with both hands", "byebye"),
    ],
)
def test_apply_side(catalogue, skill, text, out):
    assert apply_side(skill, text, catalogue) == out


def test_apply_side_keeps_a_skill_whose_other_side_is_unknown():
    only_right = {"wave-right-hand": None, "raise-up-right-hand": None}
    assert apply_side("wave-right-hand", "wave your left hand", only_right) == "wave-right-hand"
    assert apply_side("raise-up-right-hand", "raise both hands", only_right) == (
        "raise-up-right-hand"
    )


# -- styles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("walk happily", "happy"),
        ("walk like an old man", "old"),
        ("walk like an elderly person", "old"),
        ("wave shyly", "not-confident"),
        ("run like a thug", "chimpira"),
        ("bow in a tired way", "tired"),
        ("walk sleepy", "tired"),
        ("walk with your head held high", "proud"),
        ("walk forward", None),
        ("walk boldly", None),  # "old" only as a whole word
        ("unhappy walk", "sad"),  # a whole word: "unhappy" is sad, not "happy"
    ],
)
def test_detect_style(text, style):
    assert detect_style(text) == style


def test_walk_happily(matcher, catalogue):
    g = ground(matcher, "walk happily")
    assert g.accepted and g.skill == "walk" and g.style == "happy"
    assert g.caption == catalogue.caption("walk", "happy")
    assert "happy" in g.caption


def test_walk_like_an_old_man(matcher, catalogue):
    g = ground(matcher, "walk like an old man")
    assert g.accepted and g.skill == "walk"
    assert g.style in ("old", "elderly") and g.style in catalogue["walk"].styles
    assert g.caption == catalogue.caption("walk", g.style)


def test_an_asked_style_the_skill_lacks_falls_back_to_its_default(matcher, catalogue):
    # The raise-up data has no "sad" takes: the default style, not a made-up one.
    assert "sad" not in catalogue["raise-up-both-hands"].styles
    g = ground(matcher, "raise both hands sadly")
    assert g.skill == "raise-up-both-hands" and g.style == "normal"
    # An alias the data has: old -> elderly.
    g = ground(matcher, "raise both hands like an old man")
    assert g.style == "elderly"


@pytest.mark.parametrize(("text", "skill", "speed"), [
    ("walk slowly", "walk", "slow"),
    ("walk quickly", "walk", "fast"),
    ("run slowly", "run", "slow"),
])
def test_speed_words_pick_the_slowest_or_fastest_style(matcher, catalogue, text, skill, speed):
    g = ground(matcher, text)
    assert g.segment.speed == speed
    assert g.accepted and g.skill == skill
    entry = catalogue[skill]
    enough = {s: d.speed_m_s for s, d in entry.styles.items() if d.takes >= 5}
    expected = (min if speed == "slow" else max)(enough, key=enough.get)
    assert g.style == expected
    assert g.caption == catalogue.caption(skill, expected)


def test_a_style_word_wins_over_a_speed_word(matcher):
    g = ground(matcher, "walk slowly and happily")
    assert g.skill == "walk" and g.style == "happy"


def test_speed_words_leave_gestures_in_their_default_style(matcher, catalogue):
    g = ground(matcher, "bow slowly")
    assert g.skill == "bow" and g.style == catalogue["bow"].default_style


# -- calibration ------------------------------------------------------------------------------


def test_calibrate_separates_two_groups():
    rng = np.random.default_rng(0)
    ins = rng.uniform(0.70, 0.95, 200)
    outs = rng.uniform(0.20, 0.50, 200)
    threshold, margin, rates = calibrate(ins, ins - 0.3, outs, outs - 0.3)
    assert 0.50 < threshold <= 0.70
    assert -0.10 <= margin <= 0.10
    assert rates == {"in_refused": 0.0, "out_accepted": 0.0}


def test_calibrate_uses_the_margin_when_confidences_overlap():
    # Same confidences; only the lead over the background tells the groups apart.
    rng = np.random.default_rng(1)
    ins = rng.uniform(0.60, 0.75, 200)
    outs = rng.uniform(0.60, 0.75, 200)
    threshold, margin, rates = calibrate(ins, ins - 0.05, outs, outs + 0.02)
    assert threshold <= 0.60
    assert -0.02 < margin <= 0.05
    assert rates == {"in_refused": 0.0, "out_accepted": 0.0}


def test_calibrate_picks_an_optimal_setting_when_the_optima_are_apart():
    # One in-vocabulary phrasing scores 0.49 and one out-of-vocabulary phrasing 0.70: a
    # threshold up to 0.49 or above 0.70 makes one error, one in between makes two. The
    # choice must be one of the best settings, not a point between them.
    ins = np.array([0.9, 0.9, 0.49])
    outs = np.array([0.3, 0.3, 0.7])
    low = np.zeros(3)
    threshold, margin, rates = calibrate(ins, low, outs, low)
    assert threshold <= 0.49 or threshold > 0.70
    assert rates["in_refused"] + rates["out_accepted"] == pytest.approx(1 / 3)
    assert -0.10 <= margin <= 0.10
