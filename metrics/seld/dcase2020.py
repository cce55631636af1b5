"""DCASE 2020 and 2021 Task 3 SELD metrics (TAU-NIGENS): ``seld-dcase2020``, ``seld-dcase2021``.

Both use 1 s segments of ten 100 ms frames, a 20 degree threshold and micro averaging, with the
signature ``compute(reference, predicted, **params)`` of :mod:`avbench.metrics.seld.dcase2022`.

- 2020 (Mesaros et al. 2019, "presence" association): one unit per segment and class present. When
  present in both, the per-frame Hungarian cost sums are averaged over the aligned frames: within
  the threshold a TP, otherwise a FN; in the reference only a FN, in the prediction only a FP.
  ``F = 2PR / (P + R)`` with ``P = TP / N_sys``, ``R = TP / N_ref``; ``LE`` = mean error of the
  localised units (180 when none); ``LR = DE_TP / N_ref``; the localisation F-score
  ``LF = 2 P_L R_L / (P_L + R_L)`` (``P_L = DE_TP / N_sys``) is reported as ``localization_f1``.
  ``SELD = mean(ER, 1 - F, LE / 180, 1 - LR)``; the official 2020 script uses ``1 - LF`` in place
  of ``1 - LR`` (``compat="official"``).
- 2021 (multi-instance "track" association, as 2022 but micro): ``F = TP / (TP + (FP + FN) / 2)``
  with spatial FPs counted among the FPs; the official code scores a fixed 60 s (600 frames).

Example:
    >>> from avbench.metrics.seld.io import from_rows
    >>> ref = from_rows(["a"], [0] * 10, range(10), [0] * 10, [0.0] * 10)
    >>> pred = from_rows(["a"], [0] * 10, range(10), [0] * 10, [30.0] * 10)
    >>> r = compute_2020(ref, pred, n_classes=1)
    >>> r.overall["f1"], round(r.overall["localization_error"], 6), r.overall["localization_recall"]
    (0.0, 30.0, 1.0)
"""

from __future__ import annotations

import numpy as np

from avbench.metrics.seld.engine import location_counts
from avbench.metrics.seld.io import SeldFrames
from avbench.metrics.seld.report import align, class_names, finish, safe_div
from avbench.metrics.seld.dcase2022 import run_track_edition
from avbench.results import MetricConfig, MetricResult

__all__ = ["compute_2020", "compute_2021", "METRICS"]


def _f(p, r):
    return float(2 * p * r / (p + r)) if p + r else 0.0


def _derive_2020(s, *, official: bool):
    n_ref, n_sys = float(s["Nref"].sum()), float(s["Nsys"].sum())
    err = float(s["S"] + s["D"] + s["I"])
    er = err / n_ref if n_ref else 0.0
    tp, de = float(s["TP"].sum()), float(s["DE_TP"].sum())
    f = _f(tp / n_sys if n_sys else 0.0, tp / n_ref if n_ref else 0.0)
    le = float(s["ang"].sum() / de) if de else 180.0
    lr = de / n_ref if n_ref else 0.0
    lf = _f(de / n_sys if n_sys else 0.0, lr)
    seld = (er + (1 - f) + le / 180 + (1 - (lf if official else lr))) / 4
    cw = {"f1": np.array([_f(*(safe_div(s["TP"][c], [s["Nsys"][c], s["Nref"][c]]))) for c in range(len(s["TP"]))]),
          "localization_error": np.where(s["DE_TP"] > 0, safe_div(s["ang"], s["DE_TP"]), 180.0),
          "localization_recall": safe_div(s["DE_TP"], s["Nref"])}
    overall = {"error_rate": er, "f1": f, "localization_error": le, "localization_recall": lr,
               "localization_f1": lf, "seld_score": seld}
    flags = ["seld_score uses 1 - localization_f1 as the official 2020 script does"] if official else []
    return overall, cw, flags


def compute_2020(
    reference: SeldFrames,
    predicted: SeldFrames,
    *,
    n_classes: int = 14,
    angle_threshold: float = 20.0,
    segment_length: float = 1.0,
    hop: float = 0.1,
    compat: str = "none",
    jackknife: bool = True,
    clip_frames: int = 600,
) -> MetricResult:
    """DCASE 2020 location-aware detection and class-aware localisation (module docstring).

    Args:
        clip_frames: frames scored per file under ``compat="official"`` (60 s of 100 ms).
        Others as :func:`avbench.metrics.seld.dcase2022.compute`.
    """
    block = int(round(segment_length / hop))
    ref, pred, kept, missing, n = align(reference, predicted, compat=compat, block=block,
                                        official_frames="fixed", fixed_frames=clip_frames)
    official = compat == "official"
    stats = location_counts(ref, pred, n_classes=n_classes, n_frames=n, block=block, mode="presence",
                            angle="spherical" if official else "robust", angle_threshold=angle_threshold)
    params = {"n_classes": n_classes, "angle_threshold": angle_threshold, "average": "micro",
              "segment_length": segment_length, "hop": hop, "compat": compat, "jackknife": jackknife,
              "clip_frames": clip_frames, "angle_unit": "deg", "association": "presence",
              "angle_formula": "spherical" if official else "robust"}
    return finish(metric_id="seld-dcase2020", version="1.0", params=params, stats=stats,
                  derive=lambda s: _derive_2020(s, official=official), classes=class_names(reference, n_classes),
                  kept=kept, missing=missing, compat=compat, with_jackknife=jackknife)


def compute_2021(
    reference: SeldFrames,
    predicted: SeldFrames,
    *,
    n_classes: int = 12,
    angle_threshold: float = 20.0,
    average: str = "micro",
    segment_length: float = 1.0,
    hop: float = 0.1,
    compat: str = "none",
    jackknife: bool = True,
    clip_frames: int = 600,
) -> MetricResult:
    """DCASE 2021 metrics: the 2022 "track" association, micro-averaged, spatial FPs among the FPs."""
    return run_track_edition(reference, predicted, metric_id="seld-dcase2021", version="1.0", n_classes=n_classes,
                             angle_threshold=angle_threshold, average=average, segment_length=segment_length,
                             hop=hop, compat=compat, jackknife=jackknife, official_frames="fixed",
                             fixed_frames=clip_frames, spatial_fp_weight=0.5)


METRICS = [
    MetricConfig("seld-dcase2020", "1.0", "seld", "seld", compute_2020,
                 description="DCASE 2020 SELD: ER/F within 20 deg, LE/LR per class presence, 1 s, micro",
                 primary="seld_score"),
    MetricConfig("seld-dcase2021", "1.0", "seld", "seld", compute_2021,
                 description="DCASE 2021 SELD: multi-instance ER/F within 20 deg, LE/LR, 1 s, micro",
                 primary="seld_score"),
]
