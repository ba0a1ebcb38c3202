"""What every fault scenario shares (molingo_ros.ros.faults.harness): the bounds of a full and
a quick run, a criterion's shape, a harness's folder, robot limits and probes, running a
scenario (an exception becomes the result's error); and the shared node (slow)."""

from __future__ import annotations

import dataclasses

import faults_helpers
import numpy as np
import pytest

from molingo_ros.robot.models import load_robot
from molingo_ros.ros.faults.harness import FPS, Bounds, Harness, criterion, run_scenario
from molingo_ros.ros.faults.launch import new_domain

pytestmark = pytest.mark.ros


def test_full_and_quick_bounds_and_when_the_memory_slope_is_judged():
    full, quick = Bounds.full(), Bounds.quick()
    assert (full.soak_s, full.soak_warmup_s, full.burst_timeout_s) == (360.0, 120.0, 30.0)
    assert full.slope_measurable and full.fuzz_count == 120
    assert len(full.corrupt_cases) == 5
    assert (quick.soak_s, quick.soak_warmup_s, quick.fuzz_count) == (30.0, 10.0, 60)
    assert quick.corrupt_cases == ("truncated_model", "bad_urdf")
    assert not quick.slope_measurable  # 20 s after warm-up < 120 s
    long_quick = Bounds.quick(10)
    assert (long_quick.soak_s, long_quick.soak_warmup_s) == (600.0, 60.0)
    assert long_quick.slope_measurable
    short = Bounds.full(0.01)  # at least a quarter of a minute
    assert (short.soak_s, short.soak_warmup_s) == (15.0, 5.0)


def test_bounds_are_frozen_and_with_makes_a_changed_copy():
    quick = Bounds.quick()
    changed = quick.with_(corrupt_cases=(), burst_size=3)
    assert changed.corrupt_cases == () and changed.burst_size == 3
    assert quick.burst_size == 50 and changed.fuzz_count == quick.fuzz_count
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.soak_s = 1.0
    with pytest.raises(TypeError):
        quick.with_(no_such_bound=1)


def test_a_criterion_is_a_plain_dict_with_a_bool_or_none():
    c = criterion("x.ok", "it works", np.bool_(True), 3, required=True)
    assert c == {"id": "x.ok", "text": "it works", "passed": True, "value": 3, "required": True}
    assert type(c["passed"]) is bool
    assert criterion("x.empty", "t", [])["passed"] is False
    assert criterion("x.na", "t", None) == {
        "id": "x.na",
        "text": "t",
        "passed": None,
        "value": None,
        "required": False,
    }


@pytest.fixture
def own_harness(tmp_path):
    h = Harness(tmp_path / "out", Bounds.quick())
    yield h
    h.close()


def test_a_harness_has_its_folder_the_robot_limits_and_the_frame_rate(own_harness, tmp_path):
    h, robot = own_harness, load_robot("g1")
    assert h.out == tmp_path / "out" and h.out.is_dir()
    assert h.joint_names == list(robot.joint_names) and len(h.joint_names) == 29
    assert np.array_equal(h.limits.lower, robot.lower)
    assert np.array_equal(h.limits.upper, robot.upper)
    assert np.array_equal(h.limits.velocity, robot.velocity_limits)
    assert np.all(h.limits.lower < h.limits.upper) and h.fps == FPS == 30.0
    work = h.workdir("signals")
    assert work == tmp_path / "out" / "signals" and work.is_dir()
    assert h.workdir("signals") == work  # made once, found again


def test_probes_of_a_harness_are_closed_with_it(own_harness):
    d = new_domain()
    probe = own_harness.probe(d)
    assert probe.domain == d and probe.joint_names == own_harness.joint_names
    assert probe.ctx.ok()
    own_harness.close()
    assert not probe.ctx.ok()
    own_harness.close()  # twice is fine


def test_run_scenario_names_and_times_a_result_and_turns_an_exception_into_its_error(own_harness):
    def fine(h: Harness) -> dict:
        assert h is own_harness
        return {"figures": {"n": 1}, "criteria": [criterion("fine.ok", "ok", True)]}

    def broken(h: Harness) -> dict:
        raise ValueError("no node today")

    ok = run_scenario("fine", fine, own_harness)
    assert ok["name"] == "fine" and ok["error"] is None and ok["figures"] == {"n": 1}
    assert ok["wall_s"] >= 0.0
    bad = run_scenario("broken", broken, own_harness)
    assert bad["name"] == "broken" and bad["figures"] == {}
    assert bad["criteria"] == [criterion("broken.ran", "the scenario ran to its end", False)]
    assert bad["error"].startswith("ValueError: no node today\n")
    assert "Traceback" in bad["error"]


# -- the shared node (the run's one harness, see faults_helpers) ---------------------------------


@pytest.fixture(scope="module")
def harness(request, tmp_path_factory):
    yield from faults_helpers.shared_harness(request, tmp_path_factory)


@pytest.mark.slow
def test_the_shared_node_is_active_and_started_once(harness):
    node, probe = harness.shared()
    assert node.alive() and node.label.startswith("shared_")
    assert node.log_path.parent == harness.out / "nodes"
    assert probe.domain == node.domain and probe.ready()
    assert harness.shared() == (node, probe)  # the same process, not a new one
    assert harness.shared()[0].pid == node.pid
