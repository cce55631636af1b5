"""Metric families of avbench, one module per family (installed as ``avbench.metrics``).

Each module imports numpy and scipy only and exposes ``METRICS``, a sequence of
:class:`avbench.results.MetricConfig`, discovered by :mod:`avbench.registry`. Modules whose names
start with ``_`` are shared helpers.
"""
