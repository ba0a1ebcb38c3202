"""Turning rate of generated locomotion, window by window, against the real takes.

    .venv/bin/python tools/turning.py [MODEL ...] [--seconds 8.5] [--samples 24]

For "walks forward" (should stay straight) and "walks turning left" (the real takes: ~1 s
straight, a turn of ~90 degrees at 45-70 deg/s over ~2 s, then straight on) prints the mean
turning rate (deg/s, counter-clockwise positive) of each 32-frame span of the generated
motion; then the real training takes of the same labels for reference.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from molingo_ros.model.evaluation.generation import generate_batch
from molingo_ros.model.evaluation.prompts import PromptItem
from molingo_ros.model.sampler import MoLingo, SamplerConfig
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.features import integrate_root

SPAN = 32
PROMPTS = {"walk": "a person walks forward", "walk-turn-left": "a person walks turning left"}


def span_rates(features: np.ndarray) -> np.ndarray:
    """Turning rate (deg/s) of each 32-frame span."""
    h = np.degrees(integrate_root(features, 21).heading_rad)
    ends = list(range(0, len(h) - 1, SPAN))
    return np.array([(h[min(k + SPAN, len(h) - 1)] - h[k]) * 30.0 / SPAN for k in ends])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--seconds", type=float, default=8.5)
    parser.add_argument("--samples", type=int, default=24)
    parser.add_argument("--history", type=int, default=SamplerConfig.history_tokens)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    frames = int(args.seconds * 30) // 4 * 4
    dummy = np.zeros((frames, 257), dtype=np.float32)
    sampler = SamplerConfig(history_tokens=args.history)
    for path in args.models or [None]:
        model = MoLingo.load(path, device="cpu")
        for text in PROMPTS.values():
            items = [PromptItem([(text, 0)], frames, dummy) for _ in range(args.samples)]
            rates = np.array([span_rates(f) for f in generate_batch(model, items, sampler, 0)])
            print(f"{path or 'shipped'} | {text} | {np.round(rates.mean(0), 1).tolist()}")
    dataset = build_dataset(progress=False)
    for label in PROMPTS:
        takes = [
            span_rates(np.asarray(dataset.clip_features(i)))
            for i in dataset.indices("train")
            if dataset.records[i].content == label
        ]
        # span k averaged over the takes long enough to have it (at least a quarter of them)
        spans = max(len(t) for t in takes)
        mean = [np.mean([t[k] for t in takes if len(t) > k]) for k in range(spans)]
        mean = [m for k, m in enumerate(mean) if sum(len(t) > k for t in takes) >= len(takes) / 4]
        print(f"real training takes | {label} ({len(takes)}) | {np.round(mean, 1).tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
