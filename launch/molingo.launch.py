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


def generate_launch_description() -> LaunchDescription:
    default_params = os.path.join(
        get_package_share_directory("molingo_ros"), "config", "molingo.yaml"
    )
    params_file = LaunchConfiguration("params_file")
    namespace = LaunchConfiguration("namespace")
    autostart = LaunchConfiguration("autostart")
    log_level = LaunchConfiguration("log_level")
    robot = LaunchConfiguration("robot")
    record = LaunchConfiguration("record")
    record_path = LaunchConfiguration("record_path")
    rviz = LaunchConfiguration("rviz")
    sim = LaunchConfiguration("sim")
    use_sim_time = LaunchConfiguration("use_sim_time")
    share = get_package_share_directory("molingo_ros")

    node = LifecycleNode(
        package="molingo_ros",
        executable="molingo_node",
        name="molingo_node",
        namespace=namespace,
        # The launch file drives the lifecycle itself, so the node's own autostart is off.
        parameters=[
            params_file,
            {
                "robot": robot,
                "record.enabled": record,
                "record.path": record_path,
                "autostart": False,
                "use_sim_time": use_sim_time,
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
        arguments=["--ros-args", "--log-level", log_level],
        output="screen",
        emulate_tty=True,
    )

    configure = EmitEvent(
        event=ChangeState(
            lifecycle_node_matcher=matches_action(node),
            transition_id=Transition.TRANSITION_CONFIGURE,
        ),
        condition=IfCondition(autostart),
    )
    activate_when_configured = RegisterEventHandler(
        OnStateTransition(
            target_lifecycle_node=node,
            start_state="configuring",
            goal_state="inactive",
            entities=[
                EmitEvent(
                    event=ChangeState(
                        lifecycle_node_matcher=matches_action(node),
                        transition_id=Transition.TRANSITION_ACTIVATE,
                    )
                )
            ],
        ),
        condition=IfCondition(autostart),
    )

    rviz_node = Node(
        package="rviz2",
        namespace=namespace,
        executable="rviz2",
        arguments=["-d", os.path.join(share, "config", "molingo.rviz")],
        condition=IfCondition(rviz),
    )
    sim_node = Node(
        package="molingo_ros",
        executable="molingo_sim",
        name="molingo_sim",
        namespace=namespace,
        parameters=[{"robot": robot, "publish_clock": use_sim_time}],
        output="screen",
        condition=IfCondition(sim),
    )

    return LaunchDescription(
        [
            DeclareLaunchArgument(
                "params_file",
                default_value=default_params,
                description="YAML file with molingo_node's ros__parameters",
            ),
            DeclareLaunchArgument(
                "namespace", default_value="", description="Namespace of the node"
            ),
            DeclareLaunchArgument(
                "autostart",
                default_value="true",
                description="Configure and activate the lifecycle node on start",
            ),
            DeclareLaunchArgument(
                "robot", default_value="g1", description="Robot: g1, h1, t1 or a robot YAML"
            ),
            DeclareLaunchArgument(
                "record", default_value="false", description="Record a rosbag2 (mcap)"
            ),
            DeclareLaunchArgument(
                "record_path",
                default_value="",
                description="Bag folder to create (empty: bags/molingo_<date>)",
            ),
            DeclareLaunchArgument("rviz", default_value="false", description="Start RViz 2"),
            DeclareLaunchArgument(
                "sim", default_value="false", description="Start molingo_sim (MuJoCo)"
            ),
            DeclareLaunchArgument(
                "use_sim_time",
                default_value="false",
                description="Use the /clock topic (Gazebo, Isaac Sim, molingo_sim) as ROS time",
            ),
            DeclareLaunchArgument(
                "log_level", default_value="info", description="ROS log level of the node"
            ),
            activate_when_configured,
            node,
            configure,
            rviz_node,
            sim_node,
        ]
    )
