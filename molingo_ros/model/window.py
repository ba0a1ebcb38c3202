"""One window of sampling: the window sizes (:func:`tokens_left`, :func:`tokens_until`,
:func:`check_window_fits`) and the masked generation of a window's tokens after a visible
history (:func:`sample_tokens`). The settings are in :mod:`molingo_ros.model.sampler_config`."""

from __future__ import annotations

import math

import torch

from molingo_ros.model.bundle import MoLingo
from molingo_ros.model.generator import MotionGenerator
from molingo_ros.model.sampler_config import CFG_SCHEDULES, SamplerConfig
from molingo_ros.model.schedulers import FlowScheduler, UnmaskSchedule

Memory = tuple[torch.Tensor, torch.Tensor]


def tokens_left(
    frames_done: int,
    next_command_frame: float | None,
    frames_needed: int,
    frames_per_token: int = 4,
) -> int:
    """Tokens (at least 1) from ``frames_done`` to the first token boundary at or after the
    next command's start (when one is known) or the end (``frames_needed``), whichever comes
    first. Frames count from the start of the stream."""
    limit = frames_needed - frames_done
    if next_command_frame is not None and next_command_frame > frames_done:
        limit = min(limit, next_command_frame - frames_done)
    return int(max(1, math.ceil(limit / frames_per_token)))


def tokens_until(
    frames_done: int,
    next_command_frame: float | None,
    frames_needed: int,
    window_tokens: int,
    frames_per_token: int = 4,
) -> int:
    """Tokens for the next window: a full window, shortened so that it ends at the first token
    boundary at or after the next command's start (when one is known) and does not run past
    ``frames_needed`` by a whole token or more (:func:`tokens_left`)."""
    left = tokens_left(frames_done, next_command_frame, frames_needed, frames_per_token)
    return min(window_tokens, left)


def check_window_fits(model: MoLingo, config: SamplerConfig) -> None:
    """Raise ValueError when a window and its history exceed the generator's positions."""
    limit = model.generator.config.max_tokens
    if config.history_tokens + config.window_tokens > limit:
        raise ValueError(
            f"history_tokens + window_tokens = {config.history_tokens} + "
            f"{config.window_tokens} exceeds the generator's {limit} positions"
        )


def _guided_memory(memory: Memory, null_memory: Memory, batch: int) -> Memory:
    """One batch for classifier-free guidance: conditional rows then unconditional rows
    (padding the text to one length)."""
    mem, mem_pad = memory
    null, null_pad = null_memory
    length = max(mem.shape[1], null.shape[1])

    def pad_to(m: torch.Tensor, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        extra = length - m.shape[1]
        if extra:
            m = torch.cat([m, m.new_zeros(m.shape[0], extra, m.shape[2])], 1)
            p = torch.cat([p, p.new_ones(p.shape[0], extra)], 1)
        return m, p

    mc, pc = pad_to(mem, mem_pad)
    mu, pu = pad_to(null.expand(batch, -1, -1), null_pad.expand(batch, -1))
    return torch.cat([mc, mu]), torch.cat([pc, pu])


def _backbone_states(
    gen: MotionGenerator,
    tokens: torch.Tensor,
    hidden: torch.Tensor,
    age: torch.Tensor,
    memory: Memory,
    guided_memory: Memory | None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The backbone's conditional states and, with guidance (``guided_memory``), its
    unconditional ones (None without)."""
    if guided_memory is None:
        mem, mem_pad = memory
        return gen.backbone(tokens, hidden, None, mem, mem_pad, age), None
    b = tokens.shape[0]
    both_mem, both_pad = guided_memory
    out = gen.backbone(
        tokens.repeat(2, 1, 1),
        hidden.repeat(2, 1),
        None,
        both_mem,
        both_pad,
        age.repeat(2, 1),
    )
    return out[:b], out[b:]


def _flow_tokens(
    gen: MotionGenerator,
    flow: FlowScheduler,
    cond: torch.Tensor,
    uncond: torch.Tensor | None,
    scale: float,
    dim: int,
    config: SamplerConfig,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Draw one token (``dim`` values) per conditioning row by the flow from noise, guided
    by ``scale`` when ``uncond`` is given."""
    dev = cond.device
    x = torch.randn(cond.shape[0], dim, device=dev, generator=generator) * config.noise_scale
    return integrate_flow(gen, flow, x, cond, uncond, scale, config.flow_steps)


def integrate_flow(
    gen: MotionGenerator,
    flow: FlowScheduler,
    x: torch.Tensor,
    cond: torch.Tensor,
    uncond: torch.Tensor | None,
    scale: float | torch.Tensor,
    steps: int,
) -> torch.Tensor:
    """Carry the noise ``x`` (rows, d) to tokens along the flow conditioned on ``cond``
    (rows, D), guided by ``scale`` (a number, or one per row as (rows, 1)) when ``uncond``
    is given."""
    times = flow.timesteps[:steps].to(x.device)  # one copy to the device, not one per step
    rows = cond if uncond is None else torch.cat([cond, uncond])
    mods = gen.head.modulations(times, rows)  # the conditions' part, once for every step
    for k in range(steps):
        if uncond is not None:
            vc, vu = gen.head.velocity(torch.cat([x, x]), mods, k).chunk(2)
            v = vu + scale * (vc - vu)
        else:
            v = gen.head.velocity(x, mods, k)
        x = flow.step(v, k, x)
    return x


@torch.no_grad()
def sample_tokens(
    model: MoLingo,
    history: torch.Tensor,
    new_tokens: int,
    memory: tuple[torch.Tensor, torch.Tensor],
    null_memory: tuple[torch.Tensor, torch.Tensor],
    config: SamplerConfig,
    generator: torch.Generator | None = None,
    command_age: torch.Tensor | None = None,
) -> torch.Tensor:
    """Fill ``new_tokens`` tokens after a visible ``history`` (B, h, d) of normalised
    latents: masked iterations, each revealed token drawn by the flow with CFG.
    ``command_age`` (B,): tokens since the current command began, at the first new token
    (default 0: it begins there); used by generators with ``command_age_tokens``.
    Returns (B, new_tokens, d)."""
    gen = model.generator
    dev = history.device
    b, h, d = history.shape
    n = h + new_tokens
    if command_age is None:
        command_age = torch.zeros(b, dtype=torch.long, device=dev)
    age = command_age.to(dev).long()[:, None] + torch.arange(-h, new_tokens, device=dev)[None]
    tokens = torch.cat([history, torch.zeros(b, new_tokens, d, device=dev)], dim=1)
    hidden = torch.zeros(b, n, dtype=torch.bool, device=dev)
    hidden[:, h:] = True
    order = torch.rand(b, new_tokens, device=dev, generator=generator).argsort(1) + h
    remaining = UnmaskSchedule(config.iterations).remaining(new_tokens)
    flow = FlowScheduler(config.flow_steps)
    guided = _guided_memory(memory, null_memory, b) if config.cfg_scale != 1.0 else None
    revealed = 0
    for left in remaining:
        count = new_tokens - left - revealed
        if count <= 0:
            continue
        idx = order[:, revealed : revealed + count]  # (b, count)
        zc, zu = _backbone_states(gen, tokens, hidden, age, memory, guided)
        rows = torch.arange(b, device=dev)[:, None].expand_as(idx)
        cond = zc[rows, idx].reshape(-1, zc.shape[-1])
        uncond = zu[rows, idx].reshape(-1, zu.shape[-1]) if zu is not None else None
        scale = config.guidance((revealed + count) / new_tokens)
        x = _flow_tokens(gen, flow, cond, uncond, scale, d, config, generator)
        tokens[rows, idx] = x.reshape(b, count, d)
        hidden[rows, idx] = False
        revealed += count
    return tokens[:, h:]


__all__ = [
    "CFG_SCHEDULES",
    "SamplerConfig",
    "check_window_fits",
    "integrate_flow",
    "sample_tokens",
    "tokens_left",
    "tokens_until",
]
