"""Retargeting real mocap (Bandai Namco BVH, DeepMimic) onto real robot models (G1, H1, T1)
with pinocchio; every result is checked by the validator."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.deepmimic import motions_dir
from molingo_ros.robot.ik import IkConfig, KeypointIk
from molingo_ros.robot.models import (
    G1_URDF_SOURCE,
    RobotModelError,
    load_robot,
    load_robot_from_urdf_string,
    resolve_model_path,
    robot_config_path,
)
from molingo_ros.robot.report import motion_quality, retarget_and_validate
from molingo_ros.robot.retarget import (
    Retargeter,
    RetargetError,
    load_retarget_config,
    retarget,
    retarget_config_for,
    retarget_config_from_dict,
    save_retarget_npz,
)
from molingo_ros.robot.targets import TARGET_KEYPOINTS, RobotRest
from molingo_ros.robot.validator import ValidatorConfig, validate


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


@pytest.fixture(scope="module")
def walk(bandai_clip):
    return load_motion(bandai_clip("dataset-2_walk_normal_001"))


@pytest.fixture(scope="module")
def wave(bandai_clip):
    return load_motion(bandai_clip("dataset-2_wave-right-hand_normal_001"))


@pytest.fixture(scope="module")
def walk_g1(walk, g1):
    return retarget(walk, g1)


def test_walk_on_g1_is_valid_and_close(walk_g1, g1):
    rep = validate(g1, walk_g1.qpos, walk_g1.fps, walk_g1.target_positions())
    assert walk_g1.qpos.shape == (walk_g1.frames, g1.nq)
    assert rep.joint_limit_violations == 0
    assert rep.velocity_limit_violations == 0
    assert rep.self_collision_frames == 0
    assert rep.mean_keypoint_error_m < 0.030  # issue 3 aim for walks
    assert rep.max_foot_penetration_m < 0.005
    quality = motion_quality(g1, walk_g1)
    stance = quality["stance_feet"]
    assert stance["samples"] > 100
    assert stance["fraction_within_1cm"] > 0.9
    # GMR on this clip: 172 velocity sign flips above 0.5 rad/s, ankles up to 15.4 rad/s.
    assert quality["jitter_sign_flips"] < 172
    assert quality["max_ankle_speed_rad_s"] < 15.4


def test_walk_travels_like_the_human_scaled(walk_g1, walk):
    human = walk.positions_m[:, 0, :2]
    robot = walk_g1.qpos[:, :2]
    scale = walk_g1.targets.calibration.scale
    assert 0.6 < scale < 0.95  # G1 legs are shorter than an adult's
    human_dist = np.linalg.norm(human[-1] - human[0])
    robot_dist = np.linalg.norm(robot[-1] - robot[0])
    assert robot_dist == pytest.approx(scale * human_dist, rel=0.05)


def test_wave_right_hand_follows(wave, g1):
    result, report = retarget_and_validate(wave, g1)
    v = report.validation
    assert v["joint_limit_violations"] == 0 and v["velocity_limit_violations"] == 0
    assert v["mean_keypoint_error_m"] < 0.030
    assert v["keypoint_errors_m"]["right_hand"]["mean"] < 0.030
    # The waving hand is the one that moves: its target path is much longer than the left's.
    t = result.target_positions()
    path = {k: np.linalg.norm(np.diff(t[k], axis=0), axis=1).sum() for k in t}
    assert path["right_hand"] > 3 * path["left_hand"]


def test_targets_use_robot_segment_lengths(walk_g1, g1):
    rest = RobotRest.of(g1)
    pos = walk_g1.target_positions()
    for side in ("left", "right"):
        thigh = np.linalg.norm(pos[f"{side}_knee"] - pos[f"{side}_hip"], axis=1)
        forearm = np.linalg.norm(pos[f"{side}_hand"] - pos[f"{side}_elbow"], axis=1)
        np.testing.assert_allclose(thigh, rest.lengths[f"{side}_knee"], atol=1e-9)
        np.testing.assert_allclose(forearm, rest.lengths[f"{side}_hand"], atol=1e-9)
        # Rigid pelvis -> hip offset: the robot's own.
        hip = np.linalg.norm(pos[f"{side}_hip"] - pos["pelvis"], axis=1)
        np.testing.assert_allclose(
            hip, np.linalg.norm(rest.positions[f"{side}_hip"] - rest.positions["pelvis"]), 1e-9
        )


def test_stance_ankle_height_is_found_from_the_feet(walk_g1):
    # Bandai's ankle joint is ~12 cm above the floor when standing (docs/DATA.md).
    assert 0.09 < walk_g1.targets.calibration.stance_ankle_height_m < 0.14


def test_streaming_chunks_equal_batch(walk, g1, walk_g1):
    calib = walk_g1.targets.calibration
    streamer = Retargeter(g1, calibration=calib)
    chunks = [
        streamer.process(walk.frames(s, min(s + 7, walk.num_frames)))
        for s in range(0, walk.num_frames, 7)
    ]
    np.testing.assert_allclose(np.concatenate(chunks), walk_g1.qpos, atol=1e-12)
    assert streamer.frames_done == walk.num_frames
    chunked = retarget(walk, g1, chunk_frames=16)
    np.testing.assert_allclose(chunked.qpos, walk_g1.qpos, atol=1e-12)


def test_result_does_not_depend_on_the_start_frame(walk, g1, walk_g1):
    start = 45
    late = retarget(walk.frames(start, walk.num_frames), g1)
    a = walk_g1.qpos[start + 30 :]
    b = late.qpos[30:]
    joints = g1.joint_q_indices
    assert np.abs(a[:, joints] - b[:, joints]).max() < 0.02  # rad
    assert np.abs(a[:, :3] - b[:, :3]).max() < 0.01  # m (per-clip constants differ slightly)


@pytest.mark.parametrize("clip", ["humanoid3d_walk", "humanoid3d_run", "humanoid3d_punch"])
def test_deepmimic_clips_on_g1(clip, g1):
    motion = load_motion(motions_dir() / f"{clip}.txt")
    result, report = retarget_and_validate(motion, g1)
    v = report.validation
    assert result.rig == "deepmimic"
    assert v["joint_limit_violations"] == 0 and v["velocity_limit_violations"] == 0
    assert v["mean_keypoint_error_m"] < 0.030
    assert v["max_foot_penetration_m"] < 0.005


@pytest.mark.parametrize("name", ["h1", "t1"])
def test_other_robots(name, walk):
    robot = load_robot(name)
    result, report = retarget_and_validate(walk, robot)
    v = report.validation
    assert v["joint_limit_violations"] == 0 and v["velocity_limit_violations"] == 0
    assert v["mean_keypoint_error_m"] < 0.05
    assert v["max_foot_penetration_m"] < 0.005
    assert report.quality["stance_feet"]["fraction_within_1cm"] > 0.8


def test_urdf_string_robot_with_yaml_config(walk, walk_g1):
    urdf = resolve_model_path(G1_URDF_SOURCE).read_text()
    config_path = robot_config_path("g1")
    robot = load_robot_from_urdf_string(urdf, config_path)
    result = retarget(
        walk.frames(0, 60),
        robot,
        load_retarget_config(config_path),
        calibration=walk_g1.targets.calibration,
    )
    # Same kinematics as the MJCF G1 (0.0005 mm), so nearly the same motion.
    assert np.abs(result.qpos - walk_g1.qpos[:60]).max() < 1e-3


def test_ik_converges_on_reachable_targets(g1):
    rng = np.random.default_rng(3)
    q_true = g1.neutral()
    idx = g1.joint_q_indices
    q_true[idx] = np.clip(rng.normal(0, 0.3, len(idx)), g1.lower, g1.upper)
    placements = g1.frame_placements(q_true)
    oriented = ("pelvis", "torso", "left_foot", "right_foot")
    ik = KeypointIk(
        g1,
        TARGET_KEYPOINTS,
        oriented,
        [1.0] * len(TARGET_KEYPOINTS),
        [1.0] * len(oriented),
        IkConfig(posture_weight=1e-6, damping=1e-6),
    )
    tp = np.array([placements[k][0] for k in TARGET_KEYPOINTS])
    tr = np.array([placements[k][1] for k in oriented])
    q = ik.solve(g1.neutral(), tp, tr, iterations=100)
    assert ik.keypoint_errors(q, tp).max() < 1e-3


def test_ik_keeps_joint_limits_on_unreachable_targets(g1):
    ik = KeypointIk(g1, TARGET_KEYPOINTS, (), [1.0] * len(TARGET_KEYPOINTS), [])
    q0 = g1.neutral()
    placements = g1.frame_placements(q0)
    tp = np.array([placements[k][0] for k in TARGET_KEYPOINTS])
    tp[TARGET_KEYPOINTS.index("right_hand")] += [0.0, -2.0, 3.0]  # far out of reach
    q = ik.solve(q0, tp, np.zeros((0, 3, 3)), iterations=50)
    angles = g1.joint_positions(q)
    assert np.all(angles >= g1.lower - 1e-12) and np.all(angles <= g1.upper + 1e-12)


def test_save_npz_has_robot_keys(tmp_path: Path, walk, g1):
    short = walk.frames(0, 20)
    result = retarget(short, g1)
    path = save_retarget_npz(tmp_path / "walk_g1.npz", short, result)
    with np.load(path) as data:
        assert data["robot_qpos"].shape == (20, g1.nq)
        assert list(data["robot_joint_names"]) == g1.joint_names
        assert float(data["fps"]) == short.fps
        assert str(data["robot_name"]) == "g1"


# -- bad input -------------------------------------------------------------------------------


def test_nan_positions_are_rejected_with_frame_and_joint(walk, g1):
    bad = walk.frames(0, 30)
    bad.positions_m = bad.positions_m.copy()
    bad.positions_m[12, bad.joint_names.index("Hand_R")] = np.nan
    with pytest.raises(RetargetError, match=r"Hand_R.*frame 12"):
        retarget(bad, g1)
    bad.positions_m[12, bad.joint_names.index("Hand_R")] = np.inf
    with pytest.raises(RetargetError, match="NaN/inf"):
        retarget(bad, g1)
    assert np.isfinite(walk.positions_m).all()  # the caller's motion is untouched


def test_missing_keypoint_joint_is_named(walk, g1):
    short = walk.frames(0, 10)
    keep = [i for i, n in enumerate(short.joint_names) if n != "LowerArm_L"]
    cut = replace(
        short,
        positions_m=short.positions_m[:, keep],
        joint_names=[short.joint_names[i] for i in keep],
        parents=np.arange(len(keep)) - 1,
        rotations=None,
    )
    with pytest.raises(RetargetError, match=r"left_elbow=LowerArm_L") as err:
        retarget(cut, g1)
    assert "deepmimic" in str(err.value)  # it names every mapping it tried


def test_unknown_rig_and_robot(walk, g1):
    with pytest.raises(RetargetError, match="bandai, deepmimic"):
        retarget(walk.frames(0, 5), g1, rig="smplx")
    with pytest.raises(RobotModelError, match="g1"):
        load_robot("atlas")


def test_bad_retarget_yaml_keys():
    base = {"human_joints": {"x": {"pelvis": "Hips"}}}
    with pytest.raises(RetargetError, match="valid:"):
        retarget_config_from_dict({**base, "weights": {}})
    with pytest.raises(RetargetError, match="unknown keypoints"):
        retarget_config_from_dict({"position_weights": {"tail": 1.0}})
    with pytest.raises(RetargetError, match=">= 0"):
        retarget_config_from_dict({"position_weights": {"pelvis": -1}})
    with pytest.raises(RetargetError, match="ik: unknown keys"):
        retarget_config_from_dict({"ik": {"steps": 3}})


def test_retarget_config_comes_with_the_spec(tmp_path: Path):
    """A custom robot YAML (not registered): its retarget section is read with its spec, so
    retarget_config_for needs neither the registry nor a second read of the file."""
    path = tmp_path / "mybot.yaml"
    path.write_text(robot_config_path("g1").read_text().replace("name: g1", "name: mybot", 1))
    robot = load_robot(path)
    assert robot.name == "mybot"
    path.unlink()
    assert (
        retarget_config_for(robot) == retarget_config_for(robot.spec) == retarget_config_for("g1")
    )
    with pytest.raises(RobotModelError, match="unknown robot 'mybot'; known: g1, h1, t1"):
        retarget_config_for("mybot")


def test_yaml_configs_of_all_robots_load():
    for name in ("g1", "h1", "t1"):
        config = retarget_config_for(name)
        assert {"bandai", "deepmimic"} <= set(config.human_joints)


def test_validator_flags_what_the_retargeter_avoids(walk_g1, g1):
    """The guarantees come from the retargeter, not from a lenient validator: the raw
    (unfiltered, unclamped) joint path of a sped-up clip breaks velocity limits."""
    fast = walk_g1.qpos.copy()
    report = validate(g1, fast, walk_g1.fps * 8, None, ValidatorConfig(self_collision=False))
    assert report.velocity_limit_violations > 0
