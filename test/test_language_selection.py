"""Choosing each skill's default caption on validation seeds (molingo_ros.language.selection):
the candidates tried, and (slow) the choice on the shipped model."""

from __future__ import annotations

import pytest

from molingo_ros.language.checks import SKILL_CHECKS
from molingo_ros.language.selection import (
    MIN_GAIN,
    VALIDATION_SEEDS,
    candidates,
    choose_preferences,
    pass_rate,
)
from molingo_ros.language.skills import NEUTRAL_STYLES, Skill, SkillCatalogue, StyleData
from molingo_ros.motion import captions


def test_validation_seeds_are_not_the_evaluation_seeds():
    assert not set(VALIDATION_SEEDS) & {0, 1, 2}
    assert len(VALIDATION_SEEDS) == len(set(VALIDATION_SEEDS)) >= 4
    assert 0.0 < MIN_GAIN <= 1.0


def test_candidates_of_every_skill(catalogue):
    for name, skill in catalogue.items():
        found = candidates(skill)
        default = skill.default_style
        assert found[0] == (default, captions.captions_for(name, default, split="train")[0])
        assert len(set(found)) == len(found), name
        assert len(found) <= 1 + 5 * 2
        for style, caption in found:
            assert style == default or (style in NEUTRAL_STYLES and skill.styles[style].takes > 0)
            assert caption in captions.captions_for(name, style, split="train")[:2], name


def test_candidates_follow_the_most_takes(catalogue):
    walk = catalogue["walk"]  # neutral styles by takes: active 28, then feminine / normal 22
    assert walk.default_style == "normal"
    found = candidates(walk, styles=1, per_style=1)
    assert found == [
        ("normal", captions.captions_for("walk", "normal", split="train")[0]),
        ("active", captions.captions_for("walk", "active", split="train")[0]),
    ]
    styles = [s for s, _ in candidates(walk, styles=4, per_style=2)]
    assert styles[:4] == ["normal", "normal", "active", "active"]
    assert "elderly" not in styles and "chimpira" not in styles  # not neutral


def test_skills_without_a_check_are_not_tried(model):
    lone = Skill("no-such-skill", "made up", {"normal": StyleData(3, 0, 9.0, 0.0)})
    assert "no-such-skill" not in SKILL_CHECKS
    assert choose_preferences(model, SkillCatalogue({"no-such-skill": lone}), progress=False) == {}


@pytest.mark.slow
def test_choose_preferences_on_the_shipped_model(model, catalogue):
    kick = catalogue["kick"]  # one style: two candidates
    assert len(candidates(kick)) == 2
    chosen = choose_preferences(
        model, SkillCatalogue({"kick": kick}), seeds=(100,), seconds=2.0, progress=False
    )
    assert list(chosen) == ["kick"]
    c = chosen["kick"]
    assert [(t["style"], t["caption"]) for t in c["tried"]] == candidates(kick)
    assert all(t["rate"] in (0.0, 1.0) for t in c["tried"])
    default, best = c["tried"][0], max(c["tried"], key=lambda t: t["rate"])
    assert c["default_rate"] == default["rate"]
    expected = best if best["rate"] >= default["rate"] + MIN_GAIN else default
    assert (c["style"], c["caption"], c["rate"]) == (
        expected["style"], expected["caption"], expected["rate"]
    )
    # The same seed gives the same motion and the same verdict.
    again = pass_rate(model, kick, default["caption"], (100,), 2.0)
    assert again == default["rate"]
