"""Step schedules of sampling (molingo_ros.model.schedulers): tokens left hidden per unmasking
iteration, Euler steps of the flow."""

from __future__ import annotations

import pytest
import torch

from molingo_ros.model.schedulers import FlowScheduler, UnmaskSchedule


def test_schedules():
    sched = UnmaskSchedule(4)
    left = sched.remaining(8)
    assert left[-1] == 0 and all(a > b for a, b in zip([8, *left], left, strict=False))
    sched.set_steps(1)
    assert sched.remaining(8) == [0]
    flow = FlowScheduler(4)
    x = torch.zeros(3, 2)
    for k in range(4):
        x = flow.step(torch.ones(3, 2), k, x)  # constant velocity 1 over t in [0, 1]
    assert torch.allclose(x, torch.ones(3, 2))
    with pytest.raises(ValueError):
        flow.set_timesteps(0)


def test_more_iterations_reveal_fewer_tokens_each():
    assert UnmaskSchedule(8).remaining(16)[-1] == 0
    assert len(UnmaskSchedule(8).remaining(16)) == 8
    with pytest.raises(ValueError):
        UnmaskSchedule(0)
