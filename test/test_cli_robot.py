"""`molingo retarget` and `molingo retarget-report` (molingo_ros/cli_robot.py), run in-process
through the command line on real data."""

import json

import numpy as np

from molingo_ros.cli import main


def test_retarget_writes_npz_report_and_video(tmp_path, capsys):
    out, report, video = tmp_path / "walk.npz", tmp_path / "walk.json", tmp_path / "walk.gif"
    args = ["retarget", "dataset-2_walk_normal_001", "--robot", "g1", "--out", str(out)]
    args += ["--report", str(report), "--video", str(video), "--max-frames", "4"]
    assert main(args) == 0
    with np.load(out) as data:
        qpos = data["robot_qpos"]
        assert qpos.shape[1] == 36 and qpos.shape[0] == data["joint_positions"].shape[0]
        assert len(data["robot_joint_names"]) == 29 and float(data["fps"]) == 30.0
    rep = json.loads(report.read_text())
    for key in (
        "frames",
        "joint_limit_violations",
        "velocity_limit_violations",
        "self_collision_frames",
        "mean_keypoint_error_m",
        "max_keypoint_error_m",
        "max_foot_penetration_m",
        "foot_skate_m_per_s",
    ):
        assert key in rep, key
    assert rep["joint_limit_violations"] == 0 and rep["velocity_limit_violations"] == 0
    assert video.exists() and video.stat().st_size > 0


def test_retarget_deepmimic_clip_on_t1(tmp_path):
    out = tmp_path / "run_t1.npz"
    assert main(["retarget", "humanoid3d_run", "--robot", "t1", "--out", str(out)]) == 0
    with np.load(out) as data:
        assert data["robot_qpos"].shape == (25, 30)


def test_retarget_bad_input_exits_2(tmp_path, capsys):
    out = tmp_path / "x.npz"
    assert (
        main(["retarget", "dataset-2_walk_normal_001", "--robot", "atlas", "--out", str(out)]) == 2
    )
    assert "known: g1, h1, t1" in capsys.readouterr().err
    assert main(["retarget", "no_such_clip", "--out", str(out)]) == 2
    assert main(["retarget", "dataset-2_walk_normal_001", "--out", str(tmp_path / "x.csv")]) == 2
    assert ".npz" in capsys.readouterr().err
    assert not out.exists()


def test_export_writes_both_layouts(tmp_path, capsys):
    motion = tmp_path / "walk.npz"
    assert (
        main(
            [
                "retarget",
                "dataset-2_walk_normal_001",
                "--robot",
                "g1",
                "--out",
                str(motion),
                "--no-collisions",
            ]
        )
        == 0
    )
    csv, npz = tmp_path / "walk.csv", tmp_path / "walk_50.npz"
    assert main(["export", str(motion), "--format", "lafan-csv", "--out", str(csv)]) == 0
    assert main(["export", str(motion), "--format", "tracking-npz", "--out", str(npz)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {csv} (lafan-csv, g1, " in out and f"wrote {npz} (tracking-npz, g1, " in out
    with np.load(motion) as data:
        rows = np.loadtxt(csv, delimiter=",")
        np.testing.assert_allclose(rows[:, :7], data["robot_qpos"][:, :7], atol=1e-6)
    with np.load(npz) as data:
        assert int(data["fps"][0]) == 50 and data["joint_pos"].shape[1] == 29


def test_retarget_with_dynamics_reports_them(tmp_path, capsys):
    out, report = tmp_path / "bow.npz", tmp_path / "bow.json"
    args = ["retarget", "dataset-1_bow_normal_001", "--out", str(out), "--report", str(report)]
    assert main([*args, "--no-collisions", "--dynamics"]) == 0
    assert "dynamics: ZMP outside the feet 0 frames, flight 0 (0 not ballistic)" in (
        capsys.readouterr().out
    )
    d = json.loads(report.read_text())["dynamics"]
    assert d["zmp_outside_frames"] == 0 and d["min_zmp_margin_m"] > 0
