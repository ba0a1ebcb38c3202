"""Shared fixtures: the real data (Bandai Namco mocap in ../shared, DeepMimic clips from
pybullet_data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from molingo_ros.motion.bandai_files import default_data_root


@pytest.fixture(scope="session")
def data_root() -> Path:
    root = default_data_root()
    if not root.is_dir():
        pytest.fail(f"the Bandai Namco dataset is not at {root}; set MOLINGO_DATA_ROOT")
    return root


@pytest.fixture(scope="session")
def bandai_clip(data_root):
    """Path of a Bandai clip by name, e.g. ``bandai_clip("dataset-2_walk_normal_001")``."""

    def find(name: str) -> Path:
        number = name.split("_", 1)[0].rsplit("-", 1)[1]
        path = (
            data_root / f"Bandai-Namco-Research-Motiondataset-{number}" / "data" / f"{name}.bvh.gz"
        )
        assert path.exists(), path
        return path

    return find


@pytest.fixture(scope="session")
def model():
    """The shipped model on the CPU (files may override with their own ``model``)."""
    from molingo_ros.model.sampler import MoLingo

    return MoLingo.load(device="cpu")


@pytest.fixture(scope="session")
def matcher(model):
    """The shipped model's skill matcher: its catalogue, threshold and MiniLM encoder."""
    from molingo_ros.language.grounding import SkillMatcher

    return SkillMatcher.from_model(model)


@pytest.fixture(scope="session")
def catalogue(model):
    """The skill catalogue stored in the shipped model."""
    from molingo_ros.language.skills import SkillCatalogue

    return SkillCatalogue.from_metadata(model.metadata)
