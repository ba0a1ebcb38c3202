"""Natural-language captions for the Bandai Namco motion labels.

The Bandai Namco Research motion datasets label every clip with one *content* (what the person
does: ``walk``, ``wave-right-hand``, ``bow`` ...) and one *style* (how: ``normal``, ``tired``,
``chimpira`` ...), but carry no sentences. This module writes HumanML3D-like English captions
from those labels ("a person walks forward, looking exhausted", "someone waves with their right
hand", "an elderly woman takes a bow") for a sentence encoder such as MiniLM.

The labels and phrase tables are data (:mod:`molingo_ros.motion.caption_phrases`, read from
``caption_phrases.yaml``); :mod:`molingo_ros.motion.caption_grammar` combines them into every
caption of a label pair: a subject, a verb phrase of the content and a style phrasing. This
module is the public entry point: label parsing and checking, caption lists and draws, the
captions of a mirrored clip and the command of a multi-segment sequence.

Every phrasing is either TRAIN or HELD-OUT. A caption made only of train phrasings is a train
caption; a caption with at least one held-out phrasing is a held-out caption. Held-out captions
never equal any train caption of any label pair (checked over all known labels and enforced),
so they measure generalisation to unseen phrasings.

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

import numpy as np

from molingo_ros.motion.caption_grammar import caption_pool
from molingo_ros.motion.caption_phrases import (
    CLOSING_CONNECTORS,
    CONNECTORS,
    CONTENTS,
    LOCOMOTION_CONTENTS,
    PLAIN_NOUNS,
    PRONOUNS,
    STYLE_NOUNS,
    STYLES,
)

# The label vocabulary (CONTENTS, STYLES, LOCOMOTION_CONTENTS) is defined with the phrase tables
# and is part of this module's public API: callers read it as ``captions.CONTENTS``.
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
# Label parsing
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
    return list(caption_pool(content, style, split))


def sample_caption(content: str, style: str, rng: np.random.Generator, split: str = "train") -> str:
    """A caption of ``captions_for(content, style, split=split)`` drawn uniformly with ``rng``."""
    _check_split(split)
    content, style = _check_labels(content, style)
    pool = caption_pool(content, style, split)
    return pool[int(rng.integers(len(pool)))]


def caption_counts(split: str) -> dict[tuple[str, str], int]:
    """Number of captions of every known (content, style) pair in ``split`` (for data cards)."""
    _check_split(split)
    return {(c, s): len(caption_pool(c, s, split)) for c in CONTENTS for s in STYLES}


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
    pool = caption_pool(content, style, config.split)
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

_FINAL_CONNECTORS: tuple[str, ...] = CONNECTORS + CLOSING_CONNECTORS
_SUBJECT_NOUNS: tuple[str, ...] = PLAIN_NOUNS + STYLE_NOUNS
_SUBJECT_RE = re.compile(
    r"^(?P<subject>someone|somebody|(?:a|an|the|this|one)\s+(?:[a-z][a-z'-]*,?\s+){0,3}?"
    rf"(?:{'|'.join(_SUBJECT_NOUNS)}))\s+(?P<rest>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
_PLAIN_SUBJECT_RE = re.compile(
    rf"^(?:someone|somebody|(?:a|an|the|this|one)\s+(?:{'|'.join(PLAIN_NOUNS)}))$",
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
            return _match_case(p.group(1), PRONOUNS[gender][kind])

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
            connector = CONNECTORS[0]
        else:
            closing = len(cleaned) >= 3 and i == len(cleaned) - 1
            options = _FINAL_CONNECTORS if closing else CONNECTORS
            connector = options[int(rng.integers(len(options)))]
        text += connector + _continuation(part, gender)
    return text
