"""The reference a physics controller follows (molingo_ros.sim.reference) on the real G1:
frames as a function of time, manifold derivatives, and which feet stand."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.robot.models import load_robot
from molingo_ros.sim.reference import FramesMotion, StanceTracker, reference_state


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def _frames(g1, n: int = 31, fps: float = 30.0) -> np.ndarray:
    """The standing G1 with its left elbow moving at 0.6 rad/s and the root at 0.3 m/s in x."""
    q = np.repeat(g1.neutral()[None], n, axis=0)
    t = np.arange(n) / fps
    elbow = 7 + g1.joint_names.index("left_elbow_joint")
    q[:, elbow] = 0.6 * t
    q[:, 0] = 0.3 * t
    return q


def test_frames_are_interpolated_and_held_at_the_ends(g1):
    q = _frames(g1)
    motion = FramesMotion(g1, q, 30.0)
    assert motion.duration_s == pytest.approx(1.0)
    assert np.allclose(motion(0.0), q[0]) and np.allclose(motion(5.0), q[-1])
    assert np.allclose(motion(-1.0), q[0])
    assert np.allclose(motion(0.5 / 30.0), 0.5 * (q[0] + q[1]), atol=1e-9)
    with pytest.raises(ValueError, match="qpos must be"):
        FramesMotion(g1, q[:1], 30.0)
    with pytest.raises(ValueError, match="fps must be > 0"):
        FramesMotion(g1, q, 0.0)


def test_derivatives_of_a_constant_velocity_motion(g1):
    motion = FramesMotion(g1, _frames(g1), 30.0)
    ref = reference_state(g1, motion, 0.5, 0.1)
    elbow = 6 + g1.joint_names.index("left_elbow_joint")
    assert ref.v[elbow] == pytest.approx(0.6, abs=1e-9)
    assert ref.v[0] == pytest.approx(0.3, abs=1e-9)  # root x, in the (unrotated) root frame
    assert np.abs(ref.a).max() < 1e-6
    # At the end the motion holds: the velocity falls to half across the last frame.
    end = reference_state(g1, motion, 1.0, 0.1)
    assert end.v[elbow] == pytest.approx(0.3, abs=1e-9)


def test_a_lifted_foot_swings_and_lands_only_when_the_real_foot_is_down(g1):
    stance = StanceTracker(g1)
    standing = g1.neutral()
    motion = FramesMotion(g1, np.stack([standing, standing]), 30.0)
    ref = reference_state(g1, motion, 0.0, 0.1)
    assert stance.update(ref, standing) == (True, True)
    lifted = standing.copy()
    knee, hip = (7 + g1.joint_names.index(n) for n in ("left_knee_joint", "left_hip_pitch_joint"))
    lifted[knee], lifted[hip] = 1.2, -0.6  # the left foot 10+ cm up
    ref.q = lifted
    assert stance.update(ref, standing) == (False, True)
    ref.q = standing  # the reference puts it down; the real foot is still up
    assert stance.update(ref, lifted) == (False, True)
    assert stance.update(ref, standing) == (True, True)


def test_never_no_foot_in_stance(g1):
    stance = StanceTracker(g1)
    up = g1.neutral()
    up[2] += 0.3  # the whole reference in the air
    motion = FramesMotion(g1, np.stack([up, up]), 30.0)
    ref = reference_state(g1, motion, 0.0, 0.1)
    assert stance.reference_stance(ref) == [False, False]
    assert sum(stance.update(ref, g1.neutral())) == 1
