"""Tests of molingo_ros.robot.geometry: collision geometry of the real robots from URDF text
(the G1 URDF of example-robot-data, meshes through ``package://``) or from the model file the
spec names (MuJoCo Menagerie MJCF), with pinocchio and coal."""

from __future__ import annotations

from dataclasses import replace

import pinocchio as pin
import pytest

from molingo_ros.robot.geometry import load_collision_geometry
from molingo_ros.robot.models import (
    G1_URDF_SOURCE,
    RobotModelError,
    load_robot,
    load_robot_from_urdf_string,
    resolve_model_path,
)
from molingo_ros.robot.registry import default_package_dirs, get_spec


@pytest.fixture(scope="module")
def g1_urdf() -> str:
    return resolve_model_path(G1_URDF_SOURCE).read_text()


@pytest.fixture(scope="module")
def g1_from_urdf(g1_urdf):
    return load_robot_from_urdf_string(g1_urdf, "g1")


def _check_attached(geom: pin.GeometryModel, model: pin.Model) -> None:
    assert geom.ngeoms > 0
    for obj in geom.geometryObjects:
        assert 0 < obj.parentJoint < model.njoints


def test_from_the_spec_model_file():
    t1 = load_robot("t1")
    geom, source = load_collision_geometry(
        t1.model, t1.spec, urdf_string=None, model_path=None, package_dirs=[]
    )
    assert source == str(resolve_model_path(t1.spec.source))
    _check_attached(geom, t1.model)


def test_from_urdf_text_with_package_meshes(g1_from_urdf, g1_urdf):
    geom, source = load_collision_geometry(
        g1_from_urdf.model,
        g1_from_urdf.spec,
        urdf_string=g1_urdf,
        model_path=None,
        package_dirs=default_package_dirs(),
    )
    assert source == "urdf string"
    _check_attached(geom, g1_from_urdf.model)
    names = {g1_from_urdf.model.names[o.parentJoint] for o in geom.geometryObjects}
    assert {"left_knee_joint", "right_elbow_joint"} <= names


def test_unresolved_meshes_fall_back_to_the_model_file(g1_from_urdf, g1_urdf):
    geom, source = load_collision_geometry(
        g1_from_urdf.model, g1_from_urdf.spec, urdf_string=g1_urdf, model_path=None, package_dirs=[]
    )
    assert source == str(resolve_model_path(get_spec("g1").source))
    _check_attached(geom, g1_from_urdf.model)  # the MJCF bodies on the URDF's links


def test_nothing_usable_is_an_error(g1_from_urdf):
    no_file = replace(g1_from_urdf.spec, source=None)
    with pytest.raises(RobotModelError, match="collision geometry failed .*no model file") as err:
        load_collision_geometry(
            g1_from_urdf.model,
            no_file,
            urdf_string="<robot name='x'><link",
            model_path=None,
            package_dirs=[],
        )
    assert "robot 'g1'" in str(err.value)
    # A model file whose bodies the model lacks.
    t1 = load_robot("t1")
    with pytest.raises(RobotModelError, match="g1.xml does not fit this model either"):
        load_collision_geometry(
            t1.model, get_spec("g1"), urdf_string=None, model_path=None, package_dirs=[]
        )
