"""Step schedules of the sampler, settable diffusers-style: :class:`FlowScheduler`
(``set_timesteps`` / ``step``) for the per-token flow and :class:`UnmaskSchedule`
(``set_steps``) for the masked iterations."""

from __future__ import annotations

import math

import torch


class FlowScheduler:
    """Euler integration of the rectified flow from noise (t = 0) to data (t = 1), with
    ``set_timesteps(n)`` / ``step(velocity, t_index, x)`` as diffusers schedulers."""

    def __init__(self, steps: int = 8) -> None:
        self.set_timesteps(steps)

    def set_timesteps(self, steps: int) -> None:
        if steps < 1:
            raise ValueError(f"flow steps must be >= 1, got {steps}")
        self.timesteps = torch.linspace(0.0, 1.0, steps + 1)

    def step(self, velocity: torch.Tensor, index: int, x: torch.Tensor) -> torch.Tensor:
        dt = float(self.timesteps[index + 1] - self.timesteps[index])
        return x + dt * velocity


class UnmaskSchedule:
    """How many hidden tokens remain after each of ``steps`` iterations (cosine, as MaskGIT /
    MAR / MoLingo)."""

    def __init__(self, steps: int = 4) -> None:
        self.set_steps(steps)

    def set_steps(self, steps: int) -> None:
        if steps < 1:
            raise ValueError(f"unmasking iterations must be >= 1, got {steps}")
        self.steps = steps

    def remaining(self, total: int) -> list[int]:
        """Hidden tokens left after each iteration (ends with 0), strictly decreasing."""
        out, prev = [], total
        for k in range(1, self.steps + 1):
            left = int(math.floor(math.cos(0.5 * math.pi * k / self.steps) * total))
            left = min(left, prev - 1) if prev > 0 else 0
            out.append(max(left, 0))
            prev = out[-1]
        out[-1] = 0
        return out


__all__ = ["FlowScheduler", "UnmaskSchedule"]
