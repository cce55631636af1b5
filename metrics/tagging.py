"""Multi-label tagging metrics (AudioSet convention): mAP, ROC-AUC and d'.

Inputs (``input="multilabel"``): ``y_true`` binary ``[N, C]`` and ``y_score`` float ``[N, C]``.

- AP_c (average precision of class c) = sum_k (R_k - R_{k-1}) P_k over the distinct score
  thresholds in decreasing order (tied scores form one step), as scikit-learn
  ``average_precision_score``; mAP = the mean of AP_c over classes.
- AUC_c = P(s_pos > s_neg) + 0.5 P(s_pos = s_neg) (Mann-Whitney with ties), as scikit-learn
  ``roc_auc_score``; the reported ROC-AUC is the mean over classes.
- d' = sqrt(2) * Phi^-1(mean AUC) (the AudioSet paper's d-prime, computed from the class-averaged
  AUC; dimensionless).

Edge policy: a class with no positive item has no defined AP or AUC (and a class with no
negative item no defined AUC): it scores 0, stays in the mean and is named in ``flags``.

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

__all__ = ["average_precision", "roc_auc", "mean_average_precision", "auc_dprime", "METRICS"]


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


METRICS = [
    MetricConfig("map", "1.0", "tagging", "multilabel", mean_average_precision,
                 description="mean average precision over classes (AudioSet convention)", primary="map"),
    MetricConfig("roc_auc", "1.0", "tagging", "multilabel", auc_dprime,
                 description="mean ROC-AUC over classes and d-prime from it (AudioSet convention)", primary="roc_auc"),
]
