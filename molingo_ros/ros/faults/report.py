"""The fault suite's report: ``report.json`` (everything) and ``report.md`` (the reliability
criteria first, then each scenario's criteria and figures)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

MARK = {True: "PASS", False: "FAIL", None: "n/a"}


def plain(x):
    """JSON-safe copy (numpy scalars and arrays, tuples, NaN/inf as strings)."""
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return plain(x.tolist())
    if isinstance(x, np.generic):
        return plain(x.item())
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


def all_criteria(results: list[dict]) -> list[dict]:
    """Every criterion of every scenario, with its scenario's name."""
    return [{**c, "scenario": r["name"]} for r in results for c in r.get("criteria", [])]


def summary(results: list[dict]) -> dict:
    """Counts of passed / failed / n/a criteria, and the failed reliability criteria."""
    crit = all_criteria(results)
    required = [c for c in crit if c["required"]]
    return {
        "criteria": len(crit),
        "passed": sum(c["passed"] is True for c in crit),
        "failed": sum(c["passed"] is False for c in crit),
        "not_measured": sum(c["passed"] is None for c in crit),
        "required_failed": [c["id"] for c in required if c["passed"] is False],
        "all_passed": all(c["passed"] is not False for c in crit),
    }


def _figures_md(figures: dict) -> list[str]:
    lines = []
    for key, value in figures.items():
        if isinstance(value, dict) and "series" in value:  # RSS series: too long for the table
            value = {k: v for k, v in value.items() if k != "series"}
        text = json.dumps(plain(value), ensure_ascii=False)
        if len(text) > 1200:
            text = text[:1200] + " ..."
        lines.append(f"- **{key}**: `{text}`")
    return lines


def _row(c: dict) -> str:
    value = "" if c.get("value") is None else str(plain(c.get("value")))
    value = _cell(value)[:300]
    return f"| {MARK[c['passed']]} | `{c['id']}` | {_cell(c['text'])} | {value} |"


def _cell(text: str) -> str:
    """``text`` fit for a Markdown table cell (pipes escaped, on one line)."""
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(meta: dict, results: list[dict]) -> str:
    """The report as markdown: the reliability criteria, then each scenario."""
    crit = all_criteria(results)
    s = summary(results)
    out = [
        "# molingo_node fault suite",
        "",
        f"- node code: `{meta.get('node_code')}`",
        f"- started: {meta.get('started')}, mode: {meta.get('mode')}, wall: {meta.get('wall_s')} s",
        f"- criteria: {s['passed']} passed, {s['failed']} failed, {s['not_measured']} n/a",
        "",
        "## Reliability criteria",
        "",
        "| result | id | criterion | measured |",
        "|---|---|---|---|",
        *[_row(c) for c in crit if c["required"]],
        "",
    ]
    for r in results:
        out += [f"## {r['name']} ({r['wall_s']} s)", ""]
        if r.get("error"):
            out += ["```", r["error"][-1500:], "```", ""]
        out += ["| result | id | criterion | measured |", "|---|---|---|---|"]
        out += [_row(c) for c in r.get("criteria", [])]
        out += ["", *_figures_md(r.get("figures", {})), ""]
    return "\n".join(out) + "\n"


def write(out: Path, meta: dict, results: list[dict]) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.md`` into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    body = {
        "meta": meta,
        "summary": summary(results),
        "criteria": all_criteria(results),
        "scenarios": results,
    }
    js, md = out / "report.json", out / "report.md"
    js.write_text(json.dumps(plain(body), indent=1, ensure_ascii=False) + "\n")
    md.write_text(markdown(meta, results))
    return js, md


__all__ = ["all_criteria", "markdown", "summary", "write"]
