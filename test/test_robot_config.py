"""The one robot loader (molingo_ros.robot.config) on the real G1 files: registered names,
custom robot YAMLs, URDF text (robot_description) with and without renamed joints."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from molingo_ros.robot import DEFAULT_ROBOT
from molingo_ros.robot.config import (
    RobotConfig,
    guess_joint_name_map,
    load_robot_config,
    read_urdf_joint_names,
    rename_urdf_joints,
    spec_joint_names,
)
from molingo_ros.robot.models import (
    G1_URDF_SOURCE,
    RobotModelError,
    get_spec,
    load_robot,
    resolve_model_path,
    robot_config_path,
)
from molingo_ros.robot.retarget_config import RetargetError, retarget_config_for

# --------------------------------------------------------------------------------------------
# Counting real opens of a file (an audit hook: added once, counts only while armed).
# --------------------------------------------------------------------------------------------

_OPENS: dict[str, int] = {}


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _OPENS and args and isinstance(args[0], str | os.PathLike):
        path = os.path.abspath(os.fspath(args[0]))
        if path in _OPENS:
            _OPENS[path] += 1


sys.addaudithook(_audit)


class count_opens:  # noqa: N801 - used as a context manager, reads like a function
    """``with count_opens(path) as n: ...; n()`` = how often ``path`` was opened inside."""

    def __init__(self, path: Path) -> None:
        self.key = os.path.abspath(path)

    def __enter__(self):
        _OPENS[self.key] = 0
        return lambda: _OPENS.get(self.key, 0)

    def __exit__(self, *exc) -> None:
        self.count = _OPENS.pop(self.key)


# --------------------------------------------------------------------------------------------


def custom_yaml(folder: Path, name: str = "mybot", **robot_changes) -> Path:
    """A copy of the G1 robot YAML (robot: and retarget:) under another name."""
    doc = yaml.safe_load(robot_config_path("g1").read_text())
    doc["robot"]["name"] = name
    doc["robot"].update(robot_changes)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def g1_urdf() -> str:
    """The G1 URDF text (example-robot-data), as robot_state_publisher would publish it."""
    return resolve_model_path(G1_URDF_SOURCE).read_text()


def _strip_joint_suffix(urdf: str) -> str:
    """The URDF with every joint name's ``_joint`` suffix removed (links unchanged)."""
    names = read_urdf_joint_names(urdf)
    return rename_urdf_joints(urdf, {n: n.removesuffix("_joint") for n in names})


def test_registered_robot():
    cfg = load_robot_config()
    assert DEFAULT_ROBOT == "g1" and cfg.name == "g1"
    assert cfg.path == robot_config_path("g1")
    assert cfg.spec == get_spec("g1") and cfg.robot.spec is cfg.spec
    assert cfg.retarget == retarget_config_for("g1")
    assert cfg.joint_name_map == {} and cfg.extra_joints == ()
    assert cfg.urdf_joint_names == cfg.robot.joint_names
    assert load_robot_config("h1").robot.nq == 26


def test_unknown_robot_names_the_registered_ones():
    with pytest.raises(RobotModelError, match=r"unknown robot 'mybot'; known: g1, h1, t1.*YAML"):
        load_robot_config("mybot")


def test_custom_yaml_is_read_once(tmp_path: Path):
    path = custom_yaml(tmp_path)
    with count_opens(path) as opens:
        cfg = load_robot_config(str(path))
        assert opens() == 1
        # The retarget settings came with the spec: asking again reads nothing.
        assert retarget_config_for(cfg.robot) == cfg.retarget
        assert opens() == 1
    assert cfg.name == "mybot" and cfg.path == path
    assert cfg.retarget == retarget_config_for("g1")
    assert cfg.robot.joint_names == load_robot("g1").joint_names
    path.unlink()  # nothing reads it later either
    assert RobotConfig.from_robot(cfg.robot).retarget == cfg.retarget


def test_yaml_without_retarget_section(tmp_path: Path):
    doc = yaml.safe_load(robot_config_path("g1").read_text())
    del doc["retarget"]
    path = tmp_path / "bare.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(RetargetError, match=r"bare\.yaml has no top-level 'retarget:'"):
        load_robot_config(path)


def test_urdf_string_equals_the_urdf_file(tmp_path: Path, g1_urdf: str):
    """A robot YAML whose model file is the G1 URDF: loading the file and loading its text
    (the robot_description) give the same robot."""
    source = {"package": G1_URDF_SOURCE.package, "path": G1_URDF_SOURCE.relative_path}
    path = custom_yaml(tmp_path, "g1_urdf", source={**source, "format": "urdf"})
    from_file = load_robot_config(path).robot
    from_text = load_robot_config(path, urdf_xml=g1_urdf).robot
    assert from_text.joint_names == from_file.joint_names
    np.testing.assert_array_equal(from_text.lower, from_file.lower)
    np.testing.assert_array_equal(from_text.upper, from_file.upper)
    np.testing.assert_array_equal(from_text.velocity_limits, from_file.velocity_limits)
    np.testing.assert_allclose(from_text.neutral(), from_file.neutral())
    # And the registered G1 (MJCF) with that text: the same joints and limits, by name.
    mjcf = load_robot("g1")
    cfg = load_robot_config("g1", urdf_xml=g1_urdf)
    assert cfg.joint_name_map == {} and cfg.extra_joints == ()
    assert sorted(cfg.robot.joint_names) == sorted(mjcf.joint_names)
    lower = dict(zip(cfg.robot.joint_names, cfg.robot.lower, strict=True))
    np.testing.assert_allclose([lower[n] for n in mjcf.joint_names], mjcf.lower, atol=1e-5)


def test_renamed_joints_need_a_map(g1_urdf: str):
    stripped = _strip_joint_suffix(g1_urdf)
    spec_names = spec_joint_names(get_spec("g1"))
    with pytest.raises(RobotModelError) as err:
        load_robot_config("g1", urdf_xml=stripped)
    msg = str(err.value)
    assert "the URDF lacks 29 joint(s) of the spec's model: left_hip_pitch_joint," in msg
    assert "the URDF's joints: left_hip_pitch, left_hip_roll," in msg  # the valid names
    assert "joint_name_map='auto'" in msg and "'left_hip_pitch': 'left_hip_pitch_joint'" in msg

    mapping = {n.removesuffix("_joint"): n for n in spec_names}
    cfg = load_robot_config("g1", urdf_xml=stripped, joint_name_map=mapping)
    assert sorted(cfg.robot.joint_names) == sorted(spec_names)
    assert cfg.urdf_joint_names == [n.removesuffix("_joint") for n in cfg.robot.joint_names]
    assert cfg.joint_name_map == mapping
    auto = load_robot_config("g1", urdf_xml=stripped, joint_name_map="auto")
    assert auto.joint_name_map == mapping and auto.robot.joint_names == cfg.robot.joint_names
    # The same kinematics as the unrenamed text.
    plain = load_robot_config("g1", urdf_xml=g1_urdf).robot
    np.testing.assert_allclose(cfg.robot.neutral(), plain.neutral())
    np.testing.assert_array_equal(cfg.robot.upper, plain.upper)


def test_partial_or_wrong_maps_are_refused(g1_urdf: str):
    stripped = _strip_joint_suffix(g1_urdf)
    with pytest.raises(RobotModelError, match=r"lacks 28 joint\(s\).*after joint_name_map"):
        load_robot_config("g1", urdf_xml=stripped, joint_name_map={"left_knee": "left_knee_joint"})
    with pytest.raises(RobotModelError, match=r"names joint\(s\) the URDF lacks: knee; the URDF"):
        load_robot_config("g1", urdf_xml=stripped, joint_name_map={"knee": "left_knee_joint"})
    with pytest.raises(RobotModelError, match=r"several URDF joints are called left_knee_joint"):
        load_robot_config(
            "g1",
            urdf_xml=stripped,
            joint_name_map={"left_knee": "left_knee_joint", "right_knee": "left_knee_joint"},
        )
    with pytest.raises(RobotModelError, match="no URDF text"):
        load_robot_config("g1", joint_name_map={"a": "b"})
    with pytest.raises(RobotModelError, match="could not parse the URDF"):
        load_robot_config("g1", urdf_xml="<robot name='x'><link")


def test_extra_urdf_joints_are_kept(g1_urdf: str):
    extra = (
        '<link name="antenna"/><joint name="antenna_joint" type="revolute">'
        '<parent link="torso_link"/><child link="antenna"/><axis xyz="0 0 1"/>'
        '<limit lower="-1" upper="1" effort="1" velocity="2"/></joint></robot>'
    )
    cfg = load_robot_config("g1", urdf_xml=g1_urdf.replace("</robot>", extra))
    assert cfg.extra_joints == ("antenna_joint",)
    assert cfg.robot.num_joints == 30


def test_guess_joint_name_map():
    spec = ["left_knee_joint", "waist_yaw_joint"]
    assert guess_joint_name_map(spec, spec) == {}
    assert guess_joint_name_map(["left_knee", "waist_yaw"], spec) == {
        "left_knee": "left_knee_joint",
        "waist_yaw": "waist_yaw_joint",
    }
    # The other way: the spec has no suffix, the URDF has it; extra URDF joints are fine.
    assert guess_joint_name_map(["knee_joint", "hand_joint"], ["knee"]) == {"knee_joint": "knee"}
    assert guess_joint_name_map(["left_knee"], spec) is None


def test_urdf_only_yaml(tmp_path: Path, g1_urdf: str):
    doc = yaml.safe_load(robot_config_path("g1").read_text())
    doc["robot"]["name"] = "desc_only"
    del doc["robot"]["source"]
    path = tmp_path / "desc_only.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(RobotModelError, match=r"names no model file.*urdf_xml"):
        load_robot_config(path)
    # No model file to compare against: any joint names are accepted.
    cfg = load_robot_config(path, urdf_xml=_strip_joint_suffix(g1_urdf))
    assert cfg.robot.joint_names[0] == "left_hip_pitch" and cfg.joint_name_map == {}


def test_collision_geometry_falls_back_to_the_spec_file(tmp_path: Path, g1_urdf: str):
    """robot_description meshes under a package this machine lacks: self-collision geometry
    comes from the spec's own model file (the Menagerie MJCF), on the URDF's links."""
    unresolvable = g1_urdf.replace("package://example-robot-data/", "package://no_such_pkg/")
    robot = load_robot_config("g1", urdf_xml=unresolvable).robot
    geom = robot.collision_model
    assert robot.collision_source == str(resolve_model_path(get_spec("g1").source))
    assert geom.ngeoms == load_robot("g1").collision_model.ngeoms
    # Without a model file to fall back on, the error says why.
    doc = yaml.safe_load(robot_config_path("g1").read_text())
    doc["robot"]["name"] = "desc_only"
    del doc["robot"]["source"]
    path = tmp_path / "desc_only.yaml"
    path.write_text(yaml.safe_dump(doc))
    bare = load_robot_config(path, urdf_xml=unresolvable).robot
    with pytest.raises(RobotModelError, match=r"could not be found.*no model file"):
        bare.collision_model  # noqa: B018


def test_prepare_does_the_collision_set_up_at_load():
    from dataclasses import replace

    from molingo_ros.robot.avoid import AvoidConfig, prepare_collisions
    from molingo_ros.robot.validator import ValidatorConfig

    loaded = load_robot_config("g1")
    assert loaded.robot._collision_model is None  # meshes load lazily
    assert loaded.prepare() > 0.0
    setup = prepare_collisions(loaded.robot)  # cached by prepare: the same object
    assert loaded.robot._collision_model is not None and setup.hull_model is not None
    off = replace(loaded, retarget=replace(loaded.retarget, avoid=AvoidConfig(enabled=False)))
    fresh = replace(off, robot=load_robot_config("g1").robot)
    assert fresh.prepare(ValidatorConfig(self_collision=False)) == 0.0
    assert fresh.robot._collision_model is None  # nothing needed it
