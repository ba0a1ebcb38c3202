"""The Bandai Namco motion-capture dataset on disk: where it is and which clips it holds.

The data (CC BY-NC 4.0) is read in place from the dataset folder, never copied into the project.
The folder holds ``Bandai-Namco-Research-Motiondataset-{1,2}``, each with ``cfg/content_label.txt``
and ``cfg/style_label.txt`` (label names) and ``data/<clip>.json`` (a clip's label indices) next
to ``data/<clip>.bvh.gz`` (or ``.bvh``), the motion.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from molingo_ros.motion import captions

_REPO_ROOT = Path(__file__).resolve().parents[2]


def default_data_root() -> Path:
    """``$MOLINGO_DATA_ROOT`` or ``<repo>/../shared/data/bandai-namco-motion``."""
    env = os.environ.get("MOLINGO_DATA_ROOT")
    return Path(env) if env else _REPO_ROOT.parent / "shared" / "data" / "bandai-namco-motion"


@dataclass
class SourceClip:
    """A clip file found under the dataset root.

    Attributes:
        path: the ``.bvh.gz`` / ``.bvh`` file, ``None`` when the label file has no motion file.
        name: the clip's stem, e.g. ``dataset-2_walk_normal_001``.
        dataset: 1 or 2, the sub-dataset.
        content: content label without the dataset prefix (``walk``).
        style: style label without the dataset prefix (``normal``).
    """

    path: Path | None
    name: str
    dataset: int
    content: str
    style: str


def find_clips(root: Path) -> tuple[list[SourceClip], list[tuple[str, str]]]:
    """Every clip listed by a ``.json`` label file under ``root``.

    Returns:
        ``(clips, problems)``; a clip whose BVH file is absent is still returned (with
        ``path=None``) so the caller can report it. ``problems`` are ``(clip name, reason)`` of
        unreadable label files.

    Raises:
        FileNotFoundError: ``root`` is not a folder or holds no sub-dataset folder.
    """
    if not root.is_dir():
        raise FileNotFoundError(
            f"dataset folder {root} not found; pass --root or set MOLINGO_DATA_ROOT to the "
            "folder holding Bandai-Namco-Research-Motiondataset-1 and -2"
        )
    clips: list[SourceClip] = []
    problems: list[tuple[str, str]] = []
    sub_dirs = sorted(root.glob("Bandai-Namco-Research-Motiondataset-*"))
    if not sub_dirs:
        raise FileNotFoundError(f"{root} holds no Bandai-Namco-Research-Motiondataset-* folder")
    for sub in sub_dirs:
        number = int(sub.name.rsplit("-", 1)[1])
        contents = (sub / "cfg" / "content_label.txt").read_text().split()
        styles = (sub / "cfg" / "style_label.txt").read_text().split()
        for label_file in sorted((sub / "data").glob("*.json")):
            name = label_file.name.removesuffix(".json")
            try:
                labels = json.loads(label_file.read_text())
                content = captions.strip_label_prefix(contents[int(labels["content"])])
                style = captions.strip_label_prefix(styles[int(labels["style"])])
            except (ValueError, KeyError, IndexError) as exc:
                problems.append((name, f"bad label file {label_file.name}: {exc}"))
                continue
            bvh = label_file.with_name(name + ".bvh.gz")
            if not bvh.exists() and label_file.with_name(name + ".bvh").exists():
                bvh = label_file.with_name(name + ".bvh")
            clips.append(SourceClip(bvh if bvh.exists() else None, name, number, content, style))
    return clips, problems
