"""Semantic-aligned motion autoencoder (MoLingo's SAE), causal so that it streams.

Encoder and decoder are 1-D convolution stacks with **left padding only**: latent token ``i``
depends on frames ``<= 4 i + 3`` and decoded frame ``t`` on latent tokens ``<= t // 4``, so a
prefix of motion maps to a prefix of latents and new latents decode to new frames without
touching the frames already emitted.

Shapes: features ``(B, T, F)`` (normalised, F = 257 for the Bandai rig at 30 fps) <-> latents
``(B, T / 4, d)``. The latent is a VAE sample (small KL); training adds reconstruction of the
features, of the joint positions part (``ric``) and of velocities (temporal differences), and the
semantic loss: each latent token is pulled (cosine) towards the projected sentence embedding of
the frame-level text labels over its causal span.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from molingo_ros.settings import setting


@dataclass(frozen=True)
class SAEConfig:
    """Architecture of :class:`MotionAutoencoder`.

    Attributes:
        feature_dim: input feature size (257 for the 21-joint Bandai rig).
        latent_dim: size of one latent token.
        width: channels of the convolution stacks.
        downsample: log2 of the temporal downsampling (2 -> 4 frames per token).
        res_depth: causal residual blocks per level (dilations 1, 3, 9, ...).
        text_dim: size of the sentence embeddings for the semantic loss (384 for MiniLM).
        vae: sample the latent (VAE) instead of a plain autoencoder.
    """

    feature_dim: int = 257
    latent_dim: int = 16
    width: int = setting(128, "channels of the convolution stacks", range=(8, 4096))
    downsample: int = 2
    res_depth: int = 2
    text_dim: int = 384
    vae: bool = True

    @property
    def frames_per_token(self) -> int:
        return 2**self.downsample


class CausalConv1d(nn.Conv1d):
    """Conv1d that pads on the left only (``replicate`` or zeros): output ``t`` sees inputs
    ``<= t * stride + stride - 1``."""

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int,
        stride: int = 1,
        dilation: int = 1,
        replicate: bool = False,
    ) -> None:
        super().__init__(cin, cout, kernel, stride=stride, dilation=dilation)
        self.left = dilation * (kernel - 1) - (stride - 1)
        self.replicate = replicate

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, T)
        mode = "replicate" if self.replicate else "constant"
        return super().forward(F.pad(x, (self.left, 0), mode=mode))


class CausalResBlock(nn.Module):
    """Residual stack of dilated causal convolutions (dilation growth 3)."""

    def __init__(self, width: int, depth: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Sequential(
                nn.SiLU(),
                CausalConv1d(width, width, 3, dilation=3**i),
                nn.SiLU(),
                nn.Conv1d(width, width, 1),
            )
            for i in range(depth)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = x + layer(x)
        return x


class MotionAutoencoder(nn.Module):
    """Causal convolutional (V)AE over motion features with a semantic projection head."""

    def __init__(self, config: SAEConfig = SAEConfig()) -> None:
        super().__init__()
        self.config = c = config
        enc: list[nn.Module] = [CausalConv1d(c.feature_dim, c.width, 3, replicate=True), nn.SiLU()]
        for _ in range(c.downsample):
            enc += [
                CausalConv1d(c.width, c.width, 4, stride=2),
                CausalResBlock(c.width, c.res_depth),
            ]
        enc += [CausalConv1d(c.width, c.width, 3)]
        self.encoder = nn.Sequential(*enc)
        self.to_latent = nn.Linear(c.width, 2 * c.latent_dim if c.vae else c.latent_dim)
        self.from_latent = nn.Linear(c.latent_dim, c.width)
        dec: list[nn.Module] = [CausalConv1d(c.width, c.width, 3), nn.SiLU()]
        for _ in range(c.downsample):
            dec += [
                CausalResBlock(c.width, c.res_depth),
                nn.Upsample(scale_factor=2, mode="nearest"),
                CausalConv1d(c.width, c.width, 3),
            ]
        dec += [nn.SiLU(), CausalConv1d(c.width, c.feature_dim, 3)]
        self.decoder = nn.Sequential(*dec)
        self.text_proj = nn.Linear(c.text_dim, c.latent_dim)

    def encode(
        self, feats: torch.Tensor, sample: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised features (B, T, F), T a multiple of ``frames_per_token`` -> (mean
        latents (B, T/4, d), log-variance or zeros). ``sample`` draws from the posterior."""
        step = self.config.frames_per_token
        if feats.shape[1] % step:
            raise ValueError(f"frame count {feats.shape[1]} is not a multiple of {step}")
        h = self.encoder(feats.transpose(1, 2)).transpose(1, 2)
        out = self.to_latent(h)
        if not self.config.vae:
            return out, torch.zeros_like(out)
        mean, logvar = out.chunk(2, dim=-1)
        logvar = logvar.clamp(-30.0, 20.0)
        if sample:
            mean = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
        return mean, logvar

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents (B, N, d) -> normalised features (B, N * 4, F)."""
        h = self.from_latent(latents).transpose(1, 2)
        return self.decoder(h).transpose(1, 2)

    def forward(
        self, feats: torch.Tensor, decoder_noise: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(reconstruction, sampled latents, mean, log-variance). ``decoder_noise``: standard
        deviation (per latent channel, or a scalar) of Gaussian noise added to the latents the
        decoder sees only; the returned latents stay clean."""
        mean, logvar = self.encode(feats)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar) if self.config.vae else mean
        z_decoded = z if decoder_noise is None else z + torch.randn_like(z) * decoder_noise
        return self.decode(z_decoded), z, mean, logvar


def semantic_loss(
    latents: torch.Tensor, text_proj: torch.Tensor, valid: torch.Tensor
) -> torch.Tensor:
    """MoLingo's semantic alignment: mean of ``1 - cos(z_i, proj_i)`` over valid tokens.

    Args:
        latents: (B, N, d).
        text_proj: (B, N, d) projected text embedding of each token's labels.
        valid: (B, N) bool.
    """
    cos = F.cosine_similarity(latents, text_proj, dim=-1)
    return ((1.0 - cos) * valid).sum() / valid.sum().clamp(min=1)


def token_label_embeddings(
    frame_text: torch.Tensor, frames_per_token: int, history_tokens: int = 4
) -> torch.Tensor:
    """Per latent token, the mean of the per-frame text embeddings over its causal span
    ``[s i - history s, s i + s)`` (MoLingo: 4 tokens of history plus its own frames).

    Args:
        frame_text: (B, T, E) per-frame sentence embeddings.
    Returns:
        (B, T / s, E).
    """
    b, t, e = frame_text.shape
    s = frames_per_token
    csum = torch.cat([frame_text.new_zeros(b, 1, e), frame_text.cumsum(1)], dim=1)
    ends = torch.arange(1, t // s + 1, device=frame_text.device) * s
    starts = (ends - s - history_tokens * s).clamp(min=0)
    total = csum[:, ends] - csum[:, starts]
    return total / (ends - starts).to(frame_text.dtype)[None, :, None]
