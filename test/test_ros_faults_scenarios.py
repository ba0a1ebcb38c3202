"""Scenarios on the shared node (molingo_ros.ros.faults.scenarios): the fuzzed String commands
and malformed MotionCommands the suite sends (pure), then each scenario against a real
molingo_node (own ROS domain, localhost discovery, Fast DDS) with its criteria asserted.

The node tests (marked slow) fail on the code before the reliability fixes: malformed stamps
are accepted.
"""

from __future__ import annotations

import faults_helpers
import pytest
from faults_helpers import check, run

from molingo_ros.ros.faults import scenarios
from molingo_ros.ros.faults.scenarios import KNOWN, fuzz_texts, malformed_cases

pytestmark = pytest.mark.ros


def test_fuzz_texts_mix_every_kind_reproducibly():
    texts = fuzz_texts(60)
    assert len(texts) == 60 and texts == fuzz_texts(60) and texts != fuzz_texts(60, seed=16)
    kinds = {k for k, _ in texts}
    assert kinds >= {"empty", "huge_1m", "control", "nul", "invalid_utf8", "valid", "unknown"}
    assert all(isinstance(t, bytes) == (k == "invalid_utf8") for k, t in texts)
    raw = dict(texts)["invalid_utf8"]
    with pytest.raises(UnicodeDecodeError):
        raw[8:].decode()
    assert all(t in KNOWN for k, t in texts if k == "valid")
    assert len(dict(texts)["huge_1m"]) == 1_000_000
    assert sorted(k for k, _ in fuzz_texts(3)) == ["blank", "empty", "huge_100k"]  # the first


def test_malformed_cases_cover_each_field_and_stamp_with_one_control():
    now = 1_700_000_000.0
    cases = malformed_cases(now)
    groups = {g: [n for n, gg, _ in cases if gg == g] for g in ("field", "stamp", "ok")}
    assert groups["ok"] == ["well_formed"] and cases[-1][0] == "well_formed"
    assert len(groups["field"]) == 12 and len(groups["stamp"]) == 5
    msgs = {n: m for n, _, m in cases}
    assert msgs["stamp_sec_minus_1"].header.stamp.sec == -1
    assert msgs["stamp_one_year_ahead"].header.stamp.sec == int(now) + 365 * 86400
    assert msgs["stamp_nanosec_max_uint32"].header.stamp.nanosec == 2**32 - 1
    assert msgs["mode_255"].mode == 255 and msgs["duration_neg"].duration_s == -1.0
    assert len(msgs["text_huge"].text) == 200_000
    big_id = next(n for n in groups["field"] if n.startswith("bad_id_"))
    assert len(big_id) > 256 and msgs[big_id].id == big_id
    assert all(m.id == n for n, _, m in cases)


# -- the scenarios against molingo_node ---------------------------------------------------------


@pytest.fixture(scope="module")
def harness(request, tmp_path_factory):
    yield from faults_helpers.shared_harness(request, tmp_path_factory)


@pytest.mark.slow
def test_fuzzed_string_commands_are_answered_and_the_node_keeps_serving(harness):
    check(run(harness, "fuzz", scenarios.fuzz))


@pytest.mark.slow
def test_malformed_motion_commands_and_stamps_are_refused(harness):
    check(run(harness, "malformed", scenarios.malformed))
