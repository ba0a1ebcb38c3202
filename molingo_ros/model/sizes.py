"""Named model sizes: the dimensions of the SAE and the generator, from the shipped small
model up to MoLingo's ``base`` (transformer 768 wide, 12 layers, 12 heads; flow MLP
6 x 1024; text adapter 6 layers; SAE 1024 channels, 3 residual layers per level). The one
table of them is :data:`SIZES`; a training run picks one with ``--size`` and single flags
(``--dim``, ``--width``, ...) override its values. The sampler, the node and the command line
read the dimensions of a model from its file, so they run any size.

Parameters (torch's count, MiniLM text embeddings of 384 values; the frozen text encoder
not counted): small SAE 2.2 M + generator 2.3 M, medium 14.5 M + 32.7 M, base 73.0 M +
192.8 M (MoLingo's base generator: about 191 M).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from molingo_ros.model.generator import GeneratorConfig
from molingo_ros.model.sae import SAEConfig
from molingo_ros.settings import setting

CUSTOM = "custom"
"""The size that changes nothing: each dimension keeps its config's (or flag's) value."""


@dataclass(frozen=True)
class ModelSize:
    """The dimensions of one named size."""

    sae_width: int
    sae_res_depth: int
    dim: int
    layers: int
    heads: int
    flow_width: int
    flow_depth: int
    adapter_layers: int

    def sae(self, base: SAEConfig | None = None) -> SAEConfig:
        """``base`` (default: :class:`SAEConfig`'s defaults) with this size's dimensions."""
        return replace(base or SAEConfig(), width=self.sae_width, res_depth=self.sae_res_depth)

    def generator(self, base: GeneratorConfig | None = None) -> GeneratorConfig:
        """``base`` (default: :class:`GeneratorConfig`'s defaults) with this size's
        dimensions."""
        return replace(
            base or GeneratorConfig(),
            dim=self.dim,
            layers=self.layers,
            heads=self.heads,
            flow_width=self.flow_width,
            flow_depth=self.flow_depth,
            adapter_layers=self.adapter_layers,
        )


SIZES: dict[str, ModelSize] = {
    # The shipped model (molingo_ros/weights/molingo.safetensors).
    "small": ModelSize(192, 2, 128, 4, 4, 192, 3, 2),
    "medium": ModelSize(512, 2, 384, 8, 6, 512, 4, 4),
    # MoLingo's base factory (768 / 12 / 12, flow 6 x 1024, adapter 6; SAE 1024, depth 3).
    "base": ModelSize(1024, 3, 768, 12, 12, 1024, 6, 6),
}


def size_setting() -> object:
    """The ``size`` field of a training config."""
    return setting(
        CUSTOM,
        "named model size: small (the shipped model), medium, base (MoLingo's base, ~191 M "
        "generator parameters); custom keeps each dimension's own default; single flags "
        "(--dim, --width, ...) override the size's values",
        choices=(CUSTOM, *SIZES),
    )


def sized_sae(size: str, base: SAEConfig | None = None) -> SAEConfig:
    """The SAE config of ``size`` (``custom``: ``base`` unchanged).

    Raises:
        ValueError: an unknown size (the message lists the valid ones).
    """
    base = base or SAEConfig()
    return base if size == CUSTOM else _size(size).sae(base)


def sized_generator(size: str, base: GeneratorConfig | None = None) -> GeneratorConfig:
    """The generator config of ``size`` (``custom``: ``base`` unchanged).

    Raises:
        ValueError: an unknown size.
    """
    base = base or GeneratorConfig()
    return base if size == CUSTOM else _size(size).generator(base)


def _size(name: str) -> ModelSize:
    if name not in SIZES:
        raise ValueError(f"unknown size {name!r}; valid: {', '.join((CUSTOM, *SIZES))}")
    return SIZES[name]


__all__ = ["CUSTOM", "SIZES", "ModelSize", "size_setting", "sized_generator", "sized_sae"]
