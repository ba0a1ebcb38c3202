"""Tests of molingo_ros.motion.blend: real Bandai clips joined with a blended transition."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion.blend import join_motions, place_like
from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.deepmimic import humanoid_clips
from molingo_ros.motion.features import heading
from molingo_ros.motion.rigs import BANDAI


@pytest.fixture(scope="module")
def walk(bandai_clip):
    motion = load_motion(bandai_clip("dataset-2_walk_normal_001"))
    motion.text = "a person walks"
    return motion


@pytest.fixture(scope="module")
def wave(bandai_clip):
    motion = load_motion(bandai_clip("dataset-2_wave-right-hand_normal_001"))
    motion.text = "a person waves"
    return motion


def _bone_lengths(motion) -> np.ndarray:
    kids = np.flatnonzero(motion.parents >= 0)
    diff = motion.positions_m[:, kids] - motion.positions_m[:, motion.parents[kids]]
    return np.linalg.norm(diff, axis=-1)


def test_place_like_matches_root_position_and_heading(walk, wave) -> None:
    last = walk.num_frames - 1
    placed = place_like(wave, 0, walk, last, BANDAI)
    np.testing.assert_allclose(placed.positions_m[0, 0, :2], walk.positions_m[last, 0, :2])
    assert placed.positions_m[0, 0, 2] == wave.positions_m[0, 0, 2]  # height kept
    np.testing.assert_allclose(
        heading(placed.positions_m[:1], BANDAI), heading(walk.positions_m[last:], BANDAI)
    )
    # a rigid move: bone lengths and the clip's own frame-to-frame travel are unchanged
    np.testing.assert_allclose(_bone_lengths(placed), _bone_lengths(wave), atol=1e-12)
    steps = np.linalg.norm(np.diff(placed.positions_m, axis=0), axis=-1)
    np.testing.assert_allclose(steps, np.linalg.norm(np.diff(wave.positions_m, axis=0), axis=-1))


def test_join_keeps_the_first_clip_and_blends_into_the_second(walk, wave) -> None:
    joined, switch = join_motions(walk, wave, blend_frames=10)
    blend = walk.num_frames + wave.num_frames - joined.num_frames
    assert blend >= 10
    start = walk.num_frames - blend
    assert start < switch < walk.num_frames
    np.testing.assert_array_equal(joined.positions_m[:start], walk.positions_m[:start])
    assert joined.frame_labels[:switch] == ["a person walks"] * switch
    assert set(joined.frame_labels[switch:]) == {"a person waves"}
    assert joined.name == f"{walk.name}+{wave.name}"
    assert joined.fps == walk.fps and joined.joint_names == walk.joint_names
    # one rigid skeleton throughout, and the second clip continues where the first ends
    rest = _bone_lengths(walk)[0]
    np.testing.assert_allclose(
        _bone_lengths(joined), np.broadcast_to(rest, (joined.num_frames, len(rest))), atol=1e-6
    )
    speed = np.linalg.norm(np.diff(joined.positions_m, axis=0), axis=-1).max() * joined.fps
    fastest = max(
        np.linalg.norm(np.diff(m.positions_m, axis=0), axis=-1).max() * m.fps for m in (walk, wave)
    )
    assert speed <= fastest + 1.0


def test_a_big_pose_gap_gets_a_longer_blend(walk, wave) -> None:
    far = wave.frames(0, wave.num_frames)
    far.positions_m = far.positions_m.copy()
    far.positions_m[..., 2] += 0.5  # second clip starts half a metre up: more to close
    joined, _ = join_motions(walk, far, blend_frames=2, max_catch_up_m_s=1.0)
    blend = walk.num_frames + far.num_frames - joined.num_frames
    assert blend >= int(np.ceil(1.5 * 0.5 * walk.fps / 1.0))


def test_join_needs_rotations_and_one_rig(walk, wave) -> None:
    bare = walk.frames(0, 20)
    bare.rotations = None
    with pytest.raises(ValueError, match="needs joint rotations"):
        join_motions(bare, wave)
    deepmimic = load_motion(next(p for p in humanoid_clips() if p.stem == "humanoid3d_walk"))
    with pytest.raises(ValueError, match="same rig"):
        join_motions(walk, deepmimic)
