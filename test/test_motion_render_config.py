"""Tests of molingo_ros.motion.render_config: the drawing options and their checks."""

from __future__ import annotations

import pytest

from molingo_ros.motion.render_config import RenderConfig


def test_defaults_are_valid_and_sized_in_inches() -> None:
    cfg = RenderConfig()
    assert cfg.figsize_in == (5.0, 5.0) and cfg.dpi == 80  # 400 x 400 px panels
    assert cfg.fps is None and cfg.stride == 1 and cfg.max_frames is None
    assert cfg.follow and cfg.trail and not cfg.show_axes
    assert cfg.left_color != cfg.right_color != cfg.centre_color


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"figsize_in": (5.0, 0.0)}, "figsize_in"),
        ({"figsize_in": (5.0,)}, "figsize_in"),
        ({"dpi": 0}, "dpi"),
        ({"fps": 0.0}, "fps"),
        ({"fps": -10.0}, "fps"),
        ({"stride": 0}, "stride"),
        ({"stride": 1.5}, "stride"),
        ({"max_frames": 0}, "max_frames"),
        ({"margin_m": -0.1}, "margin_m"),
        ({"floor_grid_m": -1.0}, "floor_grid_m"),
    ],
)
def test_bad_values_name_the_field(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RenderConfig(**kwargs)


def test_edge_values_are_accepted() -> None:
    cfg = RenderConfig(stride=3, fps=12.5, max_frames=1, margin_m=0.0, floor_grid_m=0.0)
    assert (cfg.stride, cfg.fps, cfg.max_frames) == (3, 12.5, 1)
    assert RenderConfig(stride=2.0).stride == 2.0  # an integral float is a valid stride
