"""Training on several processes (molingo_ros.model.training.distributed): how a global
batch is cut into micro-batches, gradients averaged over gloo processes, replicas checked,
and a tiny SAE trained by ``torchrun --nproc_per_node 2`` ending with the same weights on both
processes and as one process with ``--accumulate 2`` (the same global batch), also when a
run resumes on another number of processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from distributed_helpers import tiny_sae_config
from safetensors.torch import load_file

from molingo_ros.model.training.distributed import (
    Parallel,
    ParallelConfig,
    accumulate_gradients,
    all_reduce_gradients,
    autocast,
    check_replicas,
    finish_parallel,
    init_parallel,
    shard_seed,
)
from molingo_ros.model.training.sae import train_sae

TEST_DIR = Path(__file__).resolve().parent
TORCHRUN = Path(sys.executable).with_name("torchrun")


def test_a_global_batch_is_cut_into_equal_micro_batches_of_consecutive_rows():
    second = Parallel(rank=1, world=2)
    assert second.micro_batches(8, 2) == [(2, slice(4, 6)), (3, slice(6, 8))]
    assert Parallel().micro_batches(8, 1) == [(0, slice(0, 8))]
    with pytest.raises(ValueError, match="multiple of processes x --accumulate = 4"):
        second.micro_batches(6, 2)
    assert shard_seed(0, 3, 1) != shard_seed(0, 3, 0) != shard_seed(0, 4, 0)
    assert not Parallel(rank=1, world=2).main and Parallel().main


def test_accumulated_micro_batches_give_the_full_batch_gradient():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    x, y = torch.randn(8, 3), torch.randn(8, 2)
    params = list(model.parameters())

    def loss_of(rows: slice) -> dict[str, torch.Tensor]:
        return {"total": torch.mean((model(x[rows]) - y[rows]) ** 2)}

    losses = accumulate_gradients(Parallel(), loss_of, params, (0, 0, 8, ParallelConfig(4)))
    accumulated = [p.grad.clone() for p in params]
    model.zero_grad()
    loss_of(slice(0, 8))["total"].backward()
    for a, b in zip(accumulated, params, strict=True):
        torch.testing.assert_close(a, b.grad)
    torch.testing.assert_close(losses["total"], loss_of(slice(0, 8))["total"].detach())


def test_bf16_autocast_and_one_process_without_torchrun(monkeypatch):
    with autocast(torch.device("cpu"), True):
        assert torch.nn.Linear(4, 4)(torch.randn(2, 4)).dtype == torch.bfloat16
    with autocast(torch.device("cpu"), False):
        assert torch.nn.Linear(4, 4)(torch.randn(2, 4)).dtype == torch.float32
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    world = init_parallel("cpu")
    assert (world.rank, world.world, world.device) == (0, 1, torch.device("cpu"))
    world.barrier()  # nothing to wait for
    check_replicas(world, torch.nn.Linear(2, 2))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _two_ranks(rank: int, port: int, results) -> None:
    """One of two gloo processes: rank r's gradient is r + 1 everywhere; then the replicas
    check with weights that differ."""
    os.environ.update(
        RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )  # fmt: skip
    world = init_parallel("cpu")
    model = torch.nn.Linear(3, 2)
    torch.nn.init.ones_(model.weight)
    torch.nn.init.ones_(model.bias)
    check_replicas(world, model)  # equal copies pass
    for p in model.parameters():
        p.grad = torch.full_like(p, rank + 1.0)
    all_reduce_gradients(world, list(model.parameters()))
    results.put((rank, float(model.weight.grad.mean()), float(model.bias.grad.mean())))
    with torch.no_grad():
        model.weight[0, 0] += rank
    try:
        check_replicas(world, model)
        results.put((rank, "not detected"))
    except RuntimeError as exc:
        results.put((rank, str(exc)))
    finish_parallel()


def test_gradients_are_averaged_over_gloo_processes_and_differing_replicas_are_caught():
    ctx = torch.multiprocessing.get_context("spawn")
    results = ctx.Queue()
    port = _free_port()
    procs = [ctx.Process(target=_two_ranks, args=(r, port, results)) for r in range(2)]
    for p in procs:
        p.start()
    got = [results.get(timeout=120) for _ in range(4)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    averages = [g for g in got if len(g) == 3]
    assert sorted(averages) == [(0, 1.5, 1.5), (1, 1.5, 1.5)]
    errors = [g[1] for g in got if len(g) == 2]
    assert len(errors) == 2 and all("weights differ" in e for e in errors)


def _torchrun_sae(out: Path, steps: int) -> None:
    cmd = [
        str(TORCHRUN), "--nproc_per_node", "2", "--master_port", str(_free_port()),
        str(TEST_DIR / "distributed_helpers.py"), str(out), str(steps),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_file(str(path / "sae.safetensors"))


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)


@pytest.mark.slow
def test_torchrun_two_processes_equal_one_process_with_the_same_global_batch(tmp_path):
    _torchrun_sae(tmp_path / "two", steps=2)
    rank0 = torch.load(tmp_path / "two" / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "two" / "rank1.pt", weights_only=True)
    for k in rank0:  # both processes hold the same weights
        assert torch.equal(rank0[k], rank1[k]), k
    assert len((tmp_path / "two" / "log.csv").read_text().splitlines()) == 3  # rank 0 only
    one = train_sae(tiny_sae_config(tmp_path / "one", 2, accumulate=2), progress=False)
    _assert_same(_weights(tmp_path / "two"), load_file(str(one)))
    plain = train_sae(tiny_sae_config(tmp_path / "plain", 2), progress=False)
    moved = max(float((load_file(str(plain))[k] - rank0[k]).abs().max()) for k in rank0)
    assert moved > 1e-4  # the comparison means something: one micro-batch differs
    # the two-process run resumes on one process (two micro-batches) for a third step
    train_sae(tiny_sae_config(tmp_path / "two", 3, accumulate=2), progress=False)
    train_sae(tiny_sae_config(tmp_path / "one", 3, accumulate=2), progress=False)
    _assert_same(_weights(tmp_path / "two"), _weights(tmp_path / "one"))


@pytest.mark.slow
def test_torchrun_trains_on_a_humanml3d_folder(tmp_path, data_root):
    """The researcher's path: real Bandai clips exported in the HumanML3D layout, then
    ``torchrun --nproc_per_node 2 -m molingo_ros train sae --data FOLDER`` (gloo): the SAE
    reads the folder's SMPL-22 clips (269 features) and equals a one-process run of the same
    global batch; the generation and retargeting of a folder-trained model are tested in
    test_motion_layout_dataset.py."""
    from molingo_ros.motion.humanml3d_export import ExportConfig, export_layout

    folder = tmp_path / "humanml3d"
    export_layout(folder, ExportConfig(root=data_root, limit=2))
    flags = ["--width", "16", "--batch", "4", "--steps", "2", "--device", "cpu", "--quiet"]
    flags += ["--data", str(folder)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MOLINGO_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [str(TORCHRUN), "--nproc_per_node", "2", "--master_port", str(_free_port())]
    cmd += ["-m", "molingo_ros", "train", "sae", *flags, "--out", str(tmp_path / "two")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    one = [sys.executable, "-m", "molingo_ros", "train", "sae", *flags, "--accumulate", "2"]
    one += ["--out", str(tmp_path / "one")]
    done = subprocess.run(one, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    two = _weights(tmp_path / "two")
    assert two["encoder.0.weight"].shape[1] == 269  # the SMPL-22 features of the folder
    _assert_same(two, _weights(tmp_path / "one"))
