"""Stick-figure previews of :class:`~molingo_ros.motion.motion.Motion` clips.

Renders global joint positions as a 3-D stick figure with matplotlib, one line per bone
(joint -> parent), standing on a floor grid at z = 0. World convention is the project's
(see :mod:`molingo_ros.motion.motion`): metres, **z up**, **x forward**, y to the
character's left, floor at z = 0. Axes have equal scale in all three directions, so a
metre is a metre in x, y and z.

Outputs:

* ``.gif`` through matplotlib's :class:`~matplotlib.animation.PillowWriter`;
* ``.mp4`` (H.264, yuv420p) through :class:`~matplotlib.animation.FFMpegWriter`, using
  the ffmpeg binary shipped with ``imageio-ffmpeg`` (no system ffmpeg is needed);
* a single still ``.png`` with :func:`render_frame_png`.

Figures are built on :class:`matplotlib.figure.Figure` with an explicit
:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`: pyplot is never imported and
neither the global backend nor the global rcParams are changed. Artists are created once
and updated per frame.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.animation import AbstractMovieWriter, FFMpegWriter, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers the "3d" projection)
from mpl_toolkits.mplot3d.art3d import Line3DCollection, Poly3DCollection

from molingo_ros.motion.motion import Motion

__all__ = [
    "RenderConfig",
    "VIDEO_SUFFIXES",
    "joint_sides",
    "render_frame_png",
    "render_motion",
    "render_side_by_side",
]

#: Output suffixes :func:`render_motion` and :func:`render_side_by_side` understand.
VIDEO_SUFFIXES: tuple[str, ...] = (".gif", ".mp4")

_LEFT, _RIGHT, _CENTRE = "L", "R", "C"


@dataclass
class RenderConfig:
    """How to draw a motion.

    Attributes:
        figsize_in: (width, height) of one panel, inches. Side-by-side figures are
            ``len(motions)`` panels wide.
        dpi: dots per inch; the frame size in pixels is ``figsize_in * dpi`` (rounded to
            even numbers for ``.mp4``).
        fps: output frame rate, frames/s. Frames are picked from the source by nearest
            time, so playback stays real time. ``None``: source fps / ``stride``.
        elev_deg: camera elevation above the floor plane, degrees.
        azim_deg: camera azimuth about +z, degrees, measured from +x (forward) towards +y
            (left). The default -60 looks at the character's front-right side.
        trail: draw the root's path so far, projected onto the floor.
        follow: camera follows the root in x/y (a fixed-size window around the
            character); ``False``: fixed bounds enclosing the whole clip.
        max_frames: render at most this many output frames (the clip is cut), ``None``
            for all.
        stride: when ``fps`` is ``None``, keep every ``stride``-th source frame.
        left_color, right_color, centre_color: bone colours for joints on the
            character's left, right, and neither (see :func:`joint_sides`).
        line_width: bone line width, points.
        joint_size: joint marker size, points; 0 hides the markers.
        floor_grid_m: floor grid spacing, metres; 0 hides the grid lines.
        floor_color, grid_color: floor plane fill and grid line colours.
        trail_color: colour of the root trail.
        margin_m: free space kept around the character, metres.
        show_axes: draw matplotlib's 3-D axes, ticks and panes (slower, busier).
        title_fontsize: caption font size, points (panel titles and subtitles are
            drawn slightly smaller).
        progress: show a tqdm progress bar (automatically off when not on a TTY).
        mp4_crf: H.264 constant-rate factor for ``.mp4`` (lower: better, bigger).
    """

    figsize_in: tuple[float, float] = (5.0, 5.0)
    dpi: int = 80
    fps: float | None = None
    elev_deg: float = 15.0
    azim_deg: float = -60.0
    trail: bool = True
    follow: bool = True
    max_frames: int | None = None
    stride: int = 1
    left_color: str = "#1f77b4"
    right_color: str = "#d62728"
    centre_color: str = "#7f7f7f"
    line_width: float = 2.5
    joint_size: float = 3.0
    floor_grid_m: float = 0.5
    floor_color: str = "#ececec"
    grid_color: str = "#c4c4c4"
    trail_color: str = "#2ca02c"
    margin_m: float = 0.3
    show_axes: bool = False
    title_fontsize: float = 11.0
    progress: bool = True
    mp4_crf: int = 23

    def __post_init__(self) -> None:
        if len(self.figsize_in) != 2 or min(self.figsize_in) <= 0:
            raise ValueError(f"figsize_in must be two positive inches, got {self.figsize_in}")
        if self.dpi <= 0:
            raise ValueError(f"dpi must be positive, got {self.dpi}")
        if self.fps is not None and self.fps <= 0:
            raise ValueError(f"fps must be positive or None, got {self.fps}")
        if int(self.stride) != self.stride or self.stride < 1:
            raise ValueError(f"stride must be an integer >= 1, got {self.stride}")
        if self.max_frames is not None and self.max_frames < 1:
            raise ValueError(f"max_frames must be >= 1 or None, got {self.max_frames}")
        if self.margin_m < 0 or self.floor_grid_m < 0:
            raise ValueError("margin_m and floor_grid_m must be >= 0")


# --------------------------------------------------------------------------- helpers


def _name_tokens(name: str) -> list[str]:
    """Lower-case tokens of a joint name, split on punctuation and camelCase."""
    tokens: list[str] = []
    for part in re.split(r"[^0-9A-Za-z]+", name):
        tokens.extend(re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", part))
    return [t.lower() for t in tokens]


def joint_sides(joint_names: Sequence[str]) -> list[str]:
    """Body side of each joint: ``"L"`` (left), ``"R"`` (right) or ``"C"`` (centre).

    Case-insensitive. A name is left if it contains ``left`` or has a separate ``l``
    token (``L_Hip``, ``hip_l``, ``hip.L``, ``LHipJoint``, ``lShoulder``), right likewise
    with ``right``/``r``; anything else is centre. Tokens split on non-alphanumerics and
    camelCase, so ``spine_lower`` or ``Root`` are not mistaken for a side.
    """
    sides = []
    for name in joint_names:
        low = name.lower()
        tokens = _name_tokens(name)
        if "left" in low or "l" in tokens:
            sides.append(_LEFT)
        elif "right" in low or "r" in tokens:
            sides.append(_RIGHT)
        else:
            sides.append(_CENTRE)
    return sides


def _root_index(motion: Motion) -> int:
    roots = np.flatnonzero(motion.parents < 0)
    return int(roots[0]) if roots.size else 0


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


def _check_suffix(out: Path, allowed: Sequence[str]) -> str:
    suffix = out.suffix.lower()
    if suffix not in allowed:
        raise ValueError(
            f"cannot render to {str(out)!r}: unsupported suffix {out.suffix!r}, "
            f"use one of {', '.join(allowed)}"
        )
    return suffix


def _wrap(text: str, width_in: float, fontsize: float) -> str:
    chars = max(16, int(width_in * 72.0 / (0.65 * fontsize)))  # bold glyphs ~0.6 em wide
    return "\n".join(textwrap.fill(line, chars) for line in text.splitlines() or [""])


# --------------------------------------------------------------------------- scene


class _Panel:
    """One 3-D axes showing one motion; :meth:`update` moves its artists to a frame."""

    def __init__(
        self,
        ax: Axes3D,
        motion: Motion,
        cfg: RenderConfig,
        window_r_m: float,
        z_lim_m: tuple[float, float],
        fixed_centre_xy: np.ndarray,
        subtitle: Text,
    ) -> None:
        self.ax = ax
        self.motion = motion
        self.cfg = cfg
        self.r = window_r_m
        self.subtitle = subtitle
        self.root = _root_index(motion)
        self.fixed_centre_xy = fixed_centre_xy
        self.trail_xy = motion.positions_m[:, self.root, :2]

        ax.computed_zorder = False  # draw order below: floor, grid, trail, bones, joints
        ax.set_autoscale_on(False)
        ax.view_init(elev=cfg.elev_deg, azim=cfg.azim_deg)
        ax.set_box_aspect((2 * self.r, 2 * self.r, z_lim_m[1] - z_lim_m[0]), zoom=1.0)
        if cfg.show_axes:
            ax.set_xlabel("x [m]")
            ax.set_ylabel("y [m]")
            ax.set_zlabel("z [m]")
        else:
            ax.set_axis_off()

        self.floor = Poly3DCollection(
            [np.zeros((4, 3))], facecolors=cfg.floor_color, edgecolors="none", zorder=0
        )
        ax.add_collection3d(self.floor)
        dummy = [np.zeros((2, 3))]  # add_collection3d() cannot take empty collections
        self.grid = Line3DCollection(dummy, colors=cfg.grid_color, linewidths=0.6, zorder=1)
        ax.add_collection3d(self.grid)
        (self.trail,) = ax.plot([], [], [], color=cfg.trail_color, lw=1.5, zorder=2)
        self.trail.set_visible(cfg.trail)

        sides = joint_sides(motion.joint_names)
        colours = {_LEFT: cfg.left_color, _RIGHT: cfg.right_color, _CENTRE: cfg.centre_color}
        self.bone_groups: list[tuple[np.ndarray, np.ndarray, Line3DCollection]] = []
        self.joint_groups: list[tuple[np.ndarray, object]] = []
        children = np.flatnonzero(motion.parents >= 0)
        for side in (_CENTRE, _LEFT, _RIGHT):  # sides drawn over the centre line
            kids = np.array([c for c in children if sides[c] == side], dtype=np.int64)
            if kids.size:
                coll = Line3DCollection(
                    dummy,
                    colors=colours[side],
                    linewidths=cfg.line_width,
                    zorder=3,
                    capstyle="round",
                )
                ax.add_collection3d(coll)
                self.bone_groups.append((kids, motion.parents[kids], coll))
            joints = np.array([j for j in range(motion.num_joints) if sides[j] == side])
            if joints.size and cfg.joint_size > 0:
                (dots,) = ax.plot(
                    [],
                    [],
                    [],
                    linestyle="none",
                    marker="o",
                    ms=cfg.joint_size,
                    color=colours[side],
                    zorder=4,
                )
                self.joint_groups.append((joints, dots))
        ax.set_zlim(*z_lim_m)

    def update(self, t: int, held: bool = False) -> None:
        """Show source frame ``t`` of the motion; ``held``: the clip has already ended."""
        m, cfg, r = self.motion, self.cfg, self.r
        pos = m.positions_m[t]
        cx, cy = self.trail_xy[t] if cfg.follow else self.fixed_centre_xy
        x0, x1, y0, y1 = cx - r, cx + r, cy - r, cy + r
        self.ax.set_xlim(x0, x1)
        self.ax.set_ylim(y0, y1)

        self.floor.set_verts([[(x0, y0, 0.0), (x1, y0, 0.0), (x1, y1, 0.0), (x0, y1, 0.0)]])
        if cfg.floor_grid_m > 0:
            g = cfg.floor_grid_m
            xs = np.arange(np.ceil(x0 / g), np.floor(x1 / g) + 1) * g
            ys = np.arange(np.ceil(y0 / g), np.floor(y1 / g) + 1) * g
            segs = [[(x, y0, 0.0), (x, y1, 0.0)] for x in xs]
            segs += [[(x0, y, 0.0), (x1, y, 0.0)] for y in ys]
            self.grid.set_segments(segs)

        if cfg.trail:
            xy = self.trail_xy[: t + 1].copy()
            outside = (np.abs(xy[:, 0] - cx) > r) | (np.abs(xy[:, 1] - cy) > r)
            xy[outside] = np.nan  # no clipping in mplot3d: hide what leaves the floor
            self.trail.set_data_3d(xy[:, 0], xy[:, 1], np.full(len(xy), 1e-3))

        for kids, parents, coll in self.bone_groups:
            coll.set_segments(np.stack([pos[kids], pos[parents]], axis=1))
        for joints, dots in self.joint_groups:
            p = pos[joints]
            dots.set_data_3d(p[:, 0], p[:, 1], p[:, 2])

        parts = []
        if m.frame_labels is not None and m.frame_labels[t]:
            parts.append(m.frame_labels[t])
        parts.append(f"t = {t / m.fps:.2f} s" + (" (end)" if held else ""))
        self.subtitle.set_text("  \u00b7  ".join(parts))


class _Scene:
    """A figure with one :class:`_Panel` per motion, all on a shared clock."""

    def __init__(
        self,
        motions: Sequence[Motion],
        cfg: RenderConfig,
        title: str | None,
        panel_titles: Sequence[str | None],
    ) -> None:
        n = len(motions)
        w_in, h_in = cfg.figsize_in
        self.fig = Figure(figsize=(w_in * n, h_in), dpi=cfg.dpi, facecolor="white")
        FigureCanvasAgg(self.fig)
        self.motions = list(motions)

        # Text layout from the top, in points, then the axes fill the rest.
        fs_title = cfg.title_fontsize
        fs_panel = cfg.title_fontsize * 0.9
        fs_sub = cfg.title_fontsize * 0.8
        h_pt = h_in * 72.0
        y_pt = 4.0
        if title:
            text = _wrap(title, w_in * n, fs_title)
            self.fig.text(
                0.5,
                1 - y_pt / h_pt,
                text,
                ha="center",
                va="top",
                fontsize=fs_title,
                fontweight="bold",
            )
            y_pt += 1.25 * fs_title * (text.count("\n") + 1) + 2
        wrapped = [_wrap(t, w_in, fs_panel) if t else "" for t in panel_titles]
        n_panel_lines = max(w.count("\n") + 1 if w else 0 for w in wrapped)
        for i, text in enumerate(wrapped):
            if text:
                self.fig.text(
                    (i + 0.5) / n, 1 - y_pt / h_pt, text, ha="center", va="top", fontsize=fs_panel
                )
        y_pt += 1.25 * fs_panel * n_panel_lines + (2 if n_panel_lines else 0)
        subtitles = [
            self.fig.text(
                (i + 0.5) / n,
                1 - y_pt / h_pt,
                "",
                ha="center",
                va="top",
                fontsize=fs_sub,
                color="#444444",
                family="monospace",
            )
            for i in range(n)
        ]
        y_pt += 1.25 * fs_sub + 2
        top = max(0.3, 1 - y_pt / h_pt)

        # Same metres per pixel in every panel: one window size and one z range.
        radius, z_lo, z_hi = cfg.margin_m, 0.0, 0.0
        centres = []
        for m in motions:
            p = m.positions_m
            root_xy = p[:, _root_index(m), :2]
            finite = p[np.isfinite(p).all(axis=2)]
            z_lo = min(z_lo, float(finite[:, 2].min()) if finite.size else 0.0)
            z_hi = max(z_hi, float(finite[:, 2].max()) if finite.size else 1.0)
            if cfg.follow:
                reach = np.nanmax(np.linalg.norm(p[:, :, :2] - root_xy[:, None], axis=2))
                centres.append(np.zeros(2))
            else:
                lo, hi = np.nanmin(p[:, :, :2], axis=(0, 1)), np.nanmax(p[:, :, :2], axis=(0, 1))
                reach = float(np.max(hi - lo)) / 2
                centres.append((lo + hi) / 2)
            radius = max(radius, float(reach) + cfg.margin_m)
        z_hi = z_hi + 0.3 * cfg.margin_m
        radius = max(radius, 0.5 * (z_hi - z_lo))  # keep the floor visible around the feet

        self.panels = []
        for i, m in enumerate(motions):
            ax = self.fig.add_axes((i / n, 0.0, 1.0 / n, top), projection="3d")
            self.panels.append(_Panel(ax, m, cfg, radius, (z_lo, z_hi), centres[i], subtitles[i]))

    def close(self) -> None:
        self.fig.clear()


def _scene_update(scene: _Scene, frame_index: np.ndarray, prev: np.ndarray | None) -> None:
    n = len(scene.panels)
    for i in range(n):
        t = int(frame_index[i])
        last = scene.panels[i].motion.num_frames - 1
        held = n > 1 and t == last and prev is not None and int(prev[i]) == last
        scene.panels[i].update(t, held=held)


# --------------------------------------------------------------------------- writing


def _write(
    fig: Figure,
    out: Path,
    fps: float,
    n_frames: int,
    update: Callable[[int], None],
    cfg: RenderConfig,
    desc: str,
) -> Path:
    suffix = _check_suffix(out, VIDEO_SUFFIXES)
    out.parent.mkdir(parents=True, exist_ok=True)
    rc: dict[str, object] = {"savefig.bbox": None, "savefig.facecolor": "white"}
    if suffix == ".mp4":
        import imageio_ffmpeg

        rc["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    from tqdm import tqdm

    with matplotlib.rc_context(rc):
        writer: AbstractMovieWriter
        if suffix == ".gif":
            writer = PillowWriter(fps=fps)
        else:
            writer = FFMpegWriter(
                fps=fps,
                codec="h264",
                extra_args=[
                    "-pix_fmt",
                    "yuv420p",
                    "-crf",
                    str(cfg.mp4_crf),
                    "-preset",
                    "veryfast",
                    "-movflags",
                    "+faststart",
                ],
            )
        with writer.saving(fig, str(out), cfg.dpi):
            bar = tqdm(
                total=n_frames,
                desc=desc,
                unit="frame",
                disable=None if cfg.progress else True,
                leave=False,
            )
            try:
                for k in range(n_frames):
                    update(k)
                    writer.grab_frame()
                    bar.update()
            finally:
                bar.close()
    return out


# --------------------------------------------------------------------------- public API


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
    _check_suffix(out, VIDEO_SUFFIXES)
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
    scene = _Scene(motions, cfg, title, panel_titles)

    def update(k: int) -> None:
        _scene_update(scene, index[k], index[k - 1] if k > 0 else None)

    try:
        return _write(scene.fig, out, fps_out, len(index), update, cfg, desc=out.name)
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
    _check_suffix(out, (".png",))
    n = motion.num_frames
    if not -n <= t < n:
        raise IndexError(f"frame {t} out of range for a motion of {n} frames")
    t = int(t) % n
    scene = _Scene([motion], cfg, title if title else motion.text, [None])
    try:
        scene.panels[0].update(t)
        out.parent.mkdir(parents=True, exist_ok=True)
        with matplotlib.rc_context({"savefig.bbox": None}):
            scene.fig.savefig(out, dpi=cfg.dpi, facecolor="white")
    finally:
        scene.close()
    return out
