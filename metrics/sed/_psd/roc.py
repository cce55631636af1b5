"""PSD-ROC and PSDS from per-class (TPR, eFPR) points (Bilen et al., ICASSP 2020).

Per class ``c`` and operating point (or threshold):

- ``TPR_c = TP_c / N_c`` (0 when the class has no reference events);
- ``eFPR_c = (FP_c / D + alpha_ct * mean_{k != c} CT_ck / T_k) * U`` with ``D`` the total duration,
  ``T_k`` the reference duration of class ``k`` and ``U`` seconds per unit (3600: per hour).

The class ROC is the upper envelope ``TPR_c(x) = max{TPR_c,i : eFPR_c,i <= x}`` (a (0, 0) point for
"no detection" is always part of it). On the union of all classes' eFPR values,
``eTPR(x) = max(mean_c TPR_c(x) - alpha_st * std_c TPR_c(x), 0)`` (population std), and
``PSDS = (1 / max_efpr) * integral_0^max_efpr eTPR(x) dx`` as a staircase (a point's value holds until
the next point; the last value holds up to ``max_efpr``). This is the curve of both psds_eval 0.5.3
(``step_curve`` + ``_auc``) and sed_scores_eval 0.0.4 (``_unique_cummax_sort`` + ``staircase_auc``).
:func:`psds_from_counts` / :func:`psds_from_rates` turn counts / rates into the PSDS;
:func:`op_efpr` computes operating-point eFPR with psds_eval's floating-point arithmetic.

Example:
    >>> roc = class_roc(np.array([0.0, 0.5, 1.0]), np.array([0.0, 10.0, 50.0]), max_efpr=100.0)
    >>> roc
    (array([ 0., 10., 50.]), array([0. , 0.5, 1. ]))
    >>> x, y = psd_roc([roc], alpha_st=0.0, max_efpr=100.0)
    >>> float(staircase_area(x, y, 100.0) / 100.0)
    0.7
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["class_roc", "psd_roc", "staircase_area", "op_efpr", "psds_from_counts", "psds_from_rates",
           "psds_eval_area", "FLOAT_ORDERS", "kahan_sum",
           "SECONDS_PER_UNIT"]

SECONDS_PER_UNIT = {
    "second": 1.0,
    "minute": 60.0,
    "hour": 3600.0,
    "day": 24 * 3600.0,
    "month": 30 * 24 * 3600.0,
    "year": 365 * 24 * 3600.0,
}


def class_roc(tpr: np.ndarray, efpr: np.ndarray, *, max_efpr: float) -> tuple[np.ndarray, np.ndarray]:
    """Upper envelope of a class's points, as ``(efpr, tpr)`` strictly increasing in both, cut at ``max_efpr``."""
    order = np.lexsort([tpr, efpr])
    x, y = efpr[order], tpr[order]
    run = np.maximum.accumulate(y)
    keep = np.r_[True, run[1:] > run[:-1]]
    x, y = x[keep], run[keep]
    last = np.r_[x[1:] != x[:-1], True]
    x, y = x[last], y[last]
    cut = x <= max_efpr
    return x[cut], y[cut]


def psd_roc(
    rocs: Sequence[tuple[np.ndarray, np.ndarray]], *, alpha_st: float, max_efpr: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(efpr, etpr)`` of the PSD-ROC over the classes' envelopes, ending with a point at ``max_efpr``."""
    xs = np.unique(np.concatenate([r[0] for r in rocs] + [np.zeros(1)]))
    ys = np.empty((len(rocs), xs.size))
    for i, (x, y) in enumerate(rocs):
        idx = np.searchsorted(x, xs, side="right") - 1
        ys[i] = np.where(idx >= 0, y[np.maximum(idx, 0)], 0.0)
    etpr = np.maximum(ys.mean(axis=0) - alpha_st * ys.std(axis=0), 0.0)
    return np.r_[xs, max_efpr], np.r_[etpr, etpr[-1]]


def staircase_area(x: np.ndarray, y: np.ndarray, max_x: float, *, sequential: bool = False) -> float:
    """``sum_i y_i (x_{i+1} - x_i)`` over points with ``x <= max_x``, the last one extended to ``max_x``.

    ``sequential``: add the terms one after the other in ``x`` order (sed_scores_eval's
    ``staircase_auc`` adds them with Python's ``sum``) instead of numpy's pairwise ``sum``.
    """
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    cut = int(np.searchsorted(x, max_x, side="right"))
    xx = np.r_[x[:cut], max_x]
    terms = y[:cut] * np.diff(xx)
    if sequential:
        return float(np.cumsum(terms)[-1]) if terms.size else 0.0
    return float(np.sum(terms))


def op_efpr(fp: np.ndarray, ct: np.ndarray, *, duration: float, t_ref: np.ndarray, alpha_ct: float,
            duration_unit: str, cross_trigger_mean: str) -> np.ndarray:
    """``[P, K]`` eFPR of operating-point counts with psds_eval 0.5.3's arithmetic, term for term.

    ``eFPR = FP * U / D + alpha_ct * mean_{k != c}(CT_ck * U / T_k)``, the mean taken over axis 1 of
    a ``[K, K, P]`` array with a NaN diagonal (``"other_classes"``, psds_eval >= 0.5) or a zero
    one (``"all_classes"``, psds_eval 0.4), as psds_eval does, so the floats are the same. ``fp``
    is ``[P, K]``, ``ct`` ``[P, K, K]`` (detection class, reference class); with K = 1 the mean
    over no other class is 0.

    Example:
        >>> op_efpr(np.array([[1, 0]]), np.array([[[0, 2], [0, 0]]]), duration=3600.0, t_ref=np.array([10.0, 7200.0]),
        ...         alpha_ct=0.5, duration_unit="hour", cross_trigger_mean="other_classes").tolist()
        [[1.5, 0.0]]
    """
    unit = SECONDS_PER_UNIT[duration_unit]
    fpr = fp * unit / duration
    k = fp.shape[1]
    if not alpha_ct or k < 2:
        return fpr
    ctr = np.moveaxis(ct, 0, 2) * unit / np.maximum(t_ref, 1e-12)[None, :, None]
    diag = np.arange(k)
    if cross_trigger_mean == "other_classes":
        ctr[diag, diag, :] = np.nan
        mean = np.nanmean(ctr, axis=1)
    else:
        ctr[diag, diag, :] = 0.0
        mean = np.mean(ctr, axis=1)
    return fpr + alpha_ct * mean.T


def psds_from_counts(
    ref,
    tp: np.ndarray,
    fp: np.ndarray,
    ctw: np.ndarray,
    *,
    alpha_ct: float,
    alpha_st: float,
    max_efpr: float,
    duration_unit: str,
    cross_trigger_mean: str,
    area: str = "avbench",
) -> dict:
    """PSDS from per-class point counts ``tp``/``fp``/``ctw`` (lists of ``[P_c]`` arrays).

    ``ctw[c]`` holds ``sum_k CT_ck / T_k`` (seconds^-1). Returns ``{"psds", "class_psds",
    "psd_roc": (efpr, etpr), "class_rocs": [(efpr, tpr)], "reached": max eFPR reached}``.
    """
    k = ref.k
    unit = SECONDS_PER_UNIT[duration_unit]
    div = (k - 1 if cross_trigger_mean == "other_classes" else k) if k > 1 else 1
    efpr = [(fp[c] / ref.duration + (alpha_ct * (ctw[c] / div) if alpha_ct else 0.0)) * unit for c in range(k)]
    return psds_from_rates(ref.n_ref, tp, efpr, alpha_st=alpha_st, max_efpr=max_efpr,
                           area="sequential" if area == "avbench" else area)


FLOAT_ORDERS = ("avbench", "psds_eval")
"""``float_order`` of :func:`avbench.metrics.sed.psd.psds`: avbench's sums (the area over the classes' envelopes),
or psds_eval 0.5.3's (its grid for the area, its summation of the reference durations)."""


def kahan_sum(values: np.ndarray) -> float:
    """Compensated (Kahan) sum in the given order, as pandas' groupby ``sum`` adds floats (psds_eval's class durations).

    Example:
        >>> kahan_sum(np.array([0.1] * 10)) == 1.0, sum([0.1] * 10) == 1.0
        (True, False)
    """
    total = comp = 0.0
    for v in np.asarray(values, dtype=np.float64).tolist():
        y = v - comp
        t = total + y
        comp = (t - total) - y
        total = t
    return total


def psds_eval_area(n_ref: np.ndarray, tp, efpr, *, alpha_st: float, max_efpr: float
                   ) -> tuple[float, np.ndarray, np.ndarray]:
    """PSDS summed the way psds_eval 0.5.3 sums it, so the float result is the same to the last bit.

    The value equals the envelope area in exact arithmetic; only the order and number of float terms
    differ. psds_eval evaluates every class's staircase (the running maximum of TPR over points with
    eFPR <= x, a zero point added per class) on the union ``X`` of all classes' eFPR values, takes
    ``nanmean - alpha_st * nanstd`` over the classes (NaN -> 0, negatives -> 0), adds ``max_efpr`` to ``X``
    (holding the previous value) when absent, and returns ``sum(diff(X) * eTPR[:-1]) / max_efpr`` over
    ``X <= max_efpr``.

    Returns:
        ``(psds, x, etpr)`` with the grid and eTPR as psds_eval builds them.

    Example:
        >>> psds_eval_area(np.array([2]), [np.array([1.0, 2.0])], [np.array([10.0, 50.0])], alpha_st=0.0,
        ...                max_efpr=100.0)[0]
        0.7
    """
    tprs = [np.r_[np.asarray(tp[c], dtype=np.float64) / max(int(n_ref[c]), 1), 0.0] for c in range(len(n_ref))]
    xs_c = [np.r_[np.asarray(efpr[c], dtype=np.float64), 0.0] for c in range(len(n_ref))]
    grid = np.unique(np.sort(np.concatenate(xs_c)))
    ys = np.empty((len(tprs), grid.size))
    for c, (x, y) in enumerate(zip(xs_c, tprs)):
        order = np.argsort(x, kind="stable")
        run = np.maximum.accumulate(y[order])
        ys[c] = run[np.searchsorted(x[order], grid, side="right") - 1]
    etpr = np.nanmean(ys, axis=0) - alpha_st * np.nanstd(ys, axis=0)
    etpr = np.nan_to_num(etpr, nan=0.0)
    etpr = np.where(etpr < 0, 0.0, etpr)
    x, y = grid, etpr
    if max_efpr not in x:
        x = np.sort(np.concatenate([x, [max_efpr]]))
        i = int(np.flatnonzero(x == max_efpr)[0])
        y = np.concatenate([y[:i], [y[i - 1]], y[i:]])
    keep = x <= max_efpr
    area = np.sum(np.diff(x[keep]) * y[keep][:-1])
    return float(area / max_efpr), x, y


def psds_from_rates(n_ref: np.ndarray, tp, efpr, *, alpha_st: float, max_efpr: float, area: str = "avbench") -> dict:
    """PSDS from per-class TP counts and eFPR values (lists of ``[P_c]`` arrays; see :func:`psds_from_counts`).

    ``area="psds_eval"`` sums the overall value on psds_eval's grid (:func:`psds_eval_area`); class-wise values
    and the returned curves stay the envelopes'. ``area="sequential"`` (what :func:`psds_from_counts`, the
    score-table path, uses for ``"avbench"``) adds the staircase terms in order, as sed_scores_eval does.
    """
    rocs, reached = [], 0.0
    for c in range(len(n_ref)):
        tpr = tp[c] / max(int(n_ref[c]), 1)
        reached = max(reached, float(np.max(efpr[c])) if efpr[c].size else 0.0)
        rocs.append(class_roc(np.r_[0.0, tpr], np.r_[0.0, efpr[c]], max_efpr=max_efpr))
    x, y = psd_roc(rocs, alpha_st=alpha_st, max_efpr=max_efpr)
    seq = area == "sequential"
    cls_psds = [staircase_area(r[0], r[1], max_efpr, sequential=seq) / max_efpr for r in rocs]
    value = (psds_eval_area(n_ref, tp, efpr, alpha_st=alpha_st, max_efpr=max_efpr)[0] if area == "psds_eval"
             else staircase_area(x, y, max_efpr, sequential=seq) / max_efpr)
    return {"psds": value, "class_psds": cls_psds,
            "psd_roc": (x, y), "class_rocs": rocs, "reached": reached}
