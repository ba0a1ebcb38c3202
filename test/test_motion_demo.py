"""molingo_ros.motion.demo: the demo's motion from two real Bandai clips."""

from __future__ import annotations

import numpy as np

from molingo_ros.motion.demo import DEMO_CLIPS, demo_motion
from molingo_ros.motion.sources import resolve_motion


def test_walk_then_wave_rebuilt_from_features_within_a_millimetre():
    made = demo_motion()
    wave = resolve_motion(DEMO_CLIPS[1])
    motion = made.motion
    # 5 s of walk, then the wave, joined by a 15-frame blend (which overlaps the two).
    assert 150 + wave.num_frames - 30 <= motion.num_frames < 150 + wave.num_frames
    assert made.feature_shape[0] == motion.num_frames
    assert made.round_trip_error_mm < 1.0
    labels = motion.frame_labels
    assert "walk" in labels[0] and "wave" in labels[-1]
    assert motion.text and motion.text != labels[0] and motion.text != labels[-1]


def test_the_demo_is_the_same_every_run():
    a, b = demo_motion(), demo_motion()
    assert a.motion.text == b.motion.text
    assert np.array_equal(a.motion.positions_m, b.motion.positions_m)
