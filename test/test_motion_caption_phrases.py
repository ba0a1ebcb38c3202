"""Tests of molingo_ros.motion.caption_phrases: the label vocabulary and phrase tables read from
caption_phrases.yaml."""

from __future__ import annotations

import pytest
import yaml

from molingo_ros.motion import caption_phrases as ph


def test_data_file_is_shipped_next_to_the_module_and_read_in_order() -> None:
    # caption_phrases.yaml is package data next to the code (shipped with the package)
    assert ph.PHRASES_FILE.name == "caption_phrases.yaml" and ph.PHRASES_FILE.is_file()
    data = yaml.safe_load(ph.PHRASES_FILE.read_text(encoding="utf-8"))
    assert list(data["contents"]) == list(ph.CONTENTS)
    assert list(data["styles"]) == list(ph.STYLES)
    assert data["style_phrases"]["elderly"] == data["style_phrases"]["old"]
    assert ph.CONNECTORS == tuple(data["composition"]["connectors"])


def test_vocabulary() -> None:
    assert {"walk", "run", "bow", "wave-left-hand", "wave-right-hand"} <= set(ph.CONTENTS)
    assert {"normal", "tired", "giant", "elderly"} <= set(ph.STYLES)
    assert all(isinstance(d, str) and d for d in (*ph.CONTENTS.values(), *ph.STYLES.values()))
    assert ph.WALKING_CONTENTS < ph.LOCOMOTION_CONTENTS <= set(ph.CONTENTS)
    assert ph.LOCOMOTION_CONTENTS - ph.WALKING_CONTENTS == {"run", "dash"}
    assert set(ph.VERBS) == set(ph.CONTENTS) and set(ph.STYLE_PHRASES) == set(ph.STYLES)
    assert ph.CONNECTORS[0] == ", then "


def test_sided_verbs_are_expanded_for_both_sides() -> None:
    left_train, left_held = ph.VERBS["wave-left-hand"]
    right_train, right_held = ph.VERBS["wave-right-hand"]
    assert len(left_train) == len(right_train) > 0 and len(left_held) == len(right_held)
    assert all("{side}" not in v for v in (*left_train, *right_train))
    assert [v.replace("left", "right") for v in left_train] == list(right_train)
    assert all("left" in v and "right" not in v for v in left_train)


def test_subjects_have_pronouns_and_held_out_ones() -> None:
    for table in (ph.SUBJECTS, ph.NOUNS):
        assert all(isinstance(s, ph.Subject) and s.gender in ph.PRONOUNS for s in table)
        assert any(s.heldout for s in table) and any(not s.heldout for s in table)
    assert ph.PRONOUNS["f"] == {"pos": "her", "refl": "herself"}
    assert any(s.text == "a person" and not s.heldout for s in ph.SUBJECTS)


def test_style_phrases_are_train_heldout_pairs() -> None:
    tired = ph.STYLE_PHRASES["tired"]
    assert isinstance(tired, ph.StylePhrases)
    for kind in ("adv", "sfx", "loco", "walk", "adj", "subj"):
        train, held = getattr(tired, kind)
        assert isinstance(train, tuple) and isinstance(held, tuple)
        assert not set(train) & set(held), kind
    assert tired.sfx[0] and tired.adv[0]


def _write(tmp_path, text: str):
    path = tmp_path / "phrases.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_phrases_rejects_bad_tables(tmp_path) -> None:
    good = yaml.safe_load(ph.PHRASES_FILE.read_text(encoding="utf-8"))
    assert ph.load_phrases(_write(tmp_path, yaml.safe_dump(good)))["contents"] == ph.CONTENTS

    missing_verb = dict(good, verbs={k: v for k, v in good["verbs"].items() if k != "bow"})
    with pytest.raises(ValueError, match="do not match contents"):
        ph.load_phrases(_write(tmp_path, yaml.safe_dump(missing_verb)))

    bad_key = dict(good, verbs=dict(good["verbs"], bow={"train": ["bows"], "test": ["x"]}))
    with pytest.raises(ValueError, match=r"verbs\.bow: keys must be train/heldout"):
        ph.load_phrases(_write(tmp_path, yaml.safe_dump(bad_key)))

    bad_gender = dict(good, subjects={"train": [["a robot", "x"]]})
    with pytest.raises(ValueError, match="gender must be n, m or f"):
        ph.load_phrases(_write(tmp_path, yaml.safe_dump(bad_gender)))
