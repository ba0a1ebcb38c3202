"""Writing what the grounding needs into a model bundle: the skill catalogue of its training
data and the threshold and margin chosen on the validation phrasings. No ROS imports.

    molingo skills --calibrate --write molingo_ros/weights/molingo.safetensors

The validation phrasings (``validation_commands.json`` beside this file) were written apart
from the evaluation set (``eval_commands.json``), which is never read here.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from molingo_ros.language.grounding import BUNDLE_KEY, SkillMatcher, calibrate
from molingo_ros.language.parse import parse_command
from molingo_ros.language.skills import BUNDLE_KEY as SKILLS_KEY
from molingo_ros.language.skills import SkillCatalogue
from molingo_ros.model.checkpoint import read_safetensors, save_weights

VALIDATION_FILE = Path(__file__).with_name("validation_commands.json")


def _clean(text: str) -> str:
    """The first parsed segment's text (what the node grounds), or the lower-cased text."""
    plan = parse_command(text)
    return plan.segments[0].text if plan.segments else text.lower()


def validation_rates(matcher: SkillMatcher, path: Path = VALIDATION_FILE) -> dict:
    """Score the validation phrasings; returns the arrays :func:`calibrate` takes plus the
    share of in-vocabulary phrasings whose best skill (sides applied) is the labelled one."""
    data = json.loads(Path(path).read_text())
    known = [e for e in data["in_vocabulary"] if e["skill"] in matcher.catalogue]
    ins = [_clean(e["text"]) for e in known]
    outs = [_clean(t) for t in data["out_of_vocabulary"]]
    si, bi = matcher.scores(ins)
    so, bo = matcher.scores(outs)
    groundings = matcher.ground([parse_command(e["text"]).segments[0] for e in known])
    correct = sum(g.skill == e["skill"] for g, e in zip(groundings, known, strict=True))
    return {
        "in_scores": si.max(axis=1),
        "in_background": bi,
        "out_scores": so.max(axis=1),
        "out_background": bo,
        "in_correct": correct / max(1, len(known)),
        "n_in": len(known),
        "n_out": len(outs),
    }


def calibrate_matcher(matcher: SkillMatcher, path: Path = VALIDATION_FILE) -> dict:
    """Choose the threshold and margin for ``matcher`` on the validation phrasings and set
    them on it. Returns the settings with the validation rates."""
    r = validation_rates(matcher, path)
    threshold, margin, rates = calibrate(
        r["in_scores"], r["in_background"], r["out_scores"], r["out_background"]
    )
    matcher.threshold, matcher.margin = threshold, margin
    return {
        "threshold": threshold,
        "margin": margin,
        "source": f"validation phrasings ({r['n_in']} in-vocabulary, {r['n_out']} not), "
        f"{date.today().isoformat()}",
        "validation_in_refused": round(rates["in_refused"], 4),
        "validation_out_accepted": round(rates["out_accepted"], 4),
        "validation_in_correct_skill": round(r["in_correct"], 4),
    }


def write_bundle_metadata(
    model_path: Path, catalogue: SkillCatalogue, settings: dict, out: Path | None = None
) -> Path:
    """Rewrite the bundle at ``model_path`` (or to ``out``) with the catalogue and the
    grounding settings in its metadata; the weights are copied unchanged."""
    tensors, meta = read_safetensors(Path(model_path))
    meta = dict(meta)
    meta[SKILLS_KEY] = catalogue.to_json()
    meta[BUNDLE_KEY] = json.dumps(settings, sort_keys=True)
    return save_weights(Path(out or model_path), tensors, meta)


__all__ = ["VALIDATION_FILE", "calibrate_matcher", "validation_rates", "write_bundle_metadata"]
