"""Training on several processes (``torchrun``) and the per-step knobs every training loop
shares: gradient accumulation and bfloat16 autocast (:class:`ParallelConfig`).

``torchrun --nproc_per_node N -m molingo_ros train sae ...`` starts N copies of a training
command; :func:`init_parallel` reads torchrun's environment (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR``/``PORT``), joins the process group (NCCL on CUDA, gloo on the
CPU) and gives each process its GPU (``cuda:LOCAL_RANK``). Without torchrun it is one process.

How a step is split, identically for any number of processes: every process draws the whole
global batch (``--batch``, from the same seeded generator: the data draws are cheap), which is
cut into ``processes x accumulate`` equal micro-batches of consecutive rows; process ``r``
runs micro-batches ``r * accumulate ... (r + 1) * accumulate - 1``. Each micro-batch's loss is
its own mean; the gradient is the mean over the micro-batches (summed locally, then averaged
over the processes by one all-reduce), so every process applies the same update. With more
than one micro-batch, torch's generator is seeded by (seed, step, micro-batch) before each
one (masking, flow noise, dropout, VAE samples), so a run's weights depend only on the global
batch and the number of micro-batches, not on how they are spread over processes: 2
processes equal 1 process with ``--accumulate 2``, and a run resumes on another number of
processes. One micro-batch (the default) keeps torch's generator untouched (runs of before
are reproduced).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
import torch.distributed as dist

from molingo_ros.model.device import resolve_device
from molingo_ros.settings import setting

BUCKET_BYTES = 32 << 20
"""Gradients are all-reduced in flat buckets of about this size."""


@dataclass(frozen=True)
class ParallelConfig:
    """How a training step is computed (see the module docstring)."""

    accumulate: int = setting(
        1,
        "micro-batches per step and process (gradient accumulation): --batch is the global "
        "batch over all processes and micro-batches",
        range=(1, 65536),
    )
    bf16: bool = setting(False, "bfloat16 autocast of the forward passes (CUDA or CPU)")


@dataclass(frozen=True)
class Parallel:
    """This process's place in a run: ``rank`` of ``world`` processes, its ``device``."""

    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        """Rank 0: the process that logs, shows progress and writes files."""
        return self.rank == 0

    def barrier(self) -> None:
        """Wait for every process (nothing with one)."""
        if self.world > 1:
            dist.barrier()

    def micro_batches(self, batch: int, accumulate: int) -> list[tuple[int, slice]]:
        """(global micro-batch index, rows of the global batch) of this process's
        micro-batches.

        Raises:
            ValueError: ``batch`` is not a multiple of processes x accumulate.
        """
        count = self.world * accumulate
        if batch % count:
            raise ValueError(
                f"--batch {batch} must be a multiple of processes x --accumulate = {count}"
            )
        size = batch // count
        first = self.rank * accumulate
        return [(k, slice(k * size, (k + 1) * size)) for k in range(first, first + accumulate)]


def init_parallel(device: str = "auto") -> Parallel:
    """This process's :class:`Parallel`: one process, or torchrun's (joins the process group
    once: NCCL when the device is CUDA, else gloo).

    Raises:
        ValueError: an unknown device, or CUDA asked for where there is none.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Parallel(device=resolve_device(device))
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    resolved = resolve_device(device)
    if resolved.type == "cuda":
        resolved = torch.device("cuda", local)
        torch.cuda.set_device(resolved)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if resolved.type == "cuda" else "gloo")
    return Parallel(rank=rank, world=world, device=resolved)


def finish_parallel() -> None:
    """Leave the process group (end of a torchrun command)."""
    if dist.is_initialized():
        dist.destroy_process_group()


@contextlib.contextmanager
def main_first(world: Parallel) -> Iterator[None]:
    """Run the block on rank 0 first, then on the others: rank 0 fills the caches (dataset,
    text embeddings) that the others then read."""
    if not world.main:
        world.barrier()
    yield
    if world.main:
        world.barrier()


def shard_seed(seed: int, step: int, micro_batch: int) -> int:
    """The torch seed of one micro-batch of one step."""
    return (seed * 1_000_003 + step * 4099 + micro_batch) % (2**63)


def autocast(device: torch.device, bf16: bool) -> contextlib.AbstractContextManager:
    """bfloat16 autocast on ``device`` when ``bf16``, else nothing."""
    if not bf16:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def all_reduce_gradients(world: Parallel, params: list[torch.nn.Parameter]) -> None:
    """Average the gradients over the processes (flat buckets of :data:`BUCKET_BYTES`);
    parameters without a gradient (unused by this run) are left out on every process."""
    if world.world == 1:
        return
    grads = [p.grad for p in params if p.grad is not None]
    bucket: list[torch.Tensor] = []
    size = 0
    for i, grad in enumerate(grads):
        bucket.append(grad)
        size += grad.numel() * grad.element_size()
        if size >= BUCKET_BYTES or i == len(grads) - 1:
            flat = torch.cat([g.reshape(-1) for g in bucket])
            dist.all_reduce(flat)
            flat /= world.world
            offset = 0
            for g in bucket:
                g.copy_(flat[offset : offset + g.numel()].view_as(g))
                offset += g.numel()
            bucket, size = [], 0


def accumulate_gradients(
    world: Parallel,
    loss_of: Callable[[slice], dict[str, torch.Tensor]],
    params: list[torch.nn.Parameter],
    step_info: tuple[int, int, int, ParallelConfig],
) -> dict[str, torch.Tensor]:
    """The gradients of one step: ``loss_of(rows)`` (losses of those rows of the global
    batch, ``total`` the one to minimise) for each of this process's micro-batches, the
    mean gradient over all micro-batches of all processes in ``params``' ``.grad``.
    ``step_info``: (seed, step, global batch, parallel config). Returns the losses averaged
    over this process's micro-batches (detached)."""
    seed, step, batch, cfg = step_info
    micro = world.micro_batches(batch, cfg.accumulate)
    reseed = world.world * cfg.accumulate > 1
    for p in params:
        p.grad = None
    summed: dict[str, torch.Tensor] = {}
    for index, rows in micro:
        if reseed:
            torch.manual_seed(shard_seed(seed, step, index))
        with autocast(world.device, cfg.bf16):
            losses = loss_of(rows)
        (losses["total"].float() / len(micro)).backward()
        for k, v in losses.items():
            summed[k] = summed.get(k, 0.0) + v.detach().float() / len(micro)
    all_reduce_gradients(world, params)
    return summed


def mean_over_processes(world: Parallel, values: dict[str, float]) -> dict[str, float]:
    """``values`` averaged over the processes (for the log: the global batch's losses)."""
    if world.world == 1 or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64)
    if world.device.type == "cuda":
        t = t.to(world.device)
    dist.all_reduce(t)
    return {k: float(v) / world.world for k, v in zip(keys, t.tolist(), strict=True)}


def broadcast_int(world: Parallel, value: int) -> int:
    """Rank 0's ``value`` on every process."""
    if world.world == 1:
        return value
    t = torch.tensor([value], dtype=torch.int64, device=world.device)
    dist.broadcast(t, 0)
    return int(t.item())


def check_replicas(world: Parallel, module: torch.nn.Module) -> None:
    """Raise when the processes' copies of ``module`` differ (a fingerprint per tensor: the
    sum and the sum of squares, compared over the processes).

    Raises:
        RuntimeError: the weights differ between processes.
    """
    if world.world == 1:
        return
    with torch.no_grad():
        values = [t.double() for t in module.state_dict().values() if t.is_floating_point()]
        prints = torch.stack([torch.stack([v.sum(), (v * v).sum()]) for v in values]).reshape(-1)
    high, low = prints.clone(), prints.clone()
    dist.all_reduce(high, op=dist.ReduceOp.MAX)
    dist.all_reduce(low, op=dist.ReduceOp.MIN)
    spread = float(((high - low).abs() / (high.abs() + 1e-12)).max())
    if spread > 1e-9:
        raise RuntimeError(f"the processes' weights differ (relative spread {spread:.3g})")


def broadcast_module(world: Parallel, module: torch.nn.Module) -> None:
    """Give every process rank 0's weights and buffers."""
    if world.world == 1:
        return
    with torch.no_grad():
        for t in module.state_dict().values():
            dist.broadcast(t, 0)


__all__ = [
    "Parallel",
    "ParallelConfig",
    "accumulate_gradients",
    "all_reduce_gradients",
    "autocast",
    "broadcast_int",
    "broadcast_module",
    "check_replicas",
    "finish_parallel",
    "init_parallel",
    "main_first",
    "mean_over_processes",
    "shard_seed",
]
