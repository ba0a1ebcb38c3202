"""Collision geometry of a :class:`~molingo_ros.robot.models.Robot`, loaded lazily through
:attr:`Robot.collision_model <molingo_ros.robot.models.Robot.collision_model>` because reading
the meshes takes seconds (0.9-4.3 s).

A robot built from URDF text takes the text's collision meshes (``package://`` URIs resolved
through ``package_dirs``, then pinocchio's own ``ROS_PACKAGE_PATH`` / ``AMENT_PREFIX_PATH``
lookup). When a mesh cannot be found that way (pinocchio raises "Mesh ... could not be
found") and the spec names a model file, the geometry of that file is attached to the model
instead (its bodies matched to the URDF links by name).
"""

from __future__ import annotations

from pathlib import Path

import pinocchio as pin

from molingo_ros.robot.registry import resolve_model_path
from molingo_ros.robot.spec import RobotModelError, RobotSpec

__all__ = ["load_collision_geometry"]


def load_collision_geometry(
    model: pin.Model,
    spec: RobotSpec,
    *,
    urdf_string: str | None,
    model_path: Path | None,
    package_dirs: list[str],
) -> tuple[pin.GeometryModel, str]:
    """The collision ``pin.GeometryModel`` of ``model`` and where it came from.

    Args:
        model: the robot's pinocchio model.
        spec: the robot's spec (``spec.source`` names the fallback model file).
        urdf_string: the URDF text the model was built from (``None``: built from a file).
        model_path: the model file the model was built from, if known (else resolved from
            ``spec.source``).
        package_dirs: folders for ``package://`` mesh URIs.

    Returns:
        (geometry, source): ``source`` is ``"urdf string"`` or the model file's path.

    Raises:
        RobotModelError: neither the URDF text's geometry nor the model file's can be used.
    """
    kind = pin.GeometryType.COLLISION
    failure = ""
    if urdf_string is not None:
        try:
            geom = pin.buildGeomFromUrdfString(model, urdf_string, kind, package_dirs=package_dirs)
        except (RuntimeError, ValueError) as exc:
            failure = f"the URDF text's collision geometry failed ({exc}); "
        else:
            if geom is not None:
                return geom, "urdf string"
    return _file_geometry(model, spec, kind, failure, model_path, package_dirs)


def _file_geometry(
    model: pin.Model,
    spec: RobotSpec,
    kind: pin.GeometryType,
    failure: str,
    model_path: Path | None,
    package_dirs: list[str],
) -> tuple[pin.GeometryModel, str]:
    """Collision geometry from the spec's model file (``failure``: why the URDF text's
    was not used, or empty)."""
    path = model_path
    if path is None and spec.source is not None:
        path = resolve_model_path(spec.source)
    if path is None or spec.source is None:
        raise RobotModelError(
            f"robot '{spec.name}': {failure}no model file to read geometry from "
            "(the spec has no robot.source)"
        )
    try:
        if spec.source.format == "mjcf":
            geom = pin.buildGeomFromMJCF(model, str(path), kind)
        else:
            geom = pin.buildGeomFromUrdf(model, str(path), kind, package_dirs=package_dirs)
    except (RuntimeError, ValueError) as exc:
        raise RobotModelError(
            f"robot '{spec.name}': {failure}the geometry of {path} does not fit this "
            f"model either: {exc}"
        ) from exc
    return geom, str(path)
