"""molingo_node's parameters: declared with descriptions and ranges, read into one dataclass.

Every parameter is listed in :data:`PARAMETERS` (name, default, description, range or
choices); ``config/molingo.yaml`` holds the same defaults for ``--params-file``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
)
from rclpy.node import Node

from molingo_ros.model.sampler_config import SamplerConfig
from molingo_ros.ros.parameter_table import (
    COMMAND_PARAMETERS,
    CONTROLLER_PARAMETERS,
    MAX_WINDOW_TOKENS,
    PARAMETERS,
    READ_ONLY_PREFIXES,
    SAMPLER_PARAMETERS,
    is_read_only,
)
from molingo_ros.runtime.commands import CommandLimits
from molingo_ros.runtime.controller_config import ControllerConfig
from molingo_ros.settings import config_from as config_from_settings


def to_yaml() -> str:
    """``config/molingo.yaml``: every parameter with its default, description and range
    (``python -m molingo_ros.ros.params > config/molingo.yaml``; a test keeps them equal)."""
    import json

    lines = [
        "# Parameters of molingo_node (every one is declared with a description and a range; see",
        "# molingo_ros/ros/params.py, which writes this file: python -m molingo_ros.ros.params).",
        "#   molingo_node --ros-args --params-file config/molingo.yaml",
        "#   ros2 launch molingo_ros molingo.launch.py            (uses the installed copy)",
        "# Names are relative: --ros-args -r __ns:=/robot2 moves every topic under /robot2;",
        "# remappable the ROS way: --ros-args -r molingo_node/joint_states:=joint_states",
        "# Keyed /** so that it applies to the node under any namespace and name.",
        "/**:",
        "  ros__parameters:",
    ]
    groups: dict[str, list] = {}
    for name, (default, text, rng) in PARAMETERS.items():
        group, _, key = name.rpartition(".")
        groups.setdefault(group, []).append((key, default, text, rng))
    for group, items in groups.items():
        indent = "    "
        if group:
            lines.append(f"    {group}:")
            indent = "      "
        for key, default, text, rng in items:
            extra = ""
            if isinstance(rng, tuple) and all(isinstance(x, (int, float)) for x in rng):
                extra = f" [{rng[0]}, {rng[1]}]"
            elif isinstance(rng, tuple):
                extra = f" ({' | '.join(rng)})"
            value = (
                ("true" if default else "false")
                if isinstance(default, bool)
                else json.dumps(default)
                if isinstance(default, str)
                else repr(default)
            )
            full = f"{group}.{key}" if group else key
            fixed = "; set at start only" if is_read_only(full) else ""
            lines.append(f"{indent}# {text}{extra}{fixed}")
            lines.append(f"{indent}{key}: {value}")
    return "\n".join(lines) + "\n"


def choices(name: str) -> tuple[str, ...]:
    """The allowed values of a parameter with a fixed set of them (empty for the others)."""
    rng = PARAMETERS.get(name, (None, "", None))[2]
    if isinstance(rng, tuple) and not all(isinstance(v, (int, float)) for v in rng):
        return tuple(str(v) for v in rng)
    return ()


def declare(node: Node) -> None:
    """Declare every parameter of :data:`PARAMETERS` with its descriptor (read-only ones:
    :func:`is_read_only`)."""
    for name, (default, text, rng) in PARAMETERS.items():
        desc = ParameterDescriptor(description=text, read_only=is_read_only(name))
        if (
            isinstance(rng, tuple)
            and len(rng) == 2
            and all(isinstance(v, (int, float)) for v in rng)
        ):
            if isinstance(default, bool):
                pass
            elif isinstance(default, int):
                desc.integer_range = [
                    IntegerRange(from_value=int(rng[0]), to_value=int(rng[1]), step=0)
                ]
            else:
                desc.floating_point_range = [
                    FloatingPointRange(from_value=float(rng[0]), to_value=float(rng[1]), step=0.0)
                ]
        elif choices(name):
            desc.additional_constraints = "one of: " + ", ".join(choices(name))
        node.declare_parameter(name, default, desc)


@dataclass(frozen=True)
class NodeConfig:
    robot: str
    model: str
    device: str
    threads: int
    autostart: bool
    realtime_margin: float
    sampler: SamplerConfig
    limits: CommandLimits
    allow_unknown: bool
    controller: ControllerConfig
    publish_rate_hz: float
    hold_settle_s: float
    stamp_policy: str
    velocity_fraction: float
    check_floor: bool
    check_dynamics: bool
    exclusive_output: bool
    discovery_wait_s: float
    frame_id: str
    tf_enabled: bool
    description_source: str
    description_urdf: str
    description_timeout_s: float
    joint_name_map: dict[str, str] | str
    markers_enabled: bool
    markers_offset_y_m: float
    markers_frame_id: str
    qos_depth: int
    topics: dict[str, str]
    action: str
    stop_service: str
    record_enabled: bool
    record_path: str
    record_storage: str


def sampler_config(value: Callable[[str], Any]) -> SamplerConfig:
    """The :class:`SamplerConfig` of the ``sampler.*`` parameters (``value(name)`` gives
    each one's value). Raises ValueError, naming the parameters, on an inconsistent set."""
    try:
        sampler = config_from_settings(
            SamplerConfig, lambda n: value(f"sampler.{n}"), SAMPLER_PARAMETERS
        )
    except ValueError as exc:
        raise ValueError(f"sampler parameters: {exc}") from exc
    if sampler.window_tokens + sampler.history_tokens > MAX_WINDOW_TOKENS:
        raise ValueError(
            f"sampler.window_tokens + sampler.history_tokens must be <= {MAX_WINDOW_TOKENS} "
            f"(the generator's positions), got {sampler.window_tokens} + "
            f"{sampler.history_tokens}"
        )
    return sampler


def read(node: Node) -> NodeConfig:
    """The node's current parameter values as a :class:`NodeConfig`.

    Raises:
        ValueError: inconsistent values (the message names them).
    """
    return config_from(lambda name: node.get_parameter(name).value)


def joint_name_map(text: str) -> dict[str, str] | str:
    """``robot_description.joint_name_map``: "" -> {} (same names), "auto", or
    "urdf_a=yaml_a, urdf_b=yaml_b" -> a dict.

    Raises:
        ValueError: a pair without one "=" or with an empty side.
    """
    text = text.strip()
    if text in ("", "auto"):
        return {} if not text else "auto"
    pairs: dict[str, str] = {}
    for part in text.split(","):
        urdf, sep, spec = (x.strip() for x in part.partition("="))
        if not sep or not urdf or not spec:
            raise ValueError(
                "robot_description.joint_name_map must be empty, auto, or "
                f"urdf_name=yaml_name pairs separated by commas, got {part.strip()!r}"
            )
        pairs[urdf] = spec
    return pairs


def refusal(new: dict[str, Any], current: Callable[[str], Any]) -> str:
    """Why the values ``new`` (name -> value) cannot be set over the ``current(name)`` ones
    (a value outside its choices, a combination that does not go together); "" if they can."""
    for name, value in new.items():
        allowed = choices(name)
        if allowed and value not in allowed:
            return f"{name} must be one of {', '.join(allowed)}, got {value!r}"
    try:
        config_from(lambda name: new[name] if name in new else current(name))
    except ValueError as exc:
        return str(exc)
    return ""


def config_from(p: Callable[[str], Any]) -> NodeConfig:
    """The :class:`NodeConfig` of the values ``p(name)`` gives (e.g. the node's, with a set
    of new values laid over them to check before they are applied).

    Raises:
        ValueError: inconsistent values (the message names them).
    """
    for name in PARAMETERS:
        allowed = choices(name)
        if allowed and p(name) not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {p(name)!r}")
    storage = p("record.storage")
    sampler = sampler_config(p)
    default_s = float(p("commands.default_duration_s"))
    try:
        limits = config_from_settings(
            CommandLimits,
            lambda n: p(f"commands.{n}"),
            COMMAND_PARAMETERS,
            min_duration_s=min(0.5, default_s),
        )
    except ValueError as exc:
        raise ValueError(f"commands parameters: {exc}") from exc
    return NodeConfig(
        robot=str(p("robot")),
        model=str(p("model")),
        device=str(p("device")),
        threads=int(p("threads")),
        autostart=bool(p("autostart")),
        realtime_margin=float(p("serving.realtime_margin")),
        sampler=sampler,
        limits=limits,
        allow_unknown=bool(p("commands.allow_unknown")),
        controller=config_from_settings(
            ControllerConfig, lambda n: p(f"stream.{n}"), CONTROLLER_PARAMETERS
        ),
        publish_rate_hz=float(p("stream.publish_rate_hz")),
        hold_settle_s=float(p("stream.hold_settle_s")),
        stamp_policy=str(p("stream.stamp_policy")),
        velocity_fraction=float(p("safety.velocity_fraction")),
        check_floor=bool(p("safety.check_floor")),
        check_dynamics=bool(p("safety.check_dynamics")),
        exclusive_output=bool(p("safety.exclusive_output")),
        discovery_wait_s=float(p("safety.discovery_wait_s")),
        frame_id=str(p("frame_id")),
        tf_enabled=bool(p("tf.enabled")),
        description_source=str(p("robot_description.source")),
        description_urdf=str(p("robot_description.urdf")),
        description_timeout_s=float(p("robot_description.timeout_s")),
        joint_name_map=joint_name_map(str(p("robot_description.joint_name_map"))),
        markers_enabled=bool(p("markers.enabled")),
        markers_offset_y_m=float(p("markers.offset_y_m")),
        markers_frame_id=str(p("markers.frame_id")),
        qos_depth=int(p("qos.depth")),
        topics={k.split(".", 1)[1]: str(p(k)) for k in PARAMETERS if k.startswith("topics.")},
        action=str(p("action")),
        stop_service=str(p("stop_service")),
        record_enabled=bool(p("record.enabled")),
        record_path=str(p("record.path")),
        record_storage=str(storage),
    )


__all__ = [
    "MAX_WINDOW_TOKENS",
    "PARAMETERS",
    "READ_ONLY_PREFIXES",
    "NodeConfig",
    "config_from",
    "declare",
    "is_read_only",
    "read",
    "to_yaml",
]


if __name__ == "__main__":
    print(to_yaml(), end="")
