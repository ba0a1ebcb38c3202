"""Train the masked autoregressive generator on the SAE's latents (``molingo train generator
--sae runs/sae/sae.safetensors``). Resumes from ``<out>/last.pt``; writes the full model bundle
``<out>/molingo.safetensors`` (SAE + generator + normalisers), ``<out>/log.csv`` and
``<out>/loss.png``. The latents come from the dataset or from a latent pack
(:mod:`.latents`); ``time_budget`` fits the step count (and the cosine schedule) to a
wall-clock budget after timing the first steps.

Training windows teach streaming: a window of tokens has a visible history prefix (never
hidden, never in the loss) and is conditioned on the caption of its first hidden token. Half
of the windows with a history are cut from multi-segment sequences so that the history
belongs to another caption than the text: transitions are learned.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from molingo_ros.model.bundle import MODEL_KIND, MoLingo
from molingo_ros.model.checkpoint import load_state_strict, load_weights
from molingo_ros.model.sae import MotionAutoencoder
from molingo_ros.model.text import NULL_PROMPT, FrozenTextEncoder
from molingo_ros.model.training.data import TextTable, text_cache_path
from molingo_ros.model.training.distributed import (
    Parallel,
    accumulate_gradients,
    broadcast_int,
    broadcast_module,
    check_replicas,
    init_parallel,
    main_first,
    mean_over_processes,
)
from molingo_ros.model.training.generator_config import GeneratorTrainConfig
from molingo_ros.model.training.latents import TokenSequence, load_sae, training_sequences
from molingo_ros.model.training.run import (
    RESUME_FILE,
    TrainLog,
    config_to_json,
    cosine_lr,
    resume,
    start_run,
)

TrainBatch = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def sample_batch(
    seqs: list[TokenSequence],
    composed: list[TokenSequence],
    cfg: GeneratorTrainConfig,
    rng: np.random.Generator,
    null_label: int,
) -> TrainBatch:
    """(tokens (B, N, d), valid (B, N), prefix (B,), caption index (B,), command age (B, N)).

    The command of a window is the segment of its first hidden token (a clip is one
    segment); the age of a position is its distance in tokens from that segment's start
    (negative in the previous segment's history)."""
    b, n = cfg.batch, cfg.window_tokens
    d = seqs[0].latents.shape[1]
    tokens = np.zeros((b, n, d), dtype=np.float32)
    valid = np.zeros((b, n), dtype=bool)
    prefix = np.zeros(b, dtype=np.int64)
    label = np.zeros(b, dtype=np.int64)
    age = np.zeros((b, n), dtype=np.int64)
    for i in range(b):
        with_history = rng.random() >= cfg.no_prefix_fraction
        at_seam = with_history and rng.random() < cfg.seam_fraction
        if at_seam:
            s = composed[int(rng.integers(len(composed)))]
            seam = s.seams[int(rng.integers(len(s.seams)))] if s.seams else 1
            p = int(rng.integers(1, min(cfg.max_prefix_tokens, seam) + 1))
            start = seam - p
        else:
            pool = composed if rng.random() < 0.3 else seqs
            s = pool[int(rng.integers(len(pool)))]
            p = int(rng.integers(1, cfg.max_prefix_tokens + 1)) if with_history else 0
            p = min(p, len(s.latents) - 1)
            start = int(rng.integers(0, max(1, len(s.latents) - n + 1)))
        seg = s.latents[start : start + n]
        tokens[i, : len(seg)] = seg
        valid[i, : len(seg)] = True
        prefix[i] = min(p, len(seg) - 1)
        first = min(start + prefix[i], len(s.labels) - 1)
        label[i] = s.labels[first]
        begun = max([0] + [x for x in s.seams if x <= first])
        age[i] = start + np.arange(n) - begun
        if rng.random() < cfg.cond_drop:
            label[i] = null_label
    return tokens, valid, prefix, label, age


def init_generator(model: torch.nn.Module, bundle: Path) -> None:
    """Copy the ``generator.*`` weights of a model bundle into ``model``; only the
    command-age table may be missing from the file (it keeps its fresh initialisation)."""
    tensors, _ = load_weights(bundle, MODEL_KIND)
    state = {
        k[len("generator.") :]: v.float() if v.is_floating_point() else v
        for k, v in tensors.items()
        if k.startswith("generator.")
    }
    own = model.state_dict()
    for name in own:
        if name not in state and name.startswith("age."):
            state[name] = own[name]
    load_state_strict(model, state, bundle)


def _caption_tokens(
    cfg: GeneratorTrainConfig, encoder: FrozenTextEncoder, captions: list[str], progress: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token embeddings (N + 1, L, E) and mask (N + 1, L) of every caption, the null prompt
    last (index N: the label of a dropped caption)."""
    cache = None if cfg.pack is not None else text_cache_path(captions, encoder, cfg.data)
    table = TextTable.build(encoder, captions, cache, cfg.data.max_text_tokens, progress)
    null_tokens = encoder.token_embeddings([NULL_PROMPT])[0][: cfg.data.max_text_tokens]
    text_tokens = torch.cat([table.tokens, torch.zeros(1, *table.tokens.shape[1:])])
    text_mask = torch.cat([table.mask, torch.zeros(1, table.mask.shape[1], dtype=torch.bool)])
    null_label = len(table.captions)
    text_tokens[null_label, : len(null_tokens)] = null_tokens
    text_mask[null_label, : len(null_tokens)] = True
    return text_tokens, text_mask


def _normalise_latents(
    seqs: list[TokenSequence], composed: list[TokenSequence]
) -> tuple[np.ndarray, np.ndarray]:
    """Normalise every sequence's latents in place by the clips' per-dimension mean and
    standard deviation; returns them."""
    all_lat = np.concatenate([s.latents for s in seqs])
    lat_mean, lat_std = all_lat.mean(0), all_lat.std(0) + 1e-6
    for s in seqs + composed:
        s.latents = ((s.latents - lat_mean) / lat_std).astype(np.float32)
    return lat_mean, lat_std


def _new_bundle(
    cfg: GeneratorTrainConfig,
    sae: MotionAutoencoder,
    sae_tensors: dict[str, torch.Tensor],
    text_dim: int,
    latent_stats: tuple[np.ndarray, np.ndarray],
) -> MoLingo:
    """The bundle being trained: the given SAE and normalisers, a fresh generator (or the
    one of ``cfg.init`` when the run does not resume)."""
    gcfg = replace(cfg.generator, latent_dim=sae.config.latent_dim, text_dim=text_dim)
    bundle = MoLingo(sae.config, gcfg, cfg.text)
    bundle.sae.load_state_dict(sae.state_dict())
    bundle.feature_mean.copy_(sae_tensors["normalizer.mean"])
    bundle.feature_std.copy_(sae_tensors["normalizer.std"])
    bundle.latent_mean.copy_(torch.from_numpy(latent_stats[0]))
    bundle.latent_std.copy_(torch.from_numpy(latent_stats[1]))
    if cfg.init is not None and not (Path(cfg.out) / RESUME_FILE).exists():
        init_generator(bundle.generator, Path(cfg.init))
    return bundle


def _optimizer(
    model: torch.nn.Module, cfg: GeneratorTrainConfig, device: torch.device
) -> torch.optim.AdamW:
    """AdamW with weight decay on the weight matrices only (not on norms, biases, position
    tables and the mask token)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "pos" in name or "mask_token" in name else decay).append(p)
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        betas=(0.9, 0.95),
        fused=device.type == "cuda",
    )


class WeightAverage:
    """Exponential moving average of a model's floating-point weights (other buffers are
    copied): the weights the model file gets."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.float_keys = [k for k, v in model.state_dict().items() if v.dtype.is_floating_point]
        self.other_keys = [k for k in model.state_dict() if k not in set(self.float_keys)]

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        """Move the average towards ``model``'s current weights."""
        live_state = model.state_dict()
        averaged = [self.state[k] for k in self.float_keys]
        torch._foreach_mul_(averaged, self.decay)
        torch._foreach_add_(
            averaged, [live_state[k] for k in self.float_keys], alpha=1 - self.decay
        )
        for k in self.other_keys:
            self.state[k].copy_(live_state[k])


class StepBudget:
    """Fits a run's step count to a wall-clock budget (s): times 30 steps, starting 20 steps
    after the run (re)starts, then sets the total to what fits in 97 % of the time left (at
    least one more step, at most ``max_steps``)."""

    def __init__(self, budget_s: float, max_steps: int, first_step: int, t0: float) -> None:
        self.budget_s, self.max_steps, self.t0 = budget_s, max_steps, t0
        self.timed_from: tuple[int, float | None] = (first_step + 20, None)

    def total(self, step: int, total: int) -> int:
        """The step count after ``step`` steps are done (``total`` when not fitted now)."""
        if self.budget_s <= 0:
            return total
        if step == self.timed_from[0]:
            self.timed_from = (step, time.time())
        elif self.timed_from[1] is not None and step == self.timed_from[0] + 30:
            per_step = (time.time() - self.timed_from[1]) / 30
            left = self.budget_s - (time.time() - self.t0)
            return max(step + 1, min(self.max_steps, step + int(0.97 * left / per_step)))
        return total


def _save(
    bundle: MoLingo,
    opt: torch.optim.Optimizer,
    ema: WeightAverage,
    cfg: GeneratorTrainConfig,
    progress_steps: tuple[int, int],
    log: TrainLog,
) -> None:
    """Write ``last.pt`` (live weights, optimiser, average, step, total) and the model file
    with the averaged generator; ``progress_steps``: (steps done, total steps)."""
    step, total = progress_steps
    model, out = bundle.generator, Path(cfg.out)
    torch.save(
        {
            "model": model.state_dict(),
            "opt": opt.state_dict(),
            "ema": ema.state,
            "step": step,
            "total_steps": total,
        },
        out / RESUME_FILE,
    )
    live = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(ema.state)
    train_config = config_to_json(replace(cfg, steps=total))
    bundle.save(out / "molingo.safetensors", {"step": str(step), "train_config": train_config})
    model.load_state_dict(live)
    log.plot(out / "loss.png")


def _prepare(
    cfg: GeneratorTrainConfig, world: Parallel, device: torch.device, progress: bool
) -> tuple[MoLingo, list[TokenSequence], list[TokenSequence], tuple[torch.Tensor, ...]]:
    """The bundle to train (on ``device``), the clip and composed token sequences and the
    text table (token embeddings, mask) of their captions, the null prompt last."""
    with main_first(world):  # rank 0 fills the caches
        sae, sae_tensors = load_sae(Path(cfg.sae), device)
        captions, seqs, composed = training_sequences(cfg, sae, device, progress)
        encoder = FrozenTextEncoder(cfg.text, device=str(device))
        text_tokens, text_mask = _caption_tokens(cfg, encoder, captions, progress)
    latent_stats = _normalise_latents(seqs, composed)
    bundle = _new_bundle(cfg, sae, sae_tensors, encoder.dim, latent_stats).to(device)
    return bundle, seqs, composed, (text_tokens.to(device), text_mask.to(device))


def train_generator(cfg: GeneratorTrainConfig, progress: bool = True) -> Path:
    """Train (or resume) a generator on the SAE of ``cfg.sae``; returns the model file.
    Under torchrun each process computes its share of every batch (:mod:`.distributed`)."""
    world = init_parallel(cfg.device)
    world.micro_batches(cfg.batch, cfg.parallel.accumulate)  # refuses a batch that won't split
    device, out = start_run(cfg, world)
    progress = progress and world.main
    bundle, seqs, composed, (text_tokens, text_mask) = _prepare(cfg, world, device, progress)
    null_label = len(text_tokens) - 1
    model = bundle.generator
    ema = WeightAverage(model, cfg.ema)
    opt = _optimizer(model, cfg, device)
    log = TrainLog(out / "log.csv") if world.main else None
    step, total = 0, cfg.steps
    state = resume(out, device, model, opt)
    if state is not None:
        ema.state, step = state["ema"], int(state["step"])
        if cfg.time_budget > 0:  # a budgeted run resumes with the step count it fitted
            total = int(state.get("total_steps", total))
    broadcast_module(world, model)
    rng = np.random.default_rng([cfg.seed, step])
    bar = tqdm(total=total, initial=step, disable=not progress, desc="generator")
    t0 = time.time()
    budget = StepBudget(cfg.time_budget, cfg.steps, step, t0)
    params = list(model.parameters())
    model.train()
    while step < total:
        batch = [
            torch.from_numpy(a).to(device)
            for a in sample_batch(seqs, composed, cfg, rng, null_label)
        ]
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, total, cfg.warmup, cfg.lr)
        losses = accumulate_gradients(
            world,
            lambda rows, b=batch: _flow_loss(model, [a[rows] for a in b], text_tokens, text_mask),
            params,
            (cfg.seed, step, cfg.batch, cfg.parallel),
        )
        torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        opt.step()
        ema.update(model)
        step += 1
        bar.update(1)
        fitted = budget.total(step, total)
        if cfg.time_budget > 0:
            fitted = broadcast_int(world, fitted)  # every process stops at rank 0's count
        if fitted != total:
            total = bar.total = fitted
            bar.refresh()
        if step % cfg.log_every == 0:
            flow = mean_over_processes(world, {"flow": float(losses["total"])})["flow"]
            if log is not None:
                lr = opt.param_groups[0]["lr"]
                log.add(step, {"flow": flow, "lr": lr, "seconds": time.time() - t0})
            bar.set_postfix(flow=f"{flow:.4f}")
        if step % cfg.checkpoint_every == 0 or step == total:
            check_replicas(world, model)
            if log is not None:
                _save(bundle, opt, ema, cfg, (step, total), log)
            world.barrier()
    bar.close()
    return out / "molingo.safetensors"


def _flow_loss(
    model: torch.nn.Module,
    batch: list[torch.Tensor],
    text_tokens: torch.Tensor,
    text_mask: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """The flow loss (``total``) of rows of a batch of :func:`sample_batch` (as tensors)."""
    tokens, valid, prefix, label, age = batch
    memory, memory_pad = model.encode_text(text_tokens[label], text_mask[label])
    return {"total": model.loss(tokens, valid, prefix, memory, memory_pad, age=age)}


__all__ = ["StepBudget", "WeightAverage", "init_generator", "sample_batch", "train_generator"]
