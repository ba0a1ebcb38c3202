"""Train the semantic-aligned autoencoder (``molingo train sae``): the run's settings
(:class:`SAETrainConfig`), its losses (:func:`sae_losses`) and the loop (:func:`train_sae`).
Resumes from ``<out>/last.pt``; writes ``<out>/sae.safetensors``, ``<out>/log.csv`` and
``<out>/loss.png``."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from molingo_ros.model.checkpoint import save_weights
from molingo_ros.model.sae import (
    MotionAutoencoder,
    SAEConfig,
    semantic_loss,
    token_label_embeddings,
)
from molingo_ros.model.sizes import size_setting
from molingo_ros.model.text import FrozenTextEncoder, TextEncoderConfig
from molingo_ros.model.training.data import (
    CaptionBank,
    DataConfig,
    Sequence,
    clip_sequences,
    composed_sequences,
    text_table_for,
)
from molingo_ros.model.training.distributed import (
    ParallelConfig,
    accumulate_gradients,
    broadcast_module,
    check_replicas,
    init_parallel,
    main_first,
    mean_over_processes,
)
from molingo_ros.model.training.run import (
    RESUME_FILE,
    TrainLog,
    checkpoint_every_setting,
    config_to_json,
    cosine_lr,
    device_setting,
    log_every_setting,
    out_setting,
    resume,
    seed_setting,
    start_run,
    threads_setting,
)
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.features import feature_slices, joints_of_feature_dim
from molingo_ros.motion.motion_dataset import MotionDataset
from molingo_ros.settings import setting

#: Slices of the 257-d Bandai feature vector (see molingo_ros.motion.features).
ROOT = slice(0, 4)  # yaw velocity, planar velocity (2), height


def _loss_slices(feature_dim: int) -> tuple[slice, slice]:
    """(root-relative joint positions, local joint velocities) of features of size
    ``feature_dim`` (any rig: the joint count follows from the size)."""
    sl = feature_slices(joints_of_feature_dim(feature_dim))
    return sl["ric"], sl["local_vel"]


SAE_KIND = "molingo-sae"
"""The ``kind`` in the metadata of an SAE file (:func:`export_sae`)."""


@dataclass(frozen=True)
class SAETrainConfig:
    """One SAE training run.

    Attributes:
        sae: the architecture.
        size: the named size the architecture was set from (:mod:`molingo_ros.model.sizes`;
            the command line applies it, ``sae`` holds the result).
        parallel: gradient accumulation, bfloat16 autocast (:mod:`.distributed`).
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
    size: str = size_setting()
    data: DataConfig = DataConfig()
    parallel: ParallelConfig = ParallelConfig()
    text: TextEncoderConfig = TextEncoderConfig()
    window_frames: int = setting(
        64, "frames per training window (a multiple of 4; 30 fps)", range=(8, 4096)
    )
    batch: int = setting(32, "windows per step", range=(1, 65536))
    steps: int = setting(4000, "optimisation steps (AdamW, cosine schedule)", range=(1, 10**9))
    lr: float = setting(5e-4, "peak learning rate", range=(0.0, 1.0))
    warmup: int = setting(200, "steps of linear learning-rate warm-up", range=(0, 10**9))
    kl_weight: float = setting(1e-5, "weight of the KL to N(0, I) (MoLingo: 1e-5)")
    semantic_weight: float = setting(
        1e-3,
        "weight of the semantic loss, the cosine to the projected label embedding "
        "(MoLingo: 1e-3; 0 = the plain VAE ablation)",
    )
    position_weight: float = setting(1.0, "extra weight on the joint-position (ric) features")
    velocity_weight: float = setting(
        5.0, "weight of the temporal-difference loss on positions and velocities"
    )
    acceleration_weight: float = setting(
        5.0, "weight of the second-difference loss on positions and root velocities (jerk)"
    )
    root_weight: float = setting(
        0.0,
        "extra weight on the root features: yaw velocity, planar velocity, height (also for "
        "--finetune-decoder)",
    )
    composed_fraction: float = setting(
        0.3, "share of windows cut from multi-segment sequences", range=(0.0, 1.0)
    )
    grad_clip: float = setting(1.0, "gradient-norm clip")
    seed: int = seed_setting()
    device: str = device_setting()
    threads: int = threads_setting()
    log_every: int = log_every_setting()
    checkpoint_every: int = checkpoint_every_setting()
    out: Path = out_setting(Path("runs/sae"))


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
    RIC, LOCAL_VEL = _loss_slices(x.shape[-1])  # noqa: N806 - the feature groups' names
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
        "kind": SAE_KIND,
        "sae_config": config_to_json(cfg.sae),
        "train_config": config_to_json(cfg),
        **(extra or {}),
    }
    return save_weights(path, tensors, meta)


def _training_sequences(
    cfg: SAETrainConfig, dataset: MotionDataset, progress: bool
) -> tuple[list[Sequence], list[Sequence], torch.Tensor]:
    """(one-clip sequences at least a window long, composed sequences, the sentence vector
    (N, E) of every caption of the bank) of the train split."""
    bank = CaptionBank(dataset, "train", cfg.data)
    encoder = FrozenTextEncoder(cfg.text)
    table = text_table_for(bank, encoder, dataset, cfg.data, progress)
    clips = [
        s
        for s in clip_sequences(dataset, "train", bank, np.random.default_rng(cfg.seed))
        if len(s.features) >= cfg.window_frames
    ]
    composed = composed_sequences(dataset, "train", bank, cfg.data, progress)
    return clips, composed, table.sentence


def _checkpoint(
    model: MotionAutoencoder,
    opt: torch.optim.Optimizer,
    step: int,
    cfg: SAETrainConfig,
    dataset: MotionDataset,
    log: TrainLog,
) -> None:
    """Write ``last.pt``, the SAE file of this step and the loss plot."""
    out = Path(cfg.out)
    state = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step}
    torch.save(state, out / RESUME_FILE)
    normalizer = dataset.normalizer
    extra = {"step": str(step)}
    export_sae(model, normalizer.mean, normalizer.std, cfg, out / "sae.safetensors", extra)
    log.plot(out / "loss.png")


def train_sae(cfg: SAETrainConfig, progress: bool = True) -> Path:
    """Train (or resume) an SAE; returns the exported safetensors path. Under torchrun each
    process computes its share of every batch (:mod:`.distributed`)."""
    world = init_parallel(cfg.device)
    world.micro_batches(cfg.batch, cfg.parallel.accumulate)  # refuses a batch that won't split
    device, out = start_run(cfg, world)
    progress = progress and world.main
    with main_first(world):  # rank 0 fills the caches
        dataset = build_dataset(progress=progress)
        clips, composed, sentence = _training_sequences(cfg, dataset, progress)
    sentence = sentence.to(device)
    cfg = replace(cfg, sae=replace(cfg.sae, feature_dim=int(dataset.features.shape[1])))
    model = MotionAutoencoder(cfg.sae).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    log = TrainLog(out / "log.csv") if world.main else None
    state = resume(out, device, model, opt)
    broadcast_module(world, model)
    step = 0 if state is None else int(state["step"])
    rng = np.random.default_rng([cfg.seed, step])
    n_comp = int(round(cfg.batch * cfg.composed_fraction))
    params = list(model.parameters())
    bar = tqdm(total=cfg.steps, initial=step, disable=not progress, desc="sae")
    t0 = time.time()
    while step < cfg.steps:
        fa, la = sample_windows(clips, cfg.batch - n_comp, cfg.window_frames, rng)
        fb, lb = sample_windows(composed, n_comp, cfg.window_frames, rng)
        x = torch.from_numpy(np.concatenate([fa, fb])).to(device)
        labels = torch.from_numpy(np.concatenate([la, lb])).to(device)
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, cfg.steps, cfg.warmup, cfg.lr)
        losses = accumulate_gradients(
            world,
            lambda rows, x=x, labels=labels: sae_losses(
                model, x[rows], sentence[labels[rows]], cfg
            ),
            params,
            (cfg.seed, step, cfg.batch, cfg.parallel),
        )
        torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        opt.step()
        step += 1
        bar.update(1)
        if step % cfg.log_every == 0:
            vals = mean_over_processes(world, {k: float(v) for k, v in losses.items()})
            if log is not None:
                seconds = time.time() - t0
                log.add(step, {**vals, "lr": opt.param_groups[0]["lr"], "seconds": seconds})
            bar.set_postfix(total=f"{vals['total']:.4f}", recon=f"{vals['recon']:.4f}")
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            check_replicas(world, model)
            if log is not None:
                _checkpoint(model, opt, step, cfg, dataset, log)
            world.barrier()
    bar.close()
    if world.main:
        (out / "done").write_text(str(step))
    return out / "sae.safetensors"


__all__ = ["SAETrainConfig", "export_sae", "sae_losses", "sample_windows", "train_sae"]
