"""A tiny retrieval evaluator for the evaluator's tests (training, checkpoint, embedding):
small enough to build and train for a few steps in seconds."""

from __future__ import annotations

import torch

from molingo_ros.model.evaluation.evaluator import EvaluatorConfig, RetrievalEvaluator

TINY = EvaluatorConfig(
    dim=64,
    motion_layers=1,
    text_layers=1,
    heads=4,
    batch=16,
    min_frames=30,
    max_frames=90,
    captions_per_label=3,
    lr=1e-3,
    warmup_steps=1,
    steps=20,
    seed=0,
)


def tiny_evaluator(dataset, config: EvaluatorConfig = TINY) -> RetrievalEvaluator:
    """A fresh evaluator (seed 0) normalised by ``dataset``'s feature statistics."""
    torch.manual_seed(0)
    return RetrievalEvaluator(config, dataset.normalizer.mean, dataset.normalizer.std)
