"""The command words of the parser: numbers, fillers, stop phrases, connectives, speed words
and the words a typo may be corrected to. Data only, no ROS imports.

The logic that uses these tables lives in :mod:`~molingo_ros.language.spelling` (typos),
:mod:`~molingo_ros.language.clauses` (splitting, stop phrases, fillers) and
:mod:`~molingo_ros.language.modifiers` (durations, counts, speed). Entries written as regex
sources (stop phrases, connectives, some speed phrases) say so; every other entry is plain
lower-case words. :func:`alternation` turns a phrase list into a regex.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def word_set(block: str) -> frozenset[str]:
    """The whitespace-separated words of ``block``."""
    return frozenset(block.split())


def alternation(phrases: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first, spaces matching any whitespace."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, p.split())) for p in ordered)


# -- numbers ---------------------------------------------------------------------------------

NUMBERS: dict[str, float] = {w: float(i) for i, w in enumerate(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split(), start=1)}
"""Number words and their values ("three" -> 3.0)."""
QUANTITIES: dict[str, float] = {
    "a couple of": 2.0, "a couple": 2.0, "couple of": 2.0, "a few": 3.0, "few": 3.0,
    "several": 4.0, "half a": 0.5, "half an": 0.5, "a": 1.0, "an": 1.0}
"""Vague quantities and the number each stands for ("a few" -> 3.0)."""
REPEATS: dict[str, int] = {"once": 1, "twice": 2, "thrice": 3}
"""Repetition words and their counts."""
APPROXIMATELY: tuple[str, ...] = ("about", "around", "roughly", "approximately", "another")
"""Words before a number that do not change it ("for about 3 seconds")."""
LIGHT_VERBS: frozenset[str] = word_set(
    "take takes taking took make makes making made do does doing")
"""Verbs after which "steps" is kept ("take two steps" -> "take steps")."""

# -- fillers ---------------------------------------------------------------------------------

FILLERS: tuple[str, ...] = (
    "would you mind", "would you please", "could you please", "can you please", "will you please",
    "could you", "can you", "would you", "will you", "do you mind", "i want you to",
    "i'd like you to", "i would like you to", "i need you to", "go ahead and", "right now",
    "right away", "at once", "immediately", "now", "just", "kindly", "hey robot", "hey", "ok",
    "okay", "alright", "thanks", "thank you", "for me", "let's", "let us", "try to", "please",
    "pls", "plz",
    # interjections and forms of address of casual speech
    "yo", "hi", "hello robot", "um", "uh", "umm", "erm", "hmm", "well", "so", "dude", "buddy",
    "mate", "pal", "friend", "folks", "guys", "come on", "c'mon", "oi", "ah", "oh")
"""Politeness, fillers and forms of address, removed from every clause."""
SIDE_VERBS: tuple[str, ...] = (
    "turn", "turning", "go", "step", "move", "look", "lean", "rotate", "spin", "walk", "head",
    "bend", "tilt", "point", "shift", "run", "jog", "strafe", "swing", "kick", "punch", "raise",
    "lift")
"""Verbs after which "right now" names a side ("turn right now": "right" stays)."""

# -- words a typo may be corrected to ----------------------------------------------------------

MOTION_WORDS: frozenset[str] = word_set("""
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
"""Words of motions, sides, manners and stops."""
TARGET_WORDS: frozenset[str] = MOTION_WORDS | word_set("""
    your with you for seconds second minutes minute times twice thrice several couple please
    leg up down hold keep hi""") | word_set(" ".join(NUMBERS))
"""Words a typo may be corrected to (plus the caller's vocabulary)."""
COMMON_WORDS: frozenset[str] = word_set("""
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
"""Everyday words that are never corrected (typos are not corrected to them)."""
KNOWN_WORDS: frozenset[str] = TARGET_WORDS | COMMON_WORDS | word_set(" ".join(FILLERS))
"""Every built-in word that is left as it is."""
TARGETS: list[str] = sorted(TARGET_WORDS)
"""The built-in targets of typo correction, sorted (deterministic matching order)."""
SHORT_TARGETS: list[str] = sorted(
    word_set("your with wave walk hand arms left back turn kick step stop jump"))
"""What a 3-letter typo may become by gaining a letter ("yor" -> "your")."""

# -- stop phrases and connectives (regex sources) ----------------------------------------------

STOP_ALTERNATIVES: tuple[str, ...] = (
    r"stop(?:\s+(?:it|that|this|now|everything|all(?:\s+(?:motions?|movements?))?|"
    r"the\s+(?:motion|movement|robot)|\w+ing(?:\s+(?:forwards?|backwards?|back|around|left|"
    r"right|it|that))?))?",
    r"emergency\s+stop", r"e-?\s?stop", r"halt", r"freeze", r"(?:stand|hold|stay|keep)\s+still",
    r"stay\s+put", r"(?:don't|dont|do\s+not)\s+move", r"(?:cancel|abort)(?:\s+(?:that|it|this|"
    r"everything|all))?", r"(?:(?:that's|thats|that\s+is)\s+)?enough",
    r"(?:wait|hold\s+on|hold\s+it|hang\s+on)(?:\s+a\s+(?:second|sec|minute|moment))?",
    r"never\s*mind", r"quit", r"pause")
"""Regex sources of one stop phrase each ("stop", "halt", "hold still", "never mind")."""
CONNECTIVE: str = r"""(?:and\s+)?(?:
      then | after\s+(?:that|this|which) | afterwards? | followed\s+by | finally | lastly
    | (?:once|when|after)\s+(?:you(?:'re|\s+are|'ve|\s+have)\s+|that(?:'s|\s+is)\s+
        |it(?:'s|\s+is)\s+)?(?:done|finished|complete)
    | (?<!\bthe\s)(?<!\ba\s)next(?!\s+to\b) )\b"""
"""Regex source (verbose mode) of the sequencing words a command is split at ("then",
"after that", "once you're done", "next" but not "next to"); plain "and" never splits."""

# -- speed (regex sources) ---------------------------------------------------------------------

SLOW_PACES: tuple[str, ...] = ("slow", "slower", "leisurely", "gentle", "relaxed", "easy")
"""Adjectives of "at a ... pace / speed" that mean slow."""
FAST_PACES: tuple[str, ...] = ("fast", "faster", "quick", "brisk", "rapid", "high", "full", "top")
"""Adjectives of "at a ... pace / speed" that mean fast."""
NEUTRAL_PACES: tuple[str, ...] = (
    "normal", "regular", "steady", "moderate", "comfortable", "usual", "medium", "average",
    "walking", "natural")
"""Adjectives of "at a ... pace / speed" that ask for no speed (removed)."""
FAST_WORDS: tuple[str, ...] = (
    r"in\s+a\s+hurry", r"hurry(?:\s+up)?", r"as\s+fast\s+as\s+(?:you\s+can|possible)",
    "quickly", "quick", "fast", "faster", "rapidly", "briskly", "swiftly", "speedily")
"""Words and phrases (regex sources) that ask for a fast motion."""
SLOW_WORDS: tuple[str, ...] = (
    "slowly", "slow", "slower", "gently", "carefully", "gradually", "leisurely", "unhurriedly")
"""Words that ask for a slow motion."""


__all__ = [
    "APPROXIMATELY", "COMMON_WORDS", "CONNECTIVE", "FAST_PACES", "FAST_WORDS", "FILLERS",
    "KNOWN_WORDS", "LIGHT_VERBS", "MOTION_WORDS", "NEUTRAL_PACES", "NUMBERS", "QUANTITIES",
    "REPEATS", "SHORT_TARGETS", "SIDE_VERBS", "SLOW_PACES", "SLOW_WORDS", "STOP_ALTERNATIVES",
    "TARGETS", "TARGET_WORDS", "alternation", "word_set",
]
