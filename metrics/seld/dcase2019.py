"""DCASE 2019 Task 3 SELD metrics (TAU Spatial Sound Events 2019): ``seld-dcase2019``.

Signature ``compute(reference, predicted, **params)`` (frame tables; the reference usually comes
from the 2019 interval metadata rasterised at ``hop`` = 20 ms). Definitions (Adavanne et al.,
DCASE 2019 task page), detection and localisation scored separately:

- segment-based SED on 1 s segments (a class is active in a segment when active in any of its
  frames): ``TP, N_ref, N_sys`` summed; per segment ``FN, FP`` give ``S, D, I``;
  ``ER = (S + D + I) / N_ref``, ``F = 2PR / (P + R)``;
- DOA error: per frame, all reference and predicted directions (class-agnostic) are
  Hungarian-matched on great-circle distance; ``DOA = sum of matched distances / number of
  predicted directions`` (degrees);
- frame recall ``FR`` = share of frames whose number of predicted directions equals the
  reference number (0 = 0 counts);
- ``SELD = mean(ER, 1 - F, DOA / 180, 1 - FR)``.

``compat="official"`` reproduces sharathadavanne/seld-dcase2019 at e88c62b: directions snapped to
its 10 degree grid (azimuth floored into [-180, 170], elevation into [-40, 40]), duplicates in a
grid cell merged, each 1 s block built from its first 49 of 50 frames, a fixed 60 s (3000 frames),
reference files without predictions left out (its driver refuses unequal file counts).

An empty side, checked by running the official code (e88c62b, numpy 1.23.5, scipy 1.10.1; frozen in
``tests/metrics/seld/data/official_2019.json``, ``edge_cases``, made by ``benchmarks/peers/make_seld_fixtures.py``):

- empty prediction set (every prediction file empty, e.g. a system that detected nothing): the official
  code divides the summed DOA distance by the number of predicted directions with no guard
  (``SELDMetrics.compute_doa_scores``, ``metrics/evaluation_metrics.py``), 0 / 0: its DOA error is
  ``nan`` (numpy warns "invalid value encountered") and so is its SELD score (``calculate_SELD_metrics.py``
  prints ``SELD score: nan``); ER = 1 and F = 0 come out as usual. It is ``nan``, not ``inf``, as issue #10
  supposed. avbench gives, under both profiles, DOA error 180 degrees (the largest possible error),
  flagged ``no predicted direction: DOA error set to 180 degrees``, so the SELD score stays finite and
  ranks such a system last on DOA; ER, F and frame recall equal the official values (frames without
  reference directions still count as correct in frame recall).
- empty reference set with predictions: ``inf`` comes from here: ``ER = (S + D + I) / N_ref`` with
  ``N_ref = 0`` is ``inf`` (numpy warns "divide by zero"), and so is the SELD score; F = 0, DOA 0.
  avbench gives ER = 0, flagged ``no reference event: error rate set to 0``, and a finite SELD score.

Example:
    >>> from avbench.metrics.seld.io import from_rows
    >>> ref = from_rows(["a"], [0] * 50, range(50), [0] * 50, [10.0] * 50, hop=0.02)
    >>> pred = from_rows(["a"], [0] * 50, range(50), [0] * 50, [40.0] * 50, hop=0.02)
    >>> r = compute(ref, pred, n_classes=1)
    >>> r.overall["f1"], round(r.overall["localization_error"], 6), r.overall["frame_recall"]
    (1.0, 30.0, 1.0)
"""

from __future__ import annotations

import numpy as np

from avbench.metrics.seld._common import angle_robust, angle_spherical, match_groups, unique_values
from avbench.metrics.seld.io import SeldFrames, from_rows
from avbench.metrics.seld.report import align, class_names, finish
from avbench.results import MetricConfig, MetricResult

__all__ = ["compute", "METRICS"]


def _snap(t: SeldFrames, n_classes: int) -> SeldFrames:
    """The official 2019 grid: int degrees, clipped, floored to 10-degree cells, duplicates merged."""
    az = np.clip(np.trunc(t.azimuth), -180, 170)
    el = np.clip(np.trunc(t.elevation), -40, 40)
    cell = ((az + 180) // 10).astype(np.int64) * 9 + ((el + 40) // 10).astype(np.int64)
    key = ((t.file * (t.frame.max(initial=0) + 1) + t.frame) * n_classes + t.cls) * 324 + cell
    _, first = np.unique(key, return_index=True)  # sorted by (file, frame, class, cell) as np.where
    c = cell[first]
    return from_rows(t.files, t.file[first], t.frame[first], t.cls[first], (c // 9) * 10 - 180.0,
                     (c % 9) * 10 - 40.0, n_frames=t.n_frames, classes=t.classes, hop=t.hop)


def _stats(ref: SeldFrames, pred: SeldFrames, n_frames: np.ndarray, *, n_classes: int, block: int,
           official: bool) -> dict[str, np.ndarray]:
    nf = len(ref.files)
    F = int(max(n_frames.max(initial=1), 1))
    B = -(-F // block)
    C = n_classes

    def seg_active(t):
        keep = (t.frame % block != block - 1) if official else np.ones(len(t), dtype=bool)
        return unique_values((t.file[keep] * B + t.frame[keep] // block) * C + t.cls[keep])

    T, O = seg_active(ref), seg_active(pred)
    tp_k = np.intersect1d(T, O, assume_unique=True)
    fn_k = np.setdiff1d(T, O, assume_unique=True)
    fp_k = np.setdiff1d(O, T, assume_unique=True)
    per_file = lambda keys: np.bincount(keys // C // B, minlength=nf).astype(float)  # noqa: E731
    fb = nf * B
    fn_b = np.bincount(fn_k // C, minlength=fb)
    fp_b = np.bincount(fp_k // C, minlength=fb)
    file_of_b = np.arange(fb) // B
    out = {"TP": per_file(tp_k), "Nref": per_file(T), "Nsys": per_file(O),
           "S": np.bincount(file_of_b, weights=np.minimum(fn_b, fp_b), minlength=nf),
           "D": np.bincount(file_of_b, weights=np.maximum(0, fn_b - fp_b), minlength=nf),
           "I": np.bincount(file_of_b, weights=np.maximum(0, fp_b - fn_b), minlength=nf)}
    # DOA: class-agnostic per frame
    rk, pk = ref.file * F + ref.frame, pred.file * F + pred.frame
    angle = angle_spherical if official else angle_robust
    ri, pj, d = match_groups(rk, pk, lambda i, j: angle(ref.azimuth[i], ref.elevation[i], pred.azimuth[j], pred.elevation[j]))
    out["doa_sum"] = np.bincount(ref.file[ri], weights=d, minlength=nf)
    out["n_pred_doa"] = np.bincount(pred.file, minlength=nf).astype(float)
    nr = np.bincount(rk, minlength=nf * F)
    npd = np.bincount(pk, minlength=nf * F)
    valid = (np.arange(nf * F) % F) < np.repeat(n_frames, F) if nf else np.zeros(0, dtype=bool)
    out["good"] = np.bincount(np.arange(nf * F) // F, weights=(valid & (nr == npd)).astype(float), minlength=nf)
    out["frames"] = n_frames.astype(float)
    return out


def _derive(s):
    n_ref, n_sys, tp = float(s["Nref"]), float(s["Nsys"]), float(s["TP"])
    er = float(s["S"] + s["D"] + s["I"]) / n_ref if n_ref else 0.0
    p = tp / n_sys if n_sys else 0.0
    r = tp / n_ref if n_ref else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    doa = float(s["doa_sum"] / s["n_pred_doa"]) if s["n_pred_doa"] else 180.0
    fr = float(s["good"] / s["frames"]) if s["frames"] else 0.0
    flags = [] if s["n_pred_doa"] else ["no predicted direction: DOA error set to 180 degrees"]
    if not n_ref:
        flags.append("no reference event: error rate set to 0")
    overall = {"error_rate": er, "f1": f, "localization_error": doa, "frame_recall": fr,
               "localization_recall": fr, "seld_score": (er + 1 - f + doa / 180 + 1 - fr) / 4}
    return overall, {}, flags


def compute(
    reference: SeldFrames,
    predicted: SeldFrames,
    *,
    n_classes: int = 11,
    segment_length: float = 1.0,
    compat: str = "none",
    jackknife: bool = True,
    clip_frames: int = 3000,
) -> MetricResult:
    """DCASE 2019 SED and DOA metrics (module docstring); frames of ``reference.hop`` seconds.

    ``localization_recall`` repeats ``frame_recall`` (the 2019 localisation recall).
    """
    hop = reference.hop
    block = int(round(segment_length / hop))
    official = compat == "official"
    ref, pred, kept, missing, n = align(reference, predicted, compat=compat, block=block,
                                        official_frames="fixed", fixed_frames=clip_frames)
    if official:
        ref, pred = _snap(ref, n_classes), _snap(pred, n_classes)
        lim = np.full(len(kept), clip_frames)
        n = lim
    stats = _stats(ref, pred, n, n_classes=n_classes, block=block, official=official)
    params = {"n_classes": n_classes, "segment_length": segment_length, "hop": hop, "compat": compat,
              "jackknife": jackknife, "clip_frames": clip_frames, "average": "micro", "angle_unit": "deg",
              "angle_formula": "spherical" if official else "robust", "doa_grid": "10 deg" if official else None}
    return finish(metric_id="seld-dcase2019", version="1.0", params=params, stats=stats, derive=_derive,
                  classes=class_names(reference, n_classes), kept=kept, missing=missing, compat=compat,
                  with_jackknife=jackknife)


METRICS = [
    MetricConfig("seld-dcase2019", "1.0", "seld", "seld", compute,
                 description="DCASE 2019 SELD: 1 s segment ER/F, Hungarian DOA error, frame recall",
                 primary="seld_score"),
]
