"""The learning representation: layout, exact inverse, contacts, on real Bandai clips."""

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.features import (
    FeatureConfig,
    canonicalize,
    feature_dim,
    feature_slices,
    features_to_motion,
    features_to_positions,
    joints_of_feature_dim,
    motion_to_features,
)
from molingo_ros.motion.rigs import BANDAI

CLIPS = [
    "dataset-2_walk_normal_001",
    "dataset-2_walk-turn-right_elderly_001",
    "dataset-2_run_active_001",
    "dataset-1_kick_normal_001",
    "dataset-1_dance-short_normal_001",
]


def test_layout():
    assert feature_dim(21) == 4 + 3 * 20 + 6 * 21 + 3 * 21 + 4 == 257
    sl = feature_slices(21)
    assert sl["foot_contact"].stop == 257 and sl["ric"].start == 4
    assert [joints_of_feature_dim(feature_dim(j)) for j in (21, 22, 5)] == [21, 22, 5]
    for size in (256, 258, 263, 17):
        with pytest.raises(ValueError, match="not the feature size"):
            joints_of_feature_dim(size)


@pytest.mark.parametrize("name", CLIPS)
def test_round_trip_below_a_millimetre(bandai_clip, name):
    motion, _, _ = canonicalize(load_motion(bandai_clip(name)))
    feats = motion_to_features(motion).astype(np.float32)  # as stored in the dataset
    positions, root = features_to_positions(feats, 21)
    err = np.linalg.norm(positions - motion.positions_m, axis=-1)
    assert err.max() < 1e-3, err.max()
    back = features_to_motion(feats, motion.fps)
    assert np.abs(back.rotations - motion.rotations).max() < 1e-4
    assert root.xy_m.shape == (motion.num_frames, 2)


def test_inverse_places_the_motion_back_in_the_world(bandai_clip):
    world = load_motion(bandai_clip("dataset-2_walk_normal_002"))
    canon, xy0, theta0 = canonicalize(world)
    positions, _ = features_to_positions(motion_to_features(canon), 21, xy0, theta0)
    assert np.abs(positions - world.positions_m).max() < 1e-9


def test_features_do_not_depend_on_where_the_clip_stands(bandai_clip):
    motion = load_motion(bandai_clip("dataset-2_walk-turn-left_normal_001"))
    a = motion_to_features(motion)
    turned = motion.positions_m.copy()
    c, s = np.cos(1.0), np.sin(1.0)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    moved = type(motion)(
        turned @ rot.T + [3.0, -2.0, 0.0],
        motion.joint_names,
        motion.parents,
        motion.fps,
        np.einsum("ab,tjbc->tjac", rot, motion.rotations),
    )
    np.testing.assert_allclose(motion_to_features(moved), a, atol=1e-9)


def test_foot_contacts_alternate_in_a_walk(bandai_clip):
    motion = load_motion(bandai_clip("dataset-2_walk_normal_001"))
    contacts = motion_to_features(motion)[:, feature_slices(21)["foot_contact"]]
    left, right = contacts[:, 1], contacts[:, 3]
    assert 0.3 < left.mean() < 0.8 and 0.3 < right.mean() < 0.8
    assert np.mean(np.maximum(left, right)) > 0.85  # almost always one foot down
    standing = motion_to_features(load_motion(bandai_clip("dataset-2_wave-right-hand_normal_001")))
    assert standing[:, -4:].mean() > 0.95


def test_wrong_rig_and_missing_rotations_are_errors(bandai_clip):
    motion = load_motion(bandai_clip("dataset-2_walk_normal_001"))
    with pytest.raises(ValueError, match="bandai"):
        motion_to_features(
            type(motion)(
                motion.positions_m[:, :5],
                motion.joint_names[:5],
                np.array([-1, 0, 1, 2, 3]),
                30.0,
                motion.rotations[:, :5],
            )
        )
    with pytest.raises(ValueError, match="no joint rotations"):
        motion_to_features(
            type(motion)(motion.positions_m, motion.joint_names, motion.parents, 30.0)
        )
    with pytest.raises(ValueError, match=r"\(T, 257\)"):
        features_to_positions(np.zeros((4, 100)), 21)
    assert FeatureConfig().rig is BANDAI
