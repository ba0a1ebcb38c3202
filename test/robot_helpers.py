"""Helpers of the robot-config tests: the checkout's config folder, the G1 config document, and
writing a (possibly broken) config to a file."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO_CONFIG = Path(__file__).resolve().parents[1] / "config"


def g1_doc() -> dict:
    """The G1 config document, as yaml.safe_load reads it."""
    return yaml.safe_load((REPO_CONFIG / "robots" / "g1.yaml").read_text())


def write_config(tmp_path: Path, doc: object, name: str = "robot.yaml") -> Path:
    """``doc`` (a YAML string, or data dumped as YAML) written to ``tmp_path/name``."""
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return path
