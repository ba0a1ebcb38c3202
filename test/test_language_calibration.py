"""Calibrating the grounding and writing it into a bundle (molingo_ros.language.calibration), on
the shipped model: validation scores, the chosen threshold and margin, the rewritten bundle."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
import torch

from molingo_ros.language.calibration import (
    VALIDATION_FILE,
    calibrate_matcher,
    validation_rates,
    write_bundle_metadata,
)
from molingo_ros.language.grounding import BUNDLE_KEY, calibrate, load_settings
from molingo_ros.language.skills import BUNDLE_KEY as SKILLS_KEY
from molingo_ros.language.skills import SkillCatalogue
from molingo_ros.model.checkpoint import read_safetensors
from molingo_ros.model.sampler import default_model_path

SMALL_SET = {
    "in_vocabulary": [
        {"text": "walk forward please", "skill": "walk"},
        {"text": "Wave your right hand!", "skill": "wave-right-hand"},
        {"text": "take a bow", "skill": "bow"},
        {"text": "turn to the left", "skill": "walk-turn-left"},
        {"text": "do a dance", "skill": "no-such-skill"},  # not in the catalogue: left out
    ],
    "out_of_vocabulary": ["sit on the floor", "open the window", "grab the bottle"],
}


@pytest.fixture
def small_set(tmp_path):
    path = tmp_path / "validation.json"
    path.write_text(json.dumps(SMALL_SET))
    return path


@pytest.fixture
def fresh_matcher(matcher):
    """The shared matcher, with its threshold and margin put back afterwards."""
    saved = matcher.threshold, matcher.margin
    yield matcher
    matcher.threshold, matcher.margin = saved


def test_validation_rates_on_a_small_set(matcher, small_set):
    r = validation_rates(matcher, small_set)
    assert (r["n_in"], r["n_out"]) == (4, 3)
    assert [len(r[k]) for k in ("in_scores", "in_background")] == [4, 4]
    assert [len(r[k]) for k in ("out_scores", "out_background")] == [3, 3]
    assert r["in_correct"] == 1.0
    # The parsed text is scored: politeness gone, lower case, punctuation gone.
    skills, _ = matcher.scores(["walk forward", "wave your right hand"])
    np.testing.assert_allclose(r["in_scores"][:2], skills.max(axis=1), rtol=1e-6)
    assert r["in_scores"].min() > r["out_scores"].max()


def test_calibrate_matcher_sets_and_reports_the_settings(fresh_matcher, small_set):
    settings = calibrate_matcher(fresh_matcher, small_set)
    r = validation_rates(fresh_matcher, small_set)
    threshold, margin, rates = calibrate(
        r["in_scores"], r["in_background"], r["out_scores"], r["out_background"]
    )
    assert (settings["threshold"], settings["margin"]) == (threshold, margin)
    assert (fresh_matcher.threshold, fresh_matcher.margin) == (threshold, margin)
    assert settings["source"] == (
        f"validation phrasings (4 in-vocabulary, 3 not), {date.today().isoformat()}"
    )
    assert settings["validation_in_refused"] == round(rates["in_refused"], 4) == 0.0
    assert settings["validation_out_accepted"] == 0.0
    assert settings["validation_in_correct_skill"] == 1.0


@pytest.mark.slow
def test_the_shipped_settings_are_reproduced_on_the_validation_file(fresh_matcher, model):
    stored = load_settings(model.metadata)
    settings = calibrate_matcher(fresh_matcher, VALIDATION_FILE)
    for key in ("threshold", "margin", "validation_in_refused", "validation_out_accepted",
                "validation_in_correct_skill"):
        assert settings[key] == stored[key], key
    assert settings["source"].split(", 20")[0] == stored["source"].split(", 20")[0]


def test_write_bundle_metadata_keeps_the_weights(catalogue, tmp_path):
    source = default_model_path()
    before = source.read_bytes()
    small = SkillCatalogue({n: catalogue[n] for n in ("walk", "bow")})
    settings = {"threshold": 0.6, "margin": 0.01, "source": "test"}
    out = write_bundle_metadata(source, small, settings, tmp_path / "bundle.safetensors")
    assert out == tmp_path / "bundle.safetensors"
    assert source.read_bytes() == before  # the source bundle is not touched
    tensors, meta = read_safetensors(out)
    old_tensors, old_meta = read_safetensors(source)
    assert tensors.keys() == old_tensors.keys()
    assert all(torch.equal(tensors[k], old_tensors[k]) for k in tensors)
    assert sorted(SkillCatalogue.from_json(meta[SKILLS_KEY])) == ["bow", "walk"]
    assert json.loads(meta[BUNDLE_KEY]) == settings
    assert load_settings(meta)["threshold"] == 0.6
    assert {k: v for k, v in meta.items() if k not in (SKILLS_KEY, BUNDLE_KEY)} == {
        k: v for k, v in old_meta.items() if k not in (SKILLS_KEY, BUNDLE_KEY)
    }
