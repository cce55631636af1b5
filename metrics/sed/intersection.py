"""Intersection-based precision, recall and F1 at one operating point (psds_eval's macro F).

With the criteria of :mod:`avbench.metrics.sed._psd.core` (DTC, GTC, CTTC, both sides rounded to
``time_decimals``), per class ``c``:

- ``TP_c``: reference events meeting GTC; ``FP_c``: detections failing DTC (cross-triggers are
  false positives too); ``FN_c = N_c - TP_c``;
- ``P = TP / (TP + FP)``, ``R = TP / N``, ``F_beta = (1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP)``;
- macro = mean over all K classes; micro = the same formulas on the summed counts.

The detections are ``predictions.single_op_events(threshold=...)``: the events when given, else the
operating point at ``threshold``, else the score tables binarised with ``score > threshold``.

Edge policies (pinned in ``tests/test_sed_intersection.py``): ``0/0`` is 0 — a class with no
reference and no detection gets F = 0 and a flag (never NaN, never dropped); a class with TP = 0
gets F = 0 (psds_eval 0.5.3 returns NaN there and drops it with ``nanmean``, which inflates its macro
F: DESED_task#80); clips in ``durations`` without detections have none.

Example:
    >>> from avbench.model import Event
    >>> from avbench.metrics.sed.io import SedPredictions
    >>> ref = {"a": [Event(1.0, 3.0, "dog"), Event(5.0, 6.0, "cat")]}
    >>> pred = SedPredictions(events={"a": [Event(1.2, 3.0, "dog"), Event(7.0, 8.0, "dog")]})
    >>> r = intersection_f1(ref, pred, durations={"a": 10.0}, labels=["dog", "cat"])
    >>> r.class_wise["dog"]["f1"], r.class_wise["cat"]["f1"], r.overall["f1_macro"]
    (0.6666666666666666, 0.0, 0.3333333333333333)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._psd.core import RefIndex, check_criteria
from avbench.metrics.sed._psd.operating_points import op_counts
from avbench.metrics.sed._registered import registered
from avbench.model import Event
from avbench.results import MetricConfig, MetricResult

__all__ = ["intersection_f1", "f_beta", "overall", "METRICS"]

VERSION = "1.1"  # 1.1: score > t, padding past the clip end ignored (issue #10)


F_FORMULAS = ("counts", "sed_scores_eval")
"""``f_formula`` values: F from the counts, or from P and R in sed_scores_eval 0.0.4's float order."""


def f_beta(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, beta: float = 1.0, formula: str = "counts") -> np.ndarray:
    """``(1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP)``, 0 where the denominator is 0.

    ``formula="sed_scores_eval"``: ``(1 + b^2) P R / max(b^2 P + R, 1e-15)`` with ``P = TP / max(TP + FP, 1)``,
    ``R = TP / max(TP + FN, 1)``, in sed_scores_eval 0.0.4's order of float operations (equal in exact
    arithmetic; the same float as sed_scores_eval).

    Example:
        >>> f_beta(np.array([2, 0]), np.array([1, 0]), np.array([1, 0])).tolist()
        [0.6666666666666666, 0.0]
        >>> f_beta(np.array([2, 0]), np.array([1, 0]), np.array([1, 0]), formula="sed_scores_eval").tolist()
        [0.6666666666666666, 0.0]
    """
    if formula == "sed_scores_eval":
        t, f_p, f_n = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn))
        p = t / np.maximum(t + f_p, 1)
        r = t / np.maximum(t + f_n, 1)
        return (1 + beta**2) * p * r / np.maximum(beta**2 * p + r, 1e-15)
    if formula != "counts":
        raise InputError(f"intersection F: f_formula must be one of {', '.join(F_FORMULAS)}, got {formula!r}")
    k = 1.0 + beta**2
    num = k * np.asarray(tp, dtype=np.float64)
    den = num + beta**2 * np.asarray(fn, dtype=np.float64) + np.asarray(fp, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return np.divide(a, b, out=np.zeros_like(a), where=np.asarray(b) > 0)


def overall(tp: np.ndarray, fp: np.ndarray, n_ref: np.ndarray, beta: float = 1.0, formula: str = "counts"
            ) -> dict[str, np.ndarray]:
    """Overall values from per-class counts ``[..., K]`` (any leading axes, e.g. bootstrap replicates).

    Example:
        >>> {k: float(v) for k, v in overall(np.array([1, 0]), np.array([1, 0]), np.array([1, 1])).items()}
        {'f1_macro': 0.3333333333333333, 'precision_macro': 0.25, 'recall_macro': 0.5, 'f1_micro': 0.5}
    """
    fn = n_ref - tp
    return {"f1_macro": f_beta(tp, fp, fn, beta, formula).mean(axis=-1),
            "precision_macro": _ratio(tp, tp + fp).mean(axis=-1),
            "recall_macro": _ratio(tp, np.broadcast_to(n_ref, np.shape(tp))).mean(axis=-1),
            "f1_micro": f_beta(tp.sum(axis=-1), fp.sum(axis=-1), fn.sum(axis=-1), beta, formula)}


def intersection_f1(
    reference: Mapping[str, Sequence[Event]],
    predictions,
    *,
    durations: Mapping[str, float],
    labels: Sequence[str],
    dtc: float = 0.5,
    gtc: float = 0.5,
    cttc: float = 0.3,
    beta: float = 1.0,
    threshold: float = 0.5,
    time_decimals: int | None = 6,
    f_formula: str = "counts",
    metric_id: str = "intersection_f1",
) -> MetricResult:
    """Intersection-based P/R/F at one operating point.

    Args:
        reference: ``{clip: [Event]}``; predictions: a ``SedPredictions``; durations: ``{clip: s}``.
        labels: the K classes.
        dtc, gtc, cttc: criteria in (0, 1]; cross-triggers (``cttc``) are reported per class pair in
            ``extra["cross_triggers"]`` and do not change F (they are false positives either way).
        beta: F weight of recall; threshold: which operating point (see the module docstring).
        time_decimals: rounding of both sides of each criterion comparison; ``None`` compares
            unrounded sums of ratios as psds_eval does.
        f_formula: ``"counts"`` or ``"sed_scores_eval"`` (:func:`f_beta`; the sed_scores_eval profile sets it).

    Returns:
        MetricResult: ``overall`` ``f1_macro`` (primary), ``precision_macro``, ``recall_macro``,
        ``f1_micro``; ``class_wise`` ``f1``/``precision``/``recall``/``tp``/``fp``/``fn``.

    Raises:
        InputError: bad criteria, clips or labels outside the task, overlapping same-class events.
    """
    check_criteria(dtc, gtc, cttc)
    if not float(beta) > 0:
        raise InputError(f"intersection F: beta must be > 0, got {beta!r}")
    ref = RefIndex.build(reference, durations, labels)
    predictions, n_long = predictions.within(durations)
    det = predictions.single_op_events(threshold=threshold)
    c = op_counts(ref, det, dtc=dtc, gtc=gtc, cttc=cttc, time_decimals=time_decimals)
    fn = ref.n_ref - c.tp
    f = f_beta(c.tp, c.fp, fn, beta, f_formula)
    p = _ratio(c.tp, c.tp + c.fp)
    r = _ratio(c.tp, ref.n_ref)
    flags = [f"score tables of {n_long} clip(s) run past the clip's duration: their frames that start at or after "
             "the end were ignored (padding)"] if n_long else []
    if c.n_pad:
        flags.append(f"{c.n_pad} detection(s) start at or after their clip's end (padding): ignored")
    flags += [f"class {n!r} has no reference events and no detections: F set to 0"
             for n, nr, nd in zip(ref.labels, ref.n_ref, c.n_det) if nr == 0 and nd == 0]
    flags += [f"class {n!r} has no reference events: recall undefined, F = 0"
              for n, nr, nd in zip(ref.labels, ref.n_ref, c.n_det) if nr == 0 and nd > 0]
    return MetricResult(
        id=metric_id,
        version=VERSION,
        params={"dtc": dtc, "gtc": gtc, "cttc": cttc, "beta": beta, "threshold": threshold,
                "time_decimals": time_decimals, **({"f_formula": f_formula} if f_formula != "counts" else {})},
        overall={name: float(v) for name, v in overall(c.tp, c.fp, ref.n_ref, beta, f_formula).items()},
        class_wise={n: {"f1": float(f[i]), "precision": float(p[i]), "recall": float(r[i]),
                        "tp": int(c.tp[i]), "fp": int(c.fp[i]), "fn": int(fn[i])}
                    for i, n in enumerate(ref.labels)},
        flags=tuple(flags),
        extra={"cross_triggers": {ref.labels[i]: {ref.labels[j]: int(c.ct[i, j]) for j in np.flatnonzero(c.ct[i])}
                                  for i in range(ref.k) if c.ct[i].any()},
               "n_detections": int(c.n_det.sum())},
    )


_compute = registered(intersection_f1, "intersection_f1", """Registered ``intersection_f1``: :func:`intersection_f1`
with dtc = gtc = 0.5, cttc = 0.3 (other parameters as :func:`intersection_f1`).

Per class: ``TP`` = reference events meeting GTC, ``FP`` = detections failing DTC, ``FN = N - TP``,
``F_beta = (1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP)`` (0 for 0/0); ``f1_macro`` = mean over all
classes, ``f1_micro`` = the same formula on summed counts.
""")


METRICS = [
    MetricConfig(
        id="intersection_f1", version=VERSION, family="sed", input="sed", function=_compute,
        params={"dtc": 0.5, "gtc": 0.5, "cttc": 0.3},
        description="intersection-based macro F1 (psds_eval compute_macro_f_score; DCASE Task 4)",
        primary="f1_macro",
    ),
]
