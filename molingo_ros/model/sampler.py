"""The streaming sampler (window by window) and whole-sequence generation.

:class:`MotionStream` generates motion one window at a time: each window keeps the latents
already emitted as a visible prefix (in-painting), is conditioned on the current command, and
its new latents are decoded by the causal decoder and returned as frames at once.
:meth:`MotionStream.set_text` changes the command from the next window on; the history makes
the motion flow into it. :func:`generate` streams timed commands into one :class:`Motion`.

The parts live by job, and are re-exported here: the model bundle :class:`MoLingo`
(:mod:`molingo_ros.model.bundle`), the step schedules :class:`FlowScheduler` /
:class:`UnmaskSchedule` (:mod:`molingo_ros.model.schedulers`), the settings
:class:`SamplerConfig` and one window's sampling (:mod:`molingo_ros.model.window`), and the
frame post-processing (:mod:`molingo_ros.model.postprocess`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from molingo_ros.model.bundle import MODEL_KIND, MoLingo, default_model_path
from molingo_ros.model.postprocess import FPS, limit_root_speed, lock_feet, smooth_features
from molingo_ros.model.schedulers import FlowScheduler, UnmaskSchedule
from molingo_ros.model.text import NULL_PROMPT
from molingo_ros.model.window import (
    CFG_SCHEDULES,
    SamplerConfig,
    check_window_fits,
    sample_tokens,
    tokens_left,
    tokens_until,
)
from molingo_ros.motion.features import features_to_motion, integrate_root
from molingo_ros.motion.motion import Motion

#: The default settings (one frozen instance, shared as a default argument).
_DEFAULT_CONFIG = SamplerConfig()


@dataclass
class WindowOutput:
    """Frames of one streaming window (raw features, world positions) and its timing."""

    features: np.ndarray  # (frames, F)
    positions_m: np.ndarray  # (frames, J, 3), world frame, z up
    text: str
    seconds: float
    rig: str = "bandai"  # the model's skeleton (molingo_ros.motion.rigs.RIGS)

    def to_motion(self) -> Motion:
        """The window as a :class:`Motion` of the model's rig (Bandai, or SMPL-22 for a model
        trained on a HumanML3D folder) at 30 fps (positions only, every frame labelled with
        the window's command), e.g. for a streaming
        :class:`~molingo_ros.robot.retarget.Retargeter`."""
        from molingo_ros.motion.rigs import RIG_PARENTS, RIGS

        return Motion(
            positions_m=self.positions_m,
            joint_names=list(RIGS[self.rig].joint_names),
            parents=np.asarray(RIG_PARENTS[self.rig]),
            fps=FPS,
            text=self.text,
            frame_labels=[self.text] * len(self.positions_m),
            name="generated",
        )


@dataclass
class _RootState:
    xy: np.ndarray = field(default_factory=lambda: np.zeros(2))
    heading: float = 0.0


class MotionStream:
    """Streaming generation for one character. Not thread-safe.

    Args:
        model: the loaded :class:`MoLingo`.
        config: sampler settings.
        seed: for reproducible motion (same seed, texts and timings -> same frames).
    """

    def __init__(
        self, model: MoLingo, config: SamplerConfig = _DEFAULT_CONFIG, seed: int = 0
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
        self._first_history: int | None = None  # history cap of its first window
        self._null = model.prompt_memory(NULL_PROMPT)
        self.frames_emitted = 0

    def reseed(self, seed: int) -> None:
        """Restart the random stream (e.g. when a new command with its own seed begins); the
        history is kept, so the motion still flows on. Tokens sampled but not emitted yet
        are dropped (they came from the old random stream)."""
        self._gen.manual_seed(int(seed))
        self._pending = self._latents[:, :0]

    @property
    def has_text(self) -> bool:
        """True once a command was given (:meth:`set_text`)."""
        return self._memory is not None

    @property
    def memory(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The current command's text memory ((1, L, D), padding mask (1, L))."""
        if self._memory is None:
            raise RuntimeError("call set_text() first")
        return self._memory

    @property
    def null_memory(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The empty prompt's memory (the unconditional side of guidance)."""
        return self._null

    @property
    def generator(self) -> torch.Generator:
        """This stream's random generator (its seed's draws, in order)."""
        return self._gen

    @property
    def pending_tokens(self) -> int:
        """Tokens drawn for the current command and not emitted yet."""
        return int(self._pending.shape[1])

    def set_text(
        self,
        text: str,
        max_root_speed_m_s: float | None = None,
        history_tokens: int | None = None,
    ) -> None:
        """The command for the next windows (takes effect at the next :meth:`next_window`).
        ``max_root_speed_m_s`` caps the root's planar speed while it plays (an in-place
        skill: :attr:`~molingo_ros.language.skills.Skill.max_root_speed_m_s`); None: no cap.
        ``history_tokens``: its first window sees at most this many tokens of history (less
        pull from the motion before it, e.g. a command taking over mid-walk); None: the
        config's ``history_tokens``."""
        if history_tokens is not None and history_tokens < 0:
            raise ValueError(f"history_tokens must be >= 0, got {history_tokens}")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("the command text must be a non-empty string")
        if max_root_speed_m_s is not None and not max_root_speed_m_s >= 0:
            raise ValueError(f"max_root_speed_m_s must be >= 0, got {max_root_speed_m_s}")
        self._max_speed = max_root_speed_m_s
        self._text = text.strip()
        self._memory = self.model.prompt_memory(self._text)
        self._command_start = self._latents.shape[1]
        self._first_history = history_tokens
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
        n_new = self.check_tokens(tokens, until)
        start = time.perf_counter()
        while size := self.window_needed(n_new, until):
            self._sample_window(size)
        ctx = self.take_tokens(n_new)
        raw = self.model.decode_latents(ctx)[0]
        return self.frames_from(raw, n_new, start)

    def check_tokens(self, tokens: int | None, until: int | None) -> int:
        """The tokens to emit (``tokens`` or ``config.emit_tokens``), checked against
        ``until`` (see :meth:`next_window`); raises when no command was given."""
        if self._memory is None:
            raise RuntimeError("call set_text() before next_window()")
        cfg = self.config
        n_new = cfg.emit_tokens if tokens is None else int(tokens)
        if not 1 <= n_new <= cfg.window_tokens:
            raise ValueError(
                f"tokens must be in 1..{cfg.window_tokens} (window_tokens), got {tokens}"
            )
        if until is not None and until < n_new:
            raise ValueError(f"until ({until}) must be at least the tokens emitted ({n_new})")
        return n_new

    def window_needed(self, n_new: int, until: int | None) -> int:
        """Tokens of the window to draw before ``n_new`` can be emitted (0: enough are
        waiting): a full window, shortened to end at ``until``."""
        waiting = self._pending.shape[1]
        if waiting >= n_new:
            return 0
        size = self.config.window_tokens
        return size if until is None else min(size, until - waiting)

    def window_context(self) -> tuple[torch.Tensor, int]:
        """What the next window is drawn after: the visible history (1, h, d) of emitted and
        waiting latents, and the tokens since the current command began at its first token."""
        seen = torch.cat([self._latents, self._pending], dim=1)
        keep = self.config.history_tokens
        if self._first_history is not None and seen.shape[1] == self._command_start:
            keep = min(keep, self._first_history)  # the command's first window
        history = seen[:, max(0, seen.shape[1] - keep) :]
        return history, seen.shape[1] - self._command_start

    def add_window(self, new: torch.Tensor) -> None:
        """Tokens drawn after :meth:`window_context` (1, n, d) join the waiting ones."""
        self._pending = torch.cat([self._pending, new.float()], dim=1)

    def take_tokens(self, n_new: int) -> torch.Tensor:
        """Emit ``n_new`` waiting tokens; the latents to decode (1, context + n_new, d)."""
        new, self._pending = self._pending[:, :n_new], self._pending[:, n_new:]
        self._latents = torch.cat([self._latents, new], dim=1)
        return self._latents[:, -(n_new + self.config.decode_context_tokens) :]

    def frames_from(self, decoded: torch.Tensor, n_new: int, started: float) -> WindowOutput:
        """The window's frames from the decoded latents of :meth:`take_tokens` (frames, F):
        the last ``n_new`` tokens' frames, smoothed, feet locked, root speed capped, placed
        in the world after the previous window; timed from ``started`` (perf_counter, s)."""
        cfg = self.config
        feats = decoded.float().cpu().numpy()
        feats = feats[-n_new * self.model.sae.config.frames_per_token :]
        feats = smooth_features(feats, cfg.output_smoothing, self._smoothed)
        self._smoothed = feats[-1].copy()
        if cfg.foot_lock:
            feats = lock_feet(feats, rig=self.model.feature_config.rig)
        feats = limit_root_speed(feats, self._max_speed)
        positions = self._positions(feats)
        self.frames_emitted += len(feats)
        rig = self.model.feature_config.rig.name
        seconds = time.perf_counter() - started
        return WindowOutput(feats, positions, self._text or "", seconds, rig)

    def _sample_window(self, size: int) -> None:
        """Sample ``size`` tokens after the emitted and waiting ones, for the current
        command; they join the waiting ones."""
        history, age = self.window_context()
        # bf16 on CUDA (tensor cores); float32 on the CPU.
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            new = sample_tokens(
                self.model,
                history,
                size,
                self._memory,
                self._null,
                self.config,
                self._gen,
                torch.tensor([age]),
            )
        self.add_window(new)

    def _positions(self, feats: np.ndarray) -> np.ndarray:
        """World positions of new frames, continuing the root from the previous window."""
        from molingo_ros.motion.features import features_to_positions, joints_of_feature_dim

        joints = joints_of_feature_dim(feats.shape[1])
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
    config: SamplerConfig = _DEFAULT_CONFIG,
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
        if not stream.has_text:
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
    "CFG_SCHEDULES",
    "FPS",
    "MODEL_KIND",
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
    "lock_feet",
    "sample_tokens",
    "smooth_features",
    "tokens_left",
    "tokens_until",
]
