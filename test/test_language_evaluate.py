"""The operator-command evaluation (molingo_ros.language.evaluate): the tallies, the scorers on
a few entries of eval_commands.json with the shipped model's grounding (no seeds, so nothing
is generated), the Markdown table and the command line's refusals."""

from __future__ import annotations

import json
import math
from collections import defaultdict

import pytest

from molingo_ros.language.evaluate import (
    EVAL_FILE,
    MARK_END,
    MARK_START,
    Tally,
    eval_compound,
    eval_in_vocabulary,
    eval_out_of_vocabulary,
    main,
    markdown,
    write_into,
)
from molingo_ros.language.interpret import CommandInterpreter
from molingo_ros.model.sampler import SamplerConfig

DATA = json.loads(EVAL_FILE.read_text())
DANCE = {"text": "dance", "skills": ["dance-long", "dance-short"], "check": "dance"}


@pytest.fixture(scope="module")
def interpreter(matcher) -> CommandInterpreter:
    return CommandInterpreter(matcher)


def test_tally():
    t = Tally()
    assert math.isnan(t.rate)
    t.add(True, "not kept")
    t.add(False, "first failure")
    t.add(False)
    assert (t.passed, t.total, t.rate) == (1, 3, pytest.approx(1 / 3))
    assert t.failures == ["first failure"]


def test_the_evaluation_file_has_its_sections():
    assert len(DATA["in_vocabulary"]) > 100 and len(DATA["out_of_vocabulary"]) > 50
    assert DANCE in DATA["in_vocabulary"]
    assert all({"text", "skills", "check"} <= e.keys() for e in DATA["in_vocabulary"])
    assert all(len(e["parts"]) >= 2 for e in DATA["compound"])


def test_out_of_vocabulary_must_not_move(interpreter):
    entries = [*DATA["out_of_vocabulary"][:3], {"text": "walk forward", "kind": "planted"}]
    tallies: dict[str, Tally] = defaultdict(Tally)
    eval_out_of_vocabulary(interpreter, entries, tallies)
    t = tallies["out-of-vocabulary refused"]
    assert (t.passed, t.total) == (3, 4)
    assert len(t.failures) == 1 and t.failures[0].startswith("walk forward -> walk ")
    by_kind = tallies[f"out-of-vocabulary refused ({entries[0]['kind']})"]
    assert (by_kind.passed, by_kind.total) == (3, 3)
    assert (tallies["out-of-vocabulary refused (planted)"].passed,
            tallies["out-of-vocabulary refused (planted)"].total) == (0, 1)


def test_in_vocabulary_grounding_and_refusals(interpreter, model):
    entries = [
        *DATA["in_vocabulary"][:2],  # "walk forward", "walk straight ahead"
        DANCE,  # a skill the model lacks: must be refused
        {"text": "sit on the chair", "skills": ["walk"], "check": "walk_forward"},  # refused
        {"text": "take a bow", "skills": ["walk"], "check": "walk_forward"},  # wrong skill
    ]
    tallies: dict[str, Tally] = defaultdict(Tally)
    eval_in_vocabulary(interpreter, model, entries, [], SamplerConfig(), tallies)
    refused = tallies["in-vocabulary wrongly refused"]
    assert (refused.passed, refused.total) == (1, 4)  # counts refusals
    assert refused.failures[0].startswith("sit on the chair -> I can't do 'sit on the chair'")
    grounded = tallies["in-vocabulary: grounded skill acceptable"]
    assert (grounded.passed, grounded.total) == (2, 3)
    assert grounded.failures == ["take a bow -> bow (wanted walk)"]
    assert (tallies["lacking: refused"].passed, tallies["lacking: refused"].total) == (1, 1)
    assert "in-vocabulary: kinematic pass" not in tallies  # no seeds: nothing generated


def test_compound_parts_in_order(interpreter, model):
    walk_bow = DATA["compound"][0]
    assert walk_bow["text"] == "walk forward, then bow"
    entries = [
        walk_bow,
        {"text": "bow, then walk forward", "parts": walk_bow["parts"]},  # the wrong order
        {"text": "raise both hands, then dance",
         "parts": [{"skills": ["raise-up-both-hands"], "check": "raise_both"},
                   {"skills": DANCE["skills"], "check": "dance"}]},
    ]
    tallies: dict[str, Tally] = defaultdict(Tally)
    eval_compound(interpreter, model, entries, [], SamplerConfig(), tallies)
    order = tallies["compound: parts in the asked order"]
    assert (order.passed, order.total) == (1, 2)
    assert order.failures == ["bow, then walk forward -> ['bow', 'walk']"]
    lacking = tallies["compound with a lacking skill: refused"]
    assert (lacking.passed, lacking.total) == (1, 1)


def _tallies() -> dict[str, Tally]:
    refused, walk, seen = Tally(), Tally(), Tally()
    refused.add(True, "passed: not listed")
    refused.add(False, "a | b -> refused")
    for i in range(5):
        walk.add(i == 0, f"failure {i}")
    seen.add(True)
    return {"in-vocabulary wrongly refused": refused, "check walk_forward": walk, "seen": seen}


def test_markdown_table():
    real = {"walk (walk_forward)": Tally(passed=9, total=10)}
    lines = markdown(_tallies(), [0, 1, 2], 120.0, real).splitlines()
    assert lines[0] == MARK_START and lines[-1] == MARK_END
    assert lines[1].startswith("`molingo eval-commands --seeds 3` (2 min ")
    assert lines[1].endswith("; seeds 0, 1, 2):")
    assert "| in-vocabulary wrongly refused (lower is better) | 50.0 % | 1 / 2 |" in lines
    assert "| check walk_forward | 20.0 % | 1 / 5 |" in lines
    assert not any(line.startswith("| seen") for line in lines)
    assert "| walk (walk_forward) | 90 % | 9 / 10 |" in lines
    assert [line for line in lines if line.startswith("- in-vocabulary")] == [
        "- in-vocabulary wrongly refused: a / b -> refused"  # no "|" inside a list item
    ]
    assert [line for line in lines if line.startswith("- check walk_forward")] == [
        f"- check walk_forward: failure {i}" for i in (1, 2, 3)
    ]  # the first three failures only


def test_write_into_appends_then_replaces(tmp_path):
    doc = tmp_path / "MODEL.md"
    doc.write_text("# Model\n\nintro\n")
    write_into(doc, f"{MARK_START}\nold\n{MARK_END}")
    assert doc.read_text() == f"# Model\n\nintro\n\n{MARK_START}\nold\n{MARK_END}\n"
    doc.write_text(doc.read_text() + "\n## After\n")
    write_into(doc, f"{MARK_START}\nnew\n{MARK_END}")
    assert doc.read_text() == f"# Model\n\nintro\n\n{MARK_START}\nnew\n{MARK_END}\n\n## After\n"
    missing = tmp_path / "new.md"
    write_into(missing, "table")
    assert missing.read_text() == "\n\ntable\n"


def test_main_refuses_no_seeds(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--seeds", "0"])
    assert exc.value.code == 2
    assert "--seeds must be >= 1" in capsys.readouterr().err
