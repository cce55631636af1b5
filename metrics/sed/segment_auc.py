"""Segment-based ROC AUC and partial AUC from score tables (DCASE 2024 Task 4's MAESTRO mAUC / mpAUC).

Definition (Ebbers et al., sed_scores_eval 0.0.4 ``segment_based.auroc``; the DCASE 2024 Task 4
baseline, DCASE-REPO/DESED_task c6bcb45 ``recipes/dcase2024_task4_baseline/local/sed_trainer_pretrained.py``,
ranks the MAESTRO part with ``segment_based.auroc(..., segment_length=1.0, max_fpr=0.1)["mean"]``):

- each clip is cut into ``n = ceil(duration / L)`` segments of ``L`` seconds (boundaries
  ``round(i L, time_decimals)``); a segment is *positive* for a class when a reference event of
  that class overlaps it (``segment start < event offset`` and ``segment end > event onset``);
- a segment's score for a class is the maximum over the frames that overlap it (timestamps
  rounded to ``time_decimals``; a segment past the end of its table scores 0);
- per class, over all segments of all clips, at every threshold ``t`` (each distinct segment
  score, and ``inf``): ``TPR(t) = #(positive segments with score >= t) / P`` and
  ``FPR(t) = #(negative segments with score >= t) / N``;
- the ROC is the staircase through these points sorted by FPR (at equal FPR the highest TPR), and::

      AUC_c  = sum_a TPR_a (FPR_{a+1} - FPR_a)                  (FPR from 0 to 1)
      pAUC_c = sum_a TPR_a (min(FPR_{a+1}, m) - FPR_a) / m       (points with FPR_a <= m; m = max_fpr)

  summed in that order; ``auc_macro`` is the plain mean of ``AUC_c`` (or ``pAUC_c``) over the
  labels, in label order. Unitless, in [0, 1]; the partial AUC is normalised by ``m`` (not the
  McClish standardisation), so a perfect ranking scores 1 and a random one about ``m / 2``.

Edge policies: a class without positive segments (TPR undefined) or without negative segments (FPR
undefined) is refused with an :class:`~avbench.errors.InputError` naming it, as sed_scores_eval refuses
a class without reference events, unless ``no_reference_class="drop"``: then it is left out of the
mean and flagged. Clips listed in ``durations`` without a score table score 0 on every segment. Frames
that start at or after the clip's duration are ignored (avbench's one policy for SED inputs past the
clip end; ``padding="keep"``, set by the ``sed_scores_eval`` profile, keeps them as sed_scores_eval
does: they can raise the score of the last, partial segment).

sed_scores_eval 0.0.4 computes the same staircase but sorts the curve a second time with numpy's
default (unstable) ``argsort``. Where that reorders points of equal FPR, the width after a tie gets
another TPR than the highest, so its value can be lower and depends on the machine: with numpy 1.26.4
on an AVX-512 CPU it reorders ties of sorted arrays of 100 or more values, and on long tied curves
(``benchmarks/peers/differential.py``, 10 cases of 12 x 6 clips) 8 of 80 values were lower than the
staircase (class ``a`` of one case: 0.540 instead of 0.587). With its sort made stable it gives
avbench's values to the bit; so does its default wherever the curve has no such reordering (every
generated case with quantised scores). avbench takes the staircase definition and never gives less.

Named configurations: ``segment_mpauc`` (``max_fpr = 0.1``, the 2024 MAESTRO ranking metric) and
``segment_mauc`` (the full AUC), both on 1 s segments.

Example:
    >>> from avbench.model import Event
    >>> from avbench.metrics.sed.io import ScoreTable, SedPredictions
    >>> ref = {"a": [Event(0.0, 1.0, "x")], "b": [Event(1.0, 2.0, "x")]}
    >>> tabs = {"a": ScoreTable([0, 1, 2], [[0.9], [0.2]], ("x",)), "b": ScoreTable([0, 1, 2], [[0.4], [0.6]], ("x",))}
    >>> r = segment_auroc(ref, SedPredictions(scores=tabs), durations={"a": 2.0, "b": 2.0}, labels=["x"])
    >>> r.overall["auc_macro"], r.class_wise["x"]["n_positive"], r.class_wise["x"]["n_negative"]
    (1.0, 2, 2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._columns import PADDING
from avbench.metrics.sed._curve_counts import ClassCounts, curve_points, segment_counts
from avbench.metrics.sed._psd.core import RefIndex
from avbench.metrics.sed._registered import registered
from avbench.model import Event
from avbench.results import MetricConfig, MetricResult

__all__ = ["segment_auroc", "staircase_auc", "METRICS", "VERSION"]

VERSION = "1.0"
NO_REFERENCE_CLASS = ("error", "drop")


def staircase_auc(tpr: np.ndarray, fpr: np.ndarray, max_fpr: float | None = None) -> float:
    """Area under the staircase through ``(fpr, tpr)`` points sorted by ``(fpr, tpr)``, up to ``max_fpr``.

    Not normalised (divide by ``max_fpr`` for the partial AUC of the module docstring). The widths
    are summed one after another in ascending FPR (the float order of sed_scores_eval's ``sum``).

    Example:
        >>> staircase_auc(np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.5, 1.0]))
        0.25
        >>> staircase_auc(np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.5, 1.0]), max_fpr=0.75)
        0.125
    """
    if max_fpr is None:
        x, y = fpr, tpr[:-1]
    else:
        cut = int(np.searchsorted(fpr, max_fpr, side="right"))  # points with FPR <= max_fpr
        x, y = np.concatenate((fpr[:cut], [max_fpr])), tpr[:cut]
    areas = y * np.diff(x)
    return float(np.cumsum(areas)[-1]) if areas.size else 0.0


def _roc(c: ClassCounts) -> tuple[np.ndarray, np.ndarray, int, int]:
    """TPR and FPR of one class's counts (thresholds from ``inf`` down), ascending; positives, negatives."""
    n_pos, n_neg = int(c.tp[-1]), int(c.fp[-1])  # at the lowest threshold every segment is detected
    return c.tp / max(n_pos, 1), c.fp / max(n_neg, 1), n_pos, n_neg


def segment_auroc(
    reference: Mapping[str, Sequence[Event]],
    predictions,  # noqa: ANN001 - SedPredictions with score tables
    *,
    durations: Mapping[str, float],
    labels: Sequence[str],
    segment_length: float = 1.0,
    max_fpr: float | None = None,
    time_decimals: int = 6,
    no_reference_class: str = "error",
    padding: str = "ignore",
    metric_id: str = "segment_auroc",
) -> MetricResult:
    """Segment-based (partial) ROC AUC per class and its mean over classes, from score tables.

    Args:
        reference: ``{clip: events}``.
        predictions: :class:`~avbench.metrics.sed.io.SedPredictions` with score tables (``[T, C]``
            scores per clip, one column per label).
        durations: ``{clip: seconds}``, every evaluated clip (they set the number of segments).
        labels: the classes, in the order the mean is taken.
        segment_length: ``L``, seconds.
        max_fpr: ``None`` for the full AUC, else the FPR up to which the partial AUC is taken (in
            ``(0, 1]``), normalised by it.
        time_decimals: rounding of the score timestamps and segment boundaries (sed_scores_eval: 6).
        no_reference_class: ``"error"`` (default) or ``"drop"`` for a class without positive or
            without negative segments (module docstring).
        padding: ``"ignore"`` (default: frames starting at or after the clip's duration are not used)
            or ``"keep"`` (sed_scores_eval).
        metric_id: id written into the result.

    Returns:
        A :class:`MetricResult`: overall ``auc_macro``; class-wise ``auc``, ``n_positive``,
        ``n_negative`` (segments); ``extra["roc"]`` holds each class's curve (at most 1000 points).

    Raises:
        InputError: no score tables, a clip without duration, a class without positive or negative
            segments (unless ``no_reference_class="drop"``), bad parameters.
    """
    if not (isinstance(segment_length, (int, float)) and segment_length > 0):
        raise InputError(f"{metric_id}: segment_length must be a positive number of seconds, got {segment_length!r}")
    if max_fpr is not None and not (isinstance(max_fpr, (int, float)) and 0 < max_fpr <= 1):
        raise InputError(f"{metric_id}: max_fpr must be in (0, 1] or None, got {max_fpr!r}")
    if no_reference_class not in NO_REFERENCE_CLASS:
        raise InputError(f"{metric_id}: no_reference_class must be one of {', '.join(NO_REFERENCE_CLASS)}, "
                         f"got {no_reference_class!r}")
    if padding not in PADDING:
        raise InputError(f"{metric_id}: padding must be one of {', '.join(PADDING)}, got {padding!r}")
    if getattr(predictions, "scores", None) is None:
        raise InputError(f"{metric_id} needs frame-wise score tables (a directory of score TSVs or one score TSV with "
                         "a filename column); detections have no scores to rank segments by")
    n_long = 0
    if padding == "keep":
        tables = predictions.scores
    else:
        within, n_long = predictions.within(durations)
        tables = within.scores
    ref = RefIndex.build(reference, durations, labels)
    counts = segment_counts(ref, tables, segment_length=float(segment_length), time_decimals=time_decimals)
    class_wise: dict[str, dict[str, float | int | None]] = {}
    curves: dict[str, dict[str, list[float]]] = {}
    values, flags, undefined = [], [], []
    for name, c in zip(ref.labels, counts):
        tpr, fpr, n_pos, n_neg = _roc(c)
        entry: dict[str, float | int | None] = {"auc": None, "n_positive": n_pos, "n_negative": n_neg}
        if n_pos == 0 or n_neg == 0:
            undefined.append(f"{name!r} ({'no positive' if n_pos == 0 else 'no negative'} segments)")
        else:
            area = staircase_auc(tpr, fpr, max_fpr)
            entry["auc"] = area if max_fpr is None else area / max_fpr
            values.append(entry["auc"])
            keep = curve_points(tpr.size)
            curves[name] = {"fpr": fpr[keep].tolist(), "tpr": tpr[keep].tolist(), "threshold": c.scores[keep].tolist()}
        class_wise[name] = entry
    if undefined:
        what = (f"{len(undefined)} class(es) have no ROC: {', '.join(undefined)}; sed_scores_eval refuses a class "
                "without reference events")
        if no_reference_class == "error":
            raise InputError(f"{metric_id}: {what}; pass -o no_reference_class=drop to leave them out of the mean")
        flags.append(f"{what}: left out of auc_macro (no_reference_class='drop')")
    if not values:
        raise InputError(f"{metric_id}: no class has both positive and negative segments; nothing to rank")
    params = {"segment_length": float(segment_length), "max_fpr": max_fpr, "time_decimals": time_decimals}
    if no_reference_class != "error":
        params["no_reference_class"] = no_reference_class
    if padding != "ignore":
        params["padding"] = padding
    if n_long:
        flags.append(f"score tables of {n_long} clip(s) run past the clip's duration: their frames that start at or "
                     "after the end were ignored (padding)")
    return MetricResult(metric_id, VERSION, params, {"auc_macro": float(np.mean(values))}, class_wise,
                        tuple(flags), {"roc": curves})


_DOC = """Registered ``{mid}``: :func:`segment_auroc` with segment_length = 1 s and max_fpr = {m}.

{what} Per class, over all 1 s segments: ``TPR(t)`` = positive segments with score ``>= t`` / positives,
``FPR(t)`` = negative segments with score ``>= t`` / negatives; the staircase area {area}; ``auc_macro``
is the mean over classes (unitless, in [0, 1]). See :mod:`avbench.metrics.sed.segment_auc`.
"""


def _cfg(metric_id: str, max_fpr: float | None, description: str, what: str, area: str) -> MetricConfig:
    doc = _DOC.format(mid=metric_id, m=max_fpr, what=what, area=area)
    return MetricConfig(metric_id, VERSION, "sed", "sed", registered(segment_auroc, metric_id, doc),
                        {"segment_length": 1.0, "max_fpr": max_fpr}, description=description, primary="auc_macro")


METRICS = [
    _cfg("segment_mpauc", 0.1,
         "segment-based (1 s) macro partial ROC AUC up to FPR 0.1, from score tables (DCASE 2024 Task 4 MAESTRO mpAUC)",
         "The DCASE 2024 Task 4 MAESTRO ranking metric (sed_scores_eval segment_based.auroc, max_fpr=0.1).",
         "up to FPR 0.1 is divided by 0.1"),
    _cfg("segment_mauc", None,
         "segment-based (1 s) macro ROC AUC, from score tables (DCASE 2024 Task 4 MAESTRO mAUC)",
         "The full-AUC companion the DCASE 2024 baseline logs (sed_scores_eval segment_based.auroc).",
         "from FPR 0 to 1 is the AUC"),
]
