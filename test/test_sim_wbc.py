"""The whole-body controller (molingo_ros.sim.wbc) on the real G1 under MuJoCo physics: a
standing G1 stays up 10 s carried by both feet, the QP's torques respect the model's limits, a
reference past a joint limit is held inside it, and the joint groups cover every joint."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

from molingo_ros.robot.models import load_robot
from molingo_ros.sim.player import MujocoRobot
from molingo_ros.sim.reference import FramesMotion, ReferenceState, joint_groups
from molingo_ros.sim.support import support_hull
from molingo_ros.sim.tracking import PhysicsTracker
from molingo_ros.sim.wbc import WholeBodyController


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def test_joint_groups_cover_every_joint_once(g1):
    groups = joint_groups(g1)
    every = np.sort(np.concatenate(list(groups.values())))
    assert every.tolist() == list(range(g1.num_joints))
    names = {k: [g1.joint_names[i] for i in v] for k, v in groups.items()}
    assert "left_knee_joint" in names["legs"] and "waist_yaw_joint" in names["waist"]
    assert "right_elbow_joint" in names["upper"]


def test_standing_still_the_feet_carry_the_weight(g1):
    """At rest on both feet the QP asks the floor for the robot's weight, shared by the feet,
    and joint torques within the effort limits."""
    wbc = WholeBodyController(g1)
    q = g1.neutral()
    v = np.zeros(g1.nv)
    tau = wbc.torques(q, v, ReferenceState(q, v, v.copy()))
    weight = pin.computeTotalMass(g1.model) * 9.81
    assert wbc.last_forces[:, 2].sum() == pytest.approx(weight, rel=0.02)
    assert (wbc.last_forces[:, 2] > 0.3 * weight).all()
    assert np.all(np.abs(tau) <= wbc.torque_limit + 1e-9)


@pytest.mark.slow
def test_a_standing_g1_stays_up_for_10_s(g1):
    tracker = PhysicsTracker(g1)
    standing = g1.neutral()
    motion = FramesMotion(g1, np.stack([standing, standing]), 30.0)
    tracker.start(standing)
    tracker.advance(motion, 10.0)
    report = tracker.report()
    assert report.upright and report.fell_at_s is None
    assert report.duration_s == pytest.approx(10.0, abs=0.01)
    assert max(report.joint_max_rad.values()) < 0.05
    assert report.root_error_m < 0.02 and report.travel_m < 0.02
    weight = pin.computeTotalMass(g1.model) * 9.81
    mean = sum(f["mean"] for f in report.foot_force_n.values())
    assert mean == pytest.approx(weight, rel=0.05)


def test_a_reference_past_a_joint_limit_is_held_inside_it(g1):
    """The left shoulder asked 0.5 rad past its upper limit: the simulated joint stops short of
    the limit (the QP keeps it inside), and the robot stays up."""
    sim = MujocoRobot(g1)
    tracker = PhysicsTracker(g1, sim)
    j = g1.joint_names.index("left_shoulder_roll_joint")
    start = g1.neutral()
    far = start.copy()
    far[7 + j] = g1.upper[j] + 0.5
    motion = FramesMotion(g1, np.stack([start, far]), 1.0)
    tracker.start(start)
    tracker.advance(motion, 2.0)
    assert tracker.report().upright
    reached = sim.configuration()[7 + j]
    assert g1.upper[j] - 0.1 < reached <= g1.upper[j] + 1e-3


def test_a_foot_is_lifted_only_once_the_weight_is_over_the_other(g1):
    """The reference lifts the left foot while the CoM is between the feet: the foot stays on
    the floor, loaded, and the CoM is steered over the right sole; a left foot already in the
    air swings at once (the floor gives it nothing)."""
    wbc = WholeBodyController(g1)
    q = g1.neutral()
    v = np.zeros(g1.nv)
    lift = ReferenceState(q, v, v.copy(), stance=(False, True))
    wbc.torques(q, v, lift)
    assert wbc.last_forces[0, 2] > 10.0  # still standing on it
    assert wbc.balance_feet == [1]
    up = q.copy()
    for name, angle in (("left_hip_pitch_joint", -0.6), ("left_knee_joint", 1.2)):
        up[7 + g1.joint_names.index(name)] = angle
    wbc.torques(up, v, ReferenceState(up, v, v.copy(), stance=(False, True)))
    assert wbc.last_forces[0].tolist() == [0.0, 0.0, 0.0]


def _momentum_rate(wbc: WholeBodyController, q, v, ref: ReferenceState) -> tuple:
    """(angular momentum, its rate under the QP's accelerations), about the CoM, world."""
    tau = wbc.torques(q, v, ref)
    model, data = wbc.model, wbc.model.createData()
    a = wbc.qp.solution[: wbc.nv]
    pin.computeCentroidalMapTimeVariation(model, data, q, v)
    assert np.all(np.isfinite(tau))
    return data.Ag[3:] @ v, data.Ag[3:] @ a + data.dAg[3:] @ v


def test_the_momentum_task_keeps_a_swing_from_turning_the_body(g1):
    """Standing still, the reference swings the arms and waist one way (joint accelerations
    that alone would spin the body about its CoM): with the momentum task the QP answers with
    a smaller rate of angular momentum than without it (the rest of the body
    compensates), and still follows the swing."""
    from dataclasses import replace

    from molingo_ros.sim.wbc import WbcConfig

    q = g1.neutral()
    v = np.zeros(g1.nv)
    acc = np.zeros(g1.nv)
    groups = joint_groups(g1)
    acc[6 + groups["upper"]] = 20.0
    acc[6 + groups["waist"]] = 10.0
    ref = ReferenceState(q, v.copy(), acc)
    on = WholeBodyController(g1)
    off = WholeBodyController(g1, replace(WbcConfig(), weight_momentum=0.0))
    assert on.cfg.weight_momentum > 0
    _, rate_on = _momentum_rate(on, q, v, ref)
    _, rate_off = _momentum_rate(off, q, v, ref)
    assert np.linalg.norm(rate_off) > 5.0  # N m: the swing alone turns the body
    assert np.linalg.norm(rate_on) < 0.8 * np.linalg.norm(rate_off)  # 0.63 measured
    a_on = on.qp.solution[6 + groups["upper"]]
    assert np.mean(a_on) > 5.0  # the arms still swing the asked way


def test_the_capture_point_is_kept_inside_the_support(g1):
    """Standing still with the arms forward (CoM 4.7 cm ahead of the ankles), the reference
    asks for a forward push (8 m/s^2 of the root). The capture point predicted
    ``capture_horizon_s`` ahead under the QP's accelerations stays ``capture_margin_m`` inside
    the soles' front edge with the capture rows (within the slack, 2 mm); without them the
    QP follows the push past it."""
    from dataclasses import replace

    from molingo_ros.sim.wbc import WbcConfig

    q = g1.neutral()
    v = np.zeros(g1.nv)
    for name, angle in (
        ("left_shoulder_pitch_joint", -1.5),
        ("right_shoulder_pitch_joint", -1.5),
        ("waist_pitch_joint", 0.1),
    ):
        q[7 + g1.joint_names.index(name)] = angle
    push = np.zeros(g1.nv)
    push[0] = 8.0
    predicted = {}
    for weight in (1e7, 0.0):
        cfg = replace(WbcConfig(), weight_capture=weight, capture_margin_m=0.04)
        wbc = WholeBodyController(g1, cfg)
        wbc.torques(q, v, ReferenceState(q, v.copy(), push))
        data, a = wbc.data, wbc.qp.solution[: wbc.nv]
        omega = np.sqrt(9.81 / data.com[0][2])
        com_acc = data.Jcom @ a + data.acom[0]
        predicted[weight] = data.com[0][0] + cfg.capture_horizon_s * com_acc[0] / omega
        front = wbc._support_points([0, 1])[:, 0].max()
        assert wbc.last_forces[:, 2].sum() > 300.0  # N: still standing on both feet
    bound = front - 0.04
    assert predicted[1e7] <= bound + 0.002
    assert predicted[0.0] > bound + 0.005


def test_a_com_target_held_at_the_support_edge_has_no_feed_forward(g1):
    """The reference is 0.2 m ahead of the robot and accelerating forward: its CoM target is
    held inside the soles (``com_margin_m``), and then its velocity and acceleration are not
    fed forward either (they belong to a place the CoM is not allowed to go): the CoM task
    asks for the PD's acceleration towards the held target only."""
    q = g1.neutral()
    v = np.zeros(g1.nv)
    ref_q = q.copy()
    ref_q[0] += 0.2
    push = np.zeros(g1.nv)
    push[0] = 8.0
    ref = ReferenceState(ref_q, push * 0.1, push)
    wbc = WholeBodyController(g1)
    cfg, data = wbc.cfg, wbc.data
    wbc._kinematics(q, v, ref)
    assert not np.any(wbc._offset)  # no stance yet: the reference's world is the real one
    _, targets, _ = wbc._tasks(q, v, ref, [0, 1], support_hull(wbc._support_points([0, 1])))
    held = wbc._support_points([0, 1])[:, 0].max() - cfg.com_margin_m
    pd_only = cfg.com_kp * (held - data.com[0][0])
    assert wbc.ref_data.acom[0][0] == pytest.approx(8.0, abs=0.1)  # the reference's push
    assert 0.0 < pd_only < cfg.max_com_acceleration
    assert targets[0][0] + data.acom[0][0] == pytest.approx(pd_only, abs=1e-6)
