"""Multi-label tagging metrics (AudioSet convention): mAP, ROC-AUC and d'.

Inputs (``input="multilabel"``): ``y_true`` binary ``[N, C]`` and ``y_score`` float ``[N, C]``.

- AP_c (average precision of class c) = sum_k (R_k - R_{k-1}) P_k over the distinct score
  thresholds in decreasing order (tied scores form one step), as scikit-learn
  ``average_precision_score``; mAP = the mean of AP_c over classes.
- AUC_c = P(s_pos > s_neg) + 0.5 P(s_pos = s_neg) (Mann-Whitney with ties), as scikit-learn
  ``roc_auc_score``; the reported ROC-AUC is the mean over classes.
- d' = sqrt(2) * Phi^-1(mean AUC) (the AudioSet paper's d-prime, computed from the class-averaged
  AUC; dimensionless).

- multi-label F1 at a threshold (the SECL/AVECL-UMONS F-score, thesis Eq. 6.1, on sequences):
  item ``i`` predicts class ``c`` when ``s_ic > threshold``; with ``TP_c, FP_c, FN_c`` counted over
  items, micro ``F1 = 2 sum TP / (2 sum TP + sum FP + sum FN)``, macro = the mean of
  ``F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c)`` over all classes.

Edge policy: a class with no positive item has no defined AP or AUC (and a class with no
negative item no defined AUC): it scores 0, stays in the mean and is named in ``flags``. A 0/0
F1 (a class never true and never predicted, or nothing at all for micro) is 0 and flagged.

Example:
    >>> r = mean_average_precision([[1, 0], [0, 1], [1, 1]], [[0.9, 0.4], [0.1, 0.8], [0.6, 0.3]],
    ...                            labels=["a", "b"])
    >>> round(r.overall["map"], 4)
    0.9167
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

from avbench.errors import InputError
from avbench.metrics._confusion import check_labels
from avbench.results import MetricConfig, MetricResult

__all__ = ["average_precision", "roc_auc", "mean_average_precision", "auc_dprime", "multilabel_f1", "METRICS"]


def _prepare(y_true: object, y_score: object, labels: Sequence[str] | None) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    t = np.asarray(y_true)
    s = np.asarray(y_score, dtype=float)
    if t.ndim != 2 or s.shape != t.shape:
        raise InputError(f"y_true and y_score must both be [N, C]; got {t.shape} and {s.shape}")
    if t.size and not np.isin(t, (0, 1)).all():
        raise InputError("y_true must be binary (0/1) for multi-label tagging")
    if not np.all(np.isfinite(s)):
        raise InputError("y_score contains NaN or infinite values")
    return check_labels(labels, t.shape[1]), t.astype(bool), s


def average_precision(y_true: np.ndarray, y_score: np.ndarray) -> float | None:
    """AP of one class (``None`` when the class has no positive item)."""
    y_true = np.asarray(y_true, dtype=bool)
    n_pos = int(y_true.sum())
    if n_pos == 0:
        return None
    order = np.argsort(-np.asarray(y_score, dtype=float), kind="mergesort")
    s, t = np.asarray(y_score, dtype=float)[order], y_true[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]
    tp = np.cumsum(t)[last_of_tie]
    fp = (last_of_tie + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def roc_auc(y_true: np.ndarray, y_score: np.ndarray) -> float | None:
    """ROC-AUC of one class (``None`` when it has no positive or no negative item)."""
    y_true = np.asarray(y_true, dtype=bool)
    n_pos = int(y_true.sum())
    n_neg = y_true.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(y_score)
    return float((ranks[y_true].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _per_class(fn, t: np.ndarray, s: np.ndarray, names: tuple[str, ...], what: str):
    values, flags = [], []
    for c, name in enumerate(names):
        v = fn(t[:, c], s[:, c])
        if v is None:
            flags.append(f"class {name!r}: {what} undefined (no positive or no negative item): scored 0")
            v = 0.0
        values.append(v)
    return np.asarray(values), flags


def mean_average_precision(y_true: object, y_score: object, *, labels: Sequence[str]) -> MetricResult:
    """mAP: the mean over classes of the average precision (see module docstring)."""
    names, t, s = _prepare(y_true, y_score, labels)
    ap, flags = _per_class(average_precision, t, s, names, "AP")
    return MetricResult(
        "map", "1.0", {}, {"map": float(ap.mean()), "n": int(t.shape[0])},
        {n: {"ap": float(v), "positives": int(p)} for n, v, p in zip(names, ap, t.sum(axis=0))}, tuple(flags),
    )


def auc_dprime(y_true: object, y_score: object, *, labels: Sequence[str]) -> MetricResult:
    """Mean ROC-AUC over classes and d' = sqrt(2) Phi^-1(mean AUC)."""
    names, t, s = _prepare(y_true, y_score, labels)
    auc, flags = _per_class(roc_auc, t, s, names, "AUC")
    mean_auc = float(auc.mean())
    d = float(np.sqrt(2.0) * ndtri(mean_auc)) if 0.0 < mean_auc < 1.0 else (float("inf") if mean_auc >= 1 else float("-inf"))
    if not np.isfinite(d):
        flags.append(f"mean AUC is {mean_auc}: d' is unbounded and reported as null")
    return MetricResult(
        "roc_auc", "1.0", {}, {"roc_auc": mean_auc, "d_prime": d if np.isfinite(d) else None, "n": int(t.shape[0])},
        {n: {"roc_auc": float(v)} for n, v in zip(names, auc)}, tuple(flags),
    )


def multilabel_f1(y_true: object, y_score: object, *, labels: Sequence[str], threshold: float = 0.5,
                  average: str = "micro") -> MetricResult:
    """Multi-label F1 of thresholded scores: ``s_ic > threshold`` predicts class ``c`` for item ``i``.

    ``average="micro"``: ``F1 = 2 sum_c TP_c / (2 sum_c TP_c + sum_c FP_c + sum_c FN_c)`` (the
    UMONS thesis' F-score, Eq. 6.1); ``"macro"``: the mean over all classes of
    ``F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c)``. Dimensionless, in [0, 1]; class-wise F1, precision,
    recall and support are always reported. A 0/0 ratio is 0 and flagged.

    Example:
        >>> r = multilabel_f1([[1, 0], [1, 1]], [[0.9, 0.2], [0.4, 0.7]], labels=["a", "b"])
        >>> round(r.overall["f1"], 4), r.class_wise["a"]["recall"]
        (0.8, 0.5)

    Raises:
        InputError: ``average`` is not micro/macro, ``threshold`` is not finite, or the shapes differ.
    """
    if average not in ("micro", "macro"):
        raise InputError(f"multi-label F1: average must be 'micro' or 'macro', got {average!r}")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not np.isfinite(threshold):
        raise InputError(f"multi-label F1: threshold must be a finite number, got {threshold!r}")
    names, t, s = _prepare(y_true, y_score, labels)
    p = s > threshold
    tp = (t & p).sum(axis=0).astype(float)
    fp = (~t & p).sum(axis=0).astype(float)
    fn = (t & ~p).sum(axis=0).astype(float)

    def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    f1_c = ratio(2 * tp, 2 * tp + fp + fn)
    flags = [f"class {n!r} is never true and never predicted: its F1 is 0" for n, d in zip(names, 2 * tp + fp + fn)
             if d == 0]
    den = 2 * tp.sum() + fp.sum() + fn.sum()
    if average == "micro":
        value = float(2 * tp.sum() / den) if den else 0.0
        if not den:
            flags.append("no class is true or predicted for any item: F1 set to 0")
    else:
        value = float(f1_c.mean())
    return MetricResult(
        f"f1_multilabel_{average}", "1.0", {"threshold": float(threshold), "average": average},
        {"f1": value, "n": int(t.shape[0])},
        {n: {"f1": float(f), "precision": float(pr), "recall": float(rc), "support": int(sp)}
         for n, f, pr, rc, sp in zip(names, f1_c, ratio(tp, tp + fp), ratio(tp, tp + fn), t.sum(axis=0))},
        tuple(flags),
    )


METRICS = [
    MetricConfig("map", "1.0", "tagging", "multilabel", mean_average_precision,
                 description="mean average precision over classes (AudioSet convention)", primary="map"),
    MetricConfig("roc_auc", "1.0", "tagging", "multilabel", auc_dprime,
                 description="mean ROC-AUC over classes and d-prime from it (AudioSet convention)", primary="roc_auc"),
    *(
        MetricConfig(f"f1_multilabel_{avg}", "1.0", "tagging", "multilabel", multilabel_f1,
                     {"threshold": 0.5, "average": avg},
                     description=f"{avg}-averaged F1 of scores above 0.5 (multi-label; UMONS F-score when micro)",
                     primary="f1")
        for avg in ("micro", "macro")
    ),
]
