"""The robots in MuJoCo (molingo_ros.sim.player): the real G1, H1 and T1 MJCF scenes (from the
installed envpool assets) driven by the project's configurations, floor checks on a real
retargeted Bandai walk, offscreen rendering (EGL) and video files."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

from molingo_ros.motion.convert import load_motion
from molingo_ros.robot.models import (
    G1_URDF_SOURCE,
    Robot,
    load_robot,
    load_robot_from_urdf_string,
    resolve_model_path,
)
from molingo_ros.robot.retarget import retarget

# isort: off
# The player module sets MUJOCO_GL (EGL) before it imports mujoco, which reads it on import.
from molingo_ros.sim.player import (
    MujocoRobot,
    SceneRenderer,
    SimError,
    scene_path,
    write_video,
)
import mujoco

# isort: on

ROBOT_NAMES = ("g1", "h1", "t1")
WALK_CLIP = "dataset-2_walk_normal_001"
WIDTH, HEIGHT = 160, 120


@pytest.fixture(scope="module")
def robots() -> dict[str, Robot]:
    return {name: load_robot(name) for name in ROBOT_NAMES}


@pytest.fixture(scope="module")
def sims(robots) -> dict[str, MujocoRobot]:
    return {name: MujocoRobot(robot) for name, robot in robots.items()}


@pytest.fixture(scope="module")
def g1(robots) -> Robot:
    return robots["g1"]


@pytest.fixture(scope="module")
def walk_g1(bandai_clip, g1):
    """The first 60 frames (2 s) of a real Bandai walk retargeted onto the G1."""
    return retarget(load_motion(bandai_clip(WALK_CLIP)).frames(0, 60), g1)


@pytest.fixture(scope="module")
def renderer(g1):
    sim = MujocoRobot(g1)  # its own model and data: other tests move the shared ones
    r = SceneRenderer(sim, WIDTH, HEIGHT)
    yield r
    r.close()


def _root_body(sim: MujocoRobot) -> int:
    """The MuJoCo body of the free joint (the robot's root)."""
    m = sim.model
    free = [j for j in range(m.njnt) if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE]
    return int(m.jnt_bodyid[free[0]])


def _quat_xyzw(axis: list[float], angle: float) -> np.ndarray:
    axis = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    return np.concatenate([np.sin(angle / 2) * axis, [np.cos(angle / 2)]])


def _posed(robot: Robot, seed: int) -> np.ndarray:
    """Neutral moved, turned about a tilted axis, every joint at a random angle in range."""
    rng = np.random.default_rng(seed)
    q = robot.neutral()
    q[:3] += [0.4, -0.3, 0.1]
    q[3:7] = _quat_xyzw([0.2, -0.3, 1.0], 0.8)
    q[robot.joint_q_indices] = rng.uniform(0.8 * robot.lower, 0.8 * robot.upper)
    return q


# -- the model ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_scene_is_the_menagerie_scene_beside_the_model(robots, name):
    path = scene_path(robots[name])
    assert path.name == "scene.xml"
    assert path.parent == resolve_model_path(robots[name].spec.source).parent


def test_urdf_only_robot_has_no_scene():
    urdf = load_robot_from_urdf_string(resolve_model_path(G1_URDF_SOURCE).read_text(), "g1")
    with pytest.raises(SimError, match="MJCF"):
        scene_path(urdf)
    with pytest.raises(SimError):
        MujocoRobot(urdf)


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_every_robot_joint_is_a_mujoco_joint(robots, sims, name):
    robot, sim = robots[name], sims[name]
    m = sim.model
    assert len(sim.joint_qadr) == robot.num_joints
    assert len(set(sim.joint_qadr.tolist())) == robot.num_joints
    for i, joint in enumerate(robot.joint_names):
        jid = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, joint)
        assert jid >= 0, joint
        assert sim.joint_qadr[i] == m.jnt_qposadr[jid]
        assert sim.joint_vadr[i] == m.jnt_dofadr[jid]
    # Every joint is driven by an actuator (physics mode) and the scene has its floor.
    assert (sim.joint_actuator >= 0).all()
    assert len(sim.floor_geoms) >= 1
    # The free joint's 7 coordinates plus the robot's joints are all of qpos.
    assert m.nq == robot.nq


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_configuration_round_trip(robots, sims, name):
    robot, sim = robots[name], sims[name]
    q = _posed(robot, seed=1)
    sim.set_configuration(q)
    np.testing.assert_allclose(sim.configuration(), q, atol=1e-12)
    a = sim.free_adr
    x, y, z, w = q[3:7]
    np.testing.assert_allclose(sim.data.qpos[a + 3 : a + 7], [w, x, y, z])  # MuJoCo order
    np.testing.assert_allclose(sim.data.qpos[a : a + 3], q[:3])


def test_yaw_90_turns_the_robot_x_axis_to_world_y(g1, sims):
    sim = sims["g1"]
    q = g1.neutral()
    q[3:7] = _quat_xyzw([0, 0, 1], np.pi / 2)
    sim.set_configuration(q)
    rot = sim.data.xmat[_root_body(sim)].reshape(3, 3)  # columns: the body's axes in world
    np.testing.assert_allclose(rot[:, 0], [0, 1, 0], atol=1e-9)
    np.testing.assert_allclose(rot[:, 1], [-1, 0, 0], atol=1e-9)
    np.testing.assert_allclose(rot[:, 2], [0, 0, 1], atol=1e-9)


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_root_orientation_matches_pinocchio(robots, sims, name):
    robot, sim = robots[name], sims[name]
    q = _posed(robot, seed=2)
    sim.set_configuration(q)
    expected = pin.XYZQUATToSE3(q[:7])  # pinocchio: x y z qx qy qz qw
    body = _root_body(sim)
    np.testing.assert_allclose(sim.data.xmat[body].reshape(3, 3), expected.rotation, atol=1e-9)
    np.testing.assert_allclose(sim.data.xpos[body], expected.translation, atol=1e-9)


def test_joint_angle_lands_on_its_mujoco_joint(g1, sims):
    sim = sims["g1"]
    q = g1.neutral()
    knee = g1.joint_names.index("left_knee_joint")
    q[g1.joint_q_indices[knee]] = 1.1
    sim.set_configuration(q)
    jid = mujoco.mj_name2id(sim.model, mujoco.mjtObj.mjOBJ_JOINT, "left_knee_joint")
    assert sim.data.qpos[sim.model.jnt_qposadr[jid]] == pytest.approx(1.1)
    right = mujoco.mj_name2id(sim.model, mujoco.mjtObj.mjOBJ_JOINT, "right_knee_joint")
    assert sim.data.qpos[sim.model.jnt_qposadr[right]] == 0.0
    # Only that one joint moved: every other actuated coordinate is still 0.
    others = np.delete(sim.data.qpos[sim.joint_qadr], knee)
    assert not others.any()


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_foot_height_matches_pinocchio_soles(robots, sims, name):
    """Same joints, same root, same model file: MuJoCo's soles are pinocchio's."""
    robot, sim = robots[name], sims[name]
    for seed in (3, 4):
        q = _posed(robot, seed)
        sim.set_configuration(q)
        soles = robot.sole_positions(q)
        expected = min(soles["left"][2], soles["right"][2])
        assert sim.foot_height_z() == pytest.approx(expected, abs=1e-6)


# -- floor checks ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_neutral_stands_on_the_floor(robots, sims, name):
    robot, sim = robots[name], sims[name]
    q = robot.neutral()
    assert q[2] > 0.5  # the root lifted to standing height
    sim.set_configuration(q)
    # neutral() puts the lowest sole centre at z = 0 (pinocchio); MuJoCo agrees to 1 mm.
    assert abs(sim.foot_height_z()) < 0.001
    assert sim.root_height() == pytest.approx(q[2])


def test_neutral_lifted_feet_are_seen(g1, sims):
    sim = sims["g1"]
    q = g1.neutral()
    q[2] += 0.2
    sim.set_configuration(q)
    assert sim.foot_height_z() == pytest.approx(0.2, abs=0.001)


def test_retargeted_walk_keeps_feet_on_the_floor(walk_g1, sims):
    sim = sims["g1"]
    heights = []
    for q in walk_g1.qpos:
        sim.set_configuration(q)
        heights.append(sim.foot_height_z())
    heights = np.asarray(heights)
    assert len(heights) == 60
    assert np.isfinite(heights).all()
    assert heights.min() >= -0.01  # no frame sinks into the floor
    assert np.mean(heights <= 0.03) > 0.9  # a foot is on the floor on (nearly) every frame


# -- physics -----------------------------------------------------------------------------------


def test_every_joint_is_driven_by_a_torque_motor(g1):
    """The Menagerie G1 ships position servos; in the simulator each joint's actuator is a
    torque motor limited by the joint's force range: off the floor, with joint friction off,
    torques give exactly pinocchio's forward dynamics (ABA)."""
    sim = MujocoRobot(g1)
    m = sim.model
    sim.model.dof_frictionloss[:] = 0.0
    q = g1.neutral()
    q[2] += 1.0  # in the air
    sim.set_configuration(q)
    tau = np.linspace(-5.0, 5.0, g1.num_joints)
    sim.data.ctrl[sim.joint_actuator] = tau
    mujoco.mj_forward(m, sim.data)
    assert sim.data.ncon == 0
    assert np.allclose(sim.data.actuator_force[sim.joint_actuator], tau)
    qs, v = sim.state()
    a = pin.aba(g1.model, g1.data, qs, v, np.concatenate([np.zeros(6), tau]))
    assert np.allclose(sim.data.qacc[sim.joint_vadr], a[6:], atol=1e-6)
    hip = sim.joint_actuator[g1.joint_names.index("left_hip_pitch_joint")]
    assert m.actuator_ctrlrange[hip].tolist() == [-88.0, 88.0]


def test_state_is_in_pinocchio_convention(g1):
    """state() gives v with the root's linear velocity in the root frame: integrating it on
    pinocchio's manifold over one step lands where MuJoCo does."""
    sim = MujocoRobot(g1)
    q = g1.neutral()
    q[2] += 1.0
    q[3:7] = np.array([0.1, 0.2, 0.3, 0.9]) / np.linalg.norm([0.1, 0.2, 0.3, 0.9])
    sim.set_configuration(q)
    rng = np.random.default_rng(0)
    sim.data.qvel[:] = rng.normal(0.0, 0.5, sim.model.nv)
    q0, v0 = sim.state()
    sim.step_torques(np.zeros(g1.num_joints), 1)
    q1, _ = sim.state()
    dt = sim.model.opt.timestep
    moved = pin.difference(g1.model, q0, q1) / dt
    assert np.allclose(moved[:6], v0[:6], atol=0.05)
    assert sim.data.time == pytest.approx(dt)


def test_a_robot_without_torques_falls(g1):
    sim = MujocoRobot(g1)
    sim.set_configuration(g1.neutral())
    start = sim.root_height()
    for _ in range(100):
        sim.step_torques(np.zeros(g1.num_joints), 10)
    assert np.isfinite(sim.data.qpos).all()
    assert sim.root_height() < 0.6 * start


# -- rendering ---------------------------------------------------------------------------------


def _orange(frame: np.ndarray) -> int:
    """Pixels of the skeleton's orange (0.95, 0.55, 0.15), lit or shaded."""
    f = frame.astype(np.int64)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    return int(((r > 150) & (r - b > 90) & (g > 60) & (g < r - 30)).sum())


def test_render_frame_size_and_content(renderer, g1):
    renderer.sim.set_configuration(g1.neutral())
    frame = renderer.render()
    assert frame.shape == (HEIGHT, WIDTH, 3)
    assert frame.dtype == np.uint8
    assert frame.std() > 10  # robot, floor, sky: not one flat colour
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 50
    assert _orange(frame) == 0


def test_skeleton_is_drawn_beside_the_robot(renderer, g1):
    renderer.sim.set_configuration(g1.neutral())
    plain = renderer.render()
    # A small figure 0.8 m to the robot's left: hips, knee, foot, two hands.
    pos = np.array(
        [[0, 0.8, 1.0], [0, 0.8, 0.5], [0, 0.8, 0.1], [0, 0.6, 1.4], [0, 1.0, 1.4]],
        dtype=np.float64,
    )
    parents = np.array([-1, 0, 1, 0, 0])
    drawn = renderer.render(skeleton=(pos, parents))
    changed = (np.abs(drawn.astype(np.int64) - plain).sum(axis=-1) > 30).sum()
    assert changed > 50
    assert _orange(drawn) > 10
    # The skeleton is drawn into that frame only.
    assert _orange(renderer.render()) == 0


# -- video files -------------------------------------------------------------------------------


def _frames(n: int) -> list[np.ndarray]:
    """Moving colour gradients, (HEIGHT, WIDTH, 3) uint8."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    return [
        np.stack([(x * 2 + 8 * i) % 256, (y * 2) % 256, np.full_like(x, 40 * i % 256)], -1).astype(
            np.uint8
        )
        for i in range(n)
    ]


def test_write_mp4(tmp_path):
    import imageio_ffmpeg

    path = write_video(_frames(6), tmp_path / "out" / "clip.mp4", fps=30)
    assert path == tmp_path / "out" / "clip.mp4"
    data = path.read_bytes()
    assert len(data) > 1000
    assert data[4:8] == b"ftyp"  # an MP4 container
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    assert tuple(meta["size"]) == (WIDTH, HEIGHT)
    assert sum(1 for _ in reader) == 6


def test_write_gif(tmp_path):
    from PIL import Image

    path = write_video(_frames(4), tmp_path / "clip.gif", fps=10)
    assert path.read_bytes()[:6] == b"GIF89a"
    with Image.open(path) as gif:
        assert gif.size == (WIDTH, HEIGHT)
        assert gif.n_frames == 4
        assert gif.info["duration"] == 100


@pytest.mark.parametrize("suffix", [".avi", ".png", ""])
def test_write_video_refuses_other_suffixes(tmp_path, suffix):
    with pytest.raises(ValueError, match="mp4 or .gif"):
        write_video(_frames(2), tmp_path / f"clip{suffix}", fps=30)


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_write_video_refuses_no_frames(tmp_path, suffix):
    with pytest.raises(ValueError, match="no frames"):
        write_video([], tmp_path / f"clip{suffix}", fps=30)
    assert not (tmp_path / f"clip{suffix}").exists()
