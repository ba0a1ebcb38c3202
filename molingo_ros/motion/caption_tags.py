"""``word/POS`` tokens of a caption, as HumanML3D's ``texts/*.txt`` carry them (lower-case
lemmas with Universal POS tags: ``a/DET person/NOUN walk/VERB forward/ADV``).

HumanML3D tags with spaCy; this project has no tagger, so a small lexicon covers the words of
its own captions (:mod:`molingo_ros.motion.captions`, DeepMimic's) and suffix rules tag the
rest (``-ly`` adverbs, ``-ing``/``-s`` verbs of known stems, nouns otherwise). Good enough for
the text evaluators that read the tokens (word vectors plus a coarse POS one-hot).
"""

from __future__ import annotations

import re

_WORDS = {
    "DET": "a an the some several few this that these those every each",
    "PRON": "he she they it them him her his their its someone somebody something herself "
    "himself themselves itself one",
    "ADP": "above along around at by for from in into of off on out over through to toward "
    "towards with without up down like as across behind near",
    "CCONJ": "and or but",
    "SCONJ": "while if where because then",
    "NUM": "two ninety",
    "PART": "not",
    "AUX": "is are does",
    "ADV": "forward forwards backward backwards ahead away here very completely straight "
    "back closer diagonally",
    "ADJ": "active angry annoyed arrogant big broad careful cheerful childish childlike "
    "confident dainty dejected diagonal direct elderly energetic exaggerated exhausted "
    "feminine fit fresh full furious giant giant-like graceful great happy heavy high huge "
    "imaginary insecure joyful ladylike left light little lively long macho manly masculine "
    "massive musical natural nervous neutral normal old open ordinary petty proud punkish "
    "quick raised regular right sad self-assured short shy slow small small-time sorrowful "
    "strong theatrical thuggish timid tired two-handed unconfident unhappy unsure upper "
    "very vigorous visible weary wide worn worn-out young young-looking youthful",
}
_TAGS = {word: tag for tag, words in _WORDS.items() for word in words.split()}

_VERBS = set(
    "acknowledge answer approach attack back bend beckon bid bolt bow box brandish break "
    "call change come cut dance dash deliver direct do drag extend give go guide head hold "
    "indicate jab kick lift make motion move perform point punch put race raise reach reply "
    "respond retreat run say show signal slash sprint step stride strike swing take throw "
    "turn walk wave crawl jump roll spin flip cartwheel get stand fall lie rise "
    "stomp gesture hop skip".split()
)
_IRREGULAR = {"feet": "foot", "does": "do", "goes": "go", "running": "run", "taking": "take",
              "waving": "wave", "raising": "raise", "lifting": "lift", "throwing": "throw",
              "performing": "perform", "turning": "turn", "walking": "walk", "angling": "angle",
              "dragging": "drag", "looking": "look", "stomping": "stomp", "replies": "reply",
              "getting": "get", "dancing": "dance", "spinning": "spin", "rolling": "roll",
              "jumping": "jump", "crawling": "crawl", "kicking": "kick"}  # fmt: skip


def _verb_lemma(word: str) -> str | None:
    """The verb stem of ``word`` if it is a known verb form (walks, waves, punches, turning)."""
    if word in _IRREGULAR and _IRREGULAR[word] in _VERBS:
        return _IRREGULAR[word]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("", "")):
        if word.endswith(suffix) and (stem := word[: len(word) - len(suffix)] + repl) in _VERBS:
            return stem
    return None


def _noun_lemma(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def tag_word(word: str) -> str:
    """``lemma/POS`` of one lower-case word."""
    if word in _TAGS:
        return f"{word}/{_TAGS[word]}"
    lemma = _verb_lemma(word)
    if lemma is not None:
        return f"{lemma}/VERB"
    if word.endswith("ly"):
        return f"{word}/ADV"
    if word.isdigit():
        return f"{word}/NUM"
    return f"{_noun_lemma(word)}/NOUN"


def caption_tokens(caption: str) -> tuple[str, ...]:
    """``word/POS`` tokens of ``caption`` (punctuation dropped)."""
    words = re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", caption.lower())
    return tuple(tag_word(w) for w in words)
