"""The `molingo` command line (molingo_ros/cli.py): the parser, the passthrough subcommands and
the errors, run in-process on real data."""

import json

from molingo_ros.cli import main
from molingo_ros.motion.sources import resolve_motion


def test_clip_names_resolve_with_captions_and_mirrors():
    wave = resolve_motion("dataset-2_wave-left-hand_normal_001_mirror")
    assert "right" in wave.text and "left" not in wave.text
    hand_r = wave.joint_names.index("Hand_R")
    assert wave.positions_m[:, hand_r, 2].max() > 1.6


def test_bad_input_exits_2_with_a_clear_message(tmp_path, capsys):
    assert main(["data", "render", "no_such_clip", "--out", str(tmp_path / "x.gif")]) == 2
    assert "neither a file nor a clip name" in capsys.readouterr().err
    assert main(["data", "render", "humanoid3d_walk", "--out", str(tmp_path / "x.avi")]) == 2
    assert ".gif" in capsys.readouterr().err
    bad = tmp_path / "bad.bvh"
    bad.write_text("HIERARCHY\nROOT a\n{\n")
    assert main(["data", "render", str(bad), "--out", str(tmp_path / "x.gif")]) == 2
    assert "bad.bvh" in capsys.readouterr().err
    assert main(["data", "build", "--root", str(tmp_path / "none"), "--quiet"]) == 2


def test_skills_lists_every_skill_with_its_data(capsys):
    assert main(["skills"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("| skill | say for example |")
    rows = {line.split(" | ")[0].strip("| ") for line in table.splitlines()[2:]}
    assert {"walk", "walk-back", "wave-right-hand", "bow", "kick"} <= rows
    assert main(["skills", "--json"]) == 0
    skills = json.loads(capsys.readouterr().out)
    assert skills["walk"]["styles"]["normal"]["takes"] > 0
