"""molingo_node's live parameters (molingo_ros.ros.node_params): sets that cannot apply are
refused with the reason and leave the node as it was; the others reach the controller, the
command interpreter, the engine (sampler, safety), the outputs and the playback timer. An
in-process MolingoNode (shipped model, real G1, CPU) on a private ROS domain, configured and
activated once for the module; parameters are set through rclpy's own set_parameters, which
runs the node's registered callbacks."""

from __future__ import annotations

from dataclasses import replace

import pytest
import rclpy
from rclpy.parameter import Parameter
from ros_helpers import active_node, ros_context

from molingo_ros.model.sampler_config import SamplerConfig
from molingo_ros.ros import params as P
from molingo_ros.ros.node import MolingoNode
from molingo_ros.ros.node_params import command_interpreter, safety_config
from molingo_ros.ros.parameter_table import PARAMETERS, is_read_only
from molingo_ros.runtime.safety import SafetyConfig

pytestmark = pytest.mark.ros


def _config(**changes) -> P.NodeConfig:
    """The NodeConfig of the default parameters with ``changes`` ("a.b" spelled a__b)."""
    new = {k.replace("__", "."): v for k, v in changes.items()}
    return P.config_from(lambda n: new.get(n, PARAMETERS[n][0]))


@pytest.fixture(scope="module")
def ctx():
    context = ros_context(32)
    yield context
    rclpy.try_shutdown(context=context)


@pytest.fixture(scope="module")
def node(ctx):
    """A configured, active MolingoNode (not spun: no timer runs)."""
    yield from active_node(ctx)


@pytest.fixture(autouse=True)
def restore(request):
    """Set the live parameters a test changed back to their values before it."""
    if "node" not in request.fixturenames:
        yield
        return
    n = request.getfixturevalue("node")
    live = [name for name in PARAMETERS if not is_read_only(name)]
    before = {name: n.get_parameter(name).value for name in live}
    yield
    changed = [
        Parameter(name, value=v) for name, v in before.items() if n.get_parameter(name).value != v
    ]
    if changed:
        assert n.set_parameters_atomically(changed).successful


def _set(node, **values) -> object:
    """set_parameters_atomically of ``values`` ("a.b" spelled a__b)."""
    return node.set_parameters_atomically(
        [Parameter(k.replace("__", "."), value=v) for k, v in values.items()]
    )


# -- the mapping functions ------------------------------------------------------------------


def test_safety_config_maps_the_safety_parameters():
    assert safety_config(_config()) == SafetyConfig()
    cfg = _config(safety__velocity_fraction=0.3, safety__check_floor=False)
    assert safety_config(cfg) == SafetyConfig(velocity_fraction=0.3, check_floor=False)


def test_command_interpreter_takes_the_command_limits(node):
    matcher = node.interpreter.matcher
    cfg = _config(
        commands__default_duration_s=3.0,
        commands__max_duration_s=20.0,
        commands__allow_unknown=True,
    )
    interp = command_interpreter(node.engine, cfg, matcher)
    assert interp.matcher is matcher
    assert (interp.default_segment_s, interp.min_segment_s, interp.max_segment_s) == (
        3.0,
        1.0,
        20.0,
    )
    assert interp.allow_unknown is True
    plan = interp.interpret("walk forward")
    assert plan.kind == "motion" and plan.segments[0].seconds == pytest.approx(3.0)
    assert interp.interpret("walk forward for 60 seconds").segments[0].seconds == 20.0
    assert interp.interpret("juggle flaming torches").kind == "motion"  # allow_unknown

    short = command_interpreter(node.engine, _config(commands__default_duration_s=0.6), matcher)
    assert short.min_segment_s == pytest.approx(0.6)  # never above the default length
    assert short.allow_unknown is False
    assert short.interpret("juggle flaming torches").kind == "refused"


# -- refusing ---------------------------------------------------------------------------------


def test_an_inconsistent_sampler_set_is_refused_naming_the_parameters(node):
    cfg, errors = node.cfg, node.status.errors_total
    result = _set(node, sampler__window_tokens=60, sampler__history_tokens=8)
    assert not result.successful
    assert "sampler.window_tokens" in result.reason and "sampler.history_tokens" in result.reason
    assert node.cfg is cfg  # not re-read
    assert node.get_parameter("sampler.window_tokens").value == cfg.sampler.window_tokens
    assert node.engine.config.sampler == cfg.sampler
    assert node.status.errors_total == errors + 1
    state, _, message = node.status.last
    assert state == "error" and message == f"parameters refused: {result.reason}"


def test_a_value_outside_its_choices_is_refused_naming_them(node):
    result = _set(node, stream__stamp_policy="wall")
    assert not result.successful
    assert result.reason == "stream.stamp_policy must be one of clock, zero, got 'wall'"
    assert node.cfg.stamp_policy == "clock"
    assert node.get_parameter("stream.stamp_policy").value == "clock"


def test_inconsistent_command_durations_are_refused(node):
    limits = node.controller.limits
    result = _set(node, commands__default_duration_s=10.0, commands__max_duration_s=5.0)
    assert not result.successful and "default_duration_s" in result.reason
    assert node.controller.limits is limits
    assert node.get_parameter("commands.max_duration_s").value == limits.max_duration_s


# -- applying ---------------------------------------------------------------------------------


def test_a_sampler_set_reaches_the_engine(node):
    assert _set(node, sampler__cfg_scale=3.5, sampler__flow_steps=4).successful
    expected = replace(SamplerConfig(), cfg_scale=3.5, flow_steps=4)
    assert node.cfg.sampler == expected
    assert node.engine.config.sampler == expected
    assert node.engine.stream.config == expected  # used from the next window


def test_command_and_stream_sets_apply_at_once(node):
    matcher = node.interpreter.matcher
    assert _set(
        node,
        commands__max_queue=2,
        commands__default_duration_s=3.0,
        stream__lead_s=0.8,
        stream__publish_rate_hz=50.0,
        markers__offset_y_m=-2.0,
    ).successful
    ctrl = node.controller
    assert ctrl.limits.max_queue == 2 and ctrl.queue.limits.max_queue == 2
    assert ctrl.config.lead_s == pytest.approx(0.8)
    assert node.interpreter.default_segment_s == pytest.approx(3.0)
    assert node.interpreter.matcher is matcher  # not rebuilt (no re-encoding)
    assert node._playback_timer.timer_period_ns == 20_000_000
    assert node.outputs.cfg is node.cfg and node.outputs.cfg.markers_offset_y_m == -2.0


def test_a_safety_set_reaches_the_engines_filter(node):
    errors = node.status.errors_total
    assert _set(node, safety__velocity_fraction=0.5, safety__check_floor=False).successful
    assert node.status.errors_total == errors, node.status.last_error
    expected = SafetyConfig(velocity_fraction=0.5, check_floor=False)
    assert node.engine.config.safety == expected
    assert node.engine.safety.config == expected


def test_an_unconfigured_node_only_rereads_its_parameters(ctx):
    bare = MolingoNode(context=ctx, namespace="/unconfigured")
    try:
        assert bare.engine is None and bare.controller is None
        assert _set(bare, sampler__cfg_scale=4.0, stream__publish_rate_hz=10.0).successful
        assert bare.cfg.sampler.cfg_scale == 4.0 and bare.cfg.publish_rate_hz == 10.0
        assert bare.status.errors_total == 0
        assert not _set(bare, sampler__window_tokens=64).successful  # 64 + 8 history
    finally:
        bare.destroy_node()
