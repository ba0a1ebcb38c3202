"""Parsing an operator's typed command into an ordered plan of motion segments. No ROS imports.

``parse_command("walk forward, then wave with your right hand")`` gives a :class:`CommandPlan`
with two :class:`Segment` objects, "walk forward" and "wave with your right hand", in order.
Each segment's ``text`` is cleaned for matching against the skills the model knows (done
elsewhere): lower case, politeness and fillers removed, typos in motion words corrected, and
duration / count / speed phrases taken out into fields. Stop words are not motions: a stop at
the start sets :attr:`CommandPlan.stop`, one at the end is dropped, one in the middle is
dropped with a note for the operator.

Limits, by design: clauses are split on the raw text, so a typo inside a connective ("thne")
does not split; plain "and" never splits; a stop phrase with a duration ("stop for 2 seconds")
is a timed pause, kept as a segment. A count's number is removed; "steps" stays after
"take"/"make"/"do" ("take two steps forward" -> "take steps forward") and at the start of a
clause with more words, and goes elsewhere ("walk two steps forward" -> "walk forward").
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

STEP_SECONDS: float = 0.55
"""Seconds per walking step (human cadence is about 1.8 steps per second)."""
REPETITION_SECONDS: float = 1.5
"""Seconds per repetition of a gesture ("wave twice")."""
MIN_COUNT_SECONDS: float = 2.0
"""A duration derived from a count is never shorter than this, seconds."""


@dataclass(frozen=True)
class Segment:
    """One motion of a plan.

    Attributes:
        text: the cleaned clause for matching ("wave with your right hand").
        raw: the clause as the operator typed it, stripped.
        seconds: explicit duration, or one derived from ``count``; None when not said. Seconds.
        count: number of steps or repetitions; None when not said.
        count_unit: "steps" or "times"; None when there is no count.
        speed: "slow", "fast" or None, from speed words ("slowly", "quickly").
    """

    text: str
    raw: str
    seconds: float | None = None
    count: int | None = None
    count_unit: str | None = None
    speed: str | None = None


@dataclass(frozen=True)
class CommandPlan:
    """A parsed command.

    Attributes:
        text: the whole input, whitespace-normalised.
        segments: the motion segments, in the order they must happen.
        stop: the command starts with (or is only) a stop phrase: hold the robot now.
        notes: plain-English remarks for the operator about anything ignored.
    """

    text: str
    segments: tuple[Segment, ...]
    stop: bool = False
    notes: tuple[str, ...] = ()

    @property
    def is_stop(self) -> bool:
        """A pure stop command: ``stop`` and no segments."""
        return self.stop and not self.segments


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


_NUMBERS = {w: float(i) for i, w in enumerate(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split(), start=1)}
_QUANTITIES = {"a couple of": 2.0, "a couple": 2.0, "couple of": 2.0, "a few": 3.0, "few": 3.0,
               "several": 4.0, "half a": 0.5, "half an": 0.5, "a": 1.0, "an": 1.0}
_FILLERS = (
    "would you mind", "would you please", "could you please", "can you please", "will you please",
    "could you", "can you", "would you", "will you", "do you mind", "i want you to",
    "i'd like you to", "i would like you to", "i need you to", "go ahead and", "right now",
    "right away", "at once", "immediately", "now", "just", "kindly", "hey robot", "hey", "ok",
    "okay", "alright", "thanks", "thank you", "for me", "let's", "let us", "try to", "please",
    "pls", "plz",
    # interjections and forms of address of casual speech
    "yo", "hi", "hello robot", "um", "uh", "umm", "erm", "hmm", "well", "so", "dude", "buddy",
    "mate", "pal", "friend", "folks", "guys", "come on", "c'mon", "oi", "ah", "oh")
_MOTION_VOCAB = _words("""
    walk walking forward forwards backward backwards back left right hand hands arm arms wave
    waving raise raising lift lifting bow bowing run running jog jogging sprint sprinting dash
    turn turning kick kicking punch punching dance dancing slash sword goodbye hello beckon call
    guide point pointing step steps stop halt freeze cancel both straight ahead slowly quickly
    happily sadly angrily proudly tired jump jumping hop hopping skip squat sit sitting stand
    standing crouch kneel lean bend stretch spin rotate look nod shake clap throw catch push pull
    pick reach climb crawl march stomp limp balance fight boxing swing salute shrug celebrate
    cheer flex head legs foot feet knee knees body circle around sideways side toward towards
    away over behind front move moving come stay still abort pause wait quit enough idle pace
    paces stride strides strong gentle gently carefully rapidly briskly hurry fast slow slower
    faster quick rapid brisk swiftly normal regular steady moderate speed greet greeting bye
    motion movement everything nevermind emergency estop""")
_TARGET_VOCAB = _MOTION_VOCAB | _words("""
    your with you for seconds second minutes minute times twice thrice several couple please
    leg up down hold keep hi""") | _words(" ".join(_NUMBERS))
"""Words a typo may be corrected to (plus the caller's vocabulary)."""
_COMMON_VOCAB = _words("""
    yours the and then after that this next followed first finally lastly once done when you're
    secs mins time half while bit little thanks thank okay alright robot hey kindly just now mind
    want need would could will can let's lets try like from into onto there here them they him
    her his its our their chair table door window wall floor ground room kitchen house home bus
    car box ball cup bottle water food phone dog cat tree place spot line say said word words
    some more less very really again also about what where why how never don't dont cannot
    make take takes took made does doing went going play show give small big tiny large long
    short other same each every all than person people someone somebody man woman high higher
    lower lie lay get got put set see tell talk speak think know feel use find open close
    drink eat sleep fly swim drive ride read write sing work wash clean cook carry grab drop
    hit kiss hug smile laugh cry yell shout listen watch help follow lead bring fetch yes sure
    good great nice well love today day night thing things something anything nothing way
    much many most lot lots quite maybe only even already yet soon later before until since
    because but not off out through across along between under above below near far inside
    outside middle center centre corner top bottom who which gonna wanna gotta place tall
    bye moment""")
_KNOWN_VOCAB = _TARGET_VOCAB | _COMMON_VOCAB | _words(" ".join(_FILLERS))
_TARGETS = sorted(_TARGET_VOCAB)
_SHORT_TARGETS = sorted(_words("your with wave walk hand arms left back turn kick step stop jump"))
_REPEATS = {"once": 1, "twice": 2, "thrice": 3}
_LIGHT_VERBS = _words("take takes taking took make makes making made do does doing")

_STOP_ALTERNATIVES = (
    r"stop(?:\s+(?:it|that|this|now|everything|all(?:\s+(?:motions?|movements?))?|"
    r"the\s+(?:motion|movement|robot)|\w+ing(?:\s+(?:forwards?|backwards?|back|around|left|"
    r"right|it|that))?))?",
    r"emergency\s+stop", r"e-?\s?stop", r"halt", r"freeze", r"(?:stand|hold|stay|keep)\s+still",
    r"stay\s+put", r"(?:don't|dont|do\s+not)\s+move", r"(?:cancel|abort)(?:\s+(?:that|it|this|"
    r"everything|all))?", r"(?:(?:that's|thats|that\s+is)\s+)?enough",
    r"(?:wait|hold\s+on|hold\s+it|hang\s+on)(?:\s+a\s+(?:second|sec|minute|moment))?",
    r"never\s*mind", r"quit", r"pause")
_STOP_ONE = "(?:" + "|".join(_STOP_ALTERNATIVES) + ")"
_STOP_RE = re.compile(rf"{_STOP_ONE}(?:\s+{_STOP_ONE})*")
_AND_STOP_RE = re.compile(rf"\s+and\s+{_STOP_ONE}$")  # "walk forward and stop": just ends it

_CONNECTIVE = r"""(?:and\s+)?(?:
      then | after\s+(?:that|this|which) | afterwards? | followed\s+by | finally | lastly
    | (?:once|when|after)\s+(?:you(?:'re|\s+are|'ve|\s+have)\s+|that(?:'s|\s+is)\s+
        |it(?:'s|\s+is)\s+)?(?:done|finished|complete)
    | (?<!\bthe\s)(?<!\ba\s)next(?!\s+to\b) )\b"""
_SPLIT_RE = re.compile(rf"\s*(?:[,;]|[.!?]+(?=\s|$)|\b{_CONNECTIVE})\s*", re.I | re.X)


def _alternation(phrases: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first, spaces matching any whitespace."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, p.split())) for p in ordered)


_NUM = rf"\d+(?:\.\d+)?|{_alternation([*_NUMBERS, *_QUANTITIES])}"
_NUM_BARE = rf"\d+(?:\.\d+)?|{_alternation([*_NUMBERS, *_QUANTITIES.keys() - {'a', 'an'}])}"
_UNIT = r"(?P<half>\s+and\s+a\s+half)?\s+(?P<u>seconds?|secs?|s|minutes?|mins?)\b"
_ABOUT = r"(?:(?:about|around|roughly|approximately|another)\s+)?"
_DURATION_RES = (re.compile(rf"\bfor\s+{_ABOUT}(?P<n>{_NUM}){_UNIT}"),
                 re.compile(rf"\b{_ABOUT}(?P<n>{_NUM_BARE}){_UNIT}(?:\s+of\b)?"))
_VAGUE_RE = re.compile(r"\b(?:for\s+(?:a\s+(?:while|bit|moment|little\s+(?:while|bit))|"
                       r"some\s+time|a\s+long\s+time)|a\s+(?:little\s+)?bit)\b")
_COUNT_RE = re.compile(
    rf"\b(?:for\s+)?{_ABOUT}(?P<n>{_NUM})\s+(?:(?:more|small|little|big|short|long|tiny|large|"
    rf"baby|giant)\s+)?(?P<steps>steps?|paces?|strides?)\b"
    rf"|\b(?P<t>{_NUM})\s+(?:more\s+)?times\b|\b(?:one|1)\s+more\s+time\b"
    r"|\b(?P<w>once|twice|thrice)(?:\s+more)?\b")
_SPEED_RE = re.compile(
    r"\bat\s+(?:an?\s+)?(?:(?P<slow>slow|slower|leisurely|gentle|relaxed|easy)|"
    r"(?P<fast>fast|faster|quick|brisk|rapid|high|full|top)|normal|regular|steady|moderate|"
    r"comfortable|usual|medium|average|walking|natural)\s+(?:pace|speed)\b"
    r"|\b(?P<fast2>in\s+a\s+hurry|hurry(?:\s+up)?|as\s+fast\s+as\s+(?:you\s+can|possible)|"
    r"quickly|quick|fast|faster|rapidly|briskly|swiftly|speedily)\b"
    r"|\b(?P<slow2>slowly|slow|slower|gently|carefully|gradually|leisurely|unhurriedly)\b")
_RIGHT_NOW_RE = re.compile(  # "turn right now" is a direction: keep "right", drop "now"
    r"\b(turn|turning|go|step|move|look|lean|rotate|spin|walk|head|bend|tilt|point|shift|run|"
    r"jog|strafe|swing|kick|punch|raise|lift)\s+right\s+now\b")
_FILLER_RE = re.compile(rf"\b(?:{_alternation(_FILLERS)})\b")
_LEADING_RE = re.compile(
    r"^(?:(?:and|then|first(?:\s+of\s+all)?|firstly|secondly|finally|lastly|next(?!\s+to))\b\s*)+")
_TRAILING_RE = re.compile(r"(?:\s*\b(?:and|then|but))+$")
_QUOTES = str.maketrans("\u2018\u2019\u201a\u201b\u2032\u02bc`\u201c\u201d\u201e\u201f\u2033",
                        "'" * 7 + '"' * 5)


def _tidy(text: str) -> str:
    """NFKC, straight quotes, single spaces; case kept."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())


def normalize(text: str) -> str:
    """Lower case, Unicode NFKC, curly quotes made straight, whitespace collapsed and stripped."""
    return _tidy(text).lower()


def _check_text(text: object, allow_blank: bool = False) -> str:
    if not isinstance(text, str):
        raise ValueError(f"command text must be a str, got {type(text).__name__}")
    if not text.strip() and not allow_blank:
        raise ValueError("command text is empty: type a command such as 'walk forward'")
    return text


def _is_known(word: str, known: frozenset[str]) -> bool:
    """The word, or a plain inflection of it (waves, waved, lifting, jogging), is known."""
    if word in known:
        return True
    for suffix in ("s", "es", "ed", "ing", "ly", "er"):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 2 and (
            stem in known or stem + "e" in known or (stem[-1] == stem[-2] and stem[:-1] in known)
        ):
            return True
    return False


def _distance(a: str, b: str) -> int:
    """Levenshtein edit distance: insertions, deletions and substitutions."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _correct_word(word: str, known: frozenset[str], targets: list[str]) -> str:
    """The known word a typo most likely meant, or the word itself.

    Only unknown ASCII words of 3+ letters change: first an adjacent swap ("wlak" -> "walk",
    4+ letters, into any known word), then the closest target by difflib (cutoff 0.8) that is
    also one edit away (two for 8+ letters), so real words ("advance", "world") stay. A
    3-letter word may only gain a letter to become a common motion word ("yor" -> "your").
    """
    if len(word) < 3 or not word.isalpha() or not word.isascii() or _is_known(word, known):
        return word
    if len(word) >= 4:
        for i in range(len(word) - 1):
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
            if swapped in known:
                return swapped
    pool, cutoff = (targets, 0.8) if len(word) >= 4 else (_SHORT_TARGETS, 0.85)
    limit = 1 if len(word) < 8 else 2
    for close in difflib.get_close_matches(word, pool, n=5, cutoff=cutoff):
        if _distance(word, close) <= limit:
            return close
    return word


def _prepare(text: str, known: frozenset[str], targets: list[str]) -> str:
    """Normalised words of a clause: punctuation gone, numbers split from units, typos fixed."""
    text = normalize(text).replace("_", " ")
    text = re.sub(r"[^\w\s'.-]", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)|(?<!\w)['-]|['-](?!\w)", " ", text)
    text = re.sub(r"(\d)([^\W\d_])", r"\1 \2", text)
    word = r"[^\W\d_]+(?:'[^\W\d_]+)*"
    text = re.sub(word, lambda m: _correct_word(m.group(), known, targets), text)
    return " ".join(text.split())


def _strip_fillers(text: str) -> str:
    """Politeness and fillers removed; "robot" only as a form of address (first or last word)."""
    words = _FILLER_RE.sub(" ", _RIGHT_NOW_RE.sub(r"\1 right", text)).split()
    if words and words[0] == "robot":
        words = words[1:]
    if len(words) > 1 and words[-1] == "robot" and words[-2] not in ("a", "the", "like"):
        words = words[:-1]
    return " ".join(words)


def _is_stop_text(text: str) -> bool:
    return bool(text) and _STOP_RE.fullmatch(text) is not None


def _number(phrase: str) -> float:
    phrase = " ".join(phrase.split())
    if phrase[0].isdigit():
        return float(phrase)
    return _NUMBERS.get(phrase, _QUANTITIES.get(phrase, 1.0))


def is_stop_phrase(text: str) -> bool:
    """True when the whole text is a stop command ("stop", "STOP!!", "please halt now").

    Fillers, punctuation, case and typos are ignored ("stpo" is a stop); "walk to the bus
    stop" is not one. Raises ValueError for a non-str; blank text is not a stop.
    """
    text = _check_text(text, allow_blank=True)
    return _is_stop_text(_strip_fillers(_prepare(text, _KNOWN_VOCAB, _TARGETS)))


@dataclass
class _Clause:
    """A clause while the plan is being built; duration is explicit seconds only."""

    raw: str
    text: str = ""
    duration: float | None = None
    count: int | None = None
    unit: str | None = None
    speed: str | None = None
    stop: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing to match: no words left and not a stop (fillers, speed or duration only)."""
        return not self.stop and not self.text

    @property
    def has_modifiers(self) -> bool:
        return (self.duration, self.count, self.speed) != (None, None, None)


def _take_duration(clause: _Clause) -> None:
    """Move "for 3 seconds" (or "for half a minute", "3 seconds of") into ``duration``."""
    text = _VAGUE_RE.sub(" ", clause.text)
    for pattern in _DURATION_RES:
        for m in pattern.finditer(text):
            number = _number(m["n"]) + (0.5 if m["half"] else 0.0)
            seconds = number * (60.0 if m["u"].startswith("m") else 1.0)
            if seconds <= 0:
                clause.notes.append(f"ignored '{m.group()}': a duration must be over 0 seconds")
            elif clause.duration is None:
                clause.duration = seconds
            else:
                clause.notes.append(f"ignored a second duration '{m.group()}'")
        text = pattern.sub(" ", text)
    clause.text = " ".join(text.split())


def _take_speed(clause: _Clause) -> None:
    """Move speed words ("slowly", "at a fast pace") into ``speed``; "normal pace" is removed."""
    for m in _SPEED_RE.finditer(clause.text):
        speed = "slow" if m["slow"] or m["slow2"] else "fast" if m["fast"] or m["fast2"] else None
        if speed is not None and clause.speed is None:
            clause.speed = speed
        elif speed is not None and speed != clause.speed:
            clause.notes.append(f"ignored '{m.group()}': already asked for {clause.speed} speed")
    clause.text = " ".join(_SPEED_RE.sub(" ", clause.text).split())


def _take_count(clause: _Clause) -> None:
    """Move "two steps", "a few paces", "twice", "3 times" into ``count`` and ``unit``."""

    def swap(m: re.Match[str]) -> str:
        n = m["n"] or m["t"] or m["w"] or "1"
        count = round(_REPEATS.get(n) or _number(n))
        unit = "steps" if m["steps"] else "times"
        if count < 1:
            clause.notes.append(f"ignored '{m.group()}': a count must be at least 1")
        elif clause.count is None:
            clause.count, clause.unit = count, unit
        else:
            clause.notes.append(f"ignored a second count '{m.group()}'")
        previous, following = m.string[:m.start()].split(), m.string[m.end():].strip()
        light = bool(previous) and previous[-1] in _LIGHT_VERBS
        if unit == "steps" and (light or (not previous and following)):
            return " a step " if count == 1 else " steps "
        return " "

    clause.text = " ".join(_COUNT_RE.sub(swap, clause.text).split())


def _parse_clause(raw: str, known: frozenset[str], targets: list[str]) -> _Clause:
    """Clean one clause and pull out its stop, duration, speed and count."""
    clause = _Clause(raw=raw, text=_strip_fillers(_prepare(raw, known, targets)))
    if _is_stop_text(clause.text):
        clause.stop, clause.text = True, ""
        return clause
    clause.text = _AND_STOP_RE.sub("", clause.text)
    _take_duration(clause)
    _take_speed(clause)
    _take_count(clause)
    text = _LEADING_RE.sub("", clause.text)
    clause.text = _TRAILING_RE.sub("", _strip_fillers(text)).strip()
    return clause


def _absorb(target: _Clause, piece: _Clause, before: bool) -> None:
    """Fold a modifier-only piece into a neighbouring clause; the clause's own values win."""
    clash = False
    for name in ("duration", "count", "speed"):
        value, own = getattr(piece, name), getattr(target, name)
        if value is not None and own is None:
            setattr(target, name, value)
            target.unit = piece.unit if name == "count" else target.unit
        clash = clash or (own is not None and value not in (None, own))
    if clash:
        target.notes.append(f"ignored '{piece.raw}': '{target.raw}' already says otherwise")
    target.raw = f"{piece.raw}, {target.raw}" if before else f"{target.raw}, {piece.raw}"
    target.notes.extend(piece.notes)


def _merge(clauses: list[_Clause]) -> tuple[list[_Clause], list[str]]:
    """Fold pieces with nothing to match (fillers, speed or duration only) into a neighbour.

    A piece goes into the motion clause before it, else into the next motion clause; fillers
    alone after a stop go into the stop. Returns the clauses and notes about pieces that found
    no motion.
    """
    out: list[_Clause] = []
    pending: list[_Clause] = []  # pieces waiting for the next motion clause
    for clause in clauses:
        if not clause.empty:
            if not clause.stop:
                for piece in reversed(pending):
                    _absorb(clause, piece, before=True)
                pending = []
            out.append(clause)
        elif out and (not out[-1].stop or not clause.has_modifiers):
            _absorb(out[-1], clause, before=False)
        else:
            pending.append(clause)
    notes = [f"ignored '{p.raw}': no motion to apply it to" for p in pending if p.has_modifiers]
    return out, notes


def _segment(clause: _Clause) -> Segment:
    seconds = clause.duration
    if seconds is None and clause.count is not None:
        per = STEP_SECONDS if clause.unit == "steps" else REPETITION_SECONDS
        seconds = max(MIN_COUNT_SECONDS, clause.count * per)
    return Segment(clause.text, clause.raw, seconds, clause.count, clause.unit, clause.speed)


def _split(text: str) -> list[str]:
    """Clauses of the whole (tidied) text, split at connectives and punctuation, in order."""
    pieces = (p.strip(" ,;.!?") for p in _SPLIT_RE.split(text))
    return [p for p in pieces if p]


def parse_command(
    text: str, vocabulary: Iterable[str] = (), dictionary: frozenset[str] = frozenset()
) -> CommandPlan:
    """Parse an operator's command into an ordered :class:`CommandPlan`.

    Args:
        text: what the operator typed, e.g. "walk forward, then wave with your right hand".
        vocabulary: extra words or phrases (skill names, captions) that typos may be
            corrected to, on top of the built-in motion vocabulary.
        dictionary: real words that are never "corrected" (lower case), e.g. the whole
            words of the text encoder's vocabulary, so "flight" does not become "fight".

    Raises:
        ValueError: ``text`` is not a str, or is empty or only whitespace.
    """
    whole = _tidy(_check_text(text))
    if isinstance(vocabulary, str):
        vocabulary = (vocabulary,)
    extra = {w for phrase in vocabulary for w in re.findall(r"[^\W\d_]+", normalize(phrase))}
    known = _KNOWN_VOCAB | extra | frozenset(dictionary)
    targets = sorted(_TARGET_VOCAB | extra) if extra else _TARGETS
    clauses, leftover = _merge([_parse_clause(raw, known, targets) for raw in _split(whole)])
    motions = [i for i, c in enumerate(clauses) if not c.stop and c.text]
    first = motions[0] if motions else len(clauses)
    last = motions[-1] if motions else -1
    stop = any(c.stop for c in clauses[:first])
    notes: list[str] = []
    for i, clause in enumerate(clauses):
        notes.extend(clause.notes)
        if clause.stop and first < i < last:
            notes.append(f"ignored '{clause.raw}' in the middle of the command")
    notes.extend(leftover)
    if not motions and not stop:
        notes.append(f"found no motion to do in '{whole}'")
    segments = tuple(_segment(clauses[i]) for i in motions)
    return CommandPlan(whole, segments, stop, tuple(notes))


__all__ = ["MIN_COUNT_SECONDS", "REPETITION_SECONDS", "STEP_SECONDS", "CommandPlan", "Segment",
           "is_stop_phrase", "normalize", "parse_command"]
