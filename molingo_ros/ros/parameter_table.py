"""What molingo_node's parameters are: name, default, description, range or choices, and
which are set at start only. The groups of the core library's config dataclasses are
generated from their fields (:func:`molingo_ros.settings.setting`); the node's own settings
(robot, topics, recording, ...) are written here, their one source. Declaring, reading and
checking them: :mod:`molingo_ros.ros.params`."""

from __future__ import annotations

from molingo_ros.model.sampler_config import SHIPPED_MAX_TOKENS, SamplerConfig
from molingo_ros.robot import DEFAULT_ROBOT
from molingo_ros.runtime.commands import CommandLimits
from molingo_ros.runtime.controller_config import ControllerConfig
from molingo_ros.runtime.safety import SafetyConfig
from molingo_ros.settings import settings_of

# The shipped generator's positions; MotionStream checks the loaded model's own at configure.
MAX_WINDOW_TOKENS = SHIPPED_MAX_TOKENS

SAMPLER_PARAMETERS = (
    "cfg_scale",
    "cfg_schedule",
    "flow_steps",
    "iterations",
    "window_tokens",
    "emit_tokens",
    "history_tokens",
)
"""The :class:`SamplerConfig` settings the node exposes as ``sampler.*`` parameters."""

CONTROLLER_PARAMETERS = (
    "lead_s",
    "replace_after_s",
    "first_chunk_tokens",
    "replace_history_tokens",
)
"""The :class:`ControllerConfig` settings the node exposes as ``stream.*`` parameters."""

COMMAND_PARAMETERS = (
    "max_text_chars",
    "default_duration_s",
    "max_duration_s",
    "max_queue",
    "max_age_s",
    "max_stamp_ahead_s",
)
"""The :class:`CommandLimits` settings the node exposes as ``commands.*`` parameters."""


def _group(prefix: str, cls: type, names: tuple[str, ...]) -> dict[str, tuple[object, str, object]]:
    """``PARAMETERS`` entries for the settings ``names`` of the config dataclass ``cls``
    (their one source: :func:`molingo_ros.settings.setting`), named ``prefix.name``."""
    return {
        f"{prefix}.{s.name}": (s.default, s.description, s.range or s.choices)
        for s in settings_of(cls, names)
    }


# name: (default, description, (lo, hi) range | tuple of choices | None). The groups of the
# core library's config dataclasses are generated from their fields (_group); the node's own
# settings (robot, topics, recording, ...) are written here, their one source.
PARAMETERS: dict[str, tuple[object, str, object]] = {
    "robot": (
        DEFAULT_ROBOT,
        "robot to drive: a registered name (g1, h1, t1) or a robot YAML path",
        None,
    ),
    "robot_description.source": (
        "file",
        "where the robot's kinematic model comes from: file = the model file the robot YAML "
        "names, parameter = robot_description.urdf, topic = the latched robot_description "
        "topic (robot_state_publisher), waited for at configure",
        ("file", "parameter", "topic"),
    ),
    "robot_description.urdf": ("", "URDF text (the robot_description string)", None),
    "robot_description.timeout_s": (
        10.0,
        "how long configure waits for the robot_description topic (s)",
        (0.0, 600.0),
    ),
    "robot_description.joint_name_map": (
        "",
        "URDF joint names -> the robot YAML's: empty = the same names, auto = they differ by a "
        "_joint suffix, else comma-separated urdf_name=yaml_name pairs; published messages "
        "carry the URDF's names",
        None,
    ),
    "model": ("", "text-to-motion model file (safetensors); empty = the shipped model", None),
    "device": ("auto", "torch device: auto (CUDA when present, else CPU), cpu, cuda, cuda:N", None),
    "threads": (
        1,
        "CPU threads for torch (0 = torch default, one per core); 1 is fastest for this model "
        "on a CPU and leaves a core to the rest of the node",
        (0, 256),
    ),
    "serving.realtime_margin": (
        1.5,
        "admission: configure refuses this robot unless every robot this process serves "
        "(its model shared) can stay this many times faster than real time, by the measured "
        "cost of a window; 0 = admit always",
        (0.0, 100.0),
    ),
    "autostart": (True, "configure and activate at start (no lifecycle manager needed)", None),
    **_group("sampler", SamplerConfig, SAMPLER_PARAMETERS),
    **_group("commands", CommandLimits, COMMAND_PARAMETERS),
    "commands.allow_unknown": (
        False,
        "generate even for commands the model does not know (below the grounding threshold "
        "stored in the model); false = refuse them with the closest skills",
        None,
    ),
    **_group("stream", ControllerConfig, CONTROLLER_PARAMETERS),
    "stream.publish_rate_hz": (
        30.0,
        "rate of joint_states / joint_command / root pose (Hz)",
        (1.0, 1000.0),
    ),
    "stream.hold_settle_s": (0.2, "time to reach the hold pose after a cancel (s)", (0.0, 5.0)),
    "stream.stamp_policy": (
        "clock",
        "trajectory header stamps: clock = the ROS time of the first point (the node's clock; "
        "set use_sim_time with a simulator on sim time), zero = stamp 0 with times from "
        "arrival (the controller starts on receipt; no shared clock needed)",
        ("clock", "zero"),
    ),
    **_group("safety", SafetyConfig, ("velocity_fraction", "check_floor", "check_dynamics")),
    "safety.exclusive_output": (
        True,
        "one owner per robot: refuse to activate while another node publishes on the "
        "joint_trajectory or joint_command topic (and report one that appears later); false "
        "= share them",
        None,
    ),
    "safety.discovery_wait_s": (
        0.5,
        "at activation, look for other publishers this long after the outputs were created "
        "(s; DDS discovery time); looked at once more this long later before refusing",
        (0.0, 30.0),
    ),
    "frame_id": ("world", "frame of the root pose and parent frame of the TF", None),
    "tf.enabled": (
        True,
        "publish the floating base as TF (frame_id -> the robot's root link) on topics.tf",
        None,
    ),
    "markers.enabled": (True, "publish the generated human skeleton as markers", None),
    "markers.frame_id": (
        "world",
        "frame of the skeleton markers: the world frame_id, or the robot's root link (e.g. "
        "pelvis: the points are then expressed in it, for RViz without a world->root TF)",
        None,
    ),
    "markers.offset_y_m": (
        1.0,
        "the skeleton is drawn this far to the robot's side (m, +y)",
        (-10.0, 10.0),
    ),
    "qos.depth": (10, "history depth of the output topics", (1, 10000)),
    "topics.command": ("~/command", "std_msgs/String commands in", None),
    "topics.motion_command": ("~/motion_command", "molingo_ros/MotionCommand commands in", None),
    "topics.status": ("~/status", "molingo_ros/MotionStatus out (transient local)", None),
    "topics.joint_trajectory": (
        "joint_trajectory_controller/joint_trajectory",
        "trajectory_msgs/JointTrajectory chunks out (relative: under the node's namespace)",
        None,
    ),
    "topics.joint_states": (
        "~/joint_states",
        "sensor_msgs/JointState out: the commanded state (remap to joint_states for RViz's "
        "robot_state_publisher where no simulator or joint_state_broadcaster publishes it)",
        None,
    ),
    "topics.joint_command": (
        "joint_command",
        "sensor_msgs/JointState out: joint targets (Isaac Sim's articulation controller)",
        None,
    ),
    "topics.root_pose": ("~/root_pose", "geometry_msgs/PoseStamped floating base out", None),
    "topics.human_markers": (
        "~/human_markers",
        "visualization_msgs/MarkerArray of the generated human skeleton out (RViz)",
        None,
    ),
    "topics.diagnostics": ("/diagnostics", "diagnostic_msgs/DiagnosticArray out", None),
    "topics.tf": ("tf", "tf2_msgs/TFMessage out (relative: /tf, or <ns>/tf per robot)", None),
    "topics.robot_description": (
        "robot_description",
        "std_msgs/String in (transient local), read at configure when "
        "robot_description.source is topic",
        None,
    ),
    "topics.skills": (
        "~/skills",
        "std_msgs/String (JSON, transient local) out: the skills the model knows",
        None,
    ),
    "action": ("~/generate", "molingo_ros/action/GenerateMotion server", None),
    "stop_service": (
        "~/stop",
        "std_srvs/Trigger service: hold the robot at once and drop what is queued",
        None,
    ),
    "record.enabled": (False, "record a rosbag2 of everything published and received", None),
    "record.path": ("", "bag folder to create; empty = bags/molingo_<date>", None),
    "record.storage": ("mcap", "bag storage", ("mcap", "sqlite3")),
}


READ_ONLY_PREFIXES = (
    "robot",
    "model",
    "device",
    "threads",
    "autostart",
    "serving.",
    "qos.",
    "topics.",
    "action",
    "stop_service",
    "record.",
    "robot_description.",
    "tf.",
    "frame_id",
)
"""Parameters that cannot change while the node runs (its model, robot, endpoints, bag): set
them at start (params file, ``-p``); ``ros2 param set`` refuses them. The others apply live."""


def is_read_only(name: str) -> bool:
    """True for a parameter that is set at start only (:data:`READ_ONLY_PREFIXES`)."""
    return any(name == p or (p.endswith(".") and name.startswith(p)) for p in READ_ONLY_PREFIXES)
