"""Robot stick figures (molingo_ros.robot.view) on the real G1, H1 and T1 models."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.joint_sides import joint_sides
from molingo_ros.motion.render_config import RenderConfig
from molingo_ros.robot.models import Robot, load_robot
from molingo_ros.robot.view import _sided_name, render_retarget, robot_to_motion

ROBOT_NAMES = ("g1", "h1", "t1")
WAVE_CLIP = "dataset-2_wave-right-hand_normal_001"


@pytest.fixture(scope="module")
def robots() -> dict[str, Robot]:
    return {name: load_robot(name) for name in ROBOT_NAMES}


def _pose(robot: Robot, amount: float) -> np.ndarray:
    """Neutral with the knees bent and the shoulders pitched by ``amount`` (0..1) of their
    range (towards the limit farther from 0), the root moved and turned a little."""
    q = robot.neutral()
    for i, name in enumerate(robot.joint_names):
        low = name.lower()
        if "knee" in low or "shoulder_pitch" in low:
            lo, hi = robot.lower[i], robot.upper[i]
            far = hi if abs(hi) >= abs(lo) else lo
            q[robot.joint_q_indices[i]] = amount * 0.6 * far
    q[0] += 0.3 * amount
    yaw = 0.5 * amount
    q[3:7] = [0.0, 0.0, np.sin(yaw / 2), np.cos(yaw / 2)]
    return q


def _bend(robot: Robot, n: int) -> np.ndarray:
    return np.stack([_pose(robot, a) for a in np.linspace(0.0, 1.0, n)])


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_neutral_stick_figure(robots, name):
    robot = robots[name]
    m = robot_to_motion(robot, robot.neutral()[None], fps=30.0)
    assert m.name == name and m.fps == 30.0 and m.num_frames == 1
    pos = m.positions_m[0]
    assert np.isfinite(pos).all()
    # The soles are the lowest points, on the floor.
    z = pos[:, 2]
    assert abs(z.min()) < 1e-3
    for side in ("left", "right"):
        assert abs(z[m.joint_index(f"{side}_sole")]) < 1e-3
    # The head keypoint is the highest point.
    head_z = robot.keypoint_positions(robot.neutral())["head"][2]
    assert z.max() == pytest.approx(head_z, abs=0.01)
    assert z[m.joint_index("head")] == pytest.approx(head_z, abs=1e-9)
    # Sides: balanced, and matching the sign of y.
    sides = np.array(joint_sides(m.joint_names))
    assert (sides == "L").sum() == (sides == "R").sum() > 5
    assert (pos[sides == "L", 1] > 0.01).all()
    assert (pos[sides == "R", 1] < -0.01).all()
    assert (np.abs(pos[sides == "C", 1]) <= 0.01).all()
    # One root, first; every parent comes before its child.
    assert m.parents[0] == -1 and (m.parents[1:] >= 0).all()
    assert (m.parents[1:] < np.arange(1, m.num_joints)).all()
    assert len(set(m.joint_names)) == m.num_joints
    # Bones are not degenerate (stacked joints were merged).
    bones = np.linalg.norm(pos[1:] - pos[m.parents[1:]], axis=1)
    assert bones.min() >= 0.01 - 1e-9


def test_stacked_joints_are_merged(robots):
    g1 = robot_to_motion(robots["g1"], robots["g1"].neutral()[None], 30.0)
    # waist_yaw sits on the pelvis origin, waist_pitch on waist_roll's.
    assert "waist_yaw_joint" not in g1.joint_names
    assert "waist_pitch_joint" not in g1.joint_names
    roll = g1.joint_index("waist_roll_joint")
    assert g1.parents[roll] == 0
    assert g1.parents[g1.joint_index("left_shoulder_pitch_joint")] == roll
    h1 = robot_to_motion(robots["h1"], robots["h1"].neutral()[None], 30.0)
    assert "torso" not in h1.joint_names  # on the pelvis origin
    assert h1.parents[h1.joint_index("left_shoulder_pitch")] == 0


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_points_follow_the_kinematics(robots, name):
    robot = robots[name]
    qpos = _bend(robot, 4)
    m = robot_to_motion(robot, qpos, fps=50.0, name="bent")
    assert m.name == "bent" and m.positions_m.shape[:2] == (4, m.num_joints)
    assert np.isfinite(m.positions_m).all()
    assert not np.allclose(m.positions_m[0], m.positions_m[-1])
    data = robot.model.createData()
    for t, q in enumerate(qpos):
        kps = robot.keypoint_positions(q)
        for key in ("head", "left_hand", "right_hand"):  # a point of its own or a joint's
            assert np.linalg.norm(m.positions_m[t] - kps[key], axis=1).min() < 1e-9, key
        for side, p in robot.sole_positions(q).items():
            np.testing.assert_allclose(
                m.positions_m[t, m.joint_index(f"{side}_sole")], p, atol=1e-9
            )
        pin.forwardKinematics(robot.model, data, q)
        for jid in range(1, robot.model.njoints):
            jname = robot.model.names[jid]
            if jname in m.joint_names:
                np.testing.assert_allclose(
                    m.positions_m[t, m.joint_index(jname)], data.oMi[jid].translation, atol=1e-9
                )


def test_root_quaternion_is_normalised(robots):
    robot = robots["g1"]
    q = robot.neutral()
    scaled = q.copy()
    scaled[3:7] *= 3.0
    a = robot_to_motion(robot, q[None], 30.0).positions_m
    b = robot_to_motion(robot, scaled[None], 30.0).positions_m
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_bad_qpos_and_fps(robots):
    robot = robots["g1"]
    q = robot.neutral()
    with pytest.raises(ValueError, match=r"nq\) = \(T, 36\)"):
        robot_to_motion(robot, q, 30.0)  # 1-D
    with pytest.raises(ValueError, match="36"):
        robot_to_motion(robot, np.zeros((5, 30)), 30.0)
    with pytest.raises(ValueError, match="T >= 1"):
        robot_to_motion(robot, np.zeros((0, 36)), 30.0)
    bad = np.tile(q, (3, 1))
    bad[2, 9] = np.nan
    with pytest.raises(ValueError, match="non-finite.*frame 2, index 9"):
        robot_to_motion(robot, bad, 30.0)
    zero = q.copy()
    zero[3:7] = 0.0
    with pytest.raises(ValueError, match="quaternion"):
        robot_to_motion(robot, zero[None], 30.0)
    with pytest.raises(ValueError, match="fps"):
        robot_to_motion(robot, q[None], 0.0)


def test_sided_names():
    taken: set[str] = set()
    assert _sided_name("AL1", "L", taken) == "left_AL1"
    assert _sided_name("Right_Hip", "R", taken) == "Right_Hip"
    assert _sided_name("Left_Hip", "R", taken) == "right_point"
    assert _sided_name("neck_l", "C", taken) == "neck"
    assert _sided_name("AL1", "L", taken) == "left_AL1_2"
    for name, side in [("left_AL1", "L"), ("Right_Hip", "R"), ("right_point", "R")]:
        assert joint_sides([name]) == [side]


@pytest.mark.parametrize("name", ["g1", "t1"])
def test_render_retarget_gif(robots, bandai_clip, tmp_path, name):
    robot = robots[name]
    human = load_motion(bandai_clip(WAVE_CLIP)).frames(0, 10)
    qpos = _bend(robot, 10)
    cfg = RenderConfig(figsize_in=(2.5, 2.5), dpi=40, progress=False)
    out = render_retarget(
        human, robot, qpos, human.fps, tmp_path / "sub" / "cmp.gif", max_frames=4, config=cfg
    )
    assert out == tmp_path / "sub" / "cmp.gif"
    assert out.is_file() and out.stat().st_size > 0
    with pytest.raises(ValueError, match=str(robot.nq)):
        render_retarget(human, robot, qpos[:, :-1], human.fps, tmp_path / "bad.gif")
