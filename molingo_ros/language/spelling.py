"""Cleaning the words of a typed command: Unicode and quotes normalised, punctuation removed,
numbers split from their units and typos in motion words corrected. No ROS imports.

Correction is conservative so that real words survive: only unknown ASCII words of 3+
letters change, and only into a word one edit away (two for long words); see
:func:`correct_word`. The word tables are in :mod:`~molingo_ros.language.vocabulary`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from molingo_ros.language.vocabulary import SHORT_TARGETS

_QUOTES = str.maketrans("\u2018\u2019\u201a\u201b\u2032\u02bc`\u201c\u201d\u201e\u201f\u2033",
                        "'" * 7 + '"' * 5)
_INFLECTIONS = ("s", "es", "ed", "ing", "ly", "er")
_WORD = r"[^\W\d_]+(?:'[^\W\d_]+)*"


def tidy(text: str) -> str:
    """NFKC, straight quotes, single spaces; case kept."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())


def normalize(text: str) -> str:
    """Lower case, Unicode NFKC, curly quotes made straight, whitespace collapsed and stripped."""
    return tidy(text).lower()


def is_known(word: str, known: frozenset[str]) -> bool:
    """The word, or a plain inflection of it (waves, waved, lifting, jogging), is known."""
    if word in known:
        return True
    for suffix in _INFLECTIONS:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 2 and (
            stem in known or stem + "e" in known or (stem[-1] == stem[-2] and stem[:-1] in known)
        ):
            return True
    return False


def edit_distance(a: str, b: str) -> int:
    """Levenshtein edit distance: insertions, deletions and substitutions."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def correct_word(word: str, known: frozenset[str], targets: list[str]) -> str:
    """The known word a typo most likely meant, or the word itself.

    Only unknown ASCII words of 3+ letters change: first an adjacent swap ("wlak" -> "walk",
    4+ letters, into any known word), then the closest target by difflib (cutoff 0.8) that is
    also one edit away (two for 8+ letters), so real words ("advance", "world") stay. A
    3-letter word may only gain a letter to become a common motion word ("yor" -> "your").

    Args:
        word: one lower-case word.
        known: words left as they are (with their plain inflections).
        targets: the sorted words a 4+ letter typo may become.
    """
    if len(word) < 3 or not word.isalpha() or not word.isascii() or is_known(word, known):
        return word
    if len(word) >= 4:
        for i in range(len(word) - 1):
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
            if swapped in known:
                return swapped
    pool, cutoff = (targets, 0.8) if len(word) >= 4 else (SHORT_TARGETS, 0.85)
    limit = 1 if len(word) < 8 else 2
    for close in difflib.get_close_matches(word, pool, n=5, cutoff=cutoff):
        if edit_distance(word, close) <= limit:
            return close
    return word


def clean_words(text: str, known: frozenset[str], targets: list[str]) -> str:
    """Normalised words of a clause: punctuation gone, numbers split from units, typos fixed.

    ``known`` and ``targets`` are as for :func:`correct_word`. Decimal points, apostrophes
    and hyphens inside words are kept ("2.5", "don't", "e-stop").
    """
    text = normalize(text).replace("_", " ")
    text = re.sub(r"[^\w\s'.-]", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)|(?<!\w)['-]|['-](?!\w)", " ", text)
    text = re.sub(r"(\d)([^\W\d_])", r"\1 \2", text)
    text = re.sub(_WORD, lambda m: correct_word(m.group(), known, targets), text)
    return " ".join(text.split())


__all__ = ["clean_words", "correct_word", "edit_distance", "is_known", "normalize", "tidy"]
