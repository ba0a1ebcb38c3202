"""Sweep the sampler's settings of a model on the evaluation prompts (one repeat each).

    .venv/bin/python tools/sweep_sampler.py --sets heldout,composed \
        --grid cfg_scale=1.5,2.5,3.5 --grid history_tokens=8,12,16 --out out/sweep.md

Each ``--grid NAME=V1,V2,...`` is a :class:`SamplerConfig` field; every combination is run
(FID, R@3 where the set has single texts, foot skating, jerk). The numbers are for choosing
defaults; docs/MODEL.md's tables come from ``molingo eval`` with repeats.
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import fields
from pathlib import Path

import numpy as np
import torch

from molingo_ros.model.evaluation import metrics as M
from molingo_ros.model.evaluation.embedding import embed_motions, embed_texts
from molingo_ros.model.evaluation.evaluator import default_weights_path
from molingo_ros.model.evaluation.evaluator_checkpoint import load_evaluator
from molingo_ros.model.evaluation.generation import generate_batch
from molingo_ros.model.evaluation.physical import physical
from molingo_ros.model.evaluation.prompts import EVAL_SPLITS, prompt_sets
from molingo_ros.model.sampler import MoLingo, SamplerConfig
from molingo_ros.motion.dataset import build_dataset


def parse_grid(specs: list[str]) -> dict[str, list]:
    kinds = {f.name: f.type for f in fields(SamplerConfig)}
    grid: dict[str, list] = {}
    for spec in specs:
        name, _, values = spec.partition("=")
        if name not in kinds:
            raise SystemExit(f"unknown sampler field {name!r}; valid: {', '.join(kinds)}")
        cast = {
            "int": int,
            "float": float,
            "str": str,
            "bool": lambda v: v.lower() in ("1", "true"),
        }[str(kinds[name])]
        grid[name] = [cast(v) for v in values.split(",")]
    return grid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", type=Path, default=Path("molingo_ros/weights/molingo.safetensors")
    )
    parser.add_argument("--sets", default="heldout,composed")
    parser.add_argument("--split", choices=EVAL_SPLITS, default="test")
    parser.add_argument("--grid", action="append", default=[])
    parser.add_argument("--composed", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("out/sweep.md"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    grid = parse_grid(args.grid)
    dataset = build_dataset(progress=False)
    ev = load_evaluator(default_weights_path())
    sets = {
        k: v
        for k, v in prompt_sets(dataset, args.composed, args.seed, args.split).items()
        if k in args.sets.split(",")
    }
    model = MoLingo.load(args.model, device="cpu")
    refs = {
        k: (
            embed_motions(ev, [it.real for it in items]),
            embed_texts(ev, [it.text for it in items]) if k != "composed" else None,
        )
        for k, items in sets.items()
    }
    header = [*grid, *(f"{k} {m}" for k in sets for m in ("FID", "R@3", "skate", "jerk"))]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for combo in itertools.product(*grid.values()):
        sampler = SamplerConfig.with_overrides(**dict(zip(grid, combo, strict=True)))
        cells = [str(v) for v in combo]
        t0 = time.time()
        for k, items in sets.items():
            feats = generate_batch(model, items, sampler, seed=args.seed)
            emb = embed_motions(ev, feats)
            real_emb, text_emb = refs[k]
            rng = np.random.default_rng(args.seed)
            r3 = (
                M.r_precision(text_emb, emb, 32, 3, rng)[2]
                if text_emb is not None
                else float("nan")
            )
            phys = physical(feats, None, None)
            cells += [
                f"{M.frechet_distance(real_emb, emb):.4f}",
                f"{r3:.3f}",
                f"{phys['foot_skate_m_s']:.3f}",
                f"{phys['jerk_m_s3']:.1f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], f"({time.time() - t0:.0f} s)", flush=True)
        args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
