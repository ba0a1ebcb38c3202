"""Generator training (molingo_ros.model.training.generator): a run from a latent pack within
a wall-clock budget, training windows with command ages, starting from a bundle's generator.
Real data, the shipped SAE."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from model_helpers import latent_pack, tiny_generator_config
from safetensors import safe_open

from molingo_ros.model.generator import GeneratorConfig, MotionGenerator
from molingo_ros.model.sampler import MoLingo, default_model_path
from molingo_ros.model.training.generator import (
    StepBudget,
    WeightAverage,
    init_generator,
    sample_batch,
    train_generator,
)
from molingo_ros.model.training.generator_config import GeneratorTrainConfig
from molingo_ros.model.training.latents import load_sae, training_sequences


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> GeneratorTrainConfig:
    return tiny_generator_config(tmp_path_factory.mktemp("gen") / "run")


@pytest.fixture(scope="module")
def pack() -> Path:
    return latent_pack()


def test_training_from_a_pack_within_a_time_budget(config, pack):
    cfg = replace(config, pack=pack, steps=100_000, time_budget=2.0)
    path = train_generator(cfg, progress=False)
    model = MoLingo.load(path, device="cpu")  # a complete, loadable bundle
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    steps = int(meta["step"])
    assert 50 <= steps < 100_000
    assert json.loads(meta["train_config"])["steps"] == steps  # the fitted count is recorded
    for name, value in model.sae.state_dict().items():  # the SAE is the one given
        assert torch.equal(value, load_sae(config.sae, torch.device("cpu"))[0].state_dict()[name])


def test_training_windows_carry_command_ages(config, pack):
    sae, _ = load_sae(config.sae, torch.device("cpu"))
    cfg = replace(config, pack=pack, batch=256, window_tokens=32, max_prefix_tokens=24)
    captions, seqs, composed = training_sequences(cfg, sae, torch.device("cpu"), False)
    rng = np.random.default_rng(0)
    tokens, valid, prefix, label, age = sample_batch(seqs, composed, cfg, rng, len(captions))
    assert age.shape == valid.shape == (256, 32)
    assert (np.diff(age, axis=1) == 1).all()  # one token older per position
    at_first_hidden = age[np.arange(256), prefix]
    assert (at_first_hidden >= 0).all()  # the command has begun at the first hidden token
    # windows cut at a seam: the history is the previous command's (negative ages)
    at_seam = (at_first_hidden == 0) & (prefix > 0)
    assert at_seam.sum() > 256 * 0.7 * 0.5 * 0.5
    assert (age[at_seam, 0] < 0).all()


def test_init_from_a_bundle_adds_the_command_age_table(tmp_path):
    shipped = MoLingo.load(device="cpu")
    cfg = replace(shipped.generator.config, command_age_tokens=8)
    fresh = MotionGenerator(cfg)
    age_before = fresh.age.weight.detach().clone()
    init_generator(fresh, default_model_path())
    for name, value in shipped.generator.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], value), name
    assert torch.equal(fresh.age.weight, age_before)  # the new table keeps its initialisation
    other = MotionGenerator(GeneratorConfig(dim=64, heads=4))
    with pytest.raises(ValueError, match="does not match"):
        init_generator(other, default_model_path())


def test_the_weight_average_moves_towards_the_live_weights():
    model = torch.nn.Linear(2, 2)
    torch.nn.init.zeros_(model.weight)
    average = WeightAverage(model, decay=0.75)
    with torch.no_grad():
        model.weight.fill_(1.0)
    average.update(model)
    assert torch.allclose(average.state["weight"], torch.full((2, 2), 0.25))
    average.update(model)
    assert torch.allclose(average.state["weight"], torch.full((2, 2), 0.4375))


def test_a_step_budget_fits_the_total_once_timed():
    import time

    assert StepBudget(0.0, 100, 0, time.time()).total(20, 100) == 100  # no budget
    budget = StepBudget(1e6, 500, 0, time.time())
    assert budget.total(20, 500) == 500  # timing starts at step 20
    time.sleep(0.01)
    assert budget.total(50, 500) == 500  # 30 steps in 10 ms: all 500 fit
    short = StepBudget(1e-3, 500, 0, time.time() - 1.0)  # its time is already spent
    short.total(20, 500)
    time.sleep(0.01)
    assert short.total(50, 500) == 51  # at least one more step
