"""``molingo skills`` (molingo_ros.language.cli) run in-process: the skills table, the JSON
catalogue, another bundle, and the flags it refuses."""

from __future__ import annotations

import json

import pytest

from molingo_ros.language.calibration import write_bundle_metadata
from molingo_ros.language.cli import main, skills_main, skills_markdown
from molingo_ros.language.phrasings import OPERATOR_PHRASES
from molingo_ros.language.skills import SkillCatalogue
from molingo_ros.model.sampler import default_model_path


def test_skills_markdown_rows(catalogue):
    lines = skills_markdown(catalogue).splitlines()
    assert lines[0] == "| skill | say for example | takes (+ mirrored) | seconds | styles |"
    assert lines[1] == "|---|---|---|---|---|"
    assert [line.split(" | ")[0][2:] for line in lines[2:]] == list(catalogue)
    walk = catalogue["walk"]
    row = next(line for line in lines if line.startswith("| walk |"))
    cells = row.strip("| ").split(" | ")
    assert cells[1] == " / ".join(OPERATOR_PHRASES["walk"][:3])
    assert cells[2] == f"{walk.takes} (+{walk.mirrored})"
    assert cells[3] == f"{walk.seconds:.0f}"
    assert "normal" in cells[4].split(", ")


def test_skills_prints_the_shipped_catalogue(catalogue, capsys):
    assert skills_main([]) == 0
    assert capsys.readouterr().out == skills_markdown(catalogue) + "\n"


def test_skills_json_through_main(catalogue, capsys):
    assert main(["--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(catalogue.to_json())
    assert printed["walk"]["styles"]["normal"]["takes"] == catalogue["walk"].styles["normal"].takes


def test_skills_of_another_bundle(catalogue, tmp_path, capsys):
    small = SkillCatalogue({n: catalogue[n] for n in ("bow", "kick")})
    bundle = write_bundle_metadata(
        default_model_path(), small, {"threshold": 0.5, "margin": 0.0}, tmp_path / "m.safetensors"
    )
    assert skills_main(["--model", str(bundle), "--json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)) == ["bow", "kick"]


def test_write_without_calibrate_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        skills_main(["--write", str(tmp_path / "out.safetensors")])
    assert exc.value.code == 2
    assert "--write needs --calibrate or --choose-captions" in capsys.readouterr().err
    assert not (tmp_path / "out.safetensors").exists()


def test_unknown_flag_exits_2_and_help_exits_0(capsys):
    with pytest.raises(SystemExit) as exc:
        skills_main(["--no-such-flag"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        skills_main(["--help"])
    assert exc.value.code == 0
    assert "--calibrate" in capsys.readouterr().out
