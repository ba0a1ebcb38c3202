import numpy as np

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.features import canonicalize, features_to_positions, motion_to_features
from molingo_ros.motion.mirror import fit_local_mirrors, mirror_indices, mirror_motion
from molingo_ros.motion.rigs import BANDAI


def test_mirror_maps_the_left_hand_onto_the_right(bandai_clip):
    ref = fit_local_mirrors(load_motion(bandai_clip("dataset-2_walk_normal_001")))
    wave_left = load_motion(bandai_clip("dataset-2_wave-left-hand_normal_001"))
    mirrored = mirror_motion(wave_left, ref)
    hand_l, hand_r = BANDAI.index("Hand_L"), BANDAI.index("Hand_R")
    expected = wave_left.positions_m[:, hand_l] * [1, -1, 1]
    np.testing.assert_allclose(mirrored.positions_m[:, hand_r], expected)
    assert mirrored.positions_m[:, hand_r, 2].max() > 1.6  # now the right hand waves high
    assert mirrored.positions_m[:, hand_l, 2].max() < 1.0
    # mirroring twice gives the clip back
    twice = mirror_motion(mirrored, ref)
    np.testing.assert_allclose(twice.positions_m, wave_left.positions_m, atol=1e-12)
    np.testing.assert_allclose(twice.rotations, wave_left.rotations, atol=1e-12)


def test_mirrored_rotations_agree_with_mirrored_positions(bandai_clip):
    """Rotations and positions of the mirror form one rigid skeleton: the features of the mirror
    invert to the mirror's positions, and its rotations stay proper."""
    ref = fit_local_mirrors(load_motion(bandai_clip("dataset-2_walk_normal_001")))
    motion = load_motion(bandai_clip("dataset-2_raise-up-left-hand_feminine_001"))
    mirrored, _, _ = canonicalize(mirror_motion(motion, ref))
    np.testing.assert_allclose(np.linalg.det(mirrored.rotations), 1.0, atol=1e-9)
    pos, rot, par = mirrored.positions_m, mirrored.rotations, mirrored.parents
    p = np.maximum(par, 0)
    offsets = np.einsum("tjba,tjb->tja", rot[:, p], pos - pos[:, p])[:, 1:]
    assert np.abs(offsets - offsets[:1]).max() < 1e-9  # bone vectors fixed in the parent frame
    rest = np.einsum(
        "jba,jb->ja", motion.rotations[0, p], motion.positions_m[0] - motion.positions_m[0, p]
    )
    partner = mirror_indices(motion.joint_names)[1:]
    lengths = np.linalg.norm(offsets[0], axis=1)
    assert np.abs(lengths - np.linalg.norm(rest[partner], axis=1)).max() < 1e-9  # sides swapped
    feats = motion_to_features(mirrored)
    back, _ = features_to_positions(feats, 21)
    assert np.abs(back - pos).max() < 1e-9


def test_mirror_indices_swap_sides():
    idx = mirror_indices(list(BANDAI.joint_names))
    assert BANDAI.joint_names[idx[BANDAI.index("Hand_L")]] == "Hand_R"
    assert idx[BANDAI.index("Head")] == BANDAI.index("Head")
