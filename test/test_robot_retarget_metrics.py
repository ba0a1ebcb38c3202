"""molingo_ros.robot.retarget_metrics: the common metrics pinned to hand-made cases on the real
G1 (its neutral pose, human tracks built from the robot's own links), and on a real Bandai
clip retargeted by this project."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

from molingo_ros.robot.human_keypoints import human_keypoints
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.retarget import retarget
from molingo_ros.robot.retarget_config import retarget_config_for
from molingo_ros.robot.retarget_metrics import (
    HUMAN_TRACKS,
    CommonMetricsConfig,
    arm_scale,
    common_metrics,
    human_contacts,
)

T = 10
FPS = 30.0


@pytest.fixture(scope="module")
def g1():
    return load_robot("g1")


def _link(robot, q, name):
    data = robot.model.createData()
    pin.framesForwardKinematics(robot.model, data, q)
    return data.oMf[robot.model.getFrameId(name)].copy()


def _human(robot, q, stretch_m=0.0):
    """Human tracks twice the robot's arm at ``q`` (k = 0.5), the left forearm ``stretch_m``
    longer and the right one as much shorter (so k stays 0.5); feet: left stands for 5
    frames then lifts fast, right slides at 0.2 m/s (slow enough to count as contact)."""
    h = {}
    for side in ("left", "right"):
        sign = 1.0 if side == "left" else -1.0
        s = 2 * _link(robot, q, f"{side}_shoulder_roll_link").translation
        e = 2 * _link(robot, q, f"{side}_elbow_link").translation
        w = 2 * _link(robot, q, f"{side}_wrist_yaw_link").translation
        w = w + sign * stretch_m * (w - e) / np.linalg.norm(w - e)
        for key, p in (("shoulder", s), ("elbow", e), ("hand", w)):
            h[f"{side}_{key}"] = np.tile(p, (T, 1))
    left = np.tile([0.0, 0.1, 0.05], (T, 1))
    left[5:, 2] += 0.1 * np.arange(1, T - 4)
    right = np.tile([0.0, -0.1, 0.05], (T, 1))
    right[:, 0] = 0.2 / FPS * np.arange(T)
    h["left_foot"], h["right_foot"] = left, right
    return h


def test_human_contacts_low_and_slow(g1):
    h = _human(g1, g1.neutral())
    assert human_contacts(h["left_foot"], FPS).tolist() == [True] * 5 + [False] * 5
    assert human_contacts(h["right_foot"], FPS).all()
    fast = h["right_foot"] * [2.0, 1.0, 1.0]  # 0.4 m/s: too fast for contact
    assert not human_contacts(fast, FPS).any()


def test_wrist_on_its_target_and_stance_sole_height(g1):
    q = g1.neutral()
    q[2] += 0.004  # root 4 mm up: both soles lifted
    h = _human(g1, q)
    assert set(HUMAN_TRACKS) <= set(h)
    assert arm_scale(g1, h) == pytest.approx(0.5, abs=1e-12)
    m = common_metrics(g1, np.tile(q, (T, 1)), FPS, h)
    assert m.wrist_error_mm == pytest.approx({"left": 0.0, "right": 0.0}, abs=1e-6)
    # The hand centre is 0.107 m along the wrist's x from the (exactly met) target.
    assert m.hand_error_mm == pytest.approx({"left": 107.0, "right": 107.0}, abs=1e-6)
    ankle_z = [_link(g1, q, f"{s}_ankle_roll_link").translation[2] for s in ("left", "right")]
    expected = 1000 * (np.array([ankle_z[0]] * 5 + [ankle_z[1]] * T) - 0.035)
    assert m.stance_samples == 15
    assert m.stance_mean_mm == pytest.approx(expected.mean(), abs=1e-9)
    assert m.stance_max_abs_mm == pytest.approx(np.abs(expected).max(), abs=1e-9)
    assert m.stance_mean_mm == pytest.approx(1.0 + 4.0, abs=0.2)  # 36 mm ankle - 35 + 4
    assert (m.sign_flips, m.limit_violations, m.max_joint_speed_rad_s) == (0, 0, 0.0)


def test_wrist_error_is_k_times_the_human_hand_offset(g1):
    q = g1.neutral()
    h = _human(g1, q, stretch_m=0.04)
    assert arm_scale(g1, h) == pytest.approx(0.5, abs=1e-12)
    m = common_metrics(g1, np.tile(q, (T, 1)), FPS, h)
    assert m.wrist_error_mm == pytest.approx({"left": 20.0, "right": 20.0}, abs=1e-6)


def test_joint_speed_sign_flips_and_limits(g1):
    qs = np.tile(g1.neutral(), (T, 1))
    names = g1.joint_names
    col = {n: int(g1.joint_q_indices[names.index(n)]) for n in names}
    qs[:, col["left_knee_joint"]] = 0.3 + 0.1 * np.arange(T)  # 3 rad/s
    qs[:, col["left_ankle_roll_joint"]] = 0.02 * (-1.0) ** np.arange(T)  # +-1.2 rad/s
    qs[:, col["right_elbow_joint"]] = g1.upper[names.index("right_elbow_joint")] + 0.01
    m = common_metrics(g1, qs, FPS, _human(g1, g1.neutral()))
    assert m.max_joint_speed_rad_s == pytest.approx(3.0)
    assert m.max_speed_joint == "left_knee_joint"
    assert m.sign_flips == T - 2
    assert m.limit_violations == T
    stricter = CommonMetricsConfig(flip_threshold_rad_s=1.5)
    assert common_metrics(g1, qs, FPS, _human(g1, g1.neutral()), stricter).sign_flips == 0


def test_bandai_walk_retargeted_here(g1, bandai_clip):
    from molingo_ros.motion.convert import load_motion

    motion = load_motion(bandai_clip("dataset-2_walk_normal_001"))
    config = retarget_config_for(g1)
    h = human_keypoints(motion, config.human_mapping(motion)[1])
    result = retarget(motion, g1, config)
    m = common_metrics(g1, result.qpos, result.fps, h)
    assert 0.75 < m.arm_scale < 0.85  # the G1 arm vs a Bandai actor's
    assert m.stance_samples > 100 and abs(m.stance_mean_mm) < 10.0
    assert max(m.wrist_error_mm.values()) < 13.0  # GMR: 13.2 / 11.5 mm on this clip
    assert m.limit_violations == 0
