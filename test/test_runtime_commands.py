"""Operator commands (molingo_ros.runtime.commands): checking raw fields, and the bounded queue
with stale-command dropping."""

from __future__ import annotations

import math
import re

import pytest

from molingo_ros.runtime.commands import (
    MODES,
    Command,
    CommandError,
    CommandLimits,
    CommandQueue,
    check_command,
    check_stamp,
)

LIMITS = CommandLimits()


def cmd(text: str = "walk forward", mode: str = "queue", stamp_s: float = 0.0, **kw) -> Command:
    return check_command(text, mode=mode, stamp_s=stamp_s, seed=kw.pop("seed", 1), **kw)


# -- text ---------------------------------------------------------------------------------


def test_normal_text_is_stripped_and_collapsed():
    c = check_command("  a person\twalks   forward\n and  waves  ", seed=3, command_id="c1")
    assert isinstance(c, Command)
    assert c.text == "a person walks forward and waves"
    assert c.duration_s == LIMITS.default_duration_s
    assert c.mode == "replace"
    assert c.seed == 3
    assert c.id == "c1"
    assert c.stamp_s == 0.0


def test_non_ascii_letters_are_kept():
    assert check_command("marche — ünïcödé 走る", seed=0).text == "marche — ünïcödé 走る"


@pytest.mark.parametrize("text", ["", "   ", "\t\n\r ", b""])
def test_empty_text_is_rejected(text):
    with pytest.raises(CommandError, match="empty"):
        check_command(text)


def test_text_over_the_limit_names_the_limit():
    with pytest.raises(CommandError) as exc:
        check_command("a" * 100_000)
    msg = str(exc.value)
    assert "100000 characters" in msg
    assert str(LIMITS.max_text_chars) in msg
    assert "max_text_chars" in msg


def test_text_at_the_limit_is_accepted():
    limits = CommandLimits(max_text_chars=10)
    assert check_command("a" * 10, limits=limits).text == "a" * 10
    with pytest.raises(CommandError, match="limit is 10"):
        check_command("a" * 11, limits=limits)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("walk\x00forward", "U+0000"),
        ("\x1b[2Jwalk", "U+001B"),
        ("walk \u202eforward", "U+202E"),  # right-to-left override (format character)
        ("walk\x7f", "U+007F"),
        ("walk \ue000", "U+E000"),  # private use
    ],
)
def test_control_characters_are_rejected_and_named(text, code):
    with pytest.raises(CommandError, match="control") as exc:
        check_command(text)
    assert code in str(exc.value)


def test_valid_utf8_bytes_are_decoded():
    assert check_command("wave ✋".encode(), seed=0).text == "wave ✋"


@pytest.mark.parametrize("raw", [b"walk \xff forward", b"\xc3\x28", b"walk \xe2\x82"])
def test_invalid_utf8_bytes_are_rejected(raw):
    with pytest.raises(CommandError, match="not valid UTF-8"):
        check_command(raw)


def test_replacement_character_is_rejected():
    # What rclpy makes of a string field that arrived with invalid UTF-8.
    text = b"walk \xff forward".decode("utf-8", errors="replace")
    assert "\ufffd" in text
    with pytest.raises(CommandError, match="not valid UTF-8"):
        check_command(text)


@pytest.mark.parametrize("text", [None, 42, ["walk"]])
def test_non_string_text_is_rejected(text):
    with pytest.raises(CommandError, match="must be a string") as exc:
        check_command(text)
    assert type(text).__name__ in str(exc.value)


# -- duration -----------------------------------------------------------------------------


@pytest.mark.parametrize("duration", [math.nan, math.inf, -math.inf, -1.0, -1e-9])
def test_bad_duration_is_rejected_with_the_range(duration):
    with pytest.raises(CommandError, match="duration_s") as exc:
        check_command("walk", duration_s=duration)
    msg = str(exc.value)
    assert "120" in msg  # max_duration_s
    assert "default 5 s" in msg
    assert repr(duration) in msg


@pytest.mark.parametrize("duration", ["long", None, [3.0]])
def test_non_numeric_duration_is_rejected(duration):
    with pytest.raises(CommandError, match="must be a number of seconds") as exc:
        check_command("walk", duration_s=duration)
    assert repr(duration) in str(exc.value)


def test_duration_zero_means_default():
    assert check_command("walk", duration_s=0).duration_s == LIMITS.default_duration_s
    limits = CommandLimits(default_duration_s=7.5)
    assert check_command("walk", duration_s=0.0, limits=limits).duration_s == 7.5


def test_duration_is_clipped_to_the_limits():
    assert check_command("walk", duration_s=1e6).duration_s == LIMITS.max_duration_s
    assert check_command("walk", duration_s=0.01).duration_s == LIMITS.min_duration_s
    assert check_command("walk", duration_s=3.25).duration_s == 3.25
    assert check_command("walk", duration_s="2.5").duration_s == 2.5


# -- mode, seed, id, stamp ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"), [("replace", "replace"), ("queue", "queue"), (0, "replace"), (1, "queue")]
)
def test_valid_modes(mode, expected):
    assert check_command("walk", mode=mode).mode == expected


@pytest.mark.parametrize("mode", [2, -1, 255])
def test_bad_integer_mode_names_the_constants(mode):
    with pytest.raises(CommandError) as exc:
        check_command("walk", mode=mode)
    msg = str(exc.value)
    assert "0 (replace)" in msg and "1 (queue)" in msg
    assert str(mode) in msg


@pytest.mark.parametrize("mode", ["Replace", "append", "", None, True, 1.0])
def test_bad_mode_names_the_valid_modes(mode):
    with pytest.raises(CommandError) as exc:
        check_command("walk", mode=mode)
    msg = str(exc.value)
    assert "replace, queue" in msg
    assert repr(mode) in msg
    assert MODES == ("replace", "queue")


def test_seed_minus_one_draws_a_seed():
    assert check_command("walk", seed=-1, rng_seed=1234).seed == 1234
    drawn = {check_command("walk", seed=-1).seed for _ in range(20)}
    assert all(0 <= s < 2**31 for s in drawn)
    assert len(drawn) > 1  # really random, not a constant


def test_explicit_seed_is_kept():
    assert check_command("walk", seed=0).seed == 0
    assert check_command("walk", seed=2**40, rng_seed=5).seed == 2**40


@pytest.mark.parametrize("seed", [-2, -1000])
def test_seed_below_minus_one_is_rejected(seed):
    with pytest.raises(CommandError, match=">= 0, or -1") as exc:
        check_command("walk", seed=seed)
    assert str(seed) in str(exc.value)


def test_empty_id_gets_a_generated_one():
    a = check_command("walk", command_id="")
    b = check_command("walk", command_id="   ")
    assert a.id and b.id and a.id != b.id
    assert check_command("walk", command_id="  op-7 ").id == "op-7"


@pytest.mark.parametrize("command_id", ["x" * 257, "bad \ufffd id", 17])
def test_bad_id_is_rejected(command_id):
    with pytest.raises(CommandError, match="at most 256 characters"):
        check_command("walk", command_id=command_id)


def test_id_of_256_characters_is_accepted():
    assert check_command("walk", command_id="x" * 256).id == "x" * 256


def test_stamp_is_kept_and_must_be_finite():
    assert check_command("walk", stamp_s=12.5).stamp_s == 12.5
    with pytest.raises(CommandError, match="finite"):
        check_command("walk", stamp_s=math.nan)


# -- limits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_text_chars": 0}, "max_text_chars"),
        ({"min_duration_s": 0.0}, "min_duration_s"),
        ({"min_duration_s": 6.0, "default_duration_s": 5.0}, "min_duration_s"),
        ({"default_duration_s": 200.0}, "max_duration_s"),
        ({"max_duration_s": 1.0}, "max_duration_s"),
        ({"max_queue": -1}, "max_queue"),
        ({"max_age_s": -0.1}, "max_age_s"),
    ],
)
def test_inconsistent_limits_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CommandLimits(**kwargs)


# -- queue --------------------------------------------------------------------------------


def test_queue_is_bounded():
    q = CommandQueue(CommandLimits(max_queue=3))
    for i in range(3):
        assert q.push(cmd(f"step {i}")) == []
    assert len(q) == 3
    with pytest.raises(CommandError) as exc:
        q.push(cmd("one too many"))
    msg = str(exc.value)
    assert "max_queue" in msg and "3 waiting" in msg and "replace" in msg
    assert [c.text for c in q] == ["step 0", "step 1", "step 2"]


def test_queue_with_max_queue_zero_accepts_only_replace():
    q = CommandQueue(CommandLimits(max_queue=0))
    with pytest.raises(CommandError, match="max_queue"):
        q.push(cmd("queued"))
    assert q.push(cmd("now", mode="replace")) == []
    assert len(q) == 1


def test_replace_empties_the_queue_and_returns_what_it_dropped():
    q = CommandQueue()
    first, second = cmd("first"), cmd("second")
    q.push(first)
    q.push(second)
    new = cmd("stop and wave", mode="replace")
    dropped = q.push(new)
    assert dropped == [first, second]
    assert list(q) == [new]


def test_stale_commands():
    # The controller judges staleness on arrival (submit), against max_age_s.
    q = CommandQueue(CommandLimits(max_age_s=5.0))
    old1 = cmd("old 1", stamp_s=100.0)
    old2 = cmd("old 2", stamp_s=104.0)
    fresh = cmd("fresh", stamp_s=106.0)
    later = cmd("later", stamp_s=107.0)
    assert q.is_stale(old1, now_s=110.0) and q.is_stale(old2, now_s=110.0)
    assert not q.is_stale(fresh, now_s=110.0)
    # Exactly max_age_s old is still fresh.
    assert not q.is_stale(later, now_s=112.0)
    assert q.is_stale(later, now_s=112.001)


def test_unstamped_commands_are_never_stale():
    q = CommandQueue(CommandLimits(max_age_s=1.0))
    assert not q.is_stale(cmd("no stamp", stamp_s=0.0), now_s=1e9)


def test_max_age_zero_disables_the_check():
    q = CommandQueue(CommandLimits(max_age_s=0.0))
    assert not q.is_stale(cmd("ancient", stamp_s=1.0), now_s=1e6)


def test_remove_and_clear():
    q = CommandQueue()
    a = cmd("a", command_id="id-a")
    b = cmd("b", command_id="id-b")
    c = cmd("c", command_id="id-c")
    for x in (a, b, c):
        q.push(x)
    assert q.remove("id-b") == b
    assert q.remove("id-b") is None
    assert q.remove("nope") is None
    assert list(q) == [a, c]
    assert q.clear() == [a, c]
    assert len(q) == 0
    assert q.clear() == []


# -- compound commands (segments) -----------------------------------------------------------


def test_segment_at_walks_through_the_segments():
    c = cmd("walk forward, then wave").with_segments(
        (("a person walks forward", 2.0), ("a person waves", 1.5)), LIMITS
    )
    fps = 30.0
    assert c.segment_at(0, fps) == ("a person walks forward", 60)
    assert c.segment_at(59, fps) == ("a person walks forward", 1)
    assert c.segment_at(60, fps) == ("a person waves", 45)
    assert c.segment_at(104, fps) == ("a person waves", 1)
    # Past the end: the last segment, to the end of the command.
    assert c.segment_at(105, fps) == ("a person waves", None)
    assert c.segment_at(10_000, fps) == ("a person waves", None)
    # The text in force at every frame: the first part, then the second, no gap.
    texts = [c.segment_at(i, fps)[0] for i in range(105)]
    assert texts == ["a person walks forward"] * 60 + ["a person waves"] * 45
    # Other frame rates count in their own frames.
    assert c.segment_at(0, 20.0) == ("a person walks forward", 40)
    assert c.segment_at(40, 20.0) == ("a person waves", 30)


def test_segment_at_rounds_each_boundary_once():
    c = cmd("x").with_segments((("a", 0.51), ("b", 0.51), ("c", 1.0)), LIMITS)
    # 0.51 s at 30 fps is 15.3 frames: each boundary is rounded, the total is their sum.
    assert c.segment_at(0, 30.0) == ("a", 15)
    assert c.segment_at(15, 30.0) == ("b", 15)
    assert c.segment_at(30, 30.0) == ("c", 30)
    assert c.segment_at(60, 30.0) == ("c", None)


def test_a_command_without_segments_is_its_text_throughout():
    c = cmd("a person bows", duration_s=3.0)
    assert c.segments == ()
    for frame in (0, 45, 89, 90, 10_000):
        assert c.segment_at(frame, 30.0) == ("a person bows", None)


def test_with_segments_sets_the_duration_within_the_limits():
    base = cmd("walk then wave", command_id="c7", seed=11, mode="replace", stamp_s=3.0)
    c = base.with_segments((("a", 2.0), ("b", 2.5)), LIMITS)
    assert c.segments == (("a", 2.0, None), ("b", 2.5, None))
    assert c.duration_s == 4.5
    assert (c.text, c.id, c.seed, c.mode, c.stamp_s) == ("walk then wave", "c7", 11, "replace", 3.0)
    assert base.segments == () and base.duration_s == LIMITS.default_duration_s  # unchanged
    limits = CommandLimits(min_duration_s=1.0, default_duration_s=2.0, max_duration_s=10.0)
    assert base.with_segments((("a", 8.0), ("b", 8.0)), limits).duration_s == 10.0
    assert base.with_segments((("a", 0.2),), limits).duration_s == 1.0
    # A list is kept as a tuple (the command stays hashable and immutable).
    assert base.with_segments([("a", 1.0)], limits).segments == (("a", 1.0, None),)


def test_with_segments_rejects_no_segments():
    with pytest.raises(CommandError, match="at least one segment"):
        cmd("walk").with_segments((), LIMITS)


def test_speed_limit_at_follows_the_segments():
    c = cmd("raise then walk").with_segments(
        (("a person raises both hands", 1.0, 0.15), ("a person walks forward", 1.0)), LIMITS
    )
    assert c.segments[0].max_root_speed_m_s == 0.15 and c.segments[1].max_root_speed_m_s is None
    assert [c.speed_limit_at(f, 30.0) for f in (0, 29, 30, 59, 500)] == [
        0.15, 0.15, None, None, None
    ]
    assert cmd("bow").speed_limit_at(0, 30.0) is None


# -- stamps -----------------------------------------------------------------------------------

NOW = 1_780_000_000.25  # a receiver's clock (s since the epoch)


@pytest.mark.parametrize(
    ("sec", "nanosec", "words"),
    [
        (-1, 0, "header.stamp.sec must be in [0, 2147483647]"),
        (-(2**31), 0, "header.stamp.sec must be in [0, 2147483647]"),
        (2**31, 0, "header.stamp.sec must be in [0, 2147483647]"),
        (int(NOW), 4294967295, "nanosec must be in [0, 999999999]"),
        (int(NOW), 1_000_000_000, "nanosec must be in [0, 999999999]"),
        (int(NOW), -1, "nanosec must be in [0, 999999999]"),
        (2**31 - 1, 0, "in the future; the limit is 2 s (parameter commands.max_stamp_ahead_s)"),
        (int(NOW) + 365 * 86400, 0, "in the future"),
        (int(NOW) + 3, 0, "in the future"),
        (int(NOW) - 60, 0, "stale: issued 60.2 s ago"),
        (1, 0, "stale"),
        (1.5, 0, "header.stamp.sec must be an integer"),
        (True, 0, "header.stamp.sec must be an integer"),
    ],
)
def test_bad_stamps_are_refused_naming_the_field_and_range(sec, nanosec, words):
    with pytest.raises(CommandError, match=re.escape(words)):
        check_stamp(sec, nanosec, NOW, CommandLimits())


def test_good_stamps_and_the_unset_stamp_pass():
    limits = CommandLimits()
    assert check_stamp(0, 0, NOW, limits) == 0.0  # unset: no age check
    assert check_stamp(int(NOW), 250_000_000, NOW, limits) == pytest.approx(NOW)
    assert check_stamp(int(NOW) + 1, 999_999_999, NOW, limits) == pytest.approx(NOW + 1.75)
    assert check_stamp(int(NOW) - 4, 0, NOW, limits) == pytest.approx(NOW - 4)
    # max_age_s 0 disables the staleness check, never the range checks.
    never_stale = CommandLimits(max_age_s=0.0)
    assert check_stamp(1, 0, NOW, never_stale) == 1.0
    with pytest.raises(CommandError, match="nanosec"):
        check_stamp(1, 2_000_000_000, NOW, never_stale)
    with pytest.raises(ValueError, match="max_stamp_ahead_s"):
        CommandLimits(max_stamp_ahead_s=-1.0)
