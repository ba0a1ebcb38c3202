"""Human motion -> robot joint trajectories: the retargeting pipeline.

Per frame:

1. **Targets** (:mod:`molingo_ros.robot.targets`): segment-aware scaling of the human keypoints
   to the robot's proportions, ground from the feet, pelvis/torso/feet orientations.
2. **IK** (:mod:`molingo_ros.robot.ik`): weighted damped least squares over all keypoints,
   warm-started from the previous frame's solution; joint position limits always enforced.
3. **Temporal filter**: a one-euro filter (low lag when moving fast, strong smoothing when
   slow) on the joint angles, against IK jitter. The root pose is not filtered: it follows
   the (smooth) human pelvis, and lag there would shift every keypoint.
4. **Velocity limits**: each joint moves at most ``velocity_limit_fraction`` x its limit per
   frame; position limits are enforced again.
5. **Ground contact**: the root is shifted vertically so no sole goes below the floor and the
   soles of feet the human stands on touch it.

Everything is causal and keeps its state in a :class:`Retargeter`, so feeding a motion in
chunks gives exactly the same frames as feeding it whole (streaming API), and the per-motion
constants (:class:`~molingo_ros.robot.targets.HumanCalibration`) are estimated once (batch: on
the whole clip; streaming: on the first chunk, or given).

Conventions: metres, radians, z up, x forward, floor at z = 0; ``qpos`` rows are
``[root xyz, root quaternion x y z w, joint angles in Robot.joint_names order]``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pinocchio as pin
import yaml

from molingo_ros.motion.motion import Motion
from molingo_ros.robot.avoid import AvoidConfig, CollisionChecker
from molingo_ros.robot.ik import IkConfig, KeypointIk
from molingo_ros.robot.models import Robot
from molingo_ros.robot.registry import load_robot_spec
from molingo_ros.robot.spec import RobotSpec
from molingo_ros.robot.targets import (
    OPTIONAL_HUMAN_KEYPOINTS,
    ORIENTED_KEYPOINTS,
    REQUIRED_HUMAN_KEYPOINTS,
    TARGET_KEYPOINTS,
    HumanCalibration,
    RobotRest,
    TargetConfig,
    TargetError,
    Targets,
    calibrate,
    human_keypoints,
    make_targets,
)


class RetargetError(ValueError):
    """The motion or the configuration cannot be retargeted; the message says why."""


@dataclass(frozen=True)
class FilterConfig:
    """One-euro filter (Casiez et al., CHI 2012) on the output joint angles.

    Attributes:
        enabled: filter at all.
        min_cutoff_hz: cutoff when still (lower = smoother, more lag when slow).
        beta: how fast the cutoff rises with speed (per rad/s or m/s); higher = less lag
            when moving fast.
        derivative_cutoff_hz: cutoff of the speed estimate.
        joints: filter only joints whose name contains one of these words (e.g. ``hip``,
            ``knee``, ``ankle``: the joints that foot-orientation noise shakes); empty: all.
    """

    enabled: bool = True
    min_cutoff_hz: float = 4.0
    beta: float = 4.0
    derivative_cutoff_hz: float = 2.0
    joints: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetargetConfig:
    """Settings of the retargeter for one robot (the ``retarget:`` section of
    ``config/robots/<robot>.yaml``).

    Attributes:
        human_joints: human rig name -> keypoint -> human joint name. A motion uses the first
            rig whose joints it has (or the one named by the caller).
        position_weights: keypoint -> IK position weight (keypoints not listed: 1).
        orientation_weights: keypoint -> IK orientation weight, for
            :data:`~molingo_ros.robot.targets.ORIENTED_KEYPOINTS` (not listed: 0).
        ik: IK solver settings.
        targets: target builder settings.
        filter: temporal filter settings.
        velocity_limit_fraction: joints move at most this fraction of their velocity limit.
        ground_contact: shift the root so soles neither sink nor float during human contact.
        contact_tolerance_m: a contact foot's sole within this of the floor is left alone.
        avoid: self-collision repair of output frames (the validator's pairs and geometry).
    """

    human_joints: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    position_weights: Mapping[str, float] = field(default_factory=dict)
    orientation_weights: Mapping[str, float] = field(default_factory=dict)
    ik: IkConfig = IkConfig()
    targets: TargetConfig = TargetConfig()
    filter: FilterConfig = FilterConfig()
    velocity_limit_fraction: float = 0.95
    ground_contact: bool = True
    contact_tolerance_m: float = 0.002
    avoid: AvoidConfig = AvoidConfig()

    def human_mapping(self, motion: Motion, rig: str | None = None) -> tuple[str, dict]:
        """The (rig name, keypoint -> joint) mapping to use for ``motion``.

        Raises:
            RetargetError: ``rig`` is unknown, or no mapping fits the motion's joints (the
                message lists what each mapping misses).
        """
        if not self.human_joints:
            raise RetargetError("the retarget config has no human_joints mapping")
        if rig is not None:
            if rig not in self.human_joints:
                raise RetargetError(
                    f"unknown human rig '{rig}'; this config maps: {', '.join(self.human_joints)}"
                )
            return rig, dict(self.human_joints[rig])
        names = set(motion.joint_names)
        misses = {}
        for name, mapping in self.human_joints.items():
            needed = [mapping.get(k) for k in REQUIRED_HUMAN_KEYPOINTS]
            missing = [
                f"{k}={j}" if j else f"{k} (unmapped)"
                for k, j in zip(REQUIRED_HUMAN_KEYPOINTS, needed, strict=True)
                if j is None or j not in names
            ]
            if not missing:
                return name, dict(mapping)
            misses[name] = missing
        detail = "; ".join(f"{rig_name} misses {m}" for rig_name, m in misses.items())
        raise RetargetError(
            f"motion '{motion.name or '?'}' (joints: {', '.join(motion.joint_names)}) fits no "
            f"human mapping of the retarget config: {detail}"
        )


# --------------------------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------------------------

_TOP_KEYS = {
    "human_joints",
    "position_weights",
    "orientation_weights",
    "ik",
    "targets",
    "filter",
    "velocity_limit_fraction",
    "ground_contact",
    "contact_tolerance_m",
    "avoid",
}


def _sub(cls: type, values: Any, where: str) -> Any:
    if values is None:
        return cls()
    if not isinstance(values, Mapping):
        raise RetargetError(f"{where}: expected a mapping, got {type(values).__name__}")
    valid = set(cls.__dataclass_fields__)
    unknown = sorted(set(values) - valid)
    if unknown:
        raise RetargetError(f"{where}: unknown keys {unknown}; valid: {', '.join(sorted(valid))}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return cls(**values)


def retarget_config_from_dict(d: Mapping[str, Any], where: str = "retarget") -> RetargetConfig:
    """Build a :class:`RetargetConfig` from the ``retarget:`` mapping of a robot YAML.

    Raises:
        RetargetError: unknown keys (the message lists the valid ones), bad types, a human
            mapping naming an unknown keypoint, or a weight for an unknown keypoint.
    """
    if not isinstance(d, Mapping):
        raise RetargetError(f"{where}: expected a mapping, got {type(d).__name__}")
    unknown = sorted(set(d) - _TOP_KEYS)
    if unknown:
        raise RetargetError(
            f"{where}: unknown keys {unknown}; valid: {', '.join(sorted(_TOP_KEYS))}"
        )
    valid_kp = set(TARGET_KEYPOINTS) | set(OPTIONAL_HUMAN_KEYPOINTS)
    human = d.get("human_joints") or {}
    for rig, mapping in human.items():
        if not isinstance(mapping, Mapping):
            raise RetargetError(f"{where}.human_joints.{rig}: expected keypoint: joint pairs")
        bad = sorted(set(mapping) - valid_kp)
        if bad:
            raise RetargetError(
                f"{where}.human_joints.{rig}: unknown keypoints {bad}; valid: "
                f"{', '.join(sorted(valid_kp))}"
            )
    for key, allowed in (
        ("position_weights", TARGET_KEYPOINTS),
        ("orientation_weights", ORIENTED_KEYPOINTS),
    ):
        weights = d.get(key) or {}
        bad = sorted(set(weights) - set(allowed))
        if bad:
            raise RetargetError(
                f"{where}.{key}: unknown keypoints {bad}; valid: {', '.join(allowed)}"
            )
        for k, w in weights.items():
            if not (isinstance(w, int | float) and w >= 0 and math.isfinite(w)):
                raise RetargetError(f"{where}.{key}.{k}: weight must be a number >= 0, got {w!r}")
    kwargs: dict[str, Any] = {
        "human_joints": {r: dict(m) for r, m in human.items()},
        "position_weights": dict(d.get("position_weights") or {}),
        "orientation_weights": dict(d.get("orientation_weights") or {}),
        "ik": _sub(IkConfig, d.get("ik"), f"{where}.ik"),
        "targets": _sub(TargetConfig, d.get("targets"), f"{where}.targets"),
        "filter": _sub(FilterConfig, d.get("filter"), f"{where}.filter"),
        "avoid": _sub(AvoidConfig, d.get("avoid"), f"{where}.avoid"),
    }
    for key in ("velocity_limit_fraction", "ground_contact", "contact_tolerance_m"):
        if key in d:
            kwargs[key] = d[key]
    return RetargetConfig(**kwargs)


def load_retarget_config(path: str | Path) -> RetargetConfig:
    """Read the ``retarget:`` section of a robot YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise RetargetError(f"cannot read retarget config {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RetargetError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping) or "retarget" not in data:
        raise RetargetError(f"{path} has no top-level 'retarget:' section")
    return retarget_config_from_dict(data["retarget"], where=f"{path}: retarget")


def retarget_config_for(robot: Robot | RobotSpec | str | os.PathLike) -> RetargetConfig:
    """The retarget config of a robot: the ``retarget:`` section of its YAML, as read with its
    spec (:attr:`RobotSpec.retarget`; no second read of the file).

    Args:
        robot: a :class:`Robot`, a :class:`RobotSpec`, a registered name (``g1``, ``h1``,
            ``t1``) or a robot YAML path (read here; prefer
            :func:`molingo_ros.robot.config.load_robot_config`, which reads it once for both).

    Raises:
        RetargetError: the config has no ``retarget:`` section, or a bad one.
        molingo_ros.robot.models.RobotModelError: unknown name (the message lists the known
            ones) or unreadable file.
    """
    if isinstance(robot, Robot):
        spec = robot.spec
    elif isinstance(robot, RobotSpec):
        spec = robot
    else:
        spec = load_robot_spec(robot)
    where = str(spec.config_path) if spec.config_path is not None else f"robot '{spec.name}'"
    if spec.retarget is None:
        raise RetargetError(
            f"{where} has no top-level 'retarget:' section (robot configs are YAML files with "
            "'robot:' and 'retarget:'; see config/robots/g1.yaml)"
        )
    return retarget_config_from_dict(spec.retarget, where=f"{where}: retarget")


# --------------------------------------------------------------------------------------------
# Filter
# --------------------------------------------------------------------------------------------


class OneEuroFilter:
    """Vector one-euro filter; each component gets its own adaptive cutoff."""

    def __init__(self, config: FilterConfig, rate_hz: float) -> None:
        self.config = config
        self.dt = 1.0 / rate_hz
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self._x is None:
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            return x.copy()
        c = self.config
        dx = (x - self._x) / self.dt
        self._dx = self._dx + self._alpha(c.derivative_cutoff_hz, self.dt) * (dx - self._dx)
        cutoff = c.min_cutoff_hz + c.beta * np.abs(self._dx)
        self._x = self._x + self._alpha(cutoff, self.dt) * (x - self._x)
        return self._x.copy()


# --------------------------------------------------------------------------------------------
# Retargeter
# --------------------------------------------------------------------------------------------


@dataclass
class RetargetResult:
    """Robot motion made from a human motion.

    Attributes:
        robot: robot name.
        joint_names: actuated joints, the order of ``qpos[:, 7:]``.
        qpos: (T, nq) configurations (root xyz m, root quaternion x y z w, joints rad).
        fps: frame rate, Hz.
        targets: the keypoint targets the IK tracked.
        rig: the human mapping used.
    """

    robot: str
    joint_names: list[str]
    qpos: np.ndarray
    fps: float
    targets: Targets
    rig: str

    @property
    def frames(self) -> int:
        """Number of frames."""
        return int(self.qpos.shape[0])

    def target_positions(self) -> dict[str, np.ndarray]:
        """keypoint -> (T, 3) target positions (the ``targets`` argument of
        :func:`molingo_ros.robot.validator.validate`)."""
        return {k: self.targets.positions[:, i] for i, k in enumerate(self.targets.keypoints)}


def save_retarget_npz(path: str | Path, motion: Motion, result: RetargetResult) -> Path:
    """Write the human motion plus the robot motion to one ``.npz``: the keys of
    :meth:`Motion.save_npz` and ``robot_name``, ``robot_joint_names`` (n,), ``robot_qpos``
    (T, nq: root xyz m, root quaternion x y z w, joint angles rad, float64) and
    ``robot_fps``. ``fps`` is the shared frame rate."""
    return motion.save_npz(
        path,
        extra={
            "robot_name": np.array(result.robot),
            "robot_joint_names": np.array(result.joint_names),
            "robot_qpos": result.qpos.astype(np.float64),
            "robot_fps": np.array(result.fps),
        },
    )


def _concat_targets(parts: list[Targets]) -> Targets:
    first = parts[0]
    return replace(
        first,
        positions=np.concatenate([p.positions for p in parts]),
        rotations=np.concatenate([p.rotations for p in parts]),
        contacts=np.concatenate([p.contacts for p in parts]),
    )


class Retargeter:
    """Streaming retargeter: feed :class:`Motion` chunks to :meth:`process`; state (last
    configuration, filter, last human frame) carries over, so chunked and whole-clip results
    are identical.

    Args:
        robot: the target robot.
        config: retarget settings; default: the robot's ``config/robots/<name>.yaml``.
        rig: human mapping to use (default: the first that fits the motion).
        calibration: per-motion constants; default: estimated from the first chunk.
    """

    def __init__(
        self,
        robot: Robot,
        config: RetargetConfig | None = None,
        *,
        rig: str | None = None,
        calibration: HumanCalibration | None = None,
    ) -> None:
        self.robot = robot
        self.config = config if config is not None else retarget_config_for(robot)
        self.rest = RobotRest.of(robot)
        missing = [k for k in TARGET_KEYPOINTS if k not in robot.keypoint_names]
        if missing:
            raise RetargetError(f"robot '{robot.name}' lacks keypoints {missing}")
        pw = [float(self.config.position_weights.get(k, 1.0)) for k in TARGET_KEYPOINTS]
        ow = [float(self.config.orientation_weights.get(k, 0.0)) for k in ORIENTED_KEYPOINTS]
        self.ik = KeypointIk(robot, TARGET_KEYPOINTS, ORIENTED_KEYPOINTS, pw, ow, self.config.ik)
        self.collisions = CollisionChecker(robot) if self.config.avoid.enabled else None
        words = tuple(w.lower() for w in self.config.filter.joints)
        chosen = [
            i
            for i, n in enumerate(robot.joint_names)
            if not words or any(w in n.lower() for w in words)
        ]
        if words and not chosen:
            raise RetargetError(
                f"filter.joints {list(words)} match no joint of '{robot.name}'; joints: "
                f"{', '.join(robot.joint_names)}"
            )
        self._filtered_q = robot.joint_q_indices[chosen]
        self.repaired_frames = 0
        self._rig_request = rig
        self._initial_calibration = calibration
        self._max_step = None  # per-joint max change per frame, set with fps
        self.reset()

    def reset(self) -> None:
        """Forget the stream: the next chunk starts a new motion."""
        self.rig: str | None = self._rig_request
        self.mapping: dict | None = None
        self.calibration = self._initial_calibration
        self.fps: float | None = None
        self._q_ik: np.ndarray | None = None
        self._q_out: np.ndarray | None = None
        self._filter: OneEuroFilter | None = None
        self._previous_human: dict[str, np.ndarray] | None = None
        self.frames_done = 0
        self.last_targets: Targets | None = None

    # -- one chunk --------------------------------------------------------------------------

    def _begin(self, motion: Motion) -> None:
        """Fix the stream's frame rate and human mapping from ``motion`` (first call), or
        check that ``motion`` matches them."""
        if self.fps is None:
            if not (math.isfinite(motion.fps) and motion.fps > 0):
                raise RetargetError(f"motion fps must be positive and finite, got {motion.fps}")
            self.fps = float(motion.fps)
            self._max_step = (
                self.config.velocity_limit_fraction * self.robot.velocity_limits / self.fps
            )
        elif abs(motion.fps - self.fps) > 1e-6:
            raise RetargetError(f"chunk fps {motion.fps} differs from the stream's {self.fps}")
        if self.mapping is None:
            self.rig, self.mapping = self.config.human_mapping(motion, self.rig)

    def calibrate(self, motion: Motion) -> HumanCalibration:
        """Estimate the per-motion constants from all of ``motion`` (the batch API does this
        before streaming the motion through) and keep them for the stream."""
        self._begin(motion)
        try:
            h = human_keypoints(motion, self.mapping)
        except TargetError as exc:
            raise RetargetError(str(exc)) from exc
        self.calibration = calibrate(h, self.fps, self.rest, self.config.targets)
        return self.calibration

    def targets_for(self, motion: Motion) -> Targets:
        """Targets for a chunk (updates the stream's human state)."""
        if motion.positions_m.shape[0] == 0:
            raise RetargetError("empty motion chunk (0 frames)")
        self._begin(motion)
        try:
            h = human_keypoints(motion, self.mapping)
            if self.calibration is None:
                self.calibration = calibrate(h, self.fps, self.rest, self.config.targets)
            targets = make_targets(
                h,
                self.fps,
                self.rest,
                self.calibration,
                self.config.targets,
                previous=self._previous_human,
            )
        except TargetError as exc:
            raise RetargetError(str(exc)) from exc
        self._previous_human = {k: v[-1].copy() for k, v in h.items()}
        return targets

    def _initial_q(self, targets: Targets) -> np.ndarray:
        """Neutral pose with the pelvis placed and oriented on the first target (lying,
        crouching or standing alike), then solved to convergence."""
        q = self.robot.neutral()
        # At neutral the root is unrotated; turn it so the pelvis takes its target rotation.
        root_rot = targets.rotations[0, 0] @ self.rest.rotations["pelvis"].T
        pelvis_from_root = self.rest.positions["pelvis"] - q[0:3]
        q[0:3] = targets.positions[0, 0] - root_rot @ pelvis_from_root
        q[3:7] = pin.Quaternion(root_rot).coeffs()
        return self.ik.solve(
            q, targets.positions[0], targets.rotations[0], self.config.ik.first_frame_iterations
        )

    def _ground(self, q: np.ndarray, contacts: np.ndarray) -> np.ndarray:
        soles = self.robot.sole_positions(q)
        z = np.array([soles["left"][2], soles["right"][2]])
        shift = 0.0
        if contacts.any():
            floating = z[contacts].min()
            if abs(floating) > self.config.contact_tolerance_m:
                shift = -floating
        shift = max(shift, -z.min())  # never below the floor
        if shift != 0.0:
            q = q.copy()
            q[2] += shift
        return q

    def _repair(self, q: np.ndarray, tp: np.ndarray, tr: np.ndarray) -> np.ndarray:
        """Push colliding links apart with extra IK rows (a few steps, each re-checked),
        keeping the joint velocity limits."""
        avoid = self.config.avoid
        pairs = self.collisions.colliding_pairs(q)
        if not pairs:
            return q
        self.repaired_frames += 1
        for _ in range(avoid.max_iterations):
            rows, errs = self.collisions.separation_rows(q, pairs, avoid.clearance_m)
            q = self._limit_speed(self.ik.step(q, tp, tr, extra=(rows, errs, avoid.weight)))
            pairs = self.collisions.colliding_pairs(q)
            if not pairs:
                break
        return q

    def _limit_speed(self, q: np.ndarray) -> np.ndarray:
        """``q`` with each joint at most ``_max_step`` from the last output frame (in place)."""
        if self._q_out is not None:
            idx, prev = self.robot.joint_q_indices, self._q_out[self.robot.joint_q_indices]
            q[idx] = np.clip(q[idx], prev - self._max_step, prev + self._max_step)
        return q

    def process(self, motion: Motion) -> np.ndarray:
        """Retarget the next chunk. Returns its (T, nq) configurations; its targets are
        :attr:`last_targets`."""
        targets = self.targets_for(motion)
        self.last_targets = targets
        robot, cfg = self.robot, self.config
        idx = robot.joint_q_indices
        out = np.empty((targets.frames, robot.nq))
        for t in range(targets.frames):
            tp, tr = targets.positions[t], targets.rotations[t]
            if self._q_ik is None:
                q_ik = self._initial_q(targets)
            else:
                q_ik = self.ik.solve(self._q_ik, tp, tr)
            self._q_ik = q_ik
            q = q_ik.copy()
            if cfg.filter.enabled:
                if self._filter is None:
                    self._filter = OneEuroFilter(cfg.filter, self.fps)
                q[self._filtered_q] = self._filter(q[self._filtered_q])
            q = self._limit_speed(q)
            q[idx] = np.clip(q[idx], robot.lower, robot.upper)
            if self.collisions is not None:
                q = self._repair(q, tp, tr)
            if cfg.ground_contact:
                q = self._ground(q, targets.contacts[t])
            self._q_out = q
            out[t] = q
        self.frames_done += targets.frames
        return out


def retarget(
    motion: Motion,
    robot: Robot,
    config: RetargetConfig | None = None,
    *,
    rig: str | None = None,
    calibration: HumanCalibration | None = None,
    chunk_frames: int | None = None,
) -> RetargetResult:
    """Batch API: retarget a whole motion (per-motion constants estimated on all of it).

    Args:
        motion: the human motion (world frame, metres).
        robot: the target robot.
        config: retarget settings (default: the robot's YAML).
        rig: human mapping to use (default: the first that fits).
        calibration: per-motion constants (default: estimated from the whole motion).
        chunk_frames: feed the motion in chunks of this many frames (same result; for tests
            and to bound memory).

    Raises:
        RetargetError: bad input (NaN/inf, missing joints, fps), with a message naming it.
    """
    retargeter = Retargeter(robot, config, rig=rig, calibration=calibration)
    if calibration is None:
        retargeter.calibrate(motion)
    total = motion.positions_m.shape[0]
    step = chunk_frames or max(total, 1)
    qs, tgts = [], []
    for start in range(0, total, step):
        qs.append(retargeter.process(motion.frames(start, min(start + step, total))))
        tgts.append(retargeter.last_targets)
    if not qs:
        raise RetargetError("empty motion (0 frames)")
    return RetargetResult(
        robot=robot.name,
        joint_names=list(robot.joint_names),
        qpos=np.concatenate(qs),
        fps=float(motion.fps),
        targets=_concat_targets(tgts),
        rig=str(retargeter.rig),
    )
