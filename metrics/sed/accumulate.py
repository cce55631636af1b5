"""Accumulating SED metrics for validation loops: ``update`` per batch of clips, ``compute`` at the end.

Each class wraps one function of :mod:`avbench.metrics.sed.functional` (and so one registered
configuration, with its defaults). ``update(predictions, ground_truth, durations=None)`` takes a
batch in any accepted form (dicts, DataFrames, score pairs) and keeps its clips: events, or score
tables for :class:`PSDS` from scores (``T x C`` float64 per clip: DESED validation's 1,168 clips x
156 frames x 10 classes is 15 MB). A clip may appear in one batch only. ``compute()`` is the
one-shot call on every clip fed, so any batching gives the same result.

Example:
    >>> acc = EventF1(labels=["dog"])
    >>> acc.update({"a": [(1.0, 2.0, "dog")]}, {"a": [(1.0, 2.0, "dog")]})
    >>> acc.update({"b": []}, {"b": [(0.5, 1.5, "dog")]})
    >>> acc.compute().overall["f1_macro"] == event_f1({"a": [(1.0, 2.0, "dog")], "b": []},
    ...     {"a": [(1.0, 2.0, "dog")], "b": [(0.5, 1.5, "dog")]}, labels=["dog"]).overall["f1_macro"]
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from avbench.errors import InputError
from avbench.metrics.sed.functional import (
    RegisteredFunction,
    as_durations,
    as_ground_truth,
    as_predictions,
    event_f1,
    intersection_f1,
    psds,
    segment_f1,
)
from avbench.results import MetricResult

__all__ = ["EventF1", "SegmentF1", "IntersectionF1", "PSDS", "SedAccumulator"]


class SedAccumulator:
    """Accumulate one functional SED metric over batches of clips (see the module docstring).

    Args:
        labels: the class names (default: the sorted labels of all ground truth fed).
        allow_missing: as the functional metric.
        **params: parameters of the registered configuration (checked on the first call).
    """

    function: RegisteredFunction

    def __init__(self, *, labels: Sequence[str] | None = None, allow_missing: bool = False, **params: Any) -> None:
        accepted = {p.name for p in self.function._own()}
        unknown = sorted(set(params) - accepted)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected parameter(s) {', '.join(unknown)}; "
                            f"it takes {', '.join(sorted(accepted))}")
        self.labels = None if labels is None else list(labels)
        self.allow_missing = allow_missing
        self.params = params
        self.reset()

    def reset(self) -> None:
        """Forget every batch."""
        self._gt: dict[str, list] = {}
        self._events: dict[str, list] = {}
        self._scores: dict[str, Any] = {}
        self._durations: dict[str, float] = {}

    def update(self, predictions: Any, ground_truth: Any, durations: Any = None) -> None:
        """Add a batch of clips.

        Raises:
            InputError: a clip already fed, or a batch mixing scores and events with earlier ones.
        """
        gt = as_ground_truth(ground_truth)
        again = sorted(set(gt) & set(self._gt))
        if again:
            raise InputError(f"update: clip(s) {', '.join(again[:5])} were already fed in an earlier batch")
        pred = as_predictions(predictions, labels=self.labels)
        if pred.scores is not None:
            if self._events:
                raise InputError("update: this batch has score tables, earlier ones had events; feed one form")
            self._scores.update(pred.scores)
        else:
            if self._scores:
                raise InputError("update: this batch has events, earlier ones had score tables; feed one form")
            self._events.update({k: list(v) for k, v in (pred.events or {}).items()})
        self._gt.update(gt)
        self._durations.update(as_durations(durations) or {})

    def compute(self) -> MetricResult:
        """The metric on every clip fed since the last :meth:`reset`."""
        if not self._gt:
            raise InputError(f"{self.function.metric_id}: compute() before any update()")
        predictions = as_predictions(self._scores) if self._scores else as_predictions(self._events)
        return self.function(predictions, self._gt, self._durations or None, labels=self.labels,
                             allow_missing=self.allow_missing, **self.params)


class EventF1(SedAccumulator):
    """Accumulating :func:`~avbench.metrics.sed.functional.event_f1` (registered ``event_f1``)."""

    function = event_f1


class SegmentF1(SedAccumulator):
    """Accumulating :func:`~avbench.metrics.sed.functional.segment_f1` (registered ``segment_f1``)."""

    function = segment_f1


class IntersectionF1(SedAccumulator):
    """Accumulating :func:`~avbench.metrics.sed.functional.intersection_f1` (registered ``intersection_f1``)."""

    function = intersection_f1


class PSDS(SedAccumulator):
    """Accumulating :func:`~avbench.metrics.sed.functional.psds` (registered ``psds1``; pass psds2's
    parameters for scenario 2). Durations of every clip are needed by :meth:`compute`."""

    function = psds
