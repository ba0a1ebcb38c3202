"""How molingo_node takes commands: from a topic message or an action goal to the controller.

:class:`CommandIntake` is mixed into :class:`~molingo_ros.ros.node.MolingoNode`: a command
topic's raw message is decoded here (never inside rclpy) and recorded, its fields checked
(:mod:`molingo_ros.runtime.commands`), its text parsed and grounded on the model's skills
(:mod:`molingo_ros.language.interpret`); a stop holds the robot at once, a refusal is answered
on ``~/status``, a motion plan is submitted to the controller.
"""

from __future__ import annotations

import json
import time

from std_msgs.msg import String

from molingo_ros.language.interpret import MotionPlan
from molingo_ros.language.skills import SkillCatalogue
from molingo_ros.msg import MotionCommand
from molingo_ros.ros.goals import requested_s
from molingo_ros.runtime.commands import Command, CommandError, check_command, check_stamp

NODE_NAME = "molingo_node"


class CommandIntake:
    """The command path of :class:`~molingo_ros.ros.node.MolingoNode` (it uses the node's
    ``cfg``, ``interpreter``, ``controller``, ``status``, ``active``, ``hold`` and locks)."""

    def _skills_message(self) -> String:
        """The skills topic's message: the catalogue and the grounding settings (JSON)."""
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

    def submit_text(
        self, command: Command, requested_s: float, received_s: float | None = None
    ) -> tuple[MotionPlan, object]:
        """Interpret, then submit a motion plan; returns (plan, progress or None).
        ``received_s``: ``time.monotonic()`` when the command arrived (the latency trace's
        start; default: now)."""
        plan = self._interpret(command, requested_s)
        if plan.kind != "motion":
            return plan, None
        segments = tuple((s.caption, s.seconds, s.max_root_speed_m_s) for s in plan.segments)
        return plan, self._accept(command.with_segments(segments, self.cfg.limits), received_s)

    def _accept(self, command: Command, received_s: float | None = None):
        """Submit to the controller; errors are reported and re-raised as CommandError."""
        with self._accept_lock:
            if not self.active or self.controller is None:
                state = "unconfigured" if self.controller is None else "inactive"
                raise CommandError(
                    f"{NODE_NAME} is not active ({state}); configure and activate it first"
                )
            self.commands_total += 1
            progress = self.controller.submit(command, self.now_s(), received_s)
        wake = self._wake_generation
        if wake is not None:
            try:
                wake.trigger()
            except Exception:  # noqa: BLE001 - released meanwhile: the poll finds it
                pass
        self.status.progress(progress.state, progress)
        return progress

    def _on_command_bytes(self, raw: bytes, msg_type, topic: str) -> None:
        """A command topic's raw message: decoded here (never inside rclpy), recorded,
        checked, submitted; anything wrong becomes an error status."""
        from rclpy.serialization import deserialize_message

        received_s = time.monotonic()
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
            self.submit_text(command, requested, received_s)
        except (CommandError, ValueError) as exc:
            self.report_error(f"command rejected: {exc}", cid, text[:200])

    def command_from_msg(self, msg: MotionCommand) -> Command:
        stamp = check_stamp(
            msg.header.stamp.sec, msg.header.stamp.nanosec, self.now_s(), self.cfg.limits
        )
        return self._command_from_fields(
            msg.text, msg.duration_s, int(msg.mode), msg.seed, msg.id, stamp
        )
