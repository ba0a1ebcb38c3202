import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from molingo_ros.motion.skeleton import Skeleton, forward_kinematics


def test_fk_chain_matches_hand_computation():
    parents = np.array([-1, 0, 1])
    offsets = np.array([[0, 0, 0], [1.0, 0, 0], [1.0, 0, 0]])
    rots = np.tile(np.eye(3), (2, 3, 1, 1))
    rots[1, 1] = Rotation.from_euler("z", 90, degrees=True).as_matrix()
    trans = np.tile(offsets, (2, 1, 1))
    trans[:, 0] = [0, 0, 1]
    glob_r, glob_p = forward_kinematics(parents, rots, trans)
    np.testing.assert_allclose(glob_p[0], [[0, 0, 1], [1, 0, 1], [2, 0, 1]], atol=1e-12)
    np.testing.assert_allclose(glob_p[1], [[0, 0, 1], [1, 0, 1], [1, 1, 1]], atol=1e-12)
    np.testing.assert_allclose(glob_r[1, 2], rots[1, 1], atol=1e-12)


def test_skeleton_validates_order_and_names():
    with pytest.raises(ValueError, match="parents must come before children"):
        Skeleton(("a", "b"), np.array([1, -1]), np.zeros((2, 3)))
    sk = Skeleton(("a", "b"), np.array([-1, 0]), np.array([[0, 0, 0], [0, 3.0, 4.0]]))
    np.testing.assert_allclose(sk.bone_lengths_m(), [0, 5])
    with pytest.raises(KeyError, match="known: a, b"):
        sk.index("c")
