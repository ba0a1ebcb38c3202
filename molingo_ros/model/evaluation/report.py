"""The metrics table of ``molingo eval`` as markdown: one table per prompt set, a row per
method, ``mean±ci95`` where there were repeats."""

from __future__ import annotations

COLUMNS = [
    ("fid", "FID↓"),
    ("r1", "R@1↑"),
    ("r2", "R@2↑"),
    ("r3", "R@3↑"),
    ("mm_dist", "MM-Dist↓"),
    ("diversity", "Diversity"),
    ("mmodality", "MModality"),
    ("foot_skate_m_s", "skate m/s↓"),
    ("penetration_m", "penetr. m↓"),
    ("jerk_m_s3", "jerk m/s³"),
    ("seam_jerk_ratio", "seam/in-window jerk"),
    ("turn_err", "turn err °/s↓"),
]


def markdown(results: dict) -> str:
    """The tables of :func:`~.protocol.evaluate`'s results (columns a set has no value of
    are left out; a row's missing value is "-")."""
    lines = []
    split = results.get("split", "test")
    split_prefix = "" if split == "test" else f"{split} split, "
    for set_name, rows in results["rows"].items():
        cols = [c for c in COLUMNS if any(c[0] in r for r in rows.values())]
        lines += [
            f"### {split_prefix}{set_name} prompts ({results['sets'][set_name]})",
            "",
            "| method | " + " | ".join(h for _, h in cols) + " |",
            "|---|" + "---|" * len(cols),
        ]
        for method, row in rows.items():
            cells = []
            for key, _ in cols:
                if key not in row:
                    cells.append("-")
                    continue
                v = row[key]
                fmt = "{:.3f}" if abs(v["mean"]) < 100 else "{:.1f}"
                cell = fmt.format(v["mean"])
                if v["runs"] > 1:
                    cell += "±" + fmt.format(v["ci95"])
                cells.append(cell)
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


__all__ = ["COLUMNS", "markdown"]
