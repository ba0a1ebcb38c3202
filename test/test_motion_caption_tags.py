"""Tests of molingo_ros.motion.caption_tags: HumanML3D-style word/POS tokens of captions."""

from molingo_ros.motion.caption_tags import caption_tokens, tag_word


def test_tokens_of_a_caption():
    assert caption_tokens("A person walks forward, slowly.") == (
        "a/DET", "person/NOUN", "walk/VERB", "forward/ADV", "slowly/ADV",
    )  # fmt: skip
    assert caption_tokens("someone waves with their right hand") == (
        "someone/PRON", "wave/VERB", "with/ADP", "their/PRON", "right/ADJ", "hand/NOUN",
    )  # fmt: skip


def test_lemmas_of_verbs_and_plural_nouns():
    assert tag_word("punches") == "punch/VERB"
    assert tag_word("replies") == "reply/VERB"
    assert tag_word("raising") == "raise/VERB"
    assert tag_word("arms") == "arm/NOUN"
    assert tag_word("feet") == "foot/NOUN"
    assert tag_word("90") == "90/NUM"
