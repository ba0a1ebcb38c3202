"""Exports for motion-tracking trainers (molingo_ros.robot.export) on a real Bandai walk
retargeted onto the G1 and a DeepMimic run on the T1: the LAFAN1-style CSV and the tracking
npz match their documented layouts and read back to the same motion."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest
from scipy.spatial.transform import Rotation

from molingo_ros.motion.sources import resolve_motion
from molingo_ros.robot.export import (
    FORMATS,
    RobotMotion,
    export_motion,
    read_lafan_csv,
    read_tracking_npz,
    resample,
    tracking_arrays,
)
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.retarget import retarget, save_retarget_npz


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


@pytest.fixture(scope="module")
def walk(g1, tmp_path_factory):
    """(the retarget .npz of a real walk on the G1, its RobotMotion)."""
    motion = resolve_motion("dataset-2_walk_normal_001")
    result = retarget(motion, g1)
    path = save_retarget_npz(tmp_path_factory.mktemp("export") / "walk.npz", motion, result)
    return path, RobotMotion.from_npz(path)


def test_the_retarget_file_is_read_as_a_robot_motion(walk):
    _, motion = walk
    assert motion.robot == "g1" and motion.fps == 30.0 and motion.qpos.shape[1] == 36
    assert len(motion.qpos) > 200


def test_lafan_csv_layout_and_round_trip(g1, walk, tmp_path):
    _, motion = walk
    path = export_motion(g1, motion, tmp_path / "walk.csv", "lafan-csv")
    lines = path.read_text().splitlines()
    assert len(lines) == len(motion.qpos)  # no header, one row per frame
    row = np.array(lines[10].split(","), dtype=float)
    q = motion.qpos[10]
    assert len(row) == 7 + 29
    np.testing.assert_allclose(row[:3], q[:3], atol=1e-6)  # root position, m
    np.testing.assert_allclose(row[3:7], q[3:7], atol=1e-6)  # root quaternion x y z w
    np.testing.assert_allclose(row[7:], q[g1.joint_q_indices], atol=1e-6)  # joint order
    back = read_lafan_csv(g1, path)
    assert back.robot == "g1" and back.fps == 30.0
    np.testing.assert_allclose(back.qpos, motion.qpos, atol=1e-6)


def test_tracking_npz_layout_at_50_hz(g1, walk, tmp_path):
    _, motion = walk
    path = export_motion(g1, motion, tmp_path / "walk_50hz.npz", "tracking-npz", fps=50.0)
    z = read_tracking_npz(path)
    duration = (len(motion.qpos) - 1) / 30.0
    frames = int(np.floor(duration * 50 + 1e-9)) + 1
    assert int(z["fps"][0]) == 50 and z["joint_pos"].shape == (frames, 29)
    assert list(z["joint_names"]) == g1.joint_names and z["body_names"][0] == "pelvis"
    nb = len(z["body_names"])
    assert z["body_pos_w"].shape == z["body_lin_vel_w"].shape == (frames, nb, 3)
    assert z["body_quat_w"].shape == (frames, nb, 4) and z["joint_pos"].dtype == np.float32
    # Where the two rates meet (every 0.1 s), the original frames themselves.
    for new, old in ((0, 0), (5, 3), (50, 30), (100, 60)):
        q = motion.qpos[old]
        np.testing.assert_allclose(z["joint_pos"][new], q[g1.joint_q_indices], atol=1e-6)
        np.testing.assert_allclose(z["body_pos_w"][new, 0], q[:3], atol=1e-6)
        w, x, y, zq = z["body_quat_w"][new, 0]  # w x y z
        assert abs(np.dot([x, y, zq, w], q[3:7])) == pytest.approx(1.0, abs=1e-6)
        g1.forward_kinematics(q)
        foot = g1.model.getFrameId("left_ankle_roll_link")
        k = list(z["body_names"]).index("left_ankle_roll_link")
        np.testing.assert_allclose(
            z["body_pos_w"][new, k], g1.data.oMf[foot].translation, atol=1e-5
        )
    # Velocities: central differences of the positions.
    dt = 1 / 50
    finite = (z["joint_pos"][12] - z["joint_pos"][10]) / (2 * dt)
    np.testing.assert_allclose(z["joint_vel"][11], finite, atol=1e-3)
    lin = (z["body_pos_w"][12, 0] - z["body_pos_w"][10, 0]) / (2 * dt)
    np.testing.assert_allclose(z["body_lin_vel_w"][11, 0], lin, atol=1e-3)
    assert 0.5 < np.linalg.norm(z["body_lin_vel_w"][:, 0, :2], axis=1).mean() < 2.0  # walking


def test_resampling_keeps_the_motion_and_slerps_the_root(g1, walk):
    _, motion = walk
    same = resample(motion.qpos, 30.0, 30.0)
    np.testing.assert_allclose(same, motion.qpos, atol=1e-9)
    half = resample(motion.qpos[:3], 30.0, 60.0)[1]  # halfway between frames 0 and 1
    np.testing.assert_allclose(half[7:], motion.qpos[:2, 7:].mean(0), atol=1e-9)
    a, b = Rotation.from_quat(motion.qpos[:2, 3:7])
    mid = Rotation.from_quat(half[3:7])
    assert (a.inv() * mid).magnitude() == pytest.approx((a.inv() * b).magnitude() / 2, abs=1e-9)


def test_a_deepmimic_run_on_the_t1(tmp_path):
    t1 = load_robot("t1")
    result = retarget(resolve_motion("humanoid3d_run"), t1)
    motion = RobotMotion("t1", result.qpos, result.fps)
    back = read_lafan_csv(
        t1, export_motion(t1, motion, tmp_path / "run.csv", "lafan-csv"), fps=result.fps
    )
    np.testing.assert_allclose(back.qpos, motion.qpos, atol=1e-6)
    arrays = tracking_arrays(t1, motion, 50.0)
    assert arrays["joint_pos"].shape[1] == t1.num_joints
    v = arrays["joint_vel"]
    assert np.isfinite(v).all() and np.abs(v).max() < 50  # rad/s


def test_bad_inputs_are_refused_with_the_valid_choices(g1, walk, tmp_path):
    path, motion = walk
    with pytest.raises(ValueError, match="valid: lafan-csv, tracking-npz"):
        export_motion(g1, motion, tmp_path / "x", "bvh")
    with pytest.raises(ValueError, match="the motion is for g1, not h1"):
        export_motion(load_robot("h1"), motion, tmp_path / "x.csv", "lafan-csv")
    bad_csv = tmp_path / "short.csv"
    bad_csv.write_text("0,0,0.8,0,0,0,1,0.1\n0,0,0.8,0,0,0,1,0.2\n")
    with pytest.raises(ValueError, match="g1 needs 36"):
        read_lafan_csv(g1, bad_csv)
    np.savez(tmp_path / "other.npz", fps=np.array([50]))
    with pytest.raises(ValueError, match="not a tracking-npz file: no joint_pos"):
        read_tracking_npz(tmp_path / "other.npz")
    with np.load(path) as z:
        np.savez(tmp_path / "human.npz", **{k: z[k] for k in z.files if not k.startswith("robot")})
    with pytest.raises(ValueError, match="no robot motion"):
        RobotMotion.from_npz(tmp_path / "human.npz")
    assert FORMATS == ("lafan-csv", "tracking-npz")
    assert pin.neutral(g1.model).shape == (36,)
