"""Retargeting real mocap (Bandai Namco BVH, DeepMimic) onto real robot models (G1, H1, T1)
with pinocchio; every result is checked by the validator. The pipeline's parts have their own
test files (targets, human_keypoints, human_calibration, ik, avoid, one_euro_filter,
retarget_postprocess, retarget_config)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.deepmimic import motions_dir
from molingo_ros.robot.avoid import AvoidConfig
from molingo_ros.robot.models import (
    G1_URDF_SOURCE,
    RobotModelError,
    load_robot,
    load_robot_from_urdf_string,
    resolve_model_path,
    robot_config_path,
)
from molingo_ros.robot.one_euro_filter import FilterConfig
from molingo_ros.robot.report import motion_quality, retarget_and_validate
from molingo_ros.robot.retarget import Retargeter, retarget, save_retarget_npz
from molingo_ros.robot.retarget_config import (
    RetargetError,
    load_retarget_config,
    retarget_config_for,
)
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
    # GMR on this clip, by the common metrics (BENCHMARKS.md): 163 velocity sign flips above
    # 0.5 rad/s, left ankle pitch up to 15.2 rad/s.
    assert quality["jitter_sign_flips"] < 163
    assert quality["max_ankle_speed_rad_s"] < 15.2


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


def test_validator_flags_what_the_retargeter_avoids(walk_g1, g1):
    """The guarantees come from the retargeter, not from a lenient validator: the raw
    (unfiltered, unclamped) joint path of a sped-up clip breaks velocity limits."""
    fast = walk_g1.qpos.copy()
    report = validate(g1, fast, walk_g1.fps * 8, None, ValidatorConfig(self_collision=False))
    assert report.velocity_limit_violations > 0


def test_collision_repair_keeps_the_arms_out_of_the_torso(bandai_clip, g1):
    """A sword slash: without the repair the G1's arms cut through its torso; with it the
    retargeter pushes the links apart in every frame it finds them colliding."""
    slash = load_motion(bandai_clip("dataset-1_slash_normal_001")).frames(0, 90)
    config = retarget_config_for(g1)
    raw = retarget(slash, g1, replace(config, avoid=AvoidConfig(enabled=False)))
    repairing = Retargeter(g1, config)
    repairing.calibrate(slash)
    repaired = repairing.process(slash)
    before = validate(g1, raw.qpos, raw.fps)
    after = validate(g1, repaired, slash.fps)
    assert before.self_collision_frames > 30
    assert after.self_collision_frames == 0
    assert repairing.repaired_frames >= before.self_collision_frames // 2
    assert after.velocity_limit_violations == 0 and after.joint_limit_violations == 0


def test_reset_starts_a_new_stream(walk, g1, walk_g1):
    streamer = Retargeter(g1, calibration=walk_g1.targets.calibration)
    first = streamer.process(walk.frames(0, 20))
    streamer.reset()
    assert streamer.frames_done == 0 and streamer.last_targets is None
    again = streamer.process(walk.frames(0, 20))
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(first, walk_g1.qpos[:20], atol=1e-12)


def test_bad_stream_input(walk, g1):
    streamer = Retargeter(g1)
    with pytest.raises(RetargetError, match="empty motion chunk"):
        streamer.process(walk.frames(0, 0))
    streamer.process(walk.frames(0, 5))
    faster = replace(walk.frames(5, 10), fps=walk.fps * 2)
    with pytest.raises(RetargetError, match="differs from the stream's"):
        streamer.process(faster)
    config = replace(retarget_config_for(g1), filter=FilterConfig(joints=("tail",)))
    with pytest.raises(RetargetError, match=r"filter.joints \['tail'\] match no joint"):
        Retargeter(g1, config)
