"""Tests of molingo_ros.motion.rigs: the named joints of the Bandai, DeepMimic, SMPL-22 and KIT-21
rigs."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.deepmimic import humanoid_clips
from molingo_ros.motion.rigs import (
    BANDAI,
    BANDAI_PARENTS,
    DEEPMIMIC,
    KIT21,
    KIT21_MMM_NAMES,
    RIG_PARENTS,
    RIGS,
    SMPL22,
    mirror_joint_name,
    rig_for,
)


def test_a_loaded_bandai_clip_is_the_bandai_rig(bandai_clip) -> None:
    motion = load_motion(bandai_clip("dataset-1_bow_normal_001"))
    assert rig_for(motion.joint_names) is BANDAI
    assert rig_for(tuple(motion.joint_names)) is BANDAI
    np.testing.assert_array_equal(motion.parents, BANDAI_PARENTS)
    # semantic joints are where they should be: feet lowest, head highest in a standing frame
    z = motion.positions_m[0, :, 2]
    assert z[BANDAI.index(BANDAI.head)] == z.max()
    assert {BANDAI.index(j) for j in BANDAI.feet} >= {int(np.argmin(z))}


def test_a_loaded_deepmimic_clip_is_the_deepmimic_rig() -> None:
    path = next(p for p in humanoid_clips() if p.stem == "humanoid3d_walk")
    motion = load_motion(path)
    assert rig_for(motion.joint_names) is DEEPMIMIC
    assert DEEPMIMIC.feet[0] == DEEPMIMIC.feet[1] == "left_ankle"  # no toes in this rig


def test_unknown_rig_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known rigs: bandai, deepmimic"):
        rig_for(["Hips", "Spine"])
    with pytest.raises(KeyError, match="joint of rig 'bandai'"):
        BANDAI.index("Tail")
    assert set(RIGS) == {"bandai", "deepmimic", "smpl22", "kit21"}


@pytest.mark.parametrize("rig", [BANDAI, DEEPMIMIC, SMPL22, KIT21])
def test_named_joints_belong_to_the_rig_and_mirror_pairwise(rig) -> None:
    named = [*rig.feet, *rig.hips, *rig.shoulders, *rig.hands, rig.head]
    assert set(named) <= set(rig.joint_names)
    mirrored = [mirror_joint_name(n) for n in rig.joint_names]
    assert sorted(mirrored) == sorted(rig.joint_names)  # a permutation of the rig
    assert all(mirror_joint_name(m) == n for m, n in zip(mirrored, rig.joint_names, strict=True))
    for left, right in (rig.hips, rig.shoulders, rig.hands):
        assert mirror_joint_name(left) == right


def test_mirror_joint_name_patterns() -> None:
    cases = {
        "Hand_L": "Hand_R",
        "Toes_R": "Toes_L",
        "left_knee": "right_knee",
        "RightArm": "LeftArm",
        "l_wrist": "r_wrist",
        "Spine": "Spine",
        "Hand_Left_end": "Hand_Left_end",  # only prefixes/suffixes are sides
    }
    assert {k: mirror_joint_name(k) for k in cases} == cases


@pytest.mark.parametrize("rig", [BANDAI, SMPL22, KIT21])
def test_parents_are_a_tree_that_mirrors_onto_itself(rig) -> None:
    from molingo_ros.motion.mirror import mirror_indices

    parents = RIG_PARENTS[rig.name]
    assert len(parents) == len(rig.joint_names) and parents[0] == -1
    assert all(0 <= p < j for j, p in enumerate(parents) if j > 0)  # parents come first
    partner = mirror_indices(list(rig.joint_names))
    for j, p in enumerate(parents[1:], start=1):
        assert parents[partner[j]] == partner[p]  # the mirror of my parent is my mirror's parent


def test_smpl22_and_kit21_are_the_published_orders() -> None:
    assert SMPL22.joint_names[:4] == ("pelvis", "left_hip", "right_hip", "spine1")
    assert SMPL22.joint_names[20:] == ("left_wrist", "right_wrist")
    assert RIG_PARENTS["smpl22"][13:15] == (9, 9) and RIG_PARENTS["smpl22"][15] == 12
    assert len(KIT21.joint_names) == len(KIT21_MMM_NAMES) == 21
    for ours, mmm in zip(KIT21.joint_names, KIT21_MMM_NAMES, strict=True):
        side = {"left": "L", "right": "R"}.get(ours.split("_")[0])
        assert side is None or mmm.startswith(side)
