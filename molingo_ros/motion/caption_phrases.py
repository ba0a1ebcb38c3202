"""The caption vocabulary: labels and phrase tables, read from ``caption_phrases.yaml``.

The Bandai Namco labels (contents, styles) and every phrase the caption grammar
(:mod:`molingo_ros.motion.caption_grammar`) combines are data, in ``caption_phrases.yaml`` next to
this module (``PHRASES_FILE``). It is read and checked once, at import. Each phrase table has a
TRAIN and a HELD-OUT list (:data:`PhrasePair`): held-out phrasings only ever appear in held-out
captions.

Verb phrases are third person; ``{pos}`` / ``{refl}`` in them (and in style suffixes) stand for
the subject's possessive / reflexive pronoun (:data:`PRONOUNS`). Sided verbs are written once
with ``{side}`` and expanded here for ``left`` and ``right``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import yaml

PHRASES_FILE: Path = Path(__file__).with_name("caption_phrases.yaml")
"""The data file with the labels and every phrase table; read once, at import."""

PhrasePair = tuple[tuple[str, ...], tuple[str, ...]]
"""``(train phrases, held-out phrases)`` of one table entry."""


class Subject(NamedTuple):
    """A sentence subject ("a person", "an elderly man" ...).

    Attributes:
        text: the words, lower case.
        gender: ``"n"``, ``"m"`` or ``"f"``: selects the pronouns of :data:`PRONOUNS`.
        heldout: only used in held-out captions.
    """

    text: str
    gender: str
    heldout: bool


PRONOUNS: dict[str, dict[str, str]] = {
    "n": {"pos": "their", "refl": "themselves"},
    "m": {"pos": "his", "refl": "himself"},
    "f": {"pos": "her", "refl": "herself"},
}
"""Gender -> ``{"pos": possessive, "refl": reflexive}`` pronoun."""


@dataclass(frozen=True)
class StylePhrases:
    """The phrasings of one style, each kind as (train, held-out) tuples.

    Attributes:
        adv: adverbs, placed before or after the verb ("happily").
        sfx: phrases after the verb phrase ("in a tired way", ", looking exhausted").
        loco: suffixes only for :data:`LOCOMOTION_CONTENTS` ("with heavy steps").
        walk: suffixes only for :data:`WALKING_CONTENTS` ("dragging their feet").
        adj: adjectives before a noun subject ("a tired" + "person").
        subj: whole subjects carrying the style ("a giant").
    """

    adv: PhrasePair = ((), ())
    sfx: PhrasePair = ((), ())
    loco: PhrasePair = ((), ())
    walk: PhrasePair = ((), ())
    adj: PhrasePair = ((), ())
    subj: PhrasePair = ((), ())


def _pair(entry: dict | None, where: str) -> PhrasePair:
    """A ``{train: [...], heldout: [...]}`` entry (either list may be left out) as tuples."""
    entry = entry or {}
    if set(entry) - {"train", "heldout"}:
        raise ValueError(f"{PHRASES_FILE.name}: {where}: keys must be train/heldout: {entry}")
    return tuple(entry.get("train") or ()), tuple(entry.get("heldout") or ())


def _subjects(entry: dict, where: str) -> tuple[Subject, ...]:
    train, held = _pair(entry, where)
    out = tuple(Subject(t, g, h) for items, h in ((train, False), (held, True)) for t, g in items)
    if any(s.gender not in PRONOUNS for s in out):
        raise ValueError(f"{PHRASES_FILE.name}: {where}: every gender must be n, m or f")
    return out


def _sided(phrases: tuple[str, ...], side: str) -> tuple[str, ...]:
    return tuple(p.replace("{side}", side) for p in phrases)


def load_phrases(path: Path = PHRASES_FILE) -> dict:
    """Read and check the phrase tables; sided verbs are expanded for "left" and "right".

    Returns:
        ``contents`` / ``styles`` (label -> description), ``subjects`` / ``nouns``
        (:class:`Subject` tuples), ``verbs`` (content -> :data:`PhrasePair`),
        ``style_phrases`` (style -> :class:`StylePhrases`), ``connectors``,
        ``closing_connectors``, ``plain_nouns``, ``style_nouns`` (string tuples).

    Raises:
        ValueError: a malformed entry, or verbs / style phrases that do not cover exactly the
            listed contents / styles.
    """
    # libyaml's loader when PyYAML has it: ~5 ms instead of ~100 ms, at every import.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    verbs = {k: _pair(v, f"verbs.{k}") for k, v in data["verbs"].items()}
    for key, entry in data["sided_verbs"].items():
        train, held = _pair(entry, f"sided_verbs.{key}")
        for side in ("left", "right"):
            verbs[key.format(side=side)] = (_sided(train, side), _sided(held, side))
    styles = {
        name: StylePhrases(**{k: _pair(v, f"style_phrases.{name}.{k}") for k, v in kinds.items()})
        for name, kinds in data["style_phrases"].items()
    }
    if set(verbs) != set(data["contents"]) or set(styles) != set(data["styles"]):
        raise ValueError(f"{path.name}: verbs / style_phrases do not match contents / styles")
    comp = data["composition"]
    return {
        "contents": dict(data["contents"]),
        "styles": dict(data["styles"]),
        "subjects": _subjects(data["subjects"], "subjects"),
        "nouns": _subjects(data["nouns"], "nouns"),
        "verbs": verbs,
        "style_phrases": styles,
        "connectors": tuple(comp["connectors"]),
        "closing_connectors": tuple(comp["closing_connectors"]),
        "plain_nouns": tuple(comp["plain_subject_nouns"]),
        "style_nouns": tuple(comp["style_subject_nouns"]),
    }


_DATA = load_phrases()

CONTENTS: dict[str, str] = _DATA["contents"]
"""Every known content label (no dataset prefix) with a short description."""

STYLES: dict[str, str] = _DATA["styles"]
"""Every known style label (no dataset prefix) with a short description."""

WALKING_CONTENTS: frozenset[str] = frozenset(
    {"walk", "walk-back", "walk-left", "walk-right", "walk-turn-left", "walk-turn-right"}
)
"""Contents that are walks: they also get walk-only style phrasings ("dragging their feet")."""

LOCOMOTION_CONTENTS: frozenset[str] = WALKING_CONTENTS | {"run", "dash"}
"""Contents that travel: they also get stepping style phrasings ("with heavy, lumbering steps")."""

SUBJECTS: tuple[Subject, ...] = _DATA["subjects"]
"""Plain subjects ("a person", "someone"); held-out ones only in held-out captions."""

NOUNS: tuple[Subject, ...] = _DATA["nouns"]
"""Nouns that follow a style adjective ("a tired" + "person")."""

VERBS: dict[str, PhrasePair] = _DATA["verbs"]
"""Content -> third-person verb phrases; ``{pos}`` / ``{refl}`` are the subject's pronouns."""

STYLE_PHRASES: dict[str, StylePhrases] = _DATA["style_phrases"]
"""Style -> its phrasings."""

CONNECTORS: tuple[str, ...] = _DATA["connectors"]
"""Joins between composed segments (", then " first: the one used without a generator)."""

CLOSING_CONNECTORS: tuple[str, ...] = _DATA["closing_connectors"]
"""Extra joins that may close three or more segments (", and finally ")."""

PLAIN_NOUNS: tuple[str, ...] = _DATA["plain_nouns"]
"""Nouns of subjects without a style ("person", "man"): dropped when composing."""

STYLE_NOUNS: tuple[str, ...] = _DATA["style_nouns"]
"""Nouns of style-bearing subjects ("giant"): kept as "like a giant" when composing."""
