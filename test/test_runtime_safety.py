"""The safety filter (molingo_ros.runtime.safety) on the real Unitree G1 with real motion: a
Bandai Namco walk retargeted onto the robot, then corrupted in known ways."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.retarget import retarget
from molingo_ros.robot.validator import validate
from molingo_ros.runtime.safety import SafeChunk, SafetyConfig, SafetyError, SafetyFilter

FRAMES = 90


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


@pytest.fixture(scope="module")
def walk(bandai_clip, g1):
    """(qpos (FRAMES, nq), fps) of a real walk retargeted onto the G1."""
    motion = load_motion(bandai_clip("dataset-2_walk_normal_001")).frames(0, FRAMES)
    result = retarget(motion, g1)
    assert result.qpos.shape == (FRAMES, g1.nq)
    return result.qpos, result.fps


def jq(robot, name: str) -> int:
    return int(robot.joint_q_indices[robot.joint_names.index(name)])


def max_step(robot, fps: float, config: SafetyConfig) -> np.ndarray:
    return config.velocity_fraction * robot.velocity_limits / fps + 1e-9


def far_pose(robot, q: np.ndarray) -> np.ndarray:
    """``q`` with elbows and knees moved ~1 rad (within limits, no self-collision)."""
    out = q.copy()
    for name, delta in [
        ("left_elbow_joint", -1.0),
        ("right_elbow_joint", -1.0),
        ("left_knee_joint", 1.2),
        ("right_knee_joint", 1.2),
    ]:
        j = robot.joint_names.index(name)
        out[jq(robot, name)] = np.clip(out[jq(robot, name)] + delta, robot.lower[j], robot.upper[j])
    return out


def test_valid_walk_passes_unchanged(g1, walk):
    qpos, fps = walk
    assert validate(g1, qpos, fps).frame_ok.all()  # the premise
    out = SafetyFilter(g1, fps).apply(qpos)
    assert isinstance(out, SafeChunk)
    assert out.rejected == 0
    assert out.clamped == 0
    assert out.reasons == []
    assert out.qpos.shape == qpos.shape
    assert np.allclose(out.qpos, qpos, atol=0.0)


def test_joint_beyond_its_limit_is_held(g1, walk):
    qpos, fps = walk
    j = g1.joint_names.index("left_elbow_joint")
    bad = qpos.copy()
    bad[40:45, g1.joint_q_indices[j]] = g1.upper[j] + 0.3
    out = SafetyFilter(g1, fps).apply(bad)
    # The five bad frames are held at the last good one (frame 45 may be rejected too: the
    # speed from the bad frame 44 back to it is counted against it).
    assert out.rejected >= 5
    assert np.array_equal(out.qpos[40:45], np.repeat(qpos[39][None], 5, axis=0))
    assert np.array_equal(out.qpos[:40], qpos[:40])
    assert any("joint-limit" in r for r in out.reasons)
    assert out.qpos[:, g1.joint_q_indices[j]].max() <= g1.upper[j]
    report = validate(g1, out.qpos, fps)
    assert report.frame_ok.all()
    assert report.joint_limit_violations == 0
    assert report.velocity_limit_violations == 0
    # The stream catches up with the motion again before the chunk ends.
    assert np.allclose(out.qpos[-1], qpos[-1])


def test_nan_frames_are_held(g1, walk):
    qpos, fps = walk
    bad = qpos.copy()
    bad[20:23] = np.nan
    bad[60, 5] = np.inf
    out = SafetyFilter(g1, fps).apply(bad)
    assert np.isfinite(out.qpos).all()
    assert out.rejected == 4
    assert "non-finite values" in out.reasons
    assert np.array_equal(out.qpos[20:23], np.repeat(qpos[19][None], 3, axis=0))
    assert np.array_equal(out.qpos[60], out.qpos[59])
    assert validate(g1, out.qpos, fps).frame_ok.all()


def test_jump_from_last_frame_is_clamped_to_the_speed_limit(g1, walk):
    qpos, fps = walk
    start = far_pose(g1, qpos[0])
    assert validate(g1, start[None], fps).frame_ok.all()
    filt = SafetyFilter(g1, fps)
    filt.reset(start)
    out = filt.apply(qpos)
    assert out.clamped > 0
    assert out.rejected == 0  # the far first frame is approached, not held
    joints = np.concatenate([start[None], out.qpos])[:, g1.joint_q_indices]
    steps = np.abs(np.diff(joints, axis=0))
    assert (steps <= max_step(g1, fps, filt.config)).all()
    assert validate(g1, np.concatenate([start[None], out.qpos]), fps).frame_ok.all()
    # It does move towards the motion, and reaches it within the chunk.
    assert np.abs(out.qpos[1] - start).max() > 0.1
    assert np.allclose(out.qpos[-1], qpos[-1])


def test_jump_with_one_frame_chunks_still_makes_progress(g1, walk):
    """The first frame of a chunk after a jump is approached at the speed limit, not held:
    with one-frame chunks a hold would never end."""
    qpos, fps = walk
    start = far_pose(g1, qpos[0])
    filt = SafetyFilter(g1, fps)
    filt.reset(start)
    out = []
    for t in range(30):
        chunk = filt.apply(qpos[t : t + 1])
        assert chunk.rejected == 0
        out.append(chunk.qpos[0])
    out = np.array(out)
    steps = np.abs(np.diff(np.concatenate([start[None], out])[:, g1.joint_q_indices], axis=0))
    assert (steps <= max_step(g1, fps, filt.config)).all()
    assert np.allclose(out[-1], qpos[29])


def test_lower_velocity_fraction_clamps_harder(g1, walk):
    qpos, fps = walk
    config = SafetyConfig(velocity_fraction=0.2)
    filt = SafetyFilter(g1, fps, config)
    out = filt.apply(qpos)
    assert out.clamped > 0
    steps = np.abs(np.diff(out.qpos[:, g1.joint_q_indices], axis=0))
    assert (steps <= max_step(g1, fps, config)).all()


def test_chunks_keep_state(g1, walk):
    qpos, fps = walk
    filt = SafetyFilter(g1, fps)
    assert filt.last_q is None
    parts = []
    for start in range(0, FRAMES, 30):
        chunk = filt.apply(qpos[start : start + 30])
        parts.append(chunk.qpos)
        assert np.array_equal(filt.last_q, chunk.qpos[-1])
        assert not np.shares_memory(filt.last_q, chunk.qpos)  # a copy, not a view
    assert np.allclose(np.concatenate(parts), qpos)
    # A corrupted first frame of the next chunk is held at the previous chunk's last frame.
    bad = qpos[:5].copy()
    bad[0] = np.nan
    nxt = filt.apply(bad)
    assert nxt.rejected >= 1
    assert np.array_equal(nxt.qpos[0], qpos[-1])


def test_reset_forgets_the_last_frame(g1, walk):
    qpos, fps = walk
    filt = SafetyFilter(g1, fps)
    filt.apply(qpos[:10])
    filt.reset()
    assert filt.last_q is None
    start = qpos[0].copy()
    filt.reset(start)
    start[:] = 0.0
    assert np.array_equal(filt.last_q, qpos[0])  # reset keeps its own copy


def test_first_chunk_without_a_valid_frame_raises(g1, walk):
    qpos, fps = walk
    bad = qpos[:10].copy()
    bad[:, jq(g1, "left_knee_joint")] = 10.0  # far beyond every knee limit
    with pytest.raises(SafetyError, match="joint-limit"):
        SafetyFilter(g1, fps).apply(bad)
    with pytest.raises(SafetyError, match="non-finite"):
        SafetyFilter(g1, fps).apply(np.full((5, g1.nq), np.nan))


def test_first_valid_frame_is_used_when_the_first_frames_are_bad(g1, walk):
    qpos, fps = walk
    bad = qpos[:20].copy()
    bad[:3] = np.nan
    out = SafetyFilter(g1, fps).apply(bad)
    assert out.rejected == 3
    assert np.array_equal(out.qpos[:3], np.repeat(qpos[3][None], 3, axis=0))
    assert np.array_equal(out.qpos[3:], qpos[3:20])


@pytest.mark.parametrize("shape", [(10, 35), (10,), (0, 36), (2, 10, 36)])
def test_wrong_shape_names_nq(g1, shape):
    with pytest.raises(ValueError, match=r"\(T, 36\)"):
        SafetyFilter(g1, 30.0).apply(np.zeros(shape))


@pytest.mark.parametrize("fraction", [0.0, -0.5, 1.0001, 2.0])
def test_velocity_fraction_outside_the_range_is_rejected(fraction):
    with pytest.raises(ValueError, match=r"velocity_fraction must be in \(0, 1\]"):
        SafetyConfig(velocity_fraction=fraction)


def test_velocity_fraction_one_is_allowed():
    assert SafetyConfig(velocity_fraction=1.0).velocity_fraction == 1.0


@pytest.mark.parametrize("fps", [0.0, -30.0, float("nan")])
def test_bad_fps_is_rejected(g1, fps):
    with pytest.raises(ValueError, match="fps must be positive"):
        SafetyFilter(g1, fps)
