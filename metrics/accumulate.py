"""Accumulating metrics for validation loops: ``update`` per batch, ``compute`` at the end.

An accumulator is a registered metric fed in batches. ``compute()`` returns exactly the one-shot
value of the registered configuration on everything fed so far (the same
:class:`~avbench.results.MetricResult`, flags included); feeding the same items in any batching
gives the same number (tested for every accumulator). What is kept between updates:

- classification and tagging (:class:`Accumulator` on ``labels`` / ``multilabel`` metrics): the
  targets and scores, ``N x C`` float64 (a 527-class tagging eval of 20 k clips is 86 MB);
- SED (:mod:`avbench.metrics.sed.accumulate`): each clip's reference and detected events (tens of
  bytes per event) or score tables;
- nothing is recomputed per update: ``compute`` runs the metric once.

Example:
    >>> import numpy as np
    >>> acc = Accumulator("f1_macro", labels=["a", "b"])
    >>> acc.update([0, 1], np.array([[0.9, 0.1], [0.2, 0.8]]))
    >>> acc.update([1], np.array([[0.7, 0.3]]))
    >>> acc.compute().overall == Accumulator.once("f1_macro", [0, 1, 1], np.array([[.9, .1], [.2, .8], [.7, .3]]),
    ...                                           labels=["a", "b"]).overall
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.results import MetricResult

__all__ = ["Accumulator"]


class Accumulator:
    """Accumulate a registered ``labels`` / ``multilabel`` metric (classification, tagging) over batches.

    Args:
        metric_id: a registered id whose input kind is ``labels`` or ``multilabel``
            (``avbench list metrics``).
        labels: the class names.
        **params: overrides of the configuration's parameters (checked against its signature).

    Raises:
        InputError: an unknown id, or one of another input kind (SED and SELD have their own).
    """

    KINDS = ("labels", "multilabel")

    def __init__(self, metric_id: str, *, labels: Sequence[str], **params: Any) -> None:
        from avbench import registry

        self.config = registry.metric(metric_id)
        if self.config.input not in self.KINDS:
            raise InputError(f"metric {metric_id!r} takes {self.config.input!r} inputs; Accumulator is for "
                             f"{' and '.join(self.KINDS)} metrics (SED: avbench.metrics.sed.accumulate)")
        import inspect

        inspect.signature(self.config.compute).bind(None, None, labels=labels, **params)  # unknown names fail now
        self.labels = tuple(labels)
        self.params = dict(params)
        self.reset()

    def reset(self) -> None:
        """Forget every batch."""
        self._true: list[np.ndarray] = []
        self._score: list[np.ndarray] = []

    def update(self, y_true: Any, y_score: Any) -> None:
        """Add a batch: ``y_true`` int ``[B]`` (or ``[B, C]`` multi-hot), ``y_score`` ``[B, C]`` (or ``[B]`` indices)."""
        t, s = np.asarray(y_true), np.asarray(y_score)
        if t.shape[:1] != s.shape[:1]:
            raise InputError(f"update: y_true has {t.shape[0] if t.ndim else 0} items, y_score {s.shape[0] if s.ndim else 0}")
        if self._true and (t.shape[1:] != self._true[0].shape[1:] or s.shape[1:] != self._score[0].shape[1:]):
            raise InputError(f"update: batch shapes {t.shape}, {s.shape} differ from the first batch's "
                             f"{self._true[0].shape}, {self._score[0].shape}")
        self._true.append(t)
        self._score.append(s)

    def compute(self) -> MetricResult:
        """The registered metric on every item fed since the last :meth:`reset`."""
        if not self._true:
            raise InputError(f"{self.config.id}: compute() before any update()")
        return self.config.compute(np.concatenate(self._true), np.concatenate(self._score), labels=self.labels,
                                   **self.params)

    @staticmethod
    def once(metric_id: str, y_true: Any, y_score: Any, *, labels: Sequence[str], **params: Any) -> MetricResult:
        """The one-shot value (``avbench.metric(metric_id).compute``), for comparison."""
        from avbench import registry

        return registry.metric(metric_id).compute(np.asarray(y_true), np.asarray(y_score), labels=labels, **params)
