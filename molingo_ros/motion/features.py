"""The canonical learning representation (in the spirit of HumanML3D's 263-d features).

For a rig of J joints (root first) each frame t holds, in this order:

==================  =========  ==============================================================
slice               size       meaning
==================  =========  ==============================================================
root_yaw_vel        1          heading change from t to t+1 (rad/frame), about world z
root_lin_vel        2          root xy displacement t → t+1 in the heading frame at t (m/frame)
root_height         1          root z (m above the floor)
ric                 3 (J-1)    non-root joints relative to the root, heading-normalised, z kept
                               absolute (m)
rot6d               6 J        joint rotations as the first two matrix columns: the root's
                               global one with the heading removed, the others parent-relative
local_vel           3 J        joint displacement t → t+1 in the heading frame at t (m/frame)
foot_contact        4          left ankle, left toe, right ankle, right toe in contact (0 / 1)
==================  =========  ==============================================================

The last frame repeats the previous frame's velocities. The heading is the horizontal direction
perpendicular to the left-right axis of hips and shoulders (x forward, y left, z up).

The inverse (:func:`features_to_positions`) integrates the root and is exact (to floating-point
error) for a motion whose first frame has its root at x = y = 0 facing +x, which is what
:func:`canonicalize` makes; :func:`features_to_motion` can place the result anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from molingo_ros.motion.motion import Motion
from molingo_ros.motion.rigs import BANDAI, SMPL22, Rig


@dataclass(frozen=True)
class FeatureConfig:
    """Settings of the representation.

    Attributes:
        rig: the skeleton's named joints (default: the Bandai rig, the project's skeleton).
        contact_speed_m_s: a foot joint slower than this may be in contact (m/s).
        contact_height_m: per foot joint (left ankle, left toe, right ankle, right toe), the
            height above the floor under which it may be in contact (m).
    """

    rig: Rig = BANDAI
    contact_speed_m_s: float = 0.3
    contact_height_m: tuple[float, float, float, float] = (0.15, 0.08, 0.15, 0.08)

    @property
    def num_joints(self) -> int:
        return len(self.rig.joint_names)

    @property
    def dim(self) -> int:
        return feature_dim(self.num_joints)

    def slices(self) -> dict[str, slice]:
        return feature_slices(self.num_joints)


def feature_slices(num_joints: int) -> dict[str, slice]:
    """Name → slice of each block of the feature vector for a rig of ``num_joints`` joints."""
    sizes = {
        "root_yaw_vel": 1,
        "root_lin_vel": 2,
        "root_height": 1,
        "ric": 3 * (num_joints - 1),
        "rot6d": 6 * num_joints,
        "local_vel": 3 * num_joints,
        "foot_contact": 4,
    }
    out, start = {}, 0
    for name, size in sizes.items():
        out[name] = slice(start, start + size)
        start += size
    return out


def feature_dim(num_joints: int) -> int:
    """Length of a feature vector (257 for the 21-joint Bandai rig)."""
    return feature_slices(num_joints)["foot_contact"].stop


def joints_of_feature_dim(dim: int) -> int:
    """The joint count ``J`` of features of size ``dim`` (the inverse of :func:`feature_dim`:
    ``12 J + 5``; 257 -> 21, 269 -> 22).

    Raises:
        ValueError: ``dim`` is not the feature size of any joint count.
    """
    joints = (dim - 5) // 12
    if joints < 2 or feature_dim(joints) != dim:
        raise ValueError(f"{dim} is not the feature size of any joint count")
    return joints


def rig_for_features(dim: int) -> Rig:
    """The rig of features of size ``dim`` when nothing else says: :data:`SMPL22` for its 269,
    the Bandai rig otherwise (the 21-joint KIT rig has Bandai's 257 too: name it)."""
    return SMPL22 if dim == feature_dim(len(SMPL22.joint_names)) else BANDAI


def _yaw_matrices(theta: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotations about z by ``theta`` radians."""
    c, s = np.cos(theta), np.sin(theta)
    mats = np.zeros(theta.shape + (3, 3))
    mats[..., 0, 0], mats[..., 0, 1] = c, -s
    mats[..., 1, 0], mats[..., 1, 1] = s, c
    mats[..., 2, 2] = 1.0
    return mats


def heading(positions_m: np.ndarray, rig: Rig) -> np.ndarray:
    """(T,) heading angle about z (rad, 0 = facing +x) from hips and shoulders.

    Frames where the body's left-right axis is near vertical (lying on the side) keep the
    previous frame's heading.
    """
    hl, hr = rig.index(rig.hips[0]), rig.index(rig.hips[1])
    sl, sr = rig.index(rig.shoulders[0]), rig.index(rig.shoulders[1])
    across = (positions_m[:, hl] - positions_m[:, hr]) + (positions_m[:, sl] - positions_m[:, sr])
    forward = np.cross(across, np.array([0.0, 0.0, 1.0]))  # left x up = forward
    norm = np.linalg.norm(forward[:, :2], axis=1)
    theta = np.arctan2(forward[:, 1], forward[:, 0])
    valid = norm > 1e-3 * max(float(np.median(norm)), 1e-9)
    if not valid.any():
        return np.zeros(len(theta))
    last = theta[np.argmax(valid)]
    for t in range(len(theta)):
        if valid[t]:
            last = theta[t]
        else:
            theta[t] = last
    return theta


def _wrap(angle: np.ndarray) -> np.ndarray:
    return (angle + np.pi) % (2 * np.pi) - np.pi


def canonicalize(motion: Motion, rig: Rig | None = None) -> tuple[Motion, np.ndarray, float]:
    """Move a motion so that frame 0 has its root at x = y = 0 facing +x (floor unchanged).

    Returns:
        ``(moved motion, original root xy at frame 0 (2,), original heading at frame 0 (rad))``.
    """
    rig = rig or BANDAI
    theta0 = float(heading(motion.positions_m[:1], rig)[0])
    xy0 = motion.positions_m[0, 0, :2].copy()
    rot = _yaw_matrices(np.array(-theta0))
    shifted = motion.positions_m - np.array([xy0[0], xy0[1], 0.0])
    positions = shifted @ rot.T
    rotations = (
        None if motion.rotations is None else np.einsum("ab,tjbc->tjac", rot, motion.rotations)
    )
    return replace(motion, positions_m=positions, rotations=rotations), xy0, theta0


def foot_contacts(positions_m: np.ndarray, fps: float, config: FeatureConfig) -> np.ndarray:
    """(T, 4) contact flags of (left ankle, left toe, right ankle, right toe)."""
    idx = [config.rig.index(j) for j in config.rig.feet]
    feet = positions_m[:, idx]
    vel = np.diff(
        feet, axis=0, append=feet[-1:] + (feet[-1:] - feet[-2:-1] if len(feet) > 1 else 0)
    )
    speed = np.linalg.norm(vel, axis=-1) * fps
    low = feet[..., 2] < np.asarray(config.contact_height_m)
    return ((speed < config.contact_speed_m_s) & low).astype(np.float64)


def _forward_velocity(x: np.ndarray) -> np.ndarray:
    """x[t+1] - x[t], the last frame repeating the previous one (zero for a single frame)."""
    if len(x) == 1:
        return np.zeros_like(x)
    vel = np.diff(x, axis=0)
    return np.concatenate([vel, vel[-1:]], axis=0)


def motion_to_features(motion: Motion, config: FeatureConfig | None = None) -> np.ndarray:
    """(T, D) features of a motion of the configured rig (positions and rotations needed).

    The motion is used where it stands; call :func:`canonicalize` first for an exact inverse.
    """
    config = config or FeatureConfig()
    rig = config.rig
    if tuple(motion.joint_names) != rig.joint_names:
        raise ValueError(
            f"motion {motion.name!r} has joints {motion.joint_names[:4]}..., the {rig.name!r} rig "
            f"needs {list(rig.joint_names[:4])}... ({len(rig.joint_names)} joints)"
        )
    if motion.rotations is None:
        raise ValueError(f"motion {motion.name!r} has no joint rotations; features need them")
    pos = motion.positions_m
    num_frames, num_joints = pos.shape[:2]
    theta = heading(pos, rig)
    inv_heading = _yaw_matrices(-theta)  # world → heading frame

    yaw_vel = _wrap(_forward_velocity(theta))
    root_xy = pos[:, 0].copy()
    root_xy[:, 2] = 0.0
    root_lin = np.einsum("tab,tb->ta", inv_heading, _forward_velocity(root_xy))[:, :2]
    root_height = pos[:, 0, 2:3]
    ric = np.einsum("tab,tjb->tja", inv_heading, pos[:, 1:] - root_xy[:, None])
    local_vel = np.einsum("tab,tjb->tja", inv_heading, _forward_velocity(pos))

    glob = motion.rotations
    local = np.empty_like(glob)
    local[:, 0] = inv_heading @ glob[:, 0]
    parents = motion.parents
    for j in range(1, num_joints):
        local[:, j] = np.swapaxes(glob[:, parents[j]], -1, -2) @ glob[:, j]
    rot6d = local[..., :, :2].reshape(num_frames, num_joints, 6)

    contacts = foot_contacts(pos, motion.fps, config)
    return np.concatenate(
        [
            yaw_vel[:, None],
            root_lin,
            root_height,
            ric.reshape(num_frames, -1),
            rot6d.reshape(num_frames, -1),
            local_vel.reshape(num_frames, -1),
            contacts,
        ],
        axis=1,
    )


@dataclass
class RootTrajectory:
    """Root path recovered from features: ``xy_m`` (T, 2) metres and ``heading_rad`` (T,),
    world frame (z up), starting at the given start pose."""

    xy_m: np.ndarray
    heading_rad: np.ndarray


def integrate_root(
    features: np.ndarray,
    num_joints: int,
    start_xy: np.ndarray | None = None,
    start_heading: float = 0.0,
) -> RootTrajectory:
    """Root xy and heading over time from the velocity features (frame 0 at the start pose)."""
    sl = feature_slices(num_joints)
    yaw_vel = features[:, sl["root_yaw_vel"]][:, 0]
    theta = start_heading + np.concatenate([[0.0], np.cumsum(yaw_vel[:-1])])
    lin = np.zeros((len(features), 3))
    lin[:, :2] = features[:, sl["root_lin_vel"]]
    step_world = np.einsum("tab,tb->ta", _yaw_matrices(theta), lin)[:, :2]
    start = np.zeros(2) if start_xy is None else np.asarray(start_xy, dtype=np.float64)
    xy = start + np.concatenate([np.zeros((1, 2)), np.cumsum(step_world[:-1], axis=0)])
    return RootTrajectory(xy_m=xy, heading_rad=theta)


def features_to_positions(
    features: np.ndarray,
    num_joints: int,
    start_xy: np.ndarray | None = None,
    start_heading: float = 0.0,
) -> tuple[np.ndarray, RootTrajectory]:
    """Invert the representation: (T, J, 3) joint positions (world frame, metres) and the root
    trajectory, frame 0's root placed at ``start_xy`` facing ``start_heading``."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[1] != feature_dim(num_joints):
        raise ValueError(
            f"features must be (T, {feature_dim(num_joints)}) for {num_joints} joints, "
            f"got {features.shape}"
        )
    sl = feature_slices(num_joints)
    root = integrate_root(features, num_joints, start_xy, start_heading)
    num_frames = len(features)
    ric = features[:, sl["ric"]].reshape(num_frames, num_joints - 1, 3)
    to_world = _yaw_matrices(root.heading_rad)
    positions = np.empty((num_frames, num_joints, 3))
    offset = np.zeros((num_frames, 1, 3))
    offset[:, 0, :2] = root.xy_m
    positions[:, 1:] = np.einsum("tab,tjb->tja", to_world, ric) + offset
    positions[:, 0, :2] = root.xy_m
    positions[:, 0, 2] = features[:, sl["root_height"]][:, 0]
    return positions, root


def rotations_from_6d(six: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices from (..., 6) first-two-column vectors (Gram-Schmidt)."""
    six = np.asarray(six, dtype=np.float64).reshape(six.shape[:-1] + (3, 2))
    a, b = six[..., 0], six[..., 1]
    x = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b - np.sum(x * b, axis=-1, keepdims=True) * x
    y = b / np.linalg.norm(b, axis=-1, keepdims=True)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=-1)


def features_to_motion(
    features: np.ndarray,
    fps: float,
    config: FeatureConfig | None = None,
    parents: np.ndarray | None = None,
    start_xy: np.ndarray | None = None,
    start_heading: float = 0.0,
    text: str | None = None,
) -> Motion:
    """A :class:`Motion` (positions and global rotations) from features of the configured rig.

    ``parents`` defaults to the rig's tree (:data:`~molingo_ros.motion.rigs.RIG_PARENTS`).
    """
    config = config or FeatureConfig()
    num_joints = config.num_joints
    if parents is None:
        from molingo_ros.motion.rigs import RIG_PARENTS

        if config.rig.name not in RIG_PARENTS:
            raise ValueError(f"pass parents for rig {config.rig.name!r}")
        parents = RIG_PARENTS[config.rig.name]
    positions, root = features_to_positions(features, num_joints, start_xy, start_heading)
    num_frames = len(features)
    local = rotations_from_6d(
        features[:, feature_slices(num_joints)["rot6d"]].reshape(num_frames, num_joints, 6)
    )
    glob = np.empty_like(local)
    glob[:, 0] = _yaw_matrices(root.heading_rad) @ local[:, 0]
    for j in range(1, num_joints):
        glob[:, j] = glob[:, parents[j]] @ local[:, j]
    return Motion(
        positions_m=positions,
        joint_names=list(config.rig.joint_names),
        parents=np.asarray(parents),
        fps=fps,
        rotations=glob,
        text=text,
    )
