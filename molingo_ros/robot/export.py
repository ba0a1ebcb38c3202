"""Robot motions in the reference layouts that humanoid motion-tracking trainers read.

Two formats (:data:`FORMATS`), both in the world frame of the motion (z up, metres, radians):

``lafan-csv``
    The per-frame CSV of the public Unitree G1/H1 retargeted LAFAN1 release: no header, one
    row per frame at the motion's rate (30 fps for this project's motions), each row the root
    position x, y, z (m), the root quaternion x, y, z, w, then the joint angles (rad) in the
    robot's joint order (``Robot.joint_names``: the URDF's actuated joints, 29 for the G1).

``tracking-npz``
    An ``.npz`` at a chosen rate (default 50 Hz), as whole-body tracking trainers load it:
    ``fps`` (1,) int, ``joint_pos`` / ``joint_vel`` (T, n_joints) rad, rad/s, in
    ``joint_names`` order; ``body_pos_w`` (T, n_bodies, 3) m, ``body_quat_w`` (T, n_bodies,
    4) quaternions **w, x, y, z**, ``body_lin_vel_w`` (T, n_bodies, 3) m/s and
    ``body_ang_vel_w`` (T, n_bodies, 3) rad/s of every link of the robot (``body_names``; the
    root link first), all in the world frame (velocities of each body's origin, world-aligned).
    The motion is resampled to the rate: positions and joint angles linearly, the root's
    orientation by spherical interpolation; velocities are central differences on the
    configuration manifold (pinocchio), one-sided at the ends.

A trainer whose simulator orders joints or bodies differently remaps them by the names stored
beside them. Written by ``molingo export``; :func:`read_lafan_csv` and
:func:`read_tracking_npz` read them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pinocchio as pin
from scipy.spatial.transform import Rotation, Slerp

from molingo_ros.robot.models import Robot

FORMATS = ("lafan-csv", "tracking-npz")
TRACKING_FPS = 50.0
"""The default rate of ``tracking-npz`` (Hz)."""


@dataclass(frozen=True)
class RobotMotion:
    """A robot motion: ``qpos`` (T, nq) pinocchio configurations (root x y z in m, root
    quaternion x y z w, joint angles in rad) of robot ``robot`` at ``fps`` frames/s."""

    robot: str
    qpos: np.ndarray
    fps: float

    @classmethod
    def from_npz(cls, path: str | Path) -> RobotMotion:
        """The robot motion of a ``molingo retarget`` / ``molingo generate`` ``.npz``
        (``robot_name``, ``robot_qpos``, ``robot_fps``)."""
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("robot_name", "robot_qpos", "robot_fps") if k not in z]
            if missing:
                raise ValueError(
                    f"{path} has no robot motion (missing {', '.join(missing)}); write one with "
                    "`molingo retarget CLIP --out FILE.npz` or `molingo generate ... --robot`"
                )
            return cls(
                str(z["robot_name"]), np.asarray(z["robot_qpos"], np.float64), float(z["robot_fps"])
            )


def _joint_angles(robot: Robot, qpos: np.ndarray) -> np.ndarray:
    return qpos[:, robot.joint_q_indices]


def write_lafan_csv(robot: Robot, motion: RobotMotion, path: str | Path) -> Path:
    """Write ``motion`` as ``lafan-csv`` (see the module docstring); returns the path."""
    q = _check_qpos(robot, motion.qpos)
    rows = np.concatenate([q[:, :3], q[:, 3:7], _joint_angles(robot, q)], axis=1)
    path = Path(path)
    np.savetxt(path, rows, delimiter=",", fmt="%.10g")
    return path


def read_lafan_csv(robot: Robot, path: str | Path, fps: float = 30.0) -> RobotMotion:
    """A ``lafan-csv`` file of ``robot`` (rows of 7 + its joints) as a :class:`RobotMotion`
    at ``fps``."""
    rows = np.atleast_2d(np.loadtxt(path, delimiter=",", dtype=np.float64))
    width = 7 + robot.num_joints
    if rows.shape[1] != width:
        raise ValueError(
            f"{path}: rows of {rows.shape[1]} values; {robot.name} needs {width} (root x y z, "
            f"quaternion x y z w, {robot.num_joints} joints)"
        )
    q = np.tile(robot.neutral(), (len(rows), 1))
    q[:, :7] = rows[:, :7]
    q[:, robot.joint_q_indices] = rows[:, 7:]
    return RobotMotion(robot.name, q, float(fps))


def _check_qpos(robot: Robot, qpos: np.ndarray) -> np.ndarray:
    q = np.asarray(qpos, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != robot.nq or len(q) < 2:
        raise ValueError(f"qpos must be (T >= 2, {robot.nq}) for {robot.name}, got {q.shape}")
    if not robot.spec.floating_base:
        raise ValueError(f"{robot.name} has no floating base: these layouts need one")
    return q


def resample(qpos: np.ndarray, fps: float, new_fps: float) -> np.ndarray:
    """``qpos`` (T, nq) at ``fps`` resampled to ``new_fps`` over the same duration: positions
    and joint angles linearly, the root quaternion (columns 3:7, x y z w) by slerp."""
    if fps <= 0 or new_fps <= 0:
        raise ValueError(f"frame rates must be > 0, got {fps} and {new_fps}")
    t = np.arange(len(qpos)) / fps
    n = int(np.floor(t[-1] * new_fps + 1e-9)) + 1
    t_new = np.arange(n) / new_fps
    out = np.empty((n, qpos.shape[1]))
    for j in (*range(3), *range(7, qpos.shape[1])):
        out[:, j] = np.interp(t_new, t, qpos[:, j])
    out[:, 3:7] = Slerp(t, Rotation.from_quat(qpos[:, 3:7]))(t_new).as_quat()
    return out


def _velocities(robot: Robot, q: np.ndarray, fps: float) -> np.ndarray:
    """(T, nv) velocities: central differences on the configuration manifold."""
    model = robot.model
    diffs = np.array([pin.difference(model, a, b) for a, b in zip(q[:-1], q[1:], strict=True)])
    v = np.empty((len(q), model.nv))
    v[0], v[-1] = diffs[0], diffs[-1]
    v[1:-1] = 0.5 * (diffs[:-1] + diffs[1:])
    return v * fps


def _bodies(robot: Robot) -> list[tuple[str, int]]:
    """(name, frame id) of every link (pinocchio BODY frame), the root link first."""
    frames = [(f.name, i) for i, f in enumerate(robot.model.frames) if f.type == pin.BODY]
    root = robot.root_link
    return sorted(frames, key=lambda f: f[0] != root)


def tracking_arrays(robot: Robot, motion: RobotMotion, fps: float = TRACKING_FPS) -> dict:
    """The ``tracking-npz`` arrays of ``motion`` resampled to ``fps`` (see the module
    docstring)."""
    q = resample(_check_qpos(robot, motion.qpos), motion.fps, fps)
    v = _velocities(robot, q, fps)
    bodies = _bodies(robot)
    model, data = robot.model, robot.data
    shape = (len(q), len(bodies))
    pos, quat = np.empty((*shape, 3)), np.empty((*shape, 4))
    lin, ang = np.empty((*shape, 3)), np.empty((*shape, 3))
    aligned = pin.ReferenceFrame.LOCAL_WORLD_ALIGNED
    for k in range(len(q)):
        pin.forwardKinematics(model, data, q[k], v[k])
        pin.updateFramePlacements(model, data)
        for b, (_, fid) in enumerate(bodies):
            placement = data.oMf[fid]
            pos[k, b] = placement.translation
            x, y, z, w = Rotation.from_matrix(placement.rotation).as_quat()
            quat[k, b] = (w, x, y, z)
            twist = pin.getFrameVelocity(model, data, fid, aligned)
            lin[k, b], ang[k, b] = twist.linear, twist.angular
    return {
        "fps": np.array([int(round(fps))], dtype=np.int64),
        "joint_names": np.array(robot.joint_names),
        "joint_pos": _joint_angles(robot, q),
        "joint_vel": v[:, robot.joint_v_indices],
        "body_names": np.array([name for name, _ in bodies]),
        "body_pos_w": pos,
        "body_quat_w": quat,
        "body_lin_vel_w": lin,
        "body_ang_vel_w": ang,
    }


def write_tracking_npz(
    robot: Robot, motion: RobotMotion, path: str | Path, fps: float = TRACKING_FPS
) -> Path:
    """Write ``motion`` as ``tracking-npz`` at ``fps`` (float32 arrays, as trainers load
    them); returns the path."""
    arrays = tracking_arrays(robot, motion, fps)
    path = Path(path)
    np.savez(
        path,
        **{k: a.astype(np.float32) if a.dtype == np.float64 else a for k, a in arrays.items()},
    )
    return path


def read_tracking_npz(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of a ``tracking-npz`` file (raises naming the keys it lacks)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    needed = ("fps", "joint_pos", "joint_vel", "body_pos_w", "body_quat_w", "body_lin_vel_w")
    missing = [k for k in (*needed, "body_ang_vel_w") if k not in arrays]
    if missing:
        raise ValueError(f"{path} is not a tracking-npz file: no {', '.join(missing)}")
    return arrays


def export_motion(
    robot: Robot, motion: RobotMotion, path: str | Path, fmt: str, fps: float = TRACKING_FPS
) -> Path:
    """Write ``motion`` to ``path`` in format ``fmt`` (one of :data:`FORMATS`; ``fps`` is
    the rate of ``tracking-npz``)."""
    if motion.robot != robot.name:
        raise ValueError(f"the motion is for {motion.robot}, not {robot.name}")
    if fmt == "lafan-csv":
        return write_lafan_csv(robot, motion, path)
    if fmt == "tracking-npz":
        return write_tracking_npz(robot, motion, path, fps)
    raise ValueError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")


__all__ = [
    "FORMATS",
    "TRACKING_FPS",
    "RobotMotion",
    "export_motion",
    "read_lafan_csv",
    "read_tracking_npz",
    "resample",
    "tracking_arrays",
    "write_lafan_csv",
    "write_tracking_npz",
]
