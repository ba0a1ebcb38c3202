"""Kinematic checks: does a (generated) human motion do what a command asked?

Each check reduces a span of a :class:`~molingo_ros.motion.motion.Motion` to a few numbers
(:func:`measure`) and compares them with fixed thresholds (:func:`run_check`). No ROS imports.

Frames and units. Positions are metres in the world frame (z up, x forward, y to the
character's left, floor at z = 0). Travel is expressed in the **body frame of the span's first
frames**, so a motion that starts facing any direction is judged the same way:

* *forward* is the horizontal direction perpendicular to the body's left-right axis,
  ``forward = left_axis x z_up`` (e.g. left axis +y gives forward +x), where the left axis is
  the sum of the unit horizontal hip axis (left hip - right hip) and the unit horizontal
  shoulder axis (left shoulder - right shoulder): hips and shoulders counter-rotate in the
  gait, so their sum keeps a steady heading;
* *left* is ``z_up x forward``;
* the *hips* point is the midpoint of the two hip joints (``UpperLeg_L``/``UpperLeg_R`` on the
  Bandai rig).

Joints come from the rig (:func:`molingo_ros.motion.rigs.rig_for`): on the Bandai rig the
shoulder used for "hand above shoulder" is ``UpperArm_*`` (the shoulder ball joint, not the
clavicle ``Shoulder_*``), the hand ``Hand_*``, the head ``Head`` and the feet ``Foot_*`` with
``Toes_*``. The DeepMimic humanoid rig of pybullet_data works too (its ``neck`` stands in for
the head, its ankles for the toes).

On the real Bandai takes (test split): walks, walk-backs, turns, runs and normal-style waves /
raises pass their own check; elderly and feminine waves / raises keep the hand at or just below
shoulder height and fail; runs also pass ``kick`` and ``jump`` (flight phases, heel lift);
``dance`` (hand speed only) passes almost any motion; a straight walk that drifts >= 0.3 m
sideways passes ``walk_diagonal_*``. Tests: ``test/test_language_checks.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from molingo_ros.motion.motion import Motion
from molingo_ros.motion.rigs import Rig, rig_for

HAND_ABOVE_MARGIN_M = 0.05
"""A hand counts as up while its joint is at least this far (m) above its shoulder joint."""
FOOT_AIR_MARGIN_M = 0.05
"""A foot counts as off the floor while its lowest joint is this far (m) above the floor."""
HEAD_STAND_FRAMES = 10
"""Frames at the span's start whose median head height is the standing head height."""
HEADING_WINDOW_S = 1.0 / 3.0
"""Seconds at each end of the span averaged for the start / end heading."""
PATH_SMOOTH_S = 0.5
"""Width (s) of the moving average applied to the hips' planar path before its length is taken
(removes the side-to-side sway of the gait and mocap jitter from the speed)."""

WALK_MIN_FORWARD_M = 0.8
"""walk_forward: at least this forward travel (m)."""
WALK_SPEED_M_S = (0.5, 1.8)
"""walk_forward: mean planar hips speed range (m/s)."""
BACKWARD_MAX_FORWARD_M = -0.4
"""walk_backward: forward travel at most this (m), i.e. >= 0.4 m backwards."""
DIAGONAL_MIN_SIDE_M = 0.3
"""walk_diagonal_*: at least this travel (m) to the named side."""
DIAGONAL_MIN_FORWARD_M = 0.3
"""walk_diagonal_*: at least this forward travel (m)."""
DIAGONAL_MAX_TURN_DEG = 40.0
"""walk_diagonal_*: the body turns by at most this (deg): a diagonal walk is not a turn."""
TURN_DEG = (40.0, 270.0)
"""turn_*: magnitude range of the heading change (deg)."""
RUN_MIN_SPEED_M_S = 1.6
"""run: mean planar hips speed at least this (m/s)."""
HAND_UP_MIN_S = 0.5
"""wave_* / raise_*: seconds the named hand(s) must be up."""
OTHER_HAND_MAX_RATIO = 0.5
"""wave/raise one hand: the other hand is up for less than this fraction of the named hand's
time."""
IN_PLACE_MAX_SPEED_M_S = 0.25
"""In-place actions (wave, raise, bow, gesture): mean planar hips speed at most this (m/s)."""
BOW_MIN_HEAD_DROP_M = 0.10
"""bow: the head drops at least this (m) below its standing height."""
KICK_MIN_FOOT_HEIGHT_M = 0.35
"""kick: a foot rises at least this (m) above the floor."""
JUMP_MIN_AIR_S = 0.1
"""jump: seconds with both feet off the floor at once."""
GESTURE_MIN_HAND_SPEED_M_S = 0.2
"""gesture: mean speed (m/s) of the faster hand relative to the hips."""
DANCE_MIN_HAND_SPEED_M_S = 0.3
"""dance: mean speed (m/s) of the faster hand relative to the hips."""


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check on one span.

    Attributes:
        check: the check's name (one of :data:`CHECKS`).
        passed: whether every condition of the check held.
        measured: the numbers the decision used (keys of :func:`measure`), rounded to 3 decimals.
        reason: ``""`` when passed, else the failed conditions in plain English, e.g.
            ``"moved forward 0.21 m, needs >= 0.8 m"``.
    """

    check: str
    passed: bool
    measured: dict[str, float]
    reason: str


def _span(motion: Motion, start: int, stop: int | None) -> tuple[int, int]:
    """``[start, stop)`` clipped like a slice; at least 2 frames or ValueError."""
    first, last, _ = slice(start, stop).indices(motion.num_frames)
    if last - first < 2:
        raise ValueError(
            f"span [{start}, {stop}) of a {motion.num_frames}-frame motion has "
            f"{max(0, last - first)} frames; a check needs at least 2"
        )
    return first, last


def _unit(v: np.ndarray) -> np.ndarray:
    """Rows of ``v`` scaled to unit length (zero rows stay zero)."""
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, norm, out=np.zeros_like(v), where=norm > 1e-9)


def _yaw(pos: np.ndarray, rig: Rig, names: list[str]) -> np.ndarray:
    """(T,) facing angle (rad, counter-clockwise from +x, seen from above) of each frame."""
    ix = names.index
    hips = pos[:, ix(rig.hips[0]), :2] - pos[:, ix(rig.hips[1]), :2]
    shoulders = pos[:, ix(rig.shoulders[0]), :2] - pos[:, ix(rig.shoulders[1]), :2]
    left = _unit(_unit(hips) + _unit(shoulders))
    forward = np.stack([left[:, 1], -left[:, 0]], axis=1)  # left x z_up
    return np.unwrap(np.arctan2(forward[:, 1], forward[:, 0]))


def _planar_speed(path: np.ndarray, fps: float) -> float:
    """Mean speed (m/s) along the (T, 2) ``path`` after a moving average of
    :data:`PATH_SMOOTH_S` (at most half the span), over the averaged path's own duration."""
    width = max(1, min(int(round(PATH_SMOOTH_S * fps)), len(path) // 2))
    kernel = np.ones(width) / width
    smooth = np.stack([np.convolve(path[:, d], kernel, "valid") for d in range(2)], axis=1)
    length = float(np.sum(np.linalg.norm(np.diff(smooth, axis=0), axis=1)))
    return length / ((len(smooth) - 1) / fps)


def _travel(pos: np.ndarray, rig: Rig, names: list[str], fps: float) -> dict[str, float]:
    """forward_m, left_m, speed_m_s and heading_change_deg of the hips over ``pos``."""
    ix = names.index
    hips = 0.5 * (pos[:, ix(rig.hips[0]), :2] + pos[:, ix(rig.hips[1]), :2])
    yaw = _yaw(pos, rig, names)
    k = max(1, min(int(round(HEADING_WINDOW_S * fps)), len(pos) // 4))
    start_yaw, end_yaw = float(np.mean(yaw[:k])), float(np.mean(yaw[-k:]))
    forward = np.array([np.cos(start_yaw), np.sin(start_yaw)])
    left = np.array([-forward[1], forward[0]])  # z_up x forward
    shift = hips[-1] - hips[0]
    return {
        "forward_m": float(shift @ forward),
        "left_m": float(shift @ left),
        "speed_m_s": _planar_speed(hips, fps),
        "heading_change_deg": float(np.degrees(end_yaw - start_yaw)),
    }


def _limbs(pos: np.ndarray, rig: Rig, names: list[str], fps: float) -> dict[str, float]:
    """Hand, head and foot numbers of ``pos`` (see :func:`measure`)."""
    ix = names.index
    up = [
        pos[:, ix(hand), 2] - pos[:, ix(shoulder), 2] >= HAND_ABOVE_MARGIN_M
        for hand, shoulder in zip(rig.hands, rig.shoulders, strict=True)
    ]
    head = pos[:, ix(rig.head), 2]
    feet = pos[:, [ix(j) for j in rig.feet], 2].reshape(len(pos), 2, 2).min(axis=2)  # (T, L/R)
    feet = feet - feet.min()
    hips = 0.5 * (pos[:, ix(rig.hips[0])] + pos[:, ix(rig.hips[1])])
    hand_speed = [
        float(np.mean(np.linalg.norm(np.diff(pos[:, ix(h)] - hips, axis=0), axis=1))) * fps
        for h in rig.hands
    ]
    return {
        "hand_above_shoulder_l_s": float(np.sum(up[0])) / fps,
        "hand_above_shoulder_r_s": float(np.sum(up[1])) / fps,
        "both_hands_above_s": float(np.sum(up[0] & up[1])) / fps,
        "head_drop_m": float(np.median(head[:HEAD_STAND_FRAMES]) - head.min()),
        "foot_max_height_m": float(feet.max()),
        "both_feet_air_s": float(np.sum(np.all(feet >= FOOT_AIR_MARGIN_M, axis=1))) / fps,
        "hand_speed_m_s": max(hand_speed),
    }


def measure(motion: Motion, start: int = 0, stop: int | None = None) -> dict[str, float]:
    """The numbers the checks judge, over frames ``[start, stop)`` (slice rules, >= 2 frames).

    Returns (unrounded):
        forward_m, left_m: planar displacement (m) of the hips from the span's first to its
            last frame, along the body's forward / left axes at the span's start (heading
            averaged over its first :data:`HEADING_WINDOW_S` s, at most a quarter of the span).
        speed_m_s: mean planar hips speed (m/s): path length / duration of the hips' planar
            path after a moving average over :data:`PATH_SMOOTH_S` s (removes gait sway).
        heading_change_deg: signed change of the body's facing (deg, + = left, i.e.
            counter-clockwise seen from above), unwrapped over the span, end heading minus
            start heading (each averaged over :data:`HEADING_WINDOW_S` s).
        hand_above_shoulder_l_s, hand_above_shoulder_r_s: seconds the left / right hand joint
            is at least :data:`HAND_ABOVE_MARGIN_M` above its shoulder joint (``UpperArm_*``).
        both_hands_above_s: seconds both hands are up at once.
        head_drop_m: standing head height (median of the first :data:`HEAD_STAND_FRAMES`
            frames) minus the span's lowest head height (m).
        foot_max_height_m: highest height (m) of a foot above the floor; a foot's height is its
            lowest joint (ankle or toe), the floor the lowest foot height of the span.
        both_feet_air_s: seconds both feet are at least :data:`FOOT_AIR_MARGIN_M` above
            that floor at once.
        hand_speed_m_s: mean speed (m/s) of the faster hand relative to the hips (3-D, world
            frame).

    Raises:
        KeyError: the motion's joints are not a known rig's.
        ValueError: the span holds fewer than 2 frames.
    """
    first, last = _span(motion, start, stop)
    rig = rig_for(motion.joint_names)
    pos = motion.positions_m[first:last]
    names = list(motion.joint_names)
    return _travel(pos, rig, names, motion.fps) | _limbs(pos, rig, names, motion.fps)


@dataclass(frozen=True)
class _Cond:
    """One condition of a check, on the maximum of ``keys`` (of :func:`measure`).

    ``low <= value <= high`` (either bound optional), on ``|value|`` with ``absolute``. With
    ``ratio_of`` the bound is relative: ``value < high * measured[ratio_of]`` or ``value == 0``
    (``ratio_label`` names that quantity in the reason).
    """

    label: str
    unit: str
    keys: tuple[str, ...]
    low: float | None = None
    high: float | None = None
    absolute: bool = False
    ratio_of: str | None = None
    ratio_label: str = ""

    def used(self) -> tuple[str, ...]:
        """The measured keys this condition reads."""
        return self.keys + ((self.ratio_of,) if self.ratio_of else ())

    def failure(self, values: dict[str, float]) -> str:
        """``""`` when the condition holds, else why not (plain English)."""
        value = max(values[k] for k in self.keys)
        value = abs(value) if self.absolute else value
        said = f"{self.label} {value:.2f} {self.unit}"
        if self.ratio_of is not None and self.high is not None:
            limit = self.high * values[self.ratio_of]
            if value < limit or value == 0.0:
                return ""
            return f"{said}, needs < {limit:.2f} {self.unit} ({self.high:g} x {self.ratio_label})"
        if self.low is not None and value < self.low:
            return f"{said}, needs >= {self.low:g} {self.unit}"
        if self.high is not None and value > self.high:
            return f"{said}, needs <= {self.high:g} {self.unit}"
        return ""


_L, _R = "hand_above_shoulder_l_s", "hand_above_shoulder_r_s"
_IN_PLACE = _Cond("moved at", "m/s", ("speed_m_s",), high=IN_PLACE_MAX_SPEED_M_S)


def _one_hand(named: str, other: str, side: str) -> tuple[_Cond, ...]:
    """A one-hand wave/raise: the ``side`` hand (key ``named``) up, the ``other`` mostly down."""
    other_side = "right" if side == "left" else "left"
    return (
        _Cond(f"{side} hand above shoulder for", "s", (named,), low=HAND_UP_MIN_S),
        _Cond(
            f"{other_side} hand above shoulder for",
            "s",
            (other,),
            high=OTHER_HAND_MAX_RATIO,
            ratio_of=named,
            ratio_label=f"the {side} hand's time",
        ),
        _IN_PLACE,
    )


def _diagonal(low: float | None, high: float | None) -> tuple[_Cond, ...]:
    """Conditions of a diagonal walk to the side ``left_m`` in [low, high] selects."""
    return (
        _Cond("moved left", "m", ("left_m",), low=low, high=high),
        _Cond("moved forward", "m", ("forward_m",), low=DIAGONAL_MIN_FORWARD_M),
        _Cond("turned", "deg", ("heading_change_deg",), high=DIAGONAL_MAX_TURN_DEG, absolute=True),
    )


def _turned(low: float, high: float) -> _Cond:
    """heading_change_deg in [low, high] (deg, + = left)."""
    return _Cond("turned", "deg", ("heading_change_deg",), low=low, high=high)


def _hands_moved(low: float) -> _Cond:
    """hand_speed_m_s at least ``low`` (m/s)."""
    return _Cond("the faster hand moved at", "m/s", ("hand_speed_m_s",), low=low)


_BOTH_UP = (
    _Cond("both hands above shoulders for", "s", ("both_hands_above_s",), low=HAND_UP_MIN_S),
)
_RULES: dict[str, tuple[_Cond, ...]] = {
    "walk_forward": (
        _Cond("moved forward", "m", ("forward_m",), low=WALK_MIN_FORWARD_M),
        _Cond("moved at", "m/s", ("speed_m_s",), low=WALK_SPEED_M_S[0], high=WALK_SPEED_M_S[1]),
    ),
    "walk_backward": (_Cond("moved forward", "m", ("forward_m",), high=BACKWARD_MAX_FORWARD_M),),
    "walk_diagonal_left": _diagonal(DIAGONAL_MIN_SIDE_M, None),
    "walk_diagonal_right": _diagonal(None, -DIAGONAL_MIN_SIDE_M),
    "turn_left": (_turned(TURN_DEG[0], TURN_DEG[1]),),
    "turn_right": (_turned(-TURN_DEG[1], -TURN_DEG[0]),),
    "run": (_Cond("moved at", "m/s", ("speed_m_s",), low=RUN_MIN_SPEED_M_S),),
    "wave_right": _one_hand(_R, _L, "right"),
    "wave_left": _one_hand(_L, _R, "left"),
    "wave_both": _BOTH_UP + (_IN_PLACE,),
    "wave_any": (
        _Cond("a hand above its shoulder for", "s", (_L, _R), low=HAND_UP_MIN_S),
        _IN_PLACE,
    ),
    "raise_right": _one_hand(_R, _L, "right"),
    "raise_left": _one_hand(_L, _R, "left"),
    "raise_both": _BOTH_UP + (_IN_PLACE,),
    "bow": (_Cond("head dropped", "m", ("head_drop_m",), low=BOW_MIN_HEAD_DROP_M), _IN_PLACE),
    "kick": (_Cond("a foot rose", "m", ("foot_max_height_m",), low=KICK_MIN_FOOT_HEIGHT_M),),
    "jump": (_Cond("both feet off the floor for", "s", ("both_feet_air_s",), low=JUMP_MIN_AIR_S),),
    "gesture": (_IN_PLACE, _hands_moved(GESTURE_MIN_HAND_SPEED_M_S)),
    "dance": (_hands_moved(DANCE_MIN_HAND_SPEED_M_S),),
}

CHECKS: tuple[str, ...] = tuple(_RULES)
"""Every check :func:`run_check` knows: walk_forward, walk_backward, walk_diagonal_left,
walk_diagonal_right, turn_left, turn_right, run, wave_right, wave_left, wave_both, wave_any,
raise_right, raise_left, raise_both, bow, kick, jump, gesture, dance."""


SKILL_CHECKS: dict[str, str] = {
    "walk": "walk_forward",
    "run": "run",
    "dash": "run",
    "walk-back": "walk_backward",
    "walk-left": "walk_diagonal_left",
    "walk-right": "walk_diagonal_right",
    "walk-turn-left": "turn_left",
    "walk-turn-right": "turn_right",
    "bow": "bow",
    "bye": "wave_any",
    "byebye": "wave_both",
    "guide": "gesture",
    "call": "gesture",
    "respond": "gesture",
    "punch": "gesture",
    "slash": "gesture",
    "kick": "kick",
    "dance-long": "dance",
    "dance-short": "dance",
    "wave-left-hand": "wave_left",
    "wave-right-hand": "wave_right",
    "wave-both-hands": "wave_both",
    "raise-up-left-hand": "raise_left",
    "raise-up-right-hand": "raise_right",
    "raise-up-both-hands": "raise_both",
}
"""The check a motion of each Bandai content label must pass."""


def run_check(name: str, motion: Motion, start: int = 0, stop: int | None = None) -> CheckResult:
    """Judge frames ``[start, stop)`` of ``motion`` with check ``name`` (one of :data:`CHECKS`).

    Raises:
        ValueError: ``name`` is not a check (the message lists the valid ones), or the span
            holds fewer than 2 frames.
        KeyError: the motion's joints are not a known rig's.
    """
    conditions = _RULES.get(name)
    if conditions is None:
        raise ValueError(f"unknown check {name!r}; valid checks: {', '.join(CHECKS)}")
    values = measure(motion, start, stop)
    failures = [msg for cond in conditions if (msg := cond.failure(values))]
    used = {key: round(values[key], 3) for cond in conditions for key in cond.used()}
    return CheckResult(check=name, passed=not failures, measured=used, reason="; ".join(failures))
