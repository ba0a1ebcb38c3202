"""A tiny SAE run for the multi-process tests; run as a script under torchrun
(``torchrun --nproc_per_node 2 test/distributed_helpers.py OUT STEPS``) it trains it, and
every process also writes the weights it holds at each check of the replicas to
``OUT/rank<R>.pt``, so that a test can compare the processes' copies."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

import molingo_ros.model.training.sae as sae_training
from molingo_ros.model.sae import SAEConfig
from molingo_ros.model.training.data import DataConfig
from molingo_ros.model.training.distributed import ParallelConfig
from molingo_ros.model.training.sae import SAETrainConfig


def tiny_sae_config(out: Path, steps: int, accumulate: int = 1) -> SAETrainConfig:
    """An SAE run of ``steps`` steps of 4 windows of 16 frames, width 16 (cached data)."""
    return SAETrainConfig(
        sae=SAEConfig(width=16, res_depth=1),
        data=DataConfig(captions_per_label=2, composed_sequences=12),
        parallel=ParallelConfig(accumulate=accumulate),
        window_frames=16,
        batch=4,
        steps=steps,
        warmup=1,
        device="cpu",
        threads=1,
        log_every=1,
        out=Path(out),
    )


def _main(out: str, steps: str) -> None:
    check = sae_training.check_replicas

    def spy(world, module) -> None:  # every process's weights at each check
        torch.save(module.state_dict(), Path(out) / f"rank{world.rank}.pt")
        check(world, module)

    sae_training.check_replicas = spy
    sae_training.train_sae(tiny_sae_config(Path(out), int(steps)), progress=False)


if __name__ == "__main__":
    _main(*sys.argv[1:3])
