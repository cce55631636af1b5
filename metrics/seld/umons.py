"""SECL-UMONS / AVECL-UMONS sequence-level SELD metrics (Brousmiche, UMONS thesis §6.1.2, §6.2): ``seld-umons``.

Signature ``compute(reference, predicted, **params)`` with two frame tables
(:class:`~avbench.metrics.seld.io.SeldFrames`; CSV files, folders or avbench predictions JSON via
:mod:`avbench.metrics.seld.files`). Each file (clip) is one *sequence* ``n = 1..N``; there are no
1 s segments and no angular threshold. Angles in degrees, azimuth only.

Decisions per sequence (thesis §6.2; a row's ``score`` is NaN for a hard decision, e.g. any CSV row):

- reference classes ``R_n``: the classes with at least one reference row;
- ``mode="multilabel"``: predicted classes ``P_n`` = the classes with at least one *active* row
  (no score, or ``score > threshold``: "output greater than 0.5 for at least one frame"); the kept
  directions are the active rows;
- ``mode="unilabel"``: each frame votes for the class of its highest-scoring predicted row (a row
  without score counts as 1.0; equal scores: the lowest class index); ``P_n`` = the class with the
  most votes (a tie takes the lowest class index and is flagged), empty when nothing is
  predicted; no threshold (the thesis takes the frame-wise maximum). The kept directions are all
  rows of that class ("only the coordinates of the detected class are kept").

Counts per sequence: ``TP(n) = |R_n & P_n|``, ``FP(n) = |P_n - R_n|``, ``FN(n) = |R_n - P_n|``,
``E(n) = |R_n|``; all summed over sequences before any ratio (micro):

- (6.1) ``F = 2 sum TP / (2 sum TP + sum FP + sum FN)``;
- (6.2) ``ER = (sum S + sum D + sum I) / sum E`` with (6.3) ``S(n) = min(FN(n), FP(n))``,
  (6.4) ``D(n) = max(0, FN(n) - FP(n))``, (6.5) ``I(n) = max(0, FP(n) - FN(n))``;
- (6.6) ``DOA = (1/N') sum_n (1/K_n) sum_k e_nk``: in frame ``k`` the reference and kept directions
  are Hungarian-matched class-agnostically on the wrapped azimuth difference
  ``d(a, b) = min(|a - b| mod 360, 360 - |a - b| mod 360)`` in [0, 180] and ``e_nk`` is the mean of
  the matched ``d``; ``K_n`` = frames of sequence ``n`` with a matched pair, ``N'`` = sequences with
  ``K_n > 0``. (6.7) ``alpha = atan2(y, x)``: the readers turn Cartesian rows into azimuths (the
  thesis writes ``arctan(y/x)`` and a plain ``|a - b|``; both are unverifiable, the SELD score's
  ``/180`` implies wrapped errors);
- (6.8) ``FR = TP_f / (TP_f + FN_f)`` over the frames ``0 .. n_frames - 1`` of every sequence: a
  frame is a ``TP_f`` when its number of kept directions equals its number of reference
  directions (0 = 0 counts), otherwise a ``FN_f`` (the DCASE 2019 frame recall the thesis adapts);
- (6.9-6.11) ``SELD = (SED + DOAscore) / 2`` with ``SED = (ER + 1 - F) / 2`` and
  ``DOAscore = (DOA / 180 + 1 - FR) / 2``.

Edge policies (each pinned by a test): a sequence with no reference event adds its predicted
classes as FP / insertions, no DOA term, and its frames with kept directions are ``FN_f``; a
sequence with no prediction (or no prediction file, flagged) adds its classes as FN / deletions
and no DOA term; no matched pair anywhere: ``DOA = 180`` (flagged); ``sum E = 0``: ``ER = 0``
(flagged when predictions exist); 0/0 F-scores and a class with no reference and no prediction
score 0 (flagged).

Example:
    >>> from avbench.metrics.seld.io import from_rows
    >>> ref = from_rows(["s1"], [0] * 3, [0, 1, 2], [4] * 3, [179.0] * 3)
    >>> pred = from_rows(["s1"], [0] * 3, [0, 1, 2], [4] * 3, [-179.0] * 3)
    >>> r = compute(ref, pred, n_classes=11, mode="unilabel")
    >>> r.overall["f1"], round(r.overall["localization_error"], 9), r.overall["frame_recall"]
    (1.0, 2.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from avbench.errors import InputError
from avbench.metrics.seld._common import azimuth_wrapped, match_groups
from avbench.metrics.seld.io import SeldFrames
from avbench.metrics.seld.report import align, class_names, finish, safe_div
from avbench.results import MetricConfig, MetricResult

__all__ = ["compute", "sequence_counts", "METRICS"]

VERSION = "1.0"
MODES = ("unilabel", "multilabel")


def _predicted_sets(pred: SeldFrames, n_files: int, C: int, F: int, *, mode: str, threshold: float):
    """``(P [files, C] bool, kept rows, tied votes [files])`` (module docstring, decisions)."""
    P = np.zeros((n_files, C), dtype=bool)
    if mode == "multilabel":
        kept = pred.take(np.isnan(pred.score) | (pred.score > threshold))
        P[kept.file, kept.cls] = True
        return P, kept, np.zeros(n_files)
    score = np.where(np.isnan(pred.score), 1.0, pred.score)
    fk = pred.file * F + pred.frame
    order = np.lexsort((pred.cls, -score, fk))  # by frame, best score first, then lowest class
    head = order[np.r_[True, fk[order][1:] != fk[order][:-1]]] if len(order) else order
    votes = np.bincount(pred.file[head] * C + pred.cls[head], minlength=n_files * C).reshape(n_files, C)
    top = votes.max(axis=1, initial=0)
    voted = top > 0
    best = votes.argmax(axis=1)  # the first maximum: the lowest class index
    P[np.flatnonzero(voted), best[voted]] = True
    ties = (((votes == top[:, None]).sum(axis=1) > 1) & voted).astype(float)
    kept = pred.take(voted[pred.file] & (pred.cls == best[pred.file]))
    return P, kept, ties


def sequence_counts(ref: SeldFrames, pred: SeldFrames, n_frames: np.ndarray, *, n_classes: int, mode: str,
                    threshold: float) -> dict[str, np.ndarray]:
    """Additive per-sequence statistics (tables already aligned to the same files and frames).

    Returns ``TP, FP, FN, Nref, Nsys`` (``[files, classes]``) and ``S, D, I, doa_sum`` (the
    sequence's mean frame error ``(1/K_n) sum_k e_nk``, 0 without pairs), ``doa_n`` (1 when
    ``K_n > 0``), ``fr_tp, fr_fn, ties`` (``[files]``).
    """
    nf, C = len(ref.files), n_classes
    n_frames = np.asarray(n_frames, dtype=np.int64)
    F = int(max(n_frames.max(initial=1), 1))
    R = np.zeros((nf, C), dtype=bool)
    R[ref.file, ref.cls] = True
    P, kept, ties = _predicted_sets(pred, nf, C, F, mode=mode, threshold=threshold)
    TP, FP, FN = R & P, P & ~R, R & ~P
    fn_n, fp_n = FN.sum(axis=1), FP.sum(axis=1)
    rk, pk = ref.file * F + ref.frame, kept.file * F + kept.frame
    ri, pj, d = match_groups(rk, pk, lambda i, j: azimuth_wrapped(ref.azimuth[i], kept.azimuth[j]))
    fu, finv = np.unique(rk[ri], return_inverse=True)  # frames with at least one matched pair
    frame_err = np.bincount(finv, weights=d, minlength=len(fu)) / np.bincount(finv, minlength=len(fu))
    seq_sum = np.bincount(fu // F, weights=frame_err, minlength=nf)
    seq_k = np.bincount(fu // F, minlength=nf)
    u, inv = np.unique(np.r_[rk, pk], return_inverse=True)  # frames where either side has a direction
    unequal = np.bincount(inv[: len(rk)], minlength=len(u)) != np.bincount(inv[len(rk):], minlength=len(u))
    fr_fn = np.bincount(u[unequal] // F, minlength=nf).astype(float)
    return {"TP": TP.astype(float), "FP": FP.astype(float), "FN": FN.astype(float),
            "Nref": R.astype(float), "Nsys": P.astype(float),
            "S": np.minimum(fn_n, fp_n).astype(float), "D": np.maximum(0, fn_n - fp_n).astype(float),
            "I": np.maximum(0, fp_n - fn_n).astype(float),
            "doa_sum": safe_div(seq_sum, seq_k), "doa_n": (seq_k > 0).astype(float),
            "fr_tp": n_frames - fr_fn, "fr_fn": fr_fn, "ties": ties}


def _derive(s: Mapping[str, np.ndarray], *, angle_unit: str):
    tp, fp, fn = s["TP"], s["FP"], s["FN"]
    T, FPt, FNt = float(tp.sum()), float(fp.sum()), float(fn.sum())
    flags: list[str] = []
    f = 2 * T / (2 * T + FPt + FNt) if T + FPt + FNt else 0.0
    if not T + FPt + FNt:
        flags.append("no reference and no predicted class in any sequence: F set to 0")
    n_ref, err = float(s["Nref"].sum()), float(s["S"] + s["D"] + s["I"])
    er = err / n_ref if n_ref else 0.0
    if not n_ref and err:
        flags.append("no reference events: error rate set to 0 although predictions exist")
    doa = float(s["doa_sum"] / s["doa_n"]) if s["doa_n"] else 180.0
    if not s["doa_n"]:
        flags.append("no frame with both a reference and a kept predicted direction: DOA error set to 180 degrees")
    frames = float(s["fr_tp"] + s["fr_fn"])
    fr = float(s["fr_tp"]) / frames if frames else 0.0
    if not frames:
        flags.append("no frames scored: frame recall set to 0")
    seld = ((er + 1 - f) / 2 + (doa / 180 + 1 - fr) / 2) / 2
    unsupported = np.flatnonzero((s["Nref"] == 0) & (s["Nsys"] == 0))
    if len(unsupported):
        flags.append(f"{len(unsupported)} class(es) with no reference and no prediction score F=0: "
                     f"indices {unsupported.tolist()}")
    if s["ties"]:
        flags.append(f"{int(s['ties'])} sequence(s) had a tied unilabel vote: the lowest class index was taken")
    overall = {"f1": f, "error_rate": er, "localization_error": doa if angle_unit == "deg" else math.radians(doa),
               "frame_recall": fr, "seld_score": seld,
               "precision": T / (T + FPt) if T + FPt else 0.0, "recall": T / (T + FNt) if T + FNt else 0.0}
    per_class = {"f1": safe_div(2 * tp, 2 * tp + fp + fn), "precision": safe_div(tp, tp + fp),
                 "recall": safe_div(tp, tp + fn)}
    return overall, per_class, flags


def compute(
    reference: SeldFrames,
    predicted: SeldFrames,
    *,
    n_classes: int | None = None,
    mode: str = "multilabel",
    threshold: float = 0.5,
    angle_unit: str = "deg",
    jackknife: bool = True,
) -> MetricResult:
    """UMONS sequence-level F (6.1), ER (6.2-6.5), DOA error (6.6-6.7), frame recall (6.8), SELD (6.9-6.11).

    ``F = 2 sum TP / (2 sum TP + sum FP + sum FN)`` over per-sequence class sets;
    ``DOA = (1/N') sum_n (1/K_n) sum_k e_nk`` with wrapped azimuth errors; see the module docstring.

    Args:
        reference, predicted: frame tables, azimuths in degrees; each file is one sequence.
        n_classes: number of classes (default: the reference's class names, else the largest
            class index + 1).
        mode: ``"multilabel"`` (classes with a row scoring above ``threshold``) or
            ``"unilabel"`` (one class per sequence by majority vote over frames).
        threshold: score a predicted row must exceed to be active (multilabel; rows without a
            score are always active).
        angle_unit: unit of the reported ``localization_error``: ``"deg"`` or ``"rad"`` (the SELD
            score is the same either way).
        jackknife: add leave-one-sequence-out 95% intervals in ``extra["confidence_intervals"]``.

    Returns:
        :class:`MetricResult` with overall ``f1, error_rate, localization_error, frame_recall,
        seld_score, precision, recall`` and class-wise ``f1, precision, recall``.

    Raises:
        InputError: unknown ``mode`` / ``angle_unit``, non-finite ``threshold``, a class index
            outside ``n_classes``, a prediction file without reference.
    """
    if mode not in MODES:
        raise InputError(f"seld-umons: mode must be one of {MODES}, got {mode!r}")
    if angle_unit not in ("deg", "rad"):
        raise InputError(f"seld-umons: angle_unit must be 'deg' or 'rad', got {angle_unit!r}")
    try:
        thr = float(threshold)
    except (TypeError, ValueError):
        thr = math.nan
    if not math.isfinite(thr):
        raise InputError(f"seld-umons: threshold must be a finite number, got {threshold!r}")
    top = int(max(reference.cls.max(initial=-1), predicted.cls.max(initial=-1))) + 1
    if n_classes is None:
        n_classes = len(reference.classes) or max(top, 1)
    if top > n_classes:
        raise InputError(f"seld-umons: class index {top - 1} is outside the {n_classes} classes; pass n_classes")
    ref, pred, kept, missing, n = align(reference, predicted, compat="none", block=1, official_frames="max_ref")
    stats = sequence_counts(ref, pred, n, n_classes=n_classes, mode=mode, threshold=thr)
    params = {"n_classes": n_classes, "mode": mode, "threshold": thr, "angle_unit": angle_unit,
              "jackknife": jackknife, "unit": "sequence", "average": "micro", "angle_formula": "azimuth-wrapped",
              "association": "per-frame class-agnostic Hungarian"}
    return finish(metric_id="seld-umons", version=VERSION, params=params, stats=stats,
                  derive=lambda s: _derive(s, angle_unit=angle_unit), classes=class_names(reference, n_classes),
                  kept=kept, missing=missing, compat="none", with_jackknife=jackknife)


METRICS = [
    MetricConfig("seld-umons", VERSION, "seld", "seld", compute,
                 description="SECL/AVECL-UMONS: sequence-level F/ER, wrapped azimuth DOA error, frame recall, SELD",
                 primary="f1"),
]
