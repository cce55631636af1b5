"""Segment-based SED metrics: precision, recall, F1 and error rate on fixed-length segments.

Definition (Mesaros et al. 2016, sed_eval ``SegmentBasedMetrics``): each clip is cut into
segments of ``time_resolution`` seconds; a class is active in segment ``k`` when an event of that
class touches it. An event ``[onset, offset)`` marks segments ``floor(onset / res)`` up to (not
including) ``ceil(offset / res)``. Per segment ``k`` with ``Nref_k`` active reference classes,
``Nsys_k`` active system classes and ``TP_k`` classes active in both::

    S = sum_k min(Nref_k, Nsys_k) - TP_k;  D = sum_k max(0, Nref_k - Nsys_k);  I = sum_k max(0, Nsys_k - Nref_k)
    ER = (S + D + I) / Nref;  P = TP / Nsys;  R = TP / Nref;  F1 = 2 TP / (Nref + Nsys)

Micro values sum over all (segment, class) cells; macro values average class-wise values over the
whole label set (:mod:`avbench.metrics.sed._counts` has the edge policies). Also reported (as
sed_eval): ``accuracy``, ``balanced_accuracy``, ``sensitivity``, ``specificity`` over cells.

Evaluated length of a clip: ``ceil(duration / res)`` segments when its duration is known (events
past it are cut off), else ``ceil(max(last reference offset, last predicted offset) / res)`` as
sed_eval does without ``evaluated_length_seconds`` (trailing silence then adds no segments; a
clip without events and without duration adds none).

``time_decimals`` (default 6): times are rounded to that many decimals and segment indices are
computed with exact integer arithmetic; ``None`` reproduces sed_eval's float arithmetic
(``floor(0.3 / 0.1) == 2`` there; 3 here).

Zero-length events are dropped with a flag (``zero_length="keep"``: an event ``[t, t]`` marks segment
``floor(t / res)`` unless ``t`` is on a boundary, as in sed_eval); detections starting at or after a
known duration are ignored (``padding="keep"``: they mark the last segment when they start inside it,
as sed_eval's rolls cut at the evaluated length do); ``f_formula="sed_eval"`` gives sed_eval's NaN and
epsilon denominators. The ``sed_eval`` profile sets all of these.

Example:
    >>> from avbench.model import Event
    >>> ref = {"a": [Event(0.0, 2.5, "car"), Event(2.8, 4.5, "car"), Event(6.0, 10.0, "car")]}
    >>> est = {"a": [Event(1.0, 3.5, "car"), Event(7.0, 8.0, "car")]}
    >>> r = segment_based(ref, est, labels=["car"], durations=None)
    >>> round(r.overall["accuracy"], 6), round(r.overall["error_rate"], 6), round(r.overall["f1"], 6)
    (0.5, 0.555556, 0.615385)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._columns import EventColumns, Prepared, prepare, sorted_unique, ticks
from avbench.metrics.sed.io import SedPredictions
from avbench.metrics.sed._counts import SedCounts, counts_to_result
from avbench.model import Event
from avbench.results import MetricConfig, MetricResult

__all__ = ["segment_based", "segment_counts", "METRICS", "VERSION"]

VERSION = "1.2"  # 1.1: score > t, padding past the clip end ignored; 1.2: f_formula="sed_eval" gives sed_eval's NaN (issue #10)


def _seg_index(t: np.ndarray, res: float, time_decimals: int | None, up: bool) -> np.ndarray:
    """floor (or ceil, ``up``) of ``t / res`` as int64, exact on ticks or sed_eval's float way."""
    if time_decimals is None:
        q = np.asarray(t, dtype=np.float64) * 1 / float(res)
        return (np.ceil(q) if up else np.floor(q)).astype(np.int64)
    tt = ticks(t, time_decimals).astype(np.int64)
    rt = int(ticks(np.array([res]), time_decimals)[0])
    return -((-tt) // rt) if up else tt // rt


def _cells(cols: EventColumns, base: np.ndarray, n_seg: np.ndarray, res: float, td: int | None) -> np.ndarray:
    """Sorted unique active cells ``segment * C + class`` (segment = global index over clips)."""
    n_cls = len(cols.labels)
    if cols.clip.size == 0:
        return np.zeros(0, dtype=np.int64)
    s = _seg_index(cols.onset, res, td, up=False)
    e = np.minimum(_seg_index(cols.offset, res, td, up=True), n_seg[cols.clip])
    n = np.maximum(e - s, 0)
    total = int(n.sum())
    first = base[cols.clip] + s
    run = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)
    seg = np.repeat(first, n) + run
    return sorted_unique(seg * n_cls + np.repeat(cols.cls, n))


def segment_counts(prep: Prepared, *, time_resolution: float = 1.0, time_decimals: int | None = 6) -> SedCounts:
    """Segment-based :class:`SedCounts` of prepared inputs (see :func:`segment_based`)."""
    if not (isinstance(time_resolution, (int, float)) and time_resolution > 0):
        raise InputError(f"time_resolution must be a positive number of seconds, got {time_resolution!r}")
    ref, est = prep.reference, prep.predicted
    n_cls = len(ref.labels)
    length = np.where(np.isnan(prep.durations), np.maximum(ref.max_offset(), est.max_offset()), prep.durations)
    n_seg = _seg_index(length, time_resolution, time_decimals, up=True) if length.size else np.zeros(0, np.int64)
    base = np.concatenate([[0], np.cumsum(n_seg)[:-1]]).astype(np.int64) if n_seg.size else n_seg
    n_total = int(n_seg.sum())
    rc = _cells(ref, base, n_seg, time_resolution, time_decimals)
    ec = _cells(est, base, n_seg, time_resolution, time_decimals)
    tc = np.intersect1d(rc, ec, assume_unique=True)
    per_seg = [np.bincount(x // n_cls, minlength=n_total) for x in (rc, ec, tc)]
    nref_k, nsys_k, tp_k = per_seg
    per_cls = [np.bincount(x % n_cls, minlength=n_cls).astype(np.int64) for x in (rc, ec, tc)]
    n_ref, n_sys, tp = per_cls
    tn = n_total - n_ref - n_sys + tp
    return SedCounts(
        ref.labels, tp, n_ref, n_sys,
        subs=int((np.minimum(nref_k, nsys_k) - tp_k).sum()),
        dels=int(np.maximum(nref_k - nsys_k, 0).sum()),
        ins=int(np.maximum(nsys_k - nref_k, 0).sum()),
        tn=tn, n_clips=len(prep.clips), length=float(length.sum()),
    )


def segment_based(
    reference: Mapping[str, Sequence[Event]],
    predictions: SedPredictions | Mapping[str, Sequence[Event]],
    *,
    durations: Mapping[str, float] | None,
    labels: Sequence[str],
    time_resolution: float = 1.0,
    threshold: float = 0.5,
    time_decimals: int | None = 6,
    strict: bool = False,
    merge_reference: bool = True,
    allow_missing: bool = False,
    f_formula: str = "counts",
    zero_length: str = "drop",
    padding: str = "ignore",
    metric_id: str = "segment_based",
) -> MetricResult:
    """Segment-based P / R / F1 / ER (micro and macro) and class-wise values.

    Args:
        reference: ``{clip: events}``; every key is evaluated (an empty list = no events).
        predictions: :class:`SedPredictions` (score tables are binarised at ``threshold``) or
            ``{clip: events}``.
        durations: ``{clip: seconds}``; clips listed only here are evaluated as event-free.
        labels: the class names.
        time_resolution: segment length in seconds.
        threshold: operating point used when predictions are scores / operating points.
        time_decimals: rounding of times before segment indexing (``None``: sed_eval floats).
        strict: refuse overlapping / touching same-class reference events instead of merging.
        merge_reference: merge them (no effect on segment values; kept for the shared policy).
        allow_missing: score reference clips absent from the predictions as empty.
        f_formula, zero_length, padding: sed_eval's arithmetic (NaN included), zero-length events and
            detections at or past the clip end, as for :func:`~avbench.metrics.sed.event.event_based` (the
            segment rules are in the module docstring; the sed_eval profile sets all three).
        metric_id: id written into the result.

    Returns:
        A :class:`MetricResult` with overall keys ``f1 precision recall error_rate
        substitution_rate deletion_rate insertion_rate`` (micro), ``*_macro``, ``accuracy
        balanced_accuracy sensitivity specificity``; class-wise ``f1 precision recall error_rate
        deletion_rate insertion_rate n_ref n_sys tp`` (counts in active segments).

    Raises:
        InputError: bad parameters, unknown labels, missing or unknown clips (see
            :func:`avbench.metrics.sed._columns.prepare`).
    """
    prep = prepare(
        reference, predictions, labels=labels, durations=durations, threshold=threshold, strict=strict,
        merge_reference=merge_reference, allow_missing=allow_missing, time_decimals=time_decimals,
        zero_length=zero_length, padding=padding,
    )
    counts = segment_counts(prep, time_resolution=time_resolution, time_decimals=time_decimals)
    flags = list(prep.flags)
    n_nodur = int(np.isnan(prep.durations).sum())
    if n_nodur:
        flags.append(f"{n_nodur} clip(s) without a duration: evaluated up to their last event (sed_eval default)")
    for side, cols in (("reference", prep.reference), ("predicted", prep.predicted)):
        past = int(np.sum(ticks(cols.offset, time_decimals) > ticks(prep.durations[cols.clip], time_decimals)))
        if past:
            flags.append(f"{past} {side} event(s) end after their clip's duration; segments past it are not scored")
    params = {"time_resolution": float(time_resolution), "time_decimals": time_decimals}
    if isinstance(predictions, SedPredictions) and predictions.kind != "events":
        params["threshold"] = float(threshold)
    if f_formula != "counts":
        params["f_formula"] = f_formula
    if zero_length != "drop":
        params["zero_length"] = zero_length
    if padding != "ignore":
        params["padding"] = padding
    return counts_to_result(counts, metric_id=metric_id, version=VERSION, params=params, flags=flags, unit="segments",
                            f_formula=f_formula)


def _config(metric_id: str, resolution: float, description: str) -> MetricConfig:
    compute = functools.partial(segment_based, metric_id=metric_id)
    compute.__doc__ = segment_based.__doc__
    return MetricConfig(metric_id, VERSION, "sed", "sed", compute, {"time_resolution": resolution},
                        description=description, primary="f1")


METRICS = [
    _config("segment_f1", 1.0, "segment-based F1 / ER on 1 s segments, micro and macro (sed_eval SegmentBasedMetrics)"),
]
