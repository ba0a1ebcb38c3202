"""Named joints of the rigs the project reads: which joints are feet, hips, shoulders, and
which joint mirrors which."""

from __future__ import annotations

import re
from dataclasses import dataclass

from molingo_ros.motion.motion import index_of


@dataclass(frozen=True)
class Rig:
    """Semantic joints of a skeleton, by name.

    Attributes:
        name: rig name.
        joint_names: the joints, in the order motions of this rig store them.
        feet: foot joints used for contacts, ``(left ankle, left toe, right ankle, right toe)``.
        hips: ``(left hip, right hip)``, used with ``shoulders`` to find the heading.
        shoulders: ``(left shoulder, right shoulder)``.
        hands: ``(left hand, right hand)``.
        head: the head joint.
    """

    name: str
    joint_names: tuple[str, ...]
    feet: tuple[str, str, str, str]
    hips: tuple[str, str]
    shoulders: tuple[str, str]
    hands: tuple[str, str]
    head: str

    def index(self, joint: str) -> int:
        """Index of ``joint``; the error lists the rig's joints."""
        return index_of(self.joint_names, joint, what=f"joint of rig {self.name!r}:")


_SIDE_PATTERNS = (
    (re.compile(r"_L$"), "_R"),
    (re.compile(r"_R$"), "_L"),
    (re.compile(r"^left_"), "right_"),
    (re.compile(r"^right_"), "left_"),
    (re.compile(r"^Left"), "Right"),
    (re.compile(r"^Right"), "Left"),
    (re.compile(r"^l_"), "r_"),
    (re.compile(r"^r_"), "l_"),
)


def mirror_joint_name(name: str) -> str:
    """``Hand_L`` → ``Hand_R``, ``left_knee`` → ``right_knee``; centre joints unchanged."""
    for pattern, replacement in _SIDE_PATTERNS:
        if pattern.search(name):
            return pattern.sub(replacement, name)
    return name


BANDAI = Rig(
    name="bandai",
    joint_names=(
        "Hips",
        "Spine",
        "Chest",
        "Neck",
        "Head",
        "Shoulder_L",
        "UpperArm_L",
        "LowerArm_L",
        "Hand_L",
        "Shoulder_R",
        "UpperArm_R",
        "LowerArm_R",
        "Hand_R",
        "UpperLeg_L",
        "LowerLeg_L",
        "Foot_L",
        "Toes_L",
        "UpperLeg_R",
        "LowerLeg_R",
        "Foot_R",
        "Toes_R",
    ),
    feet=("Foot_L", "Toes_L", "Foot_R", "Toes_R"),
    hips=("UpperLeg_L", "UpperLeg_R"),
    shoulders=("UpperArm_L", "UpperArm_R"),
    hands=("Hand_L", "Hand_R"),
    head="Head",
)
"""The Bandai Namco rig (its BVH less the static ``joint_Root``): the project's skeleton."""

DEEPMIMIC = Rig(
    name="deepmimic",
    joint_names=(
        "root",
        "chest",
        "neck",
        "right_hip",
        "right_knee",
        "right_ankle",
        "right_shoulder",
        "right_elbow",
        "right_wrist",
        "left_hip",
        "left_knee",
        "left_ankle",
        "left_shoulder",
        "left_elbow",
        "left_wrist",
    ),
    feet=("left_ankle", "left_ankle", "right_ankle", "right_ankle"),
    hips=("left_hip", "right_hip"),
    shoulders=("left_shoulder", "right_shoulder"),
    hands=("left_wrist", "right_wrist"),
    head="neck",
)
"""The DeepMimic humanoid3d rig of pybullet_data (no toes: the ankle stands in for them)."""

SMPL22 = Rig(
    name="smpl22",
    joint_names=(
        "pelvis",
        "left_hip",
        "right_hip",
        "spine1",
        "left_knee",
        "right_knee",
        "spine2",
        "left_ankle",
        "right_ankle",
        "spine3",
        "left_foot",
        "right_foot",
        "neck",
        "left_collar",
        "right_collar",
        "head",
        "left_shoulder",
        "right_shoulder",
        "left_elbow",
        "right_elbow",
        "left_wrist",
        "right_wrist",
    ),
    feet=("left_ankle", "left_foot", "right_ankle", "right_foot"),
    hips=("left_hip", "right_hip"),
    shoulders=("left_shoulder", "right_shoulder"),
    hands=("left_wrist", "right_wrist"),
    head="head",
)
"""The first 22 SMPL body joints, in SMPL order: the HumanML3D skeleton (``new_joints``)."""

KIT21 = Rig(
    name="kit21",
    joint_names=(
        "root",
        "spine_lower",
        "spine_upper",
        "neck",
        "head",
        "left_shoulder",
        "left_elbow",
        "left_wrist",
        "right_shoulder",
        "right_elbow",
        "right_wrist",
        "left_hip",
        "left_knee",
        "left_ankle",
        "left_metatarsal",
        "left_toe",
        "right_hip",
        "right_knee",
        "right_ankle",
        "right_metatarsal",
        "right_toe",
    ),
    feet=("left_metatarsal", "left_toe", "right_metatarsal", "right_toe"),
    hips=("left_hip", "right_hip"),
    shoulders=("left_shoulder", "right_shoulder"),
    hands=("left_wrist", "right_wrist"),
    head="head",
)
"""The 21 joints of KIT-ML (the MMM reference model), in KIT-ML order; the MMM names are
:data:`KIT21_MMM_NAMES`. The sides follow the MMM names (``LS`` = left shoulder); feet are the
metatarsal and toe points HumanML3D uses for KIT contacts."""

KIT21_MMM_NAMES = (
    "root", "BP", "BT", "BLN", "BUN", "LS", "LE", "LW", "RS", "RE", "RW",
    "LH", "LK", "LA", "LMrot", "LF", "RH", "RK", "RA", "RMrot", "RF",
)  # fmt: skip
"""The MMM marker-model names of :data:`KIT21`'s joints, in the same order."""

RIGS = {rig.name: rig for rig in (BANDAI, DEEPMIMIC, SMPL22, KIT21)}


def rig_for(joint_names: list[str] | tuple[str, ...]) -> Rig:
    """The known rig whose joints are exactly ``joint_names``."""
    for rig in RIGS.values():
        if tuple(joint_names) == rig.joint_names:
            return rig
    raise KeyError(
        f"no known rig has joints {list(joint_names)[:6]}...; known rigs: {', '.join(RIGS)}"
    )


BANDAI_PARENTS = (-1, 0, 1, 2, 3, 2, 5, 6, 7, 2, 9, 10, 11, 0, 13, 14, 15, 0, 17, 18, 19)
"""Parent of each joint of :data:`BANDAI` (the BVH's tree less ``joint_Root``)."""

SMPL22_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)
"""Parent of each joint of :data:`SMPL22` (SMPL's kinematic tree, as HumanML3D uses it)."""

KIT21_PARENTS = (-1, 0, 1, 2, 3, 3, 5, 6, 3, 8, 9, 0, 11, 12, 13, 14, 0, 16, 17, 18, 19)
"""Parent of each joint of :data:`KIT21` (KIT-ML's kinematic chains)."""

RIG_PARENTS = {
    BANDAI.name: BANDAI_PARENTS,
    SMPL22.name: SMPL22_PARENTS,
    KIT21.name: KIT21_PARENTS,
}
"""Parents of the rigs whose tree is fixed (DeepMimic's comes from its URDF)."""
