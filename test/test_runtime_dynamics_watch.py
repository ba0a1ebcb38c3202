"""Counting the streamed frames whose feet cannot carry them (molingo_ros.runtime.dynamics_watch)
on the real G1, chunk by chunk as the engine sends them."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.robot.models import load_robot
from molingo_ros.runtime.dynamics_watch import CONTEXT_FRAMES, DynamicsWatch


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def _standing(robot, frames: int) -> np.ndarray:
    q = robot.neutral()
    soles = robot.sole_positions(q)
    q[2] -= min(soles["left"][2], soles["right"][2])
    return np.tile(q, (frames, 1))


def test_chunks_are_counted_with_the_frames_before_them(g1):
    watch = DynamicsWatch(g1, 30.0)
    stand = _standing(g1, 8)
    assert watch.count(stand[:2]) == 0  # too few frames to judge yet: not counted
    assert watch.count(stand) == 0  # standing: carried
    hover = stand.copy()
    hover[:, 2] += 0.4  # held in the air: a flight that is not ballistic
    watch.restart(hover[0])
    assert watch.count(hover) == 8
    watch.restart(stand[-1])  # after a splice: judged from the frame actually sent
    assert watch.count(stand[:4]) == 0
    assert watch._recent.shape == (5, g1.nq) and CONTEXT_FRAMES == 8
