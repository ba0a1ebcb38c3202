"""The HumanML3D and KIT-ML folder layouts: what a folder holds, reading it, writing it.

A layout folder holds::

    new_joints/<name>.npy       (T, J, 3) joint positions, file frame (see below)
    new_joint_vecs/<name>.npy   (T, D) motion vectors (:mod:`molingo_ros.motion.humanml3d_features`)
    texts/<name>.txt            one caption a line: ``caption#tok/POS tok/POS ...#start#end``
    train.txt val.txt test.txt  one clip name a line (also all.txt, train_val.txt)
    Mean.npy Std.npy            (D,) normalisation of the vectors (over the train split)

==============  ========  ==========  ========  ======  ====================================
layout          rig       J           D         fps     units of new_joints
==============  ========  ==========  ========  ======  ====================================
humanml3d       smpl22    22          263       20      metres
kit             kit21     21          251       12.5    millimetres
==============  ========  ==========  ========  ======  ====================================

File frame (both layouts): y up, x to the character's left, the clip's first frame facing +z
with its root at x = z = 0, the lowest joint of the clip on y = 0. ``start``/``end`` are seconds
into the clip; ``0.0#0.0`` means the whole clip. :meth:`LayoutFolder.motion` turns a clip into a
:class:`~molingo_ros.motion.motion.Motion` in the project's frame (metres, z up, x forward).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from molingo_ros.motion.axes import to_world_matrix
from molingo_ros.motion.humanml3d_features import VectorSkeleton, vector_dim
from molingo_ros.motion.motion import Motion
from molingo_ros.motion.rigs import KIT21, KIT21_PARENTS, SMPL22, SMPL22_PARENTS, Rig

TO_WORLD = to_world_matrix(up="y", forward="z")
"""File frame (y up, facing +z) → project world frame (z up, x forward): ``v_world = R @ v``."""

SPLIT_FILES = ("train", "val", "test")
"""The split files every layout folder has (``<split>.txt``)."""

_X, _Y, _Z = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)
_NX, _NY = (-1.0, 0.0, 0.0), (0.0, -1.0, 0.0)
_O = (0.0, 0.0, 0.0)
# Kinematic chains and rest bone directions (file frame: x left, y up, z forward) of both rigs.
# fmt: off
_SMPL22_CHAINS = ((0, 2, 5, 8, 11), (0, 1, 4, 7, 10), (0, 3, 6, 9, 12, 15), (9, 14, 17, 19, 21),
                  (9, 13, 16, 18, 20))
_SMPL22_REST = (_O, _X, _NX, _Y, _NY, _NY, _Y, _NY, _NY, _Y, _Z, _Z, _Y, _X, _NX, _Z, _NY, _NY,
                _NY, _NY, _NY, _NY)
_KIT21_CHAINS = ((0, 11, 12, 13, 14, 15), (0, 16, 17, 18, 19, 20), (0, 1, 2, 3, 4), (3, 5, 6, 7),
                 (3, 8, 9, 10))
_KIT21_REST = (_O, _Y, _Y, _Y, _Y, _X, _NY, _NY, _NX, _NY, _NY, _X, _NY, _NY, _Z, _Z, _NX, _NY,
               _NY, _Z, _Z)
# fmt: on


@dataclass(frozen=True)
class LayoutSpec:
    """One folder layout.

    Attributes:
        name: ``humanml3d`` or ``kit``.
        rig: the skeleton of ``new_joints``.
        parents: its parents.
        skeleton: what the motion vector needs (chains, rest directions, feet, threshold).
        fps: frame rate of the files.
        metres_per_unit: unit of ``new_joints`` and of the vectors' lengths.
    """

    name: str
    rig: Rig
    parents: tuple[int, ...]
    skeleton: VectorSkeleton
    fps: float
    metres_per_unit: float

    @property
    def dim(self) -> int:
        return vector_dim(len(self.rig.joint_names))


HUMANML3D = LayoutSpec(
    name="humanml3d",
    rig=SMPL22,
    parents=SMPL22_PARENTS,
    skeleton=VectorSkeleton(
        parents=SMPL22_PARENTS,
        chains=_SMPL22_CHAINS,
        raw_offsets=_SMPL22_REST,
        face_joints=(2, 1, 17, 16),
        feet=(7, 10, 8, 11),
        contact_threshold=0.002,
    ),
    fps=20.0,
    metres_per_unit=1.0,
)
"""HumanML3D: SMPL-22 joints in metres at 20 fps, 263-d vectors."""

KIT = LayoutSpec(
    name="kit",
    rig=KIT21,
    parents=KIT21_PARENTS,
    skeleton=VectorSkeleton(
        parents=KIT21_PARENTS,
        chains=_KIT21_CHAINS,
        raw_offsets=_KIT21_REST,
        # HumanML3D's own KIT indices (face_joint_indx [11, 16, 5, 8]; contacts fid_l
        # [19, 20] then fid_r [14, 15]), so that the 251-d vectors equal those of the
        # KIT-ML release. Its labels call 11 and 5 the right hip and shoulder, while the rest
        # directions (toes +z, joint 5 at +x, y up) put them on the character's left, as
        # KIT21's MMM names do: KIT-ML's canonical heading is therefore -z.
        face_joints=(11, 16, 5, 8),
        feet=(19, 20, 14, 15),
        contact_threshold=0.002 * 1000.0**2,
    ),
    fps=12.5,
    metres_per_unit=0.001,
)
"""KIT-ML: KIT-21 joints in millimetres at 12.5 fps, 251-d vectors."""

LAYOUTS = {spec.name: spec for spec in (HUMANML3D, KIT)}


@dataclass(frozen=True)
class TextLine:
    """One line of ``texts/<name>.txt``.

    Attributes:
        caption: the sentence.
        tokens: ``word/POS`` tokens.
        start_s: start of the described part (s); 0 with ``end_s`` 0: the whole clip.
        end_s: end of the described part (s).
    """

    caption: str
    tokens: tuple[str, ...] = ()
    start_s: float = 0.0
    end_s: float = 0.0

    @property
    def whole_clip(self) -> bool:
        return self.start_s == 0.0 and self.end_s == 0.0

    def line(self) -> str:
        return f"{self.caption}#{' '.join(self.tokens)}#{self.start_s:.1f}#{self.end_s:.1f}"

    @classmethod
    def parse(cls, line: str, where: str = "texts") -> TextLine:
        """A line ``caption#tokens#start#end`` (NaN times, as some HumanML3D files hold, mean
        the whole clip)."""
        parts = line.rstrip("\n").split("#")
        if len(parts) != 4:
            raise ValueError(f"{where}: expected 'caption#tokens#start#end', got {line!r}")
        start, end = (float(v) if v.strip() else 0.0 for v in parts[2:])
        start, end = (0.0 if np.isnan(v) else v for v in (start, end))
        return cls(parts[0].strip(), tuple(parts[1].split()), start, end)


@dataclass
class LayoutClip:
    """One clip of a layout folder (file frame and units)."""

    name: str
    joints: np.ndarray
    vectors: np.ndarray | None
    texts: list[TextLine] = field(default_factory=list)


def motion_from_joints(joints: np.ndarray, spec: LayoutSpec, name: str = "") -> Motion:
    """A :class:`Motion` of ``spec.rig`` from file-frame ``new_joints`` (T, J, 3)."""
    positions = np.einsum("ab,tjb->tja", TO_WORLD, joints) * spec.metres_per_unit
    parents = np.asarray(spec.parents)
    return Motion(positions, list(spec.rig.joint_names), parents, spec.fps, name=name)


def joints_from_motion(motion: Motion, spec: LayoutSpec) -> np.ndarray:
    """File-frame joints (T, J, 3, file units) of a motion of ``spec.rig`` (not aligned)."""
    if tuple(motion.joint_names) != spec.rig.joint_names:
        raise ValueError(f"motion {motion.name!r} is not on the {spec.rig.name} rig")
    return np.einsum("ba,tjb->tja", TO_WORLD, motion.positions_m) / spec.metres_per_unit


class LayoutFolder:
    """A HumanML3D or KIT-ML folder (read-only): clip names by split, clips, motions."""

    def __init__(self, folder: str | Path, spec: LayoutSpec | str | None = None) -> None:
        self.folder = Path(folder)
        if not (self.folder / "new_joints").is_dir():
            raise FileNotFoundError(f"{self.folder} has no new_joints/ folder: not a layout folder")
        if isinstance(spec, str):
            spec = LAYOUTS[spec]
        self.spec = spec or self._guess_spec()

    def _guess_spec(self) -> LayoutSpec:
        first = next(iter(sorted((self.folder / "new_joints").glob("*.npy"))), None)
        if first is None:
            raise FileNotFoundError(f"{self.folder}/new_joints holds no .npy file")
        joints = np.load(first, mmap_mode="r").shape[1]
        for spec in LAYOUTS.values():
            if len(spec.rig.joint_names) == joints:
                return spec
        raise ValueError(f"{first}: {joints} joints, neither HumanML3D (22) nor KIT-ML (21)")

    def split(self, name: str) -> list[str]:
        """Clip names of ``<name>.txt`` (``train``, ``val``, ``test``, ``all``, ...)."""
        path = self.folder / f"{name}.txt"
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]

    @cached_property
    def mean(self) -> np.ndarray:
        return np.load(self.folder / "Mean.npy")

    @cached_property
    def std(self) -> np.ndarray:
        return np.load(self.folder / "Std.npy")

    def texts(self, name: str) -> list[TextLine]:
        path = self.folder / "texts" / f"{name}.txt"
        lines = path.read_text().splitlines() if path.exists() else []
        return [TextLine.parse(line, str(path)) for line in lines if line.strip()]

    def clip(self, name: str) -> LayoutClip:
        vec_path = self.folder / "new_joint_vecs" / f"{name}.npy"
        vectors = np.load(vec_path) if vec_path.exists() else None
        joints = np.load(self.folder / "new_joints" / f"{name}.npy")
        if vectors is not None and vectors.shape[1] != self.spec.dim:
            raise ValueError(
                f"{vec_path}: {vectors.shape[1]}-d vectors, {self.spec.name} has {self.spec.dim}"
            )
        return LayoutClip(name, joints, vectors, self.texts(name))

    def motion(self, name: str, text: TextLine | None = None) -> Motion:
        """Clip ``name`` in the project's frame; with ``text``, only the part it describes
        (its ``start``/``end``) and its caption; otherwise the whole clip and its first caption."""
        clip = self.clip(name)
        motion = motion_from_joints(clip.joints, self.spec, name)
        if text is None:
            motion.text = clip.texts[0].caption if clip.texts else None
            return motion
        if not text.whole_clip:
            start = int(round(text.start_s * self.spec.fps))
            stop = int(round(text.end_s * self.spec.fps))
            motion = motion.frames(start, stop)
        motion.text = text.caption
        return motion


def write_clip(folder: str | Path, clip: LayoutClip) -> None:
    """Write one clip's ``new_joints``, ``new_joint_vecs`` and ``texts`` files."""
    folder = Path(folder)
    for sub in ("new_joints", "new_joint_vecs", "texts"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    np.save(folder / "new_joints" / f"{clip.name}.npy", clip.joints.astype(np.float32))
    if clip.vectors is not None:
        np.save(folder / "new_joint_vecs" / f"{clip.name}.npy", clip.vectors.astype(np.float32))
    text = "".join(t.line() + "\n" for t in clip.texts)
    (folder / "texts" / f"{clip.name}.txt").write_text(text)


def write_splits(folder: str | Path, splits: dict[str, list[str]]) -> None:
    """``train/val/test.txt`` (every one, empty if need be), ``train_val.txt`` and ``all.txt``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {s: list(splits.get(s, [])) for s in SPLIT_FILES}
    files["train_val"] = files["train"] + files["val"]
    files["all"] = files["train"] + files["val"] + files["test"]
    for name, names in files.items():
        (folder / f"{name}.txt").write_text("".join(n + "\n" for n in names))


def write_mean_std(folder: str | Path, mean: np.ndarray, std: np.ndarray) -> None:
    np.save(Path(folder) / "Mean.npy", mean.astype(np.float32))
    np.save(Path(folder) / "Std.npy", std.astype(np.float32))
