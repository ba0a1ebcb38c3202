"""molingo_node: text commands in, validated streaming joint trajectories out.

A lifecycle (managed) node around :class:`~molingo_ros.runtime.controller.MotionController`:

- configure: read the parameters, load the model and the robot, warm up, create the outputs,
  open the bag when recording; activate: accept commands; deactivate: cancel everything and
  publish a hold; cleanup: free the model (and the GPU memory); ``autostart`` (default true)
  configures and activates at start.
- inputs: ``~/command`` (std_msgs/String), ``~/motion_command`` (molingo_ros/MotionCommand),
  the ``~/generate`` action (molingo_ros/action/GenerateMotion: feedback while streaming, a
  result at the end, cancel = hold).
- outputs (names relative to the node's namespace): JointTrajectory chunks
  (``joint_trajectory_controller/joint_trajectory``), and at ``stream.publish_rate_hz`` the
  commanded JointState on ``~/joint_states`` and ``joint_command`` and the
  floating base on ``~/root_pose``; ``~/status`` (transient local) and ``/diagnostics``.
- every chunk passes the validator first (:mod:`molingo_ros.runtime.safety`); bad input is
  answered on the status topic (or in the action result) and the node keeps serving.

Run: ``molingo_node --ros-args --params-file config/molingo.yaml`` (or ``ros2 run`` /
``ros2 launch molingo_ros molingo.launch.py`` in a ROS install).
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from pathlib import Path

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from std_msgs.msg import String
from std_srvs.srv import Trigger

from molingo_ros.language.interpret import CommandInterpreter
from molingo_ros.msg import MotionCommand, MotionStatus
from molingo_ros.ros import params as P
from molingo_ros.ros.description import robot_description
from molingo_ros.ros.goals import GoalServer
from molingo_ros.ros.node_commands import NODE_NAME, CommandIntake
from molingo_ros.ros.node_holds import RobotHolds
from molingo_ros.ros.node_params import LiveParameters, command_interpreter, safety_config
from molingo_ros.ros.node_timers import StreamTimers
from molingo_ros.ros.outputs import RobotOutputs
from molingo_ros.ros.ownership import (
    OwnershipClaim,
    describe,
    must_yield_settled,
    wait_for_discovery,
)
from molingo_ros.ros.qos import latched, reliable
from molingo_ros.ros.recorder import BagRecorder, default_bag_path
from molingo_ros.ros.serve import serve
from molingo_ros.ros.status import StatusReporter
from molingo_ros.runtime.controller import MotionController
from molingo_ros.runtime.engine import EngineConfig, MotionEngine
from molingo_ros.runtime.serving import PROCESS_BUDGET, AdmissionError


class MolingoNode(LiveParameters, CommandIntake, RobotHolds, StreamTimers, LifecycleNode):
    """The text-to-robot-motion node (see the module docstring): wiring, parameters,
    lifecycle here; live parameters in :class:`LiveParameters` (:mod:`.node_params`), the
    command path in :class:`CommandIntake` (:mod:`.node_commands`), holds and the final stop
    in :class:`RobotHolds` (:mod:`.node_holds`), the timers in :class:`StreamTimers`
    (:mod:`.node_timers`)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(NODE_NAME, **kwargs)
        P.declare(self)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.add_post_set_parameters_callback(self._apply_parameters)
        self.cfg = P.read(self)
        self.engine: MotionEngine | None = None
        self.interpreter: CommandInterpreter | None = None
        self.controller: MotionController | None = None
        self.recorder: BagRecorder | None = None
        self.active = False
        self.commands_total = 0
        self.outputs: RobotOutputs | None = None
        self._timers: list = []
        self._wake_generation = None  # guard condition: a command arrived
        self._playback_timer = None
        self._play_group = None
        self._publish_lock = threading.RLock()
        self._accept_lock = threading.Lock()
        self._others: list[str] = []  # other publishers on the robot topics, last seen
        self._claim: OwnershipClaim | None = None
        self._clock_warned = False
        self.last_first_chunk = None  # (command id, FirstChunkTrace) of the last command
        depth = self.cfg.qos_depth
        topics = self.cfg.topics
        # Always-on endpoints (they answer "not active" errors in every lifecycle state).
        self.status = StatusReporter(
            self.create_publisher(MotionStatus, topics["status"], latched()),
            self._publish,
            self.now_s,
            self.get_logger(),
        )
        self._diag_pub = self.create_publisher(
            DiagnosticArray, topics["diagnostics"], reliable(depth)
        )
        self._input_group = MutuallyExclusiveCallbackGroup()
        for msg_type, topic in (
            (String, topics["command"]),
            (MotionCommand, topics["motion_command"]),
        ):
            self.create_subscription(
                msg_type,
                topic,
                lambda raw, t=msg_type, name=topic: self._on_command_bytes(raw, t, name),
                reliable(100),
                callback_group=self._input_group,
                raw=True,
            )
        self.goals = GoalServer(self, self.cfg.action)
        self.create_service(
            Trigger, self.cfg.stop_service, self._on_stop, callback_group=self._input_group
        )
        self.status.progress("idle")

    # -- lifecycle ---------------------------------------------------------------------------

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Load the model and the robot, warm up, create the outputs, open the bag, start
        the timers; on any failure report it and stay unconfigured."""
        try:
            self.cfg = cfg = P.read(self)
            t0 = time.perf_counter()
            engine = self._load_engine(cfg)
            warm = engine.warm_up()
            interpreter = command_interpreter(engine, cfg)
            catalogue = interpreter.matcher.catalogue  # its captions encoded once, now
            engine.model.prepare_prompts(catalogue.caption(name) for name in catalogue)
            load = warm / (engine.window_frames / engine.fps)  # compute s per motion s
            PROCESS_BUDGET.admit(self.get_fully_qualified_name(), load, cfg.realtime_margin)
        except AdmissionError as exc:
            self.report_error(f"configure refused: {exc}")
            return TransitionCallbackReturn.FAILURE
        except Exception as exc:  # noqa: BLE001 - any load failure leaves the node unconfigured
            self.report_error(f"configure failed: {type(exc).__name__}: {exc}")
            return TransitionCallbackReturn.FAILURE
        self.engine = engine
        self.interpreter = interpreter
        self.controller = MotionController(
            engine, cfg.limits, cfg.controller, clock=self.now_s
        )
        # The claim first: a node that sees this one's robot publishers then sees the claim.
        self._claim = OwnershipClaim(self, cfg.topics["joint_trajectory"])
        try:
            self.outputs = RobotOutputs(
                self, cfg, engine.robot, self._publish, engine.robot_config.urdf_joint_names
            )
        except ValueError as exc:
            self.report_error(f"configure failed: {exc}")
            self._release()
            return TransitionCallbackReturn.FAILURE
        self._skills_pub = self.create_publisher(String, cfg.topics["skills"], latched())
        self._publish(self._skills_pub, self._skills_message(), latched=True)
        if cfg.record_enabled and not self._open_recorder(cfg):
            self._release()
            return TransitionCallbackReturn.FAILURE
        self._create_timers(cfg)
        self.get_logger().info(
            f"configured: robot {engine.robot.name} ({len(engine.joint_names)} joints), device "
            f"{engine.device}, load+warm-up {time.perf_counter() - t0:.1f} s (warm-up window "
            f"{warm * 1000:.0f} ms)"
        )
        self.status.progress("idle")
        return TransitionCallbackReturn.SUCCESS

    def _load_engine(self, cfg: P.NodeConfig) -> MotionEngine:
        """The model and the robot (its model from the file, parameter or topic)."""
        return MotionEngine.load(
            EngineConfig(
                robot=cfg.robot,
                urdf_xml=robot_description(self, cfg),
                joint_name_map=cfg.joint_name_map,
                model=cfg.model,
                device=cfg.device,
                sampler=cfg.sampler,
                safety=safety_config(cfg),
                threads=cfg.threads,
            )
        )

    def _open_recorder(self, cfg: P.NodeConfig) -> bool:
        """Open the bag (a new folder when configured again); False after reporting why not."""
        try:
            path = Path(cfg.record_path) if cfg.record_path else default_bag_path()
            base, n = path, 1
            while path.exists():  # configured again (cleanup -> configure): a new bag
                n += 1
                path = base.with_name(f"{base.name}_{n}")
            self.recorder = BagRecorder(path, cfg.record_storage)
        except Exception as exc:  # noqa: BLE001
            self.report_error(f"recording could not start: {exc}")
            return False
        self.get_logger().info(f"recording to {self.recorder.path}")
        return True

    def _create_timers(self, cfg: P.NodeConfig) -> None:
        """Generation (100 Hz poll, its own group), playback and diagnostics (one group)."""
        gen_group = MutuallyExclusiveCallbackGroup()
        self._play_group = MutuallyExclusiveCallbackGroup()
        self._playback_timer = self.create_timer(
            1.0 / cfg.publish_rate_hz, self._playback_tick, callback_group=self._play_group
        )
        # A new command wakes the generation at once (else the 10 ms poll finds it).
        self._wake_generation = self.create_guard_condition(
            self._generate_tick, callback_group=gen_group
        )
        self._timers = [
            self.create_timer(0.01, self._generate_tick, callback_group=gen_group),
            self._playback_timer,
            self.create_timer(1.0, self._diagnostics_tick, callback_group=self._play_group),
        ]

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.cfg.exclusive_output:
            wait_for_discovery(self.outputs.created_s, self.cfg.discovery_wait_s, time.monotonic)
            self._others = must_yield_settled(
                self, self.outputs.robot_topics, self._claim, self.cfg.discovery_wait_s
            )
            if self._others:
                self.report_error(
                    f"activation refused: another node drives this robot ({describe(self._others)}"
                    "; the earlier one keeps it); stop it, remap this node's topics, or set "
                    "safety.exclusive_output false"
                )
                self._diagnostics_tick()
                return TransitionCallbackReturn.FAILURE
        self.active = True
        self.status.progress("idle")
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        with self._accept_lock:  # no command slips in between
            self.active = False
        self.hold("deactivated")
        self.status.progress("idle")
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.hold("cleanup")
        self._release()
        self.status.progress("idle")
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        with self._accept_lock:
            self.active = False
        self.hold("shutdown")
        self._release()
        return TransitionCallbackReturn.SUCCESS

    def _release(self) -> None:
        for timer in self._timers:
            self.destroy_timer(timer)
        self._timers = []
        if self._wake_generation is not None:
            self.destroy_guard_condition(self._wake_generation)
        self._wake_generation = None
        if self.outputs is not None:
            self.outputs.destroy()
        self.outputs = None
        if self._claim is not None:
            self._claim.destroy(self)
        self._claim = None
        self.controller = None
        if self.engine is not None:
            PROCESS_BUDGET.release(self.get_fully_qualified_name())
        self.engine = None
        self.close_recorder()
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001
            pass

    def close_recorder(self) -> None:
        rec, self.recorder = self.recorder, None
        if rec is not None:
            rec.close()
            text = f"bag closed: {rec.path} ({sum(rec.counts.values())} messages)"
            if rclpy.ok(context=self.context):
                self.get_logger().info(text)
            else:  # the ROS logger cannot publish to /rosout any more
                print(f"[molingo_node] {text}", file=sys.stderr)

    # -- helpers -----------------------------------------------------------------------------

    def now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _publish(self, pub, msg, latched: bool = False) -> None:
        """Publish and record (the bag holds exactly what was published)."""
        stamp_ns = self.get_clock().now().nanoseconds  # the bag time is the publish time
        pub.publish(msg)
        rec = self.recorder
        if rec is not None:
            rec.write(pub.topic_name, msg, stamp_ns, latched)

    def record_input(self, topic: str, msg) -> None:
        rec = self.recorder
        if rec is not None:
            rec.write(self.resolve_topic_name(topic), msg, self.get_clock().now().nanoseconds)

    def report_error(
        self, error: str, command_id: str = "", text: str = "", state: str = "error"
    ) -> None:
        """Count, log and publish what was not carried out (:meth:`StatusReporter.error`)."""
        self.status.error(error, command_id, text, state)


def main(argv: list[str] | None = None) -> int:
    """Console script ``molingo_node`` (:func:`molingo_ros.ros.serve.serve`: one robot, or
    several from one model with ``--robots``)."""
    return serve(MolingoNode, argv)


if __name__ == "__main__":
    raise SystemExit(main())
