"""Stick-figure previews of :class:`~molingo_ros.motion.motion.Motion` clips.

Renders global joint positions as a 3-D stick figure with matplotlib, one line per bone
(joint -> parent), standing on a floor grid at z = 0. World convention is the project's
(see :mod:`molingo_ros.motion.motion`): metres, **z up**, **x forward**, y to the
character's left, floor at z = 0. Axes have equal scale in all three directions, so a
metre is a metre in x, y and z.

Outputs:

* ``.gif`` and ``.mp4`` (H.264, yuv420p) with :func:`render_motion` and
  :func:`render_side_by_side` (written by :mod:`molingo_ros.motion.render_writer`);
* a single still ``.png`` with :func:`render_frame_png`.

Drawing options are a :class:`~molingo_ros.motion.render_config.RenderConfig`; the figure and
its artists are built by :mod:`molingo_ros.motion.render_scene`. Pyplot is never imported and
neither the global backend nor the global rcParams are changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np

from molingo_ros.motion.motion import Motion
from molingo_ros.motion.render_config import RenderConfig
from molingo_ros.motion.render_scene import Scene
from molingo_ros.motion.render_writer import VIDEO_SUFFIXES, check_suffix, write_video

__all__ = [
    "render_frame_png",
    "render_motion",
    "render_side_by_side",
]


def _frame_times(motions: Sequence[Motion], cfg: RenderConfig) -> tuple[float, np.ndarray]:
    """Output fps and the source frame index of every motion at every output frame.

    Returns ``(fps_out, index)`` with ``index`` of shape (N, len(motions)); a motion
    shorter than the longest holds its last frame.
    """
    fps_out = float(cfg.fps) if cfg.fps is not None else motions[0].fps / cfg.stride
    last_s = max((m.num_frames - 1) / m.fps for m in motions)
    n_out = int(np.floor(last_s * fps_out + 1e-6)) + 1
    if cfg.max_frames is not None:
        n_out = min(n_out, int(cfg.max_frames))
    t_s = np.arange(n_out) / fps_out
    index = np.empty((n_out, len(motions)), dtype=np.int64)
    for i, m in enumerate(motions):
        index[:, i] = np.minimum(np.rint(t_s * m.fps + 1e-9).astype(np.int64), m.num_frames - 1)
    return fps_out, index


def render_motion(
    motion: Motion,
    out: str | Path,
    config: RenderConfig | None = None,
    *,
    title: str | None = None,
) -> Path:
    """Render ``motion`` as an animated 3-D stick figure.

    Args:
        motion: the clip; ``positions_m`` in metres, world frame (z up, x forward,
            floor at z = 0).
        out: output file, ``.gif`` or ``.mp4`` (H.264, yuv420p); parent folders are
            created.
        config: drawing options, :class:`RenderConfig` defaults if ``None``.
        title: caption drawn on top; defaults to ``motion.text`` (no caption if both
            are ``None``). Each frame's subtitle is ``motion.frame_labels[t]`` (if any)
            and the time of the source frame in seconds.

    Returns:
        ``out`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: ``out`` has another suffix than ``.gif`` or ``.mp4``.
    """
    return render_side_by_side([motion], out, config, title=title if title else motion.text)


def render_side_by_side(
    motions: Sequence[Motion],
    out: str | Path,
    config: RenderConfig | None = None,
    titles: Sequence[str | None] | None = None,
    *,
    title: str | None = None,
) -> Path:
    """Render several motions in adjacent 3-D panels on one shared clock.

    Every panel uses the same scale (metres per pixel) and camera angles, so e.g. a
    human clip and its retargeted robot motion compare directly. Output frame ``k``
    shows each motion at time ``k / fps``; a motion that has ended holds its last frame
    (its subtitle says ``(end)``).

    Args:
        motions: one or more clips (may differ in length, fps and skeleton).
        out: output file, ``.gif`` or ``.mp4``; parent folders are created.
        config: drawing options; ``figsize_in`` is the size of one panel. Without
            ``config.fps`` the output runs at ``motions[0].fps / stride``.
        titles: one title per panel, ``None`` entries (or ``titles=None``) fall back to
            the motion's ``name``, then its ``text``. With a single motion the default is
            no panel title (use ``title``).
        title: optional caption across the whole figure.

    Returns:
        ``out`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: no motions, ``titles`` of the wrong length, or an unsupported suffix.
    """
    cfg = config if config is not None else RenderConfig()
    out = Path(out)
    check_suffix(out, VIDEO_SUFFIXES)
    motions = list(motions)
    if not motions:
        raise ValueError("render_side_by_side needs at least one motion")
    if titles is None:
        titles = [None] * len(motions)
    if len(titles) != len(motions):
        raise ValueError(f"{len(titles)} titles for {len(motions)} motions")
    panel_titles = [
        t if t is not None else (None if len(motions) == 1 else (m.name or m.text))
        for t, m in zip(titles, motions, strict=True)
    ]
    fps_out, index = _frame_times(motions, cfg)
    scene = Scene(motions, cfg, title, panel_titles)

    def update(k: int) -> None:
        scene.show(index[k], index[k - 1] if k > 0 else None)

    try:
        return write_video(scene.fig, out, fps_out, len(index), update, cfg, desc=out.name)
    finally:
        scene.close()


def render_frame_png(
    motion: Motion,
    t: int,
    out: str | Path,
    config: RenderConfig | None = None,
    *,
    title: str | None = None,
) -> Path:
    """Render source frame ``t`` of ``motion`` as a still ``.png``.

    Args:
        motion: the clip (metres, z up, x forward, floor at z = 0).
        t: source frame index; negative counts from the end like Python indexing.
        out: output ``.png`` path; parent folders are created.
        config: drawing options (``dpi``, ``figsize_in``, camera, colours, ...).
        title: caption, defaults to ``motion.text``.

    Returns:
        ``out`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: ``out`` is not a ``.png``.
        IndexError: ``t`` is out of range.
    """
    cfg = config if config is not None else RenderConfig()
    out = Path(out)
    check_suffix(out, (".png",))
    n = motion.num_frames
    if not -n <= t < n:
        raise IndexError(f"frame {t} out of range for a motion of {n} frames")
    t = int(t) % n
    scene = Scene([motion], cfg, title if title else motion.text, [None])
    try:
        scene.panels[0].update(t)
        out.parent.mkdir(parents=True, exist_ok=True)
        with matplotlib.rc_context({"savefig.bbox": None}):
            scene.fig.savefig(out, dpi=cfg.dpi, facecolor="white")
    finally:
        scene.close()
    return out
