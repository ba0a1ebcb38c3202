import gzip
from pathlib import Path

import numpy as np
import pytest

from molingo_ros.motion.bvh import BvhError, read_bvh

SIMPLE = """HIERARCHY
ROOT hip
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Yrotation Xrotation Zrotation
  JOINT knee
  {
    OFFSET 0 -40 0
    CHANNELS 3 Xrotation Zrotation Yrotation
    End Site
    {
      OFFSET 0 -42 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.04
0 90 0 0 0 0 10 0 0
1 90 0 90 0 0 20 0 0
"""


def test_reads_real_bandai_clip(bandai_clip):
    clip = read_bvh(bandai_clip("dataset-2_walk_normal_001"))
    assert clip.num_frames == 273
    assert len(clip.joints) == 22
    assert clip.joint_names[:3] == ["joint_Root", "Hips", "Spine"]
    assert clip.frames.shape == (273, 22 * 6)
    assert clip.fps == pytest.approx(30.0, abs=1e-3)
    assert clip.joints[5].end_site is not None  # Head has an End Site
    assert all(j.channels[3:] == ["Zrotation", "Xrotation", "Yrotation"] for j in clip.joints)


def test_plain_and_gzipped_give_the_same_clip(tmp_path: Path):
    plain = tmp_path / "a.bvh"
    plain.write_text(SIMPLE)
    zipped = tmp_path / "a.bvh.gz"
    with gzip.open(zipped, "wt") as fh:
        fh.write(SIMPLE)
    a, b = read_bvh(plain), read_bvh(zipped)
    np.testing.assert_array_equal(a.frames, b.frames)
    assert a.joint_names == ["hip", "knee"]
    assert a.joints[1].channels == ["Xrotation", "Zrotation", "Yrotation"]
    assert a.joints[1].channel_start == 6
    np.testing.assert_array_equal(a.joints[1].end_site, [0, -42, 0])
    assert a.fps == pytest.approx(25.0)


def _expect_error(tmp_path: Path, text: str, line: int | None, words: str) -> None:
    path = tmp_path / "bad.bvh"
    path.write_text(text)
    with pytest.raises(BvhError) as info:
        read_bvh(path)
    message = str(info.value)
    assert str(path) in message
    if line is not None:
        assert f"bad.bvh:{line}:" in message, message
    assert words in message


def test_empty_file_names_file_and_line(tmp_path):
    _expect_error(tmp_path, "", 1, "empty file")


def test_truncated_file_names_file_and_line(tmp_path):
    truncated = SIMPLE.rsplit("\n", 2)[0] + "\n"  # drop the last frame
    _expect_error(tmp_path, truncated, 20, "declares 2 frames but has 1")


def test_truncated_hierarchy(tmp_path):
    _expect_error(tmp_path, SIMPLE[:200], None, "no MOTION section")


def test_wrong_channel_count_names_the_frame_line(tmp_path):
    bad = SIMPLE.replace("1 90 0 90 0 0 20 0 0", "1 90 0 90 0 0 20 0")
    _expect_error(tmp_path, bad, 20, "has 8 values, the hierarchy declares 9 channels")


def test_unknown_channel_lists_valid_ones(tmp_path):
    bad = SIMPLE.replace("Xrotation Zrotation Yrotation", "Xrotation Wrotation Yrotation")
    _expect_error(tmp_path, bad, 9, "valid: Xposition")


def test_non_numeric_value(tmp_path):
    _expect_error(
        tmp_path, SIMPLE.replace("0 90 0 0 0 0 10 0 0", "0 90 0 0 x 0 10 0 0"), 19, "non-numeric"
    )


def test_truncated_gzip_stream(tmp_path, bandai_clip):
    data = bandai_clip("dataset-2_walk_normal_001").read_bytes()
    path = tmp_path / "cut.bvh.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BvhError, match="cut.bvh.gz"):
        read_bvh(path)


def test_missing_file(tmp_path):
    with pytest.raises(BvhError, match="does not exist"):
        read_bvh(tmp_path / "nope.bvh")
