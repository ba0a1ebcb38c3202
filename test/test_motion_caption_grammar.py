"""Tests of molingo_ros.motion.caption_grammar: how subjects, verb phrases and style phrasings
combine into the captions of one label pair."""

from __future__ import annotations

from molingo_ros.motion import caption_phrases as ph
from molingo_ros.motion.caption_grammar import all_train_captions, caption_pool, pair_captions


def test_train_captions_combine_train_components_only() -> None:
    train, held = pair_captions("walk", "tired")
    assert not set(train) & set(held)
    verbs = ph.VERBS["walk"][0]
    subjects = [s.text for s in ph.SUBJECTS if not s.heldout]
    sfx = ph.STYLE_PHRASES["tired"].sfx[0]
    # subject + verb + suffix, with a comma suffix glued to the verb phrase
    expected = f"{subjects[0]} {verbs[0]}" + (sfx[0] if sfx[0].startswith(",") else f" {sfx[0]}")
    assert train[0] == expected
    held_subjects = [s.text for s in ph.SUBJECTS if s.heldout]
    assert not any(c.startswith(s + " ") for c in train for s in held_subjects)


def test_adverbs_go_before_and_after_the_verb() -> None:
    train, _ = pair_captions("bow", "happy")
    adverb = ph.STYLE_PHRASES["happy"].adv[0][0]
    verb = ph.VERBS["bow"][0][0]
    assert f"a person {adverb} {verb}" in train
    assert f"a person {verb} {adverb}" in train


def test_pronouns_follow_the_subject() -> None:
    train, _ = pair_captions("wave-right-hand", "normal")
    men = [c for c in train if c.startswith("a man ")]
    women = [c for c in train if c.startswith("a woman ")]
    assert men and women
    assert not any(" her " in c or " their " in c for c in men)
    assert not any(" his " in c or " their " in c for c in women)
    assert all("{" not in c for c in train)  # every placeholder filled


def test_walking_suffixes_only_for_walks() -> None:
    walk_only = set(ph.STYLE_PHRASES["tired"].walk[0])
    assert walk_only
    walk, _ = pair_captions("walk", "tired")
    bow, _ = pair_captions("bow", "tired")
    marker = next(iter(walk_only)).format(**ph.PRONOUNS["n"]).lstrip(", ")
    assert any(marker in c for c in walk)
    assert not any(marker in c for c in bow)


def test_pool_removes_heldout_captions_that_are_train_anywhere() -> None:
    every_train = all_train_captions()
    assert len(every_train) > 100_000
    train = caption_pool("walk", "normal", "train")
    held = caption_pool("walk", "normal", "heldout")
    assert train == pair_captions("walk", "normal")[0]
    assert set(held) <= set(pair_captions("walk", "normal")[1])
    assert not set(held) & every_train
    assert set(train) <= every_train
    assert caption_pool("walk", "normal", "heldout") is held  # cached
