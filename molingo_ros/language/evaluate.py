"""``molingo eval-commands``: operator commands through the whole language layer and the model,
judged from the generated joint positions. No ROS imports.

The evaluation set (``eval_commands.json`` beside this file) was written apart from the
caption templates and the validation phrasings, and is used for nothing else: not for
training, not for the grounding threshold. For every entry and seed:

- in-vocabulary phrasings: the command is interpreted (parse + grounding); a refusal is a
  failure (wrongly refused); otherwise the motion is generated and must pass the entry's
  kinematic check (:mod:`~molingo_ros.language.checks`) over the whole motion;
- compound commands: the plan must have the asked parts in the asked order (each grounded to
  one of its part's skills), and each part's span must pass its check;
- out-of-vocabulary commands must be refused (or taken as a stop): nothing may move.

    molingo eval-commands --seeds 3 --markdown docs/MODEL.md     # the table in MODEL.md
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from molingo_ros.language.checks import SKILL_CHECKS, run_check
from molingo_ros.language.interpret import CommandInterpreter, MotionPlan
from molingo_ros.language.phrasings import BACKGROUND_PHRASES, reference_phrasings
from molingo_ros.model.sampler import FPS, MoLingo, SamplerConfig, generate

EVAL_FILE = Path(__file__).with_name("eval_commands.json")
MARK_START = "<!-- eval-commands:start -->"
MARK_END = "<!-- eval-commands:end -->"


@dataclass
class Tally:
    """Counts of one row of the table."""

    passed: int = 0
    total: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, ok: bool, why: str = "") -> None:
        self.passed += int(ok)
        self.total += 1
        if not ok and why:
            self.failures.append(why)

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else float("nan")


def _generate(model: MoLingo, plan: MotionPlan, seed: int, config: SamplerConfig):
    torch.manual_seed(seed)
    return generate(
        model, plan.timed_commands(), plan.seconds, config, seed=seed,
        speed_limits=plan.speed_limits(),
    )


def _spans(plan: MotionPlan) -> list[tuple[int, int]]:
    out, start = [], 0
    for seg in plan.segments:
        stop = start + int(round(seg.seconds * FPS))
        out.append((start, stop))
        start = stop
    return out


def _known(skills: list[str], catalogue) -> list[str]:
    return [s for s in skills if s in catalogue]


def eval_in_vocabulary(interp, model, entries, seeds, config, tallies) -> None:
    """In-vocabulary phrasings: refusals, grounding, then the kinematic check per seed."""
    catalogue = interp.matcher.catalogue
    refs = {r for name in catalogue for r in reference_phrasings(name)}
    for e in tqdm(entries, desc="in-vocabulary", unit="cmd"):
        skills = _known(e["skills"], catalogue)
        plan = interp.interpret(e["text"])
        if not skills:  # a skill this model lacks (e.g. dance): it should be refused
            tallies["lacking: refused"].add(plan.kind == "refused", e["text"])
            continue
        seen = plan.segments and plan.segments[0].raw.lower().strip(" ?!.") in refs
        refused = plan.kind != "motion"
        wrong = tallies["in-vocabulary wrongly refused"]
        wrong.add(refused)  # counts refusals: lower is better
        if refused:
            wrong.failures.append(f"{e['text']} -> {plan.message()}")
        if refused:
            for _ in seeds:
                tallies["in-vocabulary: kinematic pass"].add(False, f"{e['text']}: refused")
                tallies[f"check {e['check']}"].add(False, f"{e['text']}: refused")
            continue
        grounded = plan.segments[0].skill
        tallies["in-vocabulary: grounded skill acceptable"].add(
            grounded in skills, f"{e['text']} -> {grounded} (wanted {'/'.join(skills)})"
        )
        for seed in seeds:
            result = run_check(e["check"], _generate(model, plan, seed, config))
            why = f"{e['text']} (seed {seed}, {grounded}): {result.reason}"
            for key in ("in-vocabulary: kinematic pass", f"check {e['check']}"):
                tallies[key].add(result.passed, why)
            tallies["unseen phrasings: kinematic pass" if not seen else "seen"].add(
                result.passed
            )


def eval_compound(interp, model, entries, seeds, config, tallies) -> None:
    """Compound commands: parts in order, each part's span checked per seed."""
    catalogue = interp.matcher.catalogue
    for e in tqdm(entries, desc="compound", unit="cmd"):
        parts = e["parts"]
        if any(not _known(p["skills"], catalogue) for p in parts):
            tallies["compound with a lacking skill: refused"].add(
                interp.interpret(e["text"]).kind == "refused", e["text"]
            )
            continue
        plan = interp.interpret(e["text"])
        in_order = plan.kind == "motion" and len(plan.segments) == len(parts) and all(
            s.skill in p["skills"] for s, p in zip(plan.segments, parts, strict=False)
        )
        got = [s.skill for s in plan.segments] if plan.kind == "motion" else plan.kind
        tallies["compound: parts in the asked order"].add(in_order, f"{e['text']} -> {got}")
        if not in_order:
            for _ in seeds:
                for _ in parts:
                    tallies["compound: segment kinematic pass"].add(False, e["text"])
            continue
        for seed in seeds:
            motion = _generate(model, plan, seed, config)
            for (start, stop), part in zip(_spans(plan), parts, strict=True):
                result = run_check(part["check"], motion, start, stop)
                why = f"{e['text']} (seed {seed}) part {part['check']}: {result.reason}"
                tallies["compound: segment kinematic pass"].add(result.passed, why)


def eval_out_of_vocabulary(interp, entries, tallies) -> None:
    """Out-of-vocabulary commands must not produce motion."""
    for e in entries:
        plan = interp.interpret(e["text"])
        ok = plan.kind != "motion"
        tallies["out-of-vocabulary refused"].add(ok, f"{e['text']} -> {plan.message()}")
        tallies[f"out-of-vocabulary refused ({e['kind']})"].add(ok)
        if e["text"].lower().strip(" ?!.") not in BACKGROUND_PHRASES:
            tallies["out-of-vocabulary refused (not a background phrasing)"].add(ok)


def real_take_rates(catalogue, splits: tuple[str, ...] = ("val", "test")) -> dict[str, Tally]:
    """Each skill's check on the real takes of ``splits`` (originals, not mirrored; takes
    the model was not trained on): what the data itself passes."""
    from molingo_ros.motion.dataset import build_dataset

    dataset = build_dataset(progress=False)
    out: dict[str, Tally] = defaultdict(Tally)
    for i in [i for split in splits for i in dataset.indices(split, mirrored=False)]:
        rec = dataset.records[i]
        check = SKILL_CHECKS.get(rec.content)
        if check is None or rec.content not in catalogue or rec.length < 30:
            continue
        result = run_check(check, dataset.clip_motion(i))
        out[f"{rec.content} ({check})"].add(result.passed, f"{rec.name}: {result.reason}")
    return dict(sorted(out.items()))


def markdown(
    tallies: dict[str, Tally],
    seeds: list[int],
    seconds: float,
    real: dict[str, Tally] | None = None,
) -> str:
    """The results table, the real takes' table and the first failures of each row."""
    lines = [
        MARK_START,
        f"`molingo eval-commands --seeds {len(seeds)}` ({seconds / 60:.0f} min on this machine's "
        "CPU; the shipped model; seeds " + ", ".join(map(str, seeds)) + "):",
        "",
        "| what | rate | count |",
        "|---|---|---|",
    ]
    for name, t in tallies.items():
        if name == "seen":
            continue
        label = name + (" (lower is better)" if name == "in-vocabulary wrongly refused" else "")
        lines.append(f"| {label} | {100 * t.rate:.1f} % | {t.passed} / {t.total} |")
    if real:
        lines += [
            "",
            "The same checks on the real validation and test takes of each skill (what the "
            "data itself passes):",
            "",
            "| skill (check) | real takes passing | count |",
            "|---|---|---|",
        ]
        for name, t in real.items():
            lines.append(f"| {name} | {100 * t.rate:.0f} % | {t.passed} / {t.total} |")
    lines += ["", "First failures per row:", ""]
    for name, t in tallies.items():
        for why in t.failures[:3]:
            lines.append(f"- {name}: {re.sub(r'[|]', '/', why)}")
    lines.append(MARK_END)
    return "\n".join(lines)


def write_into(path: Path, table: str) -> None:
    """Put ``table`` between the markers in ``path`` (appended when they are missing)."""
    text = path.read_text() if path.exists() else ""
    if MARK_START in text and MARK_END in text:
        head, rest = text.split(MARK_START, 1)
        text = head + table + rest.split(MARK_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    """``molingo eval-commands``: run the operator-command evaluation."""
    parser = argparse.ArgumentParser(prog="molingo eval-commands", description=main.__doc__)
    parser.add_argument("--model", type=Path, help="model file (default: the shipped one)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per command")
    parser.add_argument("--limit", type=int, help="only the first N entries of each section")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--markdown", type=Path, help="write the table into this file")
    parser.add_argument("--json", type=Path, help="write every count and failure as JSON")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be >= 1")
    if args.threads:
        torch.set_num_threads(args.threads)
    data = json.loads(EVAL_FILE.read_text())
    limit = args.limit
    model = MoLingo.load(args.model, device="cpu")
    interp = CommandInterpreter.from_model(model)
    seeds = list(range(args.seeds))
    config = SamplerConfig()
    tallies: dict[str, Tally] = defaultdict(Tally)
    t0 = time.perf_counter()
    eval_out_of_vocabulary(interp, data["out_of_vocabulary"][:limit], tallies)
    eval_in_vocabulary(interp, model, data["in_vocabulary"][:limit], seeds, config, tallies)
    eval_compound(interp, model, data["compound"][:limit], seeds, config, tallies)
    real = real_take_rates(interp.matcher.catalogue)
    table = markdown(dict(tallies), seeds, time.perf_counter() - t0, real)
    print(table)
    if args.markdown:
        write_into(args.markdown, table)
    if args.json:
        args.json.write_text(
            json.dumps({k: vars(v) for k, v in tallies.items()}, indent=1, default=float)
        )
    return 0


__all__ = ["EVAL_FILE", "Tally", "main", "markdown", "write_into"]


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
