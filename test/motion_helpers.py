"""Helpers of the motion dataset tests: a small Bandai dataset folder made of a few real clips."""

from __future__ import annotations

import shutil
from pathlib import Path


def small_root(tmp_path: Path, data_root: Path, names: list[str]) -> Path:
    """A dataset folder with the label files of both sub-datasets and the named real clips
    (``.json`` and, where the data has it, ``.bvh.gz``), copied to ``tmp_path``, never into
    the repo."""
    root = tmp_path / "bandai"
    for number in (1, 2):
        src = data_root / f"Bandai-Namco-Research-Motiondataset-{number}"
        dst = root / src.name
        (dst / "data").mkdir(parents=True)
        shutil.copytree(src / "cfg", dst / "cfg")
    for name in names:
        number = name.split("_", 1)[0][-1]
        src = data_root / f"Bandai-Namco-Research-Motiondataset-{number}" / "data"
        dst = root / f"Bandai-Namco-Research-Motiondataset-{number}" / "data"
        shutil.copy(src / f"{name}.json", dst)
        if (src / f"{name}.bvh.gz").exists():
            shutil.copy(src / f"{name}.bvh.gz", dst)
    return root
