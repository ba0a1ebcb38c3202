"""Train the masked autoregressive generator on the SAE's latents: ``python -m
molingo_ros.model.train_generator --sae runs/sae/sae.safetensors``. Resumes from
``<out>/last.pt``; writes the full model bundle ``<out>/molingo.safetensors`` (SAE +
generator + normalisers), ``<out>/log.csv`` and ``<out>/loss.png``.

For a machine without the dataset (a lent GPU machine): ``--export-pack PACK.npz`` writes the
SAE's latents of every training sequence with their captions (a few MB), and ``--pack
PACK.npz`` trains from it instead of the dataset. ``--time-budget SECONDS`` fits the step
count (and the cosine schedule) to a wall-clock budget after timing the first steps.

Training windows teach streaming: a window of tokens has a visible history prefix (never
hidden, never in the loss) and is conditioned on the caption of its first hidden token. Half
of the windows with a history are cut from multi-segment sequences so that the history
belongs to another caption than the text: transitions are learned.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from molingo_ros.model.bundle import MODEL_KIND, MoLingo
from molingo_ros.model.data import (
    CaptionBank,
    DataConfig,
    Sequence,
    TextTable,
    clip_sequences,
    composed_sequences,
    text_cache_path,
)
from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sae import MotionAutoencoder, SAEConfig
from molingo_ros.model.text import NULL_PROMPT, FrozenTextEncoder, TextEncoderConfig
from molingo_ros.model.training import (
    TrainLog,
    config_to_json,
    cosine_lr,
    load_state_strict,
    load_weights,
    read_safetensors,
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
        pack: train from a latent pack (:func:`export_pack`) instead of the dataset.
        time_budget: if > 0, seconds of training: after timing the first steps, ``steps``
            becomes what fits (never more than ``steps``); the cosine schedule follows.
        init: start from the generator of this model bundle (same architecture; a command-age
            table it lacks starts fresh), e.g. to add the command-age input to a trained one.
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
    pack: Path | None = None
    time_budget: float = 0.0
    init: Path | None = None


@dataclass
class TokenSequence:
    latents: np.ndarray  # (N, d) normalised
    labels: np.ndarray  # (N,) caption index of each token
    seams: list[int]  # token index where a new segment starts


def load_sae(path: Path, device: torch.device) -> tuple[MotionAutoencoder, dict]:
    """The SAE of an SAE file (train_sae) or of a model bundle (its ``sae.*`` weights, e.g.
    with a fine-tuned decoder), and its tensors (``normalizer.mean``/``std`` included)."""
    tensors, meta = read_safetensors(path)
    if meta.get("kind") == MODEL_KIND:
        tensors = {
            **{k[len("sae.") :]: v for k, v in tensors.items() if k.startswith("sae.")},
            "normalizer.mean": tensors["feature_mean"],
            "normalizer.std": tensors["feature_std"],
        }
    else:
        tensors, meta = load_weights(path, "molingo-sae")
    cfg = SAEConfig(**json.loads(meta["sae_config"]))
    model = MotionAutoencoder(cfg)
    state = {k: v for k, v in tensors.items() if not k.startswith("normalizer.")}
    load_state_strict(model, state, path)
    return model.to(device).eval(), tensors


def encoder_fingerprint(sae: MotionAutoencoder) -> str:
    """A short hash of the SAE encoder's weights: a pack's latents are only valid for it."""
    h = hashlib.sha256()
    for name, value in sorted(sae.state_dict().items()):
        if name.startswith("encoder"):
            h.update(name.encode())
            h.update(value.detach().cpu().float().numpy().tobytes())
    return h.hexdigest()[:16]


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


def _flatten(seqs: list[TokenSequence], prefix: str) -> dict[str, np.ndarray]:
    offsets = np.cumsum([0] + [len(q.latents) for q in seqs])
    seam_offsets = np.cumsum([0] + [len(q.seams) for q in seqs])
    return {
        # float16: half the bytes for a relative error of 5e-4, far below the flow's own
        # error; the pack has to travel to machines with a 64 MiB transfer limit.
        f"{prefix}_latents": np.concatenate([q.latents for q in seqs]).astype(np.float16),
        f"{prefix}_labels": np.concatenate([q.labels for q in seqs]).astype(np.int32),
        f"{prefix}_offsets": offsets.astype(np.int64),
        f"{prefix}_seams": np.asarray([x for q in seqs for x in q.seams], dtype=np.int64),
        f"{prefix}_seam_offsets": seam_offsets.astype(np.int64),
    }


def _unflatten(data, prefix: str) -> list[TokenSequence]:
    lat = data[f"{prefix}_latents"].astype(np.float32)
    lab = data[f"{prefix}_labels"].astype(np.int64)
    off, seams, soff = (
        data[f"{prefix}_offsets"],
        data[f"{prefix}_seams"],
        data[f"{prefix}_seam_offsets"],
    )
    return [
        TokenSequence(
            lat[off[i] : off[i + 1]].copy(),
            lab[off[i] : off[i + 1]].copy(),
            [int(x) for x in seams[soff[i] : soff[i + 1]]],
        )
        for i in range(len(off) - 1)
    ]


def training_sequences(
    cfg: GeneratorTrainConfig, sae: MotionAutoencoder, device: torch.device, progress: bool
) -> tuple[list[str], list[TokenSequence], list[TokenSequence]]:
    """Captions, one-clip sequences and multi-segment sequences (raw latents), from the
    dataset or, with ``cfg.pack``, from a pack (checked against the SAE's encoder)."""
    if cfg.pack is not None:
        path = Path(cfg.pack)
        if not path.exists():
            raise FileNotFoundError(
                f"latent pack {path} does not exist (make it with --export-pack)"
            )
        with np.load(path, allow_pickle=False) as data:
            if str(data["encoder"]) != encoder_fingerprint(sae):
                raise ValueError(
                    f"{path} was made with another SAE encoder than {cfg.sae}; export the pack "
                    "again with this --sae"
                )
            made_with = str(data["data_config"])
            if made_with != json.dumps(asdict(cfg.data), sort_keys=True):
                raise ValueError(
                    f"{path} was made with the data settings {made_with}, not this run's "
                    f"{json.dumps(asdict(cfg.data), sort_keys=True)}; export the pack again"
                )
            captions = [str(c) for c in data["captions"]]
            return captions, _unflatten(data, "clip"), _unflatten(data, "composed")
    dataset = build_dataset(progress=progress)
    bank = CaptionBank(dataset, "train", cfg.data)
    rng0 = np.random.default_rng(cfg.seed)
    seqs = encode_sequences(sae, clip_sequences(dataset, "train", bank, rng0), device)
    composed = encode_sequences(
        sae, composed_sequences(dataset, "train", bank, cfg.data, progress), device
    )
    return bank.captions, seqs, composed


def export_pack(cfg: GeneratorTrainConfig, path: Path, progress: bool = True) -> Path:
    """Write the training sequences' latents, captions and the encoder's fingerprint to
    ``path`` (npz, no pickles): all that :func:`train_generator` needs besides the SAE file
    and the text encoder."""
    device = resolve_device(cfg.device)
    sae, _ = load_sae(Path(cfg.sae), device)
    captions, seqs, composed = training_sequences(replace(cfg, pack=None), sae, device, progress)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        captions=np.asarray(captions),
        encoder=np.asarray(encoder_fingerprint(sae)),
        data_config=np.asarray(json.dumps(asdict(cfg.data), sort_keys=True)),
        **_flatten(seqs, "clip"),
        **_flatten(composed, "composed"),
    )
    return path


def sample_batch(
    seqs: list[TokenSequence],
    composed: list[TokenSequence],
    cfg: GeneratorTrainConfig,
    rng: np.random.Generator,
    null_label: int,
):
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


def train_generator(cfg: GeneratorTrainConfig, progress: bool = True) -> Path:
    seed_everything(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = resolve_device(cfg.device)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(config_to_json(cfg))

    sae, sae_tensors = load_sae(Path(cfg.sae), device)
    captions, seqs, composed = training_sequences(cfg, sae, device, progress)
    encoder = FrozenTextEncoder(cfg.text, device=str(device))
    cache = None if cfg.pack is not None else text_cache_path(captions, encoder, cfg.data)
    table = TextTable.build(encoder, captions, cache, cfg.data.max_text_tokens, progress)
    null_tokens = encoder.token_embeddings([NULL_PROMPT])[0][: cfg.data.max_text_tokens]
    text_tokens = torch.cat([table.tokens, torch.zeros(1, *table.tokens.shape[1:])])
    text_mask = torch.cat([table.mask, torch.zeros(1, table.mask.shape[1], dtype=torch.bool)])
    null_label = len(table.captions)
    text_tokens[null_label, : len(null_tokens)] = null_tokens
    text_mask[null_label, : len(null_tokens)] = True
    text_tokens, text_mask = text_tokens.to(device), text_mask.to(device)

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
    if cfg.init is not None and not (out / "last.pt").exists():
        init_generator(bundle.generator, Path(cfg.init))
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
        fused=device.type == "cuda",
    )
    log = TrainLog(out / "log.csv")
    step = 0
    total = cfg.steps
    last = out / "last.pt"
    if last.exists():
        state = torch.load(last, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        ema = state["ema"]
        step = int(state["step"])
        if cfg.time_budget > 0:  # a budgeted run resumes with the step count it fitted
            total = int(state.get("total_steps", total))
    rng = np.random.default_rng([cfg.seed, step])
    bar = tqdm(total=total, initial=step, disable=not progress, desc="generator")
    t0 = time.time()
    timed_from = (step + 20, None)  # (step, time) where timing for the budget starts
    ema_keys = [k for k, v in model.state_dict().items() if v.dtype.is_floating_point]
    other_keys = [k for k in model.state_dict() if k not in set(ema_keys)]
    model.train()
    while step < total:
        tokens, valid, prefix, label, age = sample_batch(seqs, composed, cfg, rng, null_label)
        lab = torch.from_numpy(label).to(device)
        memory, memory_pad = model.encode_text(text_tokens[lab], text_mask[lab])
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, total, cfg.warmup, cfg.lr)
        loss = model.loss(
            torch.from_numpy(tokens).to(device),
            torch.from_numpy(valid).to(device),
            torch.from_numpy(prefix).to(device),
            memory,
            memory_pad,
            age=torch.from_numpy(age).to(device),
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        with torch.no_grad():
            live_state = model.state_dict()
            ema_t = [ema[k] for k in ema_keys]
            torch._foreach_mul_(ema_t, cfg.ema)
            torch._foreach_add_(ema_t, [live_state[k] for k in ema_keys], alpha=1 - cfg.ema)
            for k in other_keys:
                ema[k].copy_(live_state[k])
        step += 1
        bar.update(1)
        if cfg.time_budget > 0 and step == timed_from[0]:
            timed_from = (step, time.time())
        elif cfg.time_budget > 0 and timed_from[1] is not None and step == timed_from[0] + 30:
            per_step = (time.time() - timed_from[1]) / 30
            left = cfg.time_budget - (time.time() - t0)
            total = max(step + 1, min(cfg.steps, step + int(0.97 * left / per_step)))
            bar.total = total
            bar.refresh()
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
        if step % cfg.checkpoint_every == 0 or step == total:
            torch.save(
                {
                    "model": model.state_dict(),
                    "opt": opt.state_dict(),
                    "ema": ema,
                    "step": step,
                    "total_steps": total,
                },
                last,
            )
            live = {k: v.clone() for k, v in model.state_dict().items()}
            model.load_state_dict(ema)
            bundle.save(
                out / "molingo.safetensors",
                {
                    "step": str(step),
                    "train_config": config_to_json(replace(cfg, steps=total)),
                },
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
    parser.add_argument("--heads", type=int, default=GeneratorConfig.heads)
    parser.add_argument("--flow-width", type=int, default=GeneratorConfig.flow_width)
    parser.add_argument(
        "--command-age-tokens",
        type=int,
        default=GeneratorConfig.command_age_tokens,
        help="give the generator the command's age, saturating at this many tokens (0: off)",
    )
    parser.add_argument(
        "--captions-per-label",
        type=int,
        default=DataConfig.captions_per_label,
        help="training phrasings per (content, style) label",
    )
    parser.add_argument(
        "--init", type=Path, metavar="BUNDLE", help="start from the generator of this model file"
    )
    parser.add_argument("--lr", type=float, default=GeneratorTrainConfig.lr)
    parser.add_argument("--warmup", type=int, default=GeneratorTrainConfig.warmup)
    parser.add_argument(
        "--pack", type=Path, help="train from this latent pack instead of the dataset"
    )
    parser.add_argument(
        "--export-pack",
        type=Path,
        metavar="PACK",
        help="write the latent pack of --sae's training sequences to PACK (.npz) and stop",
    )
    parser.add_argument(
        "--time-budget",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="fit the step count (at most --steps) to this wall-clock budget",
    )
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
    if args.captions_per_label < 1:
        parser.error("--captions-per-label must be >= 1")
    if args.dim % args.heads:
        parser.error(f"--dim {args.dim} must be a multiple of --heads {args.heads}")
    gen = replace(
        GeneratorConfig(),
        conditioning=args.conditioning,
        dim=args.dim,
        layers=args.layers,
        heads=args.heads,
        flow_width=args.flow_width,
        command_age_tokens=args.command_age_tokens,
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
        lr=args.lr,
        warmup=args.warmup,
        pack=args.pack,
        time_budget=args.time_budget,
        init=args.init,
        data=replace(DataConfig(), captions_per_label=args.captions_per_label),
    )
    if args.export_pack:
        path = export_pack(cfg, args.export_pack, progress=not args.quiet)
        print(json.dumps({"pack": str(path), "bytes": path.stat().st_size}))
        return 0
    path = train_generator(cfg, progress=not args.quiet)
    print(json.dumps({"weights": str(path)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
