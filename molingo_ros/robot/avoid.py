"""Self-collision avoidance for one configuration: find colliding link pairs (the validator's
filtered pairs: bounding-sphere broad phase, convex-hull middle phase, mesh narrow phase) and
build separation constraints for the IK from the convex hulls' witness points.

For a colliding pair with hull witness points ``p1`` (on link 1) and ``p2`` (on link 2) and
unit normal ``n`` (from 1 to 2), the row ``n^T (J2(p2) - J1(p1)) dq = clearance - d`` asks the
IK to move the two points apart until they are ``clearance`` metres apart (``d`` is the signed
hull distance, negative when they overlap). ``J(p)`` is the world-aligned Jacobian of the point
``p`` fixed to the link (pinocchio joint Jacobian shifted to ``p``).

Conventions: metres, world frame, z up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pinocchio as pin

from molingo_ros.robot.collision_setup import CollisionSetup, collision_setup
from molingo_ros.robot.models import Robot
from molingo_ros.robot.validator import ValidatorConfig


@dataclass(frozen=True)
class AvoidConfig:
    """Settings of the self-collision repair in the retargeter.

    Attributes:
        enabled: check every output frame and repair colliding ones.
        clearance_m: distance the repair aims for between the two hulls.
        weight: IK weight of a separation row (keypoint positions have weights ~1-10).
        max_iterations: repair steps per frame (each re-checks the collisions).
    """

    enabled: bool = True
    clearance_m: float = 0.01
    weight: float = 100.0
    max_iterations: int = 10


def _skew(v: np.ndarray) -> np.ndarray:
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def prepare_collisions(robot: Robot, validator: ValidatorConfig | None = None) -> CollisionSetup:
    """Do the one-time self-collision set-up of ``robot`` now: load its collision meshes,
    filter the pairs, build the bounding spheres and the convex hulls (~1 s for the G1, all
    cached on the robot). The validator's check and the retargeter's repair with the same
    ``validator`` settings then start warm, so a robot loaded for retargeting pays this at
    load (the command line) or configure (the node), not in its first retarget."""
    config = validator or ValidatorConfig()
    setup = collision_setup(
        robot,
        min_distance_m=config.min_collision_distance_m,
        filter_adjacent_links=config.filter_adjacent_links,
        filter_neutral_collisions=config.filter_neutral_collisions,
    )
    setup.ensure_hulls()
    return setup


class CollisionChecker:
    """Per-configuration self-collision queries on ``robot`` (same pairs as the validator)."""

    def __init__(self, robot: Robot, validator: ValidatorConfig | None = None) -> None:
        self.robot = robot
        self.setup = s = prepare_collisions(robot, validator)
        self._joints = np.asarray(s.sphere_joint, dtype=np.int64)
        self._centres = np.asarray(s.sphere_centre, dtype=np.float64)
        self._first = np.asarray(s.pair_first, dtype=np.int64)
        self._second = np.asarray(s.pair_second, dtype=np.int64)
        reach = np.asarray(s.pair_reach, dtype=np.float64)
        self._reach2 = np.square(np.where(reach >= 0.0, reach, np.nan))
        self._dist_data = pin.GeometryData(s.hull_model)
        objects = s.geom_model.geometryObjects
        self._pair_joints = [
            (int(objects[int(a)].parentJoint), int(objects[int(b)].parentJoint))
            for a, b in zip(self._first, self._second, strict=True)
        ]

    def colliding_pairs(self, q: np.ndarray) -> list[int]:
        """Indices (into the setup's pair list) of the pairs in collision at ``q``. Leaves
        ``robot.data`` with the forward kinematics of ``q``."""
        s, robot = self.setup, self.robot
        model, data = robot.model, robot.data
        if not len(self._first):
            return []
        pin.forwardKinematics(model, data, q)
        rot = np.array([data.oMi[j].rotation for j in range(model.njoints)])
        pos = np.array([data.oMi[j].translation for j in range(model.njoints)])
        centres = np.einsum("gij,gj->gi", rot[self._joints], self._centres) + pos[self._joints]
        d = centres[self._first] - centres[self._second]
        cand = np.flatnonzero(np.einsum("pi,pi->p", d, d) <= self._reach2)
        if not cand.size:
            return []
        gm, gd, hm, hd = s.geom_model, s.geom_data, s.hull_model, s.hull_data
        pin.updateGeometryPlacements(model, data, gm, gd)
        pin.updateGeometryPlacements(model, data, hm, hd)
        hits = []
        for k in cand.tolist():
            if s.pair_hull[k] and not pin.computeCollision(hm, hd, k):
                continue
            if pin.computeCollision(gm, gd, k):
                hits.append(k)
        return hits

    def separation_rows(self, q: np.ndarray, pairs: list[int], clearance_m: float):
        """(J (r, nv), e (r,)) separation rows for ``pairs`` at ``q`` (see module docstring).
        Pairs whose hull distance cannot be measured are skipped."""
        robot = self.robot
        model, data = robot.model, robot.data
        hm, hd = self.setup.hull_model, self._dist_data
        pin.computeJointJacobians(model, data, q)
        pin.updateGeometryPlacements(model, data, hm, hd)
        rows, errs = [], []
        frame = pin.ReferenceFrame.LOCAL_WORLD_ALIGNED
        for k in pairs:
            res = pin.computeDistance(hm, hd, k)
            p1 = np.asarray(res.getNearestPoint1(), dtype=np.float64)
            p2 = np.asarray(res.getNearestPoint2(), dtype=np.float64)
            n = np.asarray(res.normal, dtype=np.float64)
            norm = float(np.linalg.norm(n))
            if not np.isfinite(norm) or norm < 1e-9:
                continue
            n = n / norm
            j1, j2 = self._pair_joints[k]
            jac = np.zeros((3, model.nv))
            for joint, point, sign in ((j2, p2, 1.0), (j1, p1, -1.0)):
                if joint == 0:
                    continue
                jj = pin.getJointJacobian(model, data, joint, frame)
                origin = data.oMi[joint].translation
                jac += sign * (jj[:3] - _skew(point - origin) @ jj[3:])
            rows.append(n @ jac)
            errs.append(clearance_m - float(res.min_distance))
        if not rows:
            return np.zeros((0, model.nv)), np.zeros(0)
        return np.asarray(rows), np.asarray(errs)
