"""Tests of molingo_ros.motion.joint_sides: body side of a joint from its name."""

from __future__ import annotations

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.joint_sides import CENTRE, LEFT, RIGHT, joint_sides
from molingo_ros.motion.rigs import BANDAI, DEEPMIMIC, mirror_joint_name


def test_joint_sides_of_name_styles() -> None:
    names = [
        "L_Hip",
        "hip_r",
        "hip.L",
        "LHipJoint",
        "rShoulder",
        "left_knee",
        "RightArm",
        "spine_lower",
        "Root",
        "Hips",
        "pelvis",
        "LowerBack",
        "torso_link",
    ]
    assert joint_sides(names) == list("LRLLRLRCCCCCC")
    assert (LEFT, RIGHT, CENTRE) == ("L", "R", "C")
    assert joint_sides([]) == []


def test_real_bandai_clip_is_split_into_mirrored_sides(bandai_clip) -> None:
    motion = load_motion(bandai_clip("dataset-2_walk_normal_001"))
    sides = dict(zip(motion.joint_names, joint_sides(motion.joint_names), strict=True))
    assert sides["Hips"] == sides["Spine"] == sides["Head"] == CENTRE
    assert sides["Hand_L"] == sides["Toes_L"] == LEFT
    assert sides["Hand_R"] == sides["UpperLeg_R"] == RIGHT
    # a joint and its mirror partner sit on opposite sides; centre joints are their own mirror
    for name, side in sides.items():
        partner = mirror_joint_name(name)
        expected = {LEFT: RIGHT, RIGHT: LEFT, CENTRE: CENTRE}[side]
        assert sides[partner] == expected, name
    assert list(sides.values()).count(LEFT) == list(sides.values()).count(RIGHT) == 8


def test_deepmimic_rig_sides() -> None:
    sides = joint_sides(DEEPMIMIC.joint_names)
    assert sides.count(LEFT) == sides.count(RIGHT) == 6
    assert [n for n, s in zip(DEEPMIMIC.joint_names, sides, strict=True) if s == CENTRE] == [
        "root",
        "chest",
        "neck",
    ]
    assert joint_sides(BANDAI.joint_names).count(CENTRE) == 5
