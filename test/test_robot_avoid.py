"""Tests of molingo_ros.robot.avoid on real mocap: a Bandai Namco sword slash retargeted onto
the real Unitree G1 without the collision repair, so the arms cut into the torso; the checker
finds those pairs (as the validator does) and its separation rows push them apart."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest
from robot_helpers import unrepaired_slash

from molingo_ros.robot.avoid import AvoidConfig, CollisionChecker, prepare_collisions
from molingo_ros.robot.batch_kinematics import joint_placements
from molingo_ros.robot.ik import KeypointIk
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.retarget_config import retarget_config_for
from molingo_ros.robot.self_collision import self_collisions
from molingo_ros.robot.target_config import ORIENTED_KEYPOINTS, TARGET_KEYPOINTS
from molingo_ros.robot.validator import ValidatorConfig


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


@pytest.fixture(scope="module")
def checker(g1):
    return CollisionChecker(g1)


@pytest.fixture(scope="module")
def slash(bandai_clip, g1):
    """The first 60 frames of the slash on the G1, unrepaired (a RetargetResult)."""
    return unrepaired_slash(bandai_clip, g1, 60)


def _hull_distance(checker: CollisionChecker, q: np.ndarray, pair: int) -> float:
    """Signed distance of the pair's convex hulls at ``q`` (metres, negative: overlap)."""
    robot, s = checker.robot, checker.setup
    data, hull_data = robot.model.createData(), pin.GeometryData(s.hull_model)
    pin.updateGeometryPlacements(robot.model, data, s.hull_model, hull_data, q)
    return float(pin.computeDistance(s.hull_model, hull_data, pair).min_distance)


def test_finds_the_validators_pairs(g1, checker, slash):
    rot, pos = joint_placements(g1.model, slash.qpos)
    want = self_collisions(g1, checker.setup, slash.qpos, rot, pos, broadphase=False)
    assert len(want) > 20
    for t, q in enumerate(slash.qpos):
        pairs = checker.colliding_pairs(q)
        assert [checker.setup.pair_names[k] for k in pairs] == want.get(t, [])
    assert checker.colliding_pairs(g1.neutral()) == []


def test_separation_rows_point_apart(g1, checker, slash):
    t = next(t for t, q in enumerate(slash.qpos) if checker.colliding_pairs(q))
    q = slash.qpos[t]
    pairs = checker.colliding_pairs(q)
    jac, err = checker.separation_rows(q, pairs, 0.01)
    assert jac.shape == (len(pairs), g1.nv) and err.shape == (len(pairs),)
    assert np.all(err >= 0.01)  # overlapping hulls: at least the clearance to go
    # A small step along the rows' least-squares solution opens every pair's hulls.
    dq = np.linalg.lstsq(jac, err, rcond=None)[0]
    q_apart = pin.integrate(g1.model, q, 0.2 * dq)
    for k in pairs:
        assert _hull_distance(checker, q_apart, k) > _hull_distance(checker, q, k)
    # No pairs, no rows.
    jac, err = checker.separation_rows(q, [], 0.01)
    assert jac.shape == (0, g1.nv) and err.shape == (0,)


def test_ik_steps_with_the_rows_repair_the_frame(g1, checker, slash):
    config = retarget_config_for(g1)
    ik = KeypointIk(
        g1,
        TARGET_KEYPOINTS,
        ORIENTED_KEYPOINTS,
        [float(config.position_weights.get(k, 1.0)) for k in TARGET_KEYPOINTS],
        [float(config.orientation_weights.get(k, 0.0)) for k in ORIENTED_KEYPOINTS],
        config.ik,
    )
    avoid = AvoidConfig()
    colliding = [t for t, q in enumerate(slash.qpos) if checker.colliding_pairs(q)]
    for t in colliding[:: max(1, len(colliding) // 5)]:
        q = slash.qpos[t].copy()
        tp, tr = slash.targets.positions[t], slash.targets.rotations[t]
        pairs = checker.colliding_pairs(q)
        for _ in range(avoid.max_iterations):
            rows, errs = checker.separation_rows(q, pairs, avoid.clearance_m)
            q = ik.step(q, tp, tr, extra=(rows, errs, avoid.weight))
            pairs = checker.colliding_pairs(q)
            if not pairs:
                break
        assert pairs == [], f"frame {t} still collides"
        # The repair moves the arms, not the whole pose: keypoints stay near their targets.
        assert np.median(ik.keypoint_errors(q, tp)) < 0.05


def test_validator_settings_choose_the_pairs(g1, checker):
    assert checker.setup.margin == 0.0
    wider = CollisionChecker(g1, ValidatorConfig(min_collision_distance_m=0.01))
    assert wider.setup.margin == 0.01 and wider.setup.hull_model is not None
    assert len(wider.setup.pair_names) <= len(checker.setup.pair_names)
    assert AvoidConfig().enabled and AvoidConfig().max_iterations > 0


def test_prepare_collisions_sets_up_what_the_checker_and_validator_use():
    robot = load_robot("g1")  # fresh: nothing loaded yet
    setup = prepare_collisions(robot)
    assert setup.hull_model is not None and len(setup.pair_hull) == len(setup.pair_names)
    assert CollisionChecker(robot).setup is setup  # the repair starts warm
    assert prepare_collisions(robot, ValidatorConfig()) is setup
    other = prepare_collisions(robot, ValidatorConfig(min_collision_distance_m=0.01))
    assert other is not setup and other.margin == 0.01
