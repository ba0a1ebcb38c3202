"""The settings of one generator training run (:class:`GeneratorTrainConfig`), apart from
the code that uses them so that the latent packs (:mod:`.latents`) and the training loop
(:mod:`.generator`) share them without importing each other."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sizes import size_setting
from molingo_ros.model.text import TextEncoderConfig
from molingo_ros.model.training.data import DataConfig
from molingo_ros.model.training.distributed import ParallelConfig
from molingo_ros.model.training.run import (
    checkpoint_every_setting,
    device_setting,
    log_every_setting,
    out_setting,
    seed_setting,
    threads_setting,
)
from molingo_ros.settings import setting


@dataclass(frozen=True)
class GeneratorTrainConfig:
    """One generator training run.

    Attributes:
        generator: the architecture (``conditioning="adaln"`` is the ablation).
        size: the named size the architecture was set from (:mod:`molingo_ros.model.sizes`;
            the command line applies it, ``generator`` holds the result).
        parallel: gradient accumulation, bfloat16 autocast (:mod:`.distributed`).
        sae: path of the trained SAE (safetensors from train_sae).
        data, text: as for the SAE.
        window_tokens: tokens per training window (4 frames each).
        max_prefix_tokens: longest visible history.
        no_prefix_fraction: windows generated from scratch (no history).
        seam_fraction: of the windows with history, those whose history ends at a seam of a
            multi-segment sequence (the text is the next segment's).
        cond_drop: share of captions replaced by the null prompt (for CFG).
        pack: train from a latent pack (:func:`~.latents.export_pack`) instead of the
            dataset.
        time_budget: if > 0, seconds of training: after timing the first steps, ``steps``
            becomes what fits (never more than ``steps``); the cosine schedule follows.
        init: start from the generator of this model bundle (same architecture; a command-age
            table it lacks starts fresh), e.g. to add the command-age input to a trained one.
    """

    generator: GeneratorConfig = GeneratorConfig()
    size: str = size_setting()
    parallel: ParallelConfig = ParallelConfig()
    sae: Path = setting(
        Path("runs/sae/sae.safetensors"),
        "the trained SAE: an SAE file (molingo train sae) or a model file (its SAE)",
    )
    data: DataConfig = DataConfig()
    text: TextEncoderConfig = TextEncoderConfig()
    window_tokens: int = setting(
        24, "tokens per training window, history included (4 frames each)", range=(2, 4096)
    )
    max_prefix_tokens: int = setting(
        12,
        "longest visible history in training (use >= the sampler's history_tokens)",
        range=(1, 4095),
    )
    no_prefix_fraction: float = setting(
        0.3, "share of windows generated from scratch (no history)", range=(0.0, 1.0)
    )
    seam_fraction: float = setting(
        0.5,
        "of the windows with a history, the share whose history ends at a seam of a "
        "multi-segment sequence",
        range=(0.0, 1.0),
    )
    cond_drop: float = setting(
        0.1, "share of captions replaced by the null prompt (for guidance)", range=(0.0, 1.0)
    )
    batch: int = setting(32, "windows per step", range=(1, 65536))
    steps: int = setting(6000, "optimisation steps (AdamW, cosine schedule)", range=(1, 10**9))
    lr: float = setting(5e-4, "peak learning rate", range=(0.0, 1.0))
    warmup: int = setting(300, "steps of linear learning-rate warm-up", range=(0, 10**9))
    weight_decay: float = setting(0.02, "AdamW weight decay of the weight matrices")
    grad_clip: float = setting(3.0, "gradient-norm clip")
    ema: float = setting(
        0.999, "decay of the weights' moving average (the saved model)", range=(0.0, 1.0)
    )
    seed: int = seed_setting()
    device: str = device_setting()
    threads: int = threads_setting()
    log_every: int = log_every_setting()
    checkpoint_every: int = checkpoint_every_setting()
    out: Path = out_setting(Path("runs/gen"))
    pack: Path | None = None
    time_budget: float = setting(
        0.0,
        "seconds of training: the step count (at most --steps) is fitted to this wall-clock "
        "budget after timing the first steps (0 = off)",
    )
    init: Path | None = None


__all__ = ["GeneratorTrainConfig"]
