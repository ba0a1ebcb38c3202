"""The one container that carries a human motion across module boundaries.

World convention used by the whole project (REP 103 style):
    metres, right-handed, **z up**, **x forward**, y to the character's left,
    floor at z = 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np


def index_of(names: list[str] | tuple[str, ...], name: str, what: str = "joint") -> int:
    """Index of ``name`` in ``names``; the KeyError lists the valid names."""
    try:
        return list(names).index(name)
    except ValueError:
        raise KeyError(f"unknown {what} {name!r}; known: {', '.join(names)}") from None


@dataclass
class Motion:
    """A human motion: global joint positions over time.

    Attributes:
        positions_m: (T, J, 3) float array, joint positions in metres, world frame
            (z up, x forward, floor at z = 0).
        joint_names: J joint names, in the same order as ``positions_m``'s axis 1.
        parents: (J,) int array, index of each joint's parent, -1 for the root.
        fps: frames per second.
        rotations: optional (T, J, 3, 3) global joint rotation matrices (world frame).
        text: optional caption of the whole motion.
        frame_labels: optional list of T captions, ``frame_labels[t]`` owns frame t.
        name: optional human-readable name (e.g. the source clip's stem).
    """

    positions_m: np.ndarray
    joint_names: list[str]
    parents: np.ndarray
    fps: float
    rotations: np.ndarray | None = None
    text: str | None = None
    frame_labels: list[str] | None = None
    name: str = ""
    extras: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.positions_m = np.asarray(self.positions_m, dtype=np.float64)
        self.parents = np.asarray(self.parents, dtype=np.int64)
        self.joint_names = [str(n) for n in self.joint_names]
        if self.positions_m.ndim != 3 or self.positions_m.shape[2] != 3:
            raise ValueError(f"positions_m must be (T, J, 3), got {self.positions_m.shape}")
        num_joints = self.positions_m.shape[1]
        if len(self.joint_names) != num_joints or self.parents.shape != (num_joints,):
            raise ValueError(
                f"{num_joints} joints in positions_m but {len(self.joint_names)} names "
                f"and parents of shape {self.parents.shape}"
            )
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.rotations is not None:
            self.rotations = np.asarray(self.rotations, dtype=np.float64)
            if self.rotations.shape != self.positions_m.shape[:2] + (3, 3):
                raise ValueError(f"rotations must be (T, J, 3, 3), got {self.rotations.shape}")
        if self.frame_labels is not None and len(self.frame_labels) != self.num_frames:
            raise ValueError(
                f"frame_labels has {len(self.frame_labels)} entries for {self.num_frames} frames"
            )

    def frames(self, start: int, stop: int) -> Motion:
        """The motion's frames ``start:stop`` (a new Motion; text and name kept)."""
        return replace(
            self,
            positions_m=self.positions_m[start:stop],
            rotations=None if self.rotations is None else self.rotations[start:stop],
            frame_labels=None if self.frame_labels is None else self.frame_labels[start:stop],
        )

    @property
    def num_frames(self) -> int:
        return int(self.positions_m.shape[0])

    @property
    def num_joints(self) -> int:
        return int(self.positions_m.shape[1])

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    def joint_index(self, name: str) -> int:
        """Index of joint ``name``; the error lists the valid names."""
        return index_of(self.joint_names, name)

    def save_npz(self, path: str | Path, extra: dict[str, np.ndarray] | None = None) -> Path:
        """Write the project's motion file (``.npz``).

        Keys: ``joint_positions`` (T, J, 3, metres, z up), ``joint_names``, ``parents``,
        ``fps``, and where known ``joint_rotations``, ``text``, ``frame_labels``, ``name``;
        plus ``extra`` arrays (e.g. a retargeted robot motion), which must not reuse those
        keys and are ignored by :meth:`load_npz`.
        """
        path = Path(path)
        arrays: dict[str, np.ndarray] = {
            "joint_positions": self.positions_m.astype(np.float32),
            "joint_names": np.array(self.joint_names),
            "parents": self.parents,
            "fps": np.array(float(self.fps)),
            "name": np.array(self.name),
        }
        if self.rotations is not None:
            arrays["joint_rotations"] = self.rotations.astype(np.float32)
        if self.text is not None:
            arrays["text"] = np.array(self.text)
        if self.frame_labels is not None:
            arrays["frame_labels"] = np.array(self.frame_labels)
        for key, value in (extra or {}).items():
            if key in arrays:
                raise ValueError(f"extra key {key!r} would overwrite the motion's own array")
            arrays[key] = np.asarray(value)
        np.savez_compressed(path, **arrays)
        return path

    @classmethod
    def load_npz(cls, path: str | Path) -> Motion:
        """Read a motion ``.npz`` written by :meth:`save_npz` (no pickled objects)."""
        path = Path(path)
        with np.load(path, allow_pickle=False) as data:
            missing = {"joint_positions", "joint_names", "parents", "fps"} - set(data.files)
            if missing:
                raise ValueError(f"{path}: not a motion file, missing keys {sorted(missing)}")
            return cls(
                positions_m=data["joint_positions"].astype(np.float64),
                joint_names=[str(n) for n in data["joint_names"]],
                parents=data["parents"],
                fps=float(data["fps"]),
                rotations=data["joint_rotations"] if "joint_rotations" in data.files else None,
                text=str(data["text"]) if "text" in data.files else None,
                frame_labels=[str(s) for s in data["frame_labels"]]
                if "frame_labels" in data.files
                else None,
                name=str(data["name"]) if "name" in data.files else path.stem,
            )
