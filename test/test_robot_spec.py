"""The robot YAML schema (molingo_ros.robot.spec): parsing and validation, without pinocchio."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from robot_helpers import g1_doc as _g1_doc
from robot_helpers import write_config as _write

from molingo_ros.robot.registry import load_robot_spec
from molingo_ros.robot.spec import (
    FALLBACK_VELOCITY_LIMIT_RAD_S,
    KeypointFrame,
    RobotModelError,
    normalise_joint_name,
    read_spec_file,
    spec_from_dict,
)


def test_spec_and_registry_do_not_import_pinocchio():
    code = (
        "import sys, molingo_ros.robot.spec, molingo_ros.robot.registry; "
        "print('pinocchio' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_normalise_joint_name():
    assert normalise_joint_name("left_knee_joint") == "knee"
    assert normalise_joint_name("Right_Hip_Pitch") == "hip_pitch"
    assert normalise_joint_name("waist_yaw_joint") == "waist_yaw"


def test_minimal_spec_defaults():
    keypoints = {k: {"frame": f"{k}_link"} for k in _g1_doc()["robot"]["keypoints"]}
    spec = spec_from_dict(
        {"name": "mini", "keypoints": keypoints, "sole_offset_m": [0, 0, -0.05]}, "mini"
    )
    assert spec.source is None and spec.description == "" and spec.floating_base is True
    assert spec.keypoints["head"] == KeypointFrame("head_link", (0.0, 0.0, 0.0))
    assert spec.sole_offset_m == (0.0, 0.0, -0.05)
    assert spec.velocity_limits_rad_s == {}
    assert spec.default_velocity_limit_rad_s == FALLBACK_VELOCITY_LIMIT_RAD_S
    assert spec.retarget is None and spec.config_path is None


def test_read_spec_file_keeps_path_and_retarget(tmp_path: Path):
    doc = _g1_doc()
    doc["retarget"] = {"anything": [1, 2, 3]}
    path = _write(tmp_path, doc)
    spec = read_spec_file(path)
    assert spec.config_path == path
    assert spec.retarget == {"anything": [1, 2, 3]}
    assert spec == spec_from_dict(doc["robot"], "x")  # retarget and config_path not compared


def _edit(change):
    def apply(doc):
        change(doc["robot"])
        return doc

    return apply


BAD_CONFIGS = {
    "not yaml": (
        "robot:\n  name: [g1\n",
        r"not valid YAML",
    ),
    "no robot key": (
        {"retarget": {}},
        r"no top-level 'robot:' mapping \(found: retarget\)",
    ),
    "missing name": (
        _edit(lambda r: r.pop("name")),
        r"robot: missing required key\(s\) name; valid: name, description",
    ),
    "missing sole offset": (
        _edit(lambda r: r.pop("sole_offset_m")),
        r"missing required key\(s\) sole_offset_m",
    ),
    "unknown robot key": (
        _edit(lambda r: r.update(sole_offset=[0, 0, 0])),
        r"robot: unknown key\(s\) sole_offset; valid: name, description, source, floating_base, "
        r"keypoints, sole_offset_m, velocity_limits_rad_s, default_velocity_limit_rad_s",
    ),
    "unknown keypoint key": (
        _edit(lambda r: r["keypoints"]["head"].update(offset=[0, 0, 1])),
        r"robot\.keypoints\.head: unknown key\(s\) offset; valid: frame, offset_m",
    ),
    "keypoint without frame": (
        _edit(lambda r: r["keypoints"].update(head={"offset_m": [0, 0, 1]})),
        r"robot\.keypoints\.head: missing required key\(s\) frame",
    ),
    "offset of 2 numbers": (
        _edit(lambda r: r["keypoints"]["left_hand"].update(offset_m=[0.107, 0.0])),
        r"robot\.keypoints\.left_hand\.offset_m: must be 3 numbers \[x, y, z\]",
    ),
    "offset not numbers": (
        _edit(lambda r: r.update(sole_offset_m=["0", 0, -0.036])),
        r"robot\.sole_offset_m: must be 3 numbers",
    ),
    "missing required keypoint": (
        _edit(lambda r: r["keypoints"].pop("right_hand")),
        r"robot\.keypoints: missing required keypoint\(s\) right_hand; required: pelvis, ",
    ),
    "bad format": (
        _edit(lambda r: r["source"].update(format="sdf")),
        r"robot\.source\.format: must be one of \('urdf', 'mjcf'\), got 'sdf'",
    ),
    "unknown source key": (
        _edit(lambda r: r["source"].update(file="x")),
        r"robot\.source: unknown key\(s\) file; valid: package, path, format",
    ),
    "unnormalised joint name": (
        _edit(lambda r: r["velocity_limits_rad_s"].update(left_knee_joint=20.0)),
        r"velocity_limits_rad_s\.left_knee_joint: .* use 'knee'",
    ),
    "negative limit": (
        _edit(lambda r: r["velocity_limits_rad_s"].update(knee=-1)),
        r"velocity_limits_rad_s\.knee: must be a positive number, got -1",
    ),
    "floating base not bool": (
        _edit(lambda r: r.update(floating_base="yes please")),
        r"robot\.floating_base: must be true or false",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_errors(case: str, tmp_path: Path):
    change, pattern = BAD_CONFIGS[case]
    doc = change(_g1_doc()) if callable(change) else change
    path = _write(tmp_path, doc)
    for load in (read_spec_file, load_robot_spec):
        with pytest.raises(RobotModelError, match=pattern) as info:
            load(path)
        assert str(path) in str(info.value)  # names the file
