"""Tests of molingo_ros.robot.registry: the registered robots (config/robots/*.yaml), the
ROBOTS mapping, and locating the installed model files (MuJoCo Menagerie MJCF in a Python
package, the G1 URDF and meshes in example-robot-data's cmeel share folder)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from robot_helpers import g1_doc, write_config

from molingo_ros.robot.registry import (
    CONFIG_DIR_ENV,
    G1_URDF_SOURCE,
    ROBOTS,
    default_package_dirs,
    get_spec,
    load_robot_spec,
    package_root,
    resolve_model_path,
    robot_config_path,
)
from molingo_ros.robot.spec import ModelSource, RobotModelError


def test_registered_specs_come_from_their_files():
    assert sorted(ROBOTS) == ["g1", "h1", "t1"] and len(ROBOTS) == 3
    for name in ROBOTS:
        spec = get_spec(name)
        assert spec.name == name
        assert spec.config_path == robot_config_path(name)
        assert resolve_model_path(spec.source).is_file()
    assert repr(ROBOTS) == "ROBOTS(g1, h1, t1)"


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(RobotModelError, match=r"unknown robot 'atlas'; known: g1, h1, t1"):
        get_spec("atlas")
    # A name is a file name in the robots folder, never a path out of it.
    for name in ("../robots/g1", "", "robots/g1"):
        with pytest.raises(RobotModelError, match="known: g1, h1, t1"):
            robot_config_path(name)


def test_names_and_paths(tmp_path: Path):
    assert load_robot_spec("g1") == get_spec("g1")
    assert load_robot_spec(robot_config_path("h1")) == get_spec("h1")
    # Anything that looks like a path is read as a file, not looked up as a name.
    for path in ("g1.yaml", str(tmp_path / "g1"), tmp_path / "g1"):
        with pytest.raises(RobotModelError, match="cannot read robot config"):
            load_robot_spec(path)


def test_specs_added_in_code_win_and_can_be_removed():
    custom = get_spec("h1")
    with pytest.raises(TypeError, match="ROBOTS values must be RobotSpec, got dict"):
        ROBOTS["mine"] = {"name": "mine"}  # type: ignore[assignment]
    ROBOTS["g1"] = custom
    ROBOTS["mine"] = custom
    try:
        assert get_spec("g1") is custom and get_spec("mine") is custom
        assert sorted(ROBOTS) == ["g1", "h1", "mine", "t1"]
    finally:
        del ROBOTS["g1"]
        del ROBOTS["mine"]
    assert get_spec("g1").name == "g1" and "mine" not in ROBOTS
    with pytest.raises(KeyError, match="'h1' was not added in code; remove its YAML file"):
        del ROBOTS["h1"]


def test_reload_rereads_the_folder(tmp_path: Path, monkeypatch):
    (tmp_path / "robots").mkdir()
    first = g1_doc()
    first["robot"]["name"] = "first"
    write_config(tmp_path / "robots", first, "first.yaml")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    assert list(ROBOTS) == ["first"]
    second = g1_doc()
    second["robot"]["name"] = "second"
    write_config(tmp_path / "robots", second, "second.yaml")
    assert list(ROBOTS) == ["first"]  # cached per folder ...
    ROBOTS.reload()
    assert sorted(ROBOTS) == ["first", "second"]  # ... until reloaded


def test_model_files_are_found_in_installed_packages():
    # A Python package (the Menagerie MJCF) and a cmeel data folder (example-robot-data).
    g1 = get_spec("g1").source
    assert package_root(g1.package).name == g1.package
    urdf = resolve_model_path(G1_URDF_SOURCE)
    assert urdf.suffix == ".urdf" and package_root("example-robot-data").name in urdf.parts
    with pytest.raises(RobotModelError, match="package 'no-such-robots' is not installed"):
        package_root("no-such-robots")
    missing = ModelSource(g1.package, "robots/nothing.xml", "mjcf")
    with pytest.raises(RobotModelError, match="nothing.xml not found in"):
        resolve_model_path(missing)


def test_package_dirs_resolve_the_urdf_meshes():
    dirs = [Path(d) for d in default_package_dirs()]
    assert dirs and all(d.is_dir() for d in dirs)
    uris = re.findall(
        r'filename="package://([^"]+)"', resolve_model_path(G1_URDF_SOURCE).read_text()
    )
    assert len(uris) > 20
    for uri in uris:
        assert any((d / uri).is_file() for d in dirs), uri
