"""DCASE 2024 Task 3 SELD metrics with distance (STARSS23, audio and audio-visual): ``seld-dcase2024``.

Frame-level (100 ms), signature ``compute(reference, predicted, **params)``. Per frame and class,
reference and predicted directions are Hungarian-matched on angular distance; ``K = min(P, R)``
pairs are localisation TPs. A pair is a detection TP when its angular error is
``<= angle_threshold`` (20 degrees) and its relative distance error ``|d_hat - d| / d`` is
``<= reldist_threshold`` (1.0), otherwise a spatial FP; ``P - R > 0`` extra predictions are FPs,
``R - P > 0`` missed references FNs.

Per class: ``F_c = TP / (TP + FPs + (FP + FN) / 2)``; ``DOAE_c`` = mean angular error of the
matched pairs; ``RDE_c`` = mean relative distance error (reported as ``distance_error``;
``distance_error_m`` is the absolute error in metres); ``LR_c = K / (K + FN)``;
``SELD_c = nanmean(1 - F_c, DOAE_c / 180, RDE_c)``. Macro averaging: ``F``, ``LR`` and ``SELD`` are
means over all classes; ``DOAE`` and ``RDE`` are means over the classes with at least one matched
pair (a class without one is flagged). ``ER = (S + D + I) / N_ref`` per frame.

``compat="official"`` reproduces partha2409/DCASE2024_seld_baseline at 0b07887 (angles from unit
vectors re-normalised with a 1e-10 guard; files without predictions left out; the last annotated
reference frame never scored). ``compat="official-2024-launch"`` reproduces the code as released
for the challenge (before d21b03f, 29 May 2024), which averaged DOAE, RDE, LR and the SELD score
only over the classes whose F-score rounds to a non-zero value.

Example:
    >>> from avbench.metrics.seld.io import from_rows
    >>> ref = from_rows(["a"], [0, 0], [0, 1], [0, 0], [0.0, 0.0], distance=[2.0, 2.0])
    >>> pred = from_rows(["a"], [0, 0], [0, 1], [0, 0], [10.0, 30.0], distance=[2.5, 2.0])
    >>> r = compute(ref, pred, n_classes=1)
    >>> r.overall["f1"], round(r.overall["localization_error"], 6), r.overall["distance_error"]
    (0.5, 20.0, 0.125)
"""

from __future__ import annotations

import numpy as np

from avbench.errors import InputError
from avbench.metrics.seld.engine import location_counts
from avbench.metrics.seld.io import SeldFrames
from avbench.metrics.seld.report import align, class_names, finish, safe_div
from avbench.results import MetricConfig, MetricResult

__all__ = ["compute", "derive_frame", "METRICS"]

_COMPAT = ("none", "official", "official-2024-launch")


def _nanmean(x):
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    return float(x[ok].mean()) if ok.any() else float("nan")


def _nanmean_columns(x: np.ndarray) -> np.ndarray:
    """:func:`_nanmean` of each column of ``x`` at once (the same sums in the same order: bit-identical)."""
    ok = ~np.isnan(x)
    n = ok.sum(axis=0)
    total = np.where(ok, x, 0.0).sum(axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def derive_frame(s, *, average: str, launch: bool = False, onscreen: bool = False):
    """Frame-level values from summed counts (2024 and 2025); see the module docstring."""
    n_ref = float(s["Nref"].sum())
    err = float(s["S"] + s["D"] + s["I"])
    er = err / n_ref if n_ref else 0.0
    tp, fps, fp, fn, k = s["TP"], s["FPs"], s["FP"], s["FN"], s["DE_TP"]
    f_c = safe_div(tp, tp + fps + 0.5 * (fp + fn))
    nan = np.full(len(k), np.nan)
    ang_c = np.where(k > 0, safe_div(s["ang"], k), nan)
    dist_c = np.where(k > 0, safe_div(s["dist"], k), nan)
    rel_c = np.where(k > 0, safe_div(s["reldist"], k), nan)
    on_c = np.where(k > 0, safe_div(s["onscr"], k), nan)
    lr_c = safe_div(k, k + s["DE_FN"])
    seld_c = _nanmean_columns(np.stack([1 - f_c, ang_c / 180, rel_c]))
    flags = []
    nomatch = np.flatnonzero(k == 0)
    if len(nomatch):
        flags.append(f"{len(nomatch)} class(es) have no matched pair; their angular/distance errors are "
                     f"undefined and left out of the class averages: indices {nomatch.tolist()}")
    if average == "micro":
        K = k.sum()
        f = float(safe_div(tp.sum(), tp.sum() + fps.sum() + 0.5 * (fp.sum() + fn.sum())))
        ang, dist, rel, on = (float(s[x].sum() / K) if K else float("nan") for x in ("ang", "dist", "reldist", "onscr"))
        lr = float(safe_div(K, K + s["DE_FN"].sum()))
        seld = _nanmean([1 - f, ang / 180, rel])
    else:
        sel = np.round(f_c, 2) != 0 if launch else np.ones(len(k), dtype=bool)
        if launch:
            flags.append("official-2024-launch: DOAE, RDE, LR and SELD averaged only over classes with F != 0")
        f = float(f_c.mean())
        ang, dist, rel, on = (_nanmean(v[sel]) for v in (ang_c, dist_c, rel_c, on_c))
        lr = float(lr_c[sel].mean()) if sel.any() else float("nan")
        seld = float(seld_c[sel].mean()) if sel.any() else float("nan")
    overall = {"error_rate": er, "f1": f, "localization_error": ang, "localization_recall": lr,
               "distance_error": rel, "distance_error_m": dist, "seld_score": seld}
    cw = {"f1": f_c, "localization_error": ang_c, "localization_recall": lr_c, "distance_error": rel_c,
          "distance_error_m": dist_c, "seld_score": seld_c}
    if onscreen:
        overall["onscreen_accuracy"] = on
        cw["onscreen_accuracy"] = on_c
    return overall, cw, flags


def compute(
    reference: SeldFrames,
    predicted: SeldFrames,
    *,
    n_classes: int = 13,
    angle_threshold: float = 20.0,
    reldist_threshold: float = 1.0,
    average: str = "macro",
    compat: str = "none",
    jackknife: bool = True,
) -> MetricResult:
    """DCASE 2024 frame-level SELD with distance (module docstring).

    Args:
        reference, predicted: frame tables with distances in metres.
        angle_threshold: degrees; reldist_threshold: relative distance error bound (inclusive).
        average: ``"macro"`` or ``"micro"``.
        compat: ``"none"``, ``"official"`` or ``"official-2024-launch"``.

    Raises:
        InputError: unknown ``compat``/``average`` value, a reference or prediction row without distance.
    """
    if compat not in _COMPAT:
        raise InputError(f"seld-dcase2024: compat must be one of {_COMPAT}, got {compat!r}")
    if average not in ("macro", "micro"):
        raise InputError(f"seld-dcase2024: average must be 'macro' or 'micro', got {average!r}")
    if len(reference) and np.isnan(reference.distance).any():
        f = reference.files[int(reference.file[np.flatnonzero(np.isnan(reference.distance))[0]])]
        raise InputError(f"seld-dcase2024: reference file {f!r} has rows without distance; the 2024 metrics "
                         "need frame,class,track,azimuth,elevation,distance")
    if len(predicted) and np.isnan(predicted.distance).any():
        f = predicted.files[int(predicted.file[np.flatnonzero(np.isnan(predicted.distance))[0]])]
        raise InputError(f"seld-dcase2024: prediction file {f!r} has rows without distance; the 2024 metrics score "
                         "distances (a missing one is not a perfect one): write frame,class,track,azimuth,elevation,"
                         "distance")
    base = "official" if compat.startswith("official") else "none"
    ref, pred, kept, missing, n = align(reference, predicted, compat=base, block=1, official_frames="max_ref")
    stats = location_counts(ref, pred, n_classes=n_classes, n_frames=n, block=1, mode="frame",
                            angle="cartesian" if base == "official" else "robust",
                            angle_threshold=angle_threshold, reldist_threshold=reldist_threshold)
    params = {"n_classes": n_classes, "angle_threshold": angle_threshold, "reldist_threshold": reldist_threshold,
              "average": average, "segment_length": 0.1, "hop": reference.hop, "compat": compat,
              "jackknife": jackknife, "angle_unit": "deg", "distance_unit": "m",
              "angle_formula": "cartesian" if base == "official" else "robust", "association": "frame"}
    return finish(metric_id="seld-dcase2024", version="1.0", params=params, stats=stats,
                  derive=lambda s: derive_frame(s, average=average, launch=compat == "official-2024-launch"),
                  classes=class_names(reference, n_classes), kept=kept, missing=missing, compat=base,
                  with_jackknife=jackknife)


METRICS = [
    MetricConfig("seld-dcase2024", "1.0", "seld", "seld", compute,
                 description="DCASE 2024 SELD: frame-level F (20 deg, rel. distance <= 1), DOAE, RDE, macro",
                 primary="f1"),
]
