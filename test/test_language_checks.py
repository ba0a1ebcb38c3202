"""Kinematic checks of commanded motions, calibrated on real mocap (Bandai Namco, DeepMimic)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np
import pytest

from molingo_ros.language.checks import CHECKS, CheckResult, measure, run_check
from molingo_ros.motion.motion import Motion
from molingo_ros.motion.sources import resolve_motion

WALK = "dataset-2_walk_normal_001"
WALK_BACK = "dataset-1_walk-back_normal_001"
WAVE_R = "dataset-2_wave-right-hand_normal_001"
WAVE_L = "dataset-2_wave-left-hand_normal_001"
BOW = "dataset-1_bow_normal_001"


@cache
def clip(name: str) -> Motion:
    """A real clip (Bandai name, ``_mirror`` suffix, or DeepMimic ``humanoid3d_*`` name)."""
    return resolve_motion(name)


# (check, a real clip of its content that passes, a real clip of another content that fails)
PAIRS = [
    ("walk_forward", WALK, WALK_BACK),
    ("walk_forward", "dataset-1_walk_normal_001", BOW),
    ("walk_backward", WALK_BACK, WALK),
    ("walk_diagonal_left", "dataset-1_walk-left_normal_001", "dataset-1_walk-right_normal_001"),
    ("walk_diagonal_right", "dataset-1_walk-right_normal_001", "dataset-1_walk-left_normal_001"),
    ("walk_diagonal_left", "dataset-1_walk-left_normal_001", WALK_BACK),
    ("turn_left", "dataset-2_walk-turn-left_normal_001", "dataset-2_walk-turn-right_normal_001"),
    ("turn_right", "dataset-2_walk-turn-right_normal_001", "dataset-2_walk-turn-left_normal_001"),
    ("turn_left", "dataset-2_walk-turn-left_normal_002", WALK),
    ("run", "dataset-2_run_normal_001", WALK),
    ("run", "dataset-1_dash_normal_001", "dataset-1_walk_normal_001"),
    ("wave_right", WAVE_R, WAVE_L),
    ("wave_right", "dataset-1_bye_active_001", WALK),
    ("wave_left", WAVE_L, WAVE_R),
    ("wave_both", "dataset-2_wave-both-hands_normal_001", WAVE_R),
    ("wave_both", "dataset-1_byebye_active_001", WAVE_L),
    ("wave_any", WAVE_L, WALK),
    ("wave_any", "dataset-1_bye_active_001", BOW),
    (
        "raise_right",
        "dataset-2_raise-up-right-hand_normal_001",
        "dataset-2_raise-up-left-hand_normal_001",
    ),
    (
        "raise_left",
        "dataset-2_raise-up-left-hand_normal_001",
        "dataset-2_raise-up-right-hand_normal_001",
    ),
    (
        "raise_both",
        "dataset-2_raise-up-both-hands_normal_001",
        "dataset-2_raise-up-right-hand_normal_001",
    ),
    ("bow", BOW, WALK),
    ("bow", BOW, WAVE_R),
    ("kick", "dataset-1_kick_normal_001", WALK),
    ("kick", "humanoid3d_kick", "humanoid3d_walk"),
    ("jump", "humanoid3d_jump", WALK),
    ("jump", "humanoid3d_jump", "humanoid3d_walk"),
    ("gesture", "dataset-1_guide_normal_001", WALK),
    ("gesture", "dataset-1_call_normal_001", BOW),
    ("dance", "dataset-1_dance-short_normal_001", BOW),
    ("dance", "humanoid3d_dance_a", BOW),
]


def test_every_check_has_a_real_pair():
    assert {check for check, _, _ in PAIRS} == set(CHECKS)


@pytest.mark.parametrize(("check", "good", "bad"), PAIRS)
def test_a_real_clip_of_the_content_passes_and_another_content_fails(check, good, bad):
    passed = run_check(check, clip(good))
    assert passed.passed, f"{good}: {passed.reason} {passed.measured}"
    assert passed.reason == ""
    failed = run_check(check, clip(bad))
    assert not failed.passed, f"{bad} passed {check}: {failed.measured}"
    assert failed.reason


# The check each dataset-2 content should pass; its normal-style takes 001-003 all do.
OWN = {
    "walk": "walk_forward",
    "walk-turn-left": "turn_left",
    "walk-turn-right": "turn_right",
    "run": "run",
    "wave-right-hand": "wave_right",
    "wave-left-hand": "wave_left",
    "wave-both-hands": "wave_both",
    "raise-up-right-hand": "raise_right",
    "raise-up-left-hand": "raise_left",
    "raise-up-both-hands": "raise_both",
}


@pytest.mark.parametrize("content", sorted(OWN))
def test_normal_takes_pass_their_own_check(content):
    for take in (1, 2, 3):
        name = f"dataset-2_{content}_normal_{take:03d}"
        result = run_check(OWN[content], clip(name))
        assert result.passed, f"{name}: {result.reason}"


def test_mirrored_waves_swap_hands():
    mirrored = clip(WAVE_R + "_mirror")
    assert run_check("wave_left", mirrored).passed
    assert not run_check("wave_right", mirrored).passed


def test_forward_is_the_body_facing_on_a_real_walk():
    values = measure(clip(WALK))
    assert values["forward_m"] > 8.0  # the take walks ~10 m straight ahead
    assert abs(values["left_m"]) < 0.1 * values["forward_m"]
    assert abs(values["heading_change_deg"]) < 20.0
    assert 0.8 < values["speed_m_s"] < 1.4
    assert values["both_feet_air_s"] == 0.0  # walking always has a foot on the floor


def test_real_waves_raise_the_named_hand_and_stand_still():
    right, left = measure(clip(WAVE_R)), measure(clip(WAVE_L))
    assert right["hand_above_shoulder_r_s"] > 3.0 and right["hand_above_shoulder_l_s"] == 0.0
    assert left["hand_above_shoulder_l_s"] > 3.0 and left["hand_above_shoulder_r_s"] == 0.0
    assert right["speed_m_s"] < 0.06 and left["speed_m_s"] < 0.06


def _turned_about_z(motion: Motion, degrees: float, shift_m: tuple[float, float]) -> Motion:
    angle = np.radians(degrees)
    rot = np.array(
        [[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0, 0, 1]]
    )
    positions = motion.positions_m @ rot.T + np.array([shift_m[0], shift_m[1], 0.0])
    return replace(motion, positions_m=positions, rotations=None)


@pytest.mark.parametrize(
    "name", [WALK, "dataset-1_walk-left_normal_001", "dataset-2_walk-turn-right_normal_001"]
)
def test_results_do_not_depend_on_the_initial_facing(name):
    motion = clip(name)
    turned = _turned_about_z(motion, 90.0, (3.0, -2.0))
    original, moved = measure(motion), measure(turned)
    for key, value in original.items():
        assert moved[key] == pytest.approx(value, abs=1e-6), key
    for check in CHECKS:
        before, after = run_check(check, motion), run_check(check, turned)
        assert after.passed == before.passed, check
        assert after.measured == pytest.approx(before.measured, abs=2e-3), check


def test_a_span_measures_only_its_frames():
    motion = clip("dataset-2_walk-turn-right_normal_004")
    # The take turns right ~100 deg, then turns round to the left near its end.
    assert not run_check("turn_right", motion).passed
    span = run_check("turn_right", motion, 0, 150)
    assert span.passed, span.reason
    assert measure(motion, 40, 120) == pytest.approx(measure(motion.frames(40, 120)))
    assert measure(motion, 40, None) == pytest.approx(measure(motion.frames(40, motion.num_frames)))


def test_hand_time_of_a_wave_adds_up_over_spans():
    motion = clip(WAVE_R)
    hand = motion.positions_m[:, motion.joint_index("Hand_R"), 2]
    shoulder = motion.positions_m[:, motion.joint_index("UpperArm_R"), 2]
    first_up = int(np.argmax(hand - shoulder >= 0.05))
    before = run_check("wave_right", motion, 0, first_up)
    assert not before.passed and before.measured["hand_above_shoulder_r_s"] == 0.0
    assert run_check("wave_right", motion, first_up).passed
    key = "hand_above_shoulder_r_s"
    parts = measure(motion, 0, 90)[key] + measure(motion, 90)[key]
    assert parts == pytest.approx(measure(motion)[key])


def test_result_reports_the_numbers_it_used():
    result = run_check("walk_forward", clip(WALK_BACK))
    assert isinstance(result, CheckResult) and result.check == "walk_forward"
    assert set(result.measured) == {"forward_m", "speed_m_s"}
    assert all(value == round(value, 3) for value in result.measured.values())
    assert result.reason.startswith("moved forward -") and "needs >= 0.8 m" in result.reason
    wave = run_check("wave_right", clip(WAVE_R))
    assert set(wave.measured) == {"hand_above_shoulder_r_s", "hand_above_shoulder_l_s", "speed_m_s"}


def test_deepmimic_rig_is_measured_too():
    values = measure(clip("humanoid3d_walk"))
    assert values["forward_m"] > 1.0 and values["both_feet_air_s"] == 0.0
    assert measure(clip("humanoid3d_jump"))["both_feet_air_s"] >= 0.3


def test_unknown_check_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown check 'moonwalk'") as error:
        run_check("moonwalk", clip(WALK))
    for name in CHECKS:
        assert name in str(error.value)


def test_a_span_needs_two_frames():
    with pytest.raises(ValueError, match="at least 2"):
        measure(clip(WALK), 5, 6)


def test_unknown_rig_is_refused():
    motion = clip(WALK)
    renamed = replace(motion, joint_names=[f"j{i}" for i in range(motion.num_joints)])
    with pytest.raises(KeyError, match="no known rig"):
        measure(renamed)
