"""``molingo eval``: the model's metrics table on the test split, against the real motions,
a retrieval baseline and the ablations, with the retrieval evaluator of
:mod:`molingo_ros.model.evaluator` (trained on the training split only).

Prompt sets (test split, original takes, not mirrors):

* ``test``: one training phrasing per test take, the take's length (<= 196 frames);
* ``heldout``: a held-out phrasing (never used in training) per take;
* ``composed``: multi-segment test sequences (2-3 takes joined), the command switching at
  each segment start; FID against the real composed sequences, jerk at the switches.

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

from molingo_ros.model import metrics as M
from molingo_ros.model.bundle import MoLingo
from molingo_ros.model.evaluator import (
    default_weights_path,
    embed_motions,
    embed_texts,
    load_evaluator,
)
from molingo_ros.model.postprocess import lock_feet, smooth_features
from molingo_ros.model.text import NULL_PROMPT, FrozenTextEncoder
from molingo_ros.model.window import (
    CFG_SCHEDULES,
    SamplerConfig,
    check_window_fits,
    sample_tokens,
    tokens_until,
)
from molingo_ros.motion import captions as caption_lib
from molingo_ros.motion.blend import join_motions
from molingo_ros.motion.captions import LOCOMOTION_CONTENTS
from molingo_ros.motion.dataset import MotionDataset, build_dataset
from molingo_ros.motion.features import (
    canonicalize,
    features_to_motion,
    features_to_positions,
    integrate_root,
    motion_to_features,
)
from molingo_ros.motion.rigs import BANDAI

EVAL_SPLITS = ("test", "val")  # val: for choosing settings without the test split
MAX_FRAMES = 196
MIN_FRAMES = 40


@dataclass
class PromptItem:
    """One prompt: its segments (text, first frame), length, and the real motion."""

    segments: list[tuple[str, int]]
    frames: int
    real: np.ndarray  # raw features (frames, F)
    label: tuple[str, str] | None = None

    @property
    def text(self) -> str:
        return " then ".join(t for t, _ in self.segments)

    @property
    def seams(self) -> list[int]:
        return [s for _, s in self.segments[1:]]


def prompt_sets(
    dataset: MotionDataset, composed: int, seed: int, split: str = "test"
) -> dict[str, list[PromptItem]]:
    """The prompt sets of a split's original takes: ``test`` (a training phrasing of each
    take's label), ``heldout`` (a held-out phrasing), ``composed`` (joined takes). The set
    names stay the same for ``split="val"`` (the split for choosing settings)."""
    rng = np.random.default_rng(seed)
    sets: dict[str, list[PromptItem]] = {"test": [], "heldout": [], "composed": []}
    for i in dataset.indices(split, mirrored=False):
        rec = dataset.records[i]
        feats = dataset.clip_features(i)
        n = min(len(feats), MAX_FRAMES) // 4 * 4
        if n < MIN_FRAMES:
            continue
        start = (len(feats) - n) // 2
        real = np.asarray(feats[start : start + n])
        label = (rec.content, rec.style)
        sets["test"].append(PromptItem([(dataset.caption(i, rng), 0)], n, real, label))
        sets["heldout"].append(
            PromptItem([(dataset.caption(i, rng, heldout=True), 0)], n, real, label)
        )
    for k in range(composed):
        seq = dataset.composed_sequence(split, k)
        n = len(seq.features) // 4 * 4
        segs = list(zip(seq.segment_captions, seq.segment_starts, strict=True))
        sets["composed"].append(PromptItem(segs, n, seq.features[:n]))
    return sets


# --------------------------------------------------------------------------------------------
# Generation, batched, in streaming windows
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def generate_batch(
    model: MoLingo, items: list[PromptItem], config: SamplerConfig, seed: int, batch: int = 128
) -> list[np.ndarray]:
    """Raw features for every item, generated window by window as :func:`generate` does:
    visible history, the command of each window = the segment it starts in, and the window
    before a segment's start (or the item's end) shortened so that the segment begins on its
    own token. Items at the same point of their stream (same length, same window) are
    sampled together."""
    check_window_fits(model, config)
    dev = model.feature_mean.device
    gen = torch.Generator(device=dev).manual_seed(seed)
    step = model.sae.config.frames_per_token
    dim = model.sae.config.latent_dim
    out: list[np.ndarray] = [np.zeros(0)] * len(items)
    null = model.text_memory([NULL_PROMPT])
    order = [int(i) for i in np.argsort([it.frames for it in items], kind="stable")]
    for start in range(0, len(items), batch):
        sel = order[start : start + batch]
        latents = {i: torch.zeros(0, dim, device=dev) for i in sel}
        while True:
            plan: dict[tuple[int, int], list[int]] = {}
            for i in sel:
                it, done = items[i], len(latents[i]) * step
                if done >= it.frames:
                    continue
                upcoming = [s for s in it.seams if s > done]
                n = tokens_until(
                    done, upcoming[0] if upcoming else None, it.frames, config.window_tokens, step
                )
                plan.setdefault((len(latents[i]), n), []).append(i)
            if not plan:
                break
            for (length, n), group in sorted(plan.items()):
                texts, ages = [], []
                for i in group:
                    text, begun = items[i].segments[0][0], 0
                    for t, s in items[i].segments:
                        if s <= length * step:
                            text, begun = t, -(-s // step)  # its first token
                    texts.append(text)
                    ages.append(length - begun)
                h = min(length, config.history_tokens)
                history = torch.stack([latents[i][length - h :] for i in group])
                new = sample_tokens(
                    model,
                    history,
                    n,
                    model.text_memory(texts),
                    null,
                    config,
                    gen,
                    torch.tensor(ages),
                )
                for j, i in enumerate(group):
                    latents[i] = torch.cat([latents[i], new[j]])
        # The decoder is causal: padding at the end leaves the earlier frames as they are.
        longest = max(len(v) for v in latents.values())
        padded = torch.stack(
            [
                torch.cat([latents[i], latents[i].new_zeros(longest - len(latents[i]), dim)])
                for i in sel
            ]
        )
        feats = model.decode_latents(padded).float().cpu().numpy()
        for j, i in enumerate(sel):
            f = smooth_features(feats[j, : items[i].frames], config.output_smoothing)
            out[i] = lock_feet(f) if config.foot_lock else f
    return out


# --------------------------------------------------------------------------------------------
# Retrieval baseline
# --------------------------------------------------------------------------------------------


class RetrievalBaseline:
    """Nearest training clip by text: MiniLM sentence similarity between the prompt and every
    training phrasing of every training label; a random training take of the best label."""

    def __init__(
        self, dataset: MotionDataset, encoder: FrozenTextEncoder, per_label: int = 24, seed: int = 0
    ) -> None:
        rng = np.random.default_rng(seed)
        self.dataset = dataset
        self.clips: dict[tuple[str, str], list[int]] = {}
        for i in dataset.indices("train"):
            r = dataset.records[i]
            self.clips.setdefault((r.content, r.style), []).append(i)
        texts, labels = [], []
        for label in sorted(self.clips):
            caps = caption_lib.captions_for(*label, split="train")
            for j in rng.choice(len(caps), size=min(per_label, len(caps)), replace=False):
                texts.append(caps[int(j)])
                labels.append(label)
        self.labels = labels
        self.encoder = encoder
        self.bank = encoder.sentence(texts).numpy()

    def clip_for(self, text: str, rng: np.random.Generator) -> np.ndarray:
        q = self.encoder.sentence([text]).numpy()[0]
        label = self.labels[int(np.argmax(self.bank @ q))]
        idx = self.clips[label][int(rng.integers(len(self.clips[label])))]
        return np.asarray(self.dataset.clip_features(idx))

    def motion_for(
        self, item: PromptItem, rng: np.random.Generator
    ) -> tuple[np.ndarray, list[int]]:
        """(raw features, segment seams) for a prompt."""
        if len(item.segments) == 1:
            feats = self.clip_for(item.segments[0][0], rng)
            if len(feats) >= item.frames:
                start = (len(feats) - item.frames) // 2
                return feats[start : start + item.frames], []
            return feats, []
        motions = [features_to_motion(self.clip_for(t, rng), 30.0) for t, _ in item.segments]
        joined, seams = motions[0], []
        for nxt in motions[1:]:
            joined, switch = join_motions(joined, nxt, 10)
            seams.append(int(switch))
        canon, _, _ = canonicalize(joined)
        return motion_to_features(canon).astype(np.float32), seams


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def physical(
    feats: list[np.ndarray], window_frames: int | None, seams: list[list[int]] | None
) -> dict[str, float]:
    feet = [BANDAI.index(j) for j in BANDAI.feet]
    skate, pen, jerk, seam = [], [], [], []
    for k, f in enumerate(feats):
        if len(f) < 8:
            continue
        pos, _ = features_to_positions(f, 21)
        skate.append(M.foot_skating(pos, 30.0, feet))
        pen.append(M.floor_penetration(pos)[0])
        jerk.append(M.jerk(pos, 30.0))
        cuts = list(range(window_frames, len(f), window_frames)) if window_frames else []
        if seams is not None:
            cuts = sorted(set(cuts) | set(seams[k]))
        if cuts:
            seam.append(M.seam_jerk_ratio(pos, 30.0, cuts))
    return {
        "foot_skate_m_s": float(np.mean(skate)),
        "penetration_m": float(np.mean(pen)),
        "jerk_m_s3": float(np.mean(jerk)),
        "seam_jerk_ratio": float(np.mean(seam)) if seam else float("nan"),
    }


def turn_rate(features: np.ndarray) -> float:
    """Net turning rate (deg/s) of raw features (see :func:`metrics.turn_rate_deg_s`)."""
    return M.turn_rate_deg_s(integrate_root(np.asarray(features), 21).heading_rad, 30.0)


@dataclass
class EvalConfig:
    models: dict[str, Path] = field(default_factory=dict)
    repeats: int = 20
    composed: int = 100
    mmodality_prompts: int = 32
    mmodality_samples: int = 10
    sampler: SamplerConfig = SamplerConfig()
    evaluator: Path | None = None
    seed: int = 0
    sets: tuple[str, ...] = ("test", "heldout", "composed")
    split: str = "test"
    reconstruction: bool = False


RECON_SUFFIX = " (SAE reconstruction)"


@torch.no_grad()
def reconstruct(model: MoLingo, items: list[PromptItem]) -> list[np.ndarray]:
    """The real motions encoded by the model's SAE (posterior means) and decoded again, with
    the sampler's output smoothing: the ceiling the generator works under."""
    out = []
    for it in items:
        x = torch.tensor(np.asarray(it.real), dtype=torch.float32, device=model.feature_mean.device)
        n = len(x) // model.sae.config.frames_per_token * model.sae.config.frames_per_token
        xn = ((x[:n] - model.feature_mean) / model.feature_std)[None]
        mu, _ = model.sae.encode(xn)
        feats = (model.sae.decode(mu) * model.feature_std + model.feature_mean)[0]
        out.append(smooth_features(feats.float().cpu().numpy(), SamplerConfig.output_smoothing))
    return out


def evaluate(cfg: EvalConfig, progress: bool = True) -> dict:
    """Run every method on every prompt set; returns nested results (mean, ci95)."""
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
    results: dict = {
        "split": cfg.split,
        "sets": {k: len(v) for k, v in sets.items()},
        "sampler": cfg.sampler.__dict__,
        "repeats": cfg.repeats,
        "rows": {},
    }
    window_frames = cfg.sampler.window_tokens * 4
    for set_name, items in sets.items():
        real_emb = embed_motions(ev, [it.real for it in items])
        locomotion = [
            k for k, it in enumerate(items) if it.label and it.label[0] in LOCOMOTION_CONTENTS
        ]
        real_turn = [turn_rate(items[k].real) for k in locomotion]
        text_emb = embed_texts(ev, [it.text for it in items]) if set_name != "composed" else None
        rows: dict[str, dict[str, list[float]]] = {}
        recons = [m + RECON_SUFFIX for m in models] if cfg.reconstruction else []
        methods = ["real", "retrieval", *models, *recons]
        for method in methods:
            vals: dict[str, list[float]] = {}
            runs = 1 if method == "real" or method in recons else cfg.repeats
            t0 = time.time()
            for r in tqdm(range(runs), disable=not progress, desc=f"{set_name}/{method}"):
                rng = np.random.default_rng([cfg.seed, r])
                seams = [it.seams for it in items]
                if method == "real":
                    feats = [it.real for it in items]
                elif method in recons:
                    feats = reconstruct(models[method.removesuffix(RECON_SUFFIX)], items)
                elif method == "retrieval":
                    pairs = [retrieval.motion_for(it, rng) for it in items]
                    feats, seams = [p[0] for p in pairs], [p[1] for p in pairs]
                else:
                    feats = generate_batch(models[method], items, cfg.sampler, seed=cfg.seed + r)
                emb = embed_motions(ev, feats)
                row = {
                    "fid": M.frechet_distance(real_emb, emb),
                    "diversity": M.diversity(emb, 300, rng),
                }
                if text_emb is not None:
                    rp = M.r_precision(text_emb, emb, 32, 3, rng)
                    row.update(
                        {
                            "r1": rp[0],
                            "r2": rp[1],
                            "r3": rp[2],
                            "mm_dist": M.matching_score(text_emb, emb),
                        }
                    )
                if r == 0:
                    gen_windows = window_frames if method in models else None
                    row.update(physical(feats, gen_windows, seams))
                    if locomotion:
                        row["turn_err"] = M.turn_rate_error(
                            [turn_rate(feats[k]) for k in locomotion], real_turn
                        )
                for k, v in row.items():
                    vals.setdefault(k, []).append(float(v))
            if method in models and set_name == "test" and cfg.mmodality_prompts:
                sub = items[: cfg.mmodality_prompts]
                groups = [[] for _ in sub]
                for s in range(cfg.mmodality_samples):
                    feats = generate_batch(models[method], sub, cfg.sampler, seed=10_000 + s)
                    for g, e in enumerate(embed_motions(ev, feats)):
                        groups[g].append(e)
                vals["mmodality"] = [M.multimodality([np.stack(g) for g in groups])]
            rows[method] = {
                k: {
                    "mean": float(np.mean(v)),
                    "ci95": float(M.mean_and_ci95(v)[1]) if len(v) > 1 else 0.0,
                    "runs": len(v),
                }
                for k, v in vals.items()
            }
            rows[method]["seconds"] = {"mean": time.time() - t0, "ci95": 0.0, "runs": 1}
        results["rows"][set_name] = rows
    return results


COLUMNS = [
    ("fid", "FID↓"),
    ("r1", "R@1↑"),
    ("r2", "R@2↑"),
    ("r3", "R@3↑"),
    ("mm_dist", "MM-Dist↓"),
    ("diversity", "Diversity"),
    ("mmodality", "MModality"),
    ("foot_skate_m_s", "skate m/s↓"),
    ("penetration_m", "penetr. m↓"),
    ("jerk_m_s3", "jerk m/s³"),
    ("seam_jerk_ratio", "seam/in-window jerk"),
    ("turn_err", "turn err °/s↓"),
]


def markdown(results: dict) -> str:
    lines = []
    split = results.get("split", "test")
    split_prefix = "" if split == "test" else f"{split} split, "
    for set_name, rows in results["rows"].items():
        cols = [c for c in COLUMNS if any(c[0] in r for r in rows.values())]
        lines += [
            f"### {split_prefix}{set_name} prompts ({results['sets'][set_name]})",
            "",
            "| method | " + " | ".join(h for _, h in cols) + " |",
            "|---|" + "---|" * len(cols),
        ]
        for method, row in rows.items():
            cells = []
            for key, _ in cols:
                if key not in row:
                    cells.append("-")
                    continue
                v = row[key]
                fmt = "{:.3f}" if abs(v["mean"]) < 100 else "{:.1f}"
                cell = fmt.format(v["mean"])
                if v["runs"] > 1:
                    cell += "±" + fmt.format(v["ci95"])
                cells.append(cell)
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate text-to-motion models (molingo eval).")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a model file to evaluate (repeatable), e.g. molingo=runs/gen/molingo.safetensors",
    )
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--composed", type=int, default=100)
    parser.add_argument("--mmodality-prompts", type=int, default=32)
    parser.add_argument("--out", type=Path, default=Path("out/eval.json"))
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--cfg", type=float, default=SamplerConfig.cfg_scale)
    parser.add_argument("--cfg-schedule", choices=CFG_SCHEDULES, default=SamplerConfig.cfg_schedule)
    parser.add_argument("--flow-steps", type=int, default=SamplerConfig.flow_steps)
    parser.add_argument("--iterations", type=int, default=SamplerConfig.iterations)
    parser.add_argument(
        "--window-tokens",
        type=int,
        default=SamplerConfig.window_tokens,
        help="new latent tokens per streaming window (4 frames each)",
    )
    parser.add_argument(
        "--history-tokens",
        type=int,
        default=SamplerConfig.history_tokens,
        help="emitted tokens kept as the visible prefix of the next window",
    )
    parser.add_argument(
        "--sets", default="test,heldout,composed", help="comma-separated prompt sets to run"
    )
    parser.add_argument(
        "--split",
        choices=EVAL_SPLITS,
        default="test",
        help="takes the prompts come from (val: for choosing settings without the test split)",
    )
    parser.add_argument(
        "--foot-lock", action="store_true", help="remove foot sliding (SamplerConfig.foot_lock)"
    )
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument(
        "--reconstruction",
        action="store_true",
        help="add a row per model: the real motions through its SAE (the generator's ceiling)",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    models = {}
    for spec in args.model or [
        f"molingo={Path(__file__).resolve().parents[1] / 'weights' / 'molingo.safetensors'}"
    ]:
        name, sep, path = spec.partition("=")
        if not sep:
            raise SystemExit(f"--model wants NAME=PATH, got {spec!r}")
        models[name] = Path(path)
    sampler = SamplerConfig.with_overrides(
        cfg_scale=args.cfg,
        cfg_schedule=args.cfg_schedule,
        flow_steps=args.flow_steps,
        iterations=args.iterations,
        window_tokens=args.window_tokens,  # emit_tokens: no effect offline
        history_tokens=args.history_tokens,
        foot_lock=args.foot_lock,
    )
    cfg = EvalConfig(
        models=models,
        repeats=args.repeats,
        composed=args.composed,
        mmodality_prompts=args.mmodality_prompts,
        sampler=sampler,
        sets=tuple(args.sets.split(",")),
        split=args.split,
        reconstruction=args.reconstruction,
    )
    results = evaluate(cfg, progress=not args.quiet)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    table = markdown(results)
    print(table)
    if args.markdown:
        args.markdown.write_text(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
