"""Named model sizes (molingo_ros.model.sizes): small is the shipped model, base has
MoLingo's base dimensions (~191 M generator parameters), explicit values override a size, and
a model of another size saved as a bundle loads and generates (its file records its config)."""

from __future__ import annotations

import json

import pytest
import torch

from molingo_ros.model.bundle import MoLingo, default_model_path
from molingo_ros.model.checkpoint import read_safetensors
from molingo_ros.model.generator import GeneratorConfig, MotionGenerator
from molingo_ros.model.sae import MotionAutoencoder, SAEConfig
from molingo_ros.model.sampler import generate
from molingo_ros.model.sampler_config import SamplerConfig
from molingo_ros.model.sizes import CUSTOM, SIZES, sized_generator, sized_sae


def _parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_small_is_the_shipped_model():
    _, meta = read_safetensors(default_model_path())
    assert sized_sae("small") == SAEConfig(**json.loads(meta["sae_config"]))
    shipped = GeneratorConfig(**json.loads(meta["generator_config"]))
    assert sized_generator("small", shipped) == shipped
    assert sized_generator("small") == GeneratorConfig()  # the generator's defaults


def test_base_has_molingos_base_dimensions_and_size():
    gen = sized_generator("base")
    assert (gen.dim, gen.layers, gen.heads, gen.flow_width, gen.flow_depth) == (
        768, 12, 12, 1024, 6,
    )  # fmt: skip
    assert gen.adapter_layers == 6 and sized_sae("base").width == 1024
    with torch.device("meta"):  # no memory for the weights
        generator, sae = MotionGenerator(gen), MotionAutoencoder(sized_sae("base"))
        medium = MotionGenerator(sized_generator("medium"))
    assert 185e6 < _parameters(generator) < 200e6  # MoLingo's base: about 191 M
    assert 60e6 < _parameters(sae) < 90e6
    assert 2.5e6 < _parameters(medium) < _parameters(generator)
    for size in SIZES.values():
        assert size.dim % size.heads == 0


def test_custom_keeps_the_given_config_and_unknown_sizes_are_refused():
    own = GeneratorConfig(dim=48, heads=3)
    assert sized_generator(CUSTOM, own) is own
    assert sized_sae(CUSTOM) == SAEConfig()
    assert sized_generator("base", own).command_age_tokens == own.command_age_tokens
    with pytest.raises(ValueError, match="valid: custom, small, medium, base"):
        sized_sae("huge")


def test_a_model_of_another_size_loads_from_its_file_and_generates(tmp_path):
    sae = SAEConfig(width=24, res_depth=1)
    gen = GeneratorConfig(
        dim=48, layers=2, heads=3, flow_width=40, flow_depth=2, adapter_layers=1, max_tokens=32
    )
    torch.manual_seed(0)
    path = MoLingo(sae, gen).save(tmp_path / "odd.safetensors")
    model = MoLingo.load(path, device="cpu")
    assert model.sae.config == sae and model.generator.config == gen
    fast = SamplerConfig(
        window_tokens=4, emit_tokens=4, history_tokens=8, iterations=2, flow_steps=2
    )
    motion = generate(model, [("walk forward", 0.0)], 1.0, fast)
    assert motion.num_frames == 30
    assert torch.isfinite(torch.from_numpy(motion.positions_m)).all()
