"""Human motion -> robot joint trajectories: the retargeting pipeline.

Per frame:

1. **Targets** (:mod:`molingo_ros.robot.targets`): segment-aware scaling of the human keypoints
   to the robot's proportions, ground from the feet, pelvis/torso/feet orientations.
2. **IK** (:mod:`molingo_ros.robot.ik`): weighted damped least squares over all keypoints,
   warm-started from the previous frame's solution; joint position limits always enforced.
3. **Temporal filter** (:mod:`molingo_ros.robot.one_euro_filter`): a one-euro filter (low
   lag when moving fast, strong smoothing when slow) on the joint angles, against IK jitter.
   The root pose is not filtered: it follows the (smooth) human pelvis, and lag there would
   shift every keypoint.
4. **Velocity limits** (:mod:`molingo_ros.robot.retarget_postprocess`): each joint moves at
   most ``velocity_limit_fraction`` x its limit per frame; position limits are enforced
   again; colliding links are pushed apart (:mod:`molingo_ros.robot.avoid`).
5. **Ground contact** (:mod:`molingo_ros.robot.retarget_postprocess`): the root is shifted
   vertically so no sole goes below the floor and the soles of feet the human stands on touch
   it.

Everything is causal and keeps its state in a :class:`Retargeter`, so feeding a motion in
chunks gives exactly the same frames as feeding it whole (streaming API), and the per-motion
constants (:class:`~molingo_ros.robot.human_calibration.HumanCalibration`) are estimated once
(batch: on the whole clip; streaming: on the first chunk, or given). The settings are a
:class:`~molingo_ros.robot.retarget_config.RetargetConfig` (the robot YAML's ``retarget:``
section).

Conventions: metres, radians, z up, x forward, floor at z = 0; ``qpos`` rows are
``[root xyz, root quaternion x y z w, joint angles in Robot.joint_names order]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pinocchio as pin

from molingo_ros.motion.motion import Motion
from molingo_ros.robot.avoid import CollisionChecker
from molingo_ros.robot.human_calibration import HumanCalibration, calibrate
from molingo_ros.robot.human_keypoints import human_keypoints
from molingo_ros.robot.ik import KeypointIk
from molingo_ros.robot.models import Robot
from molingo_ros.robot.one_euro_filter import OneEuroFilter
from molingo_ros.robot.retarget_config import RetargetConfig, RetargetError, retarget_config_for
from molingo_ros.robot.retarget_postprocess import limit_joint_step, place_on_floor
from molingo_ros.robot.robot_rest import RobotRest
from molingo_ros.robot.target_config import ORIENTED_KEYPOINTS, TARGET_KEYPOINTS, TargetError
from molingo_ros.robot.targets import Targets, make_targets

__all__ = ["RetargetResult", "Retargeter", "retarget", "save_retarget_npz"]


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
    """The targets of consecutive chunks as one :class:`Targets` (the first chunk's names
    and calibration)."""
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
        self.ik = KeypointIk(
            robot,
            TARGET_KEYPOINTS,
            ORIENTED_KEYPOINTS,
            pw,
            ow,
            self.config.ik,
            anchors=self.config.anchors,
        )
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
        return limit_joint_step(q, self._q_out, self.robot.joint_q_indices, self._max_step)

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
                q = place_on_floor(robot, q, targets.contacts[t], cfg.contact_tolerance_m)
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
