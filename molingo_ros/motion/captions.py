"""Natural-language captions for the Bandai Namco motion labels.

The Bandai Namco Research motion datasets label every clip with one *content* (what the person
does: ``walk``, ``wave-right-hand``, ``bow`` ...) and one *style* (how: ``normal``, ``tired``,
``chimpira`` ...), but carry no sentences. This module writes HumanML3D-like English captions
from those labels ("a person walks forward, looking exhausted", "someone waves with their right
hand", "an elderly woman takes a bow") for a sentence encoder such as MiniLM.

A caption is assembled from a subject ("a person", "someone", "a man" ...), a third-person verb
phrase of the content ("walks straight ahead") and a style phrasing: an adverb before or after
the verb ("happily"), a trailing phrase ("in a tired way", ", looking exhausted"), an adjective
subject ("an elderly man") or a style noun subject ("a giant"). ``normal`` uses neutral or no
phrasings.

Every component is either a TRAIN or a HELD-OUT component. A caption made only of train
components is a train caption; a caption with at least one held-out component (a held-out
subject such as "a human", a held-out verb phrase or a held-out style phrasing) is a held-out
caption. Held-out captions never equal any train caption of any label pair (this is checked
over all known labels and enforced), so they measure generalisation to unseen phrasings.

Side words are exact: ``wave-right-hand`` captions say "right" and never "left"; contents that
``mirror_label`` leaves unchanged (``bye``, ``guide``, ``respond`` ...) never name a side, so a
mirrored clip keeps valid captions. For a sided content the caption lists of the two sides
mirror each other element by element: ``[mirror_caption(c) for c in captions_for(
"wave-left-hand", s, split=x)] == captions_for("wave-right-hand", s, split=x)``.

Labels are given without the dataset prefix (``walk``, not ``dataset-1_walk``); see
``strip_label_prefix`` and ``parse_clip_name``. Everything is deterministic: caption lists
have a fixed order, and randomness only comes from the caller's ``numpy.random.Generator`` or
from ``CaptionConfig.seed``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

import numpy as np

__all__ = [
    "CONTENTS",
    "LOCOMOTION_CONTENTS",
    "SPLITS",
    "STYLES",
    "CaptionConfig",
    "caption_counts",
    "captions_for",
    "clip_captions",
    "composed_caption",
    "mirror_caption",
    "mirror_label",
    "parse_clip_name",
    "sample_caption",
    "strip_label_prefix",
]

SPLITS: tuple[str, ...] = ("train", "heldout")
"""Valid values of the ``split`` argument."""

# --------------------------------------------------------------------------------------------
# Labels (the data card)
# --------------------------------------------------------------------------------------------

CONTENTS: dict[str, str] = {
    "walk": "walk forward in a straight line (datasets 1 and 2)",
    "run": "run forward in a straight line (datasets 1 and 2)",
    "dash": "sprint forward at full speed (dataset 1)",
    "walk-back": "walk backwards while facing forward (dataset 1)",
    "walk-left": "walk forward diagonally to the left, without turning the body (dataset 1)",
    "walk-right": "walk forward diagonally to the right, without turning the body (dataset 1)",
    "walk-turn-left": "walk and turn about 90 degrees to the left (dataset 2)",
    "walk-turn-right": "walk and turn about 90 degrees to the right (dataset 2)",
    "bow": "bow from the waist (dataset 1)",
    "bye": "a small goodbye wave with one hand (dataset 1)",
    "byebye": "a big goodbye wave with both hands (dataset 1)",
    "guide": "gesture with one hand to show someone the way (dataset 1)",
    "respond": "raise a hand in reply to acknowledge someone (dataset 1)",
    "call": "beckon / call someone over (dataset 1)",
    "punch": "throw punches (dataset 1)",
    "kick": "kick (dataset 1)",
    "slash": "slash with an (imaginary) sword held in both hands (dataset 1)",
    "dance-long": "a long dance routine (dataset 1)",
    "dance-short": "a shorter dance routine, still about a minute long (dataset 1)",
    "wave-both-hands": "wave both hands (dataset 2)",
    "wave-left-hand": "wave the left hand (dataset 2)",
    "wave-right-hand": "wave the right hand (dataset 2)",
    "raise-up-both-hands": "raise both hands up (dataset 2)",
    "raise-up-left-hand": "raise the left hand up (dataset 2)",
    "raise-up-right-hand": "raise the right hand up (dataset 2)",
}
"""Every known content label (no dataset prefix) with a short description."""

STYLES: dict[str, str] = {
    "normal": "neutral, ordinary performance (datasets 1 and 2)",
    "happy": "happy, cheerful (dataset 1)",
    "sad": "sad, dejected (dataset 1)",
    "angry": "angry, furious (dataset 1)",
    "proud": "proud, chest out, head high (dataset 1)",
    "not-confident": "timid, unconfident, hesitant (dataset 1)",
    "masculinity": "masculine, manly (dataset 1; same phrasings as masculine)",
    "masculine": "masculine, manly (dataset 2; same phrasings as masculinity)",
    "feminine": "feminine, graceful (datasets 1 and 2)",
    "childish": "like a child, playful (dataset 1)",
    "old": "like an old person (dataset 1; same phrasings as elderly)",
    "elderly": "like an elderly person (dataset 2; same phrasings as old)",
    "tired": "tired, weary (dataset 1; same phrasings as exhausted)",
    "exhausted": "exhausted, worn out (dataset 2; same phrasings as tired)",
    "active": "energetic, lively (datasets 1 and 2)",
    "musical": "theatrical, like a musical theatre performer (dataset 1)",
    "giant": "heavy and lumbering, like a large giant (dataset 1)",
    "chimpira": "swaggering like a small-time thug or street punk (Japanese slang; dataset 1)",
    "youthful": "youthful, young (dataset 2)",
}
"""Every known style label (no dataset prefix) with a short description."""

WALKING_CONTENTS: frozenset[str] = frozenset(
    {"walk", "walk-back", "walk-left", "walk-right", "walk-turn-left", "walk-turn-right"}
)
"""Contents that are walks: they also get walk-only style phrasings ("dragging their feet")."""

LOCOMOTION_CONTENTS: frozenset[str] = WALKING_CONTENTS | {"run", "dash"}
"""Contents that travel: they also get stepping style phrasings ("with heavy, lumbering steps")."""

# --------------------------------------------------------------------------------------------
# Phrase tables
# --------------------------------------------------------------------------------------------


class _Subject(NamedTuple):
    text: str
    gender: str  # "n", "m" or "f": selects the possessive / reflexive pronouns
    heldout: bool


_PRONOUNS: dict[str, dict[str, str]] = {
    "n": {"pos": "their", "refl": "themselves"},
    "m": {"pos": "his", "refl": "himself"},
    "f": {"pos": "her", "refl": "herself"},
}

_SUBJECTS: tuple[_Subject, ...] = (
    _Subject("a person", "n", False),
    _Subject("someone", "n", False),
    _Subject("a man", "m", False),
    _Subject("a woman", "f", False),
    _Subject("the person", "n", False),
    _Subject("the man", "m", False),
    # held out: only ever in held-out captions
    _Subject("a human", "n", True),
    _Subject("somebody", "n", True),
    _Subject("the woman", "f", True),
)

# nouns that follow a style adjective ("a tired" + "person")
_NOUNS: tuple[_Subject, ...] = (
    _Subject("person", "n", False),
    _Subject("man", "m", False),
    _Subject("woman", "f", False),
    _Subject("individual", "n", True),
)

# Verb phrases, 3rd person singular. "{pos}" is the subject's possessive; "{side}" is "left" or
# "right" for the sided contents below. No phrase may name a side unless its label does, and no
# phrase carries a manner (the style supplies it).
_VERBS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # content: (train phrases, held-out phrases)
    "walk": (
        (
            "walks forward",
            "walks straight ahead",
            "takes a walk straight ahead",
            "walks forward in a straight line",
            "walks ahead",
            "moves forward at a walking pace",
            "takes several steps forward",
        ),
        ("goes forward on foot", "walks along a straight path"),
    ),
    "run": (
        (
            "runs forward",
            "runs straight ahead",
            "runs forward in a straight line",
            "runs ahead",
            "breaks into a run",
            "moves forward at a running pace",
            "goes running forward",
        ),
        ("runs along a straight path", "heads forward at a run"),
    ),
    "dash": (
        (
            "sprints forward",
            "dashes forward",
            "sprints straight ahead",
            "runs forward at full speed",
            "makes a quick dash forward",
            "races forward",
            "dashes ahead in a straight line",
        ),
        ("bolts forward at top speed", "sprints along a straight path"),
    ),
    "walk-back": (
        (
            "walks backward",
            "walks backwards",
            "steps backward",
            "takes several steps backward",
            "backs up",
            "walks in reverse",
            "moves backward on foot",
        ),
        ("backs away step by step", "retreats by walking backward"),
    ),
    "bow": (
        (
            "bows",
            "takes a bow",
            "bows forward",
            "makes a bow",
            "gives a bow",
            "bends forward at the waist to bow",
            "bows {pos} head and upper body",
        ),
        ("performs a bow", "bends the upper body forward in a bow"),
    ),
    "bye": (
        (
            "waves goodbye with one hand",
            "waves a hand to say goodbye",
            "says bye with a small wave",
            "gives a little goodbye wave",
            "waves bye",
            "raises one hand and waves goodbye",
            "waves farewell with one hand",
        ),
        ("bids farewell with a small wave of one hand", "says goodbye with a wave of the hand"),
    ),
    "byebye": (
        (
            "waves goodbye with both hands",
            "waves bye-bye with both hands",
            "waves both hands to say goodbye",
            "gives a big two-handed goodbye wave",
            "waves both arms to say bye-bye",
            "says bye-bye, waving both hands",
            "waves a big goodbye with both hands",
        ),
        ("bids farewell by waving both hands", "waves both hands in farewell"),
    ),
    "guide": (
        (
            "gestures to show the way",
            "points the way with an open hand",
            "shows someone the way",
            "guides someone with a hand gesture",
            "gestures in a direction to guide someone",
            "motions with one hand to direct someone",
            "indicates the way with a sweep of the hand",
        ),
        ("directs someone with an arm gesture", "extends an arm to show where to go"),
    ),
    "respond": (
        (
            "raises a hand in response",
            "responds with a raised hand",
            "acknowledges someone by raising a hand",
            "raises one hand to reply",
            "lifts a hand to answer someone",
            "replies by raising a hand",
            "answers someone with a hand gesture",
        ),
        ("puts a hand up to acknowledge someone", "signals a reply by lifting one hand"),
    ),
    "call": (
        (
            "calls someone over",
            "beckons someone to come over",
            "waves someone over",
            "gestures for someone to come closer",
            "motions for someone to come here",
            "calls out and beckons someone",
            "signals someone to come over",
        ),
        ("gestures for someone to approach", "beckons to someone with {pos} hands"),
    ),
    "punch": (
        (
            "throws punches",
            "punches",
            "punches the air",
            "throws a few punches",
            "punches forward",
            "boxes, throwing punches",
            "strikes with {pos} fists",
        ),
        ("jabs with {pos} fists", "throws a series of punches"),
    ),
    "kick": (
        (
            "kicks",
            "kicks the air",
            "throws kicks",
            "does a few kicks",
            "kicks out with a leg",
            "performs kicks",
            "kicks forward",
        ),
        ("delivers a series of kicks", "strikes out with {pos} legs"),
    ),
    "slash": (
        (
            "slashes with a sword",
            "swings a sword",
            "swings a sword with both hands",
            "makes sword slashes",
            "cuts through the air with a sword",
            "attacks with a sword",
            "swings an imaginary sword",
        ),
        ("performs sword strikes", "brandishes a sword and slashes"),
    ),
    "wave-both-hands": (
        (
            "waves both hands",
            "waves with both hands",
            "raises both hands and waves",
            "waves both hands in the air",
            "gives a two-handed wave",
            "waves with both arms raised",
            "waves hello with both hands",
        ),
        ("holds up both hands and waves them", "waves with two hands"),
    ),
    "raise-up-both-hands": (
        (
            "raises both hands",
            "raises both hands up",
            "lifts both arms up",
            "raises both arms above {pos} head",
            "puts both hands up",
            "puts both hands in the air",
            "holds both arms up high",
        ),
        ("reaches both hands up toward the sky", "lifts both hands over {pos} head"),
    ),
}

_DANCE_TRAIN: tuple[str, ...] = (
    "dances",
    "performs a dance",
    "does a dance routine",
    "dances to music",
    "shows off some dance moves",
    "moves to the music",
)
_DANCE_HELDOUT: tuple[str, ...] = ("breaks into a dance", "moves rhythmically to music")
_VERBS["dance-long"] = (
    _DANCE_TRAIN + ("performs a long dance routine", "dances for a long time"),
    _DANCE_HELDOUT,
)
_VERBS["dance-short"] = (
    _DANCE_TRAIN + ("performs a short dance", "does a short dance routine"),
    _DANCE_HELDOUT,
)

# Sided contents: "{side}" in the key and in every phrase; expanded for "left" and "right".
_SIDED_VERBS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "walk-{side}": (
        (
            "walks diagonally to the {side}",
            "walks forward and to the {side}",
            "walks to the front {side}",
            "walks toward the {side}",
            "walks forward at an angle to the {side}",
            "walks on a diagonal path to the {side}",
            "heads diagonally forward to the {side}",
        ),
        ("walks ahead, angling off to the {side}", "moves forward on foot toward the {side}"),
    ),
    "walk-turn-{side}": (
        (
            "walks and turns {side}",
            "walks forward and turns to the {side}",
            "turns {side} while walking",
            "walks and makes a {side} turn",
            "walks in a curve to the {side}",
            "walks around a corner to the {side}",
            "makes a {side} turn while walking",
        ),
        (
            "walks, turning ninety degrees to the {side}",
            "changes direction to the {side} while walking",
        ),
    ),
    "wave-{side}-hand": (
        (
            "waves with {pos} {side} hand",
            "waves {pos} {side} hand",
            "raises {pos} {side} hand and waves",
            "waves using the {side} hand",
            "gives a wave with {pos} {side} hand",
            "waves hello with {pos} {side} hand",
            "lifts the {side} hand and waves it",
        ),
        ("waves at someone with {pos} {side} hand", "signals with a wave of the {side} hand"),
    ),
    "raise-up-{side}-hand": (
        (
            "raises {pos} {side} hand",
            "raises the {side} hand up",
            "lifts {pos} {side} arm up",
            "puts {pos} {side} hand up",
            "puts {pos} {side} hand in the air",
            "holds up {pos} {side} hand",
            "raises {pos} {side} arm up high",
        ),
        ("lifts the {side} hand up into the air", "reaches up with {pos} {side} hand"),
    ),
}
for _key, (_train, _held) in _SIDED_VERBS.items():
    for _side in ("left", "right"):
        _VERBS[_key.format(side=_side)] = (
            tuple(p.replace("{side}", _side) for p in _train),
            tuple(p.replace("{side}", _side) for p in _held),
        )


@dataclass(frozen=True)
class _StylePhrases:
    """The phrasings of one style, each kind as (train, held-out) tuples."""

    adv: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # before or after the verb
    sfx: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # after the verb phrase
    loco: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # suffix, LOCOMOTION_CONTENTS
    walk: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # suffix, WALKING_CONTENTS
    adj: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # "a tired" + noun
    subj: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # whole subject: "a giant"


def _style(**kinds: tuple[tuple[str, ...], tuple[str, ...]]) -> _StylePhrases:
    return _StylePhrases(**kinds)


# Suffixes starting with "," attach without a space. "{pos}"/"{refl}" follow the subject.
_OLD = _style(
    sfx=(
        (
            "like an old man",
            "like an elderly person",
            "in an elderly way",
            "with the stiffness of old age",
        ),
        ("like a senior citizen", "with the frailty of old age"),
    ),
    loco=(("with slow, careful steps",), ()),
    adj=(("an old", "an elderly"), ("an aged",)),
)
_TIRED = _style(
    adv=(("tiredly", "wearily", "sluggishly"), ("listlessly",)),
    sfx=(
        ("in a tired way", ", looking exhausted", "as if worn out"),
        ("completely out of energy", "as if completely drained"),
    ),
    walk=(("slowly and tiredly", "dragging {pos} feet"), ()),
    adj=(("a tired", "an exhausted", "a weary"), ("a worn-out",)),
)
_MASCULINE = _style(
    sfx=(
        (
            "in a masculine way",
            "in a manly way",
            "with broad, masculine movements",
            "in a macho manner",
        ),
        ("in a very manly manner", "with a strong masculine posture"),
    ),
    loco=(("with a wide, masculine stride",), ()),
    adj=(("a masculine", "a macho"), ("a manly",)),
)

_STYLE_PHRASES: dict[str, _StylePhrases] = {
    "normal": _style(
        sfx=(
            ("", "normally", "in a normal way", "in a natural manner", "in an ordinary way"),
            ("in a regular way", "in a neutral manner"),
        ),
    ),
    "happy": _style(
        adv=(("happily", "cheerfully", "joyfully"), ("gleefully",)),
        sfx=(("in a happy way", ", looking happy", "in a cheerful mood"), ("in high spirits",)),
        loco=(("with a spring in {pos} step",), ()),
        adj=(("a happy", "a cheerful"), ("a joyful",)),
    ),
    "sad": _style(
        adv=(("sadly", "gloomily", "sorrowfully"), ("mournfully",)),
        sfx=(
            ("in a sad way", ", looking sad", ", looking down and dejected"),
            ("with a heavy heart",),
        ),
        loco=(("with heavy, sad steps",), ()),
        adj=(("a sad", "an unhappy"), ("a sorrowful",)),
    ),
    "angry": _style(
        adv=(("angrily", "furiously"), ("irritably",)),
        sfx=(
            ("in an angry way", ", looking angry", "in a rage", "with visible anger"),
            ("in a fit of anger",),
        ),
        loco=(("with angry, stomping steps",), ()),
        adj=(("an angry", "a furious"), ("an annoyed",)),
    ),
    "proud": _style(
        adv=(("proudly", "confidently"), ("haughtily",)),
        sfx=(
            ("in a proud way", "with {pos} chest puffed out", "with {pos} head held high"),
            ("in a self-assured manner",),
        ),
        loco=(("with a proud stride",), ()),
        adj=(("a proud", "a confident"), ("an arrogant",)),
    ),
    "not-confident": _style(
        adv=(("timidly", "hesitantly", "shyly", "nervously"), ("meekly",)),
        sfx=(
            (
                "in an unconfident way",
                "without confidence",
                ", looking unsure of {refl}",
                "in a timid way",
            ),
            ("with a lack of confidence",),
        ),
        adj=(("a timid", "an insecure", "a shy"), ("a nervous",)),
    ),
    "masculinity": _MASCULINE,
    "masculine": _MASCULINE,
    "feminine": _style(
        adv=(("gracefully", "daintily"), ("elegantly",)),
        sfx=(
            (
                "in a feminine way",
                "in a ladylike manner",
                "with feminine grace",
                "with dainty, feminine movements",
            ),
            ("in a womanly manner",),
        ),
        loco=(("with light, feminine steps",), ()),
        adj=(("a feminine", "a ladylike"), ("a graceful",)),
    ),
    "childish": _style(
        adv=(("playfully", "childishly"), ()),
        sfx=(
            ("like a child", "like a little kid", "in a childlike way", "in a childish manner"),
            ("like a young child", "with childlike energy"),
        ),
        subj=(("a child", "a little kid"), ("a young kid",)),
    ),
    "old": _OLD,
    "elderly": _OLD,
    "tired": _TIRED,
    "exhausted": _TIRED,
    "active": _style(
        adv=(("energetically", "vigorously"), ("briskly",)),
        sfx=(
            (
                "in an energetic way",
                "full of energy",
                "with lots of energy",
                "in a lively manner",
                "in an active way",
            ),
            ("with great vigor",),
        ),
        adj=(("an energetic", "a lively", "an active"), ("a vigorous",)),
    ),
    "musical": _style(
        adv=(("theatrically", "dramatically"), ()),
        sfx=(
            (
                "like a musical performer",
                "like someone in a musical",
                "in a theatrical, musical style",
                "with exaggerated stage flair",
                "like a performer on a musical stage",
            ),
            ("as if performing in a musical",),
        ),
        subj=(("a musical performer", "a stage actor"), ("a musical theatre performer",)),
    ),
    "giant": _style(
        adv=(("heavily", "ponderously"), ()),
        sfx=(
            (
                "like a giant",
                "like a huge, heavy giant",
                "with heavy, lumbering movements",
                "in a big, heavy, giant-like way",
            ),
            ("like a massive lumbering giant", "with the heavy weight of a giant"),
        ),
        loco=(("with heavy, lumbering steps", "taking huge, heavy strides"), ()),
        subj=(("a giant", "a huge giant"), ("a lumbering giant",)),
    ),
    "chimpira": _style(
        adv=(("cockily", "menacingly"), ("brashly",)),
        sfx=(
            (
                "like a thug",
                "like a street punk",
                "like a small-time gangster",
                "with a thuggish attitude",
                "in a delinquent, punkish way",
            ),
            ("like a hoodlum", "with the swagger of a petty gangster"),
        ),
        loco=(("with a thuggish swagger",), ()),
        subj=(("a thug", "a street punk"), ("a young hoodlum",)),
    ),
    "youthful": _style(
        adv=(("youthfully",), ()),
        sfx=(
            (
                "in a youthful way",
                "like a young person",
                "with youthful energy",
                "in a fresh, youthful manner",
            ),
            ("with the vigor of youth", "like a teenager"),
        ),
        adj=(("a youthful", "a young"), ("a young-looking",)),
    ),
}

assert set(_VERBS) == set(CONTENTS), sorted(set(_VERBS) ^ set(CONTENTS))
assert set(_STYLE_PHRASES) == set(STYLES), sorted(set(_STYLE_PHRASES) ^ set(STYLES))

# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------

_PREFIX_RE = re.compile(r"^\s*dataset-\d+_")


def strip_label_prefix(label: str) -> str:
    """Remove the dataset prefix of a label: ``"dataset-1_walk"`` -> ``"walk"``.

    Labels without a prefix are returned stripped of surrounding whitespace, otherwise unchanged.
    """
    return _PREFIX_RE.sub("", label).strip()


def parse_clip_name(name: str) -> tuple[str, str, str]:
    """Split a clip file name into ``(content, style, take)``.

    Accepts a bare stem or a file name/path: ``"data/dataset-1_walk-left_not-confident_001.bvh.gz"``
    -> ``("walk-left", "not-confident", "001")``. Labels are returned without dataset prefix and
    are not validated against ``CONTENTS``/``STYLES``.

    Raises:
        ValueError: the name does not have the ``[dataset-N_]content_style_take`` form.
    """
    stem = re.split(r"[\\/]", name.strip())[-1]
    stem = re.sub(r"(\.bvh\.gz|\.bvh|\.json|\.npz|\.npy)$", "", stem)
    parts = strip_label_prefix(stem).split("_")
    if len(parts) != 3 or not all(parts):
        raise ValueError(
            f"clip name {name!r} is not of the form 'dataset-N_<content>_<style>_<take>'"
        )
    return parts[0], parts[1], parts[2]


def _check_labels(content: str, style: str) -> tuple[str, str]:
    content = strip_label_prefix(content)
    style = strip_label_prefix(style)
    if content not in CONTENTS:
        raise KeyError(
            f"unknown content label {content!r}; valid contents: {', '.join(sorted(CONTENTS))}"
        )
    if style not in STYLES:
        raise KeyError(f"unknown style label {style!r}; valid styles: {', '.join(sorted(STYLES))}")
    return content, style


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid splits: {', '.join(SPLITS)}")
    return split


# --------------------------------------------------------------------------------------------
# Caption generation
# --------------------------------------------------------------------------------------------


def _join(head: str, tail: str) -> str:
    if not tail:
        return head
    return head + tail if tail.startswith(",") else f"{head} {tail}"


def _suffixes(content: str, phrases: _StylePhrases) -> tuple[list[str], list[str]]:
    train, held = list(phrases.sfx[0]), list(phrases.sfx[1])
    if content in LOCOMOTION_CONTENTS:
        train += phrases.loco[0]
        held += phrases.loco[1]
    if content in WALKING_CONTENTS:
        train += phrases.walk[0]
        held += phrases.walk[1]
    return train, held


@cache
def _pair_captions(content: str, style: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(train, held-out-candidate) captions of one label pair, before the global check."""
    phrases = _STYLE_PHRASES[style]
    verbs = [(v, False) for v in _VERBS[content][0]] + [(v, True) for v in _VERBS[content][1]]
    sfx_train, sfx_held = _suffixes(content, phrases)
    suffixes = [(s, False) for s in sfx_train] + [(s, True) for s in sfx_held]
    adverbs = [(a, False) for a in phrases.adv[0]] + [(a, True) for a in phrases.adv[1]]
    adjectives = [(a, False) for a in phrases.adj[0]] + [(a, True) for a in phrases.adj[1]]
    style_subjects = [_Subject(s, "n", False) for s in phrases.subj[0]]
    style_subjects += [_Subject(s, "n", True) for s in phrases.subj[1]]

    out: dict[str, bool] = {}  # caption -> held out (False wins: a train caption stays train)

    def add(text: str, heldout: bool) -> None:
        out[text] = out.get(text, True) and heldout

    for verb, v_held in verbs:
        for subj in _SUBJECTS:
            pron = _PRONOUNS[subj.gender]
            v = verb.format(**pron)
            base_held = v_held or subj.heldout
            for sfx, s_held in suffixes:
                add(_join(f"{subj.text} {v}", sfx.format(**pron)), base_held or s_held)
            for adv, a_held in adverbs:
                add(f"{subj.text} {adv} {v}", base_held or a_held)
                add(f"{subj.text} {v} {adv}", base_held or a_held)
        for adj, a_held in adjectives:
            for noun in _NOUNS:
                v = verb.format(**_PRONOUNS[noun.gender])
                add(f"{adj} {noun.text} {v}", v_held or a_held or noun.heldout)
        for subj in style_subjects:
            v = verb.format(**_PRONOUNS[subj.gender])
            add(f"{subj.text} {v}", v_held or subj.heldout)

    train = tuple(c for c, h in out.items() if not h)
    held = tuple(c for c, h in out.items() if h)
    return train, held


@lru_cache(maxsize=1)
def _all_train_captions() -> frozenset[str]:
    """Every train caption of every known (content, style) pair."""
    return frozenset(c for ct in CONTENTS for st in STYLES for c in _pair_captions(ct, st)[0])


@cache
def _captions(content: str, style: str, split: str) -> tuple[str, ...]:
    train, held = _pair_captions(content, style)
    if split == "train":
        return train
    every_train = _all_train_captions()
    return tuple(c for c in held if c not in every_train)


def captions_for(content: str, style: str, *, split: str) -> list[str]:
    """All captions of one (content, style) label pair in one split, in a fixed order.

    Args:
        content: content label, e.g. ``"wave-right-hand"`` (a ``dataset-N_`` prefix is removed).
        style: style label, e.g. ``"tired"`` (a ``dataset-N_`` prefix is removed).
        split: ``"train"`` (captions made only of train phrasings) or ``"heldout"`` (captions
            with at least one held-out subject / verb phrase / style phrasing; none of them is a
            train caption of any label pair).

    Returns:
        A new list of distinct lower-case captions without final punctuation.

    Raises:
        ValueError: ``split`` is not one of ``SPLITS``.
        KeyError: unknown content or style label (the message lists the valid ones).
    """
    _check_split(split)
    content, style = _check_labels(content, style)
    return list(_captions(content, style, split))


def sample_caption(content: str, style: str, rng: np.random.Generator, split: str = "train") -> str:
    """A caption of ``captions_for(content, style, split=split)`` drawn uniformly with ``rng``."""
    _check_split(split)
    content, style = _check_labels(content, style)
    pool = _captions(content, style, split)
    return pool[int(rng.integers(len(pool)))]


def caption_counts(split: str) -> dict[tuple[str, str], int]:
    """Number of captions of every known (content, style) pair in ``split`` (for data cards)."""
    _check_split(split)
    return {(c, s): len(_captions(c, s, split)) for c in CONTENTS for s in STYLES}


@dataclass(frozen=True)
class CaptionConfig:
    """How captions are attached to dataset clips.

    Attributes:
        seed: base seed; together with the clip's labels and take id it fixes the captions
            ``clip_captions`` picks, so a dataset gets the same captions on every build.
        phrasings_per_clip: how many distinct captions each clip receives (HumanML3D has about
            three per clip); fewer if the pair has fewer captions.
        split: which phrasings to draw from, ``"train"`` or ``"heldout"``.
    """

    seed: int = 0
    phrasings_per_clip: int = 5
    split: str = "train"

    def __post_init__(self) -> None:
        _check_split(self.split)
        if self.phrasings_per_clip < 1:
            raise ValueError(f"phrasings_per_clip must be >= 1, got {self.phrasings_per_clip}")


def clip_captions(
    content: str, style: str, clip_id: str = "", config: CaptionConfig | None = None
) -> list[str]:
    """The ``config.phrasings_per_clip`` distinct captions of one clip, chosen deterministically.

    The choice depends only on ``config.seed``, the labels and ``clip_id`` (e.g. the take id
    ``"001"`` or the clip stem), so different takes of one label pair get different phrasings.
    """
    config = config or CaptionConfig()
    content, style = _check_labels(content, style)
    pool = _captions(content, style, config.split)
    key = zlib.crc32(f"{content}|{style}|{clip_id}".encode())
    rng = np.random.default_rng([config.seed, key])
    count = min(config.phrasings_per_clip, len(pool))
    return [pool[int(i)] for i in rng.choice(len(pool), size=count, replace=False)]


# --------------------------------------------------------------------------------------------
# Mirroring
# --------------------------------------------------------------------------------------------

_SIDE_SWAP = {"left": "right", "right": "left"}
_ROTATION_SWAP = {
    "clockwise": "counterclockwise",
    "counterclockwise": "clockwise",
    "counter-clockwise": "clockwise",
    "anticlockwise": "clockwise",
    "anti-clockwise": "clockwise",
}
# A side word is delimited by non-letters (so "left-hand", "left_hand" and "left." swap but
# "leftover", "bright", "rightly" do not); "leftward(s)" / "rightmost" keep their ending.
_MIRROR_RE = re.compile(
    r"(?<![A-Za-z])(?:(?P<side>left|right)(?P<end>wards?|most)?"
    r"|(?P<rot>counter-?clockwise|anti-?clockwise|clockwise))(?![A-Za-z])",
    re.IGNORECASE,
)


def _match_case(source: str, word: str) -> str:
    if source.isupper():
        return word.upper()
    if source[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _mirror_match(m: re.Match[str]) -> str:
    if m.group("side"):
        side = m.group("side")
        return _match_case(side, _SIDE_SWAP[side.lower()]) + (m.group("end") or "")
    rot = m.group("rot")
    return _match_case(rot, _ROTATION_SWAP[rot.lower()])


def mirror_caption(text: str) -> str:
    """The caption of the left-right mirrored motion: swaps left <-> right, keeping case.

    ``"Left"`` -> ``"Right"``, ``"LEFT"`` -> ``"RIGHT"``, ``"left-hand"`` -> ``"right-hand"``,
    ``"leftwards"`` -> ``"rightwards"``; words that merely contain a side ("leftover", "bright",
    "rightly") are untouched. Turning senses swap too: ``"clockwise"`` <-> ``"counterclockwise"``
    (``"anticlockwise"`` and the hyphenated forms become ``"clockwise"``). Idioms such as
    "right away" are swapped as well, so keep them out of captions. On text without the
    "anti-"/hyphenated rotation variants this is an involution.
    """
    return _MIRROR_RE.sub(_mirror_match, text)


_LABEL_SIDE_RE = re.compile(r"(?<![A-Za-z])(left|right)(?![A-Za-z])")


def mirror_label(content: str) -> str:
    """The content label of the mirrored motion: ``wave-left-hand`` <-> ``wave-right-hand``,
    ``walk-left`` <-> ``walk-right``, ``walk-turn-left`` <-> ``walk-turn-right``,
    ``raise-up-left-hand`` <-> ``raise-up-right-hand``; labels without a side come back unchanged.
    A dataset prefix, if present, is kept.
    """
    return _LABEL_SIDE_RE.sub(lambda m: _SIDE_SWAP[m.group(1)], content)


# --------------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------------

_CONNECTORS: tuple[str, ...] = (
    ", then ",
    " then ",
    ", and then ",
    " and then ",
    ", after that ",
    " and after that ",
    " and afterwards ",
)
_FINAL_CONNECTORS: tuple[str, ...] = _CONNECTORS + (", and finally ",)

_PLAIN_NOUNS = ("person", "man", "woman", "human", "individual", "figure", "guy", "lady")
_SUBJECT_NOUNS = _PLAIN_NOUNS + (
    "character", "boy", "girl", "child", "kid", "giant", "thug", "punk", "gangster",
    "hoodlum", "delinquent", "performer", "actor", "dancer", "robot", "humanoid",
)  # fmt: skip
_SUBJECT_RE = re.compile(
    r"^(?P<subject>someone|somebody|(?:a|an|the|this|one)\s+(?:[a-z][a-z'-]*,?\s+){0,3}?"
    rf"(?:{'|'.join(_SUBJECT_NOUNS)}))\s+(?P<rest>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
_PLAIN_SUBJECT_RE = re.compile(
    rf"^(?:someone|somebody|(?:a|an|the|this|one)\s+(?:{'|'.join(_PLAIN_NOUNS)}))$",
    re.IGNORECASE,
)
_MALE_RE = re.compile(r"\b(?:man|guy|boy|gentleman)\b", re.IGNORECASE)
_FEMALE_RE = re.compile(r"\b(?:woman|lady|girl)\b", re.IGNORECASE)
_PRONOUN_RE = re.compile(r"\b(their|his|her|themselves|themself|himself|herself)\b", re.IGNORECASE)
_PRONOUN_KIND = {
    "their": ("n", "pos"), "his": ("m", "pos"), "her": ("f", "pos"),
    "themselves": ("n", "refl"), "themself": ("n", "refl"),
    "himself": ("m", "refl"), "herself": ("f", "refl"),
}  # fmt: skip


def _gender(subject: str) -> str:
    if _MALE_RE.search(subject):
        return "m"
    if _FEMALE_RE.search(subject):
        return "f"
    return "n"


def _clean_part(text: str) -> str:
    text = " ".join(text.split())
    return text.rstrip(" .!;,")


def _continuation(part: str, gender: str) -> str:
    """A later part as a bare verb phrase that continues a sentence about ``gender``."""
    m = _SUBJECT_RE.match(part)
    if m is None:
        if len(part) > 1 and part[1].isupper():  # an acronym or "I": leave it
            return part
        return part[:1].lower() + part[1:]
    subject, rest = " ".join(m.group("subject").split()), m.group("rest")
    own = _gender(subject)
    if own != gender:

        def swap(p: re.Match[str]) -> str:
            kind = _PRONOUN_KIND[p.group(1).lower()][1]
            return _match_case(p.group(1), _PRONOUNS[gender][kind])

        rest = _PRONOUN_RE.sub(
            lambda p: swap(p) if _PRONOUN_KIND[p.group(1).lower()][0] == own else p.group(0),
            rest,
        )
    if _PLAIN_SUBJECT_RE.match(subject):
        return rest
    # a style-bearing subject ("an elderly man", "a giant") moves to the end as a comparison
    return f"{rest} like {subject[:1].lower()}{subject[1:]}"


def composed_caption(parts: Sequence[str], rng: np.random.Generator | None = None) -> str:
    """Join the captions of consecutive segments into one command.

    ``["a person walks forward", "someone waves with their right hand"]`` ->
    ``"a person walks forward, then waves with their right hand"``. The first part keeps its
    subject; later parts lose theirs (a style-bearing subject such as "an old man" becomes a
    trailing "like an old man", and possessives follow the first subject's gender). Parts are
    joined with ", then" / "and then" / "after that" ... chosen with ``rng`` (and ", and finally"
    may close three or more parts); without ``rng`` every join is ", then ".

    Raises:
        ValueError: ``parts`` is empty or contains an empty caption.
    """
    cleaned = [_clean_part(p) for p in parts]
    if not cleaned or not all(cleaned):
        raise ValueError(f"composed_caption needs one or more non-empty parts, got {parts!r}")
    first = cleaned[0]
    m = _SUBJECT_RE.match(first)
    gender = _gender(m.group("subject")) if m else "n"
    text = first
    for i, part in enumerate(cleaned[1:], start=1):
        if rng is None:
            connector = _CONNECTORS[0]
        else:
            closing = len(cleaned) >= 3 and i == len(cleaned) - 1
            options = _FINAL_CONNECTORS if closing else _CONNECTORS
            connector = options[int(rng.integers(len(options)))]
        text += connector + _continuation(part, gender)
    return text
