"""``molingo eval``: the model's metrics table on the test split, against the real motions,
a retrieval baseline and the ablations, with the retrieval evaluator of
:mod:`molingo_ros.model.evaluation.evaluator` (trained on the training split only).

Prompt sets (:mod:`.prompts`): ``test`` (a training phrasing per test take), ``heldout`` (a
held-out phrasing per take) and ``composed`` (multi-segment test sequences; FID against the
real composed sequences, jerk at the switches).

Methods: ``real`` (the real motions: the reference row), ``molingo`` (a model file, generated
in streaming windows), ``retrieval`` (the training clip whose caption is nearest to the prompt
by MiniLM sentence similarity, joined with blends for composed prompts: what a team would
build instead), and any other model file (the ablations).

Metrics: FID, R-precision top-1/2/3 in batches of 32, MM-Dist, Diversity (300 pairs),
MModality (10 generations for 32 prompts), foot skating (m/s), floor penetration (m), jerk
(m/s^3) and jerk at window seams / jerk inside windows; ``repeats`` runs give 95 % intervals.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from molingo_ros.model.bundle import MoLingo, default_model_path
from molingo_ros.model.evaluation import metrics as M
from molingo_ros.model.evaluation.baseline import RetrievalBaseline
from molingo_ros.model.evaluation.embedding import embed_motions, embed_texts
from molingo_ros.model.evaluation.evaluator import RetrievalEvaluator, default_weights_path
from molingo_ros.model.evaluation.evaluator_checkpoint import load_evaluator
from molingo_ros.model.evaluation.generation import generate_batch, reconstruct
from molingo_ros.model.evaluation.physical import physical, turn_rate
from molingo_ros.model.evaluation.prompts import EVAL_SPLITS, PromptItem, prompt_sets
from molingo_ros.model.evaluation.report import markdown
from molingo_ros.model.sampler_config import SamplerConfig
from molingo_ros.model.text import FrozenTextEncoder
from molingo_ros.motion.captions import LOCOMOTION_CONTENTS
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.settings import add_flags, flag_overrides, setting

RECON_SUFFIX = " (SAE reconstruction)"
"""Appended to a model's name for its row of SAE reconstructions."""

SAMPLER_FLAGS = (
    "cfg_scale",
    "cfg_schedule",
    "flow_steps",
    "iterations",
    "window_tokens",
    "history_tokens",
    "foot_lock",
)
"""The :class:`SamplerConfig` settings ``molingo eval`` takes as flags (``emit_tokens`` has
no effect offline: a prompt's windows are drawn whole)."""

EVAL_FLAGS = ("repeats", "composed", "mmodality_prompts", "split", "reconstruction")
"""The :class:`EvalConfig` settings ``molingo eval`` takes as flags."""


@dataclass
class EvalConfig:
    """One ``molingo eval`` run.

    Attributes:
        models: name -> model file of every model evaluated.
        sampler: the sampling settings of every model.
        evaluator: the retrieval evaluator's file (None: the shipped one).
        sets: prompt sets to run (test, heldout, composed).
    """

    models: dict[str, Path] = field(default_factory=dict)
    repeats: int = setting(20, "runs per method and prompt set (95 % intervals)", range=(1, 1000))
    composed: int = setting(100, "multi-segment prompts in the composed set", range=(0, 10_000))
    mmodality_prompts: int = setting(
        32, "prompts of the MModality measurement (0 = none)", range=(0, 10_000)
    )
    mmodality_samples: int = setting(
        10, "generations per prompt of the MModality measurement", range=(2, 1000)
    )
    sampler: SamplerConfig = SamplerConfig()
    evaluator: Path | None = None
    seed: int = setting(0, "seed of the captions, the baseline's takes and the generation")
    sets: tuple[str, ...] = ("test", "heldout", "composed")
    split: str = setting(
        "test",
        "takes the prompts come from (val: for choosing settings without the test split)",
        choices=EVAL_SPLITS,
    )
    reconstruction: bool = setting(
        False,
        "add a row per model: the real motions through its SAE (the generator's ceiling)",
    )


@dataclass
class _PromptSet:
    """One prompt set and its references: the real motions' embeddings, the texts'
    embeddings (None for composed prompts), the walks and runs among the prompts and their
    real turning rates."""

    name: str
    items: list[PromptItem]
    real_emb: np.ndarray
    text_emb: np.ndarray | None
    locomotion: list[int]
    real_turn: list[float]

    @classmethod
    def of(cls, name: str, items: list[PromptItem], ev: RetrievalEvaluator) -> _PromptSet:
        """The references of ``items`` in the space of ``ev``."""
        locomotion = [
            k for k, it in enumerate(items) if it.label and it.label[0] in LOCOMOTION_CONTENTS
        ]
        return cls(
            name,
            items,
            embed_motions(ev, [it.real for it in items]),
            embed_texts(ev, [it.text for it in items]) if name != "composed" else None,
            locomotion,
            [turn_rate(items[k].real) for k in locomotion],
        )


@dataclass
class _Methods:
    """What the methods draw from: the loaded models, the retrieval baseline, the evaluator."""

    models: dict[str, MoLingo]
    retrieval: RetrievalBaseline
    ev: RetrievalEvaluator
    recons: list[str]


def _motions(
    method: str,
    ps: _PromptSet,
    methods: _Methods,
    cfg: EvalConfig,
    run: int,
    rng: np.random.Generator,
) -> tuple[list[np.ndarray], list[list[int]]]:
    """(raw features, segment seams) of every prompt of ``ps`` by ``method`` in run ``run``."""
    seams = [it.seams for it in ps.items]
    if method == "real":
        return [it.real for it in ps.items], seams
    if method in methods.recons:
        return reconstruct(methods.models[method.removesuffix(RECON_SUFFIX)], ps.items), seams
    if method == "retrieval":
        pairs = [methods.retrieval.motion_for(it, rng) for it in ps.items]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    return generate_batch(methods.models[method], ps.items, cfg.sampler, seed=cfg.seed + run), seams


def _run_metrics(
    method: str,
    ps: _PromptSet,
    methods: _Methods,
    cfg: EvalConfig,
    run: int,
) -> dict[str, float]:
    """The metrics of one run of ``method`` on ``ps`` (physical ones in the first run only)."""
    rng = np.random.default_rng([cfg.seed, run])
    feats, seams = _motions(method, ps, methods, cfg, run, rng)
    emb = embed_motions(methods.ev, feats)
    row = {"fid": M.frechet_distance(ps.real_emb, emb), "diversity": M.diversity(emb, 300, rng)}
    if ps.text_emb is not None:
        rp = M.r_precision(ps.text_emb, emb, 32, 3, rng)
        row.update(
            {"r1": rp[0], "r2": rp[1], "r3": rp[2], "mm_dist": M.matching_score(ps.text_emb, emb)}
        )
    if run == 0:
        window_frames = cfg.sampler.window_tokens * 4
        row.update(physical(feats, window_frames if method in methods.models else None, seams))
        if ps.locomotion:
            row["turn_err"] = M.turn_rate_error(
                [turn_rate(feats[k]) for k in ps.locomotion], ps.real_turn
            )
    return row


def _mmodality(model: MoLingo, ps: _PromptSet, ev: RetrievalEvaluator, cfg: EvalConfig) -> float:
    """MModality: the spread of ``mmodality_samples`` generations of each of the first
    ``mmodality_prompts`` prompts."""
    sub = ps.items[: cfg.mmodality_prompts]
    groups: list[list[np.ndarray]] = [[] for _ in sub]
    for s in range(cfg.mmodality_samples):
        feats = generate_batch(model, sub, cfg.sampler, seed=10_000 + s)
        for g, e in enumerate(embed_motions(ev, feats)):
            groups[g].append(e)
    return M.multimodality([np.stack(g) for g in groups])


def _method_row(
    method: str, ps: _PromptSet, methods: _Methods, cfg: EvalConfig, progress: bool
) -> dict[str, dict[str, float]]:
    """Every metric of ``method`` on ``ps`` as mean, ci95 and runs, plus the seconds taken."""
    vals: dict[str, list[float]] = {}
    runs = 1 if method == "real" or method in methods.recons else cfg.repeats
    t0 = time.time()
    for r in tqdm(range(runs), disable=not progress, desc=f"{ps.name}/{method}"):
        for k, v in _run_metrics(method, ps, methods, cfg, r).items():
            vals.setdefault(k, []).append(float(v))
    if method in methods.models and ps.name == "test" and cfg.mmodality_prompts:
        vals["mmodality"] = [_mmodality(methods.models[method], ps, methods.ev, cfg)]
    row = {
        k: {
            "mean": float(np.mean(v)),
            "ci95": float(M.mean_and_ci95(v)[1]) if len(v) > 1 else 0.0,
            "runs": len(v),
        }
        for k, v in vals.items()
    }
    row["seconds"] = {"mean": time.time() - t0, "ci95": 0.0, "runs": 1}
    return row


def evaluate(cfg: EvalConfig, progress: bool = True) -> dict:
    """Run every method on every prompt set; returns nested results (mean, ci95).

    Raises:
        ValueError: an unknown split, or no known prompt set chosen.
    """
    dataset = build_dataset(progress=False)
    ev = load_evaluator(cfg.evaluator or default_weights_path())
    if cfg.split not in EVAL_SPLITS:
        raise ValueError(f"unknown split {cfg.split!r}; valid: {', '.join(EVAL_SPLITS)}")
    sets = {
        k: v
        for k, v in prompt_sets(dataset, cfg.composed, cfg.seed, cfg.split).items()
        if k in cfg.sets
    }
    if not sets:
        raise ValueError(f"no prompt sets chosen; valid: test, heldout, composed (got {cfg.sets})")
    encoder = FrozenTextEncoder()
    retrieval = RetrievalBaseline(dataset, encoder, seed=cfg.seed)
    models = {name: MoLingo.load(path, device="cpu") for name, path in cfg.models.items()}
    recons = [m + RECON_SUFFIX for m in models] if cfg.reconstruction else []
    methods = _Methods(models, retrieval, ev, recons)
    results: dict = {
        "split": cfg.split,
        "sets": {k: len(v) for k, v in sets.items()},
        "sampler": cfg.sampler.__dict__,
        "repeats": cfg.repeats,
        "rows": {},
    }
    for set_name, items in sets.items():
        ps = _PromptSet.of(set_name, items, ev)
        results["rows"][set_name] = {
            method: _method_row(method, ps, methods, cfg, progress)
            for method in ["real", "retrieval", *models, *recons]
        }
    return results


def _parser() -> argparse.ArgumentParser:
    """The flags of ``molingo eval``: the run's and the sampler's from their configs."""
    parser = argparse.ArgumentParser(description="Evaluate text-to-motion models (molingo eval).")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a model file to evaluate (repeatable), e.g. molingo=runs/gen/molingo.safetensors",
    )
    add_flags(parser, EvalConfig, EVAL_FLAGS)
    parser.add_argument(
        "--sets", default="test,heldout,composed", help="comma-separated prompt sets to run"
    )
    parser.add_argument(
        "--evaluator",
        type=Path,
        metavar="PATH",
        help="the retrieval evaluator's file (default: the shipped one)",
    )
    parser.add_argument("--out", type=Path, default=Path("out/eval.json"))
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    add_flags(parser.add_argument_group("sampler"), SamplerConfig, SAMPLER_FLAGS)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _models(specs: list[str]) -> dict[str, Path]:
    """name -> path of ``NAME=PATH`` specs (none: the shipped model as ``molingo``)."""
    models = {}
    for spec in specs or [f"molingo={default_model_path()}"]:
        name, sep, path = spec.partition("=")
        if not sep:
            raise SystemExit(f"--model wants NAME=PATH, got {spec!r}")
        models[name] = Path(path)
    return models


def main(argv: list[str] | None = None) -> int:
    """``molingo eval``: run :func:`evaluate`, write the results (JSON) and print the table."""
    args = _parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = EvalConfig(
        models=_models(args.model),
        sampler=SamplerConfig.with_overrides(**flag_overrides(args, SamplerConfig, SAMPLER_FLAGS)),
        sets=tuple(args.sets.split(",")),
        evaluator=args.evaluator,
        **flag_overrides(args, EvalConfig, EVAL_FLAGS),
    )
    results = evaluate(cfg, progress=not args.quiet)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    table = markdown(results)
    print(table)
    if args.markdown:
        args.markdown.write_text(table)
    return 0


__all__ = ["EVAL_FLAGS", "RECON_SUFFIX", "SAMPLER_FLAGS", "EvalConfig", "evaluate", "main"]
