"""Robot models on the real installed model files (G1, H1, T1 MJCF; G1 URDF)."""

from __future__ import annotations

import numpy as np
import pytest

from molingo_ros.robot.models import (
    G1_URDF_SOURCE,
    REQUIRED_KEYPOINTS,
    ROBOTS,
    Robot,
    RobotModelError,
    load_robot,
    load_robot_from_urdf_string,
    resolve_model_path,
)

# nq/nv measured in docs/robots-and-retargeting.md; plausible pelvis heights (m).
EXPECTED = {
    "g1": {"nq": 36, "nv": 35, "height": (0.70, 0.80)},
    "h1": {"nq": 26, "nv": 25, "height": (0.95, 1.10)},
    "t1": {"nq": 30, "nv": 29, "height": (0.45, 0.65)},
}


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def robot(request) -> Robot:
    return load_robot(request.param)


@pytest.fixture(scope="module")
def g1_urdf_text() -> str:
    return resolve_model_path(G1_URDF_SOURCE).read_text()


def test_registry_names():
    assert set(ROBOTS) == {"g1", "h1", "t1"}
    assert load_robot().name == "g1"


def test_sizes(robot: Robot):
    exp = EXPECTED[robot.name]
    assert (robot.nq, robot.nv) == (exp["nq"], exp["nv"])
    assert robot.num_joints == robot.nq - 7 == len(robot.joint_names)
    assert robot.neutral().shape == (robot.nq,)


def test_limits(robot: Robot):
    assert np.all(np.isfinite(robot.lower)) and np.all(np.isfinite(robot.upper))
    assert np.all(robot.lower < robot.upper)
    assert np.all(np.isfinite(robot.velocity_limits)) and np.all(robot.velocity_limits > 0)
    if robot.name in ("g1", "h1"):  # every joint covered by Unitree's published URDF values
        assert set(robot.velocity_limit_sources) == {"spec"}


def test_neutral_keypoints(robot: Robot):
    q = robot.neutral()
    # Upright root quaternion, pinocchio order x y z w.
    np.testing.assert_allclose(q[3:7], [0, 0, 0, 1])
    placements = robot.frame_placements(q)
    assert set(REQUIRED_KEYPOINTS) <= set(placements)
    for pos, rot in placements.values():
        assert pos.shape == (3,) and rot.shape == (3, 3)
        np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-9)
    p = {k: v[0] for k, v in placements.items()}
    pelvis_z = p["pelvis"][2]
    for side, sign in (("left", 1), ("right", -1)):
        foot, hand = p[f"{side}_foot"], p[f"{side}_hand"]
        assert foot[2] < pelvis_z - 0.3
        assert sign * foot[1] > 0.05, f"{side} foot on the wrong side: {foot}"
        assert sign * hand[1] > 0.05, f"{side} hand on the wrong side: {hand}"
        # Hands between the hips and the top of the head (arms down/forward/sideways).
        assert p[f"{side}_hip"][2] < hand[2] < p["head"][2]
    assert p["head"][2] > p["torso"][2] >= pelvis_z - 1e-9
    # The lowest sole touches the floor at the neutral pose.
    soles = robot.sole_positions(q)
    assert min(s[2] for s in soles.values()) == pytest.approx(0.0, abs=1e-9)


def test_standing_height(robot: Robot):
    lo, hi = EXPECTED[robot.name]["height"]
    assert lo < robot.standing_height() < hi


def test_g1_standing_height_matches_menagerie_pelvis_pos():
    # The Menagerie MJCF puts the pelvis body at z = 0.793 with the feet on the floor.
    assert load_robot("g1").standing_height() == pytest.approx(0.793, abs=1e-3)


def test_root_quaternion_is_xyzw():
    g1 = load_robot("g1")
    q = g1.neutral()
    q[3:7] = [0.0, 0.0, np.sin(np.pi / 4), np.cos(np.pi / 4)]  # +90 deg yaw, x y z w
    left = g1.frame_placements(q)["left_foot"][0]
    # The robot's left (+y) turns to world -x.
    assert left[0] < -0.1 and abs(left[1]) < 0.01


def test_unknown_robot_lists_known():
    with pytest.raises(RobotModelError, match=r"unknown robot 'g2'; known: g1, h1, t1"):
        load_robot("g2")


def test_clamp_to_limits():
    g1 = load_robot("g1")
    q = g1.neutral()
    q[7:] = 10.0
    q[3:7] = [0, 0, 0, 2.0]
    c = g1.clamp_to_limits(q)
    np.testing.assert_allclose(c[7:], g1.upper)
    np.testing.assert_allclose(c[3:7], [0, 0, 0, 1])
    batch = g1.clamp_to_limits(np.stack([q, q]))
    assert batch.shape == (2, g1.nq)
    np.testing.assert_allclose(batch[1], c)


def test_g1_urdf_string_matches_mjcf(g1_urdf_text: str):
    mjcf = load_robot("g1")
    urdf = load_robot_from_urdf_string(g1_urdf_text, "g1")
    assert (urdf.nq, urdf.nv) == (mjcf.nq, mjcf.nv)
    assert sorted(urdf.joint_names) == sorted(mjcf.joint_names)
    # The URDF's own velocity limits equal the spec's values taken from it.
    assert set(urdf.velocity_limit_sources) == {"model"}
    by_name = dict(zip(urdf.joint_names, urdf.velocity_limits, strict=True))
    np.testing.assert_allclose([by_name[n] for n in mjcf.joint_names], mjcf.velocity_limits)
    u_lower = dict(zip(urdf.joint_names, urdf.lower, strict=True))
    np.testing.assert_allclose([u_lower[n] for n in mjcf.joint_names], mjcf.lower, atol=1e-5)

    rng = np.random.default_rng(0)
    perm = [urdf.joint_names.index(n) for n in mjcf.joint_names]  # URDF index of MJCF joint i
    worst = 0.0
    for _ in range(20):
        q_m = mjcf.neutral()
        q_m[:3] = rng.uniform(-1, 1, 3)
        quat = rng.normal(size=4)
        q_m[3:7] = quat / np.linalg.norm(quat)
        q_m[7:] = rng.uniform(mjcf.lower, mjcf.upper)
        q_u = q_m.copy()
        q_u[7:][perm] = q_m[7:]
        pm, pu = mjcf.frame_placements(q_m), urdf.frame_placements(q_u)
        for key in pm:
            worst = max(worst, float(np.linalg.norm(pm[key][0] - pu[key][0])))
            np.testing.assert_allclose(pm[key][1], pu[key][1], atol=1e-5)
    assert worst < 1e-3, f"URDF vs MJCF keypoints differ by {worst * 1e3:.4f} mm"


def test_urdf_string_missing_frame(g1_urdf_text: str):
    broken = g1_urdf_text.replace('"left_wrist_yaw_link"', '"left_wrist_yaw_lnk"')
    with pytest.raises(RobotModelError, match="left_wrist_yaw_link") as info:
        load_robot_from_urdf_string(broken, "g1")
    assert "pelvis" in str(info.value)  # lists available frames


def test_urdf_string_not_xml():
    with pytest.raises(RobotModelError):
        load_robot_from_urdf_string("<robot name='x'><link", "g1")


def test_collision_model_is_lazy():
    t1 = load_robot("t1")  # the smallest geometry (about 1 s)
    assert t1._collision_model is None
    assert t1.collision_model.ngeoms > 0
    assert t1.collision_data is t1.collision_data
