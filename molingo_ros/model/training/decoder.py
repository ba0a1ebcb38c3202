"""The SAE decoder of a trained model bundle: fine-tuned alone (:func:`finetune_decoder`,
encoder frozen so that the latent space and the generator stay valid) or given to another
bundle with the same encoder (:func:`copy_decoder`). ``molingo train sae --finetune-decoder``
/ ``--copy-decoder``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from molingo_ros.model.bundle import MoLingo
from molingo_ros.model.training.data import CaptionBank, clip_sequences
from molingo_ros.model.training.run import cosine_lr, seed_everything
from molingo_ros.model.training.sae import SAETrainConfig, sae_losses, sample_windows
from molingo_ros.motion.dataset import build_dataset

_BUNDLE_OWN_METADATA = ("kind", "sae_config", "generator_config", "text_config")
"""Metadata a bundle writes itself on saving; the rest is carried over to a derived bundle."""


def _carried_metadata(model: MoLingo) -> dict[str, str]:
    """The metadata of ``model`` that a bundle derived from it keeps (skills, calibration,
    training history): all but what :meth:`MoLingo.save` writes itself."""
    return {k: v for k, v in model.metadata.items() if k not in _BUNDLE_OWN_METADATA}


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
    meta = _carried_metadata(model)
    meta["decoder_finetune"] = json.dumps(
        {"from": str(bundle), "steps": steps, "lr": lr, "latent_noise": latent_noise}
    )
    return model.save(out, meta)


def copy_decoder(source: Path, target: Path, out: Path) -> Path:
    """Give bundle ``target`` the SAE of bundle ``source`` (which must share its encoder, so
    the latent space is the same), e.g. the shipped model's fine-tuned decoder for the AdaLN
    ablation trained on the same SAE. Writes ``out``.

    Raises:
        ValueError: the two bundles' SAE encoders differ.
    """
    a, b = MoLingo.load(source, device="cpu"), MoLingo.load(target, device="cpu")
    sa, sb = a.sae.state_dict(), b.sae.state_dict()
    for key in sa:
        if key.startswith(("encoder", "to_latent")) and not torch.equal(sa[key], sb[key]):
            raise ValueError(f"{source} and {target} have different SAE encoders ({key})")
    b.sae.load_state_dict(sa)
    meta = _carried_metadata(b)
    meta["decoder_from"] = str(source)
    return b.save(out, meta)


__all__ = ["copy_decoder", "finetune_decoder"]
