"""Tests of molingo_ros.robot.validator (validate and its thresholds) on the real Unitree G1
model; the individual checks have their own test files (joint_checks, foot_checks,
self_collision, collision_setup, batch_kinematics, validation_report)."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

from molingo_ros.robot.collision_setup import collision_setup
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.validation_report import ValidationReport
from molingo_ros.robot.validator import ValidatorConfig, validate

FPS = 30.0
T = 30


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def still(robot, frames: int = T) -> np.ndarray:
    return np.tile(robot.neutral(), (frames, 1))


def jq(robot, name: str) -> int:
    return int(robot.joint_q_indices[robot.joint_names.index(name)])


def test_neutral_still_is_clean(g1):
    rep = validate(g1, still(g1), FPS)
    assert isinstance(rep, ValidationReport)
    assert rep.frames == T
    assert rep.joint_limit_violations == 0
    assert rep.velocity_limit_violations == 0
    assert rep.acceleration_limit_violations == 0
    assert rep.self_collision_frames == 0
    assert rep.checked_collision_pairs > 0
    assert rep.max_foot_penetration_m == pytest.approx(0.0, abs=1e-9)
    assert rep.foot_skate_m_per_s == pytest.approx(0.0, abs=1e-9)
    assert rep.frame_ok.shape == (T,) and rep.frame_ok.all()
    assert rep.mean_keypoint_error_m is None


def test_position_limit_violation_rejects_frame(g1):
    q = still(g1)
    j = "left_elbow_joint"
    q[10, jq(g1, j)] = g1.upper[g1.joint_names.index(j)] + 0.1
    cfg = ValidatorConfig(self_collision=False)
    # The jump from 0 to 2.2 rad is also a velocity violation: check frame 10 is rejected.
    rep = validate(g1, q, FPS, config=cfg)
    assert rep.joint_limit_violations == 1
    assert rep.joint_limit_violations_by_joint == {j: 1}
    assert not rep.frame_ok[10]
    # A violation inside the limit band of a slowly reached pose: only frame 10 rejected.
    q = still(g1)
    base = g1.upper[g1.joint_names.index(j)] - 0.01
    q[:, jq(g1, j)] = base
    q[10, jq(g1, j)] = base + 0.05
    rep = validate(g1, q, FPS, config=cfg)
    assert rep.joint_limit_violations == 1
    assert rep.velocity_limit_violations == 0
    assert rep.rejected_frames == [10]


def test_velocity_spike_is_counted(g1):
    # The slowest G1 joint (20 rad/s, e.g. the knee): 0.5 rad in one frame at 30 fps is
    # 15 rad/s, within its limit; 1.0 rad in one frame (30 rad/s) is over it.
    k = int(np.argmin(g1.velocity_limits))
    j, limit = g1.joint_names[k], g1.velocity_limits[k]
    assert 0.5 * FPS < limit < 1.0 * FPS
    cfg = ValidatorConfig(self_collision=False)
    for jump, expected in ((0.5, 0), (1.0, 1)):
        q = still(g1)
        q[10:, jq(g1, j)] = jump  # one jump between frames 9 and 10, then held
        rep = validate(g1, q, FPS, config=cfg)
        assert rep.velocity_limit_violations == expected
        assert rep.max_velocity_ratio == pytest.approx(jump * FPS / limit)
        assert rep.acceleration_limit_violations == 2  # jump * 900 rad/s^2 at frames 9, 10
        assert rep.joint_limit_violations == 0
        assert rep.rejected_frames == ([10] if expected else [])
    assert rep.velocity_limit_violations_by_joint == {j: 1}


def test_lowered_robot_penetrates(g1):
    q = still(g1)
    q[:, 2] -= 0.05
    rep = validate(g1, q, FPS, config=ValidatorConfig(self_collision=False))
    assert rep.max_foot_penetration_m == pytest.approx(0.05, abs=1e-6)
    assert rep.penetration_frames == T
    assert not rep.frame_ok.any()


def test_sideways_translation_skates(g1):
    q = still(g1)
    q[:, 1] += np.arange(T) / FPS  # 1 m/s along y, feet on the floor
    rep = validate(g1, q, FPS, config=ValidatorConfig(self_collision=False))
    assert rep.foot_skate_m_per_s == pytest.approx(1.0, abs=1e-6)
    assert rep.foot_skate_frames == T - 1
    assert rep.frame_ok.all()  # skating is reported, not rejected


def _colliding_arm_pose(robot) -> np.ndarray:
    """Left arm folded into the torso: shoulder roll at its inward limit, a few shoulder
    pitch / elbow values tried until pinocchio reports a collision."""
    setup = collision_setup(robot)
    data = robot.model.createData()
    for pitch in (0.0, -1.0, -2.0, -3.0):
        for elbow in (0.0, 1.0, 2.0):
            q = robot.neutral()
            q[jq(robot, "left_shoulder_roll_joint")] = -10.0  # beyond the limit; clamped
            q[jq(robot, "left_shoulder_pitch_joint")] = pitch
            q[jq(robot, "left_elbow_joint")] = elbow
            q = robot.clamp_to_limits(q)
            if pin.computeCollisions(
                robot.model, data, setup.geom_model, setup.geom_data, q, False
            ):
                return q
    pytest.fail("no colliding arm configuration found")


def test_arm_into_torso_collides(g1):
    bad = _colliding_arm_pose(g1)
    q = still(g1)
    q[12:18] = bad  # the jumps into frame 12 and out at 18 also break velocity limits
    rep = validate(g1, q, FPS)
    assert rep.self_collision_frames == 6
    assert sorted(rep.collisions) == list(range(12, 18))
    assert all(any("torso" in a or "torso" in b for a, b in p) for p in rep.collisions.values())
    assert not rep.frame_ok[12:18].any()
    assert rep.frame_ok[:12].all()
    # Disabled: no collision frames.
    rep = validate(g1, q, FPS, config=ValidatorConfig(self_collision=False))
    assert rep.self_collision_frames == 0 and rep.checked_collision_pairs == 0


def test_keypoint_error(g1):
    q = still(g1, 10)
    q[:, 0] += np.linspace(0.0, 0.2, 10)
    own = {k: np.stack([g1.keypoint_positions(x)[k] for x in q]) for k in g1.keypoint_names}
    cfg = ValidatorConfig(self_collision=False)
    rep = validate(g1, q, FPS, targets=own, config=cfg)
    assert rep.mean_keypoint_error_m == pytest.approx(0.0, abs=1e-9)
    assert rep.max_keypoint_error_m == pytest.approx(0.0, abs=1e-9)
    shifted = {k: v + np.array([0.0, 0.03, 0.0]) for k, v in own.items()}
    rep = validate(g1, q, FPS, targets=shifted, config=cfg)
    assert rep.mean_keypoint_error_m == pytest.approx(0.03, abs=1e-9)
    assert rep.max_keypoint_error_m == pytest.approx(0.03, abs=1e-9)
    assert set(rep.keypoint_errors_m) == set(g1.keypoint_names)
    assert rep.keypoint_errors_m["left_hand"]["mean"] == pytest.approx(0.03, abs=1e-9)
    with pytest.raises(ValueError, match="unknown target keypoint"):
        validate(g1, q, FPS, targets={"tail": own["pelvis"]}, config=cfg)
    with pytest.raises(ValueError, match=r"\(10, 3\)"):
        validate(g1, q, FPS, targets={"pelvis": own["pelvis"][:5]}, config=cfg)


def test_bad_input(g1):
    q = still(g1)
    q[7, 9] = np.nan
    with pytest.raises(ValueError, match="frame 7"):
        validate(g1, q, FPS)
    with pytest.raises(ValueError, match=str(g1.nq)):
        validate(g1, np.zeros((5, g1.nq - 1)), FPS)
    with pytest.raises(ValueError, match=str(g1.nq)):
        validate(g1, g1.neutral(), FPS)
    with pytest.raises(ValueError, match="fps"):
        validate(g1, still(g1), 0.0)


# --------------------------------------------------------------------------------------------
# The broad phase option (collision_broadphase) on a busy motion
# --------------------------------------------------------------------------------------------


def _busy_motion(robot, frames: int = 90) -> np.ndarray:
    """Sinusoids on every joint (40 % of the half range around the middle of the limits, so
    legs and arms hit each other now and then), the root walking and turning, and frames
    30-59 blending the left arm into the torso and back."""
    rng = np.random.default_rng(7)
    t = np.arange(frames) / FPS
    q = still(robot, frames)
    mid, half = (robot.lower + robot.upper) / 2, (robot.upper - robot.lower) / 2
    mid = np.clip(0.0, robot.lower, robot.upper) * 0.5 + mid * 0.5
    for k, idx in enumerate(robot.joint_q_indices):
        f, ph = rng.uniform(0.3, 1.2), rng.uniform(0.0, 2 * np.pi)
        q[:, idx] = mid[k] + 0.4 * half[k] * np.sin(2 * np.pi * f * t + ph)
    q[:, 0] = 0.8 * t
    yaw = 0.4 * np.sin(t)
    q[:, 5], q[:, 6] = np.sin(yaw / 2), np.cos(yaw / 2)
    bad = _colliding_arm_pose(robot)
    w = np.zeros(frames)
    w[30:40], w[40:50], w[50:60] = np.linspace(0, 1, 10), 1.0, np.linspace(1, 0, 10)
    arm = [jq(robot, n) for n in robot.joint_names if n.startswith(("left_shoulder", "left_elbow"))]
    q[:, arm] = (1 - w[:, None]) * q[:, arm] + w[:, None] * bad[arm]
    return robot.clamp_to_limits(q)


@pytest.mark.parametrize("margin", [0.0, 0.01])
def test_broadphase_matches_exhaustive(g1, margin):
    q = _busy_motion(g1)
    fast = validate(g1, q, FPS, config=ValidatorConfig(min_collision_distance_m=margin))
    slow = validate(
        g1,
        q,
        FPS,
        config=ValidatorConfig(min_collision_distance_m=margin, collision_broadphase=False),
    )
    assert fast.collisions == slow.collisions
    assert fast.to_dict() == slow.to_dict()
    # The motion really exercises the check: many colliding frames (all of them with the
    # 1 cm margin), several distinct pairs, and clean frames without a margin.
    pairs = {p for ps in slow.collisions.values() for p in ps}
    assert slow.self_collision_frames >= 20
    assert margin > 0 or slow.self_collision_frames < len(q)
    assert len(pairs) >= 5
    assert any("torso" in a or "torso" in b for a, b in pairs)


def test_collision_settings_reach_the_pair_filter(g1):
    q = still(g1, 2)
    default = validate(g1, q, FPS)
    adjacent = validate(g1, q, FPS, config=ValidatorConfig(filter_adjacent_links=False))
    unfiltered = validate(
        g1,
        q,
        FPS,
        config=ValidatorConfig(filter_adjacent_links=False, filter_neutral_collisions=False),
    )
    # Adjacent links of the G1 overlap at the neutral pose: checked without either filter,
    # they collide in every frame; the neutral filter drops (and lists) pairs.
    assert default.ignored_collision_pairs == [] and default.ok
    assert unfiltered.ignored_collision_pairs == []
    assert unfiltered.self_collision_frames == 2 and not unfiltered.frame_ok.any()
    assert all(a.split("_link")[0] != b.split("_link")[0] for a, b in unfiltered.collisions[0])
    assert adjacent.ignored_collision_pairs
    assert default.checked_collision_pairs < adjacent.checked_collision_pairs
    assert adjacent.checked_collision_pairs < unfiltered.checked_collision_pairs


def test_single_frame(g1):
    rep = validate(g1, still(g1, 1), FPS, config=ValidatorConfig(self_collision=False))
    assert rep.frames == 1 and rep.ok
    assert rep.max_velocity_ratio == 0.0 and rep.max_acceleration_rad_s2 == 0.0
    assert rep.foot_skate_frames == 0 and rep.foot_contact_fraction == 1.0


def test_unnormalised_root_quaternion_is_normalised(g1):
    q = still(g1, 3)
    q[:, 3:7] *= 2.5  # same rotation, not unit
    scaled = validate(g1, q, FPS)
    assert scaled.to_dict() == validate(g1, still(g1, 3), FPS).to_dict()
    q[1, 3:7] = 0.0
    with pytest.raises(ValueError, match="frame 1 has a zero root quaternion"):
        validate(g1, q, FPS)


def test_dynamics_are_reported_only_when_asked_and_never_reject(g1):
    from molingo_ros.robot.dynamics import DynamicsConfig

    q = still(g1)
    plain = validate(g1, q, FPS)
    assert plain.dynamics is None and plain.dynamically_feasible is None
    assert plain.to_dict()["dynamics"] is None
    hover = q.copy()
    hover[:, 2] += 0.5  # held in the air: a flight that is not ballistic
    rep = validate(g1, hover, FPS, config=ValidatorConfig(dynamics=DynamicsConfig()))
    assert rep.dynamics["infeasible_flight_frames"] == T and not rep.dynamically_feasible.any()
    assert rep.frame_ok.all()  # kinematically fine: dynamics flag, they do not reject
    d = rep.to_dict()["dynamics"]
    assert d["flight_frames"] == T and d["min_zmp_margin_m"] is None  # NaN: no stance frame
