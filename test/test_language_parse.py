"""Parsing operator commands into plans (molingo_ros.language.parse): splitting, durations and
counts, speed, fillers, typos and stop phrases, end to end through :func:`parse_command`.
The steps alone are tested in test_language_clauses / _modifiers / _spelling / _vocabulary."""

from __future__ import annotations

import pytest

from molingo_ros.language.parse import (
    MIN_COUNT_SECONDS,
    REPETITION_SECONDS,
    STEP_SECONDS,
    CommandPlan,
    Segment,
    is_stop_phrase,
    parse_command,
)


def texts(command: str) -> list[str]:
    return [s.text for s in parse_command(command).segments]


def one(command: str) -> Segment:
    plan = parse_command(command)
    assert len(plan.segments) == 1, plan
    return plan.segments[0]


# -- the README example and the plan ------------------------------------------------------


def test_readme_example_gives_two_segments_in_order():
    plan = parse_command("walk forward, then wave with your right hand")
    assert isinstance(plan, CommandPlan)
    assert [s.text for s in plan.segments] == ["walk forward", "wave with your right hand"]
    assert [s.raw for s in plan.segments] == ["walk forward", "wave with your right hand"]
    assert plan.text == "walk forward, then wave with your right hand"
    assert not plan.stop and not plan.is_stop and plan.notes == ()
    first = plan.segments[0]
    assert (first.seconds, first.count, first.count_unit, first.speed) == (None,) * 4


def test_plan_text_is_whitespace_normalised_and_raw_keeps_case():
    plan = parse_command("  Walk   FORWARD,\tthen  Wave!  ")
    assert plan.text == "Walk FORWARD, then Wave!"
    assert [s.raw for s in plan.segments] == ["Walk FORWARD", "Wave"]
    assert [s.text for s in plan.segments] == ["walk forward", "wave"]


def test_plan_and_segment_are_frozen():
    plan = parse_command("wave")
    with pytest.raises(AttributeError):
        plan.stop = True  # type: ignore[misc]
    with pytest.raises(AttributeError):
        plan.segments[0].text = "run"  # type: ignore[misc]


# -- splitting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "walk forward then wave",
        "walk forward and then wave",
        "walk forward, then wave",
        "walk forward, and then wave",
        "walk forward after that wave",
        "walk forward, and after that wave",
        "walk forward, afterwards wave",
        "walk forward afterward wave",
        "walk forward after this wave",
        "walk forward, next wave",
        "walk forward followed by wave",
        "first walk forward, then wave",
        "first, walk forward and then wave",
        "walk forward and finally wave",
        "walk forward, lastly wave",
        "walk forward, once done wave",
        "walk forward, when you're done, wave",
        "walk forward, when you are done wave",
        "walk forward; wave",
        "walk forward, wave",
        "Walk forward. Then wave.",
        "walk forward... then wave!",
    ],
)
def test_every_connective_splits_in_order(command):
    assert texts(command) == ["walk forward", "wave"]


def test_curly_apostrophe_in_connective_still_splits():
    assert texts("walk forward, when you\u2019re done wave") == ["walk forward", "wave"]


def test_three_clauses_keep_their_order():
    assert texts("first turn left, then walk forward, and finally bow") == [
        "turn left",
        "walk forward",
        "bow",
    ]


def test_followed_by_keeps_the_verb_form():
    assert texts("walk forward followed by waving") == ["walk forward", "waving"]


def test_plain_and_does_not_split():
    assert texts("raise both hands and wave") == ["raise both hands and wave"]
    assert texts("lift your right arm and wave hello") == ["lift your right arm and wave hello"]


def test_next_to_is_not_a_connective():
    assert texts("walk next to the wall") == ["walk next to the wall"]


def test_leading_comma_and_is_dropped():
    assert texts("walk forward, and wave") == ["walk forward", "wave"]


def test_modifier_only_piece_merges_into_the_next_clause():
    seg = one("slowly, walk forward")
    assert seg.text == "walk forward"
    assert seg.speed == "slow"
    assert seg.raw == "slowly, walk forward"


def test_modifier_only_piece_merges_into_the_previous_clause():
    seg = one("walk forward for 3 seconds, please")
    assert seg.text == "walk forward"
    assert seg.seconds == 3.0
    assert seg.raw == "walk forward for 3 seconds, please"
    plan = parse_command("walk forward, for 4 seconds; then wave, quickly")
    assert [(s.text, s.seconds, s.speed) for s in plan.segments] == [
        ("walk forward", 4.0, None),
        ("wave", None, "fast"),
    ]


def test_merged_piece_never_overrides_the_clause():
    plan = parse_command("walk forward for 3 seconds, for 5 seconds")
    assert plan.segments[0].seconds == 3.0
    assert any("for 5 seconds" in note for note in plan.notes)


def test_modifier_with_no_motion_is_noted():
    plan = parse_command("slowly")
    assert plan.segments == () and not plan.stop
    assert any("slowly" in note for note in plan.notes)


def test_only_fillers_give_an_empty_plan_with_a_note():
    plan = parse_command("thanks!")
    assert plan.segments == () and not plan.stop
    assert plan.notes


# -- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "seconds"),
    [
        ("for 3 seconds", 3.0),
        ("for 3 s", 3.0),
        ("for 3s", 3.0),
        ("for 3 sec", 3.0),
        ("for 3 secs", 3.0),
        ("for 2.5 seconds", 2.5),
        ("for five seconds", 5.0),
        ("for ten seconds", 10.0),
        ("for twenty seconds", 20.0),
        ("for half a minute", 30.0),
        ("for a minute", 60.0),
        ("for 1 minute", 60.0),
        ("for 2 mins", 120.0),
        ("for one and a half minutes", 90.0),
        ("for a second", 1.0),
        ("for a couple of seconds", 2.0),
        ("for a few seconds", 3.0),
        ("for several seconds", 4.0),
        ("for about 6 seconds", 6.0),
        ("4 seconds", 4.0),
    ],
)
def test_durations_in_digits_and_words(phrase, seconds):
    seg = one(f"walk forward {phrase}")
    assert seg.text == "walk forward"
    assert seg.seconds == pytest.approx(seconds)
    assert seg.count is None and seg.count_unit is None


def test_duration_before_the_motion():
    seg = one("3 seconds of walking")
    assert (seg.text, seg.seconds) == ("walking", 3.0)


@pytest.mark.parametrize("phrase", ["for a while", "a bit", "for a little bit", "for a moment"])
def test_vague_durations_are_removed_without_a_value(phrase):
    seg = one(f"walk forward {phrase}")
    assert seg.text == "walk forward"
    assert seg.seconds is None


def test_zero_duration_is_ignored_with_a_note():
    plan = parse_command("walk forward for 0 seconds")
    assert plan.segments[0].seconds is None
    assert plan.notes


# -- counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "text", "count"),
    [
        ("take a few steps forward", "take steps forward", 3),
        ("take two steps forward", "take steps forward", 2),
        ("walk 3 steps forward", "walk forward", 3),
        ("walk four paces", "walk", 4),
        ("take a couple of steps back", "take steps back", 2),
        ("walk forward for a few steps", "walk forward", 3),
        ("walk six strides", "walk", 6),
        ("take a step forward", "take a step forward", 1),
    ],
)
def test_step_counts(command, text, count):
    seg = one(command)
    assert (seg.text, seg.count, seg.count_unit) == (text, count, "steps")
    assert seg.seconds == pytest.approx(max(MIN_COUNT_SECONDS, count * STEP_SECONDS))


@pytest.mark.parametrize(
    ("command", "count"),
    [
        ("wave twice", 2),
        ("wave once", 1),
        ("wave three times", 3),
        ("wave 2 times", 2),
        ("wave thrice", 3),
        ("wave a few times", 3),
        ("wave a couple of times", 2),
        ("wave 5 times", 5),
    ],
)
def test_repetition_counts(command, count):
    seg = one(command)
    assert (seg.text, seg.count, seg.count_unit) == ("wave", count, "times")
    assert seg.seconds == pytest.approx(max(MIN_COUNT_SECONDS, count * REPETITION_SECONDS))


def test_counts_never_give_less_than_the_minimum():
    assert one("take two steps").seconds == MIN_COUNT_SECONDS
    assert one("wave once").seconds == MIN_COUNT_SECONDS
    assert one("walk ten steps").seconds == pytest.approx(10 * STEP_SECONDS)


def test_explicit_duration_beats_a_count():
    seg = one("wave twice for 5 seconds")
    assert (seg.count, seg.count_unit, seg.seconds) == (2, "times", 5.0)
    seg = one("walk for 1 second, ten steps")
    assert (seg.count, seg.seconds) == (10, 1.0)


# -- speed ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "speed"),
    [
        ("walk forward slowly", "slow"),
        ("slowly walk forward", "slow"),
        ("walk forward slow", "slow"),
        ("gently walk forward", "slow"),
        ("carefully walk forward", "slow"),
        ("walk forward at a slow pace", "slow"),
        ("walk forward quickly", "fast"),
        ("walk forward quick", "fast"),
        ("walk forward fast", "fast"),
        ("rapidly walk forward", "fast"),
        ("briskly walk forward", "fast"),
        ("hurry up and walk forward", "fast"),
        ("walk forward in a hurry", "fast"),
        ("walk forward at full speed", "fast"),
        ("walk forward", None),
        ("walk forward at a normal pace", None),
    ],
)
def test_speed_words(command, speed):
    seg = one(command)
    assert seg.text == "walk forward"
    assert seg.speed == speed


def test_conflicting_speed_keeps_the_first_with_a_note():
    plan = parse_command("walk forward quickly and slowly")
    assert plan.segments[0].speed == "fast"
    assert plan.notes


def test_speed_inside_a_count():
    seg = one("take two quick steps")
    assert (seg.text, seg.count, seg.speed) == ("take steps", 2, "fast")


# -- fillers, politeness, questions ----------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "please wave",
        "wave please",
        "pls wave",
        "plz wave",
        "could you wave?",
        "can you wave?",
        "Can you please wave?",
        "would you wave",
        "will you wave",
        "would you mind waving",
        "i want you to wave",
        "I'd like you to wave",
        "i would like you to wave",
        "go ahead and wave",
        "wave now",
        "wave right now",
        "just wave",
        "kindly wave",
        "robot, wave",
        "hey, wave",
        "hey robot wave",
        "ok wave",
        "okay, wave",
        "alright wave",
        "wave, thanks",
        "wave thank you",
        "wave for me",
        "let's wave",
        "let us wave",
        "try to wave",
        "wave!",
        "wave.",
    ],
)
def test_fillers_and_politeness_are_removed(command):
    assert texts(command) in (["wave"], ["waving"])


def test_right_is_kept_when_it_is_a_side():
    assert texts("turn right") == ["turn right"]
    assert texts("alright, wave with your right hand") == ["wave with your right hand"]
    assert texts("turn right now") == ["turn right"]


def test_robot_is_kept_when_it_is_not_an_address():
    assert texts("walk like a robot") == ["walk like a robot"]


# -- case, punctuation, typos ---------------------------------------------------------------


def test_case_and_punctuation_do_not_matter():
    assert texts("WALK FORWARD!!!") == ["walk forward"]
    assert texts("Wave with your RIGHT hand?!") == ["wave with your right hand"]


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("wlak forward", "walk forward"),
        ("wave with yor right hnad", "wave with your right hand"),
        ("trun left", "turn left"),
        ("rasie your hand", "raise your hand"),
        ("walk forwrd", "walk forward"),
        ("kcik", "kick"),
    ],
)
def test_typos_are_corrected(command, text):
    assert texts(command) == [text]


def test_known_and_unknown_words_are_not_corrected():
    assert texts("asdf qwerty") == ["asdf qwerty"]
    assert texts("lie down on the floor") == ["lie down on the floor"]
    assert texts("raise your left leg") == ["raise your left leg"]
    assert texts("walks forward and waves") == ["walks forward and waves"]


def test_caller_vocabulary_extends_typo_correction():
    assert texts("do a cartwheal") == ["do a cartwheal"]
    plan = parse_command("do a cartwheal", vocabulary=["cartwheel", "backflip"])
    assert [s.text for s in plan.segments] == ["do a cartwheel"]
    assert [s.text for s in parse_command("backflpi", vocabulary="backflip").segments] == [
        "backflip"
    ]


# -- operator phrasings keep their meaning words ---------------------------------------------


def test_go_forward_at_a_normal_pace():
    seg = one("go forward at a normal pace")
    assert seg.text == "go forward"
    assert seg.speed is None


def test_walk_straight_ahead_for_a_few_steps():
    seg = one("please walk straight ahead for a few steps")
    assert seg.text == "walk straight ahead"
    assert (seg.count, seg.count_unit) == (3, "steps")


def test_back_up_a_few_paces():
    seg = one("back up a few paces")
    assert "back up" in seg.text
    assert (seg.count, seg.count_unit) == (3, "steps")


@pytest.mark.parametrize(
    "command",
    [
        "say goodbye with your left hand",
        "lift your right arm and wave hello",
        "do a strong kick",
        "sit down on the chair",
        "walk to the bus stop",
    ],
)
def test_phrasings_are_untouched_apart_from_cleaning(command):
    assert texts(command) == [command]
    assert texts(command.capitalize() + ".") == [command]


# -- stop phrases ---------------------------------------------------------------------------


STOPS = [
    "stop",
    "STOP!",
    "STOP!!",
    "stop stop stop!",
    "Stop, stop, STOP",
    "halt",
    "freeze",
    "stand still",
    "hold still",
    "stay still",
    "keep still",
    "don't move",
    "don\u2019t move",
    "do not move",
    "cancel",
    "cancel that",
    "cancel it",
    "abort",
    "that's enough",
    "thats enough",
    "enough",
    "stop it",
    "stop that",
    "stop now",
    "stop moving",
    "stop walking",
    "stop dancing",
    "stop everything",
    "emergency stop",
    "e-stop",
    "estop",
    "wait",
    "hold on",
    "hold it",
    "never mind",
    "nevermind",
    "quit",
    "pause",
    "please halt now",
    "could you please stop now?",
    "robot, stop!",
    "stpo",
    "hlat",
]


@pytest.mark.parametrize("command", STOPS)
def test_stop_phrases(command):
    assert is_stop_phrase(command)
    plan = parse_command(command)
    assert plan.stop and plan.is_stop
    assert plan.segments == ()
    assert plan.notes == ()


@pytest.mark.parametrize(
    "command",
    ["walk to the bus stop", "stop, then wave", "wave", "", "   ", "stop for 2 seconds"],
)
def test_not_stop_phrases(command):
    assert not is_stop_phrase(command)


def test_bus_stop_is_a_motion():
    plan = parse_command("walk to the bus stop")
    assert not plan.stop
    assert texts("walk to the bus stop") == ["walk to the bus stop"]


def test_leading_stop_holds_then_runs_the_rest():
    plan = parse_command("stop, then wave")
    assert plan.stop and not plan.is_stop
    assert [s.text for s in plan.segments] == ["wave"]
    assert plan.notes == ()
    plan = parse_command("Stop! Stop! Walk forward.")
    assert plan.stop and [s.text for s in plan.segments] == ["walk forward"]


def test_trailing_stop_just_ends_the_plan():
    plan = parse_command("walk forward, then stop")
    assert not plan.stop
    assert [s.text for s in plan.segments] == ["walk forward"]
    assert plan.notes == ()


def test_and_stop_at_the_end_of_a_clause_just_ends_it():
    assert texts("walk forward and stop") == ["walk forward"]
    assert texts("wave twice and then stop") == ["wave"]
    assert texts("walk to the bus stop") == ["walk to the bus stop"]


def test_middle_stop_is_dropped_with_a_note():
    plan = parse_command("walk forward, stop, then wave")
    assert not plan.stop
    assert [s.text for s in plan.segments] == ["walk forward", "wave"]
    assert plan.notes == ("ignored 'stop' in the middle of the command",)


def test_stop_with_a_duration_is_a_timed_pause():
    plan = parse_command("walk forward, stop for 2 seconds, then wave")
    assert [(s.text, s.seconds) for s in plan.segments] == [
        ("walk forward", None),
        ("stop", 2.0),
        ("wave", None),
    ]


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "   ", "\n\t"])
def test_empty_text_is_refused(bad):
    with pytest.raises(ValueError, match="empty"):
        parse_command(bad)


@pytest.mark.parametrize("bad", [None, 3, b"walk", ["walk"]])
def test_non_str_is_refused(bad):
    with pytest.raises(ValueError, match="str"):
        parse_command(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="str"):
        is_stop_phrase(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "command",
    [
        "advance on foot",
        "bow like a gentleman",
        "lie on the bed",
        "scratch your nose",
        "put on a hat",
        "hello world",
    ],
)
def test_real_words_near_motion_words_are_not_corrected(command):
    assert texts(command) == [command]


def test_a_dictionary_keeps_real_words_and_typos_are_still_fixed():
    words = frozenset({"flight", "advance", "lunch"})
    assert parse_command("book a flight").segments[0].text == "book a fight"  # no dictionary
    assert parse_command("book a flight", dictionary=words).segments[0].text == "book a flight"
    assert parse_command("have lunch", dictionary=words).segments[0].text == "have lunch"
    assert parse_command("wlak forward", dictionary=words).segments[0].text == "walk forward"
