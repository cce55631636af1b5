"""From frame-wise class scores to events: the post-processing of SED and SELD outputs.

A frame-wise model gives, per clip, scores ``P [F, C]`` in [0, 1] on a grid of ``hop`` seconds
(frame ``t`` covers ``[t * hop, (t + 1) * hop)``), and for SELD a direction per frame and class
(unit vectors ``D [F, C, 3]``, x front, y left, z up). :class:`PostProcessing` turns them into events:

1. **threshold**: frame ``t`` of class ``c`` is active where ``P[t, c] >= threshold`` (a
   per-class list is accepted);
2. **median filter**: the active mask is median-filtered over ``median`` frames per class
   (``scipy.ndimage.median_filter``, edges repeated; 1 disables it);
3. **runs**: each run of active frames ``[i, j)`` becomes the event ``[i * hop, j * hop)``;
4. **minimum duration**: events shorter than ``min_duration`` seconds are dropped (events of
   one class closer than ``min_gap`` seconds are first merged);
5. **direction** (SELD): the event's azimuth and elevation are those of the mean of ``D[t, c]``
   over its frames (degrees, azimuth counter-clockwise from the front).

The scores are also written as ``frame_scores`` so that threshold-free metrics (exact PSDS from
score tables, ``psds*`` in ``avbench list metrics``) use them unchanged.

Example:
    >>> import numpy as np
    >>> p = np.array([[0.1], [0.9], [0.9], [0.8], [0.1]])
    >>> decode_events(p, hop=0.5, labels=["a"], median=1, min_duration=0.0)
    [{'onset': 0.5, 'offset': 2.0, 'label': 'a'}]
    >>> d = np.tile([0.0, 1.0, 0.0], (5, 1, 1))  # every frame points left
    >>> PostProcessing(median=1, min_duration=0.0).events(p, hop=0.5, labels=["a"], doa=d)
    [{'onset': 0.5, 'offset': 2.0, 'label': 'a', 'azimuth': 90.0, 'elevation': 0.0}]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from avbench.errors import InputError, dataclass_options

__all__ = ["PostProcessing", "decode_events", "direction_of", "unit_vector"]


def decode_events(
    probs: np.ndarray, *, hop: float, labels: Sequence[str], threshold: float | Sequence[float] = 0.5,
    median: int = 9, min_duration: float = 0.2, min_gap: float = 0.0,
) -> list[dict[str, Any]]:
    """Events from frame probabilities ``[F, C]`` (steps 1-4 of the module docstring), sorted by onset."""
    probs = np.asarray(probs, dtype=float)
    active = probs >= np.asarray(threshold, dtype=float)
    if median > 1:
        active = ndimage.median_filter(active.astype(np.uint8), size=(median, 1), mode="nearest").astype(bool)
    gap = int(round(min_gap / hop))
    out = []
    for c, label in enumerate(labels):
        col = np.concatenate([[False], active[:, c], [False]]).astype(np.int8)
        starts = list(np.flatnonzero(np.diff(col) == 1))
        ends = list(np.flatnonzero(np.diff(col) == -1))
        runs: list[list[int]] = []
        for s, e in zip(starts, ends):
            if runs and s - runs[-1][1] <= gap:
                runs[-1][1] = e
            else:
                runs.append([s, e])
        for s, e in runs:
            if (e - s) * hop >= min_duration:
                out.append({"onset": round(float(s * hop), 4), "offset": round(float(e * hop), 4), "label": label})
    return sorted(out, key=lambda ev: (ev["onset"], ev["label"]))


def unit_vector(azimuth: float, elevation: float) -> np.ndarray:
    """``(cos e cos a, cos e sin a, sin e)`` of an azimuth and elevation in degrees."""
    a, e = math.radians(azimuth), math.radians(elevation)
    return np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])


def direction_of(v: np.ndarray) -> tuple[float, float]:
    """Azimuth and elevation (degrees, rounded to 0.01) of a vector ``[3]`` (front when it is zero)."""
    x, y, z = (float(t) for t in v)
    if x == y == z == 0.0:
        return 0.0, 0.0
    az = math.degrees(math.atan2(y, x))
    el = math.degrees(math.atan2(z, math.hypot(x, y)))
    return round(az, 2) + 0.0, round(el, 2) + 0.0


@dataclass(frozen=True)
class PostProcessing:
    """Configurable frame-to-event decoding (module docstring); all fields are keyword options of
    ``avbench train --config`` under ``postprocess:``.

    Args:
        threshold: score at or above which a frame is active (one value or one per class).
        median: median filter length in frames (odd; 1 = off).
        min_duration: shortest kept event, seconds.
        min_gap: events of a class separated by at most this many seconds are merged.
        frame_scores: also write the frame scores (for PSDS from score tables).
    """

    threshold: float | tuple[float, ...] = 0.5
    median: int = 9
    min_duration: float = 0.2
    min_gap: float = 0.0
    frame_scores: bool = True

    def __post_init__(self) -> None:
        th = self.threshold
        vals = th if isinstance(th, (list, tuple)) else [th]
        if not vals or any(isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 <= t <= 1.0 for t in vals):
            raise InputError(f"postprocess.threshold must be in [0, 1] (or a list of such), got {th!r}")
        if isinstance(th, list):
            object.__setattr__(self, "threshold", tuple(float(t) for t in th))
        if isinstance(self.median, bool) or not isinstance(self.median, int) or self.median < 1:
            raise InputError(f"postprocess.median must be a positive number of frames, got {self.median!r}")
        for name in ("min_duration", "min_gap"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise InputError(f"postprocess.{name} must be >= 0 seconds, got {v!r}")

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any] | None) -> PostProcessing:
        """From a config mapping; an unknown key is an :class:`InputError` listing the known ones."""
        return dataclass_options(cls, obj, "postprocess", noun="option")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def events(self, probs: np.ndarray, *, hop: float, labels: Sequence[str],
               doa: np.ndarray | None = None) -> list[dict[str, Any]]:
        """Events of one clip from scores ``[F, C]`` (and unit directions ``[F, C, 3]`` for SELD)."""
        th = self.threshold
        if isinstance(th, tuple) and len(th) != len(labels):
            raise InputError(f"postprocess.threshold has {len(th)} values for {len(labels)} classes")
        events = decode_events(probs, hop=hop, labels=labels, threshold=th, median=self.median,
                               min_duration=self.min_duration, min_gap=self.min_gap)
        if doa is None:
            return events
        index = {lab: i for i, lab in enumerate(labels)}
        for ev in events:
            lo, hi = int(round(ev["onset"] / hop)), max(int(round(ev["offset"] / hop)), int(round(ev["onset"] / hop)) + 1)
            ev["azimuth"], ev["elevation"] = direction_of(np.asarray(doa)[lo:hi, index[ev["label"]]].mean(axis=0))
        return events
