"""molingo_node's parameters while it runs: refusing a set that cannot apply, applying the
others (commands.*, stream.*, safety.*, markers.*, frame_id at once; sampler.* at the next
window). :class:`LiveParameters` is mixed into :class:`~molingo_ros.ros.node.MolingoNode`;
what the parameters are is :mod:`molingo_ros.ros.params`."""

from __future__ import annotations

from rcl_interfaces.msg import SetParametersResult

from molingo_ros.language.grounding import SkillMatcher
from molingo_ros.language.interpret import CommandInterpreter
from molingo_ros.ros import params as P
from molingo_ros.runtime.engine import MotionEngine
from molingo_ros.runtime.safety import SafetyConfig


def safety_config(cfg: P.NodeConfig) -> SafetyConfig:
    """The safety filter's settings of the node's ``safety.*`` parameters."""
    return SafetyConfig(
        velocity_fraction=cfg.velocity_fraction,
        check_floor=cfg.check_floor,
        check_dynamics=cfg.check_dynamics,
    )


def command_interpreter(
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


class LiveParameters:
    """Parameter callbacks of :class:`~molingo_ros.ros.node.MolingoNode` (registered in its
    ``__init__``; they use its ``cfg``, ``controller``, ``engine``, ``interpreter``,
    ``outputs`` and playback timer)."""

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
        ctrl.config = cfg.controller
        self.interpreter = command_interpreter(engine, cfg, self.interpreter.matcher)
        if any(n.startswith("sampler.") for n in names):
            engine.set_sampler(cfg.sampler)
        if names & {"safety.velocity_fraction", "safety.check_floor"}:
            engine.set_safety(safety_config(cfg))
        if self.outputs is not None:
            self.outputs.cfg = cfg
        if self._playback_timer is not None:
            self._playback_timer.timer_period_ns = int(round(1e9 / cfg.publish_rate_hz))
