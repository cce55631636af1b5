"""Functional SED metrics on plain Python, numpy and pandas inputs: one call, one registered number.

Each function is a registered metric configuration with user-friendly inputs, and its defaults are
that configuration's parameters: ``psds(...)`` is ``psds1`` (DCASE Task 4 scenario 1),
``event_f1(...)`` is the DCASE event F1 (200 ms collar, 20 % offset tolerance), and so on. The
inputs go through the alignment step of ``avbench evaluate`` (:func:`avbench.metrics.sed.files.align_inputs`),
then the registered ``compute``, so the number equals what ``avbench evaluate --metrics ID`` prints on
the same data written as DCASE files.

Accepted inputs (clip ids are matched exactly, else by stem: ``a.wav`` ~ ``a``):

- ``ground_truth``: ``{clip: [(onset, offset, label), ...]}`` (or :class:`~avbench.model.Event`
  lists; an empty list = a clip without events), a pandas DataFrame with columns ``filename onset
  offset event_label`` (DESED / sed_scores_eval; an empty or NaN label declares a clip without
  events), or the path of a DCASE TSV. Zero-length rows are dropped as ``avbench evaluate`` drops
  them.
- ``scores``: ``{clip: DataFrame}`` in sed_scores_eval's layout (columns ``onset offset <class...>``,
  one row per frame), ``{clip: (timestamps, values)}`` with ``timestamps`` ``[T+1]`` frame boundaries
  in seconds and ``values`` ``[T, C]`` in the order of ``labels``, ``{clip: ScoreTable}``, or the path
  of a score-table directory / file.
- ``detections`` (F1 and error-rate metrics; also accepted by ``psds`` as one operating point): the
  same forms as ``ground_truth``, or scores (binarised at the metric's ``threshold`` with
  ``score > threshold``, the one rule of every SED metric; :mod:`avbench.metrics.sed.io`).
- ``durations``: ``{clip: seconds}``, a DataFrame with ``filename duration``, or the path of a
  durations TSV; clips listed only here are evaluated as clips without events.

Example:
    >>> gt = {"a.wav": [(1.0, 3.0, "dog")], "b.wav": []}
    >>> det = {"a": [(1.1, 3.0, "dog")], "b": []}
    >>> event_f1(det, gt, labels=["dog"]).overall["f1_macro"]
    1.0
    >>> import numpy as np
    >>> ts = np.arange(11) * 0.5                       # 10 frames of 0.5 s
    >>> a = np.zeros((10, 1)); a[2:6] = 0.9           # dog active 1.0-3.0 s
    >>> r = psds({"a": (ts, a), "b": (ts, np.zeros((10, 1)))}, gt, {"a.wav": 5.0, "b.wav": 5.0}, labels=["dog"])
    >>> r.id, r.overall["psds"]
    ('psds1', 1.0)
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed.io import ScoreTable, SedPredictions, read_durations_tsv, read_events_tsv, read_score_tables
from avbench.model import Event
from avbench.results import MetricResult

__all__ = [
    "psds", "psds1", "psds2", "event_f1", "segment_f1", "intersection_f1", "RegisteredFunction",
    "as_ground_truth", "as_scores", "as_durations", "as_predictions",
]


def _is_frame(obj: Any) -> bool:
    return hasattr(obj, "columns") and hasattr(obj, "to_numpy")


def _is_path(obj: Any) -> bool:
    return isinstance(obj, (str, os.PathLike))


def _blank(label: Any) -> bool:
    return label is None or (isinstance(label, float) and math.isnan(label)) or str(label).strip() == ""


def _events_from_rows(rows: Any, what: str) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = {}
    for i, (clip, on, off, label) in enumerate(rows):
        clip = str(clip)
        if _blank(label):
            out.setdefault(clip, [])
            continue
        on, off = float(on), float(off)
        if on == off:  # a zero-length row, dropped as the TSV reader drops it
            out.setdefault(clip, [])
            continue
        try:
            out.setdefault(clip, []).append(Event(on, off, str(label)))
        except InputError as exc:
            raise InputError(f"{what}, row {i}: {exc}") from None
    return out


def as_ground_truth(obj: Any, *, what: str = "ground_truth") -> dict[str, list[Event]]:
    """``{clip: [Event]}`` from any accepted event form (module docstring).

    Raises:
        InputError: a DataFrame without ``filename onset offset event_label``, a row that is not
            ``(onset, offset, label)``, an event with ``onset > offset``.
    """
    if _is_path(obj):
        return read_events_tsv(obj)
    if _is_frame(obj):
        need = ["filename", "onset", "offset", "event_label"]
        missing = [c for c in need if c not in obj.columns]
        if missing:
            raise InputError(f"{what}: DataFrame lacks column(s) {', '.join(missing)} (need {' '.join(need)})")
        return _events_from_rows(obj[need].itertuples(index=False, name=None), what)
    if not isinstance(obj, Mapping):
        raise InputError(f"{what}: expected a {{clip: [(onset, offset, label)]}} mapping, a DataFrame or a TSV path, "
                         f"got {type(obj).__name__}")
    rows = []
    for clip, evs in obj.items():
        rows.append((clip, 0.0, 0.0, None))  # declares the clip, also when it has no events
        for e in evs:
            if isinstance(e, Event):
                rows.append((clip, e.onset, e.offset, e.label))
            elif isinstance(e, Sequence) and not isinstance(e, str) and len(e) == 3:
                rows.append((clip, *e))
            else:
                raise InputError(f"{what}: clip {clip!r}: expected (onset, offset, label) triples, got {e!r}")
    out = _events_from_rows(rows, what)
    return out


def _table(clip: str, value: Any, labels: Sequence[str] | None) -> ScoreTable:
    if isinstance(value, ScoreTable):
        return value
    if _is_frame(value):
        cols = [str(c) for c in value.columns]
        if "onset" not in cols or "offset" not in cols:
            raise InputError(f"scores: clip {clip!r}: DataFrame needs columns onset, offset and one per class")
        classes = [c for c in cols if c not in ("onset", "offset")]
        on = value["onset"].to_numpy(dtype=np.float64)
        off = value["offset"].to_numpy(dtype=np.float64)
        if on.size and not np.allclose(on[1:], off[:-1]):
            raise InputError(f"scores: clip {clip!r}: frames must be contiguous (each onset the previous offset)")
        ts = np.concatenate([on[:1], off]) if on.size else np.zeros(1)
        return ScoreTable(ts, value[classes].to_numpy(dtype=np.float64), tuple(classes))
    if isinstance(value, tuple) and len(value) == 2:
        if labels is None:
            raise InputError("scores given as (timestamps, values) pairs need labels=[...] (the column order)")
        return ScoreTable(np.asarray(value[0], dtype=np.float64), np.asarray(value[1], dtype=np.float64), tuple(labels))
    raise InputError(f"scores: clip {clip!r}: expected a DataFrame (onset, offset, classes...), a "
                     f"(timestamps [T+1], values [T, C]) pair or a ScoreTable, got {type(value).__name__}")


def as_scores(obj: Any, *, labels: Sequence[str] | None = None) -> dict[str, ScoreTable]:
    """``{clip: ScoreTable}`` from any accepted score form (module docstring)."""
    if _is_path(obj):
        return read_score_tables(obj)
    if not isinstance(obj, Mapping):
        raise InputError(f"scores: expected a {{clip: table}} mapping or a path, got {type(obj).__name__}")
    return {str(k): _table(str(k), v, labels) for k, v in obj.items()}


def as_durations(obj: Any) -> dict[str, float] | None:
    """``{clip: seconds}`` from a mapping, a DataFrame (``filename duration``) or a TSV path; ``None`` stays."""
    if obj is None:
        return None
    if _is_path(obj):
        return read_durations_tsv(obj)
    if _is_frame(obj):
        if "filename" not in obj.columns or "duration" not in obj.columns:
            raise InputError("durations: DataFrame needs columns filename and duration")
        return {str(f): float(d) for f, d in zip(obj["filename"], obj["duration"])}
    if not isinstance(obj, Mapping):
        raise InputError(f"durations: expected a {{clip: seconds}} mapping, a DataFrame or a path, got {type(obj).__name__}")
    return {str(k): float(v) for k, v in obj.items()}


def _looks_like_scores(obj: Any) -> bool:
    if isinstance(obj, Mapping) and obj:
        first = next(iter(obj.values()))
        return isinstance(first, ScoreTable) or _is_frame(first) or (
            isinstance(first, tuple) and len(first) == 2 and hasattr(first[1], "__len__") and np.ndim(first[1]) == 2)
    if _is_path(obj):
        return Path(obj).is_dir() or _first_line(Path(obj)).lower().startswith("onset")
    return False


def _first_line(p: Path) -> str:
    try:
        with open(p, encoding="utf-8", errors="replace") as fh:
            return fh.readline()
    except OSError:
        return ""


def as_predictions(obj: Any, *, labels: Sequence[str] | None = None) -> SedPredictions:
    """A :class:`SedPredictions` from scores or detections in any accepted form (module docstring)."""
    if isinstance(obj, SedPredictions):
        return obj
    if _looks_like_scores(obj):
        return SedPredictions(scores=as_scores(obj, labels=labels))
    return SedPredictions(events=as_ground_truth(obj, what="detections"))


def _run(metric_id: str, predictions: Any, ground_truth: Any, durations: Any, labels: Sequence[str] | None,
         allow_missing: bool, params: Mapping[str, Any]) -> MetricResult:
    from avbench import registry
    from avbench.metrics.sed.files import align_inputs

    cfg = registry.metric(metric_id)
    ref = as_ground_truth(ground_truth)
    aligned = align_inputs(ref, as_predictions(predictions, labels=labels), durations=as_durations(durations),
                           labels=labels, allow_missing=allow_missing, labels_option="labels=")
    return cfg.compute(aligned.reference, aligned.predictions, durations=aligned.durations, labels=aligned.labels,
                       **params)


class RegisteredFunction:
    """A registered SED metric as a function of user-format inputs (see the module docstring).

    Called as ``f(first, ground_truth, durations=None, *, labels=None, allow_missing=False,
    **params)``; ``params`` are the keyword parameters of the registered configuration, whose values
    are the defaults (``inspect.signature(f)`` shows them; an unknown name is a ``TypeError``). The
    configuration is looked up on first use, so importing this module runs no discovery.
    """

    def __init__(self, metric_id: str, first: str, doc: str) -> None:
        self.metric_id = metric_id
        self.first = first
        self.__name__ = self.__qualname__ = metric_id
        self.__doc__ = doc
        self.__module__ = __name__

    def _own(self) -> list[inspect.Parameter]:
        from avbench import registry

        sig = inspect.signature(registry.metric(self.metric_id).compute)
        # durations, labels and allow_missing are the function's own (applied in the alignment step)
        return [p for n, p in sig.parameters.items()
                if p.kind is p.KEYWORD_ONLY and n not in ("durations", "labels", "allow_missing")]

    @property
    def __signature__(self) -> inspect.Signature:
        P = inspect.Parameter
        return inspect.Signature(
            [P(self.first, P.POSITIONAL_OR_KEYWORD), P("ground_truth", P.POSITIONAL_OR_KEYWORD),
             P("durations", P.POSITIONAL_OR_KEYWORD, default=None),
             P("labels", P.KEYWORD_ONLY, default=None), P("allow_missing", P.KEYWORD_ONLY, default=False),
             *self._own()],
            return_annotation=MetricResult,
        )

    def __call__(self, predictions: Any, ground_truth: Any, durations: Any = None, *,
                 labels: Sequence[str] | None = None, allow_missing: bool = False, **params: Any) -> MetricResult:
        accepted = {p.name for p in self._own()}
        unknown = sorted(set(params) - accepted)
        if unknown:
            raise TypeError(f"{self.metric_id}() got unexpected keyword argument(s) {', '.join(unknown)}; "
                            f"it takes {', '.join(sorted(accepted))}")
        return _run(self.metric_id, predictions, ground_truth, durations, labels, allow_missing, params)

    def __repr__(self) -> str:
        return f"<avbench SED metric {self.metric_id}{self.__signature__}>"


_COMMON = """
    Args:
        {first}: {what} (module docstring for the forms).
        ground_truth: reference events; durations: ``{{clip: seconds}}`` (or DataFrame / path).
        labels: the class names (default: the sorted ground-truth labels; required for
            ``(timestamps, values)`` score pairs, whose column order it gives).
        allow_missing: score ground-truth clips without prediction as empty instead of failing.
        Other keyword arguments: the parameters of the registered ``{mid}`` (shown with their
        registered values as defaults), e.g. ``time_decimals``.

    Returns:
        The :class:`~avbench.results.MetricResult` of ``{mid}``: ``overall``, ``class_wise``,
        ``flags``, ``extra``.

    Raises:
        InputError: malformed inputs, unknown clips or labels, clips without prediction.
"""

psds = RegisteredFunction("psds1", "scores", """PSDS with the DCASE scenario-1 parameters by default (registered ``psds1``).

    ``PSDS = (1 / max_efpr) * integral_0^max_efpr eTPR d(eFPR)`` with ``eTPR = max(mean_c TPR_c -
    alpha_st * std_c TPR_c, 0)`` and ``eFPR_c = (FP_c / D + alpha_ct * mean_{k != c} CT_ck / T_k) *
    3600`` per hour; defaults ``dtc = gtc = 0.7``, ``alpha_st = 1``, ``max_efpr = 100``. Exact
    (every score a threshold, sed_scores_eval semantics) from score tables; psds_eval semantics from
    operating points. For scenario 2 pass ``dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5`` or call
    :func:`psds2`.
""" + _COMMON.format(first="scores", what="frame-wise score tables", mid="psds1"))

psds1 = RegisteredFunction("psds1", "scores", "PSDS scenario 1 (registered ``psds1``): ``dtc = gtc = 0.7, alpha_st = 1, max_efpr = 100``.\n"
                    + _COMMON.format(first="scores", what="frame-wise score tables", mid="psds1"))

psds2 = RegisteredFunction("psds2", "scores", "PSDS scenario 2 (registered ``psds2``): ``dtc = gtc = 0.1, cttc = 0.3, alpha_ct = 0.5, "
                    "alpha_st = 1, max_efpr = 100``.\n" + _COMMON.format(first="scores", what="frame-wise score tables", mid="psds2"))

event_f1 = RegisteredFunction("event_f1", "detections", """DCASE event-based F1 (registered ``event_f1``): 200 ms onset collar, offset tolerance 20 % of the reference length.

    ``F1 = 2 TP / (2 TP + FP + FN)``, micro and macro (``f1``, ``f1_macro``), with ``ER = (S + D + I) /
    N`` and class-wise values; optimal one-to-one matching per clip and class.
""" + _COMMON.format(first="detections", what="detected events, or scores binarised at ``threshold``", mid="event_f1"))

segment_f1 = RegisteredFunction("segment_f1", "detections", """Segment-based F1 on 1 s segments (registered ``segment_f1``).

    A class is active in a segment when any event of it overlaps the segment; ``F1 = 2 TP / (2 TP +
    FP + FN)`` over (segment, class) cells, micro and macro, with the segment-based error rate.
""" + _COMMON.format(first="detections", what="detected events, or scores binarised at ``threshold``", mid="segment_f1"))

intersection_f1 = RegisteredFunction("intersection_f1", "detections", """Intersection-based F1 (registered ``intersection_f1``, DCASE Task 4 ``dtc = gtc = 0.5``).

    A detection is a TP when at least ``dtc`` of it overlaps reference events of its class and a
    reference event is found when at least ``gtc`` of it is covered; ``F1 = 2 TP / (2 TP + FP + FN)``.
""" + _COMMON.format(first="detections", what="detected events, or score tables binarised at ``threshold``", mid="intersection_f1"))
