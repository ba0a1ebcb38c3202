"""The trained model bundle :class:`MoLingo`: the SAE, the generator, the frozen text encoder
and the normalisers, loaded from and saved to one safetensors file (no pickled code), with
its metadata."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import torch

from molingo_ros.model.checkpoint import (
    CheckpointError,
    load_state_strict,
    load_weights,
    save_weights,
)
from molingo_ros.model.device import resolve_device
from molingo_ros.model.generator import GeneratorConfig, MotionGenerator
from molingo_ros.model.sae import MotionAutoencoder, SAEConfig
from molingo_ros.model.text import FrozenTextEncoder, TextEncoderConfig
from molingo_ros.motion.features import FeatureConfig, rig_for_features
from molingo_ros.motion.rigs import BANDAI, RIGS

MODEL_KIND = "molingo"


def default_model_path() -> Path:
    """The shipped model: ``molingo_ros/weights/molingo.safetensors``."""
    return Path(__file__).resolve().parents[1] / "weights" / "molingo.safetensors"


_SHARED: dict[tuple, MoLingo] = {}
_SHARED_LOCK = threading.Lock()
_PROMPT_LOCK = threading.Lock()

PROMPT_CACHE = 256
"""Prompts whose text memory :meth:`MoLingo.prompt_memory` remembers."""


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
        d = sae_config.feature_dim
        self.feature_config = feature_config or FeatureConfig(rig=rig_for_features(d))
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

    def prompt_memory(self, text: str) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`text_memory` of one prompt, for sampling: remembered for the last
        :data:`PROMPT_CACHE` prompts, so a command's caption is encoded once (read-only
        tensors; :meth:`train` forgets them)."""
        with _PROMPT_LOCK:  # robots served by one process share the model
            cache = self.__dict__.setdefault("_prompt_cache", OrderedDict())
            if text in cache:
                cache.move_to_end(text)
                return cache[text]
        # Detached, not under no_grad: the encoder's inference fast path rounds differently,
        # and the stream's motions stay those of text_memory.
        mem, pad = self.text_memory([text])
        memory = (mem.detach(), pad.detach())
        with _PROMPT_LOCK:
            cache[text] = memory
            while len(cache) > PROMPT_CACHE:
                cache.popitem(last=False)
        return memory

    def prepare_prompts(self, texts: Iterable[str]) -> None:
        """Encode ``texts`` ahead (e.g. every caption of the skills at configure), so their
        first use costs no text encoding."""
        for text in texts:
            self.prompt_memory(text)

    def train(self, mode: bool = True) -> MoLingo:
        self.__dict__.pop("_prompt_cache", None)  # the weights may change
        return super().train(mode)

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
            **({} if self.feature_config.rig is BANDAI else {"rig": self.feature_config.rig.name}),
            **(extra or {}),
        }
        return save_weights(Path(path), dict(self.state_dict()), meta)

    @classmethod
    def shared(cls, path: str | Path | None = None, device: str = "auto") -> MoLingo:
        """:meth:`load`, once per process for each file (its path, size and modification
        time) and device: the robots a process serves share one model (sampling only reads
        it). A changed file is loaded again."""
        path = Path(path) if path is not None else default_model_path()
        stat = path.stat() if path.exists() else None
        key = (str(path.resolve()), stat and (stat.st_size, stat.st_mtime_ns), device)
        with _SHARED_LOCK:
            if key not in _SHARED:
                _SHARED[key] = cls.load(path, device)
            return _SHARED[key]

    @classmethod
    def load(cls, path: str | Path | None = None, device: str = "auto") -> MoLingo:
        """Load a model file (default: the shipped one). Raises
        :class:`~molingo_ros.model.checkpoint.CheckpointError` on a missing, corrupt,
        truncated or mismatched file."""
        path = Path(path) if path is not None else default_model_path()
        tensors, meta = load_weights(path, MODEL_KIND)
        try:
            sae_cfg = SAEConfig(**json.loads(meta["sae_config"]))
            gen_cfg = GeneratorConfig(**json.loads(meta["generator_config"]))
            text_cfg = TextEncoderConfig(**json.loads(meta["text_config"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path}: bad or missing config metadata: {exc}") from exc
        rig = RIGS.get(meta.get("rig", ""))  # absent: Bandai (or SMPL-22 by the feature size)
        model = cls(sae_cfg, gen_cfg, text_cfg, FeatureConfig(rig=rig) if rig else None)
        load_state_strict(model, tensors, path)
        model.metadata = meta
        return model.to(resolve_device(device)).eval()


__all__ = ["MODEL_KIND", "MoLingo", "default_model_path"]
