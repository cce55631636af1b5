"""PSDS, the Polyphonic Sound Detection Score (Bilen et al., ICASSP 2020), two ways.

- ``mode="scores"`` (exact, threshold-free, sed_scores_eval 0.0.4 semantics): from frame-wise
  score tables; every score value is a threshold (the curve point labelled ``t`` holds the
  detections of ``score >= t``, as sed_scores_eval labels its curves; binarising at a *given*
  threshold is ``score > t`` everywhere, :meth:`~avbench.metrics.sed._tables.ScoreTable.events`), so
  the PSD-ROC has every operating point the system can reach.
- ``mode="operating_points"`` (psds_eval 0.5.3 semantics): from detections at a set of thresholds
  (DCASE 2020-2022 used 50); ``mode="events"`` treats a single detection set as one operating point.
  ``mode="auto"`` (default) uses scores when given, else operating points, else events.

Definitions (all modes): intersection criteria DTC/GTC/CTTC as in
:mod:`avbench.metrics.sed._psd.core`; per class ``TPR = TP / N_ref``,
``eFPR = (FP / D + alpha_ct * mean_{k != c} CT_ck / T_k) * U``; PSD-ROC
``eTPR = max(mean_c TPR_c - alpha_st * std_c TPR_c, 0)``; ``PSDS = area(eTPR, 0..max_efpr) /
max_efpr`` (staircase) — see :mod:`avbench.metrics.sed._psd.roc`. ``D`` = sum of all clip durations
(seconds), ``T_k`` = seconds of reference of class ``k``, ``U`` = seconds per ``duration_unit``.

psds_eval versions (why DCASE 2021's baseline PSDS2 is 0.533 with psds_eval 0.4 and 0.528 with 0.5):
psds_eval 0.4 kept the cross-trigger rate matrix with a *zero* diagonal, so the mean in eFPR ran
over all K classes (``sum_{k != c} CTR_ck / K``); commit f8a591a ("Operating point arrays are
initialised with np.nan", release 0.5.0, psds_eval issue #5) put NaN on the diagonal so
``nanmean`` divides by ``K - 1``, which is the paper's definition. Only ``alpha_ct > 0`` (PSDS2)
moves. avbench follows the paper and 0.5.x (``cross_trigger_mean="other_classes"``) by default and
gives 0.4's numbers with ``cross_trigger_mean="all_classes"``.

Reproduction (``tests/test_desed_reproduction.py``, DCASE 2021 baseline student, DESED validation,
50 operating points): with ``time_decimals=None`` (psds_eval's unrounded comparisons) PSDS1 =
0.33446856021631743 and PSDS2 = 0.5281000255636458, bit for bit psds_eval 0.5.3 (operating-point
eFPR is computed with its arithmetic, :func:`~avbench.metrics.sed._psd.roc.op_efpr`), and PSDS2 =
0.53270 with ``cross_trigger_mean="all_classes"`` (psds_eval 0.4). With the default rounding to
1 us, PSDS1 = 0.334486: one Cat reference event ([8.5, 9.14) in Y1pqXL2y7nZ4_30.000_40.000.wav) is
covered exactly 70 % (0.448 s of 0.64 s) at two thresholds; psds_eval's float ratio (0.6999...) misses it.

Speed: operating points are columnar end to end (:mod:`avbench.metrics.sed._detections`): files are
read into columns without Events (:mod:`avbench.metrics.sed._op_files`), Python Events are
converted once per predictions object; a detection repeated across thresholds is evaluated once
and counted per operating point with integer ``bincount`` calls, and the criterion-free part (overlap
checks, overlaps with the reference) is shared by PSDS1 and PSDS2 (:mod:`avbench.metrics.sed._psd.operating_points`);
``benchmarks/bench_psds.py`` prints both kinds of ratio beside the peers in one run. Measured with
it on 2 December 2026 at the code of this stop (2 cores, load average 0.7-1.0, medians of 3
interleaved rounds): *compute only* (in-process, ``psds()`` on data already in memory against
``PSDSEval.add_operating_point`` x 50 + ``psds`` on the same DataFrames, reading excluded), PSDS2
from the DCASE 2021 baseline's 50 DESED validation operating points 0.035 s vs psds_eval 2.48 s
(72x, ``|dPSDS2| = 0``) and exact PSDS1 + PSDS2 from the 1,168 score tables 0.086 s vs
sed_scores_eval 6.75 s (79x, ``|dPSDS| = 0``); *end to end* (``avbench evaluate`` on the files
against the peer's user script, fresh interpreters, start-up and reading included), PSDS2 from
the 50 operating points 0.28 s vs psds_eval 3.42 s (12.2x; 12.7x with the default profile) and
PSDS1 + PSDS2 from the score tables 0.47 s with a cold score-table cache (19.1x) and 0.30 s warm
(29.4x) vs sed_scores_eval 8.9 s.
Scores mode computes only
what can reach the PSD-ROC: thresholds where a class's false positives (one per clip without its
reference whose top score is ``>= t``) exceed ``max_efpr * D / U`` are skipped (exact;
:class:`~avbench.metrics.sed._psd.accum.IntersectionAccumulator`), and so are the frames scoring at or
below that class's floor: they cannot belong to a detection at any threshold above it
(:meth:`~avbench.metrics.sed._psd.nodes.FlatSeries.above`; at DESED-validation scale about 5 % of
the frames remain); ``extra["n_points"]`` counts the thresholds kept. Its floats are
sed_scores_eval 0.0.4's: cross-trigger rates are formed from integer counts and added in class order,
staircase terms are added in order (``tests/metrics/sed/test_psd.py`` compares every class ROC point,
class-wise and overall PSDS with ``==`` on a frozen case; the DESED-scale benchmark prints the difference).

Edge policies (pinned by tests in ``tests/test_psds.py``):

- a class of ``labels`` with no reference events: by default (``no_reference_class="keep"``, avbench's
  rule) its TPR is 0 at every threshold and it still counts in the PSD-ROC mean and std, flagged.
  The tools differ: psds_eval 0.5.3 leaves such a class out (its TPR is NaN and ``nanmean`` skips it,
  and cross-triggers onto it are NaN and skipped too) -- ``no_reference_class="drop"`` gives that;
  sed_scores_eval 0.0.4 refuses the input (``AssertionError: No ground truth events for classes``);
- detections (or score-table frames) that start at or after their clip's end are ignored
  (:data:`~avbench.metrics.sed._tables.PAST_END_POLICY`, every SED metric), flagged with a count;
- a clip listed in ``durations`` without predictions has no detections (its duration counts);
- ``max_efpr`` beyond the largest eFPR reached: the last eTPR holds up to ``max_efpr`` (flagged);
- cross-triggers with ``K = 1``: the mean over no other class is 0 (psds_eval 0.5 gives NaN);
- overlapping same-class events (reference or detections) are refused (psds_eval's rule); touching
  ones are separate events; exact duplicate detection rows are accepted and each counts (psds_eval
  0.5.3 skips identical rows in its intersection check and counts both).

Example:
    >>> from avbench.model import Event
    >>> from avbench.metrics.sed.io import SedPredictions
    >>> ref = {"a": [Event(1.0, 3.0, "dog")]}
    >>> pred = SedPredictions(operating_points={0.5: {"a": [Event(1.2, 3.0, "dog")]}})
    >>> r = psds(ref, pred, durations={"a": 3600.0}, labels=["dog"], dtc=0.5, gtc=0.5)
    >>> r.overall["psds"], r.extra["mode"]
    (1.0, 'operating_points')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._psd.roc import FLOAT_ORDERS, SECONDS_PER_UNIT, op_efpr, psds_from_counts, psds_from_rates
from avbench.metrics.sed._psd.accum import IntersectionAccumulator
from avbench.metrics.sed._psd.core import RefIndex, check_criteria
from avbench.metrics.sed._psd.operating_points import OpGeometry
from avbench.metrics.sed._registered import registered
from avbench.model import Event
from avbench.results import MetricConfig, MetricResult

__all__ = ["psds", "psds_from_counts", "psds_from_rates", "METRICS"]

VERSION = "1.1"  # 1.1: score > t, padding past the clip end ignored (issue #10)
_MODES = ("auto", "scores", "operating_points", "events")
_CT_MEANS = ("other_classes", "all_classes")
_CACHE_MAX = 20_000_000  # score values up to which detection trees are kept on the predictions object


def _check(alpha_ct, alpha_st, max_efpr, duration_unit, cross_trigger_mean, mode, cttc) -> None:
    if not 0.0 <= float(alpha_ct) <= 1.0:
        raise InputError(f"psds: alpha_ct must be in [0, 1], got {alpha_ct!r}")
    if float(alpha_st) < 0:
        raise InputError(f"psds: alpha_st must be >= 0, got {alpha_st!r}")
    if not float(max_efpr) > 0:
        raise InputError(f"psds: max_efpr must be > 0 (false positives per {duration_unit}), got {max_efpr!r}")
    if duration_unit not in SECONDS_PER_UNIT:
        raise InputError(f"psds: duration_unit must be one of {', '.join(SECONDS_PER_UNIT)}, got {duration_unit!r}")
    if cross_trigger_mean not in _CT_MEANS:
        raise InputError(f"psds: cross_trigger_mean must be one of {_CT_MEANS}, got {cross_trigger_mean!r}")
    if mode not in _MODES:
        raise InputError(f"psds: mode must be one of {_MODES}, got {mode!r}")
    if alpha_ct > 0 and cttc is None:
        raise InputError("psds: alpha_ct > 0 needs a cttc (cross-trigger tolerance criterion), e.g. cttc=0.3")


def psds(
    reference: Mapping[str, Sequence[Event]],
    predictions,
    *,
    durations: Mapping[str, float],
    labels: Sequence[str],
    dtc: float,
    gtc: float,
    cttc: float | None = None,
    alpha_ct: float = 0.0,
    alpha_st: float = 0.0,
    max_efpr: float = 100.0,
    duration_unit: str = "hour",
    cross_trigger_mean: str = "other_classes",
    time_decimals: int | None = 6,
    mode: str = "auto",
    no_reference_class: str = "keep",
    float_order: str = "avbench",
    metric_id: str = "psds",
) -> MetricResult:
    """PSDS of ``predictions`` (a :class:`~avbench.metrics.sed.io.SedPredictions`).

    Args:
        reference: ``{clip: [Event]}``; durations: ``{clip: seconds}`` for every evaluated clip.
        labels: the K classes.
        dtc, gtc, cttc: intersection criteria in (0, 1] (``cttc`` only used when ``alpha_ct > 0``).
        alpha_ct: weight of the mean cross-trigger rate in eFPR; alpha_st: weight of the class std.
        max_efpr: upper end of the area, in false positives per ``duration_unit``.
        cross_trigger_mean: ``"other_classes"`` (paper, psds_eval >= 0.5) or ``"all_classes"``
            (psds_eval 0.4: divides by K).
        time_decimals: rounding of both sides of each criterion comparison; ``None`` (operating
            points only) compares unrounded sums of ratios exactly as psds_eval does.
        mode: ``"auto"``, ``"scores"``, ``"operating_points"`` or ``"events"``.
        no_reference_class: a class of ``labels`` without reference events: ``"keep"`` (its TPR is 0
            at every threshold and it counts in the mean and std, flagged) or ``"drop"`` (psds_eval
            0.5.3's rule: the class is left out of the PSD-ROC and its detections are ignored;
            reported with ``psds`` 0 in ``class_wise``). sed_scores_eval 0.0.4 refuses such input.
        float_order: ``"avbench"`` (the area summed over the classes' ROC envelopes) or ``"psds_eval"``
            (psds_eval 0.5.3's float operations: the area on its grid,
            :func:`~avbench.metrics.sed._psd.roc.psds_eval_area`, and, from operating points, each class's
            reference duration summed with Kahan summation in (file, onset) order and the total duration
            in file-name order, as its pandas tables do): the same number in exact arithmetic, the same
            float as psds_eval; the psds_eval profile sets it.

    Returns:
        MetricResult with ``overall["psds"]``, per-class single-class PSDS and ``n_ref``, and
        ``extra`` = mode, number of operating points/thresholds, the PSD-ROC ``{"efpr", "tpr"}`` and
        per-class ROCs.

    Raises:
        InputError: bad parameters, missing prediction form, clips or labels outside the task.
    """
    _check(alpha_ct, alpha_st, max_efpr, duration_unit, cross_trigger_mean, mode, cttc)
    check_criteria(dtc, gtc, cttc if alpha_ct > 0 else None)
    use_ct = cttc if alpha_ct > 0 else None
    if float_order not in FLOAT_ORDERS:
        raise InputError(f"psds: float_order must be one of {', '.join(FLOAT_ORDERS)}, got {float_order!r}")
    if no_reference_class not in ("keep", "drop"):
        raise InputError(f"psds: no_reference_class must be 'keep' or 'drop', got {no_reference_class!r}")
    ref = RefIndex.build(reference, durations, labels)
    dropped: tuple[str, ...] = ()
    if no_reference_class == "drop" and (ref.n_ref == 0).any():
        dropped = tuple(n for n, c in zip(ref.labels, ref.n_ref) if c == 0)
        kept = [n for n in ref.labels if n not in dropped]
        if not kept:
            raise InputError("psds: no class has reference events; nothing to score")
        ref = RefIndex.build(reference, durations, kept)
        predictions = predictions.restricted(kept)
    if mode == "auto":
        mode = "scores" if predictions.scores is not None else (
            "operating_points" if predictions.operating_points is not None else "events")
    pad_flag: tuple[str, ...] = ()
    if mode == "scores":
        if time_decimals is None:
            raise InputError("psds mode 'scores' needs an integer time_decimals (6 as sed_scores_eval)")
        if predictions.scores is None:
            raise InputError("psds mode 'scores' needs score tables; give --scores or use mode operating_points")
        predictions, n_long = predictions.within(durations)
        n_pos = sum(t.values.size for t in predictions.scores.values())
        cache = predictions._cache.setdefault(("psds_nodes", ref.labels, ref.clips), {}) if n_pos <= _CACHE_MAX else None
        budget = max_efpr * ref.duration / SECONDS_PER_UNIT[duration_unit]
        acc = IntersectionAccumulator(ref, dtc=dtc, gtc=gtc, cttc=use_ct, time_decimals=time_decimals, cache=cache,
                                      fp_budget=budget)
        acc.prescan(predictions.scores)
        acc.add(predictions.scores)
        curves = acc.curves()
        res = psds_from_counts(ref, [c.tp for c in curves], [c.fp for c in curves], [c.ct for c in curves],
                               alpha_ct=alpha_ct, alpha_st=alpha_st, max_efpr=max_efpr, duration_unit=duration_unit,
                               cross_trigger_mean=cross_trigger_mean, area=float_order)
        n_points = int(sum(c.scores.size for c in curves))
        n_miss = len(ref.clips) - len(acc._seen)
        if n_miss:
            pad_flag += (f"{n_miss} clip(s) have no score table: no detections there (their duration counts)",)
        if n_long:
            pad_flag += (f"score tables of {n_long} clip(s) run past the clip's duration: their frames that start "
                         "at or after the end were ignored (padding)",)
    else:
        if mode == "operating_points":
            if predictions.operating_points is None:
                raise InputError("psds mode 'operating_points' needs detections at several thresholds")
        elif predictions.events is None:
            raise InputError("psds mode 'events' needs one set of detections")
        key = ("psds_geometry", mode, ref.fingerprint())
        geo = predictions._cache.get(key)
        if geo is None:  # criterion-free part, kept for the next metric on the same predictions
            geo = predictions._cache[key] = OpGeometry.build(ref, predictions.detection_columns(mode))
        counts = geo.counts(dtc=dtc, gtc=gtc, cttc=use_ct, time_decimals=time_decimals)
        total, t_ref = float(np.sum(ref.clip_dur)), ref.t_ref
        if float_order == "psds_eval":
            total, t_ref = _psds_eval_durations(reference, durations, ref.labels)
        efpr = op_efpr(counts.fp, counts.ct, duration=total, t_ref=t_ref,
                       alpha_ct=alpha_ct, duration_unit=duration_unit, cross_trigger_mean=cross_trigger_mean)
        res = psds_from_rates(ref.n_ref, list(counts.tp.T), list(efpr.T), alpha_st=alpha_st, max_efpr=max_efpr,
                              area=float_order)
        n_points = geo.n_ops
        if geo.n_pad:
            pad_flag = (f"{geo.n_pad} detection(s) start at or after their clip's end (padding): ignored, as psds_eval does",)
    flags = list(pad_flag) + [f"class {name!r} has no reference events: its TPR is 0 at every threshold (kept in the mean)"
             for name, n in zip(ref.labels, ref.n_ref) if n == 0]
    flags += [f"class {name!r} has no reference events: left out of the PSD-ROC, its detections ignored "
              "(no_reference_class='drop', psds_eval's rule)" for name in dropped]
    if res["reached"] < max_efpr:
        flags.append(f"largest eFPR reached is {res['reached']:.4g} per {duration_unit} < max_efpr {max_efpr:g}: "
                     "the last eTPR is held up to max_efpr")
    x, y = res["psd_roc"]
    params = {"dtc": dtc, "gtc": gtc, "cttc": use_ct, "alpha_ct": alpha_ct, "alpha_st": alpha_st,
              "max_efpr": max_efpr, "duration_unit": duration_unit, "cross_trigger_mean": cross_trigger_mean,
              "time_decimals": time_decimals, "mode": mode, "no_reference_class": no_reference_class}
    if float_order != "avbench":
        params["float_order"] = float_order
    return MetricResult(
        id=metric_id,
        version=VERSION,
        params=params,
        overall={"psds": float(res["psds"])},
        class_wise={**{name: {"psds": float(v), "n_ref": int(n)}
                       for name, v, n in zip(ref.labels, res["class_psds"], ref.n_ref)},
                    **{name: {"psds": 0.0, "n_ref": 0} for name in dropped}},
        flags=tuple(flags),
        extra={"mode": mode, "n_points": n_points,
               "psd_roc": {"efpr": x.tolist(), "tpr": y.tolist()},
               "class_rocs": {name: {"efpr": r[0].tolist(), "tpr": r[1].tolist()}
                              for name, r in zip(ref.labels, res["class_rocs"])}},
    )


def _psds_eval_durations(reference: Mapping[str, Sequence[Event]], durations: Mapping[str, float],
                         labels: Sequence[str]) -> tuple[float, np.ndarray]:
    """Total and per-class reference durations summed in psds_eval 0.5.3's order (see ``float_order``)."""
    from avbench.metrics.sed._psd.roc import kahan_sum

    names = sorted(durations)
    total = float(np.sum(np.array([float(durations[c]) for c in names])))
    rows = [(c, float(e.onset), i, float(e.offset) - float(e.onset), e.label)
            for c in durations for i, e in enumerate(reference.get(c, ())) if e.offset > e.onset]
    rows.sort(key=lambda r: (r[0], r[1]))  # stable: ties keep the input order
    t_ref = np.array([kahan_sum(np.array([r[3] for r in rows if r[4] == lab])) for lab in labels])
    return total, t_ref


_DOC = """Registered ``{mid}``: :func:`psds` with {fixed} (other parameters as :func:`psds`).

Per class ``c`` and operating point: ``TPR_c = TP_c / N_c``, ``eFPR_c = (FP_c / D + alpha_ct *
mean_{{k != c}} CT_ck / T_k) * 3600`` (per hour); ``eTPR = max(mean_c TPR_c - alpha_st * std_c TPR_c,
0)`` on the classes' ROC envelopes; ``PSDS = (1 / max_efpr) * integral_0^max_efpr eTPR d(eFPR)``
(staircase). Returns a MetricResult with ``overall["psds"]``.
"""


def _make(metric_id: str, fixed: str):
    return registered(psds, metric_id, _DOC.format(mid=metric_id, fixed=fixed))


METRICS = [
    MetricConfig(
        id="psds1", version=VERSION, family="sed", input="sed", function=_make("psds1", "dtc = gtc = 0.7, alpha_st = 1, max_efpr = 100"),
        params={"dtc": 0.7, "gtc": 0.7, "alpha_ct": 0.0, "alpha_st": 1.0, "max_efpr": 100.0},
        description="PSDS scenario 1 (DCASE 2021+): dtc=gtc=0.7, alpha_st=1, max_efpr=100/h", primary="psds",
    ),
    MetricConfig(
        id="psds2", version=VERSION, family="sed", input="sed", function=_make("psds2", "dtc = gtc = 0.1, cttc = 0.3, alpha_ct = 0.5, alpha_st = 1, max_efpr = 100"),
        params={"dtc": 0.1, "gtc": 0.1, "cttc": 0.3, "alpha_ct": 0.5, "alpha_st": 1.0, "max_efpr": 100.0},
        description="PSDS scenario 2 (DCASE 2021+): dtc=gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1", primary="psds",
    ),
]
