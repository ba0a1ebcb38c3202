"""Text to safe robot frames, one streamed chunk at a time. No ROS imports.

:class:`MotionEngine` joins the pieces of the core library: the text-to-motion model streams
human motion window by window (:class:`~molingo_ros.model.sampler.MotionStream`), the
streaming :class:`~molingo_ros.robot.retarget.Retargeter` turns each window into robot
configurations, and the :class:`~molingo_ros.runtime.safety.SafetyFilter` validates every frame
(pinocchio) before it may leave. The stream's history is kept across commands, so a new
command flows out of the current motion instead of jumping.

    engine = MotionEngine.load(EngineConfig(robot="g1"))    # or a robot YAML path
    chunk = engine.next_chunk("a person walks forward", seed=3)   # 32 frames, 1.07 s
    chunk.qpos        # (32, nq): root xyz (m, world, z up), quaternion xyzw, joints (rad)
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from molingo_ros.model.batch import WindowBatcher
from molingo_ros.model.sampler import (
    FPS,
    MoLingo,
    MotionStream,
    SamplerConfig,
    WindowOutput,
    check_window_fits,
    tokens_left,
)
from molingo_ros.robot import DEFAULT_ROBOT
from molingo_ros.robot.config import RobotConfig, load_robot_config
from molingo_ros.robot.joint_checks import backward_velocities
from molingo_ros.robot.models import Robot
from molingo_ros.robot.retarget import Retargeter
from molingo_ros.runtime.dynamics_watch import DynamicsWatch
from molingo_ros.runtime.safety import SafetyConfig, SafetyFilter

ANCHOR_HEIGHT_BLEND = 8
"""Frames over which a re-anchored chunk's root height moves from the anchor's to its own."""


@dataclass(frozen=True)
class EngineConfig:
    """What the engine loads and how it samples.

    Attributes:
        robot: a registered robot (g1, h1, t1) or the path of a robot YAML (``robot:`` and
            ``retarget:`` sections, schema in ``config/robots/g1.yaml``).
        urdf_xml: URDF text to build the robot's model from (ROS ``robot_description``)
            instead of the model file the robot YAML names; empty: that file.
        joint_name_map: URDF joint name -> the robot YAML's (its model file's) joint name, for
            a ``urdf_xml`` that names joints differently; ``"auto"``: guessed when they differ
            only by a ``_joint`` suffix; empty: the names must match. The engine's joints
            (``RobotChunk.joint_names``) carry the YAML's names;
            ``MotionEngine.robot_config.urdf_joint_names`` gives the URDF's.
        model: model file (safetensors); empty = the shipped model.
        device: auto (CUDA when present, else CPU), cpu, cuda or cuda:N.
        sampler: window size, steps and guidance of the generator.
        safety: validation and speed clamps applied to every chunk.
        threads: CPU threads for torch (0 = torch's default, one per core). 1 by default: this
            model's small matrices gain nothing from a second thread, and the core left free
            keeps the rest of the process (retargeting, ROS) from stalling torch's threads
            (BENCHMARKS.md).
    """

    robot: str = DEFAULT_ROBOT
    urdf_xml: str = ""
    joint_name_map: Mapping[str, str] | Literal["auto"] = field(default_factory=dict, hash=False)
    model: str = ""
    device: str = "auto"
    sampler: SamplerConfig = field(default_factory=SamplerConfig)
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    threads: int = 1


@dataclass
class RobotChunk:
    """One streamed chunk of robot motion at :attr:`fps`.

    Attributes:
        qpos: (T, nq) configurations: root position (m, world frame, z up), root quaternion
            (x, y, z, w), then joint angles (rad) in :attr:`joint_names` order.
        joint_velocities: (T, n_joints) joint speeds (rad/s), backward differences (the first
            against the last frame of the previous chunk).
        root_velocity: (T, 3) root linear velocity (m/s, world frame).
        joint_names: actuated joints.
        fps: frames per second.
        text: the command the chunk was generated for.
        generate_s, retarget_s, validate_s: wall-clock seconds spent in each stage.
        text_s: wall-clock seconds spent encoding a new command text (0 when unchanged).
        rejected, clamped: frames replaced or slowed by the safety filter.
        held, repaired: the rejected frames held at the last safe frame, or replaced by the
            nearest safe configuration (``rejected = held + repaired``).
        longest_hold: the longest run of consecutive held frames in the chunk.
        reasons: why frames were rejected.
        dynamically_infeasible: frames whose feet cannot carry them, counted with
            ``safety.check_dynamics`` (0 without); they are sent as they are.
        human_positions_m: (T, J, 3) the generated human skeleton the frames were retargeted
            from (m, world frame, z up; moved in x, y so its root joint is over the robot's
            root in every frame), or None.
        human_parents: (J,) parent index of each human joint (-1 for the root).
    """

    qpos: np.ndarray
    joint_velocities: np.ndarray
    root_velocity: np.ndarray
    joint_names: list[str]
    fps: float
    text: str
    generate_s: float
    retarget_s: float
    validate_s: float
    text_s: float = 0.0
    rejected: int = 0
    clamped: int = 0
    held: int = 0
    repaired: int = 0
    longest_hold: int = 0
    reasons: list[str] = field(default_factory=list)
    dynamically_infeasible: int = 0  # frames the feet cannot carry (safety.check_dynamics)
    human_positions_m: np.ndarray | None = None
    human_parents: np.ndarray | None = None

    def head(self, n: int) -> RobotChunk:
        """The first ``n`` frames (a copy of the per-frame arrays)."""
        n = max(0, min(int(n), self.frames))
        return replace(
            self,
            qpos=self.qpos[:n].copy(),
            joint_velocities=self.joint_velocities[:n].copy(),
            root_velocity=self.root_velocity[:n].copy(),
            human_positions_m=None
            if self.human_positions_m is None
            else self.human_positions_m[:n].copy(),
        )

    @property
    def frames(self) -> int:
        return len(self.qpos)

    @property
    def seconds(self) -> float:
        """Duration of the chunk (s)."""
        return self.frames / self.fps

    @property
    def compute_s(self) -> float:
        return self.generate_s + self.retarget_s + self.validate_s


class MotionEngine:
    """Streaming text -> validated robot frames for one robot. Not thread-safe.

    Args:
        model: the text-to-motion model.
        robot: the robot, with its retarget settings (:class:`RobotConfig`), or a
            :class:`Robot` (its settings are then its spec's ``retarget:`` section).
        config: sampling and safety settings (its ``robot`` fields are not used here).
    """

    def __init__(
        self, model: MoLingo, robot: Robot | RobotConfig, config: EngineConfig | None = None
    ) -> None:
        self.config = config or EngineConfig()
        self.model = model
        self.robot_config = (
            robot if isinstance(robot, RobotConfig) else RobotConfig.from_robot(robot)
        )
        self.robot = self.robot_config.robot
        self.fps = float(FPS)
        self.device = str(model.feature_mean.device)
        # Engines of one model (the robots one process serves) draw their windows in batches.
        self.batcher = WindowBatcher.of(model)
        self.reset()

    @classmethod
    def load(cls, config: EngineConfig | None = None) -> MotionEngine:
        """Load the model and the robot named by ``config`` (one read of its YAML, through
        :func:`~molingo_ros.robot.config.load_robot_config`).

        Raises:
            molingo_ros.model.checkpoint.CheckpointError: bad model file.
            molingo_ros.robot.models.RobotModelError: unknown robot (the message lists them),
                a bad robot YAML, a URDF lacking joints of the robot (the message lists them).
            molingo_ros.robot.retarget.RetargetError: a bad ``retarget:`` section.
        """
        config = config or EngineConfig()
        if config.threads:
            torch.set_num_threads(config.threads)
        robot = load_robot_config(
            config.robot,
            urdf_xml=config.urdf_xml or None,
            joint_name_map=config.joint_name_map or None,
        )
        robot.prepare(config.safety.validator)  # collision set-up now, not in the first window
        model = MoLingo.shared(Path(config.model) if config.model else None, device=config.device)
        return cls(model, robot, config)

    @property
    def joint_names(self) -> list[str]:
        return list(self.robot.joint_names)

    @property
    def window_frames(self) -> int:
        return self.config.sampler.emit_tokens * self.model.sae.config.frames_per_token

    def reset(self) -> None:
        """Start a fresh stream (no history, robot placed anew)."""
        self.stream = MotionStream(self.model, self.config.sampler, seed=0)
        self.retargeter = Retargeter(self.robot, self.robot_config.retarget, rig="bandai")
        self.safety = SafetyFilter(self.robot, self.fps, self.config.safety)
        self.dynamics = self._dynamics_watch(self.config.safety)
        self._text: str | None = None
        self._max_speed: float | None = None
        self.frames_out = 0
        self._root_offset = np.zeros(2)
        self._anchor: np.ndarray | None = None

    def set_sampler(self, sampler: SamplerConfig) -> None:
        """Sample with ``sampler`` from the next window on (the stream's history is kept).

        Raises:
            ValueError: a window that does not fit the generator's positions.
        """
        check_window_fits(self.model, sampler)
        self.config = replace(self.config, sampler=sampler)
        self.stream.config = sampler

    def set_safety(self, safety: SafetyConfig) -> None:
        """Filter with ``safety`` from the next chunk on (the last frame sent is kept)."""
        last = self.safety.last_q
        self.config = replace(self.config, safety=safety)
        self.safety = SafetyFilter(self.robot, self.fps, safety)
        self.safety.last_q = last
        self.dynamics = self._dynamics_watch(safety)
        if self.dynamics is not None:
            self.dynamics.restart(last)

    def _dynamics_watch(self, safety: SafetyConfig) -> DynamicsWatch | None:
        """The count of dynamically infeasible frames, when ``safety.check_dynamics``."""
        if not (safety.check_dynamics and self.robot.spec.floating_base):
            return None
        return DynamicsWatch(self.robot, self.fps)

    def rebase(self, q_last: np.ndarray) -> None:
        """Continue from ``q_last`` (nq,), the last frame actually sent, instead of the
        engine's own last output (frames generated but never sent: a discarded chunk, a hold).
        The next chunk's floating base is shifted in x, y to continue from it, its height
        starts from it (the difference fading out over ``ANCHOR_HEIGHT_BLEND`` frames), and
        the safety filter approaches its joint angles from it at the speed limits."""
        q = np.asarray(q_last, dtype=np.float64)
        if q.shape != (self.robot.nq,):
            raise ValueError(f"q_last must have shape ({self.robot.nq},), got {q.shape}")
        self.safety.last_q = q.copy()
        if self.dynamics is not None:
            self.dynamics.restart(q)
        self._anchor = q.copy()

    @property
    def last_q(self) -> np.ndarray | None:
        """The last configuration that left the engine (nq,), or None before the first."""
        return None if self.safety.last_q is None else self.safety.last_q.copy()

    def next_chunk(
        self,
        text: str,
        seed: int | None = None,
        max_frames: int | None = None,
        max_root_speed_m_s: float | None = None,
        tokens: int | None = None,
        history_tokens: int | None = None,
    ) -> RobotChunk:
        """Generate, retarget and validate the next window for ``text``.

        Args:
            text: the command (a new text takes effect now, flowing on from the history).
            seed: reseed the generator first (a command's start).
            max_frames: keep at most this many frames of the window (the end of a command).
            max_root_speed_m_s: cap on the root's planar speed for this text (m/s; an
                in-place skill); None: none.
            tokens: emit at most this many latent tokens (4 frames each) of the window
                (a command's short first chunk); None: ``sampler.emit_tokens``. The window
                is drawn whole either way; the rest is emitted by the next calls.
            history_tokens: the text (re)starts now and its first window sees at most this
                many tokens of history (a command taking over a running motion); None: it
                flows on with the sampler's whole history.
        """
        t_text = time.perf_counter()
        self._follow_text(text, seed, max_root_speed_m_s, history_tokens)
        t0 = time.perf_counter()
        window = self._draw_window(max_frames, tokens)
        t1 = time.perf_counter()
        human = window.to_motion()
        qpos = self.retargeter.process(human)
        self._place_root(qpos)
        t2 = time.perf_counter()
        prev = self.safety.last_q
        safe = self.safety.apply(qpos)
        t3 = time.perf_counter()
        q = safe.qpos
        # The skeleton, carried along with the robot's floating base (its root joint over the
        # robot's root, frame by frame) so the two can be shown side by side.
        skeleton = human.positions_m.copy()
        skeleton[..., :2] += q[:, None, :2] - skeleton[:, :1, :2]
        if max_frames is not None:
            q = q[: max(1, int(max_frames))]
            skeleton = skeleton[: len(q)]
            self.safety.last_q = q[-1].copy()
        jv, rv = backward_velocities(q, prev, self.robot.joint_q_indices, self.fps)
        self.frames_out += len(q)
        return RobotChunk(
            qpos=q,
            joint_velocities=jv,
            root_velocity=rv,
            joint_names=self.joint_names,
            fps=self.fps,
            text=text,
            generate_s=t1 - t0,
            retarget_s=t2 - t1,
            validate_s=t3 - t2,
            text_s=t0 - t_text,
            rejected=safe.rejected,
            clamped=safe.clamped,
            held=safe.held,
            repaired=safe.repaired,
            longest_hold=safe.longest_hold,
            dynamically_infeasible=self.dynamics.count(q) if self.dynamics is not None else 0,
            reasons=safe.reasons,
            human_positions_m=skeleton,
            human_parents=np.asarray(human.parents),
        )

    def _follow_text(
        self,
        text: str,
        seed: int | None,
        max_root_speed_m_s: float | None,
        history_tokens: int | None = None,
    ) -> None:
        """Point the stream at ``text`` with its root speed cap (m/s; None: none), when either
        changed or ``history_tokens`` restarts it; reseed it first when ``seed`` is given."""
        if seed is not None:
            self.stream.reseed(seed)
        changed = (text, max_root_speed_m_s) != (self._text, self._max_speed)
        if changed or history_tokens is not None:
            self.stream.set_text(text, max_root_speed_m_s, history_tokens)
            self._text, self._max_speed = text, max_root_speed_m_s

    def _draw_window(self, max_frames: int | None, tokens: int | None = None) -> WindowOutput:
        """The stream's next window of at most ``tokens`` tokens (None: the sampler's
        ``emit_tokens``); with ``max_frames`` (the command's end is known) drawn only up to
        it."""
        emit = self.config.sampler.emit_tokens
        if tokens is not None:
            emit = max(1, min(emit, int(tokens)))
        if max_frames is None:
            return self.batcher.next_window(self.stream, emit)
        fpt = self.model.sae.config.frames_per_token
        until = tokens_left(0, None, int(max_frames), fpt)
        return self.batcher.next_window(self.stream, min(emit, until), until)

    def _place_root(self, qpos: np.ndarray) -> None:
        """Move the retargeted frames (T, nq), in place, to continue the robot's path: shifted
        in x, y by the offset accumulated so far, and after a :meth:`rebase` re-anchored so
        the first frame is the anchor plus the motion's own first step (x, y shifted for
        good; the height difference fading out over ``ANCHOR_HEIGHT_BLEND`` frames)."""
        qpos[:, :2] += self._root_offset
        if self._anchor is not None and self.robot.spec.floating_base:
            step = qpos[1, :3] - qpos[0, :3] if len(qpos) > 1 else np.zeros(3)
            delta = self._anchor[:3] + step - qpos[0, :3]
            self._root_offset += delta[:2]
            qpos[:, :2] += delta[:2]
            fade = np.clip(1.0 - np.arange(len(qpos)) / ANCHOR_HEIGHT_BLEND, 0.0, 1.0)
            qpos[:, 2] += delta[2] * fade
        self._anchor = None

    def warm_up(self) -> float:
        """Run windows on a throwaway stream: the first pays the first-call costs (kernels,
        caches, collision set-up), the second is timed; returns its seconds of compute (a
        warm window's). The engine's own stream is left fresh."""
        self.next_chunk("a person stands still", seed=0)
        t0 = time.perf_counter()
        self.next_chunk("a person stands still")
        seconds = time.perf_counter() - t0
        self.reset()
        return seconds


__all__ = ["EngineConfig", "MotionEngine", "RobotChunk", "backward_velocities"]
