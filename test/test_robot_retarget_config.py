"""Tests of molingo_ros.robot.retarget_config: the ``retarget:`` section of the real robot
YAMLs (config/robots/*.yaml), its checks, and choosing the human mapping for real mocap
(Bandai Namco BVH, DeepMimic)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from robot_helpers import g1_doc, write_config

from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.deepmimic import motions_dir
from molingo_ros.robot.ik import IkConfig
from molingo_ros.robot.models import RobotModelError, load_robot, robot_config_path
from molingo_ros.robot.one_euro_filter import FilterConfig
from molingo_ros.robot.retarget_config import (
    RetargetConfig,
    RetargetError,
    load_retarget_config,
    retarget_config_for,
    retarget_config_from_dict,
)


def test_bad_retarget_yaml_keys():
    base = {"human_joints": {"x": {"pelvis": "Hips"}}}
    with pytest.raises(RetargetError, match="valid:"):
        retarget_config_from_dict({**base, "weights": {}})
    with pytest.raises(RetargetError, match="unknown keypoints"):
        retarget_config_from_dict({"position_weights": {"tail": 1.0}})
    with pytest.raises(RetargetError, match=">= 0"):
        retarget_config_from_dict({"position_weights": {"pelvis": -1}})
    with pytest.raises(RetargetError, match="ik: unknown keys"):
        retarget_config_from_dict({"ik": {"steps": 3}})
    with pytest.raises(RetargetError, match="anchors"):
        retarget_config_from_dict({"anchors": {"left_hand": "tail"}})
    with pytest.raises(RetargetError, match="an anchor cannot have an anchor"):
        retarget_config_from_dict({"anchors": {"left_hand": "left_elbow", "left_elbow": "torso"}})


def test_retarget_config_comes_with_the_spec(tmp_path: Path):
    """A custom robot YAML (not registered): its retarget section is read with its spec, so
    retarget_config_for needs neither the registry nor a second read of the file."""
    path = tmp_path / "mybot.yaml"
    path.write_text(robot_config_path("g1").read_text().replace("name: g1", "name: mybot", 1))
    robot = load_robot(path)
    assert robot.name == "mybot"
    path.unlink()
    assert (
        retarget_config_for(robot) == retarget_config_for(robot.spec) == retarget_config_for("g1")
    )
    with pytest.raises(RobotModelError, match="unknown robot 'mybot'; known: g1, h1, t1"):
        retarget_config_for("mybot")


def test_yaml_configs_of_all_robots_load():
    for name in ("g1", "h1", "t1"):
        config = retarget_config_for(name)
        assert {"bandai", "deepmimic"} <= set(config.human_joints)


def test_sections_and_lists_become_settings():
    config = retarget_config_from_dict(
        {
            "ik": {"iterations": 3},
            "filter": {"joints": ["knee", "ankle"]},
            "position_weights": {"left_hand": 2.5},
            "velocity_limit_fraction": 0.5,
            "ground_contact": False,
        }
    )
    assert config.ik == IkConfig(iterations=3)
    assert config.filter == FilterConfig(joints=("knee", "ankle"))  # a list becomes a tuple
    assert config.position_weights == {"left_hand": 2.5}
    assert config.velocity_limit_fraction == 0.5 and config.ground_contact is False
    assert retarget_config_from_dict({}) == RetargetConfig()
    with pytest.raises(RetargetError, match="where.ik: expected a mapping, got list"):
        retarget_config_from_dict({"ik": [1]}, where="where")
    with pytest.raises(RetargetError, match=r"human_joints.x: unknown keypoints \['tail'\]"):
        retarget_config_from_dict({"human_joints": {"x": {"tail": "Tail"}}})


def test_human_mapping_fits_the_motion(bandai_clip):
    config = retarget_config_for("g1")
    walk = load_motion(bandai_clip("dataset-2_walk_normal_001"))
    rig, mapping = config.human_mapping(walk)
    assert rig == "bandai" and mapping["left_toe"] in walk.joint_names
    deepmimic = load_motion(motions_dir() / "humanoid3d_walk.txt")
    rig, mapping = config.human_mapping(deepmimic)
    assert rig == "deepmimic" and set(mapping.values()) <= set(deepmimic.joint_names)
    # A named rig is taken as given (even when it does not fit) ...
    assert config.human_mapping(walk, "deepmimic")[0] == "deepmimic"
    # ... an unknown one is refused with the known ones.
    with pytest.raises(RetargetError, match="unknown human rig 'smplx'; .*: bandai, deepmimic"):
        config.human_mapping(walk, "smplx")
    with pytest.raises(RetargetError, match="no human_joints mapping"):
        RetargetConfig().human_mapping(walk)


def test_load_retarget_config_from_a_file(tmp_path: Path):
    assert load_retarget_config(robot_config_path("h1")) == retarget_config_for("h1")
    doc = g1_doc()
    del doc["retarget"]
    with pytest.raises(RetargetError, match="has no top-level 'retarget:' section"):
        load_retarget_config(write_config(tmp_path, doc))
    with pytest.raises(RetargetError, match="is not valid YAML"):
        load_retarget_config(write_config(tmp_path, "retarget: [1,", "broken.yaml"))
    with pytest.raises(RetargetError, match="cannot read retarget config"):
        load_retarget_config(tmp_path / "missing.yaml")
    doc = g1_doc()
    doc["retarget"]["filter"]["cutoff"] = 3.0
    with pytest.raises(RetargetError, match=r"robot.yaml: retarget.filter: unknown keys"):
        load_retarget_config(write_config(tmp_path, yaml.safe_dump(doc)))
