"""Start molingo_node (a lifecycle node) with the parameters in config/molingo.yaml.

    ros2 launch molingo_ros molingo.launch.py
    ros2 launch molingo_ros molingo.launch.py params_file:=/path/to/my.yaml autostart:=false
    ros2 launch molingo_ros molingo.launch.py robot:=h1 record:=true record_path:=/tmp/run1
    ros2 launch molingo_ros molingo.launch.py rviz:=true sim:=true   # RViz view, MuJoCo sim
    ros2 launch molingo_ros molingo.launch.py namespace:=robot2 robot:=h1   # a second robot
    ros2 launch molingo_ros molingo.launch.py use_sim_time:=true   # Gazebo / Isaac on sim time

Every topic name is relative, so namespace:=robot2 puts the node's commands, trajectory
(robot2/joint_trajectory_controller/joint_trajectory), joint command, status and bag names
under /robot2: several robots share one ROS domain, one launch per robot. use_sim_time:=true
stamps trajectories with the simulator's /clock (joint_trajectory_controller on sim time).

rviz:=true opens config/molingo.rviz (the robot from robot_description, which your robot's
description launch publishes with robot_state_publisher, and the generated human skeleton);
the node's commanded state then goes to joint_states for robot_state_publisher. sim:=true also
starts molingo_sim (MuJoCo, the same robot), which then owns joint_states (and publishes
/clock when use_sim_time:=true); the commanded state stays on molingo_node/joint_states.

With autostart:=true (the default) the node is configured and then activated; with false it
stays unconfigured until driven with `ros2 lifecycle set /molingo_node configure` etc.
Without ROS launch (e.g. the project's venv), run the node directly:

    molingo_node --ros-args --params-file config/molingo.yaml
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, EmitEvent, RegisterEventHandler
from launch.conditions import IfCondition
from launch.events import matches_action
from launch.substitutions import LaunchConfiguration, PythonExpression
from launch_ros.actions import LifecycleNode, Node
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from lifecycle_msgs.msg import Transition

LAUNCH_ARGUMENTS = (
    # (name, default value, description); params_file's default is the installed config
    ("params_file", None, "YAML file with molingo_node's ros__parameters"),
    ("namespace", "", "Namespace of the node"),
    ("autostart", "true", "Configure and activate the lifecycle node on start"),
    ("robot", "g1", "Robot: g1, h1, t1 or a robot YAML"),
    ("record", "false", "Record a rosbag2 (mcap)"),
    ("record_path", "", "Bag folder to create (empty: bags/molingo_<date>)"),
    ("rviz", "false", "Start RViz 2"),
    ("sim", "false", "Start molingo_sim (MuJoCo)"),
    ("use_sim_time", "false", "Use the /clock topic (Gazebo, Isaac Sim, molingo_sim) as ROS time"),
    ("log_level", "info", "ROS log level of the node"),
)


def declare_arguments(default_params: str) -> list[DeclareLaunchArgument]:
    """The launch arguments of :data:`LAUNCH_ARGUMENTS`, params_file defaulting to
    ``default_params``."""
    return [
        DeclareLaunchArgument(
            name,
            default_value=default_params if default is None else default,
            description=description,
        )
        for name, default, description in LAUNCH_ARGUMENTS
    ]


def molingo_node() -> LifecycleNode:
    """molingo_node with params_file and the launch arguments on top; the launch file drives
    its lifecycle itself, so the node's own autostart is off."""
    rviz = LaunchConfiguration("rviz")
    sim = LaunchConfiguration("sim")
    return LifecycleNode(
        package="molingo_ros",
        executable="molingo_node",
        name="molingo_node",
        namespace=LaunchConfiguration("namespace"),
        parameters=[
            LaunchConfiguration("params_file"),
            {
                "robot": LaunchConfiguration("robot"),
                "record.enabled": LaunchConfiguration("record"),
                "record.path": LaunchConfiguration("record_path"),
                "autostart": False,
                "use_sim_time": LaunchConfiguration("use_sim_time"),
                # RViz's fixed frame is the root link; the simulator publishes /joint_states.
                "markers.frame_id": PythonExpression(
                    ["'pelvis' if '", rviz, "' == 'true' else 'world'"]
                ),
                # Commanded state for robot_state_publisher only when nothing else owns it.
                "topics.joint_states": PythonExpression(
                    [
                        "'joint_states' if '",
                        rviz,
                        "' == 'true' and '",
                        sim,
                        "' != 'true' else '~/joint_states'",
                    ]
                ),
            },
        ],
        arguments=["--ros-args", "--log-level", LaunchConfiguration("log_level")],
        output="screen",
        emulate_tty=True,
    )


def _change_state(node: LifecycleNode, transition_id: int, **kwargs) -> EmitEvent:
    return EmitEvent(
        event=ChangeState(lifecycle_node_matcher=matches_action(node), transition_id=transition_id),
        **kwargs,
    )


def autostart_lifecycle(node: LifecycleNode) -> tuple[EmitEvent, RegisterEventHandler]:
    """With autostart: (configure ``node`` at once, activate it once it is configured)."""
    autostart = IfCondition(LaunchConfiguration("autostart"))
    configure = _change_state(node, Transition.TRANSITION_CONFIGURE, condition=autostart)
    activate_when_configured = RegisterEventHandler(
        OnStateTransition(
            target_lifecycle_node=node,
            start_state="configuring",
            goal_state="inactive",
            entities=[_change_state(node, Transition.TRANSITION_ACTIVATE)],
        ),
        condition=IfCondition(LaunchConfiguration("autostart")),
    )
    return configure, activate_when_configured


def rviz_node(share: str) -> Node:
    """RViz 2 with the package's config/molingo.rviz (with rviz:=true)."""
    return Node(
        package="rviz2",
        namespace=LaunchConfiguration("namespace"),
        executable="rviz2",
        arguments=["-d", os.path.join(share, "config", "molingo.rviz")],
        condition=IfCondition(LaunchConfiguration("rviz")),
    )


def sim_node() -> Node:
    """molingo_sim for the same robot, publishing /clock on sim time (with sim:=true)."""
    return Node(
        package="molingo_ros",
        executable="molingo_sim",
        name="molingo_sim",
        namespace=LaunchConfiguration("namespace"),
        parameters=[
            {
                "robot": LaunchConfiguration("robot"),
                "publish_clock": LaunchConfiguration("use_sim_time"),
            }
        ],
        output="screen",
        condition=IfCondition(LaunchConfiguration("sim")),
    )


def generate_launch_description() -> LaunchDescription:
    share = get_package_share_directory("molingo_ros")
    node = molingo_node()
    configure, activate_when_configured = autostart_lifecycle(node)
    return LaunchDescription(
        [
            *declare_arguments(os.path.join(share, "config", "molingo.yaml")),
            activate_when_configured,
            node,
            configure,
            rviz_node(share),
            sim_node(),
        ]
    )
