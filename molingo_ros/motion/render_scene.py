"""The matplotlib scene of a stick-figure preview: one 3-D panel per motion on a shared clock.

World convention is the project's (see :mod:`molingo_ros.motion.motion`): metres, **z up**,
**x forward**, y to the character's left, floor at z = 0. Every panel has the same scale
(metres per pixel) and camera angles. The figure is a :class:`matplotlib.figure.Figure` with
its own :class:`~matplotlib.backends.backend_agg.FigureCanvasAgg` (pyplot is never imported);
artists are created once and moved to each frame by :meth:`Scene.show`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers the "3d" projection)
from mpl_toolkits.mplot3d.art3d import Line3DCollection, Poly3DCollection

from molingo_ros.motion.joint_sides import CENTRE, LEFT, RIGHT, joint_sides
from molingo_ros.motion.motion import Motion
from molingo_ros.motion.render_config import RenderConfig


def root_index(motion: Motion) -> int:
    """Index of the motion's first root joint (parent < 0), 0 if it has none."""
    roots = np.flatnonzero(motion.parents < 0)
    return int(roots[0]) if roots.size else 0


def wrap_text(text: str, width_in: float, fontsize: float) -> str:
    """``text`` wrapped to lines that fit ``width_in`` inches at ``fontsize`` points (bold)."""
    chars = max(16, int(width_in * 72.0 / (0.65 * fontsize)))  # bold glyphs ~0.6 em wide
    return "\n".join(textwrap.fill(line, chars) for line in text.splitlines() or [""])


class Panel:
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
        """Args: ``window_r_m`` half-width of the shown floor square, metres; ``z_lim_m``
        shown height range, metres; ``fixed_centre_xy`` the window's centre when the camera
        does not follow the root; ``subtitle`` the text showing the frame's label and time."""
        self.ax = ax
        self.motion = motion
        self.cfg = cfg
        self.r = window_r_m
        self.subtitle = subtitle
        self.root = root_index(motion)
        self.fixed_centre_xy = fixed_centre_xy
        self.trail_xy = motion.positions_m[:, self.root, :2]
        self._set_up_axes(z_lim_m)
        dummy = [np.zeros((2, 3))]  # add_collection3d() cannot take empty collections
        self._add_floor(dummy)
        self._add_skeleton(dummy)
        ax.set_zlim(*z_lim_m)

    def _set_up_axes(self, z_lim_m: tuple[float, float]) -> None:
        ax, cfg = self.ax, self.cfg
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

    def _add_floor(self, dummy: list[np.ndarray]) -> None:
        """The floor square, its grid lines and the root's trail."""
        ax, cfg = self.ax, self.cfg
        self.floor = Poly3DCollection(
            [np.zeros((4, 3))], facecolors=cfg.floor_color, edgecolors="none", zorder=0
        )
        ax.add_collection3d(self.floor)
        self.grid = Line3DCollection(dummy, colors=cfg.grid_color, linewidths=0.6, zorder=1)
        ax.add_collection3d(self.grid)
        (self.trail,) = ax.plot([], [], [], color=cfg.trail_color, lw=1.5, zorder=2)
        self.trail.set_visible(cfg.trail)

    def _add_skeleton(self, dummy: list[np.ndarray]) -> None:
        """Bones (joint -> parent) and joint markers, one artist per body side."""
        ax, cfg, motion = self.ax, self.cfg, self.motion
        sides = joint_sides(motion.joint_names)
        colours = {LEFT: cfg.left_color, RIGHT: cfg.right_color, CENTRE: cfg.centre_color}
        self.bone_groups: list[tuple[np.ndarray, np.ndarray, Line3DCollection]] = []
        self.joint_groups: list[tuple[np.ndarray, object]] = []
        children = np.flatnonzero(motion.parents >= 0)
        for side in (CENTRE, LEFT, RIGHT):  # sides drawn over the centre line
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


class Scene:
    """A figure with one :class:`Panel` per motion, all on a shared clock.

    Attributes:
        fig: the figure (``len(motions)`` panels of ``cfg.figsize_in`` inches side by side).
        motions: the motions, one per panel.
        panels: the panels, left to right.
    """

    def __init__(
        self,
        motions: Sequence[Motion],
        cfg: RenderConfig,
        title: str | None,
        panel_titles: Sequence[str | None],
    ) -> None:
        """Args: ``title`` caption across the figure (``None``: none); ``panel_titles`` one
        caption per panel (``None`` or empty: none)."""
        n = len(motions)
        w_in, h_in = cfg.figsize_in
        self.fig = Figure(figsize=(w_in * n, h_in), dpi=cfg.dpi, facecolor="white")
        FigureCanvasAgg(self.fig)
        self.motions = list(motions)
        top, subtitles = self._add_texts(cfg, title, panel_titles)
        radius, z_lim_m, centres = _shared_window(motions, cfg)
        self.panels = []
        for i, m in enumerate(motions):
            ax = self.fig.add_axes((i / n, 0.0, 1.0 / n, top), projection="3d")
            self.panels.append(Panel(ax, m, cfg, radius, z_lim_m, centres[i], subtitles[i]))

    def _add_texts(
        self, cfg: RenderConfig, title: str | None, panel_titles: Sequence[str | None]
    ) -> tuple[float, list[Text]]:
        """Title, panel titles and per-panel subtitles laid out from the top, in points.

        Returns:
            ``(top, subtitles)``: the figure fraction below the texts, left for the axes, and
            one (empty) subtitle text per panel.
        """
        n = len(self.motions)
        w_in, h_in = cfg.figsize_in
        fs_title = cfg.title_fontsize
        fs_panel = cfg.title_fontsize * 0.9
        fs_sub = cfg.title_fontsize * 0.8
        h_pt = h_in * 72.0
        y_pt = 4.0
        if title:
            text = wrap_text(title, w_in * n, fs_title)
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
        wrapped = [wrap_text(t, w_in, fs_panel) if t else "" for t in panel_titles]
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
        return max(0.3, 1 - y_pt / h_pt), subtitles

    def show(self, frame_index: np.ndarray, prev: np.ndarray | None) -> None:
        """Move every panel to its source frame ``frame_index[i]``; ``prev`` is the previous
        output frame's indices (``None`` at the first), to mark clips that have ended."""
        n = len(self.panels)
        for i in range(n):
            t = int(frame_index[i])
            last = self.panels[i].motion.num_frames - 1
            held = n > 1 and t == last and prev is not None and int(prev[i]) == last
            self.panels[i].update(t, held=held)

    def close(self) -> None:
        """Release the figure's artists."""
        self.fig.clear()


def _shared_window(
    motions: Sequence[Motion], cfg: RenderConfig
) -> tuple[float, tuple[float, float], list[np.ndarray]]:
    """Same metres per pixel in every panel: one window size and one z range.

    Returns:
        ``(radius_m, (z_lo_m, z_hi_m), centres)``: half-width of the floor window, the shown
        height range, and each panel's fixed window centre (xy, metres; zeros when following).
    """
    radius, z_lo, z_hi = cfg.margin_m, 0.0, 0.0
    centres = []
    for m in motions:
        p = m.positions_m
        root_xy = p[:, root_index(m), :2]
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
    return radius, (z_lo, z_hi), centres
