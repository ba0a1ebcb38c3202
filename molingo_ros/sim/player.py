"""The robot in MuJoCo: kinematic replay of robot configurations, or physics driven by joint
torques (every joint's actuator a torque motor; the controller: molingo_ros.sim.wbc), floor
checks, and offscreen rendering with the generated human skeleton drawn
beside it. No ROS imports.

Configurations use the project's convention ``q = [x, y, z (m, world, z up), qx, qy, qz, qw,
joint angles (rad) in robot.joint_names order]``; MuJoCo's free joint stores (w, x, y, z), the
conversion is done here. The model is the MuJoCo Menagerie scene of the robot (the same MJCF
pinocchio loads, with its floor), found next to the robot's model file.

Rendering needs an OpenGL backend: ``MUJOCO_GL`` if set, else EGL (Mesa's software renderer
works without a GPU), else OSMesa. About 0.4–0.6 s per 640×480 frame on this 2-core CPU.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from molingo_ros.robot.models import Robot


def _choose_gl() -> str:
    """Pick MUJOCO_GL before mujoco is imported (egl, then osmesa)."""
    if os.environ.get("MUJOCO_GL"):
        return os.environ["MUJOCO_GL"]
    os.environ["MUJOCO_GL"] = "egl"
    return "egl"


_choose_gl()
import mujoco  # noqa: E402  (after MUJOCO_GL is set)


class SimError(RuntimeError):
    """The robot's MuJoCo model cannot be used (no MJCF, joints that do not match)."""


def scene_path(robot: Robot) -> Path:
    """The MJCF scene (robot + floor + lights) of ``robot``: ``scene.xml`` beside its model
    file when there is one, else the model file itself."""
    path = robot.model_path
    if path is None or Path(path).suffix != ".xml":
        raise SimError(f"robot '{robot.name}' has no MJCF model file (MuJoCo needs one)")
    scene = Path(path).parent / "scene.xml"
    return scene if scene.exists() else Path(path)


class MujocoRobot:
    """A robot model in MuJoCo, driven by the project's configurations."""

    def __init__(self, robot: Robot) -> None:
        self.robot = robot
        self.path = scene_path(robot)
        self.model = mujoco.MjModel.from_xml_path(str(self.path))
        self.data = mujoco.MjData(self.model)
        m = self.model
        free = [j for j in range(m.njnt) if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE]
        if len(free) != 1:
            raise SimError(f"{self.path} has {len(free)} free joints; one floating base expected")
        self.free_adr = int(m.jnt_qposadr[free[0]])
        self.joint_qadr = np.zeros(robot.num_joints, dtype=np.int64)
        self.joint_vadr = np.zeros(robot.num_joints, dtype=np.int64)
        for i, name in enumerate(robot.joint_names):
            jid = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, name)
            if jid < 0:
                raise SimError(f"joint {name!r} of robot '{robot.name}' is not in {self.path}")
            self.joint_qadr[i] = m.jnt_qposadr[jid]
            self.joint_vadr[i] = m.jnt_dofadr[jid]
        self.floor_geoms = {
            g for g in range(m.ngeom) if m.geom_type[g] == mujoco.mjtGeom.mjGEOM_PLANE
        }
        # The actuator driving each robot joint (physics mode), -1 where there is none.
        by_joint = {
            int(m.actuator_trnid[a, 0]): a
            for a in range(m.nu)
            if m.actuator_trntype[a] == mujoco.mjtTrn.mjTRN_JOINT
        }
        self.joint_actuator = np.array(
            [
                by_joint.get(mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n), -1)
                for n in robot.joint_names
            ]
        )
        self._torque_actuators()

    def _torque_actuators(self) -> None:
        """Make every actuator of a robot joint a torque motor (ctrl = N m), limited by the
        joint's actuator force range: some Menagerie models ship position servos (ctrl = a
        target angle), which the controllers here would fight."""
        m = self.model
        for j, a in enumerate(self.joint_actuator):
            if a < 0:
                continue
            jid = m.dof_jntid[self.joint_vadr[j]]
            m.actuator_gaintype[a] = mujoco.mjtGain.mjGAIN_FIXED
            m.actuator_gainprm[a, :] = 0.0
            m.actuator_gainprm[a, 0] = 1.0
            m.actuator_biastype[a] = mujoco.mjtBias.mjBIAS_NONE
            m.actuator_biasprm[a, :] = 0.0
            if m.jnt_actfrclimited[jid]:
                m.actuator_ctrlrange[a] = m.jnt_actfrcrange[jid]
                m.actuator_ctrllimited[a] = 1
            elif not m.actuator_forcelimited[a]:
                m.actuator_ctrllimited[a] = 0
            else:
                m.actuator_ctrlrange[a] = m.actuator_forcerange[a]
                m.actuator_ctrllimited[a] = 1

    def set_configuration(self, q: np.ndarray) -> None:
        """Kinematic: put the robot at ``q`` (project convention) and compute positions."""
        q = np.asarray(q, dtype=np.float64)
        d = self.data
        a = self.free_adr
        d.qpos[a : a + 3] = q[:3]
        x, y, z, w = q[3:7]
        d.qpos[a + 3 : a + 7] = (w, x, y, z)
        d.qpos[self.joint_qadr] = q[7:]
        d.qvel[:] = 0.0
        mujoco.mj_forward(self.model, d)

    def configuration(self) -> np.ndarray:
        d, a = self.data, self.free_adr
        w, x, y, z = d.qpos[a + 3 : a + 7]
        return np.concatenate([d.qpos[a : a + 3], [x, y, z, w], d.qpos[self.joint_qadr]])

    def foot_height_z(self) -> float:
        """Lowest sole height (m) from the robot's own foot keypoints (pinocchio-free: the
        MuJoCo bodies named like the robot's foot frames)."""
        heights = []
        for side in ("left", "right"):
            frame = self.robot.spec.keypoints[f"{side}_foot"].parent
            bid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_BODY, frame)
            if bid >= 0:
                rot = self.data.xmat[bid].reshape(3, 3)
                sole = self.data.xpos[bid] + rot @ np.asarray(self.robot.spec.sole_offset_m)
                heights.append(float(sole[2]))
        return min(heights) if heights else float("nan")

    # -- physics ------------------------------------------------------------------------------

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """(q, v) in pinocchio's convention: ``v`` = root linear and angular velocity in the
        root frame, then the joint rates (MuJoCo keeps the free joint's linear velocity in the
        world frame)."""
        q = self.configuration()
        d = self.data
        dof = int(self.model.jnt_dofadr[self.model.dof_jntid[0]]) if self.model.nv else 0
        lin_world = d.qvel[dof : dof + 3]
        w, x, y, z = d.qpos[self.free_adr + 3 : self.free_adr + 7]
        rot = np.empty(9)
        mujoco.mju_quat2Mat(rot, np.array([w, x, y, z]))
        v = np.concatenate(
            [rot.reshape(3, 3).T @ lin_world, d.qvel[dof + 3 : dof + 6], d.qvel[self.joint_vadr]]
        )
        return q, v

    def step_torques(self, tau: np.ndarray, steps: int = 1) -> None:
        """Apply joint torques ``tau`` (N m, ``robot.joint_names`` order; joints without an
        actuator ignored) for ``steps`` physics steps."""
        have = self.joint_actuator >= 0
        self.data.ctrl[self.joint_actuator[have]] = np.asarray(tau)[have]
        mujoco.mj_step(self.model, self.data, nstep=max(1, int(steps)))

    def root_height(self) -> float:
        return float(self.data.qpos[self.free_adr + 2])


class SceneRenderer:
    """Offscreen frames of the robot with an optional human skeleton drawn as capsules."""

    def __init__(self, sim: MujocoRobot, width: int = 640, height: int = 480) -> None:
        self.sim = sim
        m = sim.model
        m.vis.global_.offwidth = max(m.vis.global_.offwidth, width)
        m.vis.global_.offheight = max(m.vis.global_.offheight, height)
        self.renderer = mujoco.Renderer(m, height, width)
        self.camera = mujoco.MjvCamera()
        self.camera.type = mujoco.mjtCamera.mjCAMERA_FREE
        self.camera.distance = 3.6
        self.camera.azimuth = 150.0
        self.camera.elevation = -12.0

    def render(
        self,
        skeleton: tuple[np.ndarray, np.ndarray] | None = None,
        look_at: np.ndarray | None = None,
    ) -> np.ndarray:
        """An RGB frame (H, W, 3) of the current state; ``skeleton`` = (J, 3 positions in m,
        parents) drawn in orange; the camera follows ``look_at`` (default: the root)."""
        sim = self.sim
        target = sim.configuration()[:3] if look_at is None else np.asarray(look_at)
        self.camera.lookat[:] = (target[0], target[1], 0.8)
        self.renderer.update_scene(sim.data, self.camera)
        if skeleton is not None:
            self._draw_skeleton(*skeleton)
        return self.renderer.render().copy()

    def _draw_skeleton(self, pos: np.ndarray, parents: np.ndarray) -> None:
        scene = self.renderer.scene
        rgba = np.array([0.95, 0.55, 0.15, 1.0], dtype=np.float32)
        for j, parent in enumerate(np.asarray(parents)):
            if scene.ngeom >= scene.maxgeom:
                return
            geom = scene.geoms[scene.ngeom]
            mujoco.mjv_initGeom(
                geom,
                mujoco.mjtGeom.mjGEOM_SPHERE,
                np.array([0.035, 0, 0]),
                pos[j],
                np.eye(3).ravel(),
                rgba * np.array([0.3, 0.3, 0.3, 1.0], dtype=np.float32),
            )
            scene.ngeom += 1
            if parent < 0 or scene.ngeom >= scene.maxgeom:
                continue
            geom = scene.geoms[scene.ngeom]
            mujoco.mjv_initGeom(
                geom,
                mujoco.mjtGeom.mjGEOM_CAPSULE,
                np.zeros(3),
                np.zeros(3),
                np.eye(3).ravel(),
                rgba,
            )
            mujoco.mjv_connector(
                geom,
                mujoco.mjtGeom.mjGEOM_CAPSULE,
                0.02,
                np.asarray(pos[int(parent)], dtype=np.float64),
                np.asarray(pos[j], dtype=np.float64),
            )
            scene.ngeom += 1

    def close(self) -> None:
        self.renderer.close()


def write_video(frames: list[np.ndarray], path: str | Path, fps: float) -> Path:
    """Frames (H, W, 3 uint8) to MP4 (H.264, imageio-ffmpeg's own ffmpeg) or GIF (Pillow)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not frames:
        raise ValueError("no frames to write")
    if path.suffix == ".gif":
        from PIL import Image

        images = [Image.fromarray(f) for f in frames]
        images[0].save(
            path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0
        )
        return path
    if path.suffix != ".mp4":
        raise ValueError(f"video must be .mp4 or .gif, got {path.suffix!r}")
    import imageio_ffmpeg

    h, w = frames[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (w, h),
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",
        macro_block_size=8,
        ffmpeg_log_level="error",
    )
    writer.send(None)
    for f in frames:
        writer.send(np.ascontiguousarray(f))
    writer.close()
    return path


__all__ = [
    "MujocoRobot",
    "SceneRenderer",
    "SimError",
    "scene_path",
    "write_video",
]
