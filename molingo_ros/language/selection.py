"""Choosing, on validation seeds, the sentence each skill is generated from when the operator
names no manner. No ROS imports.

Every training caption of a skill names it, but some are performed more reliably than others
by the generator (a "raise your right hand" that lifts the left one too, a diagonal walk
that turns). For each skill with a kinematic check (:data:`~molingo_ros.language.checks.
SKILL_CHECKS`) a few candidates — the first captions of its neutral styles with the most
takes —
are generated on validation seeds (100 onwards: the evaluation uses 0, 1, 2) and judged by
the check. The current default is kept unless a candidate passes at least
:data:`MIN_GAIN` more often. The evaluation set's phrasings are not used.

    molingo skills --choose-captions --write molingo_ros/weights/molingo.safetensors
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from tqdm import tqdm

from molingo_ros.language.checks import SKILL_CHECKS, run_check
from molingo_ros.language.skills import NEUTRAL_STYLES, Skill, SkillCatalogue
from molingo_ros.motion import captions

VALIDATION_SEEDS: tuple[int, ...] = tuple(range(100, 108))
"""Seeds the choice is made on (the evaluation uses seeds 0, 1, 2)."""

MIN_GAIN = 0.25
"""A candidate replaces the default only when it passes this share of the seeds more."""


def candidates(skill: Skill, styles: int = 4, per_style: int = 2) -> list[tuple[str, str]]:
    """(style, caption) pairs to try: the default first, then the first ``per_style``
    training captions of the ``styles`` neutral styles (:data:`~molingo_ros.language.skills.
    NEUTRAL_STYLES`: no thug, giant or child when the operator named no manner) with the most
    takes."""
    ranked = sorted(
        (s for s, d in skill.styles.items() if d.takes > 0 and s in NEUTRAL_STYLES),
        key=lambda s: -skill.styles[s].takes,
    )
    default = skill.default_style
    out = [(default, captions.captions_for(skill.name, default, split="train")[0])]
    for style in [default, *ranked[:styles]]:
        for caption in captions.captions_for(skill.name, style, split="train")[:per_style]:
            if (style, caption) not in out:
                out.append((style, caption))
    return out


def pass_rate(model, skill: Skill, caption: str, seeds: Sequence[int], seconds: float) -> float:
    """Share of ``seeds`` whose motion for ``caption`` passes the skill's check."""
    from molingo_ros.model.sampler import generate

    check = SKILL_CHECKS[skill.name]
    passed = 0
    for seed in seeds:
        torch.manual_seed(seed)
        motion = generate(
            model, [(caption, 0.0)], seconds, seed=seed,
            speed_limits={caption: skill.max_root_speed_m_s},
        )
        passed += run_check(check, motion).passed
    return passed / len(seeds)


def choose_preferences(
    model,
    catalogue: SkillCatalogue,
    seeds: Sequence[int] = VALIDATION_SEEDS,
    seconds: float = 5.0,
    progress: bool = True,
) -> dict[str, dict]:
    """For every skill with a check: the candidates' pass rates and the choice
    (``{"style", "caption", "rate", "default_rate"}``)."""
    out: dict[str, dict] = {}
    names = [n for n in catalogue if n in SKILL_CHECKS]
    for name in tqdm(names, desc="skills", disable=not progress):
        skill = catalogue[name]
        rates = [
            (pass_rate(model, skill, caption, seeds, seconds), style, caption)
            for style, caption in candidates(skill)
        ]
        default_rate, style, caption = rates[0]
        best = max(rates, key=lambda r: r[0])
        if best[0] >= default_rate + MIN_GAIN:
            _, style, caption = best
        chosen = next(r for r, s, c in rates if (s, c) == (style, caption))
        out[name] = {
            "style": style,
            "caption": caption,
            "rate": chosen,
            "default_rate": default_rate,
            "tried": [{"style": s, "caption": c, "rate": r} for r, s, c in rates],
        }
    return out


__all__ = ["MIN_GAIN", "VALIDATION_SEEDS", "candidates", "choose_preferences", "pass_rate"]
