"""The sampler's settings (:class:`SamplerConfig`): plain data, no torch, so that command
lines and ROS parameters can be built from it without loading the model code."""

from __future__ import annotations

from dataclasses import dataclass

from molingo_ros.settings import setting

CFG_SCHEDULES = ("constant", "linear")
"""How guidance spreads over a window's unmasking iterations (``SamplerConfig.cfg_schedule``)."""

SHIPPED_MAX_TOKENS = 64
"""Token positions of the shipped generator (``GeneratorConfig.max_tokens``; a test keeps them
equal): the bound of the window sizes' ranges. A model with more positions is checked against
its own at load (:func:`molingo_ros.model.window.check_window_fits`)."""


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

    window_tokens: int = setting(
        16,
        "latent tokens sampled together (4 frames each); history + window <= the generator's "
        f"positions ({SHIPPED_MAX_TOKENS} for the shipped model)",
        range=(1, SHIPPED_MAX_TOKENS),
    )
    emit_tokens: int = setting(
        8,
        "latent tokens per published chunk (<= window_tokens): a new command takes effect "
        "after at most this many",
        range=(1, SHIPPED_MAX_TOKENS),
    )
    history_tokens: int = setting(
        8, "latent tokens of history each window sees", range=(0, SHIPPED_MAX_TOKENS - 1)
    )
    iterations: int = setting(4, "unmasking iterations per window", range=(1, 32))
    flow_steps: int = setting(8, "flow-head integration steps per token", range=(1, 128))
    cfg_scale: float = setting(
        2.0, "classifier-free guidance scale (1 = off)", range=(0.0, 20.0), aliases=("--cfg",)
    )
    cfg_schedule: str = setting(
        "constant",
        "guidance over a window's unmasking iterations: linear rises to cfg_scale, "
        "constant applies it to every token",
        choices=CFG_SCHEDULES,
    )
    noise_scale: float = setting(
        1.0, "scale of the initial flow noise (temperature)", range=(0.0, 10.0)
    )
    decode_context_tokens: int = setting(
        16, "previous tokens re-decoded with each window", range=(0, 256)
    )
    output_smoothing: float = setting(
        0.5, "weight of the new frame in the causal smoothing of decoded features (1 = off)",
        range=(0.01, 1.0),
    )
    foot_lock: bool = setting(False, "remove foot sliding through the root")

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


__all__ = ["CFG_SCHEDULES", "SHIPPED_MAX_TOKENS", "SamplerConfig"]
