"""The retargeter's settings for one robot (:class:`RetargetConfig`, the ``retarget:`` section of
``config/robots/<robot>.yaml``): parsing and checking that section
(:func:`retarget_config_from_dict`), reading it from a file (:func:`load_retarget_config`) or
with a robot's spec (:func:`retarget_config_for`), and choosing the human mapping that fits a
motion (:meth:`RetargetConfig.human_mapping`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from molingo_ros.motion.motion import Motion
from molingo_ros.robot.avoid import AvoidConfig
from molingo_ros.robot.ik import IkConfig
from molingo_ros.robot.models import Robot
from molingo_ros.robot.one_euro_filter import FilterConfig
from molingo_ros.robot.registry import load_robot_spec
from molingo_ros.robot.spec import RobotSpec
from molingo_ros.robot.target_config import (
    OPTIONAL_HUMAN_KEYPOINTS,
    ORIENTED_KEYPOINTS,
    REQUIRED_HUMAN_KEYPOINTS,
    TARGET_KEYPOINTS,
    TargetConfig,
)

__all__ = [
    "RetargetConfig",
    "RetargetError",
    "load_retarget_config",
    "retarget_config_for",
    "retarget_config_from_dict",
]


class RetargetError(ValueError):
    """The motion or the configuration cannot be retargeted; the message says why."""


@dataclass(frozen=True)
class RetargetConfig:
    """Settings of the retargeter for one robot (the ``retarget:`` section of
    ``config/robots/<robot>.yaml``).

    Attributes:
        human_joints: human rig name -> keypoint -> human joint name. A motion uses the first
            rig whose joints it has (or the one named by the caller).
        position_weights: keypoint -> IK position weight (keypoints not listed: 1).
        orientation_weights: keypoint -> IK orientation weight, for
            :data:`~molingo_ros.robot.target_config.ORIENTED_KEYPOINTS` (not listed: 0).
        anchors: keypoint -> keypoint its position target is relative to (the IK tracks
            ``p_k - p_anchor``; e.g. elbows and hands on the shoulders). Not listed: absolute.
        ik: IK solver settings.
        targets: target builder settings.
        filter: temporal filter settings.
        velocity_limit_fraction: joints move at most this fraction of their velocity limit.
        ground_contact: shift the root so soles neither sink nor float during human contact.
        contact_tolerance_m: a contact foot's sole within this of the floor is left alone.
        avoid: self-collision repair of output frames (the validator's pairs and geometry).
    """

    human_joints: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    position_weights: Mapping[str, float] = field(default_factory=dict)
    orientation_weights: Mapping[str, float] = field(default_factory=dict)
    anchors: Mapping[str, str] = field(default_factory=dict)
    ik: IkConfig = IkConfig()
    targets: TargetConfig = TargetConfig()
    filter: FilterConfig = FilterConfig()
    velocity_limit_fraction: float = 0.95
    ground_contact: bool = True
    contact_tolerance_m: float = 0.002
    avoid: AvoidConfig = AvoidConfig()

    def human_mapping(self, motion: Motion, rig: str | None = None) -> tuple[str, dict]:
        """The (rig name, keypoint -> joint) mapping to use for ``motion``.

        Raises:
            RetargetError: ``rig`` is unknown, or no mapping fits the motion's joints (the
                message lists what each mapping misses).
        """
        if not self.human_joints:
            raise RetargetError("the retarget config has no human_joints mapping")
        if rig is not None:
            if rig not in self.human_joints:
                raise RetargetError(
                    f"unknown human rig '{rig}'; this config maps: {', '.join(self.human_joints)}"
                )
            return rig, dict(self.human_joints[rig])
        names = set(motion.joint_names)
        misses = {}
        for name, mapping in self.human_joints.items():
            needed = [mapping.get(k) for k in REQUIRED_HUMAN_KEYPOINTS]
            missing = [
                f"{k}={j}" if j else f"{k} (unmapped)"
                for k, j in zip(REQUIRED_HUMAN_KEYPOINTS, needed, strict=True)
                if j is None or j not in names
            ]
            if not missing:
                return name, dict(mapping)
            misses[name] = missing
        detail = "; ".join(f"{rig_name} misses {m}" for rig_name, m in misses.items())
        raise RetargetError(
            f"motion '{motion.name or '?'}' (joints: {', '.join(motion.joint_names)}) fits no "
            f"human mapping of the retarget config: {detail}"
        )


_TOP_KEYS = {
    "human_joints",
    "position_weights",
    "orientation_weights",
    "anchors",
    "ik",
    "targets",
    "filter",
    "velocity_limit_fraction",
    "ground_contact",
    "contact_tolerance_m",
    "avoid",
}


def _sub(cls: type, values: Any, where: str) -> Any:
    """The settings dataclass ``cls`` built from the YAML mapping ``values`` (None: defaults;
    lists become tuples); the error names ``where`` and the valid keys."""
    if values is None:
        return cls()
    if not isinstance(values, Mapping):
        raise RetargetError(f"{where}: expected a mapping, got {type(values).__name__}")
    valid = set(cls.__dataclass_fields__)
    unknown = sorted(set(values) - valid)
    if unknown:
        raise RetargetError(f"{where}: unknown keys {unknown}; valid: {', '.join(sorted(valid))}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return cls(**values)


def retarget_config_from_dict(d: Mapping[str, Any], where: str = "retarget") -> RetargetConfig:
    """Build a :class:`RetargetConfig` from the ``retarget:`` mapping of a robot YAML.

    Raises:
        RetargetError: unknown keys (the message lists the valid ones), bad types, a human
            mapping naming an unknown keypoint, or a weight for an unknown keypoint.
    """
    if not isinstance(d, Mapping):
        raise RetargetError(f"{where}: expected a mapping, got {type(d).__name__}")
    unknown = sorted(set(d) - _TOP_KEYS)
    if unknown:
        raise RetargetError(
            f"{where}: unknown keys {unknown}; valid: {', '.join(sorted(_TOP_KEYS))}"
        )
    valid_kp = set(TARGET_KEYPOINTS) | set(OPTIONAL_HUMAN_KEYPOINTS)
    human = d.get("human_joints") or {}
    for rig, mapping in human.items():
        if not isinstance(mapping, Mapping):
            raise RetargetError(f"{where}.human_joints.{rig}: expected keypoint: joint pairs")
        bad = sorted(set(mapping) - valid_kp)
        if bad:
            raise RetargetError(
                f"{where}.human_joints.{rig}: unknown keypoints {bad}; valid: "
                f"{', '.join(sorted(valid_kp))}"
            )
    anchors = d.get("anchors") or {}
    bad_anchor = sorted(
        k for k, a in anchors.items() if {k, a} - set(TARGET_KEYPOINTS) or a in anchors or k == a
    )
    if bad_anchor:
        raise RetargetError(
            f"{where}.anchors: {bad_anchor}: keypoint and anchor must be two of "
            f"{', '.join(TARGET_KEYPOINTS)}, and an anchor cannot have an anchor"
        )
    for key, allowed in (
        ("position_weights", TARGET_KEYPOINTS),
        ("orientation_weights", ORIENTED_KEYPOINTS),
    ):
        weights = d.get(key) or {}
        bad = sorted(set(weights) - set(allowed))
        if bad:
            raise RetargetError(
                f"{where}.{key}: unknown keypoints {bad}; valid: {', '.join(allowed)}"
            )
        for k, w in weights.items():
            if not (isinstance(w, int | float) and w >= 0 and math.isfinite(w)):
                raise RetargetError(f"{where}.{key}.{k}: weight must be a number >= 0, got {w!r}")
    kwargs: dict[str, Any] = {
        "human_joints": {r: dict(m) for r, m in human.items()},
        "position_weights": dict(d.get("position_weights") or {}),
        "orientation_weights": dict(d.get("orientation_weights") or {}),
        "anchors": dict(anchors),
        "ik": _sub(IkConfig, d.get("ik"), f"{where}.ik"),
        "targets": _sub(TargetConfig, d.get("targets"), f"{where}.targets"),
        "filter": _sub(FilterConfig, d.get("filter"), f"{where}.filter"),
        "avoid": _sub(AvoidConfig, d.get("avoid"), f"{where}.avoid"),
    }
    for key in ("velocity_limit_fraction", "ground_contact", "contact_tolerance_m"):
        if key in d:
            kwargs[key] = d[key]
    return RetargetConfig(**kwargs)


def load_retarget_config(path: str | Path) -> RetargetConfig:
    """Read the ``retarget:`` section of a robot YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise RetargetError(f"cannot read retarget config {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RetargetError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping) or "retarget" not in data:
        raise RetargetError(f"{path} has no top-level 'retarget:' section")
    return retarget_config_from_dict(data["retarget"], where=f"{path}: retarget")


def retarget_config_for(robot: Robot | RobotSpec | str | os.PathLike) -> RetargetConfig:
    """The retarget config of a robot: the ``retarget:`` section of its YAML, as read with its
    spec (:attr:`RobotSpec.retarget`; no second read of the file).

    Args:
        robot: a :class:`Robot`, a :class:`RobotSpec`, a registered name (``g1``, ``h1``,
            ``t1``) or a robot YAML path (read here; prefer
            :func:`molingo_ros.robot.config.load_robot_config`, which reads it once for both).

    Raises:
        RetargetError: the config has no ``retarget:`` section, or a bad one.
        molingo_ros.robot.models.RobotModelError: unknown name (the message lists the known
            ones) or unreadable file.
    """
    if isinstance(robot, Robot):
        spec = robot.spec
    elif isinstance(robot, RobotSpec):
        spec = robot
    else:
        spec = load_robot_spec(robot)
    where = str(spec.config_path) if spec.config_path is not None else f"robot '{spec.name}'"
    if spec.retarget is None:
        raise RetargetError(
            f"{where} has no top-level 'retarget:' section (robot configs are YAML files with "
            "'robot:' and 'retarget:'; see config/robots/g1.yaml)"
        )
    return retarget_config_from_dict(spec.retarget, where=f"{where}: retarget")
