"""Where motions come from, by name: a file (BVH, DeepMimic, ``.npz``), a Bandai clip name, a
DeepMimic clip name, or a named set of clips (the test split, DeepMimic's, ...). Used by the
CLI, the benchmarks, the reports and the tools."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from molingo_ros.motion.bandai_files import default_data_root
from molingo_ros.motion.dataset import build_dataset
from molingo_ros.motion.dataset_config import DatasetConfig
from molingo_ros.motion.motion import Motion


def resolve_motion(spec: str, root: Path | None = None) -> Motion:
    """A motion from a file path (BVH, DeepMimic, ``.npz``), a Bandai clip name
    (``dataset-2_walk_normal_001``, add ``_mirror`` for its mirror) or a DeepMimic clip name
    (``humanoid3d_walk``)."""
    from molingo_ros.motion.convert import load_motion

    path = Path(spec)
    if path.exists():
        return load_motion(path)
    root = root or default_data_root()
    name = spec.removesuffix("_mirror")
    if name.startswith("dataset-"):
        number = name.split("_", 1)[0].rsplit("-", 1)[-1]
        folder = root / f"Bandai-Namco-Research-Motiondataset-{number}" / "data"
        for candidate in (folder / f"{name}.bvh.gz", folder / f"{name}.bvh"):
            if candidate.exists():
                motion = load_motion(candidate)
                return _captioned(motion, name, mirrored=spec.endswith("_mirror"))
        raise FileNotFoundError(f"no clip {name!r} under {folder}")
    if name.startswith("humanoid3d_"):
        from molingo_ros.motion.deepmimic import motions_dir, read_deepmimic

        return read_deepmimic(motions_dir() / f"{name}.txt")
    raise FileNotFoundError(
        f"{spec!r} is neither a file nor a clip name; give a .bvh/.bvh.gz/.npz/DeepMimic file, "
        "a Bandai clip name such as dataset-2_walk_normal_001, or a DeepMimic clip name such "
        "as humanoid3d_walk"
    )


def _captioned(motion: Motion, name: str, mirrored: bool) -> Motion:
    from molingo_ros.motion import captions
    from molingo_ros.motion.mirror import mirror_motion

    content, style, _ = captions.parse_clip_name(name)
    if mirrored:
        motion = mirror_motion(motion)
        content = captions.mirror_label(content)
    motion.text = captions.sample_caption(content, style, np.random.default_rng(0))
    return motion


def clip_loaders(which: str, root: Path | None):
    """(name, loader) pairs for a named clip set."""
    from molingo_ros.motion.bandai_files import find_clips
    from molingo_ros.motion.convert import load_motion
    from molingo_ros.motion.deepmimic import humanoid_clips

    valid = ("bandai-test", "bandai-val", "bandai-train", "deepmimic", "all")
    if which not in valid:
        raise ValueError(f"unknown clip set {which!r}; valid: {', '.join(valid)}")
    loaders = []
    if which.startswith("bandai") or which == "all":
        split = "test" if which == "all" else which.split("-", 1)[1]
        dataset = build_dataset(DatasetConfig(root=root) if root else DatasetConfig())
        names = sorted({dataset.records[i].name for i in dataset.indices(split, mirrored=False)})
        paths = {c.name: c.path for c in find_clips(dataset.config.root)[0] if c.path}
        for name in names:
            loaders.append((name, lambda p=paths[name]: load_motion(p)))
    if which in ("deepmimic", "all"):
        for path in humanoid_clips():
            loaders.append((path.stem, lambda p=path: load_motion(p)))
    return loaders


__all__ = ["clip_loaders", "resolve_motion"]
