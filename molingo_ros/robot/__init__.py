"""Humanoid robot models through pinocchio: the Unitree G1 (default), Unitree H1 and Booster T1
loaded at run time from installed packages, or any robot given as a URDF string (what ROS
publishes as ``robot_description``). Keypoint frames, limits and forward kinematics in the
project's world convention (metres, z up, x forward, y left, floor at z = 0). No ROS imports."""

#: The robot used when none is named (registry name; see :mod:`molingo_ros.robot.models`).
#: Here, not in ``models``, so callers can read it without importing pinocchio.
DEFAULT_ROBOT = "g1"
