"""The metrics table of molingo eval (molingo_ros.model.evaluation.report)."""

from __future__ import annotations

from molingo_ros.model.evaluation.report import COLUMNS, markdown


def _cell(mean: float, ci95: float, runs: int) -> dict:
    return {"mean": mean, "ci95": ci95, "runs": runs}


def test_one_table_per_set_with_intervals_where_repeated():
    results = {
        "split": "test",
        "sets": {"test": 30, "composed": 4},
        "rows": {
            "test": {
                "real": {"fid": _cell(0.0, 0.0, 1), "r3": _cell(0.99, 0.0, 1)},
                "molingo": {"fid": _cell(0.0241, 0.002, 3), "jerk_m_s3": _cell(251.2, 3.4, 1)},
            },
            "composed": {"molingo": {"fid": _cell(0.1, 0.0, 1)}},
        },
    }
    lines = markdown(results).splitlines()
    assert lines[0] == "### test prompts (30)"
    assert lines[2] == "| method | FID↓ | R@3↑ | jerk m/s³ |"
    assert lines[4] == "| real | 0.000 | 0.990 | - |"
    assert lines[5] == "| molingo | 0.024±0.002 | - | 251.2 |"
    assert "### composed prompts (4)" in lines and "| molingo | 0.100 |" in lines


def test_another_split_is_named_and_columns_follow_their_order():
    results = {
        "split": "val",
        "sets": {"test": 3},
        "rows": {"test": {"m": {"r1": _cell(0.5, 0, 1)}}},
    }
    assert markdown(results).startswith("### val split, test prompts (3)")
    assert [key for key, _ in COLUMNS][:4] == ["fid", "r1", "r2", "r3"]
