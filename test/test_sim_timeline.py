"""The trajectory timeline (molingo_ros.sim.timeline): what ros2_control's
joint_trajectory_controller does with the trajectory messages it receives, and the checks on
them, with the real Unitree G1's joint names and limits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from molingo_ros.robot.models import Robot, load_robot
from molingo_ros.sim.timeline import TrajectoryTimeline


@pytest.fixture(scope="module")
def g1() -> Robot:
    return load_robot("g1")


def _timeline(robot: Robot) -> TrajectoryTimeline:
    return TrajectoryTimeline(robot.joint_names, robot.lower, robot.upper)


def _poses(robot: Robot, amounts: list[float]) -> np.ndarray:
    """One pose per amount (0..1): every joint at that fraction of its range, (N, J) rad."""
    a = np.asarray(amounts, dtype=np.float64)[:, None]
    return robot.lower + a * (robot.upper - robot.lower)


def _send(
    tl: TrajectoryTimeline,
    robot: Robot,
    stamp: float,
    amounts: list[float],
    dt: float = 0.1,
    receive: float | None = None,
) -> bool:
    """A message in the robot's joint order: points every ``dt`` s from ``stamp``."""
    offsets = dt * np.arange(len(amounts))
    receive = stamp if receive is None else receive
    return tl.add(stamp, robot.joint_names, offsets, _poses(robot, amounts), receive)


def test_sample_is_none_before_any_message(g1):
    tl = _timeline(g1)
    assert tl.sample(0.0) is None
    assert tl.report.messages == 0


def test_message_is_planned_at_stamp_plus_offsets(g1):
    tl = _timeline(g1)
    assert _send(tl, g1, 10.0, [0.2, 0.4, 0.6], dt=0.05)
    np.testing.assert_allclose(tl.times, [10.0, 10.05, 10.1])
    np.testing.assert_allclose(tl.positions, _poses(g1, [0.2, 0.4, 0.6]))
    r = tl.report
    assert (r.messages, r.streamed, r.holds, r.points) == (1, 1, 0, 3)
    assert r.name_mismatches == r.reordered == r.out_of_limits == r.backwards == r.starved == 0


def test_sample_interpolates_and_holds_the_ends(g1):
    tl = _timeline(g1)
    _send(tl, g1, 1.0, [0.2, 0.6, 0.4], dt=0.1)
    first, mid, last = _poses(g1, [0.2, 0.6, 0.4])
    np.testing.assert_allclose(tl.sample(1.05), 0.5 * first + 0.5 * mid)
    np.testing.assert_allclose(tl.sample(1.125), 0.75 * mid + 0.25 * last)
    np.testing.assert_allclose(tl.sample(1.1), mid)
    np.testing.assert_allclose(tl.sample(0.0), first)  # before the plan: the first frame
    np.testing.assert_allclose(tl.sample(1.0), first)
    np.testing.assert_allclose(tl.sample(1.2), last)
    np.testing.assert_allclose(tl.sample(99.0), last)  # after the plan: the last frame held


def test_sample_returns_a_copy(g1):
    tl = _timeline(g1)
    _send(tl, g1, 0.0, [0.5, 0.5])
    tl.sample(5.0)[:] = 123.0
    np.testing.assert_allclose(tl.sample(5.0), _poses(g1, [0.5])[0])


def test_message_replaces_the_plan_from_its_first_point(g1):
    tl = _timeline(g1)
    _send(tl, g1, 0.0, [0.1, 0.2, 0.3, 0.4, 0.5], dt=0.1)  # due 0.0 .. 0.4
    _send(tl, g1, 0.15, [0.9, 0.8, 0.7], dt=0.1)  # due 0.15, 0.25, 0.35
    np.testing.assert_allclose(tl.times, [0.0, 0.1, 0.15, 0.25, 0.35])
    np.testing.assert_allclose(tl.positions, _poses(g1, [0.1, 0.2, 0.9, 0.8, 0.7]))
    # The old frames due at 0.2 .. 0.4 are gone: nothing from them leaks into sampling.
    np.testing.assert_allclose(tl.sample(0.3), _poses(g1, [0.75])[0])
    np.testing.assert_allclose(tl.sample(1.0), _poses(g1, [0.7])[0])


def test_message_due_at_a_planned_frame_replaces_that_frame(g1):
    tl = _timeline(g1)
    _send(tl, g1, 0.0, [0.1, 0.2, 0.3], dt=0.1)
    _send(tl, g1, 0.1, [0.6, 0.7], dt=0.1)
    np.testing.assert_allclose(tl.times, [0.0, 0.1, 0.2])
    np.testing.assert_allclose(tl.positions, _poses(g1, [0.1, 0.6, 0.7]))


def test_message_before_the_plan_replaces_all_of_it(g1):
    tl = _timeline(g1)
    _send(tl, g1, 1.0, [0.1, 0.2, 0.3])
    _send(tl, g1, 0.5, [0.6, 0.7], receive=1.1)
    np.testing.assert_allclose(tl.times, [0.5, 0.6])
    assert tl.report.backwards == 1


def test_reordered_names_are_mapped_by_name(g1):
    tl = _timeline(g1)
    names = list(reversed(g1.joint_names))
    robot_order = _poses(g1, [0.3, 0.7])
    message = robot_order[:, ::-1]  # columns follow the reversed names
    assert tl.add(0.0, names, [0.0, 0.1], message, 0.0)
    assert tl.report.reordered == 1
    assert tl.report.name_mismatches == 0
    np.testing.assert_allclose(tl.positions, robot_order)
    knee = g1.joint_names.index("left_knee_joint")
    assert tl.sample(0.1)[knee] == pytest.approx(robot_order[1, knee])


def test_swapped_names_put_values_on_the_named_joints(g1):
    tl = _timeline(g1)
    names = list(g1.joint_names)
    hip, knee = names.index("left_hip_pitch_joint"), names.index("left_knee_joint")
    names[hip], names[knee] = names[knee], names[hip]
    values = np.zeros((1, len(names)))
    values[0, hip] = 1.2  # the column named left_knee_joint
    values[0, knee] = -0.4  # the column named left_hip_pitch_joint
    assert tl.add(0.0, names, [0.0], values, 0.0)
    got = tl.sample(0.0)
    assert got[knee] == pytest.approx(1.2)
    assert got[hip] == pytest.approx(-0.4)
    assert tl.report.reordered == 1


def test_limits_are_checked_after_mapping_by_name(g1):
    """-1 rad is inside the hip pitch range but below the knee's lower limit: the message
    column named after the knee must be checked against the knee's limits."""
    names = list(g1.joint_names)
    hip, knee = names.index("left_hip_pitch_joint"), names.index("left_knee_joint")
    assert g1.lower[hip] < -1.0 < g1.upper[hip]
    assert g1.lower[knee] > -1.0
    names[hip], names[knee] = names[knee], names[hip]
    values = _poses(g1, [0.5])
    values[0, hip], values[0, knee] = values[0, knee], values[0, hip]
    values[0, hip] = -1.0  # column named left_knee_joint
    tl = _timeline(g1)
    assert tl.add(0.0, names, [0.0], values, 0.0)
    assert tl.report.out_of_limits == 1


def test_points_outside_limits_are_counted_per_point(g1):
    tl = _timeline(g1)
    pos = _poses(g1, [0.5, 0.5, 0.5, 0.5])
    pos[1, 0] = g1.upper[0] + 0.05
    pos[1, 3] = g1.upper[3] + 0.05  # same point: still one
    pos[3, 5] = g1.lower[5] - 0.05
    assert tl.add(0.0, g1.joint_names, 0.1 * np.arange(4), pos, 0.0)  # used anyway
    assert tl.report.out_of_limits == 2
    _send(tl, g1, 0.4, [0.0, 1.0])  # exactly at the limits: fine
    assert tl.report.out_of_limits == 2


def test_unknown_name_is_refused(g1):
    tl = _timeline(g1)
    names = list(g1.joint_names)
    names[4] = "tail_wag_joint"
    assert not tl.add(0.0, names, [0.0], _poses(g1, [0.5]), 0.0)
    assert tl.report.name_mismatches == 1
    assert "tail_wag_joint" in tl.report.notes[-1]
    assert g1.joint_names[4] in tl.report.notes[-1]  # and the one it replaced is missing
    assert tl.sample(0.0) is None  # nothing planned


def test_missing_name_is_refused(g1):
    tl = _timeline(g1)
    names = g1.joint_names[:-1]
    pos = _poses(g1, [0.5])[:, :-1]
    assert not tl.add(0.0, names, [0.0], pos, 0.0)
    assert tl.report.name_mismatches == 1
    assert g1.joint_names[-1] in tl.report.notes[-1]
    assert tl.sample(0.0) is None


def test_duplicate_name_is_refused(g1):
    tl = _timeline(g1)
    names = [*g1.joint_names, g1.joint_names[2]]
    pos = np.hstack([_poses(g1, [0.5]), [[0.0]]])
    assert not tl.add(0.0, names, [0.0], pos, 0.0)
    assert tl.report.name_mismatches == 1
    assert g1.joint_names[2] in tl.report.notes[-1]
    assert tl.sample(0.0) is None


def test_refused_message_keeps_the_plan(g1):
    tl = _timeline(g1)
    _send(tl, g1, 0.0, [0.2, 0.4])
    assert not tl.add(0.05, ["nope"], [0.0], [[0.0]], 0.05)
    np.testing.assert_allclose(tl.times, [0.0, 0.1])
    assert tl.report.messages == 2
    assert tl.report.points == 2


def test_stamps_going_backwards_are_counted(g1):
    tl = _timeline(g1)
    _send(tl, g1, 1.0, [0.5, 0.5])
    _send(tl, g1, 1.0, [0.5, 0.5])  # same stamp: not backwards
    _send(tl, g1, 1.2, [0.5, 0.5])
    _send(tl, g1, 1.1, [0.5, 0.5], receive=1.2)
    _send(tl, g1, 1.3, [0.5, 0.5])
    assert tl.report.backwards == 1


def test_one_point_message_is_a_hold(g1):
    tl = _timeline(g1)
    _send(tl, g1, 0.0, [0.1, 0.2, 0.3, 0.4])
    assert _send(tl, g1, 0.15, [0.8])
    r = tl.report
    assert (r.holds, r.streamed, r.points) == (1, 1, 5)
    np.testing.assert_allclose(tl.times, [0.0, 0.1, 0.15])
    np.testing.assert_allclose(tl.sample(5.0), _poses(g1, [0.8])[0])


def test_continuation_in_time_is_not_starved(g1):
    tl = _timeline(g1)
    _send(tl, g1, 0.0, [0.5] * 5, dt=0.1)  # plan until 0.4
    _send(tl, g1, 0.2, [0.5] * 5, dt=0.1, receive=0.21)  # arrives before 0.4
    assert tl.report.starved == 0


def test_continuation_after_the_plan_ended_is_starved(g1):
    tl = _timeline(g1)
    _send(tl, g1, 0.0, [0.5] * 5, dt=0.1)  # plan until 0.4
    # The next chunk continues the motion (stamped right after the plan's end) but only
    # arrives at 0.6: the robot stood still for 0.2 s.
    _send(tl, g1, 0.45, [0.5] * 5, dt=0.1, receive=0.6)
    assert tl.report.starved == 1
    # Late but stamped where the old plan was still going: also starved.
    _send(tl, g1, 0.8, [0.5] * 5, dt=0.1, receive=0.9)  # plan was until 0.85
    assert tl.report.starved == 2


def test_new_motion_after_a_long_pause_is_not_starved(g1):
    tl = _timeline(g1)
    _send(tl, g1, 0.0, [0.5] * 5, dt=0.1)  # plan until 0.4, then the robot holds
    _send(tl, g1, 3.0, [0.5] * 5, dt=0.1, receive=3.01)  # a new command, seconds later
    assert tl.report.starved == 0
    assert tl.report.streamed == 2


def test_late_hold_is_not_starved(g1):
    tl = _timeline(g1)
    _send(tl, g1, 0.0, [0.5] * 5, dt=0.1)
    _send(tl, g1, 0.45, [0.5], receive=0.6)
    assert tl.report.starved == 0
    assert tl.report.holds == 1


@pytest.mark.parametrize(
    ("offsets", "positions"),
    [
        ([], np.zeros((0, 29))),  # no points
        ([0.0, 0.1], np.zeros((1, 29))),  # fewer points than offsets
        ([0.0], np.zeros(29)),  # 1-D positions
        ([0.0], np.zeros((1, 28))),  # one position short of the names
        ([0.0], np.zeros((1, 30))),  # one position too many
        ([[0.0], [0.1]], np.zeros((2, 29))),  # 2-D offsets
    ],
)
def test_malformed_messages_are_refused(g1, offsets, positions):
    assert g1.num_joints == 29
    tl = _timeline(g1)
    assert not tl.add(0.0, g1.joint_names, offsets, positions, 0.0)
    r = tl.report
    assert r.messages == 1
    assert r.points == 0
    assert "malformed" in r.notes[-1]
    assert tl.sample(0.0) is None


def test_forget_before_drops_old_frames(g1):
    tl = _timeline(g1)
    _send(tl, g1, 0.0, [0.1, 0.2, 0.3, 0.4], dt=0.1)
    tl.forget_before(0.15)
    np.testing.assert_allclose(tl.times, [0.2, 0.3])
    np.testing.assert_allclose(tl.positions, _poses(g1, [0.3, 0.4]))


def test_forget_before_keeps_at_least_one_frame(g1):
    tl = _timeline(g1)
    tl.forget_before(1.0)  # nothing planned: nothing to keep, no error
    assert tl.sample(1.0) is None
    _send(tl, g1, 0.0, [0.1, 0.2, 0.3], dt=0.1)
    tl.forget_before(100.0)
    np.testing.assert_allclose(tl.times, [0.2])
    np.testing.assert_allclose(tl.sample(200.0), _poses(g1, [0.3])[0])


def test_report_to_dict_is_json(g1):
    tl = _timeline(g1)
    _send(tl, g1, 0.0, [0.2, 0.4], receive=0.5)
    _send(tl, g1, 0.3, [0.4], receive=0.8)
    tl.add(0.4, ["bad"], [0.0], [[0.0]], 1.0)
    d = json.loads(json.dumps(tl.report.to_dict()))
    assert d["messages"] == 3
    assert d["holds"] == 1
    assert d["streamed"] == 1
    assert d["name_mismatches"] == 1
    assert d["first_receive_s"] == 0.5
    assert d["last_receive_s"] == 1.0
    assert len(d["notes"]) == 1


def test_non_finite_and_non_increasing_messages_are_refused(g1):
    tl = TrajectoryTimeline(g1.joint_names, g1.lower, g1.upper)
    n = len(g1.joint_names)
    bad = np.zeros((2, n))
    bad[1, 3] = np.nan
    assert not tl.add(1.0, list(g1.joint_names), np.array([0.0, 0.1]), bad, 1.0)
    assert "non-finite" in tl.report.notes[-1]
    assert not tl.add(1.0, list(g1.joint_names), np.array([0.1, 0.1]), np.zeros((2, n)), 1.0)
    assert "does not increase" in tl.report.notes[-1]
    assert tl.sample(1.0) is None  # nothing was planned
