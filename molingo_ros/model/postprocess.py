"""Post-processing of decoded frames (raw features at :data:`FPS`): causal smoothing, foot
locking and the root speed cap, each usable window by window."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from molingo_ros.motion.rigs import Rig

FPS = 30.0


def smooth_features(
    feats: np.ndarray, alpha: float, previous: np.ndarray | None = None
) -> np.ndarray:
    """Causal exponential smoothing of frames (T, F): ``y_t = a x_t + (1 - a) y_{t-1}``,
    starting from ``previous`` (the last smoothed frame of the stream) or ``x_0``."""
    if alpha >= 1.0:
        return feats
    out = np.empty_like(feats)
    prev = feats[0] if previous is None else previous
    for t in range(len(feats)):
        prev = alpha * feats[t] + (1.0 - alpha) * prev
        out[t] = prev
    return out


def lock_feet(feats: np.ndarray, threshold: float = 0.5, rig: Rig | None = None) -> np.ndarray:
    """Remove foot sliding through the root: for every step t -> t+1 where foot joints are in
    contact in both frames (the generated contact features above ``threshold``), the root's
    horizontal step is reduced by those joints' mean horizontal slip, so planted feet stay
    put. Only the root linear-velocity features change (heading and pose are kept); each step
    depends on its two frames only, so windows can be locked one by one. Raw features in/out,
    of ``rig`` (default: the Bandai rig).
    """
    from molingo_ros.motion.features import feature_slices, features_to_positions
    from molingo_ros.motion.rigs import BANDAI

    if len(feats) < 2:
        return feats
    rig = rig or BANDAI
    joints = len(rig.joint_names)
    sl = feature_slices(joints)
    pos, root = features_to_positions(feats, joints)
    feet = [rig.index(j) for j in rig.feet]
    contact = feats[:, sl["foot_contact"]] > threshold  # (T, 4) in rig.feet order
    planted = contact[:-1] & contact[1:]  # (T-1, 4)
    slip = pos[1:, feet, :2] - pos[:-1, feet, :2]  # (T-1, 4, 2)
    count = planted.sum(1, keepdims=True)
    mean_slip = (slip * planted[..., None]).sum(1) / np.maximum(count, 1)
    c, s_ = np.cos(root.heading_rad[:-1]), np.sin(root.heading_rad[:-1])
    # world step -> root-local: rotate by -heading
    local = np.stack(
        [c * mean_slip[:, 0] + s_ * mean_slip[:, 1], -s_ * mean_slip[:, 0] + c * mean_slip[:, 1]],
        axis=1,
    )
    # The correction switches with the contacts; smooth it (causal, as the output smoothing)
    # so the root does not jerk where a foot lands or lifts.
    local = smooth_features(local, 0.5)
    out = feats.copy()
    out[:-1, sl["root_lin_vel"]] -= local
    return out


def limit_root_speed(feats: np.ndarray, max_speed_m_s: float | None) -> np.ndarray:
    """Cap the root's planar speed of every frame at ``max_speed_m_s`` (m/s at :data:`FPS`;
    None: unchanged). Only the root linear-velocity features change; the pose is kept, so
    a gesture that drifts stays where it is instead of sliding. Raw features in/out."""
    if max_speed_m_s is None:
        return feats
    if max_speed_m_s < 0:
        raise ValueError(f"max_speed_m_s must be >= 0, got {max_speed_m_s}")
    from molingo_ros.motion.features import feature_slices

    sl = feature_slices(21)["root_lin_vel"]
    step = feats[:, sl]
    speed = np.linalg.norm(step, axis=1) * FPS
    scale = np.minimum(1.0, max_speed_m_s / np.maximum(speed, 1e-9))
    out = feats.copy()
    out[:, sl] = step * scale[:, None]
    return out


__all__ = ["FPS", "limit_root_speed", "lock_feet", "smooth_features"]
