"""The last gate before a robot: every frame is validated, and an invalid one is never sent.

:class:`SafetyFilter` takes the robot frames of one streamed chunk and returns frames that all
pass the pinocchio validator (:func:`molingo_ros.robot.validator.validate`: joint limits, joint
speed limits, self-collision, feet through the floor) together with the last frame that was
sent. It works frame by frame, each output frame starting from the previous output frame:

- every output frame is **speed-limited** from the previous one (joints at most
  ``velocity_fraction`` of their limit per frame, the floating base at most
  ``max_root_speed_m_s``): a valid frame too far away (after a repair or a hold, or the first
  frame of a new stream) is approached at the speed limit (counted as *clamped*), so the
  output blends back into the input motion within a few frames;
- a rejected frame (or a clamped one that fails) is replaced by the closest safe configuration
  found cheaply (counted as *repaired*): the frame projected into the joint limits and
  speed-clamped; if that still fails, the same with its root raised onto the floor (when a
  foot went through it), else the largest safe step from the previous output frame towards it
  (fractions from 7/8 down to 1/32), these candidates validated in one batch;
- only when nothing safe is found (or the frame is not finite) is the previous output frame
  **held** (counted as *held*); further rejected input frames right after such a failed
  search are held without searching again. One bad input frame therefore costs at most one
  held output frame; the chunk is never frozen for it.

Validation is batched: the input frames are checked once, all together; only the frames that
the filter changed (clamped or repaired) are checked again. Speeds need no second look: each
output frame is built inside the speed limits from the previous one. The last frame sent
(:attr:`SafetyFilter.last_q`) is trusted as safe: it is what the robot was last given.

No ROS imports; the node calls it on every chunk before publishing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from molingo_ros.robot.models import Robot
from molingo_ros.robot.validator import ValidatorConfig, validate
from molingo_ros.settings import setting

#: Frame rate (frames/s) for the per-frame checks: finite steps become far below every speed
#: limit, so ``validate`` judges limits, self-collision and the floor only (speeds are
#: guaranteed by construction, see :meth:`SafetyFilter._clamp`).
_STATIC_FPS = 1e-9

#: Fractions of the step from the previous output frame to a failing candidate tried by a
#: repair, largest first: eighths, then two more halvings. One batched validator call (a call
#: costs ~1.7 ms on the G1 plus ~0.3 ms per colliding frame), cheaper than sequential halvings,
#: and the largest safe fraction on the grid even where safety is not monotone along it.
_REPAIR_FRACTIONS = np.array([7, 6, 5, 4, 3, 2, 1, 0.5, 0.25]) / 8.0

#: Relative margin under the speed limit, so round-off of a step clamped to exactly the limit
#: (``velocity_fraction`` = 1) never reads as a violation.
_STEP_MARGIN = 1e-9

# Per-frame outcome codes (internal).
_KEPT, _CLAMPED, _REPAIRED, _HELD = 0, 1, 2, 3


class SafetyError(RuntimeError):
    """No safe frame exists to hold (the very first chunk has no valid frame)."""


@dataclass(frozen=True)
class SafetyConfig:
    """Settings of :class:`SafetyFilter`.

    Attributes:
        velocity_fraction: joints move at most this fraction of their speed limit from one
            output frame to the next (0 < f <= 1).
        validator: the checks (limits, speeds, self-collision, floor).
        check_floor: reject frames with a foot below the floor (validator tolerance).
        max_root_speed_m_s: the floating base moves at most this fast (m/s, any direction);
            faster steps (a jump of the root) are slowed to it and counted as clamped.
        check_dynamics: count the frames whose feet cannot carry them
            (:class:`~molingo_ros.runtime.dynamics_watch.DynamicsWatch`); not held.
    """

    velocity_fraction: float = setting(
        0.9, "joints close gaps at this fraction of their speed limit", range=(0.01, 1.0)
    )
    validator: ValidatorConfig = field(default_factory=ValidatorConfig)
    check_floor: bool = setting(True, "reject frames with a foot below the floor")
    max_root_speed_m_s: float = 8.0
    check_dynamics: bool = setting(
        False,
        "count the frames whose feet cannot carry them (ZMP outside the soles, friction, "
        "pulling, non-ballistic flight; docs/DYNAMICS.md) on /diagnostics, about 3 ms per 8 "
        "frames; they are not held: retargeted walking fails the check in most frames",
    )

    def __post_init__(self) -> None:
        if not 0 < self.velocity_fraction <= 1:
            raise ValueError(f"velocity_fraction must be in (0, 1], got {self.velocity_fraction}")
        if not self.max_root_speed_m_s > 0:
            raise ValueError(f"max_root_speed_m_s must be positive, got {self.max_root_speed_m_s}")


@dataclass
class SafeChunk:
    """Frames that passed the filter.

    Attributes:
        qpos: (T, nq) configurations: root position (m, world frame, z up), root quaternion
            (x, y, z, w), joint angles (rad) in ``robot.joint_names`` order.
        clamped: valid frames slowed to the speed limits (otherwise as in the input).
        reasons: short descriptions of why frames were rejected (at most a few).
        held: frames where the previous output frame was held (nothing safe was found, the
            input was not finite, or a first chunk's frames before its first valid one).
        repaired: rejected frames replaced by a projected or interpolated safe configuration.
        longest_hold: longest run of consecutive held frames in this chunk.
    """

    qpos: np.ndarray
    clamped: int = 0
    reasons: list[str] = field(default_factory=list)
    held: int = 0
    repaired: int = 0
    longest_hold: int = 0

    @property
    def rejected(self) -> int:
        """Frames not sent as given or slowed: ``held + repaired``."""
        return self.held + self.repaired


class SafetyFilter:
    """Stateful filter over a stream of chunks (remembers the last frame sent)."""

    def __init__(self, robot: Robot, fps: float, config: SafetyConfig | None = None) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.robot = robot
        self.fps = float(fps)
        self.config = config or SafetyConfig()
        self.last_q: np.ndarray | None = None
        shrink = (1.0 - _STEP_MARGIN) / self.fps
        self._max_step = robot.velocity_limits * self.config.velocity_fraction * shrink
        self._max_root_step = self.config.max_root_speed_m_s * shrink
        checks = self.config.validator
        if not self.config.check_floor:
            checks = replace(checks, foot_penetration_tolerance_m=1e9)
        self._checks = checks

    def reset(self, last_q: np.ndarray | None = None) -> None:
        """Forget (or set) the last frame sent."""
        self.last_q = None if last_q is None else np.asarray(last_q, dtype=np.float64).copy()

    def apply(self, qpos: np.ndarray) -> SafeChunk:
        """Filter one chunk (T, nq) of configurations (layout as :attr:`SafeChunk.qpos`);
        updates :attr:`last_q`.

        Raises:
            ValueError: wrong shape.
            SafetyError: no safe frame to hold (first chunk without a single valid frame).
        """
        qpos = np.asarray(qpos, dtype=np.float64)
        if qpos.ndim != 2 or qpos.shape[1] != self.robot.nq or len(qpos) == 0:
            raise ValueError(f"qpos must be (T, {self.robot.nq}) with T >= 1, got {qpos.shape}")
        ok, reasons = self._static_ok(qpos)
        start = self.last_q
        if start is not None and not self._usable(start[None])[0]:
            start = None  # a corrupt last frame is no anchor: start afresh
        out = np.empty_like(qpos)
        kind = np.full(len(qpos), _KEPT, dtype=np.int8)
        t = 0
        if start is None:
            valid = np.flatnonzero(ok)
            if len(valid) == 0:
                raise SafetyError(
                    "no frame of the first chunk passes validation: " + "; ".join(reasons)
                )
            t = int(valid[0])
            start = qpos[t]
            out[:t], kind[:t] = start, _HELD  # nothing was sent yet: wait at the first valid
        failed = -2  # the last frame held because no safe step from it was found
        while t < len(qpos):
            if not ok[t] and failed == t - 1:
                # Still a rejected input frame, and no safe step was found from the frame it
                # would start from: hold on without the same search again.
                out[t], kind[t], failed = out[t - 1], _HELD, t
                t += 1
                continue
            end, known_bad = self._propose(qpos, ok, out, kind, start, t)
            bad = self._first_failure(out, kind, t, end - 1 if known_bad else end, reasons)
            if bad is None and known_bad:
                bad = end - 1
            if bad is None:
                break
            prev = out[bad - 1] if bad > 0 else start
            out[bad], kind[bad] = self._repair(prev, out[bad])
            failed = bad if kind[bad] == _HELD else failed
            t = bad + 1  # everything after it starts again from the repaired frame
        self.last_q = out[-1].copy()
        return _chunk(out, kind, reasons)

    def _first_failure(
        self, out: np.ndarray, kind: np.ndarray, t0: int, t1: int, reasons: list[str]
    ) -> int | None:
        """Index of the first frame of ``out[t0:t1]`` that the filter changed (clamped or
        repaired) and that fails the per-frame checks, or None; one validator call for them
        all. Frames it did not change passed with the input. Adds to ``reasons``."""
        changed = t0 + np.flatnonzero((kind[t0:t1] == _CLAMPED) | (kind[t0:t1] == _REPAIRED))
        if len(changed) == 0:
            return None
        good, more = self._static_ok(out[changed])
        if good.all():
            return None
        _add_reasons(reasons, more)
        return int(changed[np.argmin(good)])

    def _static_ok(self, qpos: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Per-frame validity of ``qpos`` (N, nq) without the speed check: finite values and a
        usable root quaternion, joint limits, self-collision, the floor (when
        ``check_floor``). One validator call for all frames. Returns ((N,) bool, reasons)."""
        usable = self._usable(qpos)
        reasons = [] if usable.all() else ["non-finite values"]
        if not usable.any():
            return usable, reasons
        checked = np.where(usable[:, None], qpos, self.robot.neutral()[None])
        report = validate(self.robot, checked, _STATIC_FPS, config=self._checks)
        if report.joint_limit_violations:
            reasons.append(f"{report.joint_limit_violations} joint-limit violations")
        if report.self_collision_frames:
            reasons.append(f"{report.self_collision_frames} self-collision frames")
        if report.penetration_frames and self.config.check_floor:
            reasons.append(f"{report.penetration_frames} frames with a foot below the floor")
        return usable & report.frame_ok, reasons

    def _usable(self, qpos: np.ndarray) -> np.ndarray:
        """(N,) bool: frames with only finite values and (floating base) a non-zero root
        quaternion; the others cannot be repaired, only held."""
        usable = np.isfinite(qpos).all(axis=1)
        if self.robot.spec.floating_base:
            with np.errstate(invalid="ignore"):
                usable &= np.linalg.norm(qpos[:, 3:7], axis=1) > 1e-9
        return usable

    def _propose(
        self,
        qpos: np.ndarray,
        ok: np.ndarray,
        out: np.ndarray,
        kind: np.ndarray,
        start: np.ndarray,
        t0: int,
    ) -> tuple[int, bool]:
        """Fill ``out`` and ``kind`` frame by frame from ``t0`` on, each frame from the one
        before (``start`` before frame 0), not yet validated: a valid input frame is
        speed-clamped (kept or clamped), a rejected one projected into the joint limits and
        speed-clamped (repaired, if it passes), an unusable one held. Stops after a rejected
        frame that this left exactly as it was (it fails for sure; the frames after it depend
        on its repair). Returns (end of the filled frames, whether that last one is such)."""
        usable = self._usable(qpos[t0:])
        prev = out[t0 - 1] if t0 > 0 else start
        for i, t in enumerate(range(t0, len(qpos))):
            if not usable[i]:
                out[t], kind[t] = prev, _HELD
            elif ok[t]:
                out[t], slowed = self._clamp(prev, qpos[t])
                kind[t] = _CLAMPED if slowed else _KEPT
            else:
                out[t], _ = self._clamp(prev, self._project(qpos[t]))
                kind[t] = _REPAIRED
                if np.array_equal(out[t], qpos[t]):
                    return t + 1, True
            prev = out[t]
        return len(qpos), False

    def _project(self, q: np.ndarray) -> np.ndarray:
        """``q`` (nq,) with its joint angles clipped into [lower, upper] (rad); a copy, the
        other coordinates as they are (an angle within its limits keeps its exact value)."""
        q = q.copy()
        idx = self.robot.joint_q_indices
        q[idx] = np.clip(q[idx], self.robot.lower, self.robot.upper)
        return q

    def _clamp(self, prev: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, bool]:
        """``target`` (nq,) moved at most one frame's step from ``prev``: each joint at most
        ``velocity_fraction`` x its limit / fps (rad), the root position at most
        ``max_root_speed_m_s`` / fps (m, world frame). Returns (frame, whether it was slowed)."""
        q = target.copy()
        idx = self.robot.joint_q_indices
        lo, hi = prev[idx] - self._max_step, prev[idx] + self._max_step
        slowed = bool(np.any(q[idx] < lo) or np.any(q[idx] > hi))
        if slowed:
            q[idx] = np.clip(q[idx], lo, hi)
        if self.robot.spec.floating_base:
            step = q[:3] - prev[:3]
            norm = float(np.linalg.norm(step))
            if norm > self._max_root_step:
                q[:3] = prev[:3] + step * (self._max_root_step / norm)
                slowed = True
        return q, slowed

    def _repair(self, prev: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, int]:
        """The safe frame closest to ``target`` (nq,), a failing frame within one frame's step
        of ``prev`` (a safe frame): ``target`` with its root raised onto the floor (when a foot
        is below it), else the largest of :data:`_REPAIR_FRACTIONS` of the way from ``prev``
        towards ``target`` (inside the speed limits like ``target``), all validated in one
        batch. Returns (frame, _REPAIRED) or, if none passes, (``prev``, _HELD)."""
        candidates = self._blend(prev, target, _REPAIR_FRACTIONS)
        lifted = self._lift_onto_floor(prev, target)
        if lifted is not None:
            candidates = np.concatenate([lifted[None], candidates])
        good, _ = self._static_ok(candidates)
        if not good.any():
            return prev.copy(), _HELD
        return candidates[int(np.argmax(good))], _REPAIRED

    def _lift_onto_floor(self, prev: np.ndarray, q: np.ndarray) -> np.ndarray | None:
        """``q`` (nq,) with its root raised (world z, m) so that its lowest sole centre is on
        the floor (z = 0), the horizontal root step from ``prev`` shortened to keep the root
        within its speed limit; None where no sole is below the floor tolerance (or the floor
        is not checked), or the lift alone is beyond the root speed limit. A joint that lags
        behind the root (a knee slowed by its speed limit while the root drops) puts a foot
        through the floor: lifting the root is the closest fix, and the joints stay as they
        are (the root height is not commanded to the robot, only the joint angles)."""
        if not (self.config.check_floor and self.robot.spec.floating_base):
            return None
        low = min(float(p[2]) for p in self.robot.sole_positions(q).values())
        if low >= -self.config.validator.foot_penetration_tolerance_m:
            return None
        out = q.copy()
        out[2] -= low
        dz = out[2] - prev[2]
        if abs(dz) > self._max_root_step:
            return None
        flat = out[:2] - prev[:2]
        norm, budget = float(np.linalg.norm(flat)), float(np.sqrt(self._max_root_step**2 - dz**2))
        if norm > budget:
            out[:2] = prev[:2] + flat * (budget / norm)
        return out

    def _blend(self, a: np.ndarray, b: np.ndarray, fractions: np.ndarray) -> np.ndarray:
        """(K, nq) configurations a fraction of the way from ``a`` to ``b`` (nq,): root
        position and joint angles linear, root quaternion normalised-linear along the shorter
        arc."""
        s = fractions[:, None]
        b = b.copy()
        if self.robot.spec.floating_base and np.dot(a[3:7], b[3:7]) < 0:
            b[3:7] = -b[3:7]  # the same rotation, on a's side
        q = a[None] + s * (b - a)[None]
        if self.robot.spec.floating_base:
            q[:, 3:7] /= np.linalg.norm(q[:, 3:7], axis=1, keepdims=True)
        return q


def _add_reasons(reasons: list[str], more: list[str]) -> None:
    """Append the reasons not yet listed."""
    reasons.extend(r for r in more if r not in reasons)


def _chunk(out: np.ndarray, kind: np.ndarray, reasons: list[str]) -> SafeChunk:
    """The :class:`SafeChunk` of output frames ``out`` with per-frame outcomes ``kind``."""
    held = kind == _HELD
    longest = run = 0
    for h in held:
        run = run + 1 if h else 0
        longest = max(longest, run)
    return SafeChunk(
        qpos=out,
        clamped=int(np.sum(kind == _CLAMPED)),
        reasons=reasons[:4],
        held=int(held.sum()),
        repaired=int(np.sum(kind == _REPAIRED)),
        longest_hold=longest,
    )


__all__ = ["SafeChunk", "SafetyConfig", "SafetyError", "SafetyFilter"]
