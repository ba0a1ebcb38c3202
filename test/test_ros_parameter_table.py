"""What molingo_node's parameters are (molingo_ros.ros.parameter_table): every entry
documented, its range or choices consistent with its default, the sampler.*, commands.* and
safety.* groups the same as the core library's config dataclasses, and which names are set at
start only."""

from __future__ import annotations

import pytest

from molingo_ros.model.sampler_config import SHIPPED_MAX_TOKENS, SamplerConfig
from molingo_ros.ros.parameter_table import (
    COMMAND_PARAMETERS,
    MAX_WINDOW_TOKENS,
    PARAMETERS,
    READ_ONLY_PREFIXES,
    SAMPLER_PARAMETERS,
    is_read_only,
)
from molingo_ros.runtime.commands import CommandLimits
from molingo_ros.runtime.safety import SafetyConfig
from molingo_ros.settings import settings_of

pytestmark = pytest.mark.ros

LIVE_GROUPS = ("sampler.", "commands.", "stream.", "safety.", "markers.")


def _is_numeric_range(rng: object) -> bool:
    return (
        isinstance(rng, tuple)
        and len(rng) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rng)
    )


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_every_entry_is_documented_and_its_default_fits(name):
    default, description, rng = PARAMETERS[name]
    assert isinstance(description, str) and len(description.strip()) >= 10, name
    assert type(default) in (bool, int, float, str), (name, default)
    if rng is None:
        return
    assert isinstance(rng, tuple) and rng, (name, rng)
    if _is_numeric_range(rng):
        lo, hi = rng
        assert lo < hi, (name, rng)
        assert not isinstance(default, bool), name
        assert lo <= default <= hi, (name, default, rng)
    else:  # choices: strings, the default one of them, no duplicates
        assert all(isinstance(c, str) for c in rng), (name, rng)
        assert len(set(rng)) == len(rng), (name, rng)
        assert default in rng, (name, default, rng)


@pytest.mark.parametrize(
    ("prefix", "cls", "names"),
    [
        ("sampler", SamplerConfig, SAMPLER_PARAMETERS),
        ("commands", CommandLimits, COMMAND_PARAMETERS),
        ("safety", SafetyConfig, ("velocity_fraction", "check_floor")),
    ],
)
def test_library_groups_equal_the_config_dataclass_settings(prefix, cls, names):
    """sampler.*, commands.* and safety.* carry the dataclass fields' own default,
    description and range or choices (one source), and the defaults build the dataclass's
    default instance."""
    for s in settings_of(cls, names):
        assert PARAMETERS[f"{prefix}.{s.name}"] == (
            s.default,
            s.description,
            s.range or s.choices,
        ), s.name
    instance = cls(**{n: PARAMETERS[f"{prefix}.{n}"][0] for n in names})
    assert instance == cls()


def test_library_groups_hold_exactly_the_exposed_settings():
    """Only the listed settings are parameters: no stray sampler.* or commands.* entry, the
    derived commands.min_duration_s is not one, and safety.* adds only the node's own
    ownership settings to SafetyConfig's."""
    group = {
        p: {n.split(".", 1)[1] for n in PARAMETERS if n.startswith(p + ".")}
        for p in ("sampler", "commands", "safety")
    }
    assert group["sampler"] == set(SAMPLER_PARAMETERS)
    assert group["commands"] == set(COMMAND_PARAMETERS) | {"allow_unknown"}
    assert "min_duration_s" not in group["commands"]
    assert group["safety"] == {
        "velocity_fraction",
        "check_floor",
        "check_dynamics",
        "exclusive_output",
        "discovery_wait_s",
    }


def test_default_window_fits_the_shipped_generator():
    assert MAX_WINDOW_TOKENS == SHIPPED_MAX_TOKENS
    window = PARAMETERS["sampler.window_tokens"][0]
    history = PARAMETERS["sampler.history_tokens"][0]
    assert window + history <= MAX_WINDOW_TOKENS


@pytest.mark.parametrize(
    ("name", "read_only"),
    [
        ("robot", True),
        ("model", True),
        ("device", True),
        ("threads", True),
        ("autostart", True),
        ("action", True),
        ("stop_service", True),
        ("frame_id", True),
        ("qos.depth", True),
        ("topics.command", True),
        ("record.storage", True),
        ("robot_description.source", True),
        ("tf.enabled", True),
        # exact names do not match longer ones; a prefix with a dot matches its group only
        ("markers.frame_id", False),
        ("robotics", False),
        ("models", False),
        ("actions", False),
        ("topics", False),
        ("sampler.cfg_scale", False),
        ("commands.max_queue", False),
        ("stream.publish_rate_hz", False),
        ("safety.velocity_fraction", False),
        ("markers.enabled", False),
    ],
)
def test_is_read_only(name, read_only):
    assert is_read_only(name) is read_only


def test_read_only_prefixes_name_existing_parameters():
    """No stale prefix: an exact name is a parameter, a dotted prefix covers at least one."""
    for prefix in READ_ONLY_PREFIXES:
        if prefix.endswith("."):
            assert any(n.startswith(prefix) for n in PARAMETERS), prefix
        else:
            assert prefix in PARAMETERS, prefix


def test_the_live_groups_are_not_read_only():
    """What the node applies while it runs (node_params) is never set-at-start-only."""
    live = [n for n in PARAMETERS if n.startswith(LIVE_GROUPS)]
    assert len(live) > 15
    assert not [n for n in live if is_read_only(n)]
    fixed = [n for n in PARAMETERS if is_read_only(n)]
    assert {"robot", "model", "topics.joint_trajectory", "record.enabled"} <= set(fixed)
