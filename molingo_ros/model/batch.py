"""Batched streaming: several :class:`~molingo_ros.model.sampler.MotionStream` advanced
together, one batched forward pass per sampling step for every stream that needs a window.

Each stream keeps its own command, history, seed, timing and window length; the windows are
padded to one length (their padding masked out of attention) and the text memories to one
length (masked out of cross-attention). Every random draw comes from the stream's own
generator in the single-stream order, so a stream's frames are the single-stream sampler's
for the same seed, texts and timings, within float tolerance (test/test_model_batch.py).
Streams join and leave between steps: :func:`next_windows` advances whichever are passed.

:class:`WindowBatcher` batches the streams of several threads (the robots one process serves,
each generating in its own thread): a window asked for while another batch runs waits for the
next batch, which takes every window asked for meanwhile. Nothing waits for a batch to fill:
one robot alone runs exactly the single-stream sampler, and under load the batches form by
themselves.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from molingo_ros.model.sampler import MotionStream, WindowOutput
from molingo_ros.model.schedulers import FlowScheduler, UnmaskSchedule
from molingo_ros.model.window import Memory, integrate_flow


@dataclass(frozen=True)
class WindowRequest:
    """One stream's window to draw: ``size`` tokens after ``history`` (1, h, d), for the
    text ``memory`` ((1, L, D), (1, L) True = padding), ``age`` tokens after its command
    began, with the stream's random ``generator``."""

    history: torch.Tensor
    size: int
    memory: Memory
    age: int
    generator: torch.Generator


def _padded_memories(memories: Sequence[Memory]) -> Memory:
    """Text memories stacked (B, L, D) with their padding masks (B, L), padded to the
    longest (padding: zeros, masked)."""
    length = max(m.shape[1] for m, _ in memories)
    mems, pads = [], []
    for mem, pad in memories:
        extra = length - mem.shape[1]
        mems.append(torch.cat([mem, mem.new_zeros(1, extra, mem.shape[2])], 1))
        pads.append(torch.cat([pad, pad.new_ones(1, extra)], 1))
    return torch.cat(mems), torch.cat(pads)


class _Batch:
    """The padded tensors of a batch of window requests: tokens (B, N, d), hidden and
    padding masks (B, N), command ages (B, N), text memories and their guided pairs."""

    def __init__(self, requests: Sequence[WindowRequest], null: Memory, guided: bool) -> None:
        first = requests[0].history
        dev, d = first.device, first.shape[2]
        self.starts = [r.history.shape[1] for r in requests]
        ends = [h + r.size for h, r in zip(self.starts, requests, strict=True)]
        b, n = len(requests), max(ends)
        self.tokens = torch.zeros(b, n, d, device=dev)
        self.hidden = torch.zeros(b, n, dtype=torch.bool, device=dev)
        self.pad = torch.ones(b, n, dtype=torch.bool, device=dev)
        ages = []
        for i, (r, h, end) in enumerate(zip(requests, self.starts, ends, strict=True)):
            self.tokens[i, :h] = r.history[0].float()
            self.hidden[i, h:end] = True
            self.pad[i, :end] = False
            ages.append(r.age + torch.arange(-h, n - h, device=dev))
        self.age = torch.stack(ages).long()
        memories = [r.memory for r in requests]
        self.memory = _padded_memories(memories)
        self.guided = _padded_memories(memories + [null] * b) if guided else None

    def states(self, gen, rows: list[int]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Backbone states of the batch ``rows``: conditional, and unconditional when
        guided (None otherwise)."""
        sel = torch.tensor(rows, device=self.tokens.device)
        tokens, hidden, pad, age = (t[sel] for t in (self.tokens, self.hidden, self.pad, self.age))
        if self.guided is None:
            mem, mem_pad = (t[sel] for t in self.memory)
            return gen.backbone(tokens, hidden, pad, mem, mem_pad, age), None
        both = torch.cat([sel, sel + self.tokens.shape[0]])
        mem, mem_pad = (t[both] for t in self.guided)
        twice = [t.repeat(2, *([1] * (t.dim() - 1))) for t in (tokens, hidden, pad, age)]
        out = gen.backbone(twice[0], twice[1], twice[2], mem, mem_pad, twice[3])
        return out[: len(rows)], out[len(rows) :]


@torch.no_grad()
def sample_windows(
    model, requests: Sequence[WindowRequest], null_memory: Memory, config
) -> list[torch.Tensor]:
    """Draw every request's window in one batched pass per masked iteration and flow step:
    per request (1, size, d), as :func:`~molingo_ros.model.window.sample_tokens` draws it
    alone with the same generator state."""
    gen, dim = model.generator, requests[0].history.shape[2]
    batch = _Batch(requests, null_memory, guided=config.cfg_scale != 1.0)
    dev = batch.tokens.device
    orders = [
        torch.rand(1, r.size, device=dev, generator=r.generator).argsort(1)[0] + h
        for r, h in zip(requests, batch.starts, strict=True)
    ]
    schedules = [UnmaskSchedule(config.iterations).remaining(r.size) for r in requests]
    flow = FlowScheduler(config.flow_steps)
    revealed = [0] * len(requests)
    for step in range(config.iterations):
        counts = [
            r.size - s[step] - done
            for r, s, done in zip(requests, schedules, revealed, strict=True)
        ]
        rows = [i for i, c in enumerate(counts) if c > 0]
        if not rows:
            continue
        zc, zu = batch.states(gen, rows)
        picks = [orders[i][revealed[i] : revealed[i] + counts[i]] for i in rows]
        cond = torch.cat([zc[j, p] for j, p in enumerate(picks)])
        uncond = torch.cat([zu[j, p] for j, p in enumerate(picks)]) if zu is not None else None
        noise = [
            torch.randn(counts[i], dim, device=dev, generator=requests[i].generator) for i in rows
        ]
        scale = torch.cat(
            [
                torch.full((counts[i], 1), config.guidance((revealed[i] + counts[i]) / r.size))
                for i, r in ((i, requests[i]) for i in rows)
            ]
        ).to(dev)
        x = integrate_flow(
            gen,
            flow,
            torch.cat(noise) * config.noise_scale,
            cond,
            uncond,
            scale,
            config.flow_steps,
        )
        for i, p, part in zip(rows, picks, x.split([counts[i] for i in rows]), strict=True):
            batch.tokens[i, p] = part.to(batch.tokens.dtype)
            batch.hidden[i, p] = False
            revealed[i] += counts[i]
    return [
        batch.tokens[i : i + 1, h : h + r.size]
        for i, (r, h) in enumerate(zip(requests, batch.starts, strict=True))
    ]


def _draw_windows(streams: Sequence[MotionStream], wanted: Sequence[tuple[int, int | None]]):
    """Draw, in batched rounds, the windows each stream needs before it can emit."""
    while True:
        needs = [
            (s, size)
            for s, (n_new, until) in zip(streams, wanted, strict=True)
            if (size := s.window_needed(n_new, until))
        ]
        if not needs:
            return
        first = needs[0][0]
        requests = []
        for stream, size in needs:
            history, age = stream.window_context()
            requests.append(WindowRequest(history, size, stream.memory, age, stream.generator))
        cuda = first.device.type == "cuda"
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
            windows = sample_windows(first.model, requests, first.null_memory, first.config)
        for (stream, _), new in zip(needs, windows, strict=True):
            stream.add_window(new)


@torch.no_grad()
def next_windows(
    streams: Sequence[MotionStream],
    tokens: Sequence[int | None] | None = None,
    until: Sequence[int | None] | None = None,
) -> list[WindowOutput]:
    """:meth:`MotionStream.next_window` of every stream (same model and settings), their
    windows drawn together and their latents decoded together (grouped by length);
    ``tokens`` and ``until`` per stream (None: the defaults)."""
    if not streams:
        return []
    if len({id(s.model) for s in streams}) > 1 or len({s.config for s in streams}) > 1:
        raise ValueError("batched streams need one model and one SamplerConfig")
    if len({id(s) for s in streams}) < len(streams):
        raise ValueError("a stream appears twice in one batch")
    start = time.perf_counter()
    tokens = tokens if tokens is not None else [None] * len(streams)
    until = until if until is not None else [None] * len(streams)
    wanted = [(s.check_tokens(t, u), u) for s, t, u in zip(streams, tokens, until, strict=True)]
    _draw_windows(streams, wanted)
    contexts = [s.take_tokens(n) for s, (n, _) in zip(streams, wanted, strict=True)]
    decoded: list[torch.Tensor | None] = [None] * len(streams)
    for length in {c.shape[1] for c in contexts}:
        group = [i for i, c in enumerate(contexts) if c.shape[1] == length]
        out = streams[0].model.decode_latents(torch.cat([contexts[i] for i in group]))
        for i, row in zip(group, out, strict=True):
            decoded[i] = row
    return [
        s.frames_from(d, n, start) for s, d, (n, _) in zip(streams, decoded, wanted, strict=True)
    ]


@dataclass(eq=False)
class _Ask:
    """One thread's window: its stream and arguments, then its answer."""

    stream: MotionStream
    tokens: int | None
    until: int | None
    done: bool = False
    output: WindowOutput | None = None
    error: BaseException | None = None


class WindowBatcher:
    """Batches the windows that threads ask for at the same time (see the module docstring);
    one per model (:meth:`of`), shared by every engine of that model."""

    _BY_MODEL: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    _REGISTRY_LOCK = threading.Lock()

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: list[_Ask] = []
        self._running = False
        self.batches = 0  # batches run, and the windows in them (for benchmarks)
        self.windows = 0

    @classmethod
    def of(cls, model) -> WindowBatcher:
        """The batcher of ``model`` (made on first use)."""
        with cls._REGISTRY_LOCK:
            if model not in cls._BY_MODEL:
                cls._BY_MODEL[model] = cls()
            return cls._BY_MODEL[model]

    def next_window(
        self, stream: MotionStream, tokens: int | None = None, until: int | None = None
    ) -> WindowOutput:
        """``stream.next_window(tokens, until)``, drawn in a batch with the windows other
        threads ask for meanwhile (alone: exactly the single-stream call). Bad arguments raise
        here, in the asking thread."""
        stream.check_tokens(tokens, until)
        ask = _Ask(stream, tokens, until)
        with self._cond:
            self._waiting.append(ask)
            while self._running and not ask.done:
                self._cond.wait()
            if not ask.done:  # this thread runs the next batch
                batch, self._waiting, self._running = self._waiting, [], True
        if not ask.done:
            self._run(batch)
        if ask.error is not None:
            raise ask.error
        assert ask.output is not None
        return ask.output

    def _run(self, batch: list[_Ask]) -> None:
        try:
            if len(batch) == 1:
                a = batch[0]
                outputs = [a.stream.next_window(a.tokens, a.until)]
            else:
                outputs = next_windows(
                    [a.stream for a in batch], [a.tokens for a in batch], [a.until for a in batch]
                )
            for a, out in zip(batch, outputs, strict=True):
                a.output = out
        except BaseException as exc:  # every thread of the batch gets the error
            for a in batch:
                a.error = exc
        with self._cond:
            for a in batch:
                a.done = True
            self.batches += 1
            self.windows += len(batch)
            self._running = False
            self._cond.notify_all()


__all__ = ["WindowBatcher", "WindowRequest", "next_windows", "sample_windows"]
