"""Tests of molingo_ros.motion.render_scene: panels, shared scale and per-frame updates, on a
real Bandai clip."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from molingo_ros.motion.convert import load_motion  # noqa: E402
from molingo_ros.motion.render_config import RenderConfig  # noqa: E402
from molingo_ros.motion.render_scene import Scene, root_index, wrap_text  # noqa: E402

FAST = RenderConfig(figsize_in=(2.5, 2.0), dpi=80, progress=False)


@pytest.fixture(scope="module")
def walk(bandai_clip):
    return load_motion(bandai_clip("dataset-2_walk_normal_001"))


@pytest.fixture(scope="module")
def bow(bandai_clip):
    return load_motion(bandai_clip("dataset-1_bow_normal_001"))


def test_root_index(walk) -> None:
    assert root_index(walk) == walk.joint_names.index("Hips") == 0
    rotated = walk.frames(0, 2)
    rotated.parents = np.roll(rotated.parents, 1)  # root now at index 1 (parents not checked)
    assert root_index(rotated) == 1


def test_wrap_text_keeps_words_and_breaks_long_lines() -> None:
    text = "a person walks forward and then waves with the right hand " * 3
    wrapped = wrap_text(text, width_in=2.0, fontsize=11.0)
    assert wrapped.split() == text.split()
    assert wrapped.count("\n") >= 3
    assert max(len(line) for line in wrapped.splitlines()) <= 20  # 2 in at 11 pt: 20 chars
    assert wrap_text("short", 5.0, 11.0) == "short"
    assert wrap_text("", 5.0, 11.0) == ""


def test_panels_share_one_scale_and_fit_both_clips(walk, bow) -> None:
    scene = Scene([walk, bow], FAST, "title", ["walk", None])
    try:
        assert scene.fig.get_size_inches().tolist() == [5.0, 2.0]
        a, b = scene.panels
        assert a.r == b.r  # same metres per pixel
        assert a.ax.get_zlim() == b.ax.get_zlim()
        z_lo, z_hi = a.ax.get_zlim()
        both = np.concatenate([walk.positions_m.reshape(-1, 3), bow.positions_m.reshape(-1, 3)])
        assert z_lo <= both[:, 2].min() and z_hi >= both[:, 2].max()
        reach = np.linalg.norm(walk.positions_m[:, :, :2] - walk.positions_m[:, :1, :2], axis=2)
        assert a.r >= reach.max() + FAST.margin_m - 1e-9
    finally:
        scene.close()


def test_following_window_tracks_the_root_and_subtitles_say_the_time(walk) -> None:
    scene = Scene([walk], FAST, None, [None])
    try:
        panel = scene.panels[0]
        t = 200
        scene.show(np.array([t]), np.array([t - 1]))
        cx, cy = walk.positions_m[t, 0, :2]
        assert np.mean(panel.ax.get_xlim()) == pytest.approx(cx)
        assert np.mean(panel.ax.get_ylim()) == pytest.approx(cy)
        assert panel.subtitle.get_text() == f"t = {t / walk.fps:.2f} s"
        scene.fig.canvas.draw()  # projects the 3-D segments
        bones = sum(len(coll.get_segments()) for _, _, coll in panel.bone_groups)
        assert bones == walk.num_joints - 1  # one segment per joint with a parent
    finally:
        scene.close()


def test_fixed_window_and_held_last_frame(walk, bow) -> None:
    short = bow.frames(0, 10)
    short.frame_labels = ["bowing"] * 10
    cfg = RenderConfig(figsize_in=(2.5, 2.0), dpi=80, progress=False, follow=False)
    scene = Scene([walk, short], cfg, None, [None, None])
    try:
        scene.show(np.array([0, 9]), np.array([0, 9]))
        first = [p.ax.get_xlim() for p in scene.panels]
        scene.show(np.array([150, 9]), np.array([149, 9]))
        assert [p.ax.get_xlim() for p in scene.panels] == first  # the camera stays put
        assert scene.panels[1].subtitle.get_text().endswith("(end)")
        assert scene.panels[1].subtitle.get_text().startswith("bowing")
        assert not scene.panels[0].subtitle.get_text().endswith("(end)")
    finally:
        scene.close()
