"""Best-threshold F1 from score tables (collar- and segment-based curves) and bootstrap intervals.

``event_f1_best`` / ``segment_f1_best`` follow sed_scores_eval 0.0.4 ``collar_based.best_fscore``
and ``segment_based.best_fscore``: the counts at every threshold come from
:mod:`avbench.metrics.sed._curve_counts`; per class ``P = TP / max(TP + FP, 1)`` (1 when nothing is
detected), ``R = TP / N_ref``, ``F = (1 + b^2) P R / max(b^2 P + R, 1e-15)``; the best F per class is
taken at the highest threshold reaching it, and the threshold reported is the midpoint between that
score and the next lower score where the counts change (``-inf`` when it is the lowest). Macro =
mean over classes of the per-class best values (each class at its own threshold).

Edge policies: a class with no reference events (recall undefined; sed_scores_eval raises) gets
F = 0 and a flag; clips in ``durations`` without a score table detect nothing (and, segment-based,
score 0 on their segments).

:func:`bootstrap_ci` gives a percentile confidence interval for any SED metric by resampling clips
with replacement (a clip drawn twice counts twice), deterministic for a given ``seed``
(:mod:`avbench.metrics.sed.bootstrap`; ``avbench evaluate ... -o bootstrap=200``).

Example:
    >>> from avbench.model import Event
    >>> from avbench.metrics.sed.io import ScoreTable, SedPredictions
    >>> ref = {"a": [Event(0.2, 0.6, "x")]}
    >>> tab = ScoreTable(np.linspace(0, 1, 6), np.array([[.1], [.9], [.8], [.2], [.7]]), ("x",))
    >>> r = segment_f1_best(ref, SedPredictions(scores={"a": tab}), durations={"a": 1.0}, labels=["x"],
    ...                     segment_length=0.5)
    >>> r.overall["f1_macro"], r.class_wise["x"]["threshold"]
    (1.0, -inf)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._psd.core import RefIndex
from avbench.metrics.sed._curve_counts import ClassCounts, collar_counts, curve_points, segment_counts
from avbench.metrics.sed._registered import registered
from avbench.model import Event
from avbench.results import MetricConfig, MetricResult

__all__ = ["event_f1_best", "segment_f1_best", "best_f", "bootstrap_ci", "METRICS"]

VERSION = "1.1"  # 1.1: score > t, padding past the clip end ignored (issue #10)


def best_f(c: ClassCounts, beta: float = 1.0) -> dict:
    """Best F of one class's counts, sed_scores_eval's tie rule (highest threshold) and midpoint threshold."""
    if c.n_ref == 0:
        return {"f1": 0.0, "precision": 0.0, "recall": 0.0, "threshold": float("nan"), "curve": None}
    n_det = c.tp + c.fp
    p = np.where(n_det > 0, c.tp / np.maximum(n_det, 1), 1.0)
    r = c.tp / c.n_ref
    f = (1 + beta**2) * p * r / np.maximum(beta**2 * p + r, 1e-15)
    i = int(np.argmax(f))  # scores are descending: the first maximum is at the highest threshold
    th = (c.scores[i] + c.scores[i + 1]) / 2 if i + 1 < c.scores.size else -np.inf
    return {"f1": float(f[i]), "precision": float(p[i]), "recall": float(r[i]), "threshold": float(th),
            "curve": (c.scores, f)}


def _result(metric_id, params, ref: RefIndex, counts: list[ClassCounts], beta: float) -> MetricResult:
    best = [best_f(c, beta) for c in counts]
    flags = [f"class {n!r} has no reference events: recall undefined, F set to 0"
             for n, c in zip(ref.labels, counts) if c.n_ref == 0]
    curves = {}
    for n, b in zip(ref.labels, best):
        if b["curve"] is not None:
            s, f = b["curve"]
            keep = curve_points(s.size)
            curves[n] = {"threshold": s[keep].tolist(), "f1": f[keep].tolist()}
    return MetricResult(
        id=metric_id, version=VERSION, params=params,
        overall={"f1_macro": float(np.mean([b["f1"] for b in best])),
                 "precision_macro": float(np.mean([b["precision"] for b in best])),
                 "recall_macro": float(np.mean([b["recall"] for b in best]))},
        class_wise={n: {k: b[k] for k in ("f1", "precision", "recall", "threshold")} | {"n_ref": c.n_ref}
                    for n, b, c in zip(ref.labels, best, counts)},
        flags=tuple(flags),
        extra={"f1_curves": curves},
    )


def _scores(predictions, what: str, durations: Mapping[str, float] | None = None):
    """The score tables, cut to the clips' durations (:data:`~avbench.metrics.sed._tables.PAST_END_POLICY`)."""
    if predictions.scores is None:
        raise InputError(f"{what} needs frame-wise score tables (give --scores); it sweeps every threshold")
    return predictions.within(durations)[0].scores


def event_f1_best(
    reference: Mapping[str, Sequence[Event]], predictions, *, durations: Mapping[str, float],
    labels: Sequence[str], onset_collar: float = 0.2, offset_collar: float = 0.2,
    offset_collar_rate: float = 0.2, beta: float = 1.0, time_decimals: int = 6,
    metric_id: str = "event_f1_best",
) -> MetricResult:
    """Collar-based (event-based) F1 at each class's best threshold, from score tables.

    Args:
        onset_collar, offset_collar: seconds; offset_collar_rate: fraction of the reference length
            (the offset tolerance is the larger of the two); beta: F weight of recall.

    Raises:
        InputError: no score tables, clips or classes outside the task, negative collars.
    """
    if min(onset_collar, offset_collar, offset_collar_rate) < 0:
        raise InputError("collar-based F: collars and offset_collar_rate must be >= 0")
    ref = RefIndex.build(reference, durations, labels)
    counts = collar_counts(ref, _scores(predictions, metric_id, durations), onset_collar=onset_collar,
                           offset_collar=offset_collar, offset_collar_rate=offset_collar_rate,
                           time_decimals=time_decimals)
    params = {"onset_collar": onset_collar, "offset_collar": offset_collar,
              "offset_collar_rate": offset_collar_rate, "beta": beta, "time_decimals": time_decimals}
    return _result(metric_id, params, ref, counts, beta)


def segment_f1_best(
    reference: Mapping[str, Sequence[Event]], predictions, *, durations: Mapping[str, float],
    labels: Sequence[str], segment_length: float = 1.0, beta: float = 1.0, time_decimals: int = 6,
    metric_id: str = "segment_f1_best",
) -> MetricResult:
    """Segment-based F1 at each class's best threshold, from score tables (``segment_length`` s)."""
    ref = RefIndex.build(reference, durations, labels)
    counts = segment_counts(ref, _scores(predictions, metric_id, durations), segment_length=segment_length,
                            time_decimals=time_decimals)
    return _result(metric_id, {"segment_length": segment_length, "beta": beta, "time_decimals": time_decimals},
                   ref, counts, beta)


def bootstrap_ci(
    metric: MetricConfig, reference: Mapping[str, Sequence[Event]], predictions, *,
    durations: Mapping[str, float], labels: Sequence[str], n_bootstrap: int = 100,
    confidence: float = 0.95, seed: int = 0, key: str | None = None, **params,
) -> dict:
    """Percentile bootstrap interval of ``overall[key]`` of ``metric`` (default key: its primary one).

    Clips (the keys of ``durations``) are resampled with replacement as in
    :func:`avbench.metrics.sed.bootstrap.confidence_intervals` (per-clip statistics where the metric
    is additive, recomputation otherwise). Returns that function's entry for ``key`` plus
    ``"value"`` (the point estimate) and ``"key"``.

    Example:
        >>> from avbench.metrics.sed.intersection import METRICS as M
        >>> from avbench.metrics.sed.io import SedPredictions
        >>> ref = {"a": [Event(0, 1, "x")], "b": [Event(0, 1, "x")], "c": []}
        >>> pred = SedPredictions(events={"a": [Event(0, 1, "x")], "b": [], "c": []})
        >>> ci = bootstrap_ci(M[0], ref, pred, durations=dict.fromkeys("abc", 2.0), labels=["x"], n_bootstrap=50)
        >>> ci["value"], ci["low"] <= ci["value"] <= ci["high"]
        (0.6666666666666666, True)
    """
    from avbench.metrics.sed.bootstrap import confidence_intervals

    key = key or metric.primary
    value = metric(reference, predictions, durations=durations, labels=labels, **params).overall[key]
    ci = confidence_intervals(metric, reference, predictions, durations=durations, labels=labels, params=params,
                              n_bootstrap=n_bootstrap, seed=seed, confidence=confidence, clips=list(durations))
    if key not in ci:
        raise InputError(f"bootstrap: {metric.id} has no finite value {key!r} on every replicate")
    return {"value": value, **ci[key], "key": key}


_CURVE_DOC = """Registered ``{mid}``: :func:`{fn}` with {fixed} (other parameters as :func:`{fn}`).

{what} At every threshold ``t`` per class: ``P = TP / max(TP + FP, 1)`` (1 when nothing is
detected), ``R = TP / N_ref``, ``F = (1 + b^2) P R / max(b^2 P + R, 1e-15)``; each class's F is
taken at its best threshold (the highest one on ties) and ``f1_macro`` is their mean.
"""


def _cfg(metric_id, fn, params, desc, what):
    fixed = ", ".join(f"{k} = {v}" for k, v in params.items())
    doc = _CURVE_DOC.format(mid=metric_id, fn=fn.__name__, fixed=fixed, what=what)
    return MetricConfig(id=metric_id, version=VERSION, family="sed", input="sed",
                        function=registered(fn, metric_id, doc), params=params, description=desc, primary="f1_macro")


METRICS = [
    _cfg("event_f1_best", event_f1_best, {"onset_collar": 0.2, "offset_collar": 0.2, "offset_collar_rate": 0.2},
         "collar-based macro F1 at each class's best threshold, from score tables (collar 0.2 s, offset 20 %)",
         "A detection hits a reference event when |onset diff| <= onset_collar and |offset diff| <= "
         "max(offset_collar, offset_collar_rate * reference length); TP = maximum matching of hits."),
    _cfg("segment_f1_best", segment_f1_best, {"segment_length": 1.0},
         "segment-based (1 s) macro F1 at each class's best threshold, from score tables",
         "Segments of segment_length s; a segment's score is the maximum over its frames; TP = reference "
         "segments with score >= t, FP = other segments with score >= t."),
]
