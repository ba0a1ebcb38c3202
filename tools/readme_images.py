"""Render the README's retargeting pictures (docs/images/retarget_*.gif) from real clips.

.venv/bin/python tools/readme_images.py
"""

from __future__ import annotations

from pathlib import Path

from molingo_ros.motion.render import render_side_by_side
from molingo_ros.motion.render_config import RenderConfig
from molingo_ros.motion.sources import resolve_motion
from molingo_ros.robot.models import load_robot
from molingo_ros.robot.retarget import retarget
from molingo_ros.robot.view import robot_to_motion

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"
CONFIG = RenderConfig(figsize_in=(3.0, 3.4), dpi=96, stride=2, progress=False, margin_m=0.15)


def main() -> None:
    robots = [load_robot(name) for name in ("g1", "h1", "t1")]
    for clip, frames, stem in (
        ("dataset-2_walk_normal_001", 150, "retarget_walk"),
        ("dataset-2_wave-right-hand_normal_001", 150, "retarget_wave"),
    ):
        human = resolve_motion(clip).frames(0, frames)
        panels = [human]
        titles = ["human (Bandai mocap)"]
        for robot in robots:
            result = retarget(human, robot)
            panels.append(robot_to_motion(robot, result.qpos, result.fps))
            titles.append(robot.spec.description.split(" (")[0])
        out = render_side_by_side(panels, OUT / f"{stem}.gif", CONFIG, titles=titles, title=clip)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
