"""DCASE 2022 / 2023 Task 3 SELD metrics (STARSS22 / STARSS23): ``seld-dcase2022``, ``seld-dcase2023``.

Compute signature (all SELD metrics): ``compute(reference, predicted, **params)`` with two
:class:`~avbench.metrics.seld.io.SeldFrames` tables (reference defines the files; predictions are
matched by file name), fed by :mod:`avbench.metrics.seld.files` (CSV) and its JSON adapter.

Definitions (Politis et al. 2020, DCASE 2022 task page), on segments of ``segment_length`` = 1 s
(ten 100 ms frames), per class ``c``:

- association: in each segment, reference and predicted directions of class ``c`` are
  Hungarian-matched frame by frame; each matched reference track's mean angular error ``d``
  makes a localisation TP; a detection TP when ``d <= angle_threshold`` (20 degrees), else a
  spatial FP (``FPs``); extra predicted / reference tracks are FP / FN;
- ``F_c = TP / (TP + FPs + (FP + FN) / 2)``; ``LE_c`` = mean ``d`` over localisation TPs (180 when
  there is none); ``LR_c = DE_TP / (DE_TP + FN)``; ``ER = (S + D + I) / N_ref`` over all classes;
- ``average="macro"`` (the default) averages ``F_c, LE_c, LR_c`` over all classes, ``"micro"``
  pools the counts; ``SELD = mean(ER, 1 - F, LE / 180, 1 - LR)``.

Edge policies: a class with no reference and no prediction scores ``F = 0, LE = 180, LR = 0`` (as
the official code) and is flagged; a missing prediction file is scored as empty and flagged.
``compat="official"`` reproduces the official 2022/2023 code exactly, including its quirks: a class
present in a segment in both reference and prediction but never in the same frame adds the
*predicted* track count to FN (documented: reference count to FN, predicted count to FP); reference
files without predictions are left out; scoring stops at the last annotated reference frame index.

Example:
    >>> from avbench.metrics.seld.io import from_rows
    >>> ref = from_rows(["a.csv"], [0] * 10, range(10), [0] * 10, [30.0] * 10)
    >>> pred = from_rows(["a.csv"], [0] * 10, range(10), [0] * 10, [45.0] * 10)
    >>> r = compute(ref, pred, n_classes=1)
    >>> r.overall["f1"], round(r.overall["localization_error"], 6), r.overall["error_rate"]
    (1.0, 15.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from avbench.metrics.seld.engine import location_counts
from avbench.metrics.seld.io import SeldFrames
from avbench.metrics.seld.report import align, class_names, finish, safe_div
from avbench.results import MetricConfig, MetricResult

__all__ = ["compute", "derive_track", "METRICS"]


def derive_track(s: Mapping[str, np.ndarray], *, average: str, spatial_fp_weight: float = 1.0, le_empty: float = 180.0):
    """ER, F, LE, LR and SELD score from summed counts (2021-2023 definitions).

    ``spatial_fp_weight`` is 1 for 2022+ (``F = TP / (TP + FPs + (FP + FN)/2)``) and 0.5 for 2021,
    whose F pools spatial FPs with the other FPs.
    """
    n_ref = float(s["Nref"].sum())
    err = float(s["S"] + s["D"] + s["I"])
    er = err / n_ref if n_ref else 0.0
    flags: list[str] = []
    if not n_ref and err:
        flags.append("no reference events: error rate set to 0 although predictions exist")
    tp, fps, fp, fn = s["TP"], s["FPs"], s["FP"], s["FN"]
    w = spatial_fp_weight
    f_c = safe_div(tp, tp + w * fps + 0.5 * (fp + fn))
    le_c = np.where(s["DE_TP"] > 0, safe_div(s["ang"], s["DE_TP"]), le_empty)
    lr_c = safe_div(s["DE_TP"], s["DE_TP"] + s["DE_FN"])
    seld_c = (er + (1 - f_c) + le_c / 180 + (1 - lr_c)) / 4
    unsupported = np.flatnonzero((s["Nref"] == 0) & (tp + fps + fp == 0))
    if len(unsupported):
        flags.append(f"{len(unsupported)} class(es) with no reference and no prediction score F=0, "
                     f"LE={le_empty:g}, LR=0: indices {unsupported.tolist()}")
    if average == "macro":
        f, le, lr = float(f_c.mean()), float(le_c.mean()), float(lr_c.mean())
    else:
        T, P = tp.sum(), fps.sum()
        f = float(safe_div(T, T + w * P + 0.5 * (fp.sum() + fn.sum())))
        de = s["DE_TP"].sum()
        le = float(s["ang"].sum() / de) if de else le_empty
        lr = float(safe_div(de, de + s["DE_FN"].sum()))
    seld = (er + (1 - f) + le / 180 + (1 - lr)) / 4
    overall = {"error_rate": er, "f1": f, "localization_error": le, "localization_recall": lr, "seld_score": seld}
    per_class = {"f1": f_c, "localization_error": le_c, "localization_recall": lr_c, "seld_score": seld_c}
    return overall, per_class, flags


def compute(
    reference: SeldFrames,
    predicted: SeldFrames,
    *,
    n_classes: int = 13,
    angle_threshold: float = 20.0,
    average: str = "macro",
    segment_length: float = 1.0,
    hop: float = 0.1,
    compat: str = "none",
    jackknife: bool = True,
    metric_id: str = "seld-dcase2023",
    version: str = "1.0",
) -> MetricResult:
    """Score SELD predictions with the DCASE 2022/2023 definitions (see the module docstring).

    Args:
        reference, predicted: frame tables (azimuth/elevation in degrees, frames of ``hop`` s).
        n_classes: number of classes (13 for STARSS22/23).
        angle_threshold: degrees; a track within it is a detection TP.
        average: ``"macro"`` or ``"micro"``.
        segment_length: seconds per segment (``segment_length / hop`` frames).
        compat: ``"none"`` (documented definitions) or ``"official"`` (the official code's numbers).
        jackknife: add leave-one-file-out 95% intervals in ``extra["confidence_intervals"]``.

    Returns:
        :class:`MetricResult` with ``error_rate``, ``f1``, ``localization_error`` (degrees),
        ``localization_recall``, ``seld_score`` and their class-wise values.

    Raises:
        InputError: unknown ``compat``/``average`` value, prediction file without reference.
    """
    return run_track_edition(reference, predicted, metric_id=metric_id, version=version, n_classes=n_classes,
                             angle_threshold=angle_threshold, average=average, segment_length=segment_length,
                             hop=hop, compat=compat, jackknife=jackknife, official_frames="max_ref",
                             spatial_fp_weight=1.0)


def run_track_edition(reference, predicted, *, metric_id, version, n_classes, angle_threshold, average,
                      segment_length, hop, compat, jackknife, official_frames, spatial_fp_weight,
                      fixed_frames=None) -> MetricResult:
    """Shared body of the segment-based "track" editions (2021, 2022, 2023)."""
    from avbench.errors import InputError

    if average not in ("macro", "micro"):
        raise InputError(f"{metric_id}: average must be 'macro' or 'micro', got {average!r}")
    block = int(round(segment_length / hop))
    if block < 1 or abs(block * hop - segment_length) > 1e-9:
        raise InputError(f"{metric_id}: segment_length {segment_length} s is not a whole number of {hop} s frames")
    ref, pred, kept, missing, n = align(reference, predicted, compat=compat, block=block,
                                        official_frames=official_frames, fixed_frames=fixed_frames)
    official = compat == "official"
    stats = location_counts(ref, pred, n_classes=n_classes, n_frames=n, block=block, mode="track",
                            angle="spherical" if official else "robust", angle_threshold=angle_threshold,
                            no_alignment="official" if official else "documented")
    params = {"n_classes": n_classes, "angle_threshold": angle_threshold, "average": average,
              "segment_length": segment_length, "hop": hop, "compat": compat, "jackknife": jackknife,
              "angle_unit": "deg", "angle_formula": "spherical" if official else "robust",
              "association": "track", "frames_scored": "official" if official else "clip"}
    return finish(metric_id=metric_id, version=version, params=params, stats=stats,
                  derive=lambda s: derive_track(s, average=average, spatial_fp_weight=spatial_fp_weight),
                  classes=class_names(reference, n_classes), kept=kept, missing=missing, compat=compat,
                  with_jackknife=jackknife)


METRICS = [
    MetricConfig("seld-dcase2022", "1.0", "seld", "seld", compute,
                 params={"metric_id": "seld-dcase2022", "version": "1.0", "average": "macro"},
                 description="DCASE 2022 SELD: location-aware ER/F (20 deg), LE/LR, 1 s segments, macro",
                 primary="seld_score"),
    MetricConfig("seld-dcase2023", "1.0", "seld", "seld", compute,
                 params={"metric_id": "seld-dcase2023", "version": "1.0", "average": "macro"},
                 description="DCASE 2023 SELD (STARSS23): as 2022, macro over 13 classes, 1 s segments",
                 primary="seld_score"),
]
