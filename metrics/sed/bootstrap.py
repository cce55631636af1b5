"""Bootstrap confidence intervals for any SED metric, from per-clip sufficient statistics where possible.

Resampling: the evaluated clips (reference clips, then clips listed only in ``durations``) are
drawn with replacement, ``n`` draws per replicate, replicate by replicate from
``numpy.random.default_rng(seed).integers(0, n, n)``; a clip drawn ``m`` times counts ``m`` times.
For every overall key the interval is the percentile interval ``[q((1 - c) / 2), q((1 + c) / 2)]``
of the replicate values (numpy's linear quantiles), ``std_err`` their standard deviation
(``ddof=1``). :func:`confidence_intervals` returns them in the shape SELD uses for its jackknife
intervals (:mod:`avbench.metrics.seld.report`), ``{key: {"low", "high", "std_err", "confidence",
"n_bootstrap", "seed", "method"}}``, for ``MetricResult.extra["confidence_intervals"]``.

Speed: a metric whose values are a function of per-clip counts is never recomputed. Its per-clip
statistics ``S[n_clips, ...]`` are computed once; replicate sums are ``W @ S`` with ``W[B, n]``
the draw multiplicities (sparse ``S`` for PSDS), and the values are derived from the sums:

- ``intersection_f1``: TP / FP / N_ref per class (:meth:`OpGeometry.counts` ``by_clip``);
- ``psds1`` / ``psds2`` (and any :func:`~avbench.metrics.sed.psd.psds`) from operating points or one
  detection set: TP / FP per operating point and class, cross-triggers per class pair, N_ref,
  reference seconds per class and clip durations, fed to
  :func:`~avbench.metrics.sed._psd.roc.op_efpr` and :func:`~avbench.metrics.sed.psd.psds_from_rates`;
- segment- and event-based F1 / ER (:mod:`avbench.metrics.sed.segment`,
  :mod:`avbench.metrics.sed.event`): their :class:`~avbench.metrics.sed._counts.SedCounts` per clip.

Other metrics (best-threshold F1 and PSDS from score tables) are recomputed on each resampled clip
set (clips renamed ``clip#j``; detection columns resampled without building Events).

Example:
    >>> from avbench.model import Event
    >>> from avbench.metrics.sed.io import SedPredictions
    >>> from avbench.metrics.sed.intersection import METRICS as M
    >>> ref = {"a": [Event(0, 1, "x")], "b": [Event(0, 1, "x")], "c": [Event(2, 3, "x")]}
    >>> pred = SedPredictions(events={"a": [Event(0, 1, "x")], "b": [], "c": [Event(2, 3, "x")]})
    >>> ci = confidence_intervals(M[0], ref, pred, durations=dict.fromkeys("abc", 5.0), labels=["x"],
    ...                           params={}, n_bootstrap=200, seed=0)
    >>> ci["f1_macro"]["low"] <= 0.8 <= ci["f1_macro"]["high"], ci["f1_macro"]["method"]
    (True, 'bootstrap-percentile, per-clip statistics')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.model import Event

__all__ = ["confidence_intervals", "draws", "resampled_inputs"]


def draws(n_clips: int, n_bootstrap: int, seed: int) -> np.ndarray:
    """int ``[B, n]``: the clips drawn by each replicate (module docstring)."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, n_clips, n_clips) for _ in range(n_bootstrap)]).reshape(n_bootstrap, n_clips)


def _multiplicity(idx: np.ndarray, n: int) -> np.ndarray:
    b = idx.shape[0]
    return np.bincount((idx + n * np.arange(b)[:, None]).ravel(), minlength=b * n).reshape(b, n)


def _target(cfg) -> Callable | None:
    """The metric function behind a configuration's ``function`` (``functools.partial`` or ``registered``)."""
    fn = cfg.function
    for _ in range(3):
        if hasattr(fn, "func"):
            fn = fn.func
        elif hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        else:
            break
    return fn


def _ref_clip_stats(ref) -> tuple[np.ndarray, np.ndarray]:
    """Per clip: reference events and seconds per class, ``[n_clips, K]`` each."""
    n, k = len(ref.clips), ref.k
    key = ref.event_clip() * k + ref.cls
    n_ref = np.bincount(key, minlength=n * k).reshape(n, k)
    t_ref = np.bincount(key, weights=ref.off - ref.on, minlength=n * k).reshape(n, k)
    return n_ref, t_ref


def _intersection(reference, predictions, durations, labels, kw, w):
    from avbench.metrics.sed._psd.core import RefIndex, check_criteria
    from avbench.metrics.sed._psd.operating_points import OpGeometry
    from avbench.metrics.sed._detections import DetectionColumns
    from avbench.metrics.sed.intersection import overall

    check_criteria(kw["dtc"], kw["gtc"], kw["cttc"])
    ref = RefIndex.build(reference, durations, labels)
    det = predictions.single_op_events(threshold=kw["threshold"])
    geo = OpGeometry.build(ref, DetectionColumns.from_events({0.0: det}))
    c = geo.counts(dtc=kw["dtc"], gtc=kw["gtc"], cttc=None, time_decimals=kw["time_decimals"], by_clip=True)
    n_ref, _ = _ref_clip_stats(ref)
    return overall(w @ c.tp[:, 0], w @ c.fp[:, 0], w @ n_ref, kw["beta"], kw.get("f_formula", "counts"))


def _psds(reference, predictions, durations, labels, kw, w):
    from scipy import sparse

    from avbench.metrics.sed._psd.roc import op_efpr
    from avbench.metrics.sed._psd.core import RefIndex
    from avbench.metrics.sed._psd.operating_points import OpGeometry
    from avbench.metrics.sed.psd import psds_from_rates

    ref = RefIndex.build(reference, durations, labels)
    use_ct = kw["cttc"] if kw["alpha_ct"] > 0 else None
    geo = OpGeometry.build(ref, predictions.detection_columns(kw["mode"]))
    c = geo.counts(dtc=kw["dtc"], gtc=kw["gtc"], cttc=use_ct, time_decimals=kw["time_decimals"], by_clip=True)
    n, p, k = c.tp.shape
    n_ref, t_ref = _ref_clip_stats(ref)
    tp, fp = w @ c.tp.reshape(n, -1), w @ c.fp.reshape(n, -1)
    ct = np.asarray((sparse.csr_matrix(c.ct.reshape(n, -1)).T @ w.T).T)  # mostly zeros: sparse product
    dur, nref_b, tref_b = w @ ref.clip_dur, w @ n_ref, w @ t_ref
    out = []
    for b in range(w.shape[0]):
        efpr = op_efpr(fp[b].reshape(p, k), ct[b].reshape(p, k, k), duration=float(dur[b]), t_ref=tref_b[b],
                       alpha_ct=kw["alpha_ct"], duration_unit=kw["duration_unit"],
                       cross_trigger_mean=kw["cross_trigger_mean"])
        res = psds_from_rates(nref_b[b], list(tp[b].reshape(p, k).T), list(efpr.T), alpha_st=kw["alpha_st"],
                              max_efpr=kw["max_efpr"])
        out.append(res["psds"])
    return {"psds": np.asarray(out)}


def _sed_counts(reference, predictions, durations, labels, kw, w, *, counter, names, result):
    from avbench.metrics.sed._columns import EventColumns, Prepared, prepare
    from avbench.metrics.sed._counts import SedCounts, counts_to_result

    prep = prepare(reference, predictions, labels=labels, durations=durations,
                   **{k: kw[k] for k in ("threshold", "strict", "merge_reference", "allow_missing", "time_decimals")})

    def one(cols: EventColumns, i: int, lo: np.ndarray) -> EventColumns:
        s = slice(lo[i], lo[i + 1])
        return EventColumns((prep.clips[i],), cols.labels, cols.clip[s] * 0, cols.cls[s], cols.onset[s], cols.offset[s])

    rb, pb = prep.reference.bounds(), prep.predicted.bounds()
    per = [counter(Prepared((c,), one(prep.reference, i, rb), one(prep.predicted, i, pb), prep.durations[i:i + 1],
                            (), 0), **{k: kw[k] for k in names})
           for i, c in enumerate(prep.clips)]
    arr = {f: np.stack([np.asarray(getattr(x, f)) for x in per]) for f in ("tp", "n_ref", "n_sys", "subs", "dels", "ins")}
    if per and per[0].tn is not None:
        arr["tn"] = np.stack([x.tn for x in per])
    length = np.array([x.length for x in per])
    sums = {f: w @ a for f, a in arr.items()}
    out: dict[str, list[float]] = {}
    for b in range(w.shape[0]):
        cnt = SedCounts(prep.reference.labels, sums["tp"][b], sums["n_ref"][b], sums["n_sys"][b], int(sums["subs"][b]),
                        int(sums["dels"][b]), int(sums["ins"][b]), sums["tn"][b] if "tn" in sums else None,
                        int(w[b].sum()), float(w[b] @ length))
        for key, v in counts_to_result(cnt, metric_id="", version="", params={}, **result).overall.items():
            out.setdefault(key, []).append(np.nan if v is None else v)
    return {key: np.asarray(v, dtype=np.float64) for key, v in out.items()}


def _additive(fn: Callable | None, kw: Mapping[str, Any]):
    """The per-clip-statistics evaluator of ``fn`` with parameters ``kw``, or None (recompute)."""
    import functools

    from avbench.metrics.sed import event as sed_event, intersection as sed_intersection, psd as psds, segment as sed_segment

    if fn is sed_intersection.intersection_f1:
        return _intersection
    if fn is psds.psds and kw["mode"] in ("operating_points", "events"):
        return _psds
    if fn is sed_segment.segment_based:
        return functools.partial(_sed_counts, counter=sed_segment.segment_counts,
                                 names=("time_resolution", "time_decimals"), result={"unit": "segments"})
    if fn is sed_event.event_based:
        return functools.partial(_sed_counts, counter=sed_event.event_counts,
                                 names=("collar", "percentage_of_length", "evaluate_onset", "evaluate_offset",
                                        "time_decimals"), result={})
    return None


def resampled_inputs(reference, predictions, durations, clips: Sequence[str], picks: np.ndarray):
    """``(reference, predictions, durations)`` of the clip draw ``picks`` (clips renamed ``clip#j``)."""
    from avbench.metrics.sed.io import SedPredictions

    src = [clips[i] for i in picks]
    new = [f"{c}#{j}" for j, c in enumerate(src)]

    def pick(mapping):
        return None if mapping is None else {n: mapping[c] for c, n in zip(src, new) if c in mapping}

    ops = None
    if predictions.operating_points is not None:
        cols = predictions.detection_columns()
        pos = {c: i for i, c in enumerate(cols.clips)}
        keep = [j for j, c in enumerate(src) if c in pos]
        ops = cols.resampled(np.array([pos[src[j]] for j in keep], dtype=np.int64), [new[j] for j in keep])
    pred = SedPredictions(events=pick(predictions.events), operating_points=ops, scores=pick(predictions.scores))
    ref = {n: list(reference.get(c, ())) for c, n in zip(src, new)}
    dur = {n: durations[c] for c, n in zip(src, new) if c in durations}
    return ref, pred, dur


def confidence_intervals(
    cfg, reference: Mapping[str, Sequence[Event]], predictions, *, durations: Mapping[str, float] | None,
    labels: Sequence[str], params: Mapping[str, Any], n_bootstrap: int, seed: int = 0, confidence: float = 0.95,
    clips: Sequence[str] | None = None, recompute: bool = False,
) -> dict[str, dict[str, Any]]:
    """Bootstrap intervals of every overall value of metric ``cfg`` (module docstring).

    Args:
        cfg: a registered :class:`~avbench.results.MetricConfig`; params: parameters overriding its own.
        n_bootstrap: replicates (>= 2); seed: of the draws; confidence: in (0, 1).
        clips: the clips to resample (default: reference clips, then those only in ``durations``).
        recompute: recompute the metric on every replicate even where per-clip statistics exist
            (same draws, same values up to float rounding of summed seconds; for checking).

    Raises:
        InputError: bad bootstrap settings, or what the metric raises.
    """
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int) or n_bootstrap < 2:
        raise InputError(f"bootstrap: the number of replicates must be an integer >= 2, got {n_bootstrap!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"bootstrap: bootstrap_seed must be a non-negative integer, got {seed!r}")
    if not 0 < float(confidence) < 1:
        raise InputError(f"bootstrap: bootstrap_confidence must be in (0, 1), got {confidence!r}")
    import inspect

    durations = dict(durations or {})
    clips = list(clips) if clips is not None else list(dict.fromkeys([*reference, *durations]))
    if not clips:
        raise InputError("bootstrap: no clips to resample")
    merged = {**cfg.params, **params}
    fn = _target(cfg)
    sig = inspect.signature(cfg.compute)
    kw = {n: p.default for n, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}
    kw.update(merged)
    if kw.get("mode") == "auto":  # psds: the form it would use
        kw["mode"] = "scores" if predictions.scores is not None else (
            "operating_points" if predictions.operating_points is not None else "events")
    idx = draws(len(clips), n_bootstrap, seed)
    fast = None if recompute else _additive(fn, kw)
    if fast is not None:
        vals = fast(reference, predictions, durations, labels, kw, _multiplicity(idx, len(clips)))
        method = "bootstrap-percentile, per-clip statistics"
    else:
        vals = {}
        for picks in idx:
            ref_b, pred_b, dur_b = resampled_inputs(reference, predictions, durations, clips, picks)
            r = cfg(ref_b, pred_b, durations=dur_b, labels=labels, **params)
            for key, v in r.overall.items():
                vals.setdefault(key, []).append(np.nan if v is None else v)
        vals = {k: np.asarray(v, dtype=np.float64) for k, v in vals.items()}
        method = "bootstrap-percentile, recomputed"
    a = (1.0 - float(confidence)) / 2
    out = {}
    for key, v in vals.items():
        if not np.all(np.isfinite(v)):
            continue
        out[key] = {"low": float(np.quantile(v, a)), "high": float(np.quantile(v, 1 - a)),
                    "std_err": float(v.std(ddof=1)), "confidence": float(confidence), "n_bootstrap": n_bootstrap,
                    "seed": seed, "method": method}
    return out
