"""Human motion data: readers, skeletons and forward kinematics, the learning representation,
mirroring, captions, the dataset builder and rendering. No ROS imports."""
