"""The caption grammar: every caption of one (content, style) label pair.

A caption is assembled from a subject ("a person", "someone", "a man" ...), a third-person verb
phrase of the content ("walks straight ahead") and a style phrasing: an adverb before or after
the verb ("happily"), a trailing phrase ("in a tired way", ", looking exhausted"), an adjective
subject ("an elderly man") or a style noun subject ("a giant"). ``normal`` uses neutral or no
phrasings. The phrases come from :mod:`molingo_ros.motion.caption_phrases`.

A caption made only of train components is a train caption; a caption with at least one
held-out component is a held-out caption. Held-out captions never equal any train caption of
any label pair: :func:`caption_pool` drops those that do. Lists have a fixed order.

Labels here are already checked (no dataset prefix, known content and style); the public
entry points with checks are in :mod:`molingo_ros.motion.captions`.
"""

from __future__ import annotations

from functools import cache, lru_cache

from molingo_ros.motion.caption_phrases import (
    CONTENTS,
    LOCOMOTION_CONTENTS,
    NOUNS,
    PRONOUNS,
    STYLE_PHRASES,
    STYLES,
    SUBJECTS,
    VERBS,
    WALKING_CONTENTS,
    StylePhrases,
    Subject,
)


def _join(head: str, tail: str) -> str:
    if not tail:
        return head
    return head + tail if tail.startswith(",") else f"{head} {tail}"


def _suffixes(content: str, phrases: StylePhrases) -> tuple[list[str], list[str]]:
    train, held = list(phrases.sfx[0]), list(phrases.sfx[1])
    if content in LOCOMOTION_CONTENTS:
        train += phrases.loco[0]
        held += phrases.loco[1]
    if content in WALKING_CONTENTS:
        train += phrases.walk[0]
        held += phrases.walk[1]
    return train, held


@cache
def pair_captions(content: str, style: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(train, held-out-candidate) captions of one label pair, before the global check that
    removes held-out candidates equal to a train caption of another pair."""
    phrases = STYLE_PHRASES[style]
    verbs = [(v, False) for v in VERBS[content][0]] + [(v, True) for v in VERBS[content][1]]
    sfx_train, sfx_held = _suffixes(content, phrases)
    suffixes = [(s, False) for s in sfx_train] + [(s, True) for s in sfx_held]
    adverbs = [(a, False) for a in phrases.adv[0]] + [(a, True) for a in phrases.adv[1]]
    adjectives = [(a, False) for a in phrases.adj[0]] + [(a, True) for a in phrases.adj[1]]
    style_subjects = [Subject(s, "n", False) for s in phrases.subj[0]]
    style_subjects += [Subject(s, "n", True) for s in phrases.subj[1]]

    out: dict[str, bool] = {}  # caption -> held out (False wins: a train caption stays train)

    def add(text: str, heldout: bool) -> None:
        out[text] = out.get(text, True) and heldout

    for verb, v_held in verbs:
        for subj in SUBJECTS:
            pron = PRONOUNS[subj.gender]
            v = verb.format(**pron)
            base_held = v_held or subj.heldout
            for sfx, s_held in suffixes:
                add(_join(f"{subj.text} {v}", sfx.format(**pron)), base_held or s_held)
            for adv, a_held in adverbs:
                add(f"{subj.text} {adv} {v}", base_held or a_held)
                add(f"{subj.text} {v} {adv}", base_held or a_held)
        for adj, a_held in adjectives:
            for noun in NOUNS:
                v = verb.format(**PRONOUNS[noun.gender])
                add(f"{adj} {noun.text} {v}", v_held or a_held or noun.heldout)
        for subj in style_subjects:
            v = verb.format(**PRONOUNS[subj.gender])
            add(f"{subj.text} {v}", v_held or subj.heldout)

    train = tuple(c for c, h in out.items() if not h)
    held = tuple(c for c, h in out.items() if h)
    return train, held


@lru_cache(maxsize=1)
def all_train_captions() -> frozenset[str]:
    """Every train caption of every known (content, style) pair."""
    return frozenset(c for ct in CONTENTS for st in STYLES for c in pair_captions(ct, st)[0])


@cache
def caption_pool(content: str, style: str, split: str) -> tuple[str, ...]:
    """The captions of a checked label pair in ``split`` (``"train"`` or ``"heldout"``), in a
    fixed order; held-out captions exclude every train caption of every pair."""
    train, held = pair_captions(content, style)
    if split == "train":
        return train
    every_train = all_train_captions()
    return tuple(c for c in held if c not in every_train)
