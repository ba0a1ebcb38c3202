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
from dataclasses import replace
from pathlib import Path

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.executors import MultiThreadedExecutor
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.signals import SignalHandlerOptions
from std_msgs.msg import String
from std_srvs.srv import Trigger

from molingo_ros.language.grounding import SkillMatcher
from molingo_ros.language.interpret import CommandInterpreter, MotionPlan
from molingo_ros.language.skills import SkillCatalogue
from molingo_ros.msg import MotionCommand, MotionStatus
from molingo_ros.ros import params as P
from molingo_ros.ros.description import robot_description
from molingo_ros.ros.diagnostics import generation_diagnostics
from molingo_ros.ros.goals import GoalServer, requested_s
from molingo_ros.ros.outputs import RobotOutputs
from molingo_ros.ros.ownership import (
    OwnershipClaim,
    describe,
    must_yield,
    other_publishers,
    wait_for_discovery,
)
from molingo_ros.ros.qos import latched, reliable
from molingo_ros.ros.recorder import BagRecorder, default_bag_path
from molingo_ros.ros.spin import close, spin_until_signal
from molingo_ros.ros.status import StatusReporter
from molingo_ros.runtime.commands import Command, CommandError, check_command, check_stamp
from molingo_ros.runtime.controller import ControllerConfig, MotionController
from molingo_ros.runtime.engine import EngineConfig, MotionEngine
from molingo_ros.runtime.safety import SafetyConfig

NODE_NAME = "molingo_node"

def _safety(cfg: P.NodeConfig) -> SafetyConfig:
    return SafetyConfig(velocity_fraction=cfg.velocity_fraction, check_floor=cfg.check_floor)


def _interpreter(
    engine: MotionEngine, cfg: P.NodeConfig, matcher: SkillMatcher | None = None
) -> CommandInterpreter:
    """The command interpreter of the engine's model (or ``matcher``, the one it has), with
    the node's command limits."""
    return CommandInterpreter(
        matcher or SkillMatcher.from_model(engine.model),
        default_segment_s=cfg.limits.default_duration_s,
        min_segment_s=min(1.0, cfg.limits.default_duration_s),
        max_segment_s=cfg.limits.max_duration_s,
        allow_unknown=cfg.allow_unknown,
    )


class MolingoNode(LifecycleNode):
    """The text-to-robot-motion node (see the module docstring)."""

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
        self._playback_timer = None
        self._play_group = None
        self._publish_lock = threading.RLock()
        self._accept_lock = threading.Lock()
        self._others: list[str] = []  # other publishers on the robot topics, last seen
        self._claim: OwnershipClaim | None = None
        self._clock_warned = False
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

    # -- parameters --------------------------------------------------------------------------

    def _on_set_parameters(self, params) -> SetParametersResult:
        """Refuse a set that cannot apply, naming the reason (:func:`params.refusal`);
        read-only ones are refused by rclpy."""
        reason = P.refusal(
            {prm.name: prm.value for prm in params}, lambda n: self.get_parameter(n).value
        )
        if reason:
            self.report_error(f"parameters refused: {reason}")
            return SetParametersResult(successful=False, reason=reason)
        return SetParametersResult(successful=True)

    def _apply_parameters(self, params) -> None:
        """After a set: the new values take effect now (commands.*, stream.*, safety.*,
        markers.*, frame_id) or at the next generated window (sampler.*). Never raises (an
        exception here would stop the executor): a failure is reported as an error."""
        names = sorted(prm.name for prm in params)
        try:
            self._apply(set(names))
        except Exception as exc:  # noqa: BLE001 - the node must keep serving
            self.report_error(f"parameters {', '.join(names)} set but not applied: {exc}")
            return
        self.get_logger().info(f"parameters applied: {', '.join(names)}")

    def _apply(self, names: set[str]) -> None:
        self.cfg = cfg = P.read(self)
        ctrl, engine = self.controller, self.engine
        if ctrl is None or engine is None:
            return  # unconfigured: configure reads them
        ctrl.set_limits(cfg.limits)
        ctrl.config = replace(ctrl.config, lead_s=cfg.lead_s)
        self.interpreter = _interpreter(engine, cfg, self.interpreter.matcher)
        if any(n.startswith("sampler.") for n in names):
            engine.set_sampler(cfg.sampler)
        if names & {"safety.velocity_fraction", "safety.check_floor"}:
            engine.set_safety(_safety(cfg))
        if self.outputs is not None:
            self.outputs.cfg = cfg
        if self._playback_timer is not None:
            self._playback_timer.timer_period_ns = int(round(1e9 / cfg.publish_rate_hz))

    # -- lifecycle ---------------------------------------------------------------------------

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self.cfg = cfg = P.read(self)
            t0 = time.perf_counter()
            engine = MotionEngine.load(
                EngineConfig(
                    robot=cfg.robot,
                    urdf_xml=robot_description(self, cfg),
                    joint_name_map=cfg.joint_name_map,
                    model=cfg.model,
                    device=cfg.device,
                    sampler=cfg.sampler,
                    safety=_safety(cfg),
                    threads=cfg.threads,
                )
            )
            warm = engine.warm_up()
            interpreter = _interpreter(engine, cfg)
        except Exception as exc:  # noqa: BLE001 - any load failure leaves the node unconfigured
            self.report_error(f"configure failed: {type(exc).__name__}: {exc}")
            return TransitionCallbackReturn.FAILURE
        self.engine = engine
        self.interpreter = interpreter
        self.controller = MotionController(
            engine, cfg.limits, ControllerConfig(lead_s=cfg.lead_s), clock=self.now_s
        )
        try:
            self.outputs = RobotOutputs(
                self, cfg, engine.robot, self._publish, engine.robot_config.urdf_joint_names
            )
        except ValueError as exc:
            self.report_error(f"configure failed: {exc}")
            self._release()
            return TransitionCallbackReturn.FAILURE
        self._claim = OwnershipClaim(self, self.outputs.robot_topics[0])
        self._skills_pub = self.create_publisher(String, cfg.topics["skills"], latched())
        self._publish(self._skills_pub, self._skills_message(), latched=True)
        if cfg.record_enabled:
            try:
                path = Path(cfg.record_path) if cfg.record_path else default_bag_path()
                base, n = path, 1
                while path.exists():  # configured again (cleanup -> configure): a new bag
                    n += 1
                    path = base.with_name(f"{base.name}_{n}")
                self.recorder = BagRecorder(path, cfg.record_storage)
            except Exception as exc:  # noqa: BLE001
                self.report_error(f"recording could not start: {exc}")
                self._release()
                return TransitionCallbackReturn.FAILURE
            self.get_logger().info(f"recording to {self.recorder.path}")
        gen_group = MutuallyExclusiveCallbackGroup()
        self._play_group = MutuallyExclusiveCallbackGroup()
        self._playback_timer = self.create_timer(
            1.0 / cfg.publish_rate_hz, self._playback_tick, callback_group=self._play_group
        )
        self._timers = [
            self.create_timer(0.01, self._generate_tick, callback_group=gen_group),
            self._playback_timer,
            self.create_timer(1.0, self._diagnostics_tick, callback_group=self._play_group),
        ]
        self.get_logger().info(
            f"configured: robot {engine.robot.name} ({len(engine.joint_names)} joints), device "
            f"{engine.device}, load+warm-up {time.perf_counter() - t0:.1f} s (warm-up window "
            f"{warm * 1000:.0f} ms)"
        )
        self.status.progress("idle")
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.cfg.exclusive_output:
            wait_for_discovery(self.outputs.created_s, self.cfg.discovery_wait_s, time.monotonic)
            self._others = must_yield(self, self.outputs.robot_topics, self._claim)
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
        if self.outputs is not None:
            self.outputs.destroy()
        self.outputs = None
        if self._claim is not None:
            self._claim.destroy(self)
        self._claim = None
        self.controller = None
        self.engine = None
        self.close_recorder()
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001
            pass

    def stop(self, reason: str) -> None:
        """Stop serving (idempotent; used on SIGINT/SIGTERM while the context is still up):
        refuse commands, then, in this order, publish the final status (``stopped``), a
        zero-velocity joint state at the held configuration, the hold trajectory, and close
        the bag, so that the last of each in the bag is the held robot."""
        with self._accept_lock:
            was_active, self.active = self.active, False
        if rclpy.ok(context=self.context):
            try:
                self._final_hold(reason, was_active)
            except Exception as exc:  # noqa: BLE001 - the bag must still be closed
                print(f"molingo_node: hold on {reason} failed: {exc}", file=sys.stderr)
        self.close_recorder()

    def _final_hold(self, reason: str, outputs_active: bool) -> None:
        """The shutdown sequence of :meth:`stop` before the bag closes (the robot outputs only
        when they were active: an inactive lifecycle publisher sends nothing)."""
        ctrl, engine = self.controller, self.engine
        out = self.outputs
        if ctrl is None or engine is None or out is None or not outputs_active:
            self.status.message("stopped", "", "", f"{NODE_NAME}: {reason}")
            return
        with self._publish_lock:
            now = self.now_s()
            q = ctrl.hold(now, reason)
            if q is None:
                frame = ctrl.frame_at(now)
                q = None if frame is None else frame[0]
            self.status.message("stopped", "", "", f"{NODE_NAME}: {reason}; robot held")
            if q is None:
                return
            # Stamps in the order of publication.
            out.publish_state(q, out.zero_v, self.now_s())
            out.publish_hold(q, self.now_s(), self.cfg.hold_settle_s)

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

    def hold(self, reason: str, command_id: str | None = None) -> None:
        """Stop at the current frame (one command, or everything) and publish the hold. Under
        the publish lock, so no chunk made before it can be published after it."""
        ctrl, engine = self.controller, self.engine
        if ctrl is None or engine is None:
            return
        with self._publish_lock:
            now = self.now_s()
            q = ctrl.cancel(command_id, now, reason) if command_id else ctrl.hold(now, reason)
            if q is not None and self.outputs is not None:
                self.outputs.publish_hold(q, now, self.cfg.hold_settle_s)

    def _on_stop(self, request, response):
        """``~/stop`` (std_srvs/Trigger): hold at once, drop the queue, status ``stopped``."""
        del request
        if self.controller is None or not self.active:
            response.success = False
            response.message = f"{self.get_name()} is not active: nothing to stop"
            return response
        reason = f"stopped by the {self.cfg.stop_service} service"
        self.hold(reason)
        self.status.message("stopped", "", "", reason)
        response.success, response.message = True, "robot held; queue dropped"
        return response

    # -- commands ----------------------------------------------------------------------------

    def _skills_message(self) -> String:
        """The skills topic's message: the catalogue and the grounding settings (JSON)."""
        import json

        matcher = self.interpreter.matcher
        catalogue = json.loads(SkillCatalogue.to_json(matcher.catalogue))
        body = {
            "skills": catalogue,
            "threshold": matcher.threshold,
            "margin": matcher.margin,
            "allow_unknown": self.interpreter.allow_unknown,
        }
        return String(data=json.dumps(body, sort_keys=True))

    def _command_from_fields(self, text, duration, mode, seed, cid, stamp_s) -> Command:
        return check_command(text, duration, mode, seed, cid, stamp_s, self.cfg.limits)

    def _interpret(self, command: Command, requested_s: float) -> MotionPlan:
        """Parse and ground a checked command. A stop is carried out here, at once (no
        model): the robot holds within one publish period and everything queued is dropped.
        Raises CommandError when the node is not configured."""
        interpreter = self.interpreter
        if interpreter is None or not self.active:
            state = "unconfigured" if interpreter is None else "inactive"
            raise CommandError(f"{NODE_NAME} is not active ({state}); configure and activate it")
        plan = interpreter.interpret(command.text, requested_s)
        if plan.stop_first:
            self.hold(f"stopped by the operator: '{command.text}'")
        if plan.kind == "stop":
            self.status.message("stopped", command.id, command.text, plan.message())
        elif plan.kind == "refused":
            self.report_error(plan.message(), command.id, command.text, state="refused")
        return plan

    def submit_text(self, command: Command, requested_s: float) -> tuple[MotionPlan, object]:
        """Interpret, then submit a motion plan; returns (plan, progress or None)."""
        plan = self._interpret(command, requested_s)
        if plan.kind != "motion":
            return plan, None
        segments = tuple((s.caption, s.seconds, s.max_root_speed_m_s) for s in plan.segments)
        return plan, self._accept(command.with_segments(segments, self.cfg.limits))

    def _accept(self, command: Command):
        """Submit to the controller; errors are reported and re-raised as CommandError."""
        with self._accept_lock:
            if not self.active or self.controller is None:
                state = "unconfigured" if self.controller is None else "inactive"
                raise CommandError(
                    f"{NODE_NAME} is not active ({state}); configure and activate it first"
                )
            self.commands_total += 1
            progress = self.controller.submit(command, self.now_s())
        self.status.progress(progress.state, progress)
        return progress

    def _on_command_bytes(self, raw: bytes, msg_type, topic: str) -> None:
        """A command topic's raw message: decoded here (never inside rclpy), recorded,
        checked, submitted; anything wrong becomes an error status."""
        from rclpy.serialization import deserialize_message

        try:
            msg = deserialize_message(raw, msg_type)
        except Exception as exc:  # noqa: BLE001
            self.report_error(f"undecodable command message: {exc}")
            return
        self.record_input(topic, msg)
        if msg_type is String:
            cid, text = "", str(msg.data)
        else:
            cid, text = msg.id[:256], str(msg.text)
        try:
            if msg_type is String:
                command = self._command_from_fields(msg.data, 0.0, "replace", -1, "", self.now_s())
                requested = 0.0
            else:
                command = self.command_from_msg(msg)
                requested = requested_s(msg)
            self.submit_text(command, requested)
        except (CommandError, ValueError) as exc:
            self.report_error(f"command rejected: {exc}", cid, text[:200])

    def command_from_msg(self, msg: MotionCommand) -> Command:
        stamp = check_stamp(
            msg.header.stamp.sec, msg.header.stamp.nanosec, self.now_s(), self.cfg.limits
        )
        return self._command_from_fields(
            msg.text, msg.duration_s, int(msg.mode), msg.seed, msg.id, stamp
        )

    # -- timers ------------------------------------------------------------------------------

    def _generate_tick(self) -> None:
        ctrl, engine = self.controller, self.engine
        if ctrl is None or engine is None or not self.active:
            return
        tc = ctrl.step(self.now_s())
        if tc is None:
            return
        with self._publish_lock:
            if not ctrl.is_current(tc):  # a cancel/hold/replace came first: never after it
                return
            # The whole planned future: joint_trajectory_controller replaces its trajectory
            # with each message, so each carries every frame due from now on.
            times, q, v = ctrl.horizon(self.now_s() + 0.5 / engine.fps)
            if len(times) and self.outputs is not None:
                self.outputs.publish_trajectory(times, q, v)
        p = ctrl.progress(tc.command_id)
        if p is not None:
            self.status.progress(p.state, p)
        c = tc.chunk
        if c.rejected:
            self.get_logger().warning(
                f"validation replaced {c.rejected} frames of command {tc.command_id} "
                f"({c.held} held, {c.repaired} repaired; longest hold {c.longest_hold}): "
                + "; ".join(c.reasons)
            )

    def _playback_tick(self) -> None:
        ctrl, engine = self.controller, self.engine
        if ctrl is None or engine is None or not self.active:
            return
        now = self.now_s()
        frame = ctrl.frame_at(now)
        cur = ctrl.current
        # Status: every command that finished (done, replaced, dropped, cancelled), then the
        # current one on every change of state and at 2 Hz while it streams.
        for p in ctrl.drain_finished():
            self.status.progress(p.state, p, p.error)
        if cur is not None and (
            self.status.last[:2] != (cur.state, cur.command.id)
            or time.monotonic() - self.status.last_time > 0.5
        ):
            self.status.progress(cur.state, cur)
        out = self.outputs
        if frame is None:  # nothing generated yet: the idle pose, for observers only
            with self._publish_lock:
                if self.active and out is not None:
                    out.publish_state(out.idle_q, out.zero_v, now, command=False)
            return
        q, v, _ = frame
        with self._publish_lock:  # never after the shutdown's final zero-velocity state
            if not self.active or out is None:
                return
            out.publish_state(q, v, now)
        human = ctrl.human_at(now) if self.cfg.markers_enabled else None
        if human is not None:
            out.publish_human(human, q, now)

    def _diagnostics_tick(self) -> None:
        ctrl, engine = self.controller, self.engine
        if ctrl is None or engine is None:
            return
        now = self.now_s()
        values = {
            "state": "active" if self.active else "inactive",
            "device": engine.device,
            "buffered_ahead_s": f"{ctrl.buffered_ahead_s(now):.3f}",
            "frames_rejected": str(ctrl.rejected_total),
            "frames_held": str(ctrl.held_total),
            "frames_repaired": str(ctrl.repaired_total),
            "longest_hold_frames": str(ctrl.longest_hold_frames),
            "frames_clamped": str(ctrl.clamped_total),
            "chunks": str(ctrl.chunks_total),
            "commands": str(self.commands_total),
            "errors": str(self.status.errors_total),
            "last_error": self.status.last_error[:200],
            "queued": str(len(ctrl.queue)),
        }
        arr = generation_diagnostics(
            self.get_name(),
            engine.robot.name,
            values,
            ctrl.last_compute_s,
            engine.window_frames / engine.fps,
            self._watch_ownership(),
            self.active,
            now,
            self._clock_warnings(),
        )
        self._publish(self._diag_pub, arr)

    def _clock_warnings(self) -> tuple[str, ...]:
        """A simulator publishes /clock while this node stamps its trajectories with the wall
        clock: joint_trajectory_controller on sim time would wait decades for them. Logged
        once; reported in diagnostics while it lasts."""
        if self.cfg.stamp_policy != "clock" or self.get_parameter("use_sim_time").value:
            return ()
        if not self.count_publishers("/clock"):
            self._clock_warned = False
            return ()
        text = (
            "/clock is published but use_sim_time is false: trajectories are stamped with "
            "the wall clock, which a controller on sim time sees far in the future; set "
            "use_sim_time:=true or stream.stamp_policy:=zero"
        )
        if not self._clock_warned:
            self.get_logger().warning(text)
            self._clock_warned = True
        return (text,)

    def _watch_ownership(self) -> list[str]:
        """Other publishers on the robot topics now (when ``safety.exclusive_output``). One
        that appears while this node is active is logged once (it may be a node that was
        refused activation and waits inactive, or one started with exclusive_output false)."""
        if not self.cfg.exclusive_output or self.outputs is None:
            return []
        others = other_publishers(self, self.outputs.robot_topics)
        if self.active and others and set(others) != set(self._others):
            self.get_logger().warning(
                f"other publishers on this robot's topics ({describe(others)}): if one of "
                "them is active, two writers send conflicting goals; stop one of them"
            )
        self._others = others
        return others


def main(argv: list[str] | None = None) -> int:
    """Console script ``molingo_node``: run until SIGINT/SIGTERM; then publish a hold, close
    the bag and exit with status 0."""
    # Our own SIGINT/SIGTERM handling: rclpy's would shut the context down before the hold
    # could be published.
    rclpy.init(
        args=argv if argv is not None else sys.argv,
        signal_handler_options=SignalHandlerOptions.NO,
    )
    node = MolingoNode()
    # Each executing action goal holds a thread; 4 more serve timers, topics and services.
    executor = MultiThreadedExecutor(num_threads=4 + node.goals.limit())
    executor.add_node(node)
    signalled = False
    try:
        if node.cfg.autostart:
            if node.trigger_configure() == TransitionCallbackReturn.SUCCESS:
                if node.trigger_activate() != TransitionCallbackReturn.SUCCESS:
                    node.get_logger().error("autostart: activation refused; the node is inactive")
            else:
                node.get_logger().error("autostart: configure failed; the node stays unconfigured")
        node.get_logger().info("ready")
        signalled = spin_until_signal(executor)
    finally:
        try:
            node.stop("shutdown (signal)" if signalled else "shutdown")  # hold + bag, context up
        finally:
            close(executor, node)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
