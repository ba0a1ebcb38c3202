"""Model files (molingo_ros.model.checkpoint): atomic safetensors writes, the kind of model
they hold, strict loading and clear errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from molingo_ros.model.checkpoint import (
    CheckpointError,
    load_state_strict,
    load_weights,
    read_safetensors,
    save_weights,
)


def test_concurrent_writers_of_one_path_leave_one_whole_file(tmp_path: Path):
    path = tmp_path / "model.safetensors"
    big = {f"w{i}": torch.full((256, 256), float(i)) for i in range(8)}  # 2 MB each

    errors: list[Exception] = []

    def write(k: int) -> None:
        try:
            for _ in range(3):
                save_weights(path, {n: v + k for n, v in big.items()}, {"writer": str(k)})
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    tensors, meta = read_safetensors(path)
    k = int(meta["writer"])
    for name, value in big.items():  # every tensor from the writer the metadata names
        assert torch.equal(tensors[name], value + k)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_truncated_file_is_a_checkpoint_error(tmp_path: Path):
    path = save_weights(tmp_path / "m.safetensors", {"w": torch.ones(64, 64)}, {})
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        read_safetensors(path)


def test_a_missing_file_and_another_kind_of_model_are_named(tmp_path: Path):
    with pytest.raises(CheckpointError, match="does not exist"):
        read_safetensors(tmp_path / "none.safetensors")
    path = save_weights(tmp_path / "sae.safetensors", {"w": torch.ones(2)}, {"kind": "molingo-sae"})
    tensors, meta = load_weights(path, "molingo-sae")
    assert meta["kind"] == "molingo-sae" and torch.equal(tensors["w"], torch.ones(2))
    with pytest.raises(CheckpointError, match="holds a 'molingo-sae' model, expected 'molingo'"):
        load_weights(path, "molingo")


def test_strict_loading_lists_missing_unexpected_and_misshaped_tensors(tmp_path: Path):
    module = torch.nn.Linear(3, 2)
    good = {k: torch.full_like(v, 0.5) for k, v in module.state_dict().items()}
    load_state_strict(module, good, tmp_path / "m.safetensors")
    assert torch.equal(module.weight, torch.full((2, 3), 0.5))
    bad = {"weight": torch.zeros(2, 4), "extra": torch.zeros(1)}
    with pytest.raises(CheckpointError) as info:
        load_state_strict(module, bad, tmp_path / "m.safetensors")
    message = str(info.value)
    assert "missing ['bias']" in message and "unexpected ['extra']" in message
    assert "weight: file (2, 4) vs model (2, 3)" in message
    assert torch.equal(module.weight, torch.full((2, 3), 0.5))  # left as it was
