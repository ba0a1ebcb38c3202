"""The model bundle (molingo_ros.model.bundle): a saved file loads to the same weights, is
readable by others, and bad files give clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from molingo_ros.model.bundle import MODEL_KIND, MoLingo, default_model_path
from molingo_ros.model.checkpoint import CheckpointError, read_safetensors
from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sae import SAEConfig

SAE = SAEConfig(width=32, res_depth=1)
GEN = GeneratorConfig(
    dim=32, layers=1, heads=2, flow_width=32, flow_depth=1, adapter_layers=1, max_tokens=32
)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    model = MoLingo(SAE, GEN)
    return model.save(tmp_path_factory.mktemp("model") / "tiny.safetensors", {"note": "x"})


@pytest.fixture(scope="module")
def model(model_file) -> MoLingo:
    return MoLingo.load(model_file, device="cpu")


def test_round_trip(model_file, model):
    assert model_file.stat().st_mode & 0o777 == 0o644  # readable by others: made for sharing
    again = MoLingo.load(model_file, device="cpu")
    for (k, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items(), strict=True):
        assert torch.equal(a, b), k


def test_bad_files_give_clear_errors(tmp_path, model_file):
    with pytest.raises(CheckpointError, match="does not exist"):
        MoLingo.load(tmp_path / "none.safetensors")
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(model_file.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        MoLingo.load(truncated)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError):
        MoLingo.load(garbage)
    other = MoLingo(SAE, GeneratorConfig(**{**GEN.__dict__, "dim": 48}))
    # a file whose metadata says dim 32 but whose tensors are dim 48
    bad_meta = other.save(
        tmp_path / "mismatch.safetensors",
        {"generator_config": json.dumps(GEN.__dict__)},
    )
    with pytest.raises(CheckpointError, match="does not match"):
        MoLingo.load(bad_meta)


def test_the_file_names_its_kind_and_configs(model_file, model):
    _, meta = read_safetensors(model_file)
    assert meta["kind"] == MODEL_KIND and meta["note"] == "x"
    assert json.loads(meta["generator_config"])["dim"] == 32
    assert json.loads(meta["sae_config"])["width"] == 32
    assert model.generator.config == GEN and model.sae.config == SAE
    assert model.metadata["note"] == "x" and not model.training


def test_the_shipped_model_is_where_the_default_points():
    path = default_model_path()
    assert path.name == "molingo.safetensors" and path.is_file()
    assert read_safetensors(path)[1]["kind"] == MODEL_KIND


def test_prompt_memory_is_the_text_memory_encoded_once(model, monkeypatch):
    from molingo_ros.model import bundle

    memory, pad = model.prompt_memory("a person waves")
    ref_memory, ref_pad = model.text_memory(["a person waves"])
    assert torch.equal(memory, ref_memory) and torch.equal(pad, ref_pad)
    assert not memory.requires_grad
    assert model.prompt_memory("a person waves")[0] is memory  # remembered
    calls = []
    monkeypatch.setattr(model, "text_memory", lambda texts: calls.append(texts) or (memory, pad))
    model.prepare_prompts(["a person bows", "a person waves", "a person bows"])
    assert calls == [["a person bows"]]  # only what was not known yet
    monkeypatch.setattr(bundle, "PROMPT_CACHE", 2)
    model.prompt_memory("a person kicks")  # the oldest ("a person waves") is forgotten
    model.prompt_memory("a person waves")
    assert calls[-1] == ["a person waves"]
    model.train(False)  # eval() too: the weights may have changed
    model.prompt_memory("a person bows")
    assert calls[-1] == ["a person bows"]
