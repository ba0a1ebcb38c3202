"""The streaming runtime without ROS: command checks, the text -> safe robot frames engine, the
timeline controller and the safety filter (molingo_ros.ros puts ROS on top)."""
