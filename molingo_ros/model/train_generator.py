"""Train the masked autoregressive generator on the SAE's latents: ``python -m
molingo_ros.model.train_generator --sae runs/sae/sae.safetensors``. Resumes from
``<out>/last.pt``; writes the full model bundle ``<out>/molingo.safetensors`` (SAE +
generator + normalisers), ``<out>/log.csv`` and ``<out>/loss.png``.

Training windows teach streaming: a window of tokens has a visible history prefix (never
hidden, never in the loss) and is conditioned on the caption of its first hidden token. Half
of the windows with a history are cut from multi-segment sequences so that the history
belongs to another caption than the text: transitions are learned.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from molingo_ros.model.data import (
    CaptionBank,
    DataConfig,
    Sequence,
    clip_sequences,
    composed_sequences,
    text_table_for,
)
from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sae import MotionAutoencoder, SAEConfig
from molingo_ros.model.sampler import MoLingo
from molingo_ros.model.text import NULL_PROMPT, FrozenTextEncoder, TextEncoderConfig
from molingo_ros.model.training import (
    TrainLog,
    config_to_json,
    cosine_lr,
    load_state_strict,
    load_weights,
    resolve_device,
    seed_everything,
)
from molingo_ros.motion.dataset import build_dataset


@dataclass(frozen=True)
class GeneratorTrainConfig:
    """One generator training run.

    Attributes:
        generator: the architecture (``conditioning="adaln"`` is the ablation).
        sae: path of the trained SAE (safetensors from train_sae).
        data, text: as for the SAE.
        window_tokens: tokens per training window (4 frames each).
        max_prefix_tokens: longest visible history.
        no_prefix_fraction: windows generated from scratch (no history).
        seam_fraction: of the windows with history, those whose history ends at a seam of a
            multi-segment sequence (the text is the next segment's).
        cond_drop: share of captions replaced by the null prompt (for CFG).
    """

    generator: GeneratorConfig = GeneratorConfig()
    sae: Path = Path("runs/sae/sae.safetensors")
    data: DataConfig = DataConfig()
    text: TextEncoderConfig = TextEncoderConfig()
    window_tokens: int = 24
    max_prefix_tokens: int = 12
    no_prefix_fraction: float = 0.3
    seam_fraction: float = 0.5
    cond_drop: float = 0.1
    batch: int = 32
    steps: int = 6000
    lr: float = 5e-4
    warmup: int = 300
    weight_decay: float = 0.02
    grad_clip: float = 3.0
    ema: float = 0.999
    seed: int = 0
    device: str = "auto"
    threads: int = 0
    log_every: int = 50
    checkpoint_every: int = 500
    out: Path = field(default=Path("runs/gen"))


@dataclass
class TokenSequence:
    latents: np.ndarray  # (N, d) normalised
    labels: np.ndarray  # (N,) caption index of each token
    seams: list[int]  # token index where a new segment starts


def load_sae(path: Path, device: torch.device) -> tuple[MotionAutoencoder, dict]:
    tensors, meta = load_weights(path, "molingo-sae")
    cfg = SAEConfig(**json.loads(meta["sae_config"]))
    model = MotionAutoencoder(cfg)
    state = {k: v for k, v in tensors.items() if not k.startswith("normalizer.")}
    load_state_strict(model, state, path)
    return model.to(device).eval(), tensors


@torch.no_grad()
def encode_sequences(
    sae: MotionAutoencoder, seqs: list[Sequence], device: torch.device
) -> list[TokenSequence]:
    """Posterior means of every sequence (frames cut to a multiple of 4)."""
    step = sae.config.frames_per_token
    out = []
    for s in seqs:
        n = len(s.features) // step
        if n < 2:
            continue
        x = torch.from_numpy(s.features[: n * step])[None].to(device)
        mean, _ = sae.encode(x)
        labels = s.labels[step - 1 : n * step : step]
        seams = sorted({(f + step - 1) // step for f in s.seams if 0 < (f + step - 1) // step < n})
        out.append(TokenSequence(mean[0].cpu().numpy(), labels, seams))
    return out


def sample_batch(
    seqs: list[TokenSequence],
    composed: list[TokenSequence],
    cfg: GeneratorTrainConfig,
    rng: np.random.Generator,
    null_label: int,
):
    """(tokens (B, N, d), valid (B, N), prefix (B,), caption index (B,))."""
    b, n = cfg.batch, cfg.window_tokens
    d = seqs[0].latents.shape[1]
    tokens = np.zeros((b, n, d), dtype=np.float32)
    valid = np.zeros((b, n), dtype=bool)
    prefix = np.zeros(b, dtype=np.int64)
    label = np.zeros(b, dtype=np.int64)
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
        label[i] = s.labels[min(start + prefix[i], len(s.labels) - 1)]
        if rng.random() < cfg.cond_drop:
            label[i] = null_label
    return tokens, valid, prefix, label


def train_generator(cfg: GeneratorTrainConfig, progress: bool = True) -> Path:
    seed_everything(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = resolve_device(cfg.device)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(config_to_json(cfg))

    sae, sae_tensors = load_sae(Path(cfg.sae), device)
    dataset = build_dataset(progress=progress)
    bank = CaptionBank(dataset, "train", cfg.data)
    encoder = FrozenTextEncoder(cfg.text)
    table = text_table_for(bank, encoder, dataset, cfg.data, progress)
    null_tokens = encoder.token_embeddings([NULL_PROMPT])[0][: cfg.data.max_text_tokens]
    text_tokens = torch.cat([table.tokens, torch.zeros(1, *table.tokens.shape[1:])])
    text_mask = torch.cat([table.mask, torch.zeros(1, table.mask.shape[1], dtype=torch.bool)])
    null_label = len(table.captions)
    text_tokens[null_label, : len(null_tokens)] = null_tokens
    text_mask[null_label, : len(null_tokens)] = True
    text_tokens, text_mask = text_tokens.to(device), text_mask.to(device)

    rng0 = np.random.default_rng(cfg.seed)
    seqs = encode_sequences(sae, clip_sequences(dataset, "train", bank, rng0), device)
    composed = encode_sequences(
        sae, composed_sequences(dataset, "train", bank, cfg.data, progress), device
    )
    all_lat = np.concatenate([s.latents for s in seqs])
    lat_mean, lat_std = all_lat.mean(0), all_lat.std(0) + 1e-6
    for s in seqs + composed:
        s.latents = ((s.latents - lat_mean) / lat_std).astype(np.float32)

    gcfg = replace(cfg.generator, latent_dim=sae.config.latent_dim, text_dim=encoder.dim)
    bundle = MoLingo(sae.config, gcfg, cfg.text)
    bundle.sae.load_state_dict(sae.state_dict())
    bundle.feature_mean.copy_(sae_tensors["normalizer.mean"])
    bundle.feature_std.copy_(sae_tensors["normalizer.std"])
    bundle.latent_mean.copy_(torch.from_numpy(lat_mean))
    bundle.latent_std.copy_(torch.from_numpy(lat_std))
    bundle = bundle.to(device)
    model = bundle.generator
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()}
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "pos" in name or "mask_token" in name else decay).append(p)
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        betas=(0.9, 0.95),
    )
    log = TrainLog(out / "log.csv")
    step = 0
    last = out / "last.pt"
    if last.exists():
        state = torch.load(last, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        ema = state["ema"]
        step = int(state["step"])
    rng = np.random.default_rng([cfg.seed, step])
    bar = tqdm(total=cfg.steps, initial=step, disable=not progress, desc="generator")
    t0 = time.time()
    model.train()
    while step < cfg.steps:
        tokens, valid, prefix, label = sample_batch(seqs, composed, cfg, rng, null_label)
        lab = torch.from_numpy(label).to(device)
        memory, memory_pad = model.encode_text(text_tokens[lab], text_mask[lab])
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, cfg.steps, cfg.warmup, cfg.lr)
        loss = model.loss(
            torch.from_numpy(tokens).to(device),
            torch.from_numpy(valid).to(device),
            torch.from_numpy(prefix).to(device),
            memory,
            memory_pad,
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        with torch.no_grad():
            for k, v in model.state_dict().items():
                if v.dtype.is_floating_point:
                    ema[k].mul_(cfg.ema).add_(v.detach(), alpha=1 - cfg.ema)
                else:
                    ema[k].copy_(v)
        step += 1
        bar.update(1)
        if step % cfg.log_every == 0:
            log.add(
                step,
                {
                    "flow": float(loss.detach()),
                    "lr": opt.param_groups[0]["lr"],
                    "seconds": time.time() - t0,
                },
            )
            bar.set_postfix(flow=f"{float(loss.detach()):.4f}")
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            torch.save(
                {"model": model.state_dict(), "opt": opt.state_dict(), "ema": ema, "step": step},
                last,
            )
            live = {k: v.clone() for k, v in model.state_dict().items()}
            model.load_state_dict(ema)
            bundle.save(
                out / "molingo.safetensors",
                {"step": str(step), "train_config": config_to_json(cfg)},
            )
            model.load_state_dict(live)
            log.plot(out / "loss.png")
    bar.close()
    return out / "molingo.safetensors"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sae", type=Path, default=GeneratorTrainConfig.sae)
    parser.add_argument("--out", type=Path, default=Path("runs/gen"))
    parser.add_argument("--steps", type=int, default=GeneratorTrainConfig.steps)
    parser.add_argument("--batch", type=int, default=GeneratorTrainConfig.batch)
    parser.add_argument("--conditioning", default="cross", choices=["cross", "adaln"])
    parser.add_argument("--dim", type=int, default=GeneratorConfig.dim)
    parser.add_argument("--layers", type=int, default=GeneratorConfig.layers)
    parser.add_argument(
        "--window-tokens",
        type=int,
        default=GeneratorTrainConfig.window_tokens,
        help="tokens per training window, history included (4 frames each)",
    )
    parser.add_argument(
        "--max-prefix-tokens",
        type=int,
        default=GeneratorTrainConfig.max_prefix_tokens,
        help="longest visible history in training (use >= the sampler's history_tokens)",
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.max_prefix_tokens < args.window_tokens:
        parser.error("--max-prefix-tokens must be >= 1 and below --window-tokens")
    gen = replace(
        GeneratorConfig(), conditioning=args.conditioning, dim=args.dim, layers=args.layers
    )
    cfg = replace(
        GeneratorTrainConfig(),
        generator=gen,
        sae=args.sae,
        out=args.out,
        steps=args.steps,
        batch=args.batch,
        window_tokens=args.window_tokens,
        max_prefix_tokens=args.max_prefix_tokens,
        device=args.device,
        threads=args.threads,
    )
    path = train_generator(cfg, progress=not args.quiet)
    print(json.dumps({"weights": str(path)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
