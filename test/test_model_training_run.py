"""What every training run shares (molingo_ros.model.training.run): the learning-rate
schedule, seeding, the run's folder and config, resuming from last.pt, the CSV log and plot."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from molingo_ros.model.sae import SAEConfig
from molingo_ros.model.training.run import (
    RESUME_FILE,
    TrainLog,
    config_to_json,
    cosine_lr,
    device_setting,
    out_setting,
    resume,
    seed_everything,
    seed_setting,
    start_run,
    threads_setting,
)
from molingo_ros.settings import settings_of


@dataclass(frozen=True)
class Run:
    sae: SAEConfig = SAEConfig()
    seed: int = seed_setting()
    device: str = device_setting()
    threads: int = threads_setting()
    out: Path = out_setting(Path("runs/x"))


def test_cosine_schedule_warms_up_then_decays_to_the_floor():
    assert cosine_lr(0, 100, 10, 1.0) == pytest.approx(0.1)
    assert cosine_lr(9, 100, 10, 1.0) == pytest.approx(1.0)
    assert cosine_lr(10, 100, 10, 1.0) == pytest.approx(1.0)
    assert cosine_lr(55, 100, 10, 1.0) == pytest.approx(0.55)  # half way: (1 + 0.1) / 2
    assert cosine_lr(100, 100, 10, 2.0) == pytest.approx(0.2)
    assert cosine_lr(500, 100, 10, 2.0) == pytest.approx(0.2)


def test_seeding_repeats_the_draws():
    seed_everything(3)
    a = (np.random.rand(), torch.rand(2))
    seed_everything(3)
    b = (np.random.rand(), torch.rand(2))
    assert a[0] == b[0] and torch.equal(a[1], b[1])


def test_the_run_settings_are_documented_fields():
    names = [s.name for s in settings_of(Run)]
    assert names == ["seed", "device", "threads", "out"]
    assert all(s.description for s in settings_of(Run))
    assert Run().out == Path("runs/x") and Run().device == "auto"


def test_a_run_starts_in_its_folder_with_its_config(tmp_path):
    cfg = Run(device="cpu", out=tmp_path / "run")
    device, out = start_run(cfg)
    assert device == torch.device("cpu") and out == tmp_path / "run"
    written = json.loads((out / "config.json").read_text())
    assert written == json.loads(config_to_json(cfg))
    assert written["out"] == str(tmp_path / "run") and written["sae"]["width"] == 128


def test_resume_loads_the_last_checkpoint(tmp_path):
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    assert resume(tmp_path, torch.device("cpu"), model, opt) is None  # a fresh run
    saved = {k: v + 1 for k, v in model.state_dict().items()}
    torch.save({"model": saved, "opt": opt.state_dict(), "step": 7}, tmp_path / RESUME_FILE)
    state = resume(tmp_path, torch.device("cpu"), model, opt)
    assert state is not None and state["step"] == 7
    assert torch.equal(model.weight, saved["weight"])


def test_the_log_appends_reloads_and_plots(tmp_path):
    log = TrainLog(tmp_path / "log.csv")
    log.add(1, {"loss": 2.0, "lr": 0.1})
    log.add(2, {"loss": 1.0, "lr": 0.1})
    again = TrainLog(tmp_path / "log.csv")
    assert again.rows == [
        {"step": 1.0, "loss": 2.0, "lr": 0.1},
        {"step": 2.0, "loss": 1.0, "lr": 0.1},
    ]
    again.add(3, {"loss": 0.5, "lr": 0.1})
    assert (tmp_path / "log.csv").read_text().count("\n") == 4  # header and three rows
    png = again.plot(tmp_path / "loss.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
