"""The Markdown report of ``molingo retarget-report`` (docs/retarget/): how the numbers are
defined, a summary per clip group (Bandai test takes, DeepMimic clips), the per-clip table
and the clips that failed."""

from __future__ import annotations

import json

from molingo_ros.robot.report import SuiteReport

DEFINITIONS = (
    "Every frame of every clip is validated. Lengths in metres "
    "(tables: mm). Keypoint errors are against the robot-scaled targets. *Stance within "
    "1 cm*: the robot's sole centre is within 1 cm of the floor at the (frame, foot) "
    "samples where the human foot is in contact (its ankle within 3 cm of its standing "
    "height and slow); a raised heel on tiptoe counts as a miss. *Jitter flips*: "
    "velocity sign changes with |v| > 0.5 rad/s on both sides."
)


def suite_markdown(suite: SuiteReport, clips: str, robot_arg: str, machine: str) -> str:
    """The report of ``suite`` (made by ``molingo retarget-report --robot ROBOT_ARG --clips
    CLIPS`` on ``machine``) as Markdown."""
    groups = {
        "Bandai test takes": [c for c in suite.clips if c.name.startswith("dataset-")],
        "DeepMimic clips": [c for c in suite.clips if not c.name.startswith("dataset-")],
    }
    lines = [
        f"# Retargeting report: {clips} clips -> {suite.robot}",
        "",
        f"Command: `molingo retarget-report --robot {robot_arg} --clips {clips}` "
        f"({machine}). {DEFINITIONS}",
        "",
    ]
    for label, members in groups.items():
        if members:
            sub = SuiteReport(robot=suite.robot, clips=members).summary()
            lines += [f"## Summary: {label}", "", "```json", json.dumps(sub, indent=1)]
            lines += ["```", ""]
    lines += ["## Per clip", "", suite.markdown_table(), ""]
    if suite.failures:
        lines += ["## Failures", ""] + [f"- {k}: {v}" for k, v in suite.failures.items()]
    return "\n".join(lines) + "\n"


__all__ = ["DEFINITIONS", "suite_markdown"]
