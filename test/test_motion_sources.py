"""Tests of molingo_ros.motion.sources: motions by file or clip name, and named clip sets."""

from __future__ import annotations

import numpy as np
import pytest
from motion_helpers import small_root

from molingo_ros.motion import captions
from molingo_ros.motion.convert import load_motion
from molingo_ros.motion.mirror import mirror_motion
from molingo_ros.motion.sources import clip_loaders, resolve_motion


def test_a_file_path_loads_the_file(bandai_clip, tmp_path) -> None:
    path = bandai_clip("dataset-1_bow_normal_001")
    motion = resolve_motion(str(path))
    np.testing.assert_array_equal(motion.positions_m, load_motion(path).positions_m)
    assert motion.text is None  # a file carries no caption
    npz = load_motion(path).frames(0, 5).save_npz(tmp_path / "bow.npz")
    assert resolve_motion(str(npz)).num_frames == 5


def test_a_bandai_name_is_found_under_the_root_and_captioned(data_root) -> None:
    motion = resolve_motion("dataset-2_wave-left-hand_normal_001", data_root)
    assert motion.name == "dataset-2_wave-left-hand_normal_001"
    assert motion.text == captions.sample_caption(
        "wave-left-hand", "normal", np.random.default_rng(0)
    )
    mirrored = resolve_motion("dataset-2_wave-left-hand_normal_001_mirror", data_root)
    assert mirrored.text in captions.captions_for("wave-right-hand", "normal", split="train")
    np.testing.assert_allclose(mirrored.positions_m, mirror_motion(motion).positions_m, atol=1e-12)


def test_a_deepmimic_name_loads_from_pybullet_data() -> None:
    motion = resolve_motion("humanoid3d_walk")
    assert motion.num_joints == 15 and motion.num_frames > 10


def test_unknown_names_say_what_is_accepted(data_root) -> None:
    with pytest.raises(FileNotFoundError, match="no clip 'dataset-2_fly_normal_001'"):
        resolve_motion("dataset-2_fly_normal_001", data_root)
    with pytest.raises(FileNotFoundError, match="neither a file nor a clip name"):
        resolve_motion("somewhere/else.bvh")


def test_clip_sets(tmp_path, data_root, monkeypatch) -> None:
    with pytest.raises(ValueError, match="unknown clip set 'bandai'; valid: bandai-test"):
        clip_loaders("bandai", None)
    deepmimic = clip_loaders("deepmimic", None)
    assert len(deepmimic) >= 10 and all(n.startswith("humanoid3d_") for n, _ in deepmimic)
    assert dict(deepmimic)["humanoid3d_walk"]().num_joints == 15

    monkeypatch.setenv("MOLINGO_CACHE_DIR", str(tmp_path / "cache"))  # a private small build
    names = ["dataset-2_walk_normal_001", "dataset-2_walk_normal_002", "dataset-1_bow_normal_001"]
    root = small_root(tmp_path, data_root, names)
    loaders = dict(clip_loaders("bandai-val", root))
    assert sorted(loaders) == ["dataset-1_bow_normal_001", "dataset-2_walk_normal_002"]
    bow = loaders["dataset-1_bow_normal_001"]()
    assert bow.name == "dataset-1_bow_normal_001" and bow.num_joints == 21
    assert [n for n, _ in clip_loaders("bandai-train", root)] == ["dataset-2_walk_normal_001"]
    assert list((tmp_path / "cache").iterdir())  # the build was cached there, not in the repo
