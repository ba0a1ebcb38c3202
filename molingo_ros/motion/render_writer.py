"""Writing an animated figure to a ``.gif`` or ``.mp4`` file, frame by frame.

``.gif`` goes through matplotlib's :class:`~matplotlib.animation.PillowWriter`; ``.mp4`` (H.264,
yuv420p) through :class:`~matplotlib.animation.FFMpegWriter`, using the ffmpeg binary shipped
with ``imageio-ffmpeg`` (no system ffmpeg is needed). The rcParams needed are set only inside a
:func:`matplotlib.rc_context`: the global state is left unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib
from matplotlib.animation import AbstractMovieWriter, FFMpegWriter, PillowWriter
from matplotlib.figure import Figure

from molingo_ros.motion.render_config import RenderConfig

VIDEO_SUFFIXES: tuple[str, ...] = (".gif", ".mp4")
"""Output suffixes :func:`write_video` understands."""


def check_suffix(out: Path, allowed: Sequence[str]) -> str:
    """The lower-case suffix of ``out``; a ValueError naming the ``allowed`` ones otherwise."""
    suffix = out.suffix.lower()
    if suffix not in allowed:
        raise ValueError(
            f"cannot render to {str(out)!r}: unsupported suffix {out.suffix!r}, "
            f"use one of {', '.join(allowed)}"
        )
    return suffix


def _movie_writer(suffix: str, fps: float, cfg: RenderConfig) -> AbstractMovieWriter:
    if suffix == ".gif":
        return PillowWriter(fps=fps)
    return FFMpegWriter(
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


def write_video(
    fig: Figure,
    out: Path,
    fps: float,
    n_frames: int,
    update: Callable[[int], None],
    cfg: RenderConfig,
    desc: str,
) -> Path:
    """Write ``n_frames`` frames of ``fig`` to ``out`` (``.gif`` or ``.mp4``) at ``fps`` frames/s.

    Args:
        fig: the figure, drawn at ``cfg.dpi``.
        out: output file; parent folders are created.
        update: called with the output frame index before each frame is grabbed.
        cfg: ``dpi``, ``mp4_crf`` and ``progress`` are used.
        desc: the progress bar's label.

    Returns:
        ``out``.

    Raises:
        ValueError: ``out`` is not a ``.gif`` or ``.mp4``.
    """
    suffix = check_suffix(out, VIDEO_SUFFIXES)
    out.parent.mkdir(parents=True, exist_ok=True)
    rc: dict[str, object] = {"savefig.bbox": None, "savefig.facecolor": "white"}
    if suffix == ".mp4":
        import imageio_ffmpeg

        rc["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    from tqdm import tqdm

    with matplotlib.rc_context(rc):
        writer = _movie_writer(suffix, fps, cfg)
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
