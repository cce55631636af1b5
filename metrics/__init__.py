"""Metric families of avbench (installed as ``avbench.metrics``); numpy and scipy only.

One module per small family, one sub-package per large one:

- :mod:`avbench.metrics.classification`: accuracy, balanced / top-k accuracy, F1, confusion, log loss;
- :mod:`avbench.metrics.tagging`: mAP, ROC-AUC, d';
- :mod:`avbench.metrics.ave`: AVE cross-modal localisation;
- :mod:`avbench.metrics.sed`: sound event detection (segment, event, intersection, PSDS, curves,
  bootstrap, DCASE file readers);
- :mod:`avbench.metrics.seld`: sound event localisation and detection (one module per DCASE edition,
  SECL-UMONS, the shared engine and readers).

Each public module declares ``METRICS``, a sequence of :class:`avbench.results.MetricConfig`,
discovered by :mod:`avbench.registry`; modules and packages whose names start with ``_`` are a
family's private helpers. Module paths of avbench 0.1 (``avbench.metrics.psds``,
``avbench.metrics.seld_dcase2022``, ...) still import, with a :class:`DeprecationWarning` naming the
new path (see :mod:`avbench._moved`).
"""

from avbench._moved import moved_dir

__path__.append(moved_dir(__file__))  # noqa: F821  (old module paths, for one release)
