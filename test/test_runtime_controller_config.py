"""molingo_ros.runtime.controller_config: the controller's settings and their documentation."""

from __future__ import annotations

from molingo_ros.runtime.controller_config import ControllerConfig
from molingo_ros.settings import settings_of


def test_defaults():
    c = ControllerConfig()
    assert (c.lead_s, c.replace_after_s, c.start_delay_s, c.history) == (0.4, 0.25, 0.05, 64)
    assert c.first_chunk_tokens == 2  # 8 frames: the first chunk is retargeted sooner
    assert c.replace_history_tokens == 3  # a take-over's first window: 3 tokens of history


def test_the_node_exposed_settings_are_documented_with_ranges():
    documented = {s.name: s for s in settings_of(ControllerConfig)}
    assert set(documented) == {
        "lead_s",
        "replace_after_s",
        "first_chunk_tokens",
        "replace_history_tokens",
    }
    assert documented["replace_history_tokens"].range == (-1, 64)
    assert documented["first_chunk_tokens"].range == (0, 64)
    assert documented["lead_s"].range == (0.0, 10.0)
    low, high = documented["replace_after_s"].range
    assert low < 0 < ControllerConfig.replace_after_s < high  # negative: the old behaviour
