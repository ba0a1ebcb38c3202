"""Model files (molingo_ros.model.training): atomic safetensors writes and clear errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from molingo_ros.model.training import CheckpointError, read_safetensors, save_weights


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
