"""molingo eval end to end on a small random model: the real motions score high, the
retrieval baseline sits near them, an untrained generator far away (the metrics can fail);
the command line's flags (every flag of before, the sampler's from SamplerConfig)."""

from __future__ import annotations

import contextlib
import io

import pytest
import torch

from molingo_ros.model.evaluation.protocol import (
    EVAL_FLAGS,
    SAMPLER_FLAGS,
    EvalConfig,
    evaluate,
    main,
)
from molingo_ros.model.evaluation.report import markdown
from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sae import SAEConfig
from molingo_ros.model.sampler import MoLingo, SamplerConfig
from molingo_ros.settings import settings_of


@pytest.mark.slow
def test_eval_table_on_real_data(tmp_path):
    torch.manual_seed(0)
    model = MoLingo(
        SAEConfig(width=32, res_depth=1),
        GeneratorConfig(
            dim=32, layers=1, heads=2, flow_width=32, flow_depth=1, adapter_layers=1, max_tokens=32
        ),
    )
    path = model.save(tmp_path / "untrained.safetensors")
    cfg = EvalConfig(
        models={"untrained": path},
        repeats=2,
        composed=4,
        mmodality_prompts=3,
        mmodality_samples=2,
        sets=("test", "composed"),
        sampler=SamplerConfig(iterations=2, flow_steps=2),
        reconstruction=True,
    )
    results = evaluate(cfg, progress=False)
    test = results["rows"]["test"]
    recon = "untrained (SAE reconstruction)"
    assert set(test) == {"real", "retrieval", "untrained", recon}
    assert test[recon]["fid"]["runs"] == 1  # deterministic: one run
    assert test["real"]["r3"]["mean"] > 0.8  # the evaluator recognises real test motions
    assert test["real"]["fid"]["mean"] == pytest.approx(0.0, abs=1e-6)
    assert test["retrieval"]["fid"]["mean"] < test["untrained"]["fid"]["mean"]
    assert test["untrained"]["r3"]["mean"] < 0.4  # near chance (3/32) for an untrained model
    assert test["untrained"]["fid"]["runs"] == 2 and "mmodality" in test["untrained"]
    assert "seam_jerk_ratio" in results["rows"]["composed"]["untrained"]
    # turning rate against the real take of the same prompt, on the walks and runs
    assert test["real"]["turn_err"]["mean"] == 0.0
    assert test["untrained"]["turn_err"]["mean"] > test["retrieval"]["turn_err"]["mean"] > 0.0
    assert "turn_err" not in results["rows"]["composed"]["untrained"]
    table = markdown(results)
    assert "| real |" in table and "| untrained |" in table and "R@3" in table


def test_an_unknown_split_or_no_prompt_set_is_refused_by_name():
    with pytest.raises(ValueError, match="valid: test, val"):
        evaluate(EvalConfig(split="train"))
    with pytest.raises(ValueError, match="no prompt sets chosen"):
        evaluate(EvalConfig(sets=("nope",), composed=0))


def test_every_flag_of_the_command_line_is_listed():
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["--help"])
    text = out.getvalue()
    for flag in (
        "--model", "--repeats", "--composed", "--mmodality-prompts", "--out", "--markdown",
        "--cfg", "--cfg-schedule", "--flow-steps", "--iterations", "--window-tokens",
        "--history-tokens", "--sets", "--split", "--foot-lock", "--threads",
        "--reconstruction", "--quiet",
    ):  # fmt: skip
        assert flag in text, flag
    assert "classifier-free guidance scale" in text  # the sampler's own description
    assert [s.name for s in settings_of(SamplerConfig, SAMPLER_FLAGS)] == list(SAMPLER_FLAGS)
    assert [s.name for s in settings_of(EvalConfig, EVAL_FLAGS)] == list(EVAL_FLAGS)


def test_bad_command_lines_are_refused_before_any_work(capsys):
    with pytest.raises(SystemExit, match="--model wants NAME=PATH, got 'bad'"):
        main(["--model", "bad"])
    with pytest.raises(SystemExit) as exit_info:
        main(["--cfg-schedule", "quadratic"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'quadratic'" in capsys.readouterr().err
