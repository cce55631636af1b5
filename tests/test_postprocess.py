"""Frame-to-event decoding of SED / SELD outputs (:mod:`avbench.postprocess`)."""

from __future__ import annotations

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.postprocess import PostProcessing, decode_events, direction_of, unit_vector


def test_threshold_per_class_and_min_gap_merge() -> None:
    # hop 0.1 s     frames: 0 1 2 3 4 5 6 7
    # class a (th 0.5):     . X X . X X . .   -> gap of one frame: merged with min_gap 0.1
    # class b (th 0.2):     . . . . . . X X   (0.3 is active only under b's lower threshold)
    p = np.array([[0, 0], [0.9, 0], [0.9, 0], [0, 0], [0.8, 0], [0.8, 0], [0, 0.3], [0, 0.3]], float)
    split = decode_events(p, hop=0.1, labels=["a", "b"], threshold=[0.5, 0.2], median=1, min_duration=0.0)
    assert [(e["label"], e["onset"], e["offset"]) for e in split] == [("a", 0.1, 0.3), ("a", 0.4, 0.6), ("b", 0.6, 0.8)]
    merged = decode_events(p, hop=0.1, labels=["a", "b"], threshold=[0.5, 0.2], median=1, min_duration=0.0, min_gap=0.1)
    assert [(e["label"], e["onset"], e["offset"]) for e in merged] == [("a", 0.1, 0.6), ("b", 0.6, 0.8)]


def test_median_filter_removes_one_frame_blips_and_min_duration_drops_short_events() -> None:
    p = np.zeros((9, 1))
    p[[1, 4, 5, 6]] = 1.0  # frame 1 alone, frames 4-6 together
    assert decode_events(p, hop=0.1, labels=["a"], median=3, min_duration=0.0) == [
        {"onset": 0.4, "offset": 0.7, "label": "a"}]
    assert decode_events(p, hop=0.1, labels=["a"], median=1, min_duration=0.25) == [
        {"onset": 0.4, "offset": 0.7, "label": "a"}]


def test_direction_is_the_mean_vector_over_the_event() -> None:
    p = np.zeros((4, 1))
    p[:2] = 1.0
    d = np.zeros((4, 1, 3))
    d[0, 0], d[1, 0] = unit_vector(80.0, 0.0), unit_vector(100.0, 0.0)
    d[2:, 0] = unit_vector(-90.0, 0.0)  # after the event: not used
    (ev,) = PostProcessing(median=1, min_duration=0.0).events(p, hop=0.5, labels=["a"], doa=d)
    assert ev["azimuth"] == pytest.approx(90.0) and ev["elevation"] == pytest.approx(0.0)
    assert direction_of(np.zeros(3)) == (0.0, 0.0)
    assert direction_of(unit_vector(-135.0, 30.0)) == (-135.0, 30.0)


def test_options_are_checked() -> None:
    with pytest.raises(InputError, match="unknown option"):
        PostProcessing.from_dict({"thresh": 0.5})
    with pytest.raises(InputError, match="threshold must be in"):
        PostProcessing(threshold=1.5)
    with pytest.raises(InputError, match="median must be"):
        PostProcessing(median=0)
    with pytest.raises(InputError, match="3 values for 2 classes"):
        PostProcessing(threshold=(0.5, 0.5, 0.5)).events(np.zeros((3, 2)), hop=0.1, labels=["a", "b"])
    assert PostProcessing.from_dict({"threshold": [0.3, 0.4]}).threshold == (0.3, 0.4)
