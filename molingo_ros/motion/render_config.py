"""Drawing options of the stick-figure previews (:mod:`molingo_ros.motion.render`)."""

from __future__ import annotations

from dataclasses import dataclass


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
