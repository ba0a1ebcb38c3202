"""`molingo data build|render|export`, `molingo demo`, `molingo generate`
(molingo_ros/cli_motion.py), run in-process through the command line on real data."""

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from molingo_ros.cli import main
from molingo_ros.motion.sources import resolve_motion


def _generated(path):
    from molingo_ros.motion.motion import Motion
    from molingo_ros.motion.rigs import BANDAI, BANDAI_PARENTS

    with np.load(path) as data:
        return Motion(data["joint_positions"], list(BANDAI.joint_names), BANDAI_PARENTS, 30.0)


@pytest.mark.slow
def test_data_build_prints_clip_count(capsys):
    assert main(["data", "build", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "clips: 3076" in out.splitlines()
    assert "dataset-1_dance-long_normal_001: BVH file missing" in out


def test_render_a_bandai_clip_by_name_to_gif(tmp_path, capsys):
    out = tmp_path / "walk.gif"
    assert (
        main(
            ["data", "render", "dataset-2_walk_normal_001", "--out", str(out), "--max-frames", "12"]
        )
        == 0
    )
    with Image.open(out) as gif:
        assert gif.n_frames == 12
    assert "wrote" in capsys.readouterr().out


def test_render_a_deepmimic_clip_to_mp4(tmp_path):
    out = tmp_path / "dm.mp4"
    assert main(["data", "render", "humanoid3d_walk", "--out", str(out)]) == 0
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 39


def test_render_a_motion_file(tmp_path, bandai_clip):
    motion = resolve_motion(str(bandai_clip("dataset-1_bow_normal_001")))
    path = motion.save_npz(tmp_path / "bow.npz")
    assert (
        main(["data", "render", str(path), "--out", str(tmp_path / "bow.gif"), "--max-frames", "5"])
        == 0
    )


def test_demo_renders_the_pipeline(tmp_path, capsys):
    out = tmp_path / "demo.gif"
    assert main(["demo", "--out", str(out), "--max-frames", "8"]) == 0
    text = capsys.readouterr().out
    assert "round-trip error" in text and out.exists()
    err_mm = float(text.split("round-trip error ")[1].split(" mm")[0])
    assert np.isfinite(err_mm) and err_mm < 1.0
    robot_out = tmp_path / "demo_g1.gif"
    assert robot_out.exists() and robot_out.stat().st_size > 0
    assert "joint-limit violations 0, velocity-limit violations 0" in text


@pytest.mark.slow
def test_generate_readme_example_walks_first_then_waves(tmp_path, capsys):
    """The README's first example, through the parser, the grounding and the shipped model:
    the first part walks (the kinematic check of a walk), the second waves the right hand in
    place, on every seed tried."""
    from molingo_ros.language.checks import run_check

    for seed in (0, 1):
        out = tmp_path / f"walk_wave_{seed}.npz"
        text = "walk forward, then wave with your right hand"
        assert main(["generate", text, "--seed", str(seed), "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        assert "walk (normal, 5.0 s) then wave-right-hand" in printed
        motion = _generated(out)
        assert motion.num_frames == 300
        walk = run_check("walk_forward", motion, 0, 150)
        wave = run_check("wave_right", motion, 150, 300)
        assert walk.passed, walk.reason
        assert wave.passed, wave.reason


def test_generate_refuses_unknown_commands_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "door.npz"
    assert main(["generate", "open the door", "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "I can't do 'open the door'; closest: " in err and "--allow-unknown" in err
    assert not out.exists()
    assert (
        main(["generate", "open the door", "--out", str(out), "--seconds", "1", "--allow-unknown"])
        == 0
    )
    assert out.exists()


def test_generate_takes_a_stop_word_as_an_empty_plan(tmp_path, capsys):
    out = tmp_path / "stop.npz"
    assert main(["generate", "Stop!", "--out", str(out)]) == 0
    assert "is a stop command: nothing to generate" in capsys.readouterr().out
    assert not out.exists()


def test_data_export_writes_a_humanml3d_folder(tmp_path, capsys):
    from molingo_ros.motion.humanml3d import LayoutFolder

    out = tmp_path / "HumanML3D"
    assert main(["data", "export", str(out), "--format", "humanml3d", "--limit", "1"]) == 0
    assert "wrote humanml3d layout" in capsys.readouterr().out
    folder = LayoutFolder(out)
    names = folder.split("all")
    assert len(names) == 3 and all(n.startswith("dataset-") for n in names)
    assert folder.clip(names[0]).vectors.shape[1] == 263
    assert folder.mean.shape == (263,)
    with pytest.raises(SystemExit):
        main(["data", "export", str(out), "--clips", "mocap"])
