"""Humanoid robot models: a thin wrapper around ``pin.Model`` (:class:`Robot`) and its loaders
(:func:`load_robot`, :func:`load_robot_from_urdf_string`).

The robot YAML schema (:class:`RobotSpec`, :func:`spec_from_dict`) lives in
:mod:`molingo_ros.robot.spec`, the registered robots and model-file lookup (:data:`ROBOTS`,
:func:`load_robot_spec`, :func:`resolve_model_path`) in :mod:`molingo_ros.robot.registry`, the
lazy collision geometry in :mod:`molingo_ros.robot.geometry`; their public names are
re-exported here (:data:`__all__`), so ``from molingo_ros.robot.models import ...`` keeps
working for all of them.

Conventions (same as :mod:`molingo_ros.motion.motion`): metres, radians, right-handed world
frame with **z up**, **x forward**, y to the robot's left, floor at z = 0.

Configuration vector ``q`` (pinocchio order, length ``nq``)::

    q[0:3]  root (free-flyer) position in the world frame, metres
    q[3:7]  root orientation quaternion **x, y, z, w** (pinocchio order;
            MuJoCo's ``qpos`` stores it as w, x, y, z)
    q[7:]   actuated joint angles in ``Robot.joint_names`` order, radians

Velocity vector (length ``nv``): root linear + angular velocity (6), then joint rates (rad/s).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pinocchio as pin

from molingo_ros.robot import DEFAULT_ROBOT
from molingo_ros.robot.geometry import load_collision_geometry
from molingo_ros.robot.keypoint_frames import KEYPOINT_FRAME_PREFIX, add_keypoint_frames
from molingo_ros.robot.registry import (
    CONFIG_DIR_ENV,
    G1_URDF_SOURCE,
    ROBOTS,
    ROBOTS_SUBDIR,
    config_dir,
    default_package_dirs,
    get_spec,
    load_robot_spec,
    package_root,
    resolve_model_path,
    robot_config_path,
)
from molingo_ros.robot.spec import (
    FALLBACK_VELOCITY_LIMIT_RAD_S,
    REQUIRED_KEYPOINTS,
    KeypointFrame,
    ModelSource,
    RobotModelError,
    RobotSpec,
    normalise_joint_name,
    spec_from_dict,
)

# fmt: off
__all__ = [
    # this module
    "KEYPOINT_FRAME_PREFIX", "Robot", "load_robot", "load_robot_from_urdf_string",
    # re-exported from molingo_ros.robot and molingo_ros.robot.spec
    "DEFAULT_ROBOT", "FALLBACK_VELOCITY_LIMIT_RAD_S", "REQUIRED_KEYPOINTS", "KeypointFrame",
    "ModelSource", "RobotModelError", "RobotSpec", "normalise_joint_name", "spec_from_dict",
    # re-exported from molingo_ros.robot.registry
    "CONFIG_DIR_ENV", "G1_URDF_SOURCE", "ROBOTS", "ROBOTS_SUBDIR", "config_dir",
    "default_package_dirs", "get_spec", "load_robot_spec", "package_root", "resolve_model_path",
    "robot_config_path",
]
# fmt: on


class Robot:
    """A humanoid: ``pin.Model`` + ``pin.Data``, keypoint frames, limits.

    Build with :func:`load_robot` or :func:`load_robot_from_urdf_string`. Not thread-safe (one
    shared ``pin.Data``).

    Attributes:
        name: spec name.
        spec: the :class:`RobotSpec`.
        model: the pinocchio model, with one OP frame per keypoint added
            (``molingo_kp_<keypoint>``).
        data: its ``pin.Data``.
        joint_names: actuated joint names, in ``q[7:]`` order.
        lower, upper: joint position limits, rad, shape (n_joints,).
        velocity_limits: joint speed limits, rad/s, finite and positive, shape (n_joints,).
        velocity_limit_sources: per joint, ``"model"``, ``"spec"`` or ``"default"``.
    """

    def __init__(
        self,
        model: pin.Model,
        spec: RobotSpec,
        *,
        model_path: Path | None = None,
        urdf_string: str | None = None,
        package_dirs: list[str] | None = None,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.model = model
        #: The model file (URDF or MJCF) it was loaded from; None when built from URDF text.
        self.model_path = model_path
        self._urdf_string = urdf_string
        self._package_dirs = package_dirs if package_dirs is not None else default_package_dirs()
        self._collision_model: pin.GeometryModel | None = None
        self._collision_data: pin.GeometryData | None = None
        #: Where :attr:`collision_model` came from: "urdf string" or the model file's path
        #: (empty until it is loaded).
        self.collision_source = ""

        if spec.floating_base and (
            model.njoints < 2 or model.joints[1].shortname() != "JointModelFreeFlyer"
        ):
            raise RobotModelError(f"robot '{spec.name}': the first joint is not a free-flyer root")
        missing = [k for k in REQUIRED_KEYPOINTS if k not in spec.keypoints]
        if missing:
            raise RobotModelError(f"spec '{spec.name}' lacks keypoints {missing}")

        names, idx_q, idx_v = self._actuated_joints()
        self.joint_names: list[str] = names
        self._idx_q = np.asarray(idx_q, dtype=np.int64)
        self._idx_v = np.asarray(idx_v, dtype=np.int64)
        self._root_nq = 7 if spec.floating_base else 0

        self.lower: np.ndarray = np.array(model.lowerPositionLimit[self._idx_q], dtype=np.float64)
        self.upper: np.ndarray = np.array(model.upperPositionLimit[self._idx_q], dtype=np.float64)
        self.velocity_limits, self.velocity_limit_sources = self._velocity_limits()

        # One OP frame per keypoint, on the parent frame's joint.
        self._kp_frame_ids: dict[str, int] = add_keypoint_frames(model, spec)
        self.data = model.createData()
        self.keypoint_names: list[str] = list(spec.keypoints)

        # Root height that puts the lowest sole at z = 0 in the neutral pose.
        q0 = pin.neutral(model)
        self._neutral_root_z = 0.0
        if spec.floating_base:
            soles = self.sole_positions(q0)
            self._neutral_root_z = -min(p[2] for p in soles.values())

    def _actuated_joints(self) -> tuple[list[str], list[int], list[int]]:
        """Names, ``q`` indices and velocity indices of the actuated (1-DoF) joints."""
        model = self.model
        first = 2 if self.spec.floating_base else 1
        names, idx_q, idx_v = [], [], []
        for jid in range(first, model.njoints):
            joint = model.joints[jid]
            if joint.nq != 1 or joint.nv != 1:
                raise RobotModelError(
                    f"robot '{self.spec.name}': joint '{model.names[jid]}' ({joint.shortname()}) "
                    "is not a 1-DoF joint; only revolute/prismatic joints are supported"
                )
            names.append(model.names[jid])
            idx_q.append(joint.idx_q)
            idx_v.append(joint.idx_v)
        return names, idx_q, idx_v

    # -- sizes -----------------------------------------------------------------------------

    @property
    def nq(self) -> int:
        """Configuration size (7 root + joints for a floating base)."""
        return int(self.model.nq)

    @property
    def nv(self) -> int:
        """Velocity size (6 root + joints for a floating base)."""
        return int(self.model.nv)

    @property
    def num_joints(self) -> int:
        """Number of actuated joints."""
        return len(self.joint_names)

    @property
    def joint_q_indices(self) -> np.ndarray:
        """Index in ``q`` of each actuated joint (``joint_names`` order)."""
        return self._idx_q.copy()

    @property
    def joint_v_indices(self) -> np.ndarray:
        """Index in the velocity vector of each actuated joint."""
        return self._idx_v.copy()

    def _velocity_limits(self) -> tuple[np.ndarray, list[str]]:
        model_lim = np.asarray(self.model.velocityLimit, dtype=np.float64)[self._idx_v]
        limits, sources = [], []
        for name, lim in zip(self.joint_names, model_lim, strict=True):
            key = normalise_joint_name(name)
            if np.isfinite(lim) and lim > 0:
                limits.append(float(lim))
                sources.append("model")
            elif key in self.spec.velocity_limits_rad_s:
                limits.append(float(self.spec.velocity_limits_rad_s[key]))
                sources.append("spec")
            else:
                limits.append(float(self.spec.default_velocity_limit_rad_s))
                sources.append("default")
        return np.asarray(limits, dtype=np.float64), sources

    # -- configurations --------------------------------------------------------------------

    def neutral(self) -> np.ndarray:
        """Neutral configuration (all joints 0, root upright at x = y = 0) with the root
        lifted so the lowest sole touches the floor (z = 0). Shape (nq,)."""
        q = np.array(pin.neutral(self.model), dtype=np.float64)
        if self.spec.floating_base:
            q[2] = self._neutral_root_z
        return q

    def joint_positions(self, q: np.ndarray) -> np.ndarray:
        """Actuated joint angles (rad) of configuration ``q``, ``joint_names`` order."""
        return np.asarray(q, dtype=np.float64)[self._idx_q]

    def clamp_to_limits(self, q: np.ndarray) -> np.ndarray:
        """Copy of ``q`` with the joint angles clipped to [lower, upper]; the root quaternion
        is normalised. ``q`` may be (nq,) or (T, nq)."""
        out = np.array(q, dtype=np.float64, copy=True)
        out[..., self._idx_q] = np.clip(out[..., self._idx_q], self.lower, self.upper)
        if self.spec.floating_base:
            quat = out[..., 3:7]
            norm = np.linalg.norm(quat, axis=-1, keepdims=True)
            out[..., 3:7] = np.where(norm > 0, quat / np.where(norm > 0, norm, 1.0), [0, 0, 0, 1])
        return out

    def _check_q(self, q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=np.float64)
        if q.shape != (self.nq,):
            raise ValueError(f"q must have shape ({self.nq},), got {q.shape}")
        return q

    # -- kinematics ------------------------------------------------------------------------

    def forward_kinematics(self, q: np.ndarray) -> None:
        """Run FK and update all frame placements in ``self.data`` (``data.oMf``)."""
        pin.framesForwardKinematics(self.model, self.data, self._check_q(q))

    def keypoint_frame_id(self, name: str) -> int:
        """Pinocchio frame id of keypoint ``name`` (for Jacobians)."""
        try:
            return self._kp_frame_ids[name]
        except KeyError:
            raise KeyError(
                f"unknown keypoint '{name}'; known: {', '.join(self.keypoint_names)}"
            ) from None

    def frame_placements(self, q: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """World placement of every keypoint frame at ``q``.

        Returns:
            keypoint name -> (position (3,) in metres, rotation (3, 3) whose columns are the
            frame's axes in the world frame; z up, x forward, y left).
        """
        self.forward_kinematics(q)
        out = {}
        for key, fid in self._kp_frame_ids.items():
            m = self.data.oMf[fid]
            out[key] = (np.array(m.translation), np.array(m.rotation))
        return out

    def keypoint_positions(self, q: np.ndarray) -> dict[str, np.ndarray]:
        """World position (metres) of every keypoint at ``q``."""
        return {k: p for k, (p, _) in self.frame_placements(q).items()}

    def sole_positions(self, q: np.ndarray) -> dict[str, np.ndarray]:
        """World position (metres) of the left and right sole centres at ``q``: the foot
        keypoint frames moved by ``spec.sole_offset_m`` in their own frame."""
        placements = self.frame_placements(q)
        offset = np.asarray(self.spec.sole_offset_m, dtype=np.float64)
        out = {}
        for side in ("left", "right"):
            pos, rot = placements[f"{side}_foot"]
            out[side] = pos + rot @ offset
        return out

    @property
    def root_link(self) -> str:
        """Name of the robot's root link (the body on the floating base, e.g. ``pelvis``; the
        first body of a fixed-base model): the child frame of the node's TF."""
        parent = 1 if self.spec.floating_base else 0
        for frame in self.model.frames:
            if frame.type == pin.FrameType.BODY and frame.parentJoint == parent:
                if frame.name != "universe":
                    return str(frame.name)
        raise RobotModelError(f"robot {self.name!r}: no body on its root joint")

    def standing_height(self) -> float:
        """Pelvis keypoint height (metres above the floor) at :meth:`neutral`, where the
        lowest sole centre is at z = 0."""
        return float(self.frame_placements(self.neutral())["pelvis"][0][2])

    # -- geometry (lazy: loading meshes takes seconds) --------------------------------------

    @property
    def collision_model(self) -> pin.GeometryModel:
        """The collision ``pin.GeometryModel``, loaded on first use (0.9-4.3 s).

        A robot built from URDF text takes the text's collision meshes (``package://`` URIs
        resolved through ``package_dirs``, then pinocchio's own ``ROS_PACKAGE_PATH`` /
        ``AMENT_PREFIX_PATH`` lookup). When a mesh cannot be found that way (pinocchio raises
        "Mesh ... could not be found") and the spec names a model file, the geometry of that
        file is attached to this model instead (its bodies matched to the URDF links by name);
        :attr:`collision_source` says which was used.
        """
        if self._collision_model is None:
            self._collision_model, self.collision_source = load_collision_geometry(
                self.model,
                self.spec,
                urdf_string=self._urdf_string,
                model_path=self.model_path,
                package_dirs=self._package_dirs,
            )
        return self._collision_model

    @property
    def collision_data(self) -> pin.GeometryData:
        """``pin.GeometryData`` of :attr:`collision_model` (created on first use)."""
        if self._collision_data is None:
            self._collision_data = pin.GeometryData(self.collision_model)
        return self._collision_data

    def __repr__(self) -> str:
        return f"Robot(name={self.name!r}, nq={self.nq}, nv={self.nv}, joints={self.num_joints})"


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _as_spec(spec: RobotSpec | str | os.PathLike) -> RobotSpec:
    return spec if isinstance(spec, RobotSpec) else load_robot_spec(spec)


def load_robot(name: RobotSpec | str | os.PathLike = DEFAULT_ROBOT) -> Robot:
    """Load a robot from the model file its spec names (``source``).

    Args:
        name: a registered name (``g1``, ``h1``, ``t1``), a YAML config path, or a
            :class:`RobotSpec`.

    Raises:
        RobotModelError: unknown name (the message lists the known ones), bad config, package
            or file missing, or a keypoint frame missing from the model.
    """
    spec = _as_spec(name)
    if spec.source is None:
        raise RobotModelError(
            f"robot '{spec.name}' has no model file (no robot.source); "
            "use load_robot_from_urdf_string"
        )
    path = resolve_model_path(spec.source)
    if spec.source.format == "mjcf":
        model = pin.buildModelFromMJCF(str(path))
    else:
        root = pin.JointModelFreeFlyer() if spec.floating_base else None
        model = (
            pin.buildModelFromUrdf(str(path), root) if root else pin.buildModelFromUrdf(str(path))
        )
    return Robot(model, spec, model_path=path)


def load_robot_from_urdf_string(
    urdf: str,
    spec: RobotSpec | str | os.PathLike = DEFAULT_ROBOT,
    *,
    package_dirs: list[str] | None = None,
) -> Robot:
    """Load a robot from URDF text (e.g. ROS's ``robot_description`` parameter).

    A free-flyer root joint is added when ``spec.floating_base`` (URDF has no floating
    joints). Joint limits, including ``velocity``, come from the URDF; velocity limits the
    URDF lacks fall back to the spec's.

    Args:
        urdf: the URDF XML text.
        spec: the keypoint mapping to use: a :class:`RobotSpec`, a registered name or the
            path of a YAML robot config (its ``source`` may be absent).
        package_dirs: folders for ``package://`` mesh URIs (collision geometry only);
            defaults to the installed cmeel ``share`` folders.

    Raises:
        RobotModelError: a bad spec/config, the URDF does not parse, or lacks a frame the
            spec maps (the message names the frame and lists some that exist).
    """
    spec = _as_spec(spec)
    try:
        if spec.floating_base:
            model = pin.buildModelFromXML(urdf, pin.JointModelFreeFlyer())
        else:
            model = pin.buildModelFromXML(urdf)
    except (RuntimeError, ValueError) as exc:
        raise RobotModelError(f"could not parse the URDF for '{spec.name}': {exc}") from exc
    return Robot(model, spec, urdf_string=urdf, package_dirs=package_dirs)
