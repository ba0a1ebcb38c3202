"""Shared pieces of the model training tests: a tiny generator run on the shipped SAE and its
latent pack, exported once per test session (encoding every training sequence takes a while)."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from molingo_ros.model.bundle import default_model_path
from molingo_ros.model.training.data import DataConfig
from molingo_ros.model.training.generator_config import GeneratorTrainConfig
from molingo_ros.model.training.latents import export_pack


def tiny_generator_config(out: Path) -> GeneratorTrainConfig:
    """A generator run of 3 steps of 4 windows on the shipped SAE, 12 composed sequences."""
    return GeneratorTrainConfig(
        sae=default_model_path(),
        data=DataConfig(composed_sequences=12),
        batch=4,
        window_tokens=12,
        max_prefix_tokens=6,
        steps=3,
        warmup=1,
        checkpoint_every=1000,
        device="cpu",
        out=Path(out),
    )


@functools.cache
def latent_pack() -> Path:
    """The latent pack of :func:`tiny_generator_config`'s training sequences (made once)."""
    folder = Path(tempfile.mkdtemp(prefix="molingo_pack_"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return export_pack(tiny_generator_config(folder / "run"), folder / "pack.npz", progress=False)
