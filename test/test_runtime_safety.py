"""The safety filter (molingo_ros.runtime.safety) on the real Unitree G1 with real motion: a
Bandai Namco walk and run retargeted onto the robot, then corrupted in known ways."""

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


@pytest.fixture(scope="module")
def run(bandai_clip, g1):
    """(qpos (64, nq), fps) of a real run retargeted onto the G1 (fast legs: joints at up to
    ~0.9 of their speed limits)."""
    motion = load_motion(bandai_clip("dataset-2_run_normal_001")).frames(0, 64)
    result = retarget(motion, g1)
    assert result.qpos.shape == (64, g1.nq)
    assert validate(g1, result.qpos, result.fps).frame_ok.all()  # the premise
    return result.qpos, result.fps


def jq(robot, name: str) -> int:
    return int(robot.joint_q_indices[robot.joint_names.index(name)])


def max_step(robot, fps: float, config: SafetyConfig) -> np.ndarray:
    return config.velocity_fraction * robot.velocity_limits / fps + 1e-9


def assert_safe(robot, last_q, out: np.ndarray, fps: float, config: SafetyConfig) -> None:
    """Every frame of ``out`` finite and passing the real validator after ``last_q`` (None:
    none), joint steps within the filter's speed limit."""
    q = out if last_q is None else np.concatenate([last_q[None], out])
    assert np.isfinite(q).all()
    report = validate(robot, q, fps)
    assert report.frame_ok.all(), report.rejected_frames
    steps = np.abs(np.diff(q[:, robot.joint_q_indices], axis=0))
    assert (steps <= max_step(robot, fps, config)).all()


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
    assert (out.held, out.repaired, out.longest_hold) == (0, 0, 0)
    assert out.reasons == []
    assert out.qpos.shape == qpos.shape
    assert np.allclose(out.qpos, qpos, atol=0.0)


def test_joint_beyond_its_limit_is_projected_into_it(g1, walk):
    qpos, fps = walk
    j = g1.joint_names.index("left_elbow_joint")
    col = jq(g1, "left_elbow_joint")
    bad = qpos.copy()
    bad[40:45, col] = g1.upper[j] + 0.3
    out = SafetyFilter(g1, fps).apply(bad)
    # The five bad frames are repaired, not held: the elbow goes to its limit (at the speed
    # limit), every other coordinate follows the motion.
    assert (out.held, out.repaired, out.rejected) == (0, 5, 5)
    assert any("joint-limit" in r for r in out.reasons)
    assert np.array_equal(out.qpos[:40], qpos[:40])
    assert out.qpos[:, col].max() <= g1.upper[j]
    assert out.qpos[44, col] == g1.upper[j]
    others = np.delete(np.arange(g1.nq), col)
    assert np.allclose(out.qpos[40:45][:, others], qpos[40:45][:, others], atol=1e-12)
    assert_safe(g1, None, out.qpos, fps, SafetyConfig())
    # Back to the motion at the speed limit (one clamped frame), then exactly on it.
    assert out.clamped == 1
    assert np.array_equal(out.qpos[46:], qpos[46:])


def test_nan_frames_are_held(g1, walk):
    qpos, fps = walk
    bad = qpos.copy()
    bad[20:23] = np.nan
    bad[60, 5] = np.inf
    out = SafetyFilter(g1, fps).apply(bad)
    assert np.isfinite(out.qpos).all()
    assert (out.held, out.repaired, out.longest_hold, out.rejected) == (4, 0, 3, 4)
    assert "non-finite values" in out.reasons
    assert np.array_equal(out.qpos[20:23], np.repeat(qpos[19][None], 3, axis=0))
    assert np.array_equal(out.qpos[60], out.qpos[59])
    assert validate(g1, out.qpos, fps).frame_ok.all()
    # Nothing else is held: right after each hold the motion goes on.
    still = np.all(np.diff(out.qpos, axis=0) == 0, axis=1)
    assert np.flatnonzero(still).tolist() == [19, 20, 21, 59]
    assert np.array_equal(out.qpos[24:60], qpos[24:60])
    assert np.array_equal(out.qpos[62:], qpos[62:])


def test_zero_root_quaternion_is_held(g1, walk):
    """A frame the validator cannot even read (no rotation) is held, never raised on."""
    qpos, fps = walk
    bad = qpos[:20].copy()
    bad[8, 3:7] = 0.0
    out = SafetyFilter(g1, fps).apply(bad)
    assert (out.held, out.repaired, out.longest_hold) == (1, 0, 1)
    assert np.array_equal(out.qpos[8], qpos[7])
    assert np.array_equal(out.qpos[10:], qpos[10:20])
    assert_safe(g1, None, out.qpos, fps, SafetyConfig())


def corrupt(robot, q: np.ndarray, how: str) -> None:
    """Make frame ``q`` (nq,) invalid in place: non-finite, a knee far beyond its limit, or
    the left arm swung into the torso (self-collision, within every joint limit)."""
    if how == "non-finite":
        q[:] = np.nan
    elif how == "beyond-limit":
        q[jq(robot, "left_knee_joint")] = 3.5
    else:
        q[jq(robot, "left_shoulder_roll_joint")] = -1.0


@pytest.mark.parametrize("how", ["non-finite", "beyond-limit", "self-collision"])
def test_one_bad_frame_does_not_freeze_the_chunk(g1, run, how):
    """Issue 15, item 4: one rejected frame in the middle of a run froze every later frame of
    the chunk (the speed-clamped frame after it put a foot through the floor, and a second
    pass held everything from there on: 21 frames, 0.7 s). Now it costs that one frame."""
    qpos, fps = run
    filt = SafetyFilter(g1, fps)
    filt.apply(qpos[:32])
    last = filt.last_q.copy()
    chunk = qpos[32:].copy()
    corrupt(g1, chunk[11], how)
    if how != "non-finite":
        assert not validate(g1, chunk[11:12], fps).frame_ok[0]  # the premise
    out = filt.apply(chunk)
    # The motion goes on: back on the input within a speed-limited frame or two.
    assert np.array_equal(out.qpos[:11], chunk[:11])
    assert np.array_equal(out.qpos[14:], chunk[14:])
    assert out.rejected == 1
    if how == "non-finite":
        assert (out.held, out.repaired, out.longest_hold) == (1, 0, 1)
        assert np.array_equal(out.qpos[11], chunk[10])
    else:
        assert (out.held, out.repaired, out.longest_hold) == (0, 1, 0)
        assert not np.array_equal(out.qpos[11], chunk[10])  # it moves on, not held
    assert_safe(g1, last, out.qpos, fps, filt.config)


def test_frames_after_a_hold_blend_back_at_the_speed_limit(g1, walk):
    """After twenty unusable frames the output starts from the held frame and approaches the
    motion at the speed limit, frame by frame, instead of jumping or staying frozen."""
    qpos, fps = walk
    config = SafetyConfig(velocity_fraction=0.5)
    filt = SafetyFilter(g1, fps, config)
    filt.apply(qpos[:40])
    last = filt.last_q.copy()
    bad = qpos[40:].copy()
    bad[:20] = np.nan
    out = filt.apply(bad)
    assert (out.held, out.repaired, out.longest_hold, out.clamped) == (20, 0, 20, 2)
    assert np.array_equal(out.qpos[:20], np.repeat(last[None], 20, axis=0))
    joints = g1.joint_q_indices
    gap = np.abs(out.qpos[20:] - bad[20:])[:, joints].max(axis=1)
    assert gap[0] > gap[1] > 0.1  # a real gap, closed over two frames ...
    assert np.array_equal(out.qpos[22:], bad[22:])  # ... then exactly on the motion
    steps = np.abs(np.diff(out.qpos[19:23, joints], axis=0)) / max_step(g1, fps, config)
    assert steps[:2].max(axis=1) == pytest.approx(1.0)  # at the speed limit while closing it
    root_steps = np.linalg.norm(np.diff(out.qpos[19:23, :3], axis=0), axis=1)
    assert (root_steps <= config.max_root_speed_m_s / fps + 1e-9).all()
    assert_safe(g1, last, out.qpos, fps, config)


def test_counts_of_held_repaired_and_longest_hold(g1, walk):
    qpos, fps = walk
    bad = qpos.copy()
    bad[20:23] = np.nan  # a run of three held frames
    bad[60, 5] = np.inf  # one more
    j = g1.joint_names.index("left_elbow_joint")
    bad[40:45, jq(g1, "left_elbow_joint")] = g1.upper[j] + 0.3  # five repaired
    out = SafetyFilter(g1, fps).apply(bad)
    assert (out.held, out.repaired, out.longest_hold) == (4, 5, 3)
    assert out.rejected == out.held + out.repaired == 9
    assert out.reasons[:2] == ["non-finite values", "5 joint-limit violations"]
    assert_safe(g1, None, out.qpos, fps, SafetyConfig())


def test_streamed_chunks_with_bad_frames_stay_valid_across_chunks(g1, run):
    """Chunks of 8 frames with bad frames in the middle and at chunk starts: the output stream
    as a whole (speeds across chunk boundaries included) passes the validator, and every bad
    input frame costs at most one held frame."""
    qpos, fps = run
    bad = qpos.copy()
    faults = {8: "self-collision", 13: "non-finite", 24: "beyond-limit", 29: "self-collision"}
    faults |= {40: "non-finite", 45: "beyond-limit", 56: "self-collision"}
    for t, how in faults.items():
        corrupt(g1, bad[t], how)
    filt = SafetyFilter(g1, fps)
    parts, held, repaired = [], 0, 0
    for start in range(0, len(bad), 8):
        chunk = filt.apply(bad[start : start + 8])
        assert chunk.longest_hold <= 1
        assert np.array_equal(filt.last_q, chunk.qpos[-1])
        parts.append(chunk.qpos)
        held, repaired = held + chunk.held, repaired + chunk.repaired
    out = np.concatenate(parts)
    assert held == sum(how == "non-finite" for how in faults.values())
    assert held + repaired == len(faults)
    assert_safe(g1, None, out, fps, filt.config)
    good = np.ones(len(bad), dtype=bool)
    for t in faults:
        good[t : t + 3] = False  # the bad frame and the two frames of its blend
    assert np.array_equal(out[good], qpos[good])


def test_floor_check_can_be_turned_off(g1, walk):
    qpos, fps = walk
    low = qpos[:40].copy()
    low[30, 2] -= 0.1  # the root 10 cm lower: the feet through the floor
    out = SafetyFilter(g1, fps).apply(low)
    assert (out.held, out.repaired) == (0, 1)
    assert any("below the floor" in r for r in out.reasons)
    # The root as low as is safe: the joints as given, the lowest sole on the floor.
    assert low[30, 2] < out.qpos[30, 2] < qpos[29, 2]
    assert np.allclose(out.qpos[30, 3:], qpos[30, 3:], atol=1e-12)
    assert min(p[2] for p in g1.sole_positions(out.qpos[30]).values()) == pytest.approx(0.0)
    assert_safe(g1, None, out.qpos, fps, SafetyConfig())
    relaxed = SafetyFilter(g1, fps, SafetyConfig(check_floor=False)).apply(low)
    assert (relaxed.held, relaxed.repaired, relaxed.reasons) == (0, 0, [])
    assert np.array_equal(relaxed.qpos, low)


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
    assert (nxt.held, nxt.longest_hold) == (1, 1)
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
    assert (out.held, out.repaired, out.longest_hold, out.rejected) == (3, 0, 3, 3)
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
