"""The training command lines (molingo_ros.model.training.commands): every flag of before is
still there, flags land in the config fields they name (a real run's config.json), flag
errors are refused, and the decoder commands write their files."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from molingo_ros.model.bundle import MoLingo, default_model_path
from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sae import SAEConfig
from molingo_ros.model.training.commands import (
    add_run_flags,
    evaluator_main,
    generator_main,
    sae_main,
)
from molingo_ros.model.training.sae import SAETrainConfig

SAE_FLAGS = (
    "--size --accumulate --bf16 "
    "--out --steps --batch --semantic-weight --root-weight --width --device --threads --quiet "
    "--finetune-decoder --latent-noise --copy-decoder"
).split()
GENERATOR_FLAGS = (
    "--size --accumulate --bf16 "
    "--sae --out --steps --batch --conditioning --dim --layers --heads --flow-width "
    "--command-age-tokens --captions-per-label --init --lr --warmup --pack --export-pack "
    "--time-budget --window-tokens --max-prefix-tokens --device --threads --quiet"
).split()


def _help(main, argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main([*argv, "--help"])
    return out.getvalue()


@pytest.mark.parametrize(
    ("main", "argv", "flags"),
    [
        (sae_main, [], SAE_FLAGS),
        (generator_main, [], GENERATOR_FLAGS),
        (
            evaluator_main,
            ["train"],
            "--out --steps --batch --seed --corrupt-negatives --accumulate --bf16 --device "
            "--no-progress".split(),
        ),
        (evaluator_main, ["evaluate"], "--weights --split --heldout --originals --repeats".split()),
    ],
)
def test_every_flag_of_before_is_listed(main, argv, flags):
    text = _help(main, argv)
    for flag in [*flags, "--threads"]:
        assert f"{flag} " in text or f"{flag}\n" in text, flag


def test_the_run_flags_default_to_the_config():
    parser = argparse.ArgumentParser()
    add_run_flags(parser, SAETrainConfig)
    args = parser.parse_args([])
    assert (args.out, args.device, args.threads, args.quiet) == (Path("runs/sae"), "auto", 0, False)
    args = parser.parse_args(["--out", "x", "--device", "cpu", "--threads", "2", "--quiet"])
    assert (args.out, args.device, args.threads, args.quiet) == (Path("x"), "cpu", 2, True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-prefix-tokens", "40"], "--max-prefix-tokens must be >= 1 and below"),
        (["--captions-per-label", "0"], "--captions-per-label must be >= 1"),
        (["--dim", "130", "--heads", "4"], "--dim 130 must be a multiple of --heads 4"),
        (["--conditioning", "film"], "invalid choice: 'film'"),
    ],
)
def test_bad_generator_flags_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        generator_main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_the_decoder_commands_write_their_files(tmp_path, capsys):
    gen = GeneratorConfig(
        dim=32, layers=1, heads=2, flow_width=32, flow_depth=1, adapter_layers=1, max_tokens=16
    )
    small = SAEConfig(width=32, res_depth=1)
    torch.manual_seed(0)
    src = MoLingo(small, gen).save(tmp_path / "a.safetensors")
    tuned = tmp_path / "tuned.safetensors"
    assert sae_main(["--finetune-decoder", str(src), "--out", str(tuned), "--steps", "2",
                     "--batch", "2", "--latent-noise", "0.5", "--quiet"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out) == {"weights": str(tuned)}
    recorded = json.loads(MoLingo.load(tuned, device="cpu").metadata["decoder_finetune"])
    assert recorded == {"from": str(src), "steps": 2, "lr": 2e-4, "latent_noise": 0.5}
    other = MoLingo(small, gen)
    other.sae.load_state_dict(MoLingo.load(src, device="cpu").sae.state_dict())
    target = other.save(tmp_path / "b.safetensors")
    copied = tmp_path / "c.safetensors"
    assert sae_main(["--copy-decoder", str(tuned), str(target), "--out", str(copied)]) == 0
    assert MoLingo.load(copied, device="cpu").metadata["decoder_from"] == str(tuned)


def test_generator_flags_land_in_the_runs_config(tmp_path):
    """A run writes its config first; this one then stops at its (foreign) latent pack."""
    out, pack = tmp_path / "run", tmp_path / "other.npz"
    np.savez(pack, encoder=np.asarray("0" * 16))
    argv = [
        "--sae", str(default_model_path()), "--pack", str(pack), "--out", str(out),
        "--steps", "2", "--batch", "3", "--lr", "1e-4", "--warmup", "1", "--window-tokens", "12",
        "--max-prefix-tokens", "6", "--dim", "32", "--layers", "1", "--heads", "2",
        "--flow-width", "32", "--command-age-tokens", "4", "--captions-per-label", "5",
        "--conditioning", "adaln", "--time-budget", "30", "--init", "x.safetensors",
        "--device", "cpu", "--threads", "1", "--quiet",
    ]  # fmt: skip
    threads = torch.get_num_threads()
    try:
        with pytest.raises(ValueError, match="another SAE encoder"):
            generator_main(argv)
    finally:
        torch.set_num_threads(threads)
    cfg = json.loads((out / "config.json").read_text())
    assert (cfg["steps"], cfg["batch"], cfg["lr"], cfg["warmup"]) == (2, 3, 1e-4, 1)
    assert (cfg["window_tokens"], cfg["max_prefix_tokens"], cfg["time_budget"]) == (12, 6, 30.0)
    assert (cfg["sae"], cfg["pack"], cfg["init"]) == (
        str(default_model_path()),
        str(pack),
        "x.safetensors",
    )
    assert (cfg["device"], cfg["threads"], cfg["out"]) == ("cpu", 1, str(out))
    g = cfg["generator"]
    assert (g["dim"], g["layers"], g["heads"], g["flow_width"]) == (32, 1, 2, 32)
    assert (g["command_age_tokens"], g["conditioning"]) == (4, "adaln")
    assert cfg["data"] == {**cfg["data"], "captions_per_label": 5, "composed_sequences": 1500}
    assert cfg["no_prefix_fraction"] == 0.3 and cfg["ema"] == 0.999  # no flag: the default


def test_a_size_sets_the_architecture_and_single_flags_override_it(tmp_path):
    out, pack = tmp_path / "run", tmp_path / "other.npz"
    np.savez(pack, encoder=np.asarray("0" * 16))
    argv = [
        "--sae", str(default_model_path()), "--pack", str(pack), "--out", str(out),
        "--size", "medium", "--dim", "64", "--heads", "4", "--batch", "6", "--device", "cpu",
        "--quiet",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="another SAE encoder"):
        generator_main([*argv, "--accumulate", "3", "--bf16"])
    cfg = json.loads((out / "config.json").read_text())
    g = cfg["generator"]
    assert (g["dim"], g["heads"]) == (64, 4)  # the flags
    assert (g["layers"], g["flow_width"], g["flow_depth"], g["adapter_layers"]) == (8, 512, 4, 4)
    assert cfg["size"] == "medium" and cfg["parallel"] == {"accumulate": 3, "bf16": True}
    with pytest.raises(ValueError, match="multiple of processes x --accumulate = 4"):
        generator_main([*argv, "--accumulate", "4"])
