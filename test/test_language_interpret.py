"""The command interpreter (molingo_ros.language.interpret) on the shipped model: motion plans,
stops and refusals, segment lengths and the operator's one-line message."""

from __future__ import annotations

import pytest

from molingo_ros.language.interpret import (
    KINDS,
    STOP_MESSAGE,
    CommandInterpreter,
    MotionPlan,
)


@pytest.fixture(scope="module")
def interpreter(matcher) -> CommandInterpreter:
    return CommandInterpreter(matcher)


def _check_kind(plan: MotionPlan) -> None:
    assert plan.kind in KINDS
    if plan.kind != "motion":
        assert plan.segments == () and plan.timed_commands() == [] and plan.seconds == 0.0


# -- motion plans ----------------------------------------------------------------------------


def test_the_readme_example(interpreter, catalogue):
    plan = interpreter.interpret("walk forward, then wave with your right hand")
    _check_kind(plan)
    assert plan.kind == "motion" and not plan.stop_first and plan.refused == ()
    assert [s.skill for s in plan.segments] == ["walk", "wave-right-hand"]
    assert [s.raw for s in plan.segments] == ["walk forward", "wave with your right hand"]
    d = interpreter.default_segment_s
    assert [s.seconds for s in plan.segments] == [d, d]
    assert plan.seconds == 2 * d
    assert plan.timed_commands() == [
        (catalogue.caption("walk"), 0.0),
        (catalogue.caption("wave-right-hand"), d),
    ]
    assert plan.timed_commands()[1][0] == "a person waves with their right hand"
    assert all(s.confidence >= interpreter.matcher.threshold for s in plan.segments)
    assert plan.message() == f"walk (normal, {d:.1f} s) then wave-right-hand (normal, {d:.1f} s)"


def test_a_said_duration_and_the_default(interpreter):
    plan = interpreter.interpret("walk forward for 3 seconds, then bow")
    assert plan.kind == "motion"
    assert [s.skill for s in plan.segments] == ["walk", "bow"]
    assert [s.seconds for s in plan.segments] == [3.0, interpreter.default_segment_s]
    assert [t for _, t in plan.timed_commands()] == [0.0, 3.0]
    assert plan.seconds == 3.0 + interpreter.default_segment_s
    # A bow has no "normal" takes: its default style is named in the message.
    bow = plan.segments[1]
    assert bow.style != "normal"
    assert f"bow ({bow.style}, 5.0 s)" in plan.message()


@pytest.mark.parametrize(
    ("text", "duration_s", "lengths"),
    [
        ("walk forward, then bow", 8.0, [4.0, 4.0]),
        ("walk forward for 2 seconds, then bow, then turn left", 10.0, [2.0, 4.0, 4.0]),
        ("walk forward", 7.5, [7.5]),
        # Nothing left for the unset part: the shortest segment.
        ("walk forward for 3 seconds, then bow", 2.0, [3.0, 1.0]),
        # Every part said: the command's length does not change them.
        ("walk forward for 2 seconds, then bow for 3 seconds", 20.0, [2.0, 3.0]),
        # Bounded by min_segment_s / max_segment_s.
        ("walk forward, then bow", 0.5, [1.0, 1.0]),
        ("walk forward for 100 seconds", 0.0, [60.0]),
        ("walk forward", 500.0, [60.0]),
    ],
)
def test_segment_lengths(interpreter, text, duration_s, lengths):
    plan = interpreter.interpret(text, duration_s=duration_s)
    assert plan.kind == "motion"
    assert [s.seconds for s in plan.segments] == pytest.approx(lengths)
    starts = [t for _, t in plan.timed_commands()]
    assert starts == pytest.approx([sum(lengths[:i]) for i in range(len(lengths))])


def test_segment_settings(matcher):
    it = CommandInterpreter(matcher, default_segment_s=2.0, min_segment_s=0.5, max_segment_s=3.0)
    plan = it.interpret("walk forward, then bow for 10 seconds")
    assert [s.seconds for s in plan.segments] == [2.0, 3.0]


@pytest.mark.parametrize(
    "kw",
    [
        {"min_segment_s": 0.0},
        {"min_segment_s": -1.0},
        {"min_segment_s": 6.0},  # above the default 5
        {"default_segment_s": 70.0},  # above the max 60
        {"max_segment_s": 4.0},  # below the default 5
    ],
)
def test_bad_segment_settings_raise(matcher, kw):
    with pytest.raises(ValueError, match="segment lengths"):
        CommandInterpreter(matcher, **kw)


def test_from_model(model):
    it = CommandInterpreter.from_model(model, default_segment_s=3.0)
    assert it.default_segment_s == 3.0
    assert [s.seconds for s in it.interpret("bow").segments] == [3.0]


def test_a_middle_stop_is_ignored_with_a_note(interpreter):
    plan = interpreter.interpret("walk forward, then stop, then bow")
    assert plan.kind == "motion" and not plan.stop_first
    assert [s.skill for s in plan.segments] == ["walk", "bow"]
    assert plan.notes and "stop" in plan.notes[0]
    assert plan.message().endswith(f"; note: {plan.notes[0]}")


# -- stops -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["stop", "Stop!", "halt"])
def test_stop(interpreter, text):
    plan = interpreter.interpret(text)
    _check_kind(plan)
    assert plan.kind == "stop" and plan.stop_first
    assert plan.segments == () and plan.refused == ()
    assert plan.message() == STOP_MESSAGE


def test_stop_then_a_motion(interpreter):
    plan = interpreter.interpret("stop, then turn left")
    assert plan.kind == "motion" and plan.stop_first
    assert [s.skill for s in plan.segments] == ["walk-turn-left"]
    assert plan.message() == (
        f"stop, then walk-turn-left (normal, {interpreter.default_segment_s:.1f} s)"
    )


# -- refusals --------------------------------------------------------------------------------


def test_an_unknown_action_is_refused(interpreter):
    plan = interpreter.interpret("sit down on the chair")
    _check_kind(plan)
    assert plan.kind == "refused" and not plan.stop_first
    assert len(plan.refused) == 1 and not plan.refused[0].accepted
    msg = plan.message()
    assert msg == plan.refused[0].refusal()
    assert msg.startswith("I can't do 'sit down on the chair'; closest: ")
    assert len(msg.split("closest: ")[1].split(", ")) == 3


def test_a_compound_with_one_unknown_part_is_refused_naming_it(interpreter):
    plan = interpreter.interpret("walk forward, then open the door, then bow")
    _check_kind(plan)
    assert plan.kind == "refused"
    assert [g.segment.raw for g in plan.refused] == ["open the door"]
    msg = plan.message()
    assert msg.startswith("I can't do 'open the door'; closest: ")
    assert "walk forward" not in msg and "bow" not in msg.split(";")[0]


def test_two_unknown_parts_are_both_named(interpreter):
    plan = interpreter.interpret("open the door, then sit down on the chair")
    assert plan.kind == "refused"
    assert [g.segment.raw for g in plan.refused] == ["open the door", "sit down on the chair"]
    assert plan.message() == "; ".join(g.refusal() for g in plan.refused)


def test_stop_then_an_unknown_action_is_refused_but_keeps_the_stop(interpreter):
    plan = interpreter.interpret("stop, then open the door")
    assert plan.kind == "refused" and plan.stop_first


@pytest.mark.parametrize("text", ["please", "?"])
def test_a_command_without_any_motion_is_refused_with_a_reason(interpreter, text):
    plan = interpreter.interpret(text)
    _check_kind(plan)
    assert plan.kind == "refused" and plan.refused == ()
    assert "found no motion" in plan.message()
    assert text in plan.message()


def test_allow_unknown_plays_the_operators_words(matcher):
    it = CommandInterpreter(matcher, allow_unknown=True)
    plan = it.interpret("walk forward, then open the door")
    assert plan.kind == "motion"
    assert [c for c, _ in plan.timed_commands()] == ["a person walks forward", "open the door"]


@pytest.mark.parametrize("text", ["", "   ", None, 3])
def test_no_text_raises(interpreter, text):
    with pytest.raises(ValueError):
        interpreter.interpret(text)


def test_the_encoder_vocabulary_is_the_parsers_dictionary(interpreter):
    from molingo_ros.language.interpret import english_words

    words = interpreter.dictionary
    assert {"flight", "advance", "walk", "lunch"} <= words
    assert not {"wlak", "hnad", "stpo", "forwrad"} & words
    assert english_words(None) == frozenset()
    assert interpreter.interpret("book a flight").kind == "refused"
    plan = interpreter.interpret("wlak forwrad")
    assert plan.kind == "motion" and plan.segments[0].skill == "walk"
