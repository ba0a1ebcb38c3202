"""Scenarios about node processes (molingo_ros.ros.faults.process_scenarios): signals while
recording, two nodes with one name, corrupt model and robot files; each against real
molingo_node processes of its own (own ROS domains, localhost discovery, Fast DDS) with its
criteria asserted.

The node tests (marked slow) fail on the code before the reliability fixes: a duplicate node
drives the robot too, a SIGKILLed node's bag cannot be opened, and SIGINT leaves "streaming" as
the last status and a moving last joint state.
"""

from __future__ import annotations

import faults_helpers
import pytest
from faults_helpers import check, run

from molingo_ros.ros.faults import process_scenarios

pytestmark = pytest.mark.ros


@pytest.fixture(scope="module")
def harness(request, tmp_path_factory):
    yield from faults_helpers.shared_harness(request, tmp_path_factory)


@pytest.fixture(scope="module")
def signals(harness):
    return run(harness, "signals", process_scenarios.signals)


@pytest.mark.slow
def test_a_sigkilled_recording_opens_and_loses_at_most_half_a_second(signals):
    check(signals, ("sigkill.bag_readable",))


@pytest.mark.slow
def test_sigint_mid_motion_ends_with_a_hold_a_final_status_and_zero_velocity(signals):
    check(signals, ("sigint.final_status", "sigint.zero_velocity", "sigint.hold", "sigint.exit_0"))


@pytest.mark.slow
def test_a_duplicate_node_is_refused(harness):
    check(run(harness, "duplicates", process_scenarios.duplicates))


@pytest.mark.slow
def test_corrupt_model_and_robot_files_leave_the_node_up_and_unconfigured(harness):
    check(run(harness, "corrupt", process_scenarios.corrupt))


def test_each_corrupt_case_writes_a_file_its_loader_refuses(tmp_path):
    import os
    import xml.etree.ElementTree as ET
    from pathlib import Path

    import yaml
    from safetensors import SafetensorError, safe_open

    from molingo_ros.ros.faults.harness import Bounds

    assert tuple(process_scenarios.CORRUPT_CASES) == Bounds.full().corrupt_cases
    made = {name: make(tmp_path) for name, make in process_scenarios.CORRUPT_CASES.items()}
    for name in ("garbage_model", "bad_header_model", "truncated_model"):
        (param,), env = made[name]
        assert param.startswith("model:=") and env == {}
        with pytest.raises(SafetensorError, match="deserializing header"):
            safe_open(param.removeprefix("model:="), "np")
    (param,), env = made["bad_yaml"]
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(Path(param.removeprefix("robot:=")).read_text())
    (param,), env = made["bad_urdf"]
    robot = yaml.safe_load(Path(param.removeprefix("robot:=")).read_text())["robot"]
    source = robot["source"]
    urdf = tmp_path / "pkgroot" / source["package"] / source["path"]
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(urdf.parent.parent)
    with pytest.raises(ET.ParseError):
        ET.parse(urdf)
