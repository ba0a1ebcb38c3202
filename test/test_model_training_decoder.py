"""The SAE decoder of a model bundle (molingo_ros.model.training.decoder): fine-tuned with the
encoder and the generator kept, seeded, recorded in the metadata, and copied between bundles
of one encoder."""

from __future__ import annotations

import json

import pytest
import torch

from molingo_ros.model.bundle import MoLingo
from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sae import SAEConfig
from molingo_ros.model.training.decoder import copy_decoder, finetune_decoder

SMALL = SAEConfig(width=32, res_depth=1)


def test_decoder_finetuning_keeps_encoder_and_generator(tmp_path):
    torch.manual_seed(0)
    gen = GeneratorConfig(
        dim=32, layers=1, heads=2, flow_width=32, flow_depth=1, adapter_layers=1, max_tokens=16
    )
    src = MoLingo(SMALL, gen).save(tmp_path / "a.safetensors")
    out = finetune_decoder(src, tmp_path / "b.safetensors", steps=3, batch=4, progress=False)
    a, b = MoLingo.load(src, device="cpu"), MoLingo.load(out, device="cpu")
    sa, sb = a.state_dict(), b.state_dict()
    assert all(
        torch.equal(sa[k], sb[k])
        for k in sa
        if not k.startswith(("sae.decoder", "sae.from_latent"))
    )
    assert any(not torch.equal(sa[k], sb[k]) for k in sa if k.startswith("sae.decoder"))
    # the fine-tuned decoder can be given to another bundle with the same encoder
    other = MoLingo(SMALL, gen)
    other.sae.load_state_dict(a.sae.state_dict())
    other_path = other.save(tmp_path / "c.safetensors")
    merged = MoLingo.load(copy_decoder(out, other_path, tmp_path / "d.safetensors"), device="cpu")
    assert torch.equal(merged.sae.decoder[0].weight, b.sae.decoder[0].weight)
    with pytest.raises(ValueError, match="different SAE encoders"):
        copy_decoder(
            out,
            MoLingo(SAEConfig(width=32, res_depth=1), gen).save(tmp_path / "e.st"),
            tmp_path / "f.safetensors",
        )


def test_decoder_finetuning_with_latent_noise_is_seeded_and_recorded(tmp_path):
    gen = GeneratorConfig(
        dim=32, layers=1, heads=2, flow_width=32, flow_depth=1, adapter_layers=1, max_tokens=16
    )
    src = MoLingo(SMALL, gen).save(tmp_path / "a.safetensors")

    def tune(name: str, noise: float) -> MoLingo:
        out = finetune_decoder(
            src, tmp_path / name, steps=3, batch=4, progress=False, latent_noise=noise
        )
        return MoLingo.load(out, device="cpu")

    a, b, clean = tune("a1.st", 0.5), tune("a2.st", 0.5), tune("c.st", 0.0)
    weight = "sae.decoder.0.weight"
    assert torch.equal(a.state_dict()[weight], b.state_dict()[weight])
    assert not torch.equal(a.state_dict()[weight], clean.state_dict()[weight])
    assert json.loads(a.metadata["decoder_finetune"])["latent_noise"] == 0.5
    with pytest.raises(ValueError, match="latent_noise must be >= 0"):
        finetune_decoder(src, tmp_path / "x.st", steps=1, progress=False, latent_noise=-1)


def test_derived_bundles_keep_the_sources_other_metadata(tmp_path):
    gen = GeneratorConfig(
        dim=32, layers=1, heads=2, flow_width=32, flow_depth=1, adapter_layers=1, max_tokens=16
    )
    torch.manual_seed(0)
    src = MoLingo(SMALL, gen).save(tmp_path / "a.safetensors", {"skills": "[1, 2]"})
    other = MoLingo(SMALL, gen)
    other.sae.load_state_dict(MoLingo.load(src, device="cpu").sae.state_dict())
    target = other.save(tmp_path / "b.safetensors", {"calibration": "x"})
    merged = MoLingo.load(copy_decoder(src, target, tmp_path / "c.safetensors"), device="cpu")
    assert merged.metadata["calibration"] == "x" and merged.metadata["decoder_from"] == str(src)
    assert "skills" not in merged.metadata  # the target's metadata, not the source's
