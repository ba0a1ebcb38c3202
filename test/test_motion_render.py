"""Tests of molingo_ros.motion.render: GIF/MP4/PNG output of stick-figure previews."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
Image = pytest.importorskip("PIL.Image")

from molingo_ros.motion.joint_sides import joint_sides  # noqa: E402
from molingo_ros.motion.motion import Motion  # noqa: E402
from molingo_ros.motion.render import (  # noqa: E402
    render_frame_png,
    render_motion,
    render_side_by_side,
)
from molingo_ros.motion.render_config import RenderConfig  # noqa: E402

NAMES = [
    "Hips", "Spine", "Chest", "Head",
    "LeftArm", "LeftForeArm", "LeftHand",
    "RightArm", "RightForeArm", "RightHand",
    "LeftUpLeg", "LeftLeg", "LeftFoot",
    "RightUpLeg", "RightLeg", "RightFoot",
]  # fmt: skip
PARENTS = [-1, 0, 1, 2, 2, 4, 5, 2, 7, 8, 0, 10, 11, 0, 13, 14]

# Small and fast: 200 x 160 px frames.
FAST = RenderConfig(figsize_in=(2.5, 2.0), dpi=80, progress=False)


def walker(num_frames: int = 24, fps: float = 20.0, labels: bool = True, text: str | None = None):
    """A stick figure walking along +x at 1 m/s, feet swinging, z up, feet on the floor."""
    t = np.arange(num_frames) / fps
    phase = 2 * np.pi * t
    pos = np.zeros((num_frames, len(NAMES), 3))
    pos[:, 0] = np.stack([t, np.zeros_like(t), np.full_like(t, 0.9)], axis=1)
    for j, dz in ((1, 0.2), (2, 0.45), (3, 0.7)):
        pos[:, j] = pos[:, 0] + [0, 0, dz]
    for side, first_arm, first_leg in ((1, 4, 10), (-1, 7, 13)):
        swing = side * 0.4 * np.sin(phase)
        down = np.stack([np.sin(swing), np.zeros_like(swing), -np.cos(swing)], axis=1)
        pos[:, first_arm] = pos[:, 2] + [0, side * 0.2, 0.1]
        pos[:, first_arm + 1] = pos[:, first_arm] + 0.28 * down
        pos[:, first_arm + 2] = pos[:, first_arm + 1] + 0.25 * down
        pos[:, first_leg] = pos[:, 0] + [0, side * 0.1, -0.05]
        pos[:, first_leg + 1] = pos[:, first_leg] + 0.42 * down * [-1, 1, 1]
        pos[:, first_leg + 2] = pos[:, first_leg + 1] + [0, 0, -0.4]
    pos[..., 2] -= pos[..., 2].min()
    frame_labels = [f"step {i // 10}" for i in range(num_frames)] if labels else None
    return Motion(
        pos, NAMES, np.array(PARENTS), fps, text=text, frame_labels=frame_labels, name="walker"
    )


def gif_frames(path: Path) -> tuple[int, tuple[int, int]]:
    with Image.open(path) as im:
        return im.n_frames, im.size


def test_gif_frame_count_and_size(tmp_path: Path) -> None:
    motion = walker(num_frames=24, text="a person walks forward")
    out = render_motion(motion, tmp_path / "nested" / "dir" / "walk.gif", FAST)
    assert out == tmp_path / "nested" / "dir" / "walk.gif"
    assert out.stat().st_size > 0
    assert gif_frames(out) == (24, (200, 160))


def test_gif_stride_fps_and_max_frames(tmp_path: Path) -> None:
    motion = walker(num_frames=25, fps=20.0)
    cfg = RenderConfig(figsize_in=(2.5, 2.0), dpi=80, progress=False, stride=2)
    assert gif_frames(render_motion(motion, tmp_path / "s.gif", cfg))[0] == 13  # 0, 2, ..., 24
    cfg = RenderConfig(figsize_in=(2.5, 2.0), dpi=80, progress=False, fps=10.0, follow=False)
    assert gif_frames(render_motion(motion, tmp_path / "f.gif", cfg))[0] == 13
    cfg = RenderConfig(figsize_in=(2.5, 2.0), dpi=80, progress=False, max_frames=5, trail=False)
    assert gif_frames(render_motion(motion, tmp_path / "m.gif", cfg))[0] == 5


def test_mp4_is_h264_and_readable(tmp_path: Path) -> None:
    motion = walker(num_frames=20, labels=False, text=None)
    # 2.5 x 2.0 in at 75 dpi is 187.5 x 150 px: the writer must round to even sizes.
    cfg = RenderConfig(figsize_in=(2.5, 2.0), dpi=75, progress=False)
    out = render_motion(motion, tmp_path / "walk.MP4", cfg, title="a custom title")
    assert out.stat().st_size > 0
    num_frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert num_frames == 20
    assert seconds == pytest.approx(1.0, abs=0.1)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    width, height = meta["size"]
    assert width % 2 == 0 and height % 2 == 0 and abs(width - 188) <= 2 and abs(height - 150) <= 2
    assert meta["codec"].startswith("h264")
    assert meta["pix_fmt"].startswith("yuv420p")
    frame = next(reader)
    assert len(frame) == width * height * 3
    reader.close()


@pytest.mark.parametrize("suffix", [".avi", ".png", ".webm", ""])
def test_wrong_suffix_raises(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / "sub" / f"walk{suffix}"
    with pytest.raises(ValueError, match=r"\.gif.*\.mp4"):
        render_motion(walker(num_frames=4), out, FAST)
    with pytest.raises(ValueError, match=r"\.gif.*\.mp4"):
        render_side_by_side([walker(num_frames=4)], out, FAST)
    assert not out.parent.exists()  # nothing created before the suffix is checked


def test_titles_and_labels_do_not_crash(tmp_path: Path) -> None:
    long_text = "a person walks forward, turns around slowly and waves with the left hand " * 2
    for i, motion in enumerate(
        [walker(6, text=None, labels=False), walker(6, text=long_text), walker(6, text="")]
    ):
        assert gif_frames(render_motion(motion, tmp_path / f"{i}.gif", FAST))[0] == 6


def test_side_by_side_holds_last_frame(tmp_path: Path) -> None:
    human = walker(num_frames=20, fps=20.0, text="walk")
    robot = walker(num_frames=12, fps=10.0, labels=False)  # 1.1 s vs 0.95 s
    robot.positions_m *= 0.6  # a smaller robot: same scale in both panels
    out = render_side_by_side(
        [human, robot], tmp_path / "sbs.gif", FAST, titles=["human", None], title="walk"
    )
    n, (width, height) = gif_frames(out)
    assert n == 23  # 0 .. 1.1 s at the first motion's 20 fps
    assert (width, height) == (400, 160)
    with pytest.raises(ValueError):
        render_side_by_side([human, robot], tmp_path / "x.gif", FAST, titles=["one"])
    with pytest.raises(ValueError):
        render_side_by_side([], tmp_path / "x.gif", FAST)


def test_frame_png(tmp_path: Path) -> None:
    motion = walker(num_frames=10, text="a person walks forward")
    out = render_frame_png(motion, -1, tmp_path / "still" / "walk.png", FAST)
    with Image.open(out) as im:
        assert im.size == (200, 160)
        pixels = np.asarray(im.convert("RGB"))
    assert (pixels < 200).any()  # something was drawn on the white background
    with pytest.raises(IndexError):
        render_frame_png(motion, 10, tmp_path / "bad.png", FAST)
    with pytest.raises(ValueError, match=r"\.png"):
        render_frame_png(motion, 0, tmp_path / "bad.jpg", FAST)


def test_no_global_matplotlib_state_change(tmp_path: Path) -> None:
    import matplotlib

    backend = matplotlib.rcParams["backend"]
    ffmpeg_path = matplotlib.rcParams["animation.ffmpeg_path"]
    render_motion(walker(num_frames=3), tmp_path / "w.mp4", FAST)
    assert matplotlib.rcParams["animation.ffmpeg_path"] == ffmpeg_path
    assert matplotlib.rcParams["backend"] == backend
    code = (
        "import sys, molingo_ros.motion.render; "
        "assert 'matplotlib.pyplot' not in sys.modules, 'render imports pyplot'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_real_clip(tmp_path: Path) -> None:
    """A real mocap clip (DeepMimic walk shipped with pybullet_data) through the loader."""
    convert = pytest.importorskip("molingo_ros.motion.convert")
    deepmimic = pytest.importorskip("molingo_ros.motion.deepmimic")
    pytest.importorskip("pybullet_data")
    clips = [c for c in deepmimic.humanoid_clips() if c.name == "humanoid3d_walk.txt"]
    if not clips:
        pytest.skip("pybullet_data has no humanoid3d_walk.txt")
    motion = convert.load_motion(clips[0])
    sides = joint_sides(motion.joint_names)
    assert "L" in sides and "R" in sides and "C" in sides
    cfg = RenderConfig(figsize_in=(2.5, 2.0), dpi=80, progress=False, max_frames=15)
    assert gif_frames(render_motion(motion, tmp_path / "walk.gif", cfg))[0] == 15
    render_frame_png(motion, 0, tmp_path / "walk.png", cfg)
    assert (tmp_path / "walk.png").stat().st_size > 0
