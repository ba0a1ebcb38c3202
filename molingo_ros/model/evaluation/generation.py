"""Motions of a model for the evaluation prompts: generated in streaming windows, batched
over prompts (:func:`generate_batch`), or the real motions through the model's SAE
(:func:`reconstruct`: the ceiling the generator works under)."""

from __future__ import annotations

import numpy as np
import torch

from molingo_ros.model.bundle import MoLingo
from molingo_ros.model.evaluation.prompts import PromptItem
from molingo_ros.model.postprocess import lock_feet, smooth_features
from molingo_ros.model.sampler_config import SamplerConfig
from molingo_ros.model.text import NULL_PROMPT
from molingo_ros.model.window import check_window_fits, sample_tokens, tokens_until

WindowPlan = dict[tuple[int, int], list[int]]
"""(tokens done, tokens of the next window) -> the prompts (indices) at that point."""


def _plan_windows(
    items: list[PromptItem],
    latents: dict[int, torch.Tensor],
    window_tokens: int,
    frames_per_token: int,
) -> WindowPlan:
    """The next window of every unfinished prompt, grouped by (tokens done, window size):
    a full window, shortened to end on the token where the next segment starts or at the
    prompt's end (:func:`~molingo_ros.model.window.tokens_until`)."""
    plan: WindowPlan = {}
    for i, tokens in latents.items():
        it, done = items[i], len(tokens) * frames_per_token
        if done >= it.frames:
            continue
        upcoming = [s for s in it.seams if s > done]
        n = tokens_until(
            done, upcoming[0] if upcoming else None, it.frames, window_tokens, frames_per_token
        )
        plan.setdefault((len(tokens), n), []).append(i)
    return plan


def command_at(item: PromptItem, token: int, frames_per_token: int) -> tuple[str, int]:
    """(text, age in tokens) of the command a window starting at ``token`` is drawn for: the
    last segment that has begun by then, counted from its first token."""
    text, begun = item.segments[0][0], 0
    for t, s in item.segments:
        if s <= token * frames_per_token:
            text, begun = t, -(-s // frames_per_token)  # its first token
    return text, token - begun


def _decode(
    model: MoLingo, items: list[PromptItem], latents: dict[int, torch.Tensor], config: SamplerConfig
) -> dict[int, np.ndarray]:
    """Raw features of each prompt's latents, decoded in one batch, cut to the prompt's
    length, smoothed (and foot-locked) as the sampler does."""
    dim = model.sae.config.latent_dim
    # The decoder is causal: padding at the end leaves the earlier frames as they are.
    longest = max(len(v) for v in latents.values())
    padded = torch.stack(
        [torch.cat([v, v.new_zeros(longest - len(v), dim)]) for v in latents.values()]
    )
    feats = model.decode_latents(padded).float().cpu().numpy()
    out = {}
    for j, i in enumerate(latents):
        f = smooth_features(feats[j, : items[i].frames], config.output_smoothing)
        out[i] = lock_feet(f) if config.foot_lock else f
    return out


@torch.no_grad()
def generate_batch(
    model: MoLingo, items: list[PromptItem], config: SamplerConfig, seed: int, batch: int = 128
) -> list[np.ndarray]:
    """Raw features for every item, generated window by window as :func:`generate` does:
    visible history, the command of each window = the segment it starts in, and the window
    before a segment's start (or the item's end) shortened so that the segment begins on its
    own token. Items at the same point of their stream (same length, same window) are
    sampled together.

    Raises:
        ValueError: a window and its history do not fit the generator's positions.
    """
    check_window_fits(model, config)
    dev = model.feature_mean.device
    gen = torch.Generator(device=dev).manual_seed(seed)
    step = model.sae.config.frames_per_token
    dim = model.sae.config.latent_dim
    out: list[np.ndarray] = [np.zeros(0)] * len(items)
    null = model.text_memory([NULL_PROMPT])
    order = [int(i) for i in np.argsort([it.frames for it in items], kind="stable")]
    for start in range(0, len(items), batch):
        latents = {i: torch.zeros(0, dim, device=dev) for i in order[start : start + batch]}
        while plan := _plan_windows(items, latents, config.window_tokens, step):
            for (length, n), group in sorted(plan.items()):
                commands = [command_at(items[i], length, step) for i in group]
                h = min(length, config.history_tokens)
                history = torch.stack([latents[i][length - h :] for i in group])
                memory = model.text_memory([text for text, _ in commands])
                ages = torch.tensor([age for _, age in commands])
                new = sample_tokens(model, history, n, memory, null, config, gen, ages)
                for j, i in enumerate(group):
                    latents[i] = torch.cat([latents[i], new[j]])
        for i, f in _decode(model, items, latents, config).items():
            out[i] = f
    return out


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


__all__ = ["command_at", "generate_batch", "reconstruct"]
