"""DCASE 2025 Task 3 stereo SELD metrics (STARSS23 stereo, audio / audio-visual): ``seld-dcase2025``.

Frame-level (100 ms), azimuth only: both azimuths are folded onto the front half-plane
(``a -> 180 - a`` above 90 degrees, ``-180 - a`` below -90) and the angular error is
``|fold(a_ref) - fold(a_pred)|``. Per frame and class, Hungarian matching on that error; a matched
pair is a detection TP when the error is ``<= angle_threshold`` (20), the relative distance
error ``<= reldist_threshold`` (1.0) and, with ``require_onscreen`` (default, the audio-visual
track), the on-screen flags agree. Counts, F, DOAE, RDE as :mod:`avbench.metrics.seld.dcase2024`;
``onscreen_accuracy`` is the share of matched pairs whose on-screen flags agree (class mean).
The official 2025 code computes no ER, LR or SELD score; avbench reports them with the 2024
definitions (flagged). Input: ``frame,class,source,azimuth,distance,onscreen`` with a header.

``compat="official"`` reproduces partha2409/DCASE2025_seld_baseline at 42a48b6, including its
off-by-one: frames are counted as the largest annotated reference frame index, so the last
annotated frame is never scored (documented: every frame of the clip is scored).

Example:
    >>> from avbench.metrics.seld.io import from_rows
    >>> ref = from_rows(["a"], [0], [0], [0], [170.0], distance=[2.0], onscreen=[1])
    >>> pred = from_rows(["a"], [0], [0], [0], [15.0], distance=[2.0], onscreen=[1])
    >>> r = compute(ref, pred, n_classes=1)
    >>> r.overall["f1"], round(r.overall["localization_error"], 6)
    (1.0, 5.0)
"""

from __future__ import annotations

import numpy as np

from avbench.errors import InputError
from avbench.metrics.seld.engine import location_counts
from avbench.metrics.seld.io import SeldFrames
from avbench.metrics.seld.report import align, class_names, finish
from avbench.metrics.seld.dcase2024 import derive_frame
from avbench.results import MetricConfig, MetricResult

__all__ = ["compute", "METRICS"]


def compute(
    reference: SeldFrames,
    predicted: SeldFrames,
    *,
    n_classes: int = 13,
    angle_threshold: float = 20.0,
    reldist_threshold: float = 1.0,
    require_onscreen: bool = True,
    average: str = "macro",
    compat: str = "none",
    jackknife: bool = True,
) -> MetricResult:
    """DCASE 2025 stereo SELD (module docstring).

    Args:
        require_onscreen: the on-screen flag must match for a detection TP (audio-visual track);
            ``False`` for the audio-only track.
        Others as :func:`avbench.metrics.seld.dcase2024.compute`.

    Raises:
        InputError: unknown ``average`` value, rows without distance or on-screen flag when required.
    """
    if average not in ("macro", "micro"):
        raise InputError(f"seld-dcase2025: average must be 'macro' or 'micro', got {average!r}")
    for side, t in (("reference", reference), ("prediction", predicted)):
        bad = np.isnan(t.distance) | ((t.onscreen < 0) if require_onscreen else False)
        if len(t) and np.any(bad):
            f = t.files[int(t.file[np.flatnonzero(bad)[0]])]
            raise InputError(f"seld-dcase2025: {side} file {f!r} has rows without distance or on-screen flag; "
                             "expected frame,class,source,azimuth,distance,onscreen")
    ref, pred, kept, missing, n = align(reference, predicted, compat=compat, block=1, official_frames="max_ref")
    stats = location_counts(ref, pred, n_classes=n_classes, n_frames=n, block=1, mode="frame",
                            angle="azimuth-folded", angle_threshold=angle_threshold,
                            reldist_threshold=reldist_threshold, require_onscreen=require_onscreen)
    params = {"n_classes": n_classes, "angle_threshold": angle_threshold, "reldist_threshold": reldist_threshold,
              "require_onscreen": require_onscreen, "average": average, "segment_length": 0.1,
              "hop": reference.hop, "compat": compat, "jackknife": jackknife, "angle_unit": "deg",
              "angle_formula": "azimuth-folded", "association": "frame"}

    def derive(s):
        overall, cw, flags = derive_frame(s, average=average, onscreen=True)
        return overall, cw, flags + ["error_rate, localization_recall and seld_score are not defined by the "
                                     "official 2025 code; avbench computes them with the 2024 definitions"]

    return finish(metric_id="seld-dcase2025", version="1.1", params=params, stats=stats, derive=derive,
                  classes=class_names(reference, n_classes), kept=kept, missing=missing, compat=compat,
                  with_jackknife=jackknife)


METRICS = [
    MetricConfig("seld-dcase2025", "1.1", "seld", "seld", compute,
                 description="DCASE 2025 stereo SELD: folded azimuth, F20 with distance and on-screen, DOAE, RDE",
                 primary="f1"),
]
