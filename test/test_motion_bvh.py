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


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("Frames: 2", "Frame: 2", 17, "expected 'Frames: N', found 'Frame: 2'"),
        ("Frame Time: 0.04", "Frame Time: 0", 18, "expected 'Frame Time: seconds > 0'"),
        ("Frame Time: 0.04", "Time: 0.04", 18, "expected 'Frame Time: seconds > 0'"),
        ("0 90 0 0 0 0 10 0 0", "0 nan 0 0 0 0 10 0 0", 19, "frame 0 has a NaN or infinite"),
    ],
)
def test_motion_header_and_values(tmp_path, old, new, line, words):
    _expect_error(tmp_path, SIMPLE.replace(old, new), line, words)


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("HIERARCHY", "HIERARCH", 1, "expected 'HIERARCHY', found 'HIERARCH'"),
        ("ROOT hip", "JOINT hip", 2, "expected ROOT, found 'JOINT'"),
        ("CHANNELS 3", "CHANNELS three", 9, "bad channel count 'three'"),
        ("OFFSET 0 -40 0", "OFFSET 0 -40 up", 8, "expected a number for OFFSET z"),
        ("    End Site", "    Foot Site", 10, "expected JOINT, End Site or '}', found 'Foot'"),
        ("OFFSET 0 -42 0", "OFFSET 0 -42", 13, "expected a number for End Site z, found '}'"),
        ("}\nMOTION", "}\nROOT other\nMOTION", 16, "only one ROOT is supported"),
    ],
)
def test_hierarchy_errors_name_the_line(tmp_path, old, new, line, words):
    _expect_error(tmp_path, SIMPLE.replace(old, new, 1), line, words)


def test_channel_layout_of_a_real_clip(bandai_clip):
    clip = read_bvh(bandai_clip("dataset-1_bow_normal_001"))
    starts = [j.channel_start for j in clip.joints]
    assert starts == [6 * i for i in range(len(clip.joints))]  # 6 channels per joint
    assert clip.parents[0] == -1 and all(0 <= p < i for i, p in enumerate(clip.parents) if i)
    hips = clip.joint_names.index("Hips")
    np.testing.assert_array_equal(clip.channel(hips, "Xposition"), clip.frames[:, 6 * hips])
    assert clip.channel(hips, "Wrotation") is None
    assert sum(j.end_site is not None for j in clip.joints) == 5  # head, hands, toes


def test_extra_rows_and_trailing_blank_lines_are_ignored(tmp_path):
    path = tmp_path / "more.bvh"
    path.write_text(SIMPLE + "5 5 5 5 5 5 5 5 5\n\n\n")
    clip = read_bvh(path)
    assert clip.num_frames == 2
    np.testing.assert_array_equal(clip.frames[1], [1, 90, 0, 90, 0, 0, 20, 0, 0])
