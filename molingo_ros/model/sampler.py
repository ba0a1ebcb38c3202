"""The trained model bundle and its samplers: whole-sequence and streaming (window by window).

:class:`MoLingo` holds the SAE, the generator, the frozen text encoder and the normalisers,
loaded from one safetensors file (no pickled code). :class:`MotionStream` generates motion one
window at a time: each window keeps the latents already emitted as a visible prefix
(in-painting), is conditioned on the current command, and its new latents are decoded by the
causal decoder and returned as frames at once. :meth:`MotionStream.set_text` changes the
command from the next window on; the history makes the motion flow into it.

Step counts are settable diffusers-style: :class:`FlowScheduler` (``set_timesteps`` /
``step``) for the per-token flow and :class:`UnmaskSchedule` (``set_steps``) for the masked
iterations.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from molingo_ros.model.generator import GeneratorConfig, MotionGenerator
from molingo_ros.model.sae import MotionAutoencoder, SAEConfig
from molingo_ros.model.text import NULL_PROMPT, FrozenTextEncoder, TextEncoderConfig
from molingo_ros.model.training import (
    CheckpointError,
    load_state_strict,
    load_weights,
    resolve_device,
    save_weights,
)
from molingo_ros.motion.features import FeatureConfig, features_to_motion, integrate_root
from molingo_ros.motion.motion import Motion

MODEL_KIND = "molingo"
FPS = 30.0


def smooth_features(
    feats: np.ndarray, alpha: float, previous: np.ndarray | None = None
) -> np.ndarray:
    """Causal exponential smoothing of frames (T, F): ``y_t = a x_t + (1 - a) y_{t-1}``,
    starting from ``previous`` (the last smoothed frame of the stream) or ``x_0``."""
    if alpha >= 1.0:
        return feats
    out = np.empty_like(feats)
    prev = feats[0] if previous is None else previous
    for t in range(len(feats)):
        prev = alpha * feats[t] + (1.0 - alpha) * prev
        out[t] = prev
    return out


def lock_feet(feats: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Remove foot sliding through the root: for every step t -> t+1 where foot joints are in
    contact in both frames (the generated contact features above ``threshold``), the root's
    horizontal step is reduced by those joints' mean horizontal slip, so planted feet stay
    put. Only the root linear-velocity features change (heading and pose are kept); each step
    depends on its two frames only, so windows can be locked one by one. Raw features in/out.
    """
    from molingo_ros.motion.features import feature_slices, features_to_positions
    from molingo_ros.motion.rigs import BANDAI

    if len(feats) < 2:
        return feats
    sl = feature_slices(21)
    pos, root = features_to_positions(feats, 21)
    feet = [BANDAI.index(j) for j in BANDAI.feet]
    contact = feats[:, sl["foot_contact"]] > threshold  # (T, 4) in BANDAI.feet order
    planted = contact[:-1] & contact[1:]  # (T-1, 4)
    slip = pos[1:, feet, :2] - pos[:-1, feet, :2]  # (T-1, 4, 2)
    count = planted.sum(1, keepdims=True)
    mean_slip = (slip * planted[..., None]).sum(1) / np.maximum(count, 1)
    c, s_ = np.cos(root.heading_rad[:-1]), np.sin(root.heading_rad[:-1])
    # world step -> root-local: rotate by -heading
    local = np.stack(
        [c * mean_slip[:, 0] + s_ * mean_slip[:, 1], -s_ * mean_slip[:, 0] + c * mean_slip[:, 1]],
        axis=1,
    )
    # The correction switches with the contacts; smooth it (causal, as the output smoothing)
    # so the root does not jerk where a foot lands or lifts.
    local = smooth_features(local, 0.5)
    out = feats.copy()
    out[:-1, sl["root_lin_vel"]] -= local
    return out


def limit_root_speed(feats: np.ndarray, max_speed_m_s: float | None) -> np.ndarray:
    """Cap the root's planar speed of every frame at ``max_speed_m_s`` (m/s at :data:`FPS`;
    None: unchanged). Only the root linear-velocity features change; the pose is kept, so
    a gesture that drifts stays where it is instead of sliding. Raw features in/out."""
    if max_speed_m_s is None:
        return feats
    if max_speed_m_s < 0:
        raise ValueError(f"max_speed_m_s must be >= 0, got {max_speed_m_s}")
    from molingo_ros.motion.features import feature_slices

    sl = feature_slices(21)["root_lin_vel"]
    step = feats[:, sl]
    speed = np.linalg.norm(step, axis=1) * FPS
    scale = np.minimum(1.0, max_speed_m_s / np.maximum(speed, 1e-9))
    out = feats.copy()
    out[:, sl] = step * scale[:, None]
    return out


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


def default_model_path() -> Path:
    """The shipped model: ``molingo_ros/weights/molingo.safetensors``."""
    return Path(__file__).resolve().parents[1] / "weights" / "molingo.safetensors"


class FlowScheduler:
    """Euler integration of the rectified flow from noise (t = 0) to data (t = 1), with
    ``set_timesteps(n)`` / ``step(velocity, t_index, x)`` as diffusers schedulers."""

    def __init__(self, steps: int = 8) -> None:
        self.set_timesteps(steps)

    def set_timesteps(self, steps: int) -> None:
        if steps < 1:
            raise ValueError(f"flow steps must be >= 1, got {steps}")
        self.timesteps = torch.linspace(0.0, 1.0, steps + 1)

    def step(self, velocity: torch.Tensor, index: int, x: torch.Tensor) -> torch.Tensor:
        dt = float(self.timesteps[index + 1] - self.timesteps[index])
        return x + dt * velocity


class UnmaskSchedule:
    """How many hidden tokens remain after each of ``steps`` iterations (cosine, as MaskGIT /
    MAR / MoLingo)."""

    def __init__(self, steps: int = 4) -> None:
        self.set_steps(steps)

    def set_steps(self, steps: int) -> None:
        if steps < 1:
            raise ValueError(f"unmasking iterations must be >= 1, got {steps}")
        self.steps = steps

    def remaining(self, total: int) -> list[int]:
        """Hidden tokens left after each iteration (ends with 0), strictly decreasing."""
        out, prev = [], total
        for k in range(1, self.steps + 1):
            left = int(math.floor(math.cos(0.5 * math.pi * k / self.steps) * total))
            left = min(left, prev - 1) if prev > 0 else 0
            out.append(max(left, 0))
            prev = out[-1]
        out[-1] = 0
        return out


@dataclass(frozen=True)
class SamplerConfig:
    """Sampling settings.

    Attributes:
        window_tokens: new latent tokens sampled together, as one masked-generation window
            (4 frames each).
        emit_tokens: tokens a streaming step (:meth:`MotionStream.next_window`) emits. A
            window's tokens beyond them wait and are emitted by the next steps, unless the
            command changes first: then they are dropped and sampled again for the new
            command. So a new command takes effect within ``emit_tokens`` tokens, while the
            motion is drawn in windows of ``window_tokens`` (16 new tokens after 8 of history
            give FID 0.024 where 8 after 16 gave 0.036: docs/MODEL.md). A window that would
            run past a known end (the next timed command, the end of the motion) is drawn
            only up to it.
        history_tokens: emitted tokens kept as the visible prefix of the next window.
        iterations: unmasking iterations per window.
        flow_steps: Euler steps of the flow per revealed token.
        cfg_scale: classifier-free guidance on the velocity (1 = off).
        cfg_schedule: ``"constant"`` (every token guided by ``cfg_scale``) or ``"linear"``
            (as MAR: the tokens revealed at an iteration get ``1 + (cfg_scale - 1) * f``, with
            ``f`` the window's revealed fraction after that iteration, so the first tokens are
            drawn nearly unguided and the last with the full scale).
        noise_scale: scale of the initial flow noise (temperature).
        decode_context_tokens: previous tokens re-decoded with each window (covers the causal
            decoder's receptive field, so windows join without a seam).
        output_smoothing: weight of the new frame in a causal exponential smoothing of the
            decoded features, carried across windows (1 = off; 0.5 removes most decoder
            jitter for ~1 frame of lag: SAE reconstructions' jerk 260 -> 105 m/s^3, real
            motion 62, joint error +1.5 mm).
        foot_lock: remove foot sliding through the root (:func:`lock_feet`).
    """

    window_tokens: int = 16
    emit_tokens: int = 8
    history_tokens: int = 8
    iterations: int = 4
    flow_steps: int = 8
    cfg_scale: float = 2.0
    cfg_schedule: str = "constant"
    noise_scale: float = 1.0
    decode_context_tokens: int = 16
    output_smoothing: float = 0.5
    foot_lock: bool = False

    def __post_init__(self) -> None:
        if self.window_tokens < 1:
            raise ValueError(f"window_tokens must be >= 1, got {self.window_tokens}")
        if not 1 <= self.emit_tokens <= self.window_tokens:
            raise ValueError(
                f"emit_tokens must be in 1..window_tokens ({self.window_tokens}), "
                f"got {self.emit_tokens}"
            )
        if self.history_tokens < 0:
            raise ValueError(f"history_tokens must be >= 0, got {self.history_tokens}")
        if self.cfg_schedule not in CFG_SCHEDULES:
            raise ValueError(
                f"unknown cfg_schedule {self.cfg_schedule!r}; valid: {', '.join(CFG_SCHEDULES)}"
            )

    @classmethod
    def with_overrides(cls, **overrides: object) -> SamplerConfig:
        """The defaults with ``overrides`` (``None`` values ignored). When ``window_tokens``
        is given without ``emit_tokens``, emission shrinks with the window if it must (it is
        at most a window)."""
        kw = {k: v for k, v in overrides.items() if v is not None}
        if "window_tokens" in kw and "emit_tokens" not in kw:
            kw["emit_tokens"] = min(cls.emit_tokens, int(kw["window_tokens"]))
        return cls(**kw)

    def guidance(self, revealed_fraction: float) -> float:
        """The CFG scale for tokens revealed when ``revealed_fraction`` of the window is done."""
        if self.cfg_schedule == "linear":
            return 1.0 + (self.cfg_scale - 1.0) * revealed_fraction
        return self.cfg_scale


CFG_SCHEDULES = ("constant", "linear")


class MoLingo(torch.nn.Module):
    """SAE + generator + normalisers, with the frozen text encoder alongside."""

    def __init__(
        self,
        sae_config: SAEConfig,
        generator_config: GeneratorConfig,
        text_config: TextEncoderConfig | None = None,
        feature_config: FeatureConfig | None = None,
    ) -> None:
        super().__init__()
        text_config = text_config or TextEncoderConfig()
        self.sae = MotionAutoencoder(sae_config)
        self.generator = MotionGenerator(generator_config)
        self.text_config = text_config
        self.feature_config = feature_config or FeatureConfig()
        d = sae_config.feature_dim
        self.register_buffer("feature_mean", torch.zeros(d))
        self.register_buffer("feature_std", torch.ones(d))
        self.register_buffer("latent_mean", torch.zeros(sae_config.latent_dim))
        self.register_buffer("latent_std", torch.ones(sae_config.latent_dim))
        self._text: FrozenTextEncoder | None = None
        self.metadata: dict[str, str] = {}

    @property
    def text_encoder(self) -> FrozenTextEncoder:
        if self._text is None:
            self._text = FrozenTextEncoder(self.text_config, device=str(self.feature_mean.device))
        return self._text

    def text_memory(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        tokens, mask = self.text_encoder.encode(texts)
        dev = self.feature_mean.device
        return self.generator.encode_text(tokens.to(dev), mask.to(dev))

    # -- features <-> latents -------------------------------------------------------------

    def normalise_latents(self, z: torch.Tensor) -> torch.Tensor:
        return (z - self.latent_mean) / self.latent_std

    def decode_latents(self, z_norm: torch.Tensor) -> torch.Tensor:
        """Normalised latents (B, N, d) -> raw features (B, 4N, F)."""
        feats = self.sae.decode(z_norm * self.latent_std + self.latent_mean)
        return feats * self.feature_std + self.feature_mean

    # -- files ------------------------------------------------------------------------------

    def save(self, path: str | Path, extra: dict[str, str] | None = None) -> Path:
        meta = {
            "kind": MODEL_KIND,
            "sae_config": json.dumps(self.sae.config.__dict__),
            "generator_config": json.dumps(self.generator.config.__dict__),
            "text_config": json.dumps(self.text_config.__dict__),
            **(extra or {}),
        }
        return save_weights(Path(path), dict(self.state_dict()), meta)

    @classmethod
    def load(cls, path: str | Path | None = None, device: str = "auto") -> MoLingo:
        """Load a model file (default: the shipped one). Raises
        :class:`~molingo_ros.model.training.CheckpointError` on a missing, corrupt,
        truncated or mismatched file."""
        path = Path(path) if path is not None else default_model_path()
        tensors, meta = load_weights(path, MODEL_KIND)
        try:
            sae_cfg = SAEConfig(**json.loads(meta["sae_config"]))
            gen_cfg = GeneratorConfig(**json.loads(meta["generator_config"]))
            text_cfg = TextEncoderConfig(**json.loads(meta["text_config"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path}: bad or missing config metadata: {exc}") from exc
        model = cls(sae_cfg, gen_cfg, text_cfg)
        load_state_strict(model, tensors, path)
        model.metadata = meta
        return model.to(resolve_device(device)).eval()


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
    mem, mem_pad = memory
    null, null_pad = null_memory
    use_cfg = config.cfg_scale != 1.0
    if use_cfg:
        # One batch: conditional rows then unconditional rows (padding the text to one length).
        length = max(mem.shape[1], null.shape[1])

        def pad_to(m: torch.Tensor, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            extra = length - m.shape[1]
            if extra:
                m = torch.cat([m, m.new_zeros(m.shape[0], extra, m.shape[2])], 1)
                p = torch.cat([p, p.new_ones(p.shape[0], extra)], 1)
            return m, p

        mc, pc = pad_to(mem, mem_pad)
        mu, pu = pad_to(null.expand(b, -1, -1), null_pad.expand(b, -1))
        both_mem, both_pad = torch.cat([mc, mu]), torch.cat([pc, pu])
    revealed = 0
    for left in remaining:
        count = new_tokens - left - revealed
        if count <= 0:
            continue
        idx = order[:, revealed : revealed + count]  # (b, count)
        if use_cfg:
            out = gen.backbone(
                tokens.repeat(2, 1, 1),
                hidden.repeat(2, 1),
                None,
                both_mem,
                both_pad,
                age.repeat(2, 1),
            )
            zc, zu = out[:b], out[b:]
        else:
            zc = gen.backbone(tokens, hidden, None, mem, mem_pad, age)
            zu = None
        rows = torch.arange(b, device=dev)[:, None].expand_as(idx)
        cond = zc[rows, idx].reshape(-1, zc.shape[-1])
        uncond = zu[rows, idx].reshape(-1, zu.shape[-1]) if zu is not None else None
        x = torch.randn(cond.shape[0], d, device=dev, generator=generator) * config.noise_scale
        scale = config.guidance((revealed + count) / new_tokens)
        for k in range(config.flow_steps):
            t = flow.timesteps[k].expand(x.shape[0]).to(dev)
            if uncond is not None:
                v_both = gen.head(torch.cat([x, x]), torch.cat([t, t]), torch.cat([cond, uncond]))
                vc, vu = v_both.chunk(2)
                v = vu + scale * (vc - vu)
            else:
                v = gen.head(x, t, cond)
            x = flow.step(v, k, x)
        tokens[rows, idx] = x.reshape(b, count, d)
        hidden[rows, idx] = False
        revealed += count
    return tokens[:, h:]


@dataclass
class WindowOutput:
    """Frames of one streaming window (raw features, world positions) and its timing."""

    features: np.ndarray  # (frames, F)
    positions_m: np.ndarray  # (frames, J, 3), world frame, z up
    text: str
    seconds: float

    def to_motion(self) -> Motion:
        """The window as a :class:`Motion` of the Bandai rig at 30 fps (positions only, every
        frame labelled with the window's command), e.g. for a streaming
        :class:`~molingo_ros.robot.retarget.Retargeter`."""
        from molingo_ros.motion.rigs import BANDAI, BANDAI_PARENTS

        return Motion(
            positions_m=self.positions_m,
            joint_names=list(BANDAI.joint_names),
            parents=np.asarray(BANDAI_PARENTS),
            fps=FPS,
            text=self.text,
            frame_labels=[self.text] * len(self.positions_m),
            name="generated",
        )


@dataclass
class _RootState:
    xy: np.ndarray = field(default_factory=lambda: np.zeros(2))
    heading: float = 0.0


def check_window_fits(model: MoLingo, config: SamplerConfig) -> None:
    """Raise ValueError when a window and its history exceed the generator's positions."""
    limit = model.generator.config.max_tokens
    if config.history_tokens + config.window_tokens > limit:
        raise ValueError(
            f"history_tokens + window_tokens = {config.history_tokens} + "
            f"{config.window_tokens} exceeds the generator's {limit} positions"
        )


class MotionStream:
    """Streaming generation for one character. Not thread-safe.

    Args:
        model: the loaded :class:`MoLingo`.
        config: sampler settings.
        seed: for reproducible motion (same seed, texts and timings -> same frames).
    """

    def __init__(
        self, model: MoLingo, config: SamplerConfig = SamplerConfig(), seed: int = 0
    ) -> None:
        check_window_fits(model, config)
        self.model = model
        self.config = config
        self.device = model.feature_mean.device
        self._gen = torch.Generator(device=self.device).manual_seed(int(seed))
        self._latents = torch.zeros(1, 0, model.sae.config.latent_dim, device=self.device)
        self._pending = self._latents  # sampled for the current command, not emitted yet
        self._features: list[np.ndarray] = []
        self._last_feature: np.ndarray | None = None
        self._smoothed: np.ndarray | None = None
        self._root = _RootState()
        self._text: str | None = None
        self._max_speed: float | None = None
        self._memory = None
        self._command_start = 0  # token index where the current command began
        self._null = model.text_memory([NULL_PROMPT])
        self.frames_emitted = 0

    def reseed(self, seed: int) -> None:
        """Restart the random stream (e.g. when a new command with its own seed begins); the
        history is kept, so the motion still flows on. Tokens sampled but not emitted yet
        are dropped (they came from the old random stream)."""
        self._gen.manual_seed(int(seed))
        self._pending = self._latents[:, :0]

    def set_text(self, text: str, max_root_speed_m_s: float | None = None) -> None:
        """The command for the next windows (takes effect at the next :meth:`next_window`).
        ``max_root_speed_m_s`` caps the root's planar speed while it plays (an in-place
        skill: :attr:`~molingo_ros.language.skills.Skill.max_root_speed_m_s`); None: no cap."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("the command text must be a non-empty string")
        if max_root_speed_m_s is not None and not max_root_speed_m_s >= 0:
            raise ValueError(f"max_root_speed_m_s must be >= 0, got {max_root_speed_m_s}")
        self._max_speed = max_root_speed_m_s
        self._text = text.strip()
        self._memory = self.model.text_memory([self._text])
        self._command_start = self._latents.shape[1]
        self._pending = self._latents[:, :0]  # drawn for the old command: drawn again

    @torch.no_grad()
    def next_window(self, tokens: int | None = None, until: int | None = None) -> WindowOutput:
        """Emit the next ``tokens`` latent tokens (default ``config.emit_tokens``), decoded
        into frames. A window of ``config.window_tokens`` new tokens is sampled when fewer
        are waiting (those waiting are its visible history, after the emitted ones).

        Args:
            tokens: tokens to emit (4 frames each), 1 to ``config.window_tokens``. Fewer
                lets a command whose start time is known begin on its own token instead of
                at the next full step (:func:`generate` does this).
            until: tokens left (from now) before the current command's motion ends, when
                known (:func:`tokens_left`): a window drawn now stops there instead of
                running on (a short last window makes better motion than a full one cut
                afterwards: docs/MODEL.md). At least ``tokens``.
        """
        if self._memory is None:
            raise RuntimeError("call set_text() before next_window()")
        start = time.perf_counter()
        cfg = self.config
        n_new = cfg.emit_tokens if tokens is None else int(tokens)
        if not 1 <= n_new <= cfg.window_tokens:
            raise ValueError(
                f"tokens must be in 1..{cfg.window_tokens} (window_tokens), got {tokens}"
            )
        if until is not None and until < n_new:
            raise ValueError(f"until ({until}) must be at least the tokens emitted ({n_new})")
        while self._pending.shape[1] < n_new:
            size = cfg.window_tokens
            if until is not None:
                size = min(size, until - self._pending.shape[1])
            self._sample_window(size)
        new, self._pending = self._pending[:, :n_new], self._pending[:, n_new:]
        self._latents = torch.cat([self._latents, new], dim=1)
        ctx = self._latents[:, -(n_new + cfg.decode_context_tokens) :]
        feats = self.model.decode_latents(ctx)[0].float().cpu().numpy()
        feats = feats[-n_new * self.model.sae.config.frames_per_token :]
        feats = smooth_features(feats, cfg.output_smoothing, self._smoothed)
        self._smoothed = feats[-1].copy()
        if cfg.foot_lock:
            feats = lock_feet(feats)
        feats = limit_root_speed(feats, self._max_speed)
        positions = self._positions(feats)
        self.frames_emitted += len(feats)
        return WindowOutput(feats, positions, self._text or "", time.perf_counter() - start)

    def _sample_window(self, size: int) -> None:
        """Sample ``size`` tokens after the emitted and waiting ones, for the current
        command; they join the waiting ones."""
        cfg = self.config
        seen = torch.cat([self._latents, self._pending], dim=1)
        history = seen[:, -cfg.history_tokens :] if cfg.history_tokens else seen[:, :0]
        # bf16 on CUDA (tensor cores); float32 on the CPU.
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            age = torch.tensor([seen.shape[1] - self._command_start])
            new = sample_tokens(
                self.model,
                history,
                size,
                self._memory,
                self._null,
                cfg,
                self._gen,
                age,
            ).float()
        self._pending = torch.cat([self._pending, new], dim=1)

    def _positions(self, feats: np.ndarray) -> np.ndarray:
        """World positions of new frames, continuing the root from the previous window."""
        from molingo_ros.motion.features import features_to_positions

        joints = (feats.shape[1] - 8) // 12 + 1  # 257 -> 21 (see features.feature_dim)
        if self._last_feature is None:
            pos, root = features_to_positions(feats, joints)
        else:
            both = np.concatenate([self._last_feature[None], feats])
            pos, root = features_to_positions(both, joints, self._root.xy, self._root.heading)
            pos = pos[1:]
            root = replace(root, xy_m=root.xy_m[1:], heading_rad=root.heading_rad[1:])
        self._last_feature = feats[-1]
        self._root = _RootState(np.array(root.xy_m[-1]), float(root.heading_rad[-1]))
        return pos


def generate(
    model: MoLingo,
    commands: list[tuple[str, float]],
    seconds: float,
    config: SamplerConfig = SamplerConfig(),
    seed: int = 0,
    speed_limits: Mapping[str, float | None] | None = None,
) -> Motion:
    """Generate ``seconds`` of motion for timed commands ``[(text, start_s), ...]`` (the
    first at 0 s) by streaming; frame labels say which command owns each frame.
    ``speed_limits`` maps a command text to the cap on its root speed (m/s; see
    :meth:`MotionStream.set_text`).

    The start times are known ahead, so the window before a command (and the last one) is
    shortened and the command begins on its own token (within 3 frames of its time), not at
    the next full step as a command arriving live does."""
    if not commands:
        raise ValueError("at least one command is needed")
    commands = sorted(commands, key=lambda c: c[1])
    limits = dict(speed_limits or {})
    stream = MotionStream(model, config, seed)
    step = model.sae.config.frames_per_token
    feats, labels = [], []
    k = 0
    frames_needed = int(round(seconds * FPS))
    while stream.frames_emitted < frames_needed:
        done = stream.frames_emitted
        while k < len(commands) and commands[k][1] * FPS <= done + 1e-6:
            stream.set_text(commands[k][0], limits.get(commands[k][0]))
            k += 1
        if stream._memory is None:
            stream.set_text(commands[0][0], limits.get(commands[0][0]))
        left = tokens_left(
            done, commands[k][1] * FPS if k < len(commands) else None, frames_needed, step
        )
        out = stream.next_window(min(config.emit_tokens, left), until=left)
        feats.append(out.features)
        labels += [out.text] * len(out.features)
    all_feats = np.concatenate(feats)[:frames_needed]
    motion = features_to_motion(all_feats, FPS, model.feature_config)
    motion.frame_labels = labels[:frames_needed]
    motion.text = " then ".join(c[0] for c in commands)
    return motion


__all__ = [
    "FlowScheduler",
    "MoLingo",
    "MotionStream",
    "SamplerConfig",
    "UnmaskSchedule",
    "WindowOutput",
    "check_window_fits",
    "default_model_path",
    "generate",
    "integrate_root",
    "limit_root_speed",
    "tokens_left",
    "tokens_until",
]
