"""molingo_ros.robot.report_markdown: the retarget-report Markdown, on clips really
retargeted onto the G1 (a short Bandai take and a DeepMimic clip) and a recorded failure."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from molingo_ros.motion.sources import resolve_motion
from molingo_ros.robot.config import load_robot_config
from molingo_ros.robot.report import SuiteReport, retarget_clips
from molingo_ros.robot.report_markdown import DEFINITIONS, suite_markdown


@pytest.fixture(scope="module")
def suite() -> SuiteReport:
    loaded = load_robot_config("g1")

    def bandai():
        return resolve_motion("dataset-2_wave-right-hand_normal_001").frames(0, 60)

    def deepmimic():
        return resolve_motion("humanoid3d_walk").frames(0, 60)

    def broken():  # a clip the retargeter refuses: a NaN joint position
        motion = resolve_motion("dataset-2_wave-right-hand_normal_001").frames(0, 10)
        motion.positions_m[3] = np.nan
        motion.name = "dataset-9_broken"
        return motion

    return retarget_clips([bandai, deepmimic, broken], loaded.robot, loaded.retarget)


def test_report_has_a_summary_per_group_the_table_and_the_failures(suite):
    text = suite_markdown(suite, "all", "g1", "test machine, 2 cores")
    assert text.startswith("# Retargeting report: all clips -> g1\n")
    assert "`molingo retarget-report --robot g1 --clips all` (test machine, 2 cores)" in text
    assert DEFINITIONS in text
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings == [
        "Summary: Bandai test takes",
        "Summary: DeepMimic clips",
        "Per clip",
        "Failures",
    ]
    assert "- " in text.split("## Failures")[1] and "dataset-9_broken" in text and "NaN" in text


def test_each_group_summary_counts_only_its_clips(suite):
    text = suite_markdown(suite, "all", "g1", "m")
    blocks = re.findall(r"```json\n(.*?)\n```", text, flags=re.S)
    summaries = [json.loads(b) for b in blocks]
    assert len(summaries) == 2
    bandai, deepmimic = (SuiteReport(robot="g1", clips=[c]).summary() for c in suite.clips)
    assert summaries == [bandai, deepmimic]


def test_a_group_without_clips_is_left_out(suite):
    only_bandai = SuiteReport(robot="g1", clips=suite.clips[:1])
    text = suite_markdown(only_bandai, "bandai-test", "g1", "m")
    assert "Summary: Bandai test takes" in text and "DeepMimic" not in text
    assert "## Failures" not in text
