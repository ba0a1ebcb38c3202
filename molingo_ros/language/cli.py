"""``molingo skills`` and ``molingo eval-commands``: the command lines of the language layer.

    molingo skills                       # every skill: takes, seconds, styles, example phrasings
    molingo skills --json
    molingo skills --calibrate --write molingo_ros/weights/molingo.safetensors
    molingo eval-commands --seeds 3 --markdown docs/commands_eval.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from molingo_ros.language.phrasings import OPERATOR_PHRASES, reference_phrasings


def skills_markdown(catalogue) -> str:
    """A Markdown table of the catalogue: what the robot can be asked to do."""
    lines = [
        "| skill | say for example | takes (+ mirrored) | seconds | styles |",
        "|---|---|---|---|---|",
    ]
    for name, skill in catalogue.items():
        examples = (OPERATOR_PHRASES.get(name) or reference_phrasings(name) or (name,))[:3]
        styles = ", ".join(s for s, d in skill.styles.items() if d.takes > 0)
        lines.append(
            f"| {name} | {' / '.join(repr(e)[1:-1] for e in examples)} | {skill.takes} "
            f"(+{skill.mirrored}) | {skill.seconds:.0f} | {styles} |"
        )
    return "\n".join(lines)


def skills_main(argv: list[str] | None = None) -> int:
    """``molingo skills``: list (or calibrate and store) the skills of a model."""
    parser = argparse.ArgumentParser(prog="molingo skills", description=skills_main.__doc__)
    parser.add_argument("--model", type=Path, help="model file (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="count the skills in the training data, choose the grounding threshold on the "
        "validation phrasings and print them (needs the dataset)",
    )
    parser.add_argument(
        "--choose-captions",
        action="store_true",
        help="choose each skill's default caption on validation seeds (minutes; see "
        "molingo_ros/language/selection.py)",
    )
    parser.add_argument(
        "--write", type=Path, help="with --calibrate / --choose-captions: store it in this bundle"
    )
    parser.add_argument("--root", type=Path, help="dataset folder (with --calibrate)")
    args = parser.parse_args(argv)
    from molingo_ros.language.skills import SkillCatalogue
    from molingo_ros.model.sampler import MoLingo, default_model_path

    model_path = args.model or default_model_path()
    model = MoLingo.load(model_path, device="cpu")
    if args.write and not (args.calibrate or args.choose_captions):
        parser.error("--write needs --calibrate or --choose-captions")
    if args.calibrate:
        return _calibrate(model, model_path, args)
    if args.choose_captions:
        return _choose_captions(model, model_path, args)
    catalogue = SkillCatalogue.from_metadata(model.metadata)
    if args.json:
        print(json.dumps(json.loads(catalogue.to_json()), indent=2))
    else:
        print(skills_markdown(catalogue))
    return 0


def _calibrate(model, model_path: Path, args: argparse.Namespace) -> int:
    from molingo_ros.language.calibration import calibrate_matcher, write_bundle_metadata
    from molingo_ros.language.grounding import SkillMatcher
    from molingo_ros.language.skills import SkillCatalogue
    from molingo_ros.motion.dataset import build_dataset
    from molingo_ros.motion.dataset_config import DatasetConfig

    dataset = build_dataset(DatasetConfig(root=args.root) if args.root else None)
    old = SkillCatalogue.from_metadata(model.metadata)  # keeps its preferred captions
    counted = SkillCatalogue.from_dataset(dataset)
    catalogue = counted.with_preferences(
        {
            n: (old[n].preferred_style, old[n].preferred_caption)
            for n in old
            if old[n].preferred_style and n in counted
        }
    )
    matcher = SkillMatcher(catalogue, model.text_encoder)
    settings = calibrate_matcher(matcher)
    print(json.dumps(settings, indent=2))
    if args.write:
        write_bundle_metadata(model_path, catalogue, settings, args.write)
        print(f"wrote the catalogue ({len(catalogue)} skills) and the settings into {args.write}")
    return 0


def _choose_captions(model, model_path: Path, args: argparse.Namespace) -> int:
    from molingo_ros.language.calibration import write_bundle_metadata
    from molingo_ros.language.grounding import load_settings
    from molingo_ros.language.selection import choose_preferences
    from molingo_ros.language.skills import SkillCatalogue

    catalogue = SkillCatalogue.from_metadata(model.metadata)
    chosen = choose_preferences(model, catalogue)
    for name, c in chosen.items():
        flag = "" if c["rate"] == c["default_rate"] else f" (default {c['default_rate']:.2f})"
        print(f"{name}: {c['rate']:.2f}{flag}  {c['style']}: {c['caption']!r}")
    if args.write:
        new = catalogue.with_preferences({n: (c["style"], c["caption"]) for n, c in chosen.items()})
        settings = load_settings(model.metadata)
        write_bundle_metadata(model_path, new, settings, args.write)
        print(f"wrote the preferred captions into {args.write}")
    return 0


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - thin dispatch
    return skills_main(argv if argv is not None else sys.argv[1:])


__all__ = ["skills_main", "skills_markdown"]
