"""An operator's command -> a timed motion plan, a stop, or a refusal. No ROS imports.

:class:`CommandInterpreter` joins the parser (:mod:`~molingo_ros.language.parse`) and the
grounding (:mod:`~molingo_ros.language.grounding`):

    interpreter = CommandInterpreter.from_model(model)
    plan = interpreter.interpret("walk forward for 3 seconds, then wave with your right hand")
    plan.kind                 # "motion" | "stop" | "refused"
    plan.timed_commands()     # [("a person walks forward", 0.0), ("a person waves ...", 3.0)]
    plan.seconds              # 8.0 (3 s + the default 5 s)

Both the node and ``molingo generate`` use it, so the robot and the command line understand
the same words the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from molingo_ros.language.grounding import Grounding, SkillMatcher
from molingo_ros.language.parse import parse_command

KINDS = ("motion", "stop", "refused")

STOP_MESSAGE = "stop: holding the robot where it is; nothing queued is kept"


@dataclass(frozen=True)
class PlannedSegment:
    """One motion of a plan.

    Attributes:
        caption: the sentence given to the generator.
        seconds: its length (s).
        skill, style: what it was grounded to.
        confidence: the grounding confidence.
        raw: the operator's words for it.
        max_root_speed_m_s: cap on the root's speed while it plays (m/s; None for
            locomotion): gestures stay where they are.
    """

    caption: str
    seconds: float
    skill: str
    style: str
    confidence: float
    raw: str
    max_root_speed_m_s: float | None = None


@dataclass(frozen=True)
class MotionPlan:
    """What a command asks for.

    Attributes:
        text: the command as typed (whitespace-normalised).
        kind: "motion" (segments to play), "stop" (hold now, nothing else) or "refused".
        stop_first: hold and drop what is queued before the segments (a leading "stop").
        segments: the motions, in order.
        refused: the segments that were not understood (kind "refused").
        notes: remarks for the operator (ignored words).
    """

    text: str
    kind: str
    stop_first: bool
    segments: tuple[PlannedSegment, ...]
    refused: tuple[Grounding, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        return float(sum(s.seconds for s in self.segments))

    def timed_commands(self) -> list[tuple[str, float]]:
        """``[(caption, start_s), ...]`` as :func:`~molingo_ros.model.sampler.generate` takes."""
        out, t = [], 0.0
        for seg in self.segments:
            out.append((seg.caption, t))
            t += seg.seconds
        return out

    def speed_limits(self) -> dict[str, float | None]:
        """Caption -> its root speed cap, as :func:`~molingo_ros.model.sampler.generate`
        takes (``speed_limits=``)."""
        return {s.caption: s.max_root_speed_m_s for s in self.segments}

    def message(self) -> str:
        """One line for the operator: what will happen, or why nothing will."""
        if self.kind == "stop":
            return STOP_MESSAGE
        if self.kind == "refused":  # nothing understood, or no motion at all ("please")
            why = "; ".join(g.refusal() for g in self.refused) or "; ".join(self.notes)
            return f"stopped; {why}" if self.stop_first else why
        parts = [f"{s.skill} ({s.style}, {s.seconds:.1f} s)" for s in self.segments]
        head = "stop, then " if self.stop_first else ""
        return head + " then ".join(parts) + "".join(f"; note: {n}" for n in self.notes)


def english_words(tokenizer) -> frozenset[str]:
    """The whole words (4+ letters) of a Hugging Face tokenizer's vocabulary: real words the
    parser must not "correct" ("flight" is not a typo of "fight"). Empty without one."""
    vocab = getattr(tokenizer, "vocab", None) or {}
    return frozenset(w for w in vocab if len(w) >= 4 and w.isalpha() and w.isascii())


class CommandInterpreter:
    """Parses and grounds operator commands.

    Args:
        matcher: the skill matcher of the model.
        default_segment_s: length of a segment whose command says none (s).
        min_segment_s, max_segment_s: bounds of one segment's length (s).
        allow_unknown: generate for segments below the confidence threshold (researchers'
            switch; the operator's own words reach the generator).
    """

    def __init__(
        self,
        matcher: SkillMatcher,
        default_segment_s: float = 5.0,
        min_segment_s: float = 1.0,
        max_segment_s: float = 60.0,
        allow_unknown: bool = False,
    ) -> None:
        if not 0 < min_segment_s <= default_segment_s <= max_segment_s:
            raise ValueError(
                "segment lengths must satisfy 0 < min_segment_s <= default_segment_s <= "
                f"max_segment_s, got {min_segment_s}, {default_segment_s}, {max_segment_s}"
            )
        self.matcher = matcher
        self.default_segment_s = float(default_segment_s)
        self.min_segment_s = float(min_segment_s)
        self.max_segment_s = float(max_segment_s)
        self.allow_unknown = bool(allow_unknown)
        self.dictionary = english_words(getattr(matcher.encoder, "tokenizer", None))

    @classmethod
    def from_model(cls, model, **kwargs) -> CommandInterpreter:
        """The interpreter of a loaded model (catalogue and threshold from its bundle)."""
        return cls(SkillMatcher.from_model(model), **kwargs)

    def _lengths(self, said: list[float | None], duration_s: float) -> list[float]:
        """Each segment's seconds: its own, else an equal share of what ``duration_s`` (the
        command's whole length, 0 = unknown) leaves, else the default; then bounded."""
        unset = [s for s in said if s is None]
        share = self.default_segment_s
        if duration_s > 0 and unset:
            left = duration_s - sum(s for s in said if s is not None)
            share = left / len(unset) if left > 0 else self.min_segment_s
        lengths = [share if s is None else s for s in said]
        return [min(max(x, self.min_segment_s), self.max_segment_s) for x in lengths]

    def interpret(self, text: str, duration_s: float = 0.0) -> MotionPlan:
        """Interpret ``text``; ``duration_s`` (> 0) is the command's requested whole length.

        Raises:
            ValueError: empty or non-string text.
        """
        parsed = parse_command(text, dictionary=self.dictionary)
        if not parsed.segments:  # a stop, or nothing to do in it at all ("please", "?")
            kind = "stop" if parsed.stop else "refused"
            return MotionPlan(parsed.text, kind, parsed.stop, (), (), parsed.notes)
        groundings = self.matcher.ground(parsed.segments, allow_unknown=self.allow_unknown)
        refused = tuple(g for g in groundings if not g.accepted)
        if refused:
            return MotionPlan(parsed.text, "refused", parsed.stop, (), refused, parsed.notes)
        lengths = self._lengths([s.seconds for s in parsed.segments], float(duration_s))
        catalogue = self.matcher.catalogue
        segments = tuple(
            PlannedSegment(
                g.caption,
                secs,
                g.skill,
                g.style,
                g.confidence,
                g.segment.raw,
                catalogue[g.skill].max_root_speed_m_s,
            )
            for g, secs in zip(groundings, lengths, strict=True)
        )
        return MotionPlan(parsed.text, "motion", parsed.stop, segments, (), parsed.notes)


__all__ = ["KINDS", "STOP_MESSAGE", "CommandInterpreter", "MotionPlan", "PlannedSegment"]
