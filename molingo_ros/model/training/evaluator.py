"""Training of the retrieval evaluator (:mod:`molingo_ros.model.evaluation.evaluator`):
a symmetric InfoNCE loss on the TRAIN split only, where pairs of a batch with the same
(content, style) label (styles with identical phrasings, e.g. ``old``/``elderly``, count as
one) are not used as negatives. Training samples are random train clips (mirrored copies
included, with their mirrored captions), random crops of ``min_frames..max_frames`` frames
and captions from a bounded, seeded set of at most ``captions_per_label`` train phrasings per
label (the frozen text encoder runs once per distinct caption). ``molingo train evaluator
train`` trains one and reports its retrieval metrics on the test split.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from molingo_ros.model.evaluation.embedding import frozen_text_encoder, pad_motions
from molingo_ros.model.evaluation.evaluator import EvaluatorConfig, RetrievalEvaluator
from molingo_ros.model.evaluation.evaluator_checkpoint import save_evaluator
from molingo_ros.model.evaluation.retrieval import evaluate_split, label_ids, label_key
from molingo_ros.model.text import FrozenTextEncoder
from molingo_ros.model.training.data import own_captions
from molingo_ros.model.training.distributed import (
    Parallel,
    ParallelConfig,
    accumulate_gradients,
    broadcast_module,
    init_parallel,
    main_first,
)
from molingo_ros.motion import captions
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.motion_dataset import MotionDataset


def caption_bank(
    labels: Sequence[tuple[str, str]],
    per_label: int,
    seed: int,
    own: dict[tuple[str, str], list[str]] | None = None,
) -> dict[tuple[str, str], list[str]]:
    """For every label, at most ``per_label`` of its train captions, chosen with a generator
    seeded by ``seed`` and the (alias-merged) label, so aliased labels get the same captions.
    ``own``: a dataset's own captions per label (a HumanML3D / KIT-ML folder, see
    :func:`~molingo_ros.model.training.data.own_captions`) instead of the Bandai phrasings."""
    bank: dict[tuple[str, str], list[str]] = {}
    for content, style in sorted(set(labels)):
        key = label_key(content, style) if own is None else (content, style)
        pool = captions.captions_for(*key, split="train") if own is None else own[key]
        rng = np.random.default_rng([seed, zlib.crc32("|".join(key).encode())])
        chosen = rng.choice(len(pool), size=min(per_label, len(pool)), replace=False)
        bank[(content, style)] = [pool[int(i)] for i in sorted(chosen)]
    return bank


def sample_batch(
    dataset: MotionDataset,
    pool: Sequence[int],
    bank: dict[tuple[str, str], list[str]],
    config: EvaluatorConfig,
    rng: np.random.Generator,
    batch: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, list[str], torch.Tensor]:
    """A training batch: random records of ``pool`` (uniform), a random crop of each and a
    random caption of its label from ``bank``. The crop length is drawn once per batch from
    ``min_frames..max_frames`` (clips shorter than it are used whole), which keeps the padding,
    and so the CPU time, low.

    Returns:
        ``(raw features (B, T, D), frame mask (B, T), captions, label ids (B,))``; equal label
        ids mark pairs that must not be negatives of each other.
    """
    batch = batch or config.batch
    chosen = rng.choice(len(pool), size=batch, replace=len(pool) < batch)
    crop = int(rng.integers(config.min_frames, config.max_frames + 1))
    clips, texts, keys = [], [], []
    for c in chosen:
        index = int(pool[int(c)])
        rec = dataset.records[index]
        length = min(crop, rec.length)
        start = rec.start + int(rng.integers(rec.length - length + 1))
        clips.append(np.asarray(dataset.features[start : start + length]))
        options = bank[(rec.content, rec.style)]
        texts.append(options[int(rng.integers(len(options)))])
        keys.append(label_key(rec.content, rec.style))
    feats, mask = pad_motions(clips, config.feature_dim)
    labels = torch.from_numpy(label_ids(keys))
    return feats, mask, texts, labels


def contrastive_loss(
    text_emb: torch.Tensor,
    motion_emb: torch.Tensor,
    labels: torch.Tensor | None,
    temperature: float,
    extra_negatives: torch.Tensor | None = None,
) -> torch.Tensor:
    """Symmetric InfoNCE between matched rows of unit vectors (B, D); off-diagonal pairs with
    the same label are masked out (not negatives). ``extra_negatives`` (K, D) are motion
    embeddings that are negatives of every text (text-to-motion direction only)."""
    logits = text_emb @ motion_emb.T / temperature
    if labels is not None:
        labels = labels.to(logits.device)
        same = labels[:, None] == labels[None, :]
        same.fill_diagonal_(False)
        logits = logits.masked_fill(same, float("-inf"))
    target = torch.arange(len(logits), device=logits.device)
    text_logits = logits
    if extra_negatives is not None and len(extra_negatives):
        text_logits = torch.cat([logits, text_emb @ extra_negatives.T / temperature], dim=1)
    return 0.5 * (
        nn.functional.cross_entropy(text_logits, target)
        + nn.functional.cross_entropy(logits.T, target)
    )


CORRUPTIONS = ("jitter", "frozen", "reversed")


def corrupt_motions(
    feats: torch.Tensor, mask: torch.Tensor, std: torch.Tensor, rng: np.random.Generator
) -> torch.Tensor:
    """Broken copies of raw motions (B, T, D) with frame mask (B, T), one corruption each
    (cycling through :data:`CORRUPTIONS` from a random start):

    * ``jitter``: independent Gaussian noise on every frame and feature, of ``s`` times the
      feature's std with ``s`` log-uniform in [0.1, 1];
    * ``frozen``: one random frame of the clip held for its whole length;
    * ``reversed``: the frames in reverse order (velocities keep their sign, so the result is
      also physically inconsistent).
    """
    out = feats.clone()
    std = std.detach().cpu()
    offset = int(rng.integers(len(CORRUPTIONS)))
    for i in range(len(feats)):
        n = int(mask[i].sum())
        kind = CORRUPTIONS[(i + offset) % len(CORRUPTIONS)]
        if kind == "jitter":
            scale = float(np.exp(rng.uniform(np.log(0.1), 0.0)))
            noise = torch.from_numpy(rng.standard_normal((n, feats.shape[2])).astype(np.float32))
            out[i, :n] += scale * noise * std
        elif kind == "frozen":
            out[i, :n] = feats[i, int(rng.integers(n))]
        else:
            out[i, :n] = feats[i, :n].flip(0)
    return out


def _lr_factor(step: int, config: EvaluatorConfig) -> float:
    """Learning rate over ``config.lr`` at ``step``: linear warm-up, then cosine to 5 %."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    span = max(1, config.steps - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    return 0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * progress))


def _corrupted(
    feats: torch.Tensor,
    mask: torch.Tensor,
    model: RetrievalEvaluator,
    rng: np.random.Generator,
    count: int,
) -> list[tuple[torch.Tensor, torch.Tensor] | None]:
    """The corrupted extra negatives (motions, masks) of each of the ``count`` micro-batches
    of a batch (None: none), drawn for every micro-batch on every process in the same order
    (the random draws stay those of one process)."""
    size = len(feats) // count
    n_bad = int(round(model.config.corrupt_negatives * size))
    out: list[tuple[torch.Tensor, torch.Tensor] | None] = []
    for k in range(count):
        f, m = feats[k * size : (k + 1) * size], mask[k * size : (k + 1) * size]
        out.append(
            (corrupt_motions(f[:n_bad], m[:n_bad], model.std, rng), m[:n_bad]) if n_bad else None
        )
    return out


def train_steps(
    model: RetrievalEvaluator,
    dataset: MotionDataset,
    pool: Sequence[int],
    bank: dict[tuple[str, str], list[str]],
    optimizer: torch.optim.Optimizer,
    steps: int,
    rng: np.random.Generator,
    text_encoder: FrozenTextEncoder,
    start_step: int = 0,
    progress: tqdm | None = None,
    *,
    world: Parallel | None = None,
    parallel: ParallelConfig | None = None,
) -> list[float]:
    """Run ``steps`` optimisation steps (learning-rate schedule from ``start_step``); returns
    the losses. With ``world`` / ``parallel`` each process computes its micro-batches of
    every batch (:mod:`.distributed`); a micro-batch is its own contrastive batch (its
    captions' negatives are its motions)."""
    config = model.config
    world = world or Parallel(device=model.device)
    parallel = parallel or ParallelConfig()
    model.train()
    losses = []
    params = list(model.parameters())
    for step in range(start_step, start_step + steps):
        for group in optimizer.param_groups:
            group["lr"] = config.lr * _lr_factor(step, config)
        feats, mask, texts, labels = sample_batch(dataset, pool, bank, config, rng)
        bad = _corrupted(feats, mask, model, rng, world.world * parallel.accumulate)

        def loss_of(rows: slice, feats=feats, mask=mask, texts=texts, labels=labels, bad=bad):
            f, m = feats[rows], mask[rows]
            extra = bad[rows.start // (rows.stop - rows.start)]
            if extra is not None:
                f, m = torch.cat([f, extra[0]]), torch.cat([m, extra[1]])
            tokens, tmask = text_encoder.encode(texts[rows])
            motion_emb = model.encode_motion(f.to(model.device), m.to(model.device))
            text_emb = model.encode_text(tokens.to(model.device), tmask.to(model.device))
            b = rows.stop - rows.start
            loss = contrastive_loss(
                text_emb, motion_emb[:b], labels[rows], config.temperature, motion_emb[b:]
            )
            return {"total": loss}

        step_losses = accumulate_gradients(
            world, loss_of, params, (config.seed, step, len(texts), parallel)
        )
        nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        losses.append(float(step_losses["total"]))
        if progress is not None:
            progress.update(1)
            if step % 10 == 0:
                progress.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
    return losses


def _quick_val(
    model: RetrievalEvaluator, dataset: MotionDataset, text_encoder: FrozenTextEncoder
) -> dict:
    """R@3 (plain, any motion of the label, any of the content) on the validation split,
    one repeat; empty when it has fewer than 64 records."""
    pool = dataset.indices("val")
    if len(pool) < 64:
        return {}
    result = evaluate_split(model, dataset, "val", repeats=1, text_encoder=text_encoder)
    return {
        "val_R@3": result["r_precision"][0][2],
        "val_label_R@3": result["label_r_precision"][0][2],
        "val_content_R@3": result["content_r_precision"][0][2],
    }


def _encode_captions(
    bank: dict[tuple[str, str], list[str]],
    text_encoder: FrozenTextEncoder,
    log: Callable[[str], None],
) -> int:
    """Encode every caption of ``bank`` once (the encoder keeps them); returns their number."""
    every_caption = sorted({c for caps in bank.values() for c in caps})
    started = time.perf_counter()
    log(
        f"encoding {len(every_caption)} train captions of {len(bank)} labels with the frozen "
        f"text encoder"
    )
    text_encoder.token_embeddings(every_caption)
    log(f"  {time.perf_counter() - started:.1f} s")
    return len(every_caption)


def train_evaluator(
    config: EvaluatorConfig | None = None,
    out_path: str | Path | None = None,
    progress: bool = True,
    *,
    dataset: MotionDataset | None = None,
    pool: Sequence[int] | None = None,
    device: str = "cpu",
    log: Callable[[str], None] | None = None,
    parallel: ParallelConfig | None = None,
) -> RetrievalEvaluator:
    """Train an evaluator on the train split (or on ``pool``, record indices of ``dataset``)
    and save it to ``out_path`` (if given, also after every validation check). Under
    torchrun each process computes its share of every batch (:mod:`.distributed`); rank 0
    logs, validates and saves.

    Returns:
        The trained model (eval mode); ``model.train_info`` holds the losses per 50 steps,
        the validation checks and the training time (s).

    Raises:
        ValueError: no records, or records outside the train split.
    """
    config = config or EvaluatorConfig()
    world = init_parallel(device)
    world.micro_batches(config.batch, (parallel or ParallelConfig()).accumulate)  # splits?
    progress = progress and world.main
    log = (log or tqdm.write) if world.main else (lambda _: None)  # tqdm.write: keeps the bar
    with main_first(world):  # rank 0 fills the dataset cache
        dataset = dataset or build_dataset(progress=progress)
    pool = list(pool) if pool is not None else dataset.indices("train")
    if not pool:
        raise ValueError("no training records")
    if any(dataset.records[i].split != "train" for i in pool):
        raise ValueError("the evaluator trains on train-split records only")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    config = replace(config, feature_dim=int(dataset.features.shape[1]))  # the dataset's rig
    model = RetrievalEvaluator(config, dataset.normalizer.mean, dataset.normalizer.std)
    model = model.to(world.device)
    broadcast_module(world, model)
    text_encoder = frozen_text_encoder(config)
    labels = [(dataset.records[i].content, dataset.records[i].style) for i in pool]
    own = own_captions(dataset, "train")
    bank = caption_bank(labels, config.captions_per_label, config.seed, own)
    n_captions = _encode_captions(bank, text_encoder, log)
    params = sum(p.numel() for p in model.parameters())
    log(
        f"training {params / 1e6:.2f} M parameters on {len(pool)} records for {config.steps} "
        f"steps of {config.batch} (torch threads: {torch.get_num_threads()})"
    )
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    bar = tqdm(total=config.steps, desc="evaluator", disable=not progress, mininterval=5.0)
    train_start = time.perf_counter()
    info: dict = {"losses": [], "val": [], "captions": n_captions}
    step = 0
    chunk = config.eval_every if config.eval_every > 0 else config.steps
    while step < config.steps:
        n = min(chunk, config.steps - step)
        losses = train_steps(
            model, dataset, pool, bank, optimizer, n, rng, text_encoder, step, bar,
            world=world, parallel=parallel,
        )  # fmt: skip
        info["losses"] += [round(float(np.mean(losses[i : i + 50])), 4) for i in range(0, n, 50)]
        step += n
        validate = config.eval_every > 0 and world.main
        val = _quick_val(model, dataset, text_encoder) if validate else {}
        elapsed = time.perf_counter() - train_start
        info["val"].append({"step": step, "seconds": round(elapsed, 1), **val})
        info["train_seconds"] = round(elapsed, 1)
        log(f"step {step}: loss {np.mean(losses[-50:]):.3f}, {elapsed:.0f} s, {val}")
        model.train_info = info
        if out_path is not None and world.main:
            save_evaluator(model, out_path)
        world.barrier()
    bar.close()
    model.eval()
    return model


__all__ = [
    "CORRUPTIONS",
    "caption_bank",
    "contrastive_loss",
    "corrupt_motions",
    "sample_batch",
    "train_evaluator",
    "train_steps",
]
