"""Event-based SED metrics: precision, recall, F1 and error rate with onset / offset collars.

Definition (Mesaros et al. 2016, sed_eval ``EventBasedMetrics`` with optimal matching): a system
event is a true positive when it is matched one-to-one to a reference event of the same class
with ``|onset error| <= collar`` and (onset+offset mode) ``|offset error| <= max(collar,
percentage_of_length * reference length)``; the matching maximises the number of true positives
(:mod:`avbench.metrics.sed.matching`). Then, with ``S`` substitutions (leftover pairs that pass the
collars with different classes)::

    P = TP / Nsys;  R = TP / Nref;  F1 = 2 TP / (Nref + Nsys)
    D = Nref - TP - S;  I = Nsys - TP - S;  ER = (S + D + I) / Nref
    class-wise: ER = (FN + FP) / Nref

Micro values sum over clips; macro values average class-wise values over the whole label set.
Edge policies are in :mod:`avbench.metrics.sed._counts` (no NaN, no epsilon denominators, a class
without reference or predictions scores 0 and is flagged).

Named configurations:

- ``event_f1``: DCASE Task 4 (collar 0.2 s, offset 20 % of the reference length, onset+offset;
  primary value the macro F1);
- ``event_f1_sed_eval``: sed_eval's defaults (collar 0.2 s, offset 50 %);
- ``event_f1_onset``: onset only (collar 0.2 s).

Differences from sed_eval 0.2.1, by design: ``time_decimals`` (default 6) rounds times so an error
exactly equal to the collar is a hit on every machine (sed_eval compares raw floats: 1.2 - 1.0 is
a hit, 2.5 - 2.3 a miss); overlapping / touching same-class reference events are merged
(``merge_reference=False`` keeps them); zero-length events are dropped with a flag
(``zero_length="keep"`` counts them as sed_eval does); detections starting at or after a known clip
end are ignored (``padding="keep"``: sed_eval, which knows no durations here); undefined values are 0
with a flag (``f_formula="sed_eval"``: sed_eval's NaN); substitutions are the maximum possible (see
:mod:`avbench.metrics.sed.matching`; ``substitutions="sed_eval"`` gives sed_eval's greedy count). The
``sed_eval`` profile (:mod:`avbench.metrics.sed.profiles`) sets all of these.

Example:
    >>> from avbench.model import Event
    >>> ref = {"a": [Event(0.0, 2.5, "car"), Event(2.8, 4.5, "car"), Event(6.0, 10.0, "car")]}
    >>> est = {"a": [Event(0.2, 3.5, "car"), Event(6.0, 8.0, "car")]}
    >>> r = event_based(ref, est, labels=["car"], durations=None, percentage_of_length=0.5)
    >>> round(r.overall["f1"], 6), round(r.overall["error_rate"], 6)
    (0.8, 0.333333)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._columns import Prepared, prepare
from avbench.metrics.sed.io import SedPredictions
from avbench.metrics.sed.matching import match
from avbench.metrics.sed._counts import SedCounts, counts_to_result
from avbench.model import Event
from avbench.results import MetricConfig, MetricResult

__all__ = ["event_based", "event_counts", "METRICS", "VERSION"]

VERSION = "1.2"  # 1.1: score > t, padding past the clip end ignored; 1.2: f_formula="sed_eval" gives sed_eval's NaN (issue #10)


def event_counts(
    prep: Prepared,
    *,
    collar: float = 0.2,
    percentage_of_length: float = 0.5,
    evaluate_onset: bool = True,
    evaluate_offset: bool = True,
    time_decimals: int | None = 6,
    substitutions: str = "maximum",
) -> SedCounts:
    """Event-based :class:`SedCounts` of prepared inputs (see :func:`event_based`)."""
    if not (isinstance(collar, (int, float)) and collar >= 0):
        raise InputError(f"collar must be a non-negative number of seconds, got {collar!r}")
    if not (isinstance(percentage_of_length, (int, float)) and 0 <= percentage_of_length):
        raise InputError(f"percentage_of_length must be >= 0, got {percentage_of_length!r}")
    if not (evaluate_onset or evaluate_offset):
        raise InputError("event-based metrics need evaluate_onset or evaluate_offset (or both)")
    ref, est = prep.reference, prep.predicted
    tp, subs = match(
        ref, est, collar=float(collar), rate=float(percentage_of_length), evaluate_onset=evaluate_onset,
        evaluate_offset=evaluate_offset, time_decimals=time_decimals, substitutions=substitutions,
    )
    n_cls = len(ref.labels)
    n_ref = np.bincount(ref.cls, minlength=n_cls).astype(np.int64)
    n_sys = np.bincount(est.cls, minlength=n_cls).astype(np.int64)
    t = int(tp.sum())
    return SedCounts(
        ref.labels, tp, n_ref, n_sys, subs=subs, dels=int(n_ref.sum()) - t - subs, ins=int(n_sys.sum()) - t - subs,
        n_clips=len(prep.clips), length=float(ref.max_offset().sum()),
    )


def event_based(
    reference: Mapping[str, Sequence[Event]],
    predictions: SedPredictions | Mapping[str, Sequence[Event]],
    *,
    durations: Mapping[str, float] | None,
    labels: Sequence[str],
    collar: float = 0.2,
    percentage_of_length: float = 0.5,
    evaluate_onset: bool = True,
    evaluate_offset: bool = True,
    threshold: float = 0.5,
    time_decimals: int | None = 6,
    strict: bool = False,
    merge_reference: bool = True,
    allow_missing: bool = False,
    f_formula: str = "counts",
    zero_length: str = "drop",
    padding: str = "ignore",
    substitutions: str = "maximum",
    metric_id: str = "event_based",
) -> MetricResult:
    """Event-based P / R / F1 / ER (micro and macro) and class-wise values.

    Args:
        reference: ``{clip: events}``; every key is evaluated (an empty list = no events).
        predictions: :class:`SedPredictions` (score tables are binarised at ``threshold``) or
            ``{clip: events}``.
        durations: ``{clip: seconds}``; clips listed only here are evaluated as event-free
            (durations do not change event-based values otherwise).
        labels: the class names.
        collar: onset collar in seconds (also the minimum offset collar).
        percentage_of_length: offset collar as a fraction of the reference event length.
        evaluate_onset, evaluate_offset: which boundaries are tested.
        threshold: operating point used when predictions are scores / operating points.
        time_decimals: rounding of times before the collar tests (``None``: raw floats, sed_eval).
        strict: refuse overlapping / touching same-class reference events.
        merge_reference: merge them (default) or keep them as given (sed_eval).
        allow_missing: score reference clips absent from the predictions as empty.
        f_formula: ``"counts"`` (``F1 = 2 TP / (Nref + Nsys)``) or ``"sed_eval"`` (``2 P R / (P + R)`` in
            sed_eval's float order, rates divided by ``Nref + 2.2e-16`` as sed_eval
            does (errors / 2.2e-16 without reference), NaN where sed_eval divides by zero and ``numpy.nanmean`` class-wise averages; the sed_eval profile
            sets it so values equal sed_eval's to the bit, each NaN's cause flagged).
        zero_length: ``"drop"`` (default: zero-length events, which only a reader asked to keep them passes
            on, are dropped and counted in a flag) or ``"keep"`` (counted as sed_eval counts them;
            :mod:`avbench.metrics.sed._zero_length`).
        padding: ``"ignore"`` (default: detections starting at or after their clip's duration are ignored,
            flagged) or ``"keep"`` (scored, as sed_eval scores them).
        substitutions: ``"maximum"`` (default: the most substitutions any maximum-TP matching allows) or
            ``"sed_eval"`` (sed_eval 0.2.1's count: its own maximum matching, then a greedy pass in input
            order; :mod:`avbench.metrics.sed.matching`). Only S, D, I and the overall error rates change.
        metric_id: id written into the result.

    Returns:
        A :class:`MetricResult`; overall keys ``f1 precision recall error_rate substitution_rate
        deletion_rate insertion_rate`` (micro) and ``f1_macro precision_macro recall_macro
        error_rate_macro deletion_rate_macro insertion_rate_macro``; class-wise ``f1 precision
        recall error_rate deletion_rate insertion_rate n_ref n_sys tp``.

    Raises:
        InputError: bad parameters, unknown labels, missing or unknown clips, overlapping
            reference events under ``strict``.
    """
    prep = prepare(
        reference, predictions, labels=labels, durations=durations, threshold=threshold, strict=strict,
        merge_reference=merge_reference, allow_missing=allow_missing, time_decimals=time_decimals,
        zero_length=zero_length, padding=padding,
    )
    counts = event_counts(
        prep, collar=collar, percentage_of_length=percentage_of_length, evaluate_onset=evaluate_onset,
        evaluate_offset=evaluate_offset, time_decimals=time_decimals, substitutions=substitutions,
    )
    params = {
        "collar": float(collar),
        "percentage_of_length": float(percentage_of_length),
        "evaluate_onset": bool(evaluate_onset),
        "evaluate_offset": bool(evaluate_offset),
        "matching": "optimal",
        "time_decimals": time_decimals,
        "merge_reference": bool(merge_reference),
    }
    if isinstance(predictions, SedPredictions) and predictions.kind != "events":
        params["threshold"] = float(threshold)
    if f_formula != "counts":
        params["f_formula"] = f_formula
    if zero_length != "drop":
        params["zero_length"] = zero_length
    if padding != "ignore":
        params["padding"] = padding
    if substitutions != "maximum":
        params["substitutions"] = substitutions
    return counts_to_result(counts, metric_id=metric_id, version=VERSION, params=params, flags=prep.flags,
                            f_formula=f_formula)


def _config(metric_id: str, params: dict, description: str, primary: str) -> MetricConfig:
    compute = functools.partial(event_based, metric_id=metric_id)
    compute.__doc__ = event_based.__doc__
    return MetricConfig(metric_id, VERSION, "sed", "sed", compute, params, description=description, primary=primary)


METRICS = [
    _config("event_f1", {"collar": 0.2, "percentage_of_length": 0.2},
            "event-based F1 / ER, DCASE Task 4 setting: collar 0.2 s, offset max(0.2 s, 20 %), macro primary",
            "f1_macro"),
    _config("event_f1_sed_eval", {"collar": 0.2, "percentage_of_length": 0.5},
            "event-based F1 / ER with sed_eval defaults: collar 0.2 s, offset max(0.2 s, 50 %)", "f1"),
    _config("event_f1_onset", {"collar": 0.2, "evaluate_offset": False},
            "event-based F1 / ER on onsets only, collar 0.2 s", "f1"),
]
