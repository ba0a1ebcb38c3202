"""Reader for DeepMimic ``humanoid3d`` clips (as shipped in ``pybullet_data/data/motions``).

A clip is JSON: ``{"Loop": ..., "Frames": [[dt, root_pos(3), root_quat(4), chest(4), neck(4),
right_hip(4), right_knee(1), right_ankle(4), right_shoulder(4), right_elbow(1), left_hip(4),
left_knee(1), left_ankle(4), left_shoulder(4), left_elbow(1)], ...]}`` — 44 numbers a frame,
quaternions w x y z (some not normalised: they are normalised here), knees and elbows one angle
(radians) about their local z axis. The file frame is y up with the character facing +x,
metres, floor at y = 0. The skeleton's offsets are read at run time from the pybullet_data
``humanoid/humanoid.urdf`` (modelled at 4x scale, hence ``URDF_SCALE``).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from molingo_ros.motion.axes import to_world_matrix
from molingo_ros.motion.motion import Motion
from molingo_ros.motion.skeleton import Skeleton, forward_kinematics

URDF_SCALE = 0.25
"""pybullet loads humanoid.urdf with globalScaling 0.25: its numbers are 4x the metres."""

# (joint name, number of values in a frame: 4 = quaternion w x y z, 1 = angle about local z)
_LAYOUT: tuple[tuple[str, int], ...] = (
    ("chest", 4),
    ("neck", 4),
    ("right_hip", 4),
    ("right_knee", 1),
    ("right_ankle", 4),
    ("right_shoulder", 4),
    ("right_elbow", 1),
    ("left_hip", 4),
    ("left_knee", 1),
    ("left_ankle", 4),
    ("left_shoulder", 4),
    ("left_elbow", 1),
)
FRAME_SIZE = 1 + 3 + 4 + sum(n for _, n in _LAYOUT)
"""Numbers per frame: duration, root position, root quaternion, then the joints (44)."""


def motions_dir() -> Path:
    """The folder of DeepMimic clips inside the installed ``pybullet_data`` package."""
    import pybullet_data

    return Path(pybullet_data.getDataPath()) / "data" / "motions"


def humanoid_clips() -> list[Path]:
    """Every ``humanoid3d_*.txt`` clip shipped with pybullet_data, sorted by name."""
    return sorted(motions_dir().glob("humanoid3d_*.txt"))


@lru_cache(maxsize=1)
def humanoid_skeleton() -> Skeleton:
    """The DeepMimic humanoid (root, chest, neck, legs, arms, wrists) from pybullet's URDF.

    Offsets are in metres in the file frame (y up, x forward, z to the character's right).
    """
    import pybullet_data

    urdf = Path(pybullet_data.getDataPath()) / "humanoid" / "humanoid.urdf"
    # The shipped file ends with a stray NUL byte after </robot>: strip it before parsing.
    tree = ET.fromstring(urdf.read_bytes().rstrip(b"\x00\r\n\t "))
    names: list[str] = ["root"]
    parents: list[int] = [-1]
    offsets: list[np.ndarray] = [np.zeros(3)]
    child_link_of_joint: dict[str, str] = {}
    joints = tree.findall("joint")
    for joint in joints:
        child_link_of_joint[joint.find("child").get("link")] = joint.get("name")
    for joint in joints:
        name = joint.get("name")
        if name == "root":
            continue
        parent_link = joint.find("parent").get("link")
        origin = joint.find("origin")
        xyz = np.array([float(v) for v in origin.get("xyz").split()]) * URDF_SCALE
        names.append(name)
        parents.append(names.index(child_link_of_joint.get(parent_link, parent_link)))
        offsets.append(xyz)
    return Skeleton(tuple(names), np.array(parents), np.stack(offsets))


def _error(path: Path, message: str) -> ValueError:
    return ValueError(f"{path}: {message}")


def read_deepmimic(path: str | Path) -> Motion:
    """Read a DeepMimic humanoid clip into the project's world frame (z up, x forward, metres).

    Raises:
        ValueError: not JSON, no ``Frames``, a frame of the wrong size (the message names the
            frame), non-finite numbers, or a zero quaternion.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise _error(path, f"not a readable DeepMimic JSON clip: {exc}") from exc
    frames = data.get("Frames") if isinstance(data, dict) else None
    if not frames:
        raise _error(path, "no 'Frames' list")
    for i, row in enumerate(frames):
        if len(row) != FRAME_SIZE:
            raise _error(
                path,
                f"frame {i} has {len(row)} numbers; the humanoid3d format has {FRAME_SIZE} "
                "(other characters, e.g. laikago, are not humanoids)",
            )
    table = np.asarray(frames, dtype=np.float64)
    if not np.all(np.isfinite(table)):
        raise _error(path, f"frame {int(np.argwhere(~np.isfinite(table))[0, 0])} is not finite")

    skeleton = humanoid_skeleton()
    num_frames = len(table)
    local_rot = np.tile(np.eye(3), (num_frames, skeleton.num_joints, 1, 1))
    local_trans = np.tile(skeleton.offsets_m, (num_frames, 1, 1))
    local_trans[:, 0] = table[:, 1:4]
    column = 4
    for name, size in (("root", 4),) + _LAYOUT:
        values = table[:, column : column + size]
        column += size
        index = skeleton.index(name)
        if size == 4:
            norms = np.linalg.norm(values, axis=1)
            if np.any(norms < 1e-6):
                raise _error(path, f"frame {int(np.argmin(norms))}: zero quaternion for {name!r}")
            quat = values / norms[:, None]
            local_rot[:, index] = Rotation.from_quat(quat, scalar_first=True).as_matrix()
        else:
            local_rot[:, index] = Rotation.from_euler("z", values).as_matrix()
    rot_g, pos_g = forward_kinematics(skeleton.parents, local_rot, local_trans)

    to_world = to_world_matrix(up="y", forward="x")
    durations = table[:, 0]
    frame_time = float(np.median(durations[durations > 0])) if np.any(durations > 0) else 1 / 30
    return Motion(
        positions_m=np.einsum("ab,tjb->tja", to_world, pos_g),
        joint_names=list(skeleton.joint_names),
        parents=skeleton.parents,
        fps=round(1.0 / frame_time, 1),
        rotations=np.einsum("ab,tjbc->tjac", to_world, rot_g),
        name=path.stem,
    )
