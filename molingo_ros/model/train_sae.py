"""Train the semantic-aligned autoencoder: ``molingo train sae`` (or ``python -m
molingo_ros.model.train_sae``). Resumes from ``<out>/last.pt``; writes ``<out>/sae.safetensors``,
``<out>/log.csv`` and ``<out>/loss.png``."""

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
from molingo_ros.model.sae import (
    MotionAutoencoder,
    SAEConfig,
    semantic_loss,
    token_label_embeddings,
)
from molingo_ros.model.text import FrozenTextEncoder, TextEncoderConfig
from molingo_ros.model.training import (
    TrainLog,
    config_to_json,
    cosine_lr,
    resolve_device,
    save_weights,
    seed_everything,
)
from molingo_ros.motion.dataset import build_dataset

#: Slices of the 257-d Bandai feature vector (see molingo_ros.motion.features).
RIC = slice(4, 64)
LOCAL_VEL = slice(190, 253)
ROOT = slice(0, 4)  # yaw velocity, planar velocity (2), height


@dataclass(frozen=True)
class SAETrainConfig:
    """One SAE training run.

    Attributes:
        sae: the architecture.
        data: caption bank / composed sequences.
        text: the frozen text encoder (sentence vectors for the semantic loss).
        window_frames: frames per training window (a multiple of 4).
        batch: windows per step.
        steps, lr, warmup: optimisation (AdamW, cosine schedule).
        kl_weight: KL to N(0, I) (MoLingo: 1e-5).
        semantic_weight: cosine alignment to the projected label embedding (MoLingo: 1e-3);
            0 trains the plain VAE ablation.
        position_weight: extra weight on the joint-position (ric) features.
        velocity_weight: weight of the temporal-difference loss on positions and velocities.
        acceleration_weight: weight of the second-difference loss on positions and root
            velocities (keeps the decoder from adding frame-to-frame jitter: jerk).
        root_weight: extra weight on the four root features (yaw velocity, planar velocity,
            height). In the plain mean over 257 features they weigh ~1 %, yet they are
            integrated into the path: a small bias in the decoded yaw velocity makes a
            "walk forward" curve (v2 without it: straight walks turn ~15 deg/s).
        composed_fraction: share of windows cut from multi-segment sequences.
        device: auto, cpu or cuda.
    """

    sae: SAEConfig = SAEConfig()
    data: DataConfig = DataConfig()
    text: TextEncoderConfig = TextEncoderConfig()
    window_frames: int = 64
    batch: int = 32
    steps: int = 4000
    lr: float = 5e-4
    warmup: int = 200
    kl_weight: float = 1e-5
    semantic_weight: float = 1e-3
    position_weight: float = 1.0
    velocity_weight: float = 5.0
    acceleration_weight: float = 5.0
    root_weight: float = 0.0
    composed_fraction: float = 0.3
    grad_clip: float = 1.0
    seed: int = 0
    device: str = "auto"
    threads: int = 0
    log_every: int = 50
    checkpoint_every: int = 500
    out: Path = field(default=Path("runs/sae"))


def sample_windows(
    seqs: list[Sequence], n: int, frames: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random windows of ``frames`` frames: (features (n, frames, F), labels (n, frames))."""
    feats = np.empty((n, frames, seqs[0].features.shape[1]), dtype=np.float32)
    labels = np.empty((n, frames), dtype=np.int64)
    for k in range(n):
        while True:
            s = seqs[int(rng.integers(len(seqs)))]
            if len(s.features) >= frames:
                break
        start = int(rng.integers(len(s.features) - frames + 1))
        feats[k] = s.features[start : start + frames]
        labels[k] = s.labels[start : start + frames]
    return feats, labels


def sae_losses(
    model: MotionAutoencoder,
    x: torch.Tensor,
    frame_text: torch.Tensor | None,
    cfg: SAETrainConfig,
    latent_noise: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """All loss terms for a batch ``x`` (B, T, F) of normalised features. ``latent_noise``
    (per latent channel, or a scalar): the standard deviation of Gaussian noise added to the
    latents the decoder sees (not to those the semantic loss sees), so the decoder learns
    to turn slightly-off latents, like a generator's, into clean motion."""
    recon, z, mean, logvar = model(x, latent_noise)
    losses = {"recon": torch.mean((recon - x) ** 2)}
    losses["position"] = torch.mean((recon[..., RIC] - x[..., RIC]) ** 2)
    d_recon, d_x = recon[:, 1:] - recon[:, :-1], x[:, 1:] - x[:, :-1]
    losses["velocity"] = torch.mean((d_recon[..., RIC] - d_x[..., RIC]) ** 2) + torch.mean(
        (recon[..., LOCAL_VEL] - x[..., LOCAL_VEL]) ** 2
    )
    smooth = torch.cat([x[..., RIC], x[..., :4]], dim=-1)
    smooth_r = torch.cat([recon[..., RIC], recon[..., :4]], dim=-1)
    dd_x = smooth[:, 2:] - 2 * smooth[:, 1:-1] + smooth[:, :-2]
    dd_r = smooth_r[:, 2:] - 2 * smooth_r[:, 1:-1] + smooth_r[:, :-2]
    losses["acceleration"] = torch.mean((dd_r - dd_x) ** 2)
    losses["root"] = torch.mean((recon[..., ROOT] - x[..., ROOT]) ** 2)
    if model.config.vae:
        losses["kl"] = -0.5 * torch.mean(1 + logvar - mean**2 - logvar.exp())
    if frame_text is not None and cfg.semantic_weight > 0:
        tok_text = token_label_embeddings(frame_text, model.config.frames_per_token)
        proj = model.text_proj(tok_text)
        valid = torch.ones(z.shape[:2], dtype=torch.bool, device=z.device)
        losses["semantic"] = semantic_loss(z, proj, valid)
    total = (
        losses["recon"]
        + cfg.position_weight * losses["position"]
        + cfg.velocity_weight * losses["velocity"]
        + cfg.acceleration_weight * losses["acceleration"]
        + cfg.root_weight * losses["root"]
        + cfg.kl_weight * losses.get("kl", torch.zeros(()))
        + cfg.semantic_weight * losses.get("semantic", torch.zeros(()))
    )
    losses["total"] = total
    return losses


def export_sae(
    model: MotionAutoencoder,
    mean: np.ndarray,
    std: np.ndarray,
    cfg: SAETrainConfig,
    path: Path,
    extra: dict[str, str] | None = None,
) -> Path:
    """Write the SAE weights plus the feature normaliser to safetensors."""
    tensors = dict(model.state_dict())
    tensors["normalizer.mean"] = torch.as_tensor(mean, dtype=torch.float32)
    tensors["normalizer.std"] = torch.as_tensor(std, dtype=torch.float32)
    meta = {
        "kind": "molingo-sae",
        "sae_config": config_to_json(cfg.sae),
        "train_config": config_to_json(cfg),
        **(extra or {}),
    }
    return save_weights(path, tensors, meta)


def train_sae(cfg: SAETrainConfig, progress: bool = True) -> Path:
    """Train (or resume) an SAE; returns the exported safetensors path."""
    seed_everything(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = resolve_device(cfg.device)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(config_to_json(cfg))

    dataset = build_dataset(progress=progress)
    bank = CaptionBank(dataset, "train", cfg.data)
    encoder = FrozenTextEncoder(cfg.text)
    table = text_table_for(bank, encoder, dataset, cfg.data, progress)
    clips = [
        s
        for s in clip_sequences(dataset, "train", bank, np.random.default_rng(cfg.seed))
        if len(s.features) >= cfg.window_frames
    ]
    composed = composed_sequences(dataset, "train", bank, cfg.data, progress)
    sentence = table.sentence.to(device)

    model = MotionAutoencoder(cfg.sae).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    log = TrainLog(out / "log.csv")
    step = 0
    last = out / "last.pt"
    if last.exists():
        state = torch.load(last, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = int(state["step"])
    rng = np.random.default_rng([cfg.seed, step])
    n_comp = int(round(cfg.batch * cfg.composed_fraction))
    bar = tqdm(total=cfg.steps, initial=step, disable=not progress, desc="sae")
    t0 = time.time()
    while step < cfg.steps:
        fa, la = sample_windows(clips, cfg.batch - n_comp, cfg.window_frames, rng)
        fb, lb = sample_windows(composed, n_comp, cfg.window_frames, rng)
        x = torch.from_numpy(np.concatenate([fa, fb])).to(device)
        labels = torch.from_numpy(np.concatenate([la, lb])).to(device)
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, cfg.steps, cfg.warmup, cfg.lr)
        losses = sae_losses(model, x, sentence[labels], cfg)
        opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        step += 1
        bar.update(1)
        if step % cfg.log_every == 0:
            vals = {k: float(v.detach()) for k, v in losses.items()}
            log.add(step, {**vals, "lr": opt.param_groups[0]["lr"], "seconds": time.time() - t0})
            bar.set_postfix(total=f"{vals['total']:.4f}", recon=f"{vals['recon']:.4f}")
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step}, last)
            export_sae(
                model,
                dataset.normalizer.mean,
                dataset.normalizer.std,
                cfg,
                out / "sae.safetensors",
                {"step": str(step)},
            )
            log.plot(out / "loss.png")
    bar.close()
    (out / "done").write_text(str(step))
    return out / "sae.safetensors"


def finetune_decoder(
    bundle: Path,
    out: Path,
    steps: int = 1500,
    batch: int = 32,
    lr: float = 2e-4,
    cfg: SAETrainConfig | None = None,
    progress: bool = True,
    latent_noise: float = 0.0,
) -> Path:
    """Fine-tune only the SAE **decoder** of a trained model bundle (encoder frozen, so the
    latent space and the generator stay valid), with the smoothness (acceleration) loss.
    ``latent_noise``: noise added to the decoder's input latents, in units of the bundle's
    latent standard deviation (the generator's normalised units; 0 = none)."""
    if latent_noise < 0:
        raise ValueError(f"latent_noise must be >= 0, got {latent_noise}")
    from molingo_ros.model.bundle import MoLingo

    cfg = cfg or SAETrainConfig()
    seed_everything(cfg.seed)
    model = MoLingo.load(bundle, device="cpu")
    sae = model.sae
    dataset = build_dataset(progress=False)
    bank = CaptionBank(dataset, "train", cfg.data)
    clips = [
        s
        for s in clip_sequences(dataset, "train", bank, np.random.default_rng(1))
        if len(s.features) >= cfg.window_frames
    ]
    params = list(sae.from_latent.parameters()) + list(sae.decoder.parameters())
    for p in sae.parameters():
        p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=lr)
    noise = model.latent_std.detach() * latent_noise if latent_noise > 0 else None
    rng = np.random.default_rng(1)
    no_sem = replace(cfg, semantic_weight=0.0, kl_weight=0.0)
    sae.train()
    for step in tqdm(range(steps), disable=not progress, desc="decoder"):
        feats, _ = sample_windows(clips, batch, cfg.window_frames, rng)
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, steps, 50, lr)
        losses = sae_losses(sae, torch.from_numpy(feats), None, no_sem, noise)
        opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        opt.step()
    sae.eval()
    for p in sae.parameters():
        p.requires_grad_(True)
    meta = {
        k: v
        for k, v in model.metadata.items()
        if k not in ("kind", "sae_config", "generator_config", "text_config")
    }
    meta["decoder_finetune"] = json.dumps(
        {"from": str(bundle), "steps": steps, "lr": lr, "latent_noise": latent_noise}
    )
    return model.save(out, meta)


def copy_decoder(source: Path, target: Path, out: Path) -> Path:
    """Give bundle ``target`` the SAE of bundle ``source`` (which must share its encoder, so
    the latent space is the same), e.g. the shipped model's fine-tuned decoder for the AdaLN
    ablation trained on the same SAE. Writes ``out``."""
    from molingo_ros.model.bundle import MoLingo

    a, b = MoLingo.load(source, device="cpu"), MoLingo.load(target, device="cpu")
    sa, sb = a.sae.state_dict(), b.sae.state_dict()
    for key in sa:
        if key.startswith(("encoder", "to_latent")) and not torch.equal(sa[key], sb[key]):
            raise ValueError(f"{source} and {target} have different SAE encoders ({key})")
    b.sae.load_state_dict(sa)
    meta = {
        k: v
        for k, v in b.metadata.items()
        if k not in ("kind", "sae_config", "generator_config", "text_config")
    }
    meta["decoder_from"] = str(source)
    return b.save(out, meta)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/sae"))
    parser.add_argument("--steps", type=int, default=SAETrainConfig.steps)
    parser.add_argument("--batch", type=int, default=SAETrainConfig.batch)
    parser.add_argument("--semantic-weight", type=float, default=SAETrainConfig.semantic_weight)
    parser.add_argument(
        "--root-weight",
        type=float,
        default=SAETrainConfig.root_weight,
        help="extra weight on the root features (also for --finetune-decoder)",
    )
    parser.add_argument(
        "--width", type=int, default=SAEConfig.width, help="channels of the convolution stacks"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--finetune-decoder",
        type=Path,
        metavar="BUNDLE",
        help="fine-tune the decoder of a model bundle; writes --out as a file",
    )
    parser.add_argument(
        "--latent-noise",
        type=float,
        default=0.0,
        help="with --finetune-decoder: noise on the decoder's input latents, in latent "
        "standard deviations (the generator's units)",
    )
    parser.add_argument(
        "--copy-decoder",
        nargs=2,
        type=Path,
        metavar=("SOURCE", "TARGET"),
        help="give bundle TARGET the SAE of bundle SOURCE; writes --out",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.copy_decoder:
        path = copy_decoder(args.copy_decoder[0], args.copy_decoder[1], args.out)
        print(json.dumps({"weights": str(path)}))
        return 0
    if args.finetune_decoder:
        path = finetune_decoder(
            args.finetune_decoder,
            args.out,
            args.steps,
            args.batch,
            cfg=replace(SAETrainConfig(), root_weight=args.root_weight),
            progress=not args.quiet,
            latent_noise=args.latent_noise,
        )
        print(json.dumps({"weights": str(path)}))
        return 0
    cfg = replace(
        SAETrainConfig(),
        out=args.out,
        steps=args.steps,
        batch=args.batch,
        semantic_weight=args.semantic_weight,
        root_weight=args.root_weight,
        sae=replace(SAEConfig(), width=args.width),
        device=args.device,
        threads=args.threads,
    )
    path = train_sae(cfg, progress=not args.quiet)
    print(json.dumps({"weights": str(path)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
