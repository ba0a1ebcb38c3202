"""Which body side a joint is on, from its name alone (any rig: BVH, DeepMimic, robot links)."""

from __future__ import annotations

import re
from collections.abc import Sequence

LEFT, RIGHT, CENTRE = "L", "R", "C"
"""The values :func:`joint_sides` returns."""


def _name_tokens(name: str) -> list[str]:
    """Lower-case tokens of a joint name, split on punctuation and camelCase."""
    tokens: list[str] = []
    for part in re.split(r"[^0-9A-Za-z]+", name):
        tokens.extend(re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", part))
    return [t.lower() for t in tokens]


def joint_sides(joint_names: Sequence[str]) -> list[str]:
    """Body side of each joint: ``"L"`` (left), ``"R"`` (right) or ``"C"`` (centre).

    Case-insensitive. A name is left if it contains ``left`` or has a separate ``l``
    token (``L_Hip``, ``hip_l``, ``hip.L``, ``LHipJoint``, ``lShoulder``), right likewise
    with ``right``/``r``; anything else is centre. Tokens split on non-alphanumerics and
    camelCase, so ``spine_lower`` or ``Root`` are not mistaken for a side.
    """
    sides = []
    for name in joint_names:
        low = name.lower()
        tokens = _name_tokens(name)
        if "left" in low or "l" in tokens:
            sides.append(LEFT)
        elif "right" in low or "r" in tokens:
            sides.append(RIGHT)
        else:
            sides.append(CENTRE)
    return sides
