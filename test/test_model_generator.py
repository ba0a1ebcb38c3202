"""The masked generator and its flow head, and the samplers' schedules."""

from __future__ import annotations

import pytest
import torch

from molingo_ros.model.generator import GeneratorConfig, MotionGenerator

TINY = GeneratorConfig(
    dim=32,
    layers=1,
    heads=2,
    flow_width=32,
    flow_depth=1,
    adapter_layers=1,
    max_tokens=16,
    dropout=0.0,
)


@pytest.mark.parametrize("conditioning", ["cross", "adaln"])
def test_loss_trains_and_history_is_never_hidden(conditioning):
    torch.manual_seed(0)
    gen = MotionGenerator(GeneratorConfig(**{**TINY.__dict__, "conditioning": conditioning}))
    b, n = 8, 12
    tokens = torch.randn(b, n, TINY.latent_dim)
    valid = torch.ones(b, n, dtype=torch.bool)
    prefix = torch.full((b,), 5)
    text = torch.randn(b, 6, TINY.text_dim)
    mask = torch.ones(b, 6, dtype=torch.bool)
    opt = torch.optim.Adam(gen.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        memory, pad = gen.encode_text(text, mask)
        loss = gen.loss(tokens, valid, prefix, memory, pad)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert sum(losses[-5:]) < sum(losses[:5])


def test_text_changes_the_output():
    torch.manual_seed(0)
    gen = MotionGenerator(TINY).eval()
    tokens = torch.randn(1, 8, TINY.latent_dim)
    hidden = torch.zeros(1, 8, dtype=torch.bool)
    hidden[:, 4:] = True
    m1, p1 = gen.encode_text(torch.randn(1, 5, TINY.text_dim), torch.ones(1, 5, dtype=torch.bool))
    m2, p2 = gen.encode_text(torch.randn(1, 5, TINY.text_dim), torch.ones(1, 5, dtype=torch.bool))
    assert not torch.allclose(
        gen.backbone(tokens, hidden, None, m1, p1), gen.backbone(tokens, hidden, None, m2, p2)
    )


def test_command_age_is_an_input_when_configured():
    torch.manual_seed(0)
    gen = MotionGenerator(GeneratorConfig(**{**TINY.__dict__, "command_age_tokens": 4})).eval()
    tokens = torch.randn(1, 8, TINY.latent_dim)
    hidden = torch.zeros(1, 8, dtype=torch.bool)
    hidden[:, 4:] = True
    m, p = gen.encode_text(torch.randn(1, 5, TINY.text_dim), torch.ones(1, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="command ages"):
        gen.backbone(tokens, hidden, None, m, p)
    fresh = torch.arange(-4, 4)[None]  # the command began at the first new token
    old = fresh + 20
    out_fresh = gen.backbone(tokens, hidden, None, m, p, fresh)
    assert not torch.allclose(out_fresh, gen.backbone(tokens, hidden, None, m, p, old))
    # ages saturate at command_age_tokens, and everything before the command is one "before"
    assert torch.equal(
        gen.backbone(tokens, hidden, None, m, p, fresh + 100),
        gen.backbone(tokens, hidden, None, m, p, fresh + 200),
    )
    assert torch.equal(
        gen.backbone(tokens, hidden, None, m, p, fresh - 20),
        gen.backbone(tokens, hidden, None, m, p, fresh - 30),
    )
    # a generator without the input ignores ages
    plain = MotionGenerator(TINY).eval()
    assert torch.equal(
        plain.backbone(tokens, hidden, None, m, p, fresh),
        plain.backbone(tokens, hidden, None, m, p),
    )
    with pytest.raises(ValueError, match="command_age_tokens"):
        MotionGenerator(GeneratorConfig(**{**TINY.__dict__, "command_age_tokens": -1}))


def test_too_many_tokens_and_bad_conditioning():
    gen = MotionGenerator(TINY)
    with pytest.raises(ValueError, match="max_tokens"):
        m, p = gen.encode_text(torch.randn(1, 3, TINY.text_dim), torch.ones(1, 3, dtype=torch.bool))
        gen.backbone(
            torch.randn(1, 17, TINY.latent_dim), torch.zeros(1, 17, dtype=torch.bool), None, m, p
        )
    with pytest.raises(ValueError, match="cross, adaln"):
        MotionGenerator(GeneratorConfig(conditioning="film"))


def test_the_flow_heads_stepwise_velocity_is_its_forward():
    """modulations() once + velocity() per step (the sampler's path) = forward() per step,
    on the shipped model's trained head."""
    from molingo_ros.model.bundle import MoLingo

    head = MoLingo.shared(None, device="cpu").generator.head
    g = torch.Generator().manual_seed(0)
    z = torch.randn(6, head.cond.in_features, generator=g)
    x = torch.randn(6, head.inp.in_features, generator=g)
    times = torch.linspace(0.0, 1.0, 9)[:8]
    with torch.no_grad():
        mods = head.modulations(times, z)
        for k, t in enumerate(times):
            expected = head(x, t.expand(6), z)
            torch.testing.assert_close(head.velocity(x, mods, k), expected, atol=1e-5, rtol=1e-5)
    assert mods.blocks[0][0].shape == (8, 6, head.width)
