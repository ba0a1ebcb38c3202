"""The text side of the model (molingo_ros.model.text): the frozen MiniLM encoder (token
embeddings, padding masks, sentence vectors, its cache) and the trainable adapter."""

from __future__ import annotations

import pytest
import torch

from molingo_ros.model.text import (
    NULL_PROMPT,
    FrozenTextEncoder,
    TextAdapter,
    TextEncoderConfig,
)


@pytest.fixture(scope="module")
def encoder() -> FrozenTextEncoder:
    return FrozenTextEncoder()


def test_token_embeddings_are_per_token_and_cached(encoder):
    short, long = encoder.token_embeddings(["walk", "a person walks forward slowly"])
    assert short.shape[1] == long.shape[1] == encoder.dim == 384
    assert short.shape[0] < long.shape[0]
    again = encoder.token_embeddings(["walk"])[0]
    assert torch.equal(again, short)
    with pytest.raises(TypeError, match="list of strings"):
        encoder.token_embeddings("walk")


def test_encode_pads_to_the_longest_text(encoder):
    tokens, mask = encoder.encode(["walk", "a person walks forward slowly"])
    n_short = encoder.token_embeddings(["walk"])[0].shape[0]
    assert tokens.shape[:2] == mask.shape and mask[1].all()
    assert mask[0].sum() == n_short and not mask[0, n_short:].any()
    assert float(tokens[0, n_short:].abs().sum()) == 0.0


def test_sentence_vectors_put_similar_texts_near(encoder):
    walk, stroll, wave = encoder.sentence(
        ["a person walks forward", "someone strolls ahead", "a man waves his hand"]
    )
    torch.testing.assert_close(torch.stack([walk, wave]).norm(dim=1), torch.ones(2))
    assert float(walk @ stroll) > float(walk @ wave)
    assert encoder.sentence([NULL_PROMPT]).shape == (1, 384)


def test_a_small_cache_still_gives_every_text():
    small = FrozenTextEncoder(TextEncoderConfig(cache_size=2))
    texts = ["walk", "run", "bow", "wave"]
    assert [e.shape[0] for e in small.token_embeddings(texts)] == [
        e.shape[0] for e in FrozenTextEncoder().token_embeddings(texts)
    ]


def test_a_missing_model_folder_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        FrozenTextEncoder(TextEncoderConfig(model=str(tmp_path / "none")))


def test_the_adapter_maps_tokens_to_the_generator_width():
    torch.manual_seed(0)
    adapter = TextAdapter(text_dim=384, dim=32, layers=1, heads=2).eval()
    tokens = torch.randn(2, 5, 384)
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    out = adapter(tokens, mask)
    assert out.shape == (2, 5, 32)
    changed = tokens.clone()
    changed[1, 3:] += 10.0  # padding of the second text
    assert torch.allclose(adapter(changed, mask)[1, :3], out[1, :3], atol=1e-5)
