"""Batched streaming (molingo_ros.model.batch) with the shipped model on the CPU: every
stream of a batch gets the single-stream sampler's frames for the same seed, texts and timings
(within float tolerance), whatever the others do: different commands, seeds, window lengths
(``tokens``/``until``), a command change and a reseed mid-way, a stream that joins late and one
that leaves."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
import torch

from molingo_ros.model.batch import WindowBatcher, WindowRequest, next_windows, sample_windows
from molingo_ros.model.bundle import MoLingo
from molingo_ros.model.sampler import MotionStream, SamplerConfig
from molingo_ros.model.window import sample_tokens

TEXTS = (
    "a person walks forward",
    "a person waves the right hand",
    "a person bows",
    "a person runs",
)
# Per step: which streams take part, and their (tokens, until); None = the defaults.
PLAN = [
    {0: (None, None), 1: (3, 5), 2: (None, 8)},
    {0: (None, None), 1: (3, 5), 2: (2, None)},
    {0: (None, None), 1: (1, 1), 2: (None, 8), 3: (None, None)},  # 3 joins
    {0: (2, None), 2: (None, None), 3: (4, 4)},  # 1 leaves
    {0: (None, None), 2: (2, 6), 3: (None, None)},
]


@pytest.fixture(scope="module")
def model() -> MoLingo:
    return MoLingo.shared(None, device="cpu")


def _play(model: MoLingo, batched: bool) -> list[list[np.ndarray]]:
    """Run PLAN; per stream the positions of each of its windows."""
    streams = [MotionStream(model, SamplerConfig(), seed=10 + i) for i in range(4)]
    for stream, text in zip(streams, TEXTS, strict=True):
        stream.set_text(text)
    frames: list[list[np.ndarray]] = [[] for _ in streams]
    for step, wants in enumerate(PLAN):
        if step == 2:
            streams[0].set_text("a person raises both hands")
            streams[2].reseed(99)
        keys = sorted(wants)
        tokens = [wants[k][0] for k in keys]
        until = [wants[k][1] for k in keys]
        group = [streams[k] for k in keys]
        if batched:
            outs = next_windows(group, tokens, until)
        else:
            outs = [s.next_window(t, u) for s, t, u in zip(group, tokens, until, strict=True)]
        for k, out in zip(keys, outs, strict=True):
            frames[k].append(out.positions_m)
    return frames


def test_each_stream_of_a_batch_is_the_single_stream_sampler(model):
    alone, together = _play(model, batched=False), _play(model, batched=True)
    for k, (a, b) in enumerate(zip(alone, together, strict=True)):
        assert [w.shape for w in a] == [w.shape for w in b], k
        for w, (x, y) in enumerate(zip(a, b, strict=True)):
            np.testing.assert_allclose(y, x, atol=1e-4, err_msg=f"stream {k} window {w}")
    assert sum(len(w) for w in together[3]) > 0 and len(together[1]) == 3


def test_windows_of_several_lengths_are_drawn_as_alone(model):
    cfg = SamplerConfig()
    d = model.sae.config.latent_dim
    null = model.prompt_memory("")
    texts = ("a person walks", "a person jumps up and down", "a person bows")
    histories = [
        torch.randn(1, h, d, generator=torch.Generator().manual_seed(h)) for h in (0, 5, 8)
    ]
    sizes, ages = (8, 3, 6), (0, 4, 12)

    def requests(seed: int) -> list[WindowRequest]:
        return [
            WindowRequest(h, n, model.prompt_memory(t), a, torch.Generator().manual_seed(seed + i))
            for i, (h, n, t, a) in enumerate(zip(histories, sizes, texts, ages, strict=True))
        ]

    together = sample_windows(model, requests(5), null, cfg)
    for r, got in zip(requests(5), together, strict=True):
        alone = sample_tokens(
            model, r.history, r.size, r.memory, null, cfg, r.generator, torch.tensor([r.age])
        )
        assert got.shape == alone.shape == (1, r.size, d)
        torch.testing.assert_close(got, alone, atol=1e-4, rtol=1e-4)


def test_a_batch_needs_one_model_and_settings_and_distinct_texted_streams(model):
    assert next_windows([]) == []
    a, b = MotionStream(model, SamplerConfig(), 1), MotionStream(model, SamplerConfig(), 2)
    a.set_text("a person walks")
    with pytest.raises(RuntimeError, match="set_text"):
        next_windows([a, b])
    b.set_text("a person bows")
    with pytest.raises(ValueError, match="appears twice"):
        next_windows([a, a])
    other = MotionStream(model, replace(SamplerConfig(), cfg_scale=3.0), 3)
    other.set_text("a person bows")
    with pytest.raises(ValueError, match="one model and one SamplerConfig"):
        next_windows([a, other])
    with pytest.raises(ValueError, match="tokens must be in"):
        next_windows([a, b], tokens=[0, None])
    assert [o.features.shape[0] for o in next_windows([a, b], tokens=[2, 1])] == [8, 4]


def test_the_batcher_batches_threads_that_ask_together_and_alone_is_exact(model):
    cfg = SamplerConfig()
    batcher = WindowBatcher()

    def fresh(seed: int, text: str) -> MotionStream:
        stream = MotionStream(model, cfg, seed)
        stream.set_text(text)
        return stream

    # Alone: the single-stream call itself, bit for bit.
    a, b = fresh(3, TEXTS[0]), fresh(3, TEXTS[0])
    for _ in range(3):
        np.testing.assert_array_equal(batcher.next_window(a).features, b.next_window().features)
    assert (batcher.batches, batcher.windows) == (3, 3)
    # Eight threads, three windows each: batches form, each stream as it would be alone.
    streams = [fresh(20 + i, TEXTS[i % 4]) for i in range(8)]
    alone = [fresh(20 + i, TEXTS[i % 4]) for i in range(8)]
    got: dict[int, list[np.ndarray]] = {i: [] for i in range(8)}
    start = threading.Barrier(8)

    def run(i: int) -> None:
        start.wait()
        for _ in range(3):
            got[i].append(batcher.next_window(streams[i]).positions_m)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert batcher.windows == 3 + 24 and batcher.batches < 3 + 24  # some windows shared a pass
    for i in range(8):
        for window in got[i]:
            np.testing.assert_allclose(window, alone[i].next_window().positions_m, atol=1e-4)
    # Bad arguments raise in the asking thread; the batcher goes on.
    with pytest.raises(ValueError, match="tokens must be in"):
        batcher.next_window(a, tokens=99)
    assert batcher.next_window(a).features.shape[0] == 32
    assert WindowBatcher.of(model) is WindowBatcher.of(model)
