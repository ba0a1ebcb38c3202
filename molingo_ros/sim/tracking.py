"""A motion performed under MuJoCo physics by the whole-body controller, and what happened:
did the robot stay up, how closely did it track (per joint group), what the feet carried.
No ROS.

:class:`PhysicsTracker` steps the simulation (the controller runs every
``control_every_steps`` physics steps; MuJoCo's own time step, 2 ms for the Menagerie
humanoids); :func:`track_motion` runs a whole motion through it. A **fall** is any body but
the feet touching the floor, or the root dropping below ``fall_height_fraction`` of its
starting height.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import mujoco
import numpy as np

from molingo_ros.robot.models import Robot
from molingo_ros.sim.player import MujocoRobot
from molingo_ros.sim.reference import (
    SIDES,
    FramesMotion,
    Motion,
    StanceConfig,
    StanceTracker,
    joint_groups,
    reference_state,
)
from molingo_ros.sim.wbc import WbcConfig, WholeBodyController


@dataclass(frozen=True)
class TrackingConfig:
    """``control_every_steps``: physics steps per controller update; ``derivative_s``: the
    span of the reference's central differences (s); ``settle_s``: the last pose is held this
    long after the motion (s); ``fall_height_fraction``: see the module docstring."""

    control_every_steps: int = 2
    derivative_s: float = 0.1
    settle_s: float = 1.0
    fall_height_fraction: float = 0.5
    wbc: WbcConfig = field(default_factory=WbcConfig)
    stance: StanceConfig = field(default_factory=StanceConfig)


@dataclass
class TrackingReport:
    """``upright``: no fall; ``fell_at_s``: when it fell (s from the start, None: never);
    ``joint_rms_rad`` / ``joint_max_rad``: tracking error per joint group (legs, waist,
    upper) over the time up; ``root_error_m``: final horizontal distance between the real and
    the reference root; ``travel_m``: horizontal distance from the start to the root's last
    position while up (how far a walk got); ``foot_force_n``: per foot, mean and max normal
    force from the floor; ``controller_ms``: mean wall time of one controller update;
    ``qpos``: the real configurations at ``fps`` (for a video)."""

    duration_s: float
    upright: bool
    fell_at_s: float | None
    joint_rms_rad: dict[str, float]
    joint_max_rad: dict[str, float]
    root_error_m: float
    travel_m: float
    foot_force_n: dict[str, dict[str, float]]
    swing_fraction: dict[str, float]
    controller_ms: float
    fps: float
    qpos: np.ndarray

    def summary(self) -> dict:
        """The report without the frames (JSON-ready)."""
        return {
            "duration_s": round(self.duration_s, 3),
            "upright": self.upright,
            "fell_at_s": None if self.fell_at_s is None else round(self.fell_at_s, 3),
            "joint_rms_rad": _rounded(self.joint_rms_rad),
            "joint_max_rad": _rounded(self.joint_max_rad),
            "root_error_m": round(self.root_error_m, 4),
            "travel_m": round(self.travel_m, 3),
            "foot_force_n": {k: _rounded(v, 1) for k, v in self.foot_force_n.items()},
            "swing_fraction": _rounded(self.swing_fraction),
            "controller_ms": round(self.controller_ms, 3),
        }


def _rms(errors: np.ndarray, groups: dict[str, np.ndarray]) -> dict[str, float]:
    return {k: float(np.sqrt(np.mean(errors[:, i] ** 2))) for k, i in groups.items()}


def _rounded(d: dict[str, float], digits: int = 4) -> dict[str, float]:
    return {k: round(float(v), digits) for k, v in d.items()}


class PhysicsTracker:
    """The robot in MuJoCo physics, following a :data:`Motion` with the whole-body controller."""

    def __init__(
        self, robot: Robot, sim: MujocoRobot | None = None, config: TrackingConfig | None = None
    ) -> None:
        self.robot = robot
        self.cfg = config or TrackingConfig()
        self.sim = sim or MujocoRobot(robot)
        self.controller = WholeBodyController(robot, self.cfg.wbc)
        self.stance = StanceTracker(robot, self.cfg.stance)
        self.groups = joint_groups(robot)
        m = self.sim.model
        self.dt = m.opt.timestep * self.cfg.control_every_steps
        self.foot_geom_side: dict[int, int] = {}  # MuJoCo geom -> 0 (left) / 1 (right)
        for side_index, side in enumerate(SIDES):
            link = robot.spec.keypoints[f"{side}_foot"].parent
            body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, link)
            for g in np.flatnonzero(m.geom_bodyid == body):
                self.foot_geom_side[int(g)] = side_index
        self.reset()

    def reset(self) -> None:
        self.time_s = 0.0
        self.fell_at_s: float | None = None
        self.start_height = float("nan")
        self._errors: list[np.ndarray] = []
        self._forces: list[np.ndarray] = []
        self._swing: list[tuple[bool, bool]] = []
        self._control_s = 0.0
        self._updates = 0
        self.frames: list[np.ndarray] = []
        self._last_ref = None
        self._start_xy = np.zeros(2)
        self._up_xy = np.zeros(2)

    def start(self, q: np.ndarray) -> None:
        """Put the robot at rest at ``q`` (project order) and start the clock at 0."""
        self.reset()
        self.sim.set_configuration(q)
        self.start_height = self.sim.root_height()
        self._start_xy = self.sim.configuration()[:2].copy()
        self._up_xy = self._start_xy.copy()
        self.stance.stance = [True, True]

    def advance(self, motion: Motion, seconds: float, frame_every_s: float | None = None) -> None:
        """Follow ``motion`` (its time = this tracker's time) for ``seconds``; keep a frame
        of the real configuration every ``frame_every_s`` (None: none)."""
        end = self.time_s + seconds
        h = self.cfg.derivative_s
        while self.time_s < end - 1e-9:
            if self.fell_at_s is not None and self.time_s > self.fell_at_s + 0.5:
                self.time_s = end  # down: nothing more to learn
                break
            ref = reference_state(self.robot, motion, self.time_s, h)
            q, v = self.sim.state()
            ref.stance = self.stance.update(ref, q)
            t0 = time.perf_counter()
            tau = self.controller.torques(q, v, ref)
            self._control_s += time.perf_counter() - t0
            self._updates += 1
            self.sim.step_torques(tau, self.cfg.control_every_steps)
            self.time_s += self.dt
            self._observe(ref, frame_every_s)

    def _observe(self, ref, frame_every_s: float | None) -> None:
        q = self.sim.configuration()
        if self.fell_at_s is None and self._fallen():
            self.fell_at_s = self.time_s
        if self.fell_at_s is None:
            self._up_xy = q[:2].copy()
            self._errors.append(np.abs(q[7:] - ref.q[7:]))
            self._forces.append(self._foot_forces())
            self._swing.append((not ref.stance[0], not ref.stance[1]))
        if frame_every_s and len(self.frames) * frame_every_s <= self.time_s + 1e-9:
            self.frames.append(q)
        self._last_ref = ref

    def _fallen(self) -> bool:
        if self.sim.root_height() < self.cfg.fall_height_fraction * self.start_height:
            return True
        d = self.sim.data
        for c in d.contact[: d.ncon]:
            pair = {int(c.geom1), int(c.geom2)}
            if pair & self.sim.floor_geoms and not pair & self.foot_geom_side.keys():
                return True
        return False

    def _foot_forces(self) -> np.ndarray:
        """Normal force (N) of the floor on each foot now."""
        out = np.zeros(2)
        d, m = self.sim.data, self.sim.model
        wrench = np.zeros(6)
        for i, c in enumerate(d.contact[: d.ncon]):
            for g in (int(c.geom1), int(c.geom2)):
                if g in self.foot_geom_side:
                    mujoco.mj_contactForce(m, d, i, wrench)
                    out[self.foot_geom_side[g]] += abs(wrench[0])
        return out

    def report(self, fps: float = 30.0) -> TrackingReport:
        errors = np.array(self._errors) if self._errors else np.zeros((1, self.robot.num_joints))
        forces = np.array(self._forces) if self._forces else np.zeros((1, 2))
        swing = np.array(self._swing, dtype=float) if self._swing else np.zeros((1, 2))
        groups = {k: idx for k, idx in self.groups.items() if len(idx)}
        q = self.sim.configuration()
        ref_root = self._last_ref.q[:2] if self._last_ref is not None else q[:2]
        return TrackingReport(
            duration_s=self.time_s,
            upright=self.fell_at_s is None,
            fell_at_s=self.fell_at_s,
            joint_rms_rad=_rms(errors, groups),
            joint_max_rad={k: float(errors[:, i].max()) for k, i in groups.items()},
            root_error_m=float(np.linalg.norm(q[:2] - ref_root)),
            travel_m=float(np.linalg.norm(self._up_xy - self._start_xy)),
            foot_force_n={
                side: {"mean": float(forces[:, s].mean()), "max": float(forces[:, s].max())}
                for s, side in enumerate(SIDES)
            },
            swing_fraction={side: float(swing[:, s].mean()) for s, side in enumerate(SIDES)},
            controller_ms=1e3 * self._control_s / max(self._updates, 1),
            fps=fps,
            qpos=np.array(self.frames) if self.frames else q[None],
        )


def track_motion(
    robot: Robot,
    qpos: np.ndarray,
    fps: float,
    config: TrackingConfig | None = None,
    video_fps: float | None = None,
) -> TrackingReport:
    """Perform ``qpos`` (T, nq) at ``fps`` under physics from its first frame, hold the last
    frame ``settle_s``, and report (frames of the real motion at ``video_fps`` if given)."""
    tracker = PhysicsTracker(robot, config=config)
    motion = FramesMotion(robot, qpos, fps)
    tracker.start(motion(0.0))
    every = 1.0 / video_fps if video_fps else None
    tracker.advance(motion, motion.duration_s + tracker.cfg.settle_s, every)
    return tracker.report(video_fps or fps)


__all__ = ["PhysicsTracker", "TrackingConfig", "TrackingReport", "track_motion"]
