"""Dynamic feasibility (molingo_ros.robot.dynamics) on the real Unitree G1 with pinocchio's
inverse dynamics: a standing pose is carried by its feet (ZMP inside the soles, the weight as
normal force), a pose leaning past the toes is not, a ballistic jump is a feasible flight and a
hover is not, the floor cannot pull, friction is bounded; a real bow retargeted from Bandai mocap
is feasible throughout."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest
from scipy.spatial.transform import Rotation

from molingo_ros.motion.sources import resolve_motion
from molingo_ros.robot.dynamics import (
    GRAVITY_M_S2,
    DynamicsConfig,
    check_dynamics,
    sole_points,
)
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.retarget import retarget

FPS = 30.0


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def _on_floor(robot, q: np.ndarray) -> np.ndarray:
    """``q`` moved so that its lower sole centre is at z = 0."""
    q = q.copy()
    soles = robot.sole_positions(q)
    q[2] -= min(soles["left"][2], soles["right"][2])
    return q


def _weight(robot) -> float:
    return pin.computeTotalMass(robot.model) * GRAVITY_M_S2


def test_a_standing_pose_is_carried_by_its_feet(g1):
    q = _on_floor(g1, g1.neutral())
    report = check_dynamics(g1, np.tile(q, (20, 1)), FPS)
    assert report.stance.all() and report.feasible.all()
    np.testing.assert_allclose(report.normal_force_n, _weight(g1), rtol=1e-6)
    np.testing.assert_allclose(report.tangential_force_n, 0.0, atol=1e-6)
    com = pin.centerOfMass(g1.model, g1.data, q)
    np.testing.assert_allclose(report.zmp_m, np.tile(com[:2], (20, 1)), atol=1e-6)  # static
    assert report.min_zmp_margin_m > 0.02
    assert set(report.summary().values()) - {report.min_zmp_margin_m} == {0}


def test_leaning_past_the_toes_puts_the_zmp_outside(g1):
    """The whole body tilted 0.35 rad forward about the ankles, the feet flat where they were."""
    q = g1.neutral()
    tilt = 0.35
    q[3:7] = Rotation.from_euler("y", tilt).as_quat()
    for side in ("left", "right"):
        q[g1.joint_q_indices[g1.joint_names.index(f"{side}_ankle_pitch_joint")]] = -tilt
    before = g1.sole_positions(_on_floor(g1, g1.neutral()))
    after = g1.sole_positions(q)
    q[:3] += before["left"] - after["left"]
    assert np.allclose(g1.sole_positions(q)["right"], before["right"], atol=1e-6)
    report = check_dynamics(g1, np.tile(q, (10, 1)), FPS)
    joint, points = sole_points(g1, "left")
    g1.forward_kinematics(q)
    toe_x = max((g1.data.oMi[joint].act(p))[0] for p in points)
    com = pin.centerOfMass(g1.model, g1.data, q)
    assert com[0] > toe_x + 0.05  # the centre of mass is beyond the toes
    assert report.counts["zmp_outside_frames"] == 10 and not report.feasible.any()
    assert report.min_zmp_margin_m < -0.05


def _trajectory(q0: np.ndarray, z: np.ndarray, x_speed: float = 0.0) -> np.ndarray:
    q = np.tile(q0, (len(z), 1))
    q[:, 2] = z
    q[:, 0] += x_speed * np.arange(len(z)) / FPS
    return q


def test_a_ballistic_jump_is_a_feasible_flight_and_a_hover_is_not(g1):
    q0 = _on_floor(g1, g1.neutral())
    t = np.arange(15) / FPS
    up = q0[2] + 0.3 + 1.5 * t - 0.5 * GRAVITY_M_S2 * t**2  # the soles stay 0.2 m+ up
    jump = check_dynamics(g1, _trajectory(q0, up, x_speed=1.0), FPS)
    assert jump.counts["flight_frames"] == 15 and jump.feasible.all()
    assert np.abs(jump.normal_force_n).max() < 0.05 * _weight(g1)
    hover = check_dynamics(g1, _trajectory(q0, np.full(15, q0[2] + 0.3)), FPS)
    assert hover.counts["infeasible_flight_frames"] == 15 and not hover.feasible.any()


def test_the_floor_cannot_pull_and_friction_is_bounded(g1):
    q0 = _on_floor(g1, g1.neutral())
    t = np.arange(12) / FPS
    sinking = q0[2] - GRAVITY_M_S2 * t**2  # accelerating down at 2 g: a pull
    pulled = check_dynamics(
        g1, _trajectory(q0, sinking), FPS, DynamicsConfig(contact_height_m=10.0, smoothing_frames=0)
    )
    assert pulled.counts["pull_frames"] >= 8
    x = 0.5 * 1.2 * GRAVITY_M_S2 * t**2  # 1.2 g forward: beyond mu = 0.7
    q = _trajectory(q0, np.full(12, q0[2]))
    q[:, 0] = q0[0] + x
    slid = check_dynamics(g1, q, FPS, DynamicsConfig(stance_speed_m_s=100.0, smoothing_frames=0))
    assert slid.counts["friction_violations"] >= 8
    grip = check_dynamics(
        g1, q, FPS, DynamicsConfig(stance_speed_m_s=100.0, friction_mu=1.5, smoothing_frames=0)
    )
    assert grip.counts["friction_violations"] == 0


def test_a_real_bow_is_feasible_and_bad_input_is_refused(g1):
    result = retarget(resolve_motion("dataset-1_bow_normal_001"), g1)
    report = check_dynamics(g1, result.qpos, result.fps)
    assert report.stance.all() and report.feasible.all() and report.min_zmp_margin_m > 0
    with pytest.raises(ValueError, match=r"qpos must be \(T >= 3, 36\)"):
        check_dynamics(g1, result.qpos[:2], FPS)
