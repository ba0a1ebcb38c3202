"""One robot, loaded once: its spec, its retarget settings and its pinocchio model.

:func:`load_robot_config` is the one place a robot is resolved (the engine, the node and the
command line use it). It takes a registered name (``g1``, ``h1``, ``t1``) or the path of a
robot YAML (schema: :mod:`molingo_ros.robot.models`, ``config/robots/g1.yaml``), reads that
file once (registered robots: once per process, cached by the registry) and returns a
:class:`RobotConfig`: the :class:`~molingo_ros.robot.models.RobotSpec`, the
:class:`~molingo_ros.robot.retarget_config.RetargetConfig` from the same document, and the
:class:`~molingo_ros.robot.models.Robot`.

The model comes from the spec's model file (``robot.source``), or from URDF text when one is
given (``urdf_xml``: ROS's ``robot_description``). URDF joint names may differ from the
spec's: ``joint_name_map`` maps **URDF joint name -> spec joint name** (the names of the spec's
model file), and the loaded :class:`Robot` uses the spec's names
(:attr:`RobotConfig.urdf_joint_names` gives the URDF's, in the same order, for publishing to a
robot described by that URDF). Every joint of the spec's model must be in the (renamed) URDF,
else :class:`~molingo_ros.robot.models.RobotModelError` lists the missing ones, the URDF's
joints and, when one fits, the map to pass; joints the URDF has beyond the spec's are kept
(:attr:`RobotConfig.extra_joints`). ``joint_name_map="auto"`` takes the map
:func:`guess_joint_name_map` finds (names equal up to a ``_joint`` suffix).

Collision geometry (self-collision checks) comes from the URDF text's meshes when pinocchio
finds them (``package://`` through ``package_dirs``, ``ROS_PACKAGE_PATH``,
``AMENT_PREFIX_PATH``); when it cannot, from the spec's own model file, attached to the URDF's
links by name (see :attr:`Robot.collision_model`).
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pinocchio as pin

from molingo_ros.robot import DEFAULT_ROBOT
from molingo_ros.robot.avoid import prepare_collisions
from molingo_ros.robot.models import Robot, load_robot, load_robot_from_urdf_string
from molingo_ros.robot.registry import load_robot_spec
from molingo_ros.robot.retarget_config import RetargetConfig, retarget_config_for
from molingo_ros.robot.spec import RobotModelError, RobotSpec
from molingo_ros.robot.validator import ValidatorConfig

#: The suffix :func:`guess_joint_name_map` adds or strips (Unitree's URDFs end joints in it).
JOINT_SUFFIX = "_joint"


@dataclass(frozen=True)
class RobotConfig:
    """A loaded robot: what :func:`load_robot_config` returns.

    Attributes:
        spec: the robot's spec (keypoints, sole offset, limits; ``spec.config_path`` is the
            YAML it came from, ``None`` for a spec built in code).
        retarget: the retarget settings (the YAML's ``retarget:`` section).
        robot: the pinocchio robot; its ``joint_names`` are the spec's names.
        joint_name_map: URDF joint name -> spec joint name, for the joints renamed (empty when
            the model is the spec's file, or the URDF's names are the spec's).
        extra_joints: joints of the URDF that the spec's model lacks (spec names); kept and
            driven like the others.
    """

    spec: RobotSpec
    retarget: RetargetConfig
    robot: Robot
    joint_name_map: Mapping[str, str] = field(default_factory=dict)
    extra_joints: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The robot's name (``robot.name`` of its YAML)."""
        return self.spec.name

    @property
    def path(self) -> Path | None:
        """The robot YAML read, or ``None`` for a spec built in code."""
        return self.spec.config_path

    @property
    def urdf_joint_names(self) -> list[str]:
        """``robot.joint_names`` (same order) as the URDF names them: the names to publish to
        a robot described by that URDF (``robot_state_publisher``, ``ros2_control``)."""
        to_urdf = {spec_name: urdf for urdf, spec_name in self.joint_name_map.items()}
        return [to_urdf.get(n, n) for n in self.robot.joint_names]

    def prepare(self, validator: ValidatorConfig | None = None) -> float:
        """Do the robot's one-time self-collision set-up now (meshes, pairs, hulls:
        :func:`~molingo_ros.robot.avoid.prepare_collisions`) for the retargeter's repair
        (when ``retarget.avoid.enabled``) and for ``validator`` (when its
        ``self_collision``), so the first retarget and validation run warm. Returns the
        seconds it took (0 when neither needs it)."""
        validate = validator is not None and validator.self_collision
        if not (self.retarget.avoid.enabled or validate):
            return 0.0
        start = time.perf_counter()
        if self.retarget.avoid.enabled:
            prepare_collisions(self.robot)  # the repair's pairs (CollisionChecker's default)
        if validate:
            prepare_collisions(self.robot, validator)  # cached: free when the same pairs
        return time.perf_counter() - start

    @classmethod
    def from_robot(cls, robot: Robot, retarget: RetargetConfig | None = None) -> RobotConfig:
        """Wrap a robot loaded elsewhere; ``retarget`` defaults to its spec's section (no file
        read)."""
        return cls(
            robot.spec, retarget if retarget is not None else retarget_config_for(robot), robot
        )


def read_urdf_joint_names(urdf_xml: str, floating_base: bool = True) -> list[str]:
    """The movable joints of URDF text, in pinocchio's order (the root free-flyer left out
    when ``floating_base``).

    Raises:
        RobotModelError: the text does not parse as URDF.
    """
    try:
        if floating_base:
            model = pin.buildModelFromXML(urdf_xml, pin.JointModelFreeFlyer())
        else:
            model = pin.buildModelFromXML(urdf_xml)
    except (RuntimeError, ValueError) as exc:
        raise RobotModelError(f"could not parse the URDF text: {exc}") from exc
    return list(model.names)[2 if floating_base else 1 :]


def spec_joint_names(spec: RobotSpec) -> list[str] | None:
    """The movable joints of the spec's model file (``robot.source``), or ``None`` when the
    spec has none (a URDF-only spec: any joint names are accepted then).

    Raises:
        RobotModelError: the spec's package or file is not installed.
    """
    return None if spec.source is None else load_robot(spec).joint_names


def guess_joint_name_map(
    urdf_names: Iterable[str], spec_names: Iterable[str]
) -> dict[str, str] | None:
    """The URDF -> spec joint name map when the names differ at most by a ``_joint`` suffix
    (``left_knee`` <-> ``left_knee_joint``, either way), else ``None``.

    Returns:
        ``{}`` when every spec joint is in the URDF under its own name; the renames (URDF
        name -> spec name) when each spec joint matches exactly one URDF joint with the suffix
        added or removed; ``None`` when some spec joint matches none.
    """
    spec_set = set(spec_names)
    urdf_list = list(urdf_names)
    out: dict[str, str] = {}
    taken: set[str] = set()
    for urdf in urdf_list:
        for candidate in (urdf, urdf + JOINT_SUFFIX, urdf.removesuffix(JOINT_SUFFIX)):
            if candidate in spec_set and candidate not in taken:
                taken.add(candidate)
                if candidate != urdf:
                    out[urdf] = candidate
                break
    return out if taken == spec_set else None


def rename_urdf_joints(urdf_xml: str, mapping: Mapping[str, str]) -> str:
    """URDF text with joints renamed (``mapping``: old -> new): every ``<joint name=...>``
    (the kinematic joints, and those of ``<transmission>`` / ``<ros2_control>``) and
    ``<mimic joint=...>``. Links are left alone. Comments are dropped.

    Raises:
        RobotModelError: the text is not XML.
    """
    try:
        root = ET.fromstring(urdf_xml)
    except ET.ParseError as exc:
        raise RobotModelError(f"the URDF text is not valid XML: {exc}") from exc
    for element in root.iter("joint"):
        name = element.get("name")
        if name in mapping:
            element.set("name", mapping[name])
    for element in root.iter("mimic"):
        name = element.get("joint")
        if name in mapping:
            element.set("joint", mapping[name])
    return ET.tostring(root, encoding="unicode")


def _where(spec: RobotSpec) -> str:
    return f"robot '{spec.name}'" + (f" ({spec.config_path})" if spec.config_path else "")


def _resolve_map(
    spec: RobotSpec,
    urdf_names: list[str],
    joint_name_map: Mapping[str, str] | Literal["auto"] | None,
) -> tuple[dict[str, str], tuple[str, ...]]:
    """(renames URDF -> spec, extra joints) after checking the URDF covers the spec."""
    reference = spec_joint_names(spec)
    if joint_name_map == "auto":
        guess = guess_joint_name_map(urdf_names, reference) if reference is not None else {}
        mapping = dict(guess) if guess is not None else {}
    elif isinstance(joint_name_map, str):
        raise RobotModelError(
            f"joint_name_map must be a mapping URDF name -> spec name, or 'auto'; got "
            f"{joint_name_map!r}"
        )
    else:
        mapping = dict(joint_name_map or {})
    unknown = [k for k in mapping if k not in urdf_names]
    if unknown:
        raise RobotModelError(
            f"{_where(spec)}: joint_name_map names joint(s) the URDF lacks: "
            f"{', '.join(unknown)}; the URDF's joints: {', '.join(urdf_names)}"
        )
    renamed = [mapping.get(n, n) for n in urdf_names]
    doubled = sorted({n for n in renamed if renamed.count(n) > 1})
    if doubled:
        raise RobotModelError(
            f"{_where(spec)}: after joint_name_map, several URDF joints are called "
            f"{', '.join(doubled)}"
        )
    mapping = {k: v for k, v in mapping.items() if k != v}
    if reference is None:
        return mapping, ()
    present = set(renamed)
    missing = [n for n in reference if n not in present]
    if missing:
        guess = guess_joint_name_map(urdf_names, reference)
        if guess:
            pairs = ", ".join(f"{u!r}: {n!r}" for u, n in list(guess.items())[:3])
            hint = (
                "the names differ only by a '_joint' suffix: pass joint_name_map='auto' or the "
                f"map URDF name -> spec name ({{{pairs}, ...}})"
            )
        else:
            hint = "pass joint_name_map (URDF joint name -> spec joint name)"
        renamed_note = " (after joint_name_map)" if mapping else ""
        raise RobotModelError(
            f"{_where(spec)}: the URDF lacks {len(missing)} joint(s) of the spec's model: "
            f"{', '.join(missing)}; the URDF's joints{renamed_note}: {', '.join(renamed)}; "
            f"{hint}"
        )
    ref = set(reference)
    return mapping, tuple(n for n in renamed if n not in ref)


def load_robot_config(
    name_or_path: str | os.PathLike | RobotSpec = DEFAULT_ROBOT,
    *,
    urdf_xml: str | None = None,
    joint_name_map: Mapping[str, str] | Literal["auto"] | None = None,
    package_dirs: list[str] | None = None,
) -> RobotConfig:
    """Load a robot: spec, retarget settings and pinocchio model, reading its YAML once.

    Args:
        name_or_path: a registered robot (``g1``, ``h1``, ``t1``), the path of a robot YAML
            (a string ending in ``.yaml``/``.yml`` or holding a ``/``), or a spec.
        urdf_xml: URDF text (ROS ``robot_description``) to build the model from instead of
            the spec's model file; empty or ``None``: the spec's file.
        joint_name_map: URDF joint name -> spec joint name, for joints the URDF names
            differently (others keep their names); ``"auto"``: the map
            :func:`guess_joint_name_map` finds. Only with ``urdf_xml``.
        package_dirs: folders for the URDF's ``package://`` mesh URIs (default: the installed
            cmeel ``share`` folders; pinocchio adds ``ROS_PACKAGE_PATH`` and
            ``AMENT_PREFIX_PATH``).

    Raises:
        RobotModelError: unknown robot (the message lists the registered ones), unreadable
            or bad YAML, no model file and no ``urdf_xml``, a URDF that does not parse, lacks
            a keypoint frame or joints of the spec (the message names the missing joints and
            the URDF's), or a ``joint_name_map`` naming joints the URDF lacks.
        molingo_ros.robot.retarget_config.RetargetError: no or a bad ``retarget:`` section.
    """
    if isinstance(name_or_path, RobotSpec):
        spec = name_or_path
    else:
        spec = load_robot_spec(name_or_path)
    retarget = retarget_config_for(spec)
    if not urdf_xml:
        if joint_name_map and joint_name_map != "auto":
            raise RobotModelError(
                f"{_where(spec)}: joint_name_map renames the joints of a URDF, and no URDF "
                "text (urdf_xml / robot_description) was given"
            )
        if spec.source is None:
            raise RobotModelError(
                f"{_where(spec)} names no model file (robot.source): give its URDF text "
                "(urdf_xml, the robot_description)"
            )
        return RobotConfig(spec, retarget, load_robot(spec))
    urdf_names = read_urdf_joint_names(urdf_xml, spec.floating_base)
    mapping, extra = _resolve_map(spec, urdf_names, joint_name_map)
    xml = rename_urdf_joints(urdf_xml, mapping) if mapping else urdf_xml
    robot = load_robot_from_urdf_string(xml, spec, package_dirs=package_dirs)
    return RobotConfig(spec, retarget, robot, mapping, extra)


__all__ = [
    "JOINT_SUFFIX",
    "RobotConfig",
    "guess_joint_name_map",
    "load_robot_config",
    "read_urdf_joint_names",
    "rename_urdf_joints",
    "spec_joint_names",
]
