"""Tests of molingo_ros.motion.render_writer: frames of a figure to .gif / .mp4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
Image = pytest.importorskip("PIL.Image")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from molingo_ros.motion.render_config import RenderConfig  # noqa: E402
from molingo_ros.motion.render_writer import (  # noqa: E402
    VIDEO_SUFFIXES,
    check_suffix,
    write_video,
)

CFG = RenderConfig(dpi=40, progress=False)


def _figure():
    fig = Figure(figsize=(2.0, 1.5), dpi=CFG.dpi, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    (bar,) = ax.plot([0, 0], [0.5, 0.5], color="black", lw=8)
    return fig, bar


def test_check_suffix() -> None:
    assert VIDEO_SUFFIXES == (".gif", ".mp4")
    assert check_suffix(Path("a/b.GIF"), VIDEO_SUFFIXES) == ".gif"
    assert check_suffix(Path("b.mp4"), VIDEO_SUFFIXES) == ".mp4"
    with pytest.raises(ValueError, match=r"unsupported suffix '\.avi', use one of \.gif, \.mp4"):
        check_suffix(Path("b.avi"), VIDEO_SUFFIXES)
    with pytest.raises(ValueError, match=r"use one of \.png"):
        check_suffix(Path("b"), (".png",))


def test_gif_gets_every_updated_frame(tmp_path: Path) -> None:
    fig, bar = _figure()
    calls = []

    def update(k: int) -> None:
        calls.append(k)
        bar.set_xdata([0, k + 1])  # a bar growing by one tenth per frame

    out = write_video(fig, tmp_path / "sub" / "bar.gif", 5.0, 6, update, CFG, desc="bar")
    assert out == tmp_path / "sub" / "bar.gif"
    assert calls == list(range(6))
    with Image.open(out) as im:
        assert (im.n_frames, im.size) == (6, (80, 60))
        widths = []
        for k in range(im.n_frames):
            im.seek(k)
            dark = (np.asarray(im.convert("L")) < 128).any(axis=0)
            widths.append(int(dark.sum()))
    assert widths == sorted(widths) and widths[-1] > widths[0]


def test_mp4_is_h264_at_the_given_rate(tmp_path: Path) -> None:
    fig, bar = _figure()
    out = write_video(fig, tmp_path / "bar.mp4", 10.0, 8, lambda k: None, CFG, desc="bar")
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 8 and seconds == pytest.approx(0.8, abs=0.1)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    reader.close()
    assert meta["codec"].startswith("h264") and meta["size"] == (80, 60)


def test_wrong_suffix_writes_nothing(tmp_path: Path) -> None:
    fig, _ = _figure()
    with pytest.raises(ValueError):
        write_video(fig, tmp_path / "sub" / "x.png", 5.0, 2, lambda k: None, CFG, desc="x")
    assert not (tmp_path / "sub").exists()
