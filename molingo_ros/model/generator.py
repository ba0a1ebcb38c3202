"""Masked autoregressive generator over continuous latent tokens with a per-token
rectified-flow head (MoLingo / MAR), conditioned on text by multi-token cross-attention
(or, for the ablation, by a single pooled text vector through AdaLN).

Tokens are the SAE's latents (normalised to unit variance per dimension), one per 4 frames.
Training hides a cosine-scheduled random subset of the tokens after a visible history prefix
and learns, for each hidden token, the velocity field that carries noise to the token, given
the transformer's output at that position. Sampling reveals the hidden tokens over a few
iterations, each drawn by integrating the flow (classifier-free guidance on the velocity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from molingo_ros.model.text import TextAdapter
from molingo_ros.settings import setting

CONDITIONINGS = ("cross", "adaln")
"""How the generator sees the text (:attr:`GeneratorConfig.conditioning`)."""


@dataclass(frozen=True)
class GeneratorConfig:
    """Architecture of :class:`MotionGenerator`.

    Attributes:
        latent_dim: size of a latent token (the SAE's ``latent_dim``).
        dim, layers, heads: the transformer.
        text_dim: size of the frozen text token embeddings (384 for MiniLM).
        adapter_layers: transformer layers of the text adapter.
        max_tokens: longest token sequence (positional table).
        flow_width, flow_depth: the per-token flow MLP.
        dropout: transformer dropout.
        conditioning: ``cross`` (multi-token cross-attention, MoLingo) or ``adaln`` (one
            pooled text vector through adaptive LayerNorm: the ablation).
        flow_batch_mul: each hidden token is trained with this many noise draws per step.
        command_age_tokens: if > 0, every token also sees how long ago (in tokens, 4 frames
            each; saturating at this many) the current command began, or that it lies before
            it (the previous command's history): a command's motion can then change with its
            age (a turn that ends, a start from rest). 0 = off (models before v4).
    """

    latent_dim: int = 16
    dim: int = setting(128, "width of the generator's transformer", range=(8, 4096))
    layers: int = setting(4, "transformer layers of the generator", range=(1, 64))
    heads: int = setting(
        4, "attention heads of the generator (dim must be a multiple)", range=(1, 64)
    )
    text_dim: int = 384
    adapter_layers: int = 2
    max_tokens: int = 64
    flow_width: int = setting(192, "width of the per-token flow MLP", range=(8, 4096))
    flow_depth: int = 3
    dropout: float = 0.1
    conditioning: Literal["cross", "adaln"] = setting(
        "cross",
        "text conditioning: cross (multi-token cross-attention) or adaln (one pooled vector "
        "through adaptive LayerNorm: the ablation)",
        choices=CONDITIONINGS,
    )
    flow_batch_mul: int = 4
    command_age_tokens: int = setting(
        0,
        "give the generator the command's age, saturating at this many tokens (0: off)",
        range=(0, 4096),
    )


def _modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale) + shift


class Block(nn.Module):
    """Pre-norm transformer block: self-attention, optional cross-attention to the text
    memory, MLP; with ``adaln`` the norms are modulated by a condition vector."""

    def __init__(self, dim: int, heads: int, dropout: float, cross: bool, adaln: bool) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=not adaln)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.cross = None
        if cross:
            self.norm_c = nn.LayerNorm(dim)
            self.cross = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=not adaln)
        self.mlp = nn.Sequential(
            nn.Linear(dim, 4 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(4 * dim, dim)
        )
        self.drop = nn.Dropout(dropout)
        self.ada = nn.Linear(dim, 6 * dim) if adaln else None
        if self.ada is not None:
            nn.init.zeros_(self.ada.weight)
            nn.init.zeros_(self.ada.bias)

    def forward(
        self,
        x: torch.Tensor,
        pad: torch.Tensor | None,
        memory: torch.Tensor | None,
        memory_pad: torch.Tensor | None,
        cond: torch.Tensor | None,
    ) -> torch.Tensor:
        if self.ada is not None and cond is not None:
            s1, c1, g1, s2, c2, g2 = self.ada(cond)[:, None].chunk(6, dim=-1)
        else:
            s1 = c1 = s2 = c2 = 0.0
            g1 = g2 = 1.0
        h = _modulate(self.norm1(x), s1, c1)
        h = self.attn(h, h, h, key_padding_mask=pad, need_weights=False)[0]
        x = x + g1 * self.drop(h)
        if self.cross is not None and memory is not None:
            h = self.norm_c(x)
            h = self.cross(h, memory, memory, key_padding_mask=memory_pad, need_weights=False)[0]
            x = x + self.drop(h)
        h = self.mlp(_modulate(self.norm2(x), s2, c2))
        return x + g2 * self.drop(h)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of flow times ``t`` in [0, 1] (scaled by 1000, as MAR)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / half)
    args = 1000.0 * t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


@dataclass
class FlowModulations:
    """A flow head's AdaLN modulations for every step of an integration: per block (shift,
    scale, gate) and for the final norm (shift, scale), each (steps, rows, width)."""

    blocks: list[tuple[torch.Tensor, ...]]
    final: tuple[torch.Tensor, ...]


class FlowHead(nn.Module):
    """Per-token velocity MLP with AdaLN from (flow time, transformer output)."""

    def __init__(self, latent_dim: int, cond_dim: int, width: int, depth: int) -> None:
        super().__init__()
        self.width = width
        self.inp = nn.Linear(latent_dim, width)
        self.time = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.cond = nn.Linear(cond_dim, width)
        self.blocks = nn.ModuleList()
        self.mods = nn.ModuleList()
        for _ in range(depth):
            self.blocks.append(
                nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
            )
            mod = nn.Linear(width, 3 * width)
            nn.init.zeros_(mod.weight)
            nn.init.zeros_(mod.bias)
            self.mods.append(mod)
        self.norms = nn.ModuleList(
            nn.LayerNorm(width, elementwise_affine=False) for _ in range(depth)
        )
        self.final_norm = nn.LayerNorm(width, elementwise_affine=False)
        self.final_mod = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, latent_dim)
        nn.init.zeros_(self.final_mod.weight)
        nn.init.zeros_(self.final_mod.bias)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Velocity (M, d) at noisy tokens ``x_t`` (M, d), times ``t`` (M,), conditions
        ``z`` (M, cond_dim)."""
        c = F.silu(self.time(timestep_embedding(t, self.width)) + self.cond(z))
        h = self.inp(x_t)
        for block, mod, norm in zip(self.blocks, self.mods, self.norms, strict=True):
            shift, scale, gate = mod(c).chunk(3, dim=-1)
            h = h + gate * block(_modulate(norm(h), shift, scale))
        shift, scale = self.final_mod(c).chunk(2, dim=-1)
        return self.out(_modulate(self.final_norm(h), shift, scale))

    def modulations(self, t: torch.Tensor, z: torch.Tensor) -> FlowModulations:
        """The AdaLN modulations of every row of ``z`` (M, cond_dim) at each flow time of
        ``t`` (S,), computed at once for a whole integration (they do not depend on x_t);
        :meth:`velocity` then takes them step by step. Same values as :meth:`forward`."""
        time_part = self.time(timestep_embedding(t, self.width))  # (S, width)
        c = F.silu(time_part[:, None] + self.cond(z)[None])  # (S, M, width)
        blocks = [mod(c).chunk(3, dim=-1) for mod in self.mods]
        return FlowModulations(blocks, self.final_mod(c).chunk(2, dim=-1))

    def velocity(self, x_t: torch.Tensor, mods: FlowModulations, step: int) -> torch.Tensor:
        """Velocity (M, d) at noisy tokens ``x_t`` (M, d) at the ``step``-th time of
        :meth:`modulations`."""
        h = self.inp(x_t)
        for block, norm, (shift, scale, gate) in zip(
            self.blocks, self.norms, mods.blocks, strict=True
        ):
            h = h + gate[step] * block(_modulate(norm(h), shift[step], scale[step]))
        shift, scale = mods.final
        return self.out(_modulate(self.final_norm(h), shift[step], scale[step]))


class MotionGenerator(nn.Module):
    """Transformer over latent tokens + text memory, with a per-token flow head."""

    def __init__(self, config: GeneratorConfig = GeneratorConfig()) -> None:
        super().__init__()
        self.config = c = config
        if c.conditioning not in CONDITIONINGS:
            raise ValueError(
                f"unknown conditioning {c.conditioning!r}; valid: {', '.join(CONDITIONINGS)}"
            )
        self.inp = nn.Linear(c.latent_dim, c.dim)
        self.mask_token = nn.Parameter(torch.zeros(c.latent_dim))
        self.pos = nn.Parameter(torch.randn(c.max_tokens, c.dim) * 0.02)
        self.age = None
        if c.command_age_tokens < 0:
            raise ValueError(f"command_age_tokens must be >= 0, got {c.command_age_tokens}")
        if c.command_age_tokens:
            # Row 0: before the command; row 1 + a: a tokens after its start (saturating).
            self.age = nn.Embedding(c.command_age_tokens + 2, c.dim)
            nn.init.normal_(self.age.weight, std=0.02)
        self.text = TextAdapter(c.text_dim, c.dim, c.adapter_layers, c.heads, c.dropout)
        cross = c.conditioning == "cross"
        self.blocks = nn.ModuleList(
            Block(c.dim, c.heads, c.dropout, cross=cross, adaln=not cross) for _ in range(c.layers)
        )
        self.norm = nn.LayerNorm(c.dim)
        self.head = FlowHead(c.latent_dim, c.dim, c.flow_width, c.flow_depth)

    def encode_text(
        self, tokens: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Frozen token embeddings (B, L, text_dim) + mask (True = real) -> (memory (B, L, D),
        memory padding mask (B, L), True = padding)."""
        return self.text(tokens, mask), ~mask

    def backbone(
        self,
        tokens: torch.Tensor,
        hidden: torch.Tensor,
        pad: torch.Tensor | None,
        memory: torch.Tensor,
        memory_pad: torch.Tensor,
        age: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Transformer outputs (B, N, D) for latent ``tokens`` (B, N, d) of which ``hidden``
        (B, N) are replaced by the mask token; ``pad`` (B, N) True marks padding; ``age``
        (B, N) int: tokens since the current command began at each position (negative:
        before it), needed when ``command_age_tokens`` > 0, ignored otherwise."""
        n = tokens.shape[1]
        if n > self.config.max_tokens:
            raise ValueError(f"{n} tokens exceed max_tokens={self.config.max_tokens}")
        x = torch.where(hidden[..., None], self.mask_token.to(tokens.dtype), tokens)
        if pad is not None:
            x = x.masked_fill(pad[..., None], 0.0)
        h = self.inp(x) + self.pos[:n]
        if self.age is not None:
            if age is None:
                raise ValueError("this generator takes command ages (command_age_tokens > 0)")
            h = h + self.age((age + 1).clamp(0, self.config.command_age_tokens + 1))
        cond = None
        if self.config.conditioning == "adaln":
            keep = (~memory_pad).float()[..., None]
            cond = (memory * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        for block in self.blocks:
            h = block(h, pad, memory if cond is None else None, memory_pad, cond)
        return self.norm(h)

    def loss(
        self,
        tokens: torch.Tensor,
        valid: torch.Tensor,
        prefix: torch.Tensor,
        memory: torch.Tensor,
        memory_pad: torch.Tensor,
        generator: torch.Generator | None = None,
        age: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Training loss for latent ``tokens`` (B, N, d), ``valid`` (B, N) and visible history
        length ``prefix`` (B,): cosine-scheduled masking of the tokens after the prefix,
        rectified-flow MSE on the hidden ones."""
        b, n, d = tokens.shape
        dev = tokens.device
        pos = torch.arange(n, device=dev)[None].expand(b, n)
        future = valid & (pos >= prefix[:, None])
        n_future = future.sum(1)
        tau = torch.rand(b, device=dev, generator=generator)
        n_hide = torch.clamp((torch.cos(0.5 * math.pi * tau) * n_future).round(), min=1).long()
        n_hide = torch.minimum(n_hide, n_future)
        score = torch.rand(b, n, device=dev, generator=generator).masked_fill(~future, 2.0)
        rank = score.argsort(1).argsort(1)
        hidden = rank < n_hide[:, None]
        h = self.backbone(tokens, hidden, ~valid, memory, memory_pad, age)
        z = h[hidden]
        x1 = tokens[hidden]
        mul = self.config.flow_batch_mul
        z, x1 = z.repeat(mul, 1), x1.repeat(mul, 1)
        t = torch.rand(x1.shape[0], device=dev, generator=generator)
        noise = torch.randn(x1.shape, device=dev, generator=generator)
        x_t = t[:, None] * x1 + (1 - t[:, None]) * noise
        v = self.head(x_t, t, z)
        return F.mse_loss(v, x1 - noise)
