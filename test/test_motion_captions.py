"""Tests of molingo_ros.motion.captions against the real Bandai Namco label files."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from molingo_ros.motion import captions as cap

REPO = Path(__file__).resolve().parents[1]
DATA_ROOT = Path(
    os.environ.get(
        "MOLINGO_DATA_ROOT", str(REPO.parent / "shared" / "data" / "bandai-namco-motion")
    )
)
SIDE_RE = re.compile(r"(?<![A-Za-z])(left|right)(?![A-Za-z])", re.IGNORECASE)


def _read_labels(path: Path) -> list[str]:
    return [cap.strip_label_prefix(x) for x in path.read_text().split() if x.strip()]


def _dataset_pairs() -> list[tuple[str, str]]:
    cfg_dirs = sorted(DATA_ROOT.glob("*/cfg"))
    if len(cfg_dirs) < 2:
        pytest.fail(f"Bandai Namco label files not found under {DATA_ROOT}; set MOLINGO_DATA_ROOT")
    pairs: list[tuple[str, str]] = []
    for cfg in cfg_dirs:
        contents = _read_labels(cfg / "content_label.txt")
        styles = _read_labels(cfg / "style_label.txt")
        assert contents and styles, cfg
        pairs += [(c, s) for c in contents for s in styles]
    return sorted(set(pairs))


@pytest.fixture(scope="module")
def pairs() -> list[tuple[str, str]]:
    return _dataset_pairs()


def test_label_files_have_expected_sizes(pairs: list[tuple[str, str]]) -> None:
    # 17 x 15 + 10 x 7, minus the overlapping pairs (walk/run x normal/active/feminine)
    assert len(pairs) == 17 * 15 + 10 * 7 - 2 * 3
    for content, style in pairs:
        assert content in cap.CONTENTS and cap.CONTENTS[content]
        assert style in cap.STYLES and cap.STYLES[style]


def test_every_pair_has_enough_captions(pairs: list[tuple[str, str]]) -> None:
    for content, style in pairs:
        train = cap.captions_for(content, style, split="train")
        held = cap.captions_for(content, style, split="heldout")
        assert len(set(train)) >= 6 and len(set(train)) == len(train), (content, style)
        assert len(held) >= 1 and len(set(held)) == len(held), (content, style)
        for text in train + held:
            assert text == text.strip() and "  " not in text and " ," not in text, text
            assert "{" not in text and "}" not in text, text
            assert text == text.lower() and not text.endswith((".", ",")), text


def test_heldout_never_in_train(pairs: list[tuple[str, str]]) -> None:
    all_train: set[str] = set()
    all_held: set[str] = set()
    for content, style in pairs:
        all_train.update(cap.captions_for(content, style, split="train"))
        all_held.update(cap.captions_for(content, style, split="heldout"))
    assert not all_train & all_held
    # also over every known label, not only the recorded pairs
    for content in cap.CONTENTS:
        for style in cap.STYLES:
            held = cap.captions_for(content, style, split="heldout")
            assert held, (content, style)
            assert not set(held) & all_train


def test_style_is_mentioned_and_normal_has_plain_captions() -> None:
    plain = cap.captions_for("walk", "normal", split="train")
    assert "a person walks forward" in plain
    tired = cap.captions_for("walk", "tired", split="train")
    assert "a person walks forward" not in tired
    assert all(re.search(r"tired|exhaust|wear|worn|sluggish|drag", t) for t in tired)
    giant = cap.captions_for("wave-both-hands", "giant", split="train")
    assert any(t.startswith("a giant ") for t in giant)
    assert all(re.search(r"giant|heav|ponderous|lumber", t) for t in giant)


def test_side_words(pairs: list[tuple[str, str]]) -> None:
    styles = sorted({s for _, s in pairs})
    for content in cap.CONTENTS:
        for style in styles:
            texts = cap.captions_for(content, style, split="train")
            texts += cap.captions_for(content, style, split="heldout")
            sides = [{w.lower() for w in SIDE_RE.findall(t)} for t in texts]
            if "right" in content.split("-"):
                assert all(s == {"right"} for s in sides), content
            elif "left" in content.split("-"):
                assert all(s == {"left"} for s in sides), content
            else:  # unsided labels survive mirroring, so they must not name a side
                assert all(not s for s in sides), content


def test_sided_caption_lists_mirror_each_other() -> None:
    for content in ("wave-left-hand", "walk-left", "walk-turn-left", "raise-up-left-hand"):
        for style in ("normal", "elderly", "tired", "chimpira"):
            for split in cap.SPLITS:
                left = cap.captions_for(content, style, split=split)
                right = cap.captions_for(cap.mirror_label(content), style, split=split)
                assert [cap.mirror_caption(t) for t in left] == right


def test_mirror_caption_swaps_exactly() -> None:
    assert cap.mirror_caption("a person waves with their right hand") == (
        "a person waves with their left hand"
    )
    assert cap.mirror_caption("Left then RIGHT then right-hand and left_foot.") == (
        "Right then LEFT then left-hand and right_foot."
    )
    assert cap.mirror_caption("turns left, leftwards, rightmost") == (
        "turns right, rightwards, leftmost"
    )
    assert cap.mirror_caption("spins clockwise then counterclockwise") == (
        "spins counterclockwise then clockwise"
    )
    assert cap.mirror_caption("walks (left)") == "walks (right)"
    assert cap.mirror_caption("") == ""


@pytest.mark.parametrize(
    "text",
    ["leftover", "bright light", "a fright", "rightly so", "copyright", "outright", "cleft"],
)
def test_mirror_caption_word_boundaries(text: str) -> None:
    assert cap.mirror_caption(text) == text


def test_mirror_caption_is_involution_on_captions(pairs: list[tuple[str, str]]) -> None:
    rng = np.random.default_rng(0)
    for content, style in pairs:
        for split in cap.SPLITS:
            for text in cap.captions_for(content, style, split=split)[:50]:
                assert cap.mirror_caption(cap.mirror_caption(text)) == text
        parts = [cap.sample_caption(c, s, rng) for c, s in (pairs[0], (content, style))]
        joined = cap.composed_caption(parts, rng)
        assert cap.mirror_caption(cap.mirror_caption(joined)) == joined


def test_mirror_label() -> None:
    swaps = {
        "wave-left-hand": "wave-right-hand",
        "walk-left": "walk-right",
        "walk-turn-left": "walk-turn-right",
        "raise-up-left-hand": "raise-up-right-hand",
    }
    for a, b in swaps.items():
        assert cap.mirror_label(a) == b and cap.mirror_label(b) == a
    for content in cap.CONTENTS:
        mirrored = cap.mirror_label(content)
        assert mirrored in cap.CONTENTS
        assert cap.mirror_label(mirrored) == content
        if content not in swaps and content not in swaps.values():
            assert mirrored == content
    assert cap.mirror_label("dataset-2_wave-left-hand") == "dataset-2_wave-right-hand"


def test_strip_prefix_and_parse_clip_name() -> None:
    assert cap.strip_label_prefix("dataset-1_walk") == "walk"
    assert cap.strip_label_prefix("dataset-2_not-confident") == "not-confident"
    assert cap.strip_label_prefix("walk") == "walk"
    assert cap.parse_clip_name("x/dataset-1_walk-left_not-confident_001.bvh.gz") == (
        "walk-left",
        "not-confident",
        "001",
    )
    assert cap.parse_clip_name("dataset-2_raise-up-both-hands_active_102.json")[0] == (
        "raise-up-both-hands"
    )
    with pytest.raises(ValueError):
        cap.parse_clip_name("walk_normal")
    # prefixed labels are accepted by captions_for
    assert cap.captions_for("dataset-1_walk", "dataset-1_tired", split="train") == (
        cap.captions_for("walk", "tired", split="train")
    )


def test_composed_caption() -> None:
    walk = cap.captions_for("walk", "normal", split="train")[0]
    wave = "someone waves with their right hand"
    joined = cap.composed_caption([walk, wave])
    assert joined == "a person walks forward, then waves with their right hand"
    assert "walks" in joined and "waves" in joined
    assert joined.count("someone") == 0

    rng = np.random.default_rng(3)
    seen: set[str] = set()
    for _ in range(40):
        parts = [
            cap.sample_caption("walk", "tired", rng),
            cap.sample_caption("wave-right-hand", "happy", rng),
            cap.sample_caption("bow", "normal", rng),
        ]
        joined = cap.composed_caption(parts, rng)
        seen.add(joined)
        assert joined.startswith(parts[0])
        assert "wave" in joined and "bow" in joined and "right" in joined
        assert re.search(r"then|after", joined)
    assert len(seen) > 30

    # later subjects are dropped, style subjects become comparisons, pronouns follow the first
    joined = cap.composed_caption(
        ["A man walks forward.", "an elderly woman raises her left hand", "a giant bows"]
    )
    assert joined == (
        "A man walks forward, then raises his left hand like an elderly woman, "
        "then bows like a giant"
    )
    assert cap.composed_caption(["a person runs"]) == "a person runs"
    assert cap.composed_caption(["a person runs", "Kicks"]) == "a person runs, then kicks"
    with pytest.raises(ValueError):
        cap.composed_caption([])
    with pytest.raises(ValueError):
        cap.composed_caption(["a person runs", "  "])


def test_errors_name_valid_options() -> None:
    with pytest.raises(ValueError, match="train.*heldout"):
        cap.captions_for("walk", "normal", split="test")
    with pytest.raises(ValueError, match="heldout"):
        cap.sample_caption("walk", "normal", np.random.default_rng(0), split="val")
    with pytest.raises(KeyError, match="wave-right-hand"):
        cap.captions_for("moonwalk", "normal", split="train")
    with pytest.raises(KeyError, match="chimpira"):
        cap.captions_for("walk", "sleepy", split="train")
    with pytest.raises(ValueError, match="heldout"):
        cap.CaptionConfig(split="dev")
    with pytest.raises(ValueError):
        cap.CaptionConfig(phrasings_per_clip=0)


def test_determinism_and_sampling() -> None:
    a = cap.sample_caption("kick", "normal", np.random.default_rng(7))
    b = cap.sample_caption("kick", "normal", np.random.default_rng(7))
    assert a == b and a in cap.captions_for("kick", "normal", split="train")
    h = cap.sample_caption("kick", "normal", np.random.default_rng(7), split="heldout")
    assert h in cap.captions_for("kick", "normal", split="heldout")

    config = cap.CaptionConfig(seed=1, phrasings_per_clip=4)
    first = cap.clip_captions("walk", "happy", "001", config)
    assert first == cap.clip_captions("walk", "happy", "001", config)
    assert len(first) == len(set(first)) == 4
    assert set(first) <= set(cap.captions_for("walk", "happy", split="train"))
    assert first != cap.clip_captions("walk", "happy", "002", config)
    assert first != cap.clip_captions("walk", "happy", "001", cap.CaptionConfig(seed=2))
    held = cap.clip_captions("walk", "happy", "001", cap.CaptionConfig(split="heldout"))
    assert set(held) <= set(cap.captions_for("walk", "happy", split="heldout"))

    # returned lists are copies
    lst = cap.captions_for("bow", "sad", split="train")
    lst.clear()
    assert cap.captions_for("bow", "sad", split="train")

    counts = cap.caption_counts("train")
    assert counts[("walk", "normal")] == len(cap.captions_for("walk", "normal", split="train"))


def test_known_captions_are_unchanged() -> None:
    # The expected strings below were produced before the phrase tables moved out of the code
    # into caption_phrases.yaml: editing or reordering the data file changes them (and every
    # seeded draw).
    train = cap.captions_for("walk", "tired", split="train")
    assert len(train) == 525
    assert train[:3] == [
        "a person walks forward in a tired way",
        "a person walks forward, looking exhausted",
        "a person walks forward as if worn out",
    ]
    assert train[-1] == "a weary woman takes several steps forward"
    held = cap.captions_for("wave-left-hand", "old", split="heldout")
    assert len(held) == 384
    assert held[0] == "a person waves with their left hand like a senior citizen"
    assert held[-1] == "an aged individual signals with a wave of the left hand"
    assert cap.captions_for("dance-short", "giant", split="train")[-1] == (
        "a huge giant does a short dance routine"
    )

    rng = np.random.default_rng(123)
    assert [cap.sample_caption("walk", "tired", rng) for _ in range(4)] == [
        "a person walks forward wearily",
        "the man walks ahead slowly and tiredly",
        "someone walks ahead in a tired way",
        "a man walks forward tiredly",
    ]
    assert cap.clip_captions("wave-right-hand", "happy", "001", cap.CaptionConfig(seed=0)) == [
        "the person cheerfully waves using the right hand",
        "a woman waves using the right hand in a cheerful mood",
        "the man joyfully lifts the right hand and waves it",
        "a happy woman gives a wave with her right hand",
        "a happy woman waves hello with her right hand",
    ]
    train_counts, held_counts = cap.caption_counts("train"), cap.caption_counts("heldout")
    assert (train_counts[("bow", "normal")], held_counts[("bow", "normal")]) == (210, 357)
    assert (sum(train_counts.values()), sum(held_counts.values())) == (173190, 271235)

    parts = [
        "a woman bows",
        "an elderly man raises his left hand",
        "a giant runs ahead",
        "a child kicks",
    ]
    assert cap.composed_caption(parts, np.random.default_rng(1)) == (
        "a woman bows and then raises her left hand like an elderly man and then runs ahead"
        " like a giant and afterwards kicks like a child"
    )
