"""Sound event detection metrics (DCASE Task 4 and AudioSet strong labels).

Modules, in the order a reader needs them:

- :mod:`~avbench.metrics.sed.io`: DCASE event, durations and score-table files, :class:`SedPredictions`;
- :mod:`~avbench.metrics.sed.matching`: optimal one-to-one event matching for collar-based metrics;
- :mod:`~avbench.metrics.sed.segment`, :mod:`~avbench.metrics.sed.event`: segment- and event-based
  F1 / error rate (sed_eval's definitions);
- :mod:`~avbench.metrics.sed.intersection`: intersection-based F1 (DTC / GTC);
- :mod:`~avbench.metrics.sed.psd`: PSDS from score tables (exact) or operating points;
- :mod:`~avbench.metrics.sed.curves`: best-threshold F1 from score tables;
- :mod:`~avbench.metrics.sed.bootstrap`: clip-bootstrap confidence intervals;
- :mod:`~avbench.metrics.sed.plots`: PSD-ROC and per-class F1 plots (matplotlib, extra ``plots``);
- :mod:`~avbench.metrics.sed.files`: ``avbench evaluate`` on DCASE files;
- :mod:`~avbench.metrics.sed.functional`: the metrics on plain dict / numpy / pandas inputs, also
  reachable here: :func:`psds`, :func:`psds1`, :func:`psds2`, :func:`event_f1`, :func:`segment_f1`,
  :func:`intersection_f1`; :mod:`~avbench.metrics.sed.accumulate`: their accumulating versions.

Private helpers (``_psd/``, ``_columns``, ``_tables``, ...) hold the columnar internals.

Example:
    >>> from avbench.metrics import sed
    >>> sed.event_f1({"a": [(1.0, 2.0, "dog")]}, {"a": [(1.0, 2.0, "dog")]}).overall["f1"]
    1.0
"""

from __future__ import annotations

import importlib
from typing import Any

_FUNCTIONAL = ("psds", "psds1", "psds2", "event_f1", "segment_f1", "intersection_f1")
_ACCUMULATING = ("EventF1", "SegmentF1", "IntersectionF1", "PSDS")

__all__ = [*_FUNCTIONAL, *_ACCUMULATING]


def __getattr__(name: str) -> Any:
    # lazily, so that discovering this family (importing the package) computes and imports nothing
    if name in _FUNCTIONAL:
        return getattr(importlib.import_module("avbench.metrics.sed.functional"), name)
    if name in _ACCUMULATING:
        return getattr(importlib.import_module("avbench.metrics.sed.accumulate"), name)
    raise AttributeError(f"module 'avbench.metrics.sed' has no attribute {name!r}")
