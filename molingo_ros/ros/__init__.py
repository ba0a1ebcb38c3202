"""The ROS 2 layer: molingo_node (lifecycle node, topics, action), message conversions, rosbag2
recording and the operator CLI. Everything below it (molingo_ros.runtime, .model, .robot)
works without ROS."""
