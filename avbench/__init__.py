"""avbench: datasets, metrics and baselines for audio-visual event recognition and localization.

The public Python API (everything a user imports; see the reference page of the docs):

- data: :func:`load` (a split's clips with labels, events, media paths and missing-video masks),
  :func:`datasets`, :func:`recipe`, :func:`tasks`, :func:`task`;
- metrics: :func:`list_metrics` (the catalogue), :func:`metric` (a registered configuration), the
  functional metrics of each family in :mod:`avbench.metrics` (``avbench.metrics.sed.psds``,
  ``avbench.metrics.sed.event_f1``, ``avbench.metrics.seld.seld``,
  ``avbench.metrics.classification.accuracy``, ...) and their accumulating versions for validation
  loops; every function's defaults are its registered configuration's parameters;
- evaluation: :func:`evaluate` (= ``avbench evaluate --predictions``), :class:`Predictions`,
  :class:`Report`;
- records: :class:`Event`, :class:`Clip`, :class:`Task`; errors: :class:`InputError`,
  :class:`DataNotFoundError`;
- PyTorch: ``avbench.torch`` (extra ``[baselines]``); Hugging Face export: :func:`export_hf`
  (extra ``[hf]``).

Importing :mod:`avbench` defines names only: no logging configuration, no network, no heavy imports
(numpy loads on first use of a name that needs it). The sub-packages are :mod:`avbench.metrics`
(numpy and scipy only), :mod:`avbench.recipes` (one module or package per dataset),
:mod:`avbench.baselines` and :mod:`avbench.download` (the one module every network byte goes through).

Example:
    >>> import avbench
    >>> avbench.metric("psds1").params["dtc"]
    0.7
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load": "avbench.api",
    "datasets": "avbench.api",
    "recipe": "avbench.api",
    "tasks": "avbench.api",
    "task": "avbench.api",
    "list_metrics": "avbench.api",
    "metric": "avbench.api",
    "evaluate": "avbench.api",
    "export_hf": "avbench.export",
    "Predictions": "avbench.predictions",
    "Report": "avbench.report",
    "Event": "avbench.model",
    "Clip": "avbench.model",
    "Task": "avbench.model",
    "MetricResult": "avbench.results",
    "MetricConfig": "avbench.results",
    "InputError": "avbench.errors",
    "DataNotFoundError": "avbench.errors",
}

__all__ = ["__version__", *_LAZY]


_SUBMODULES = ("torch", "metrics", "recipes", "baselines", "download", "registry")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:  # ``avbench.torch`` etc. without an explicit import of the sub-module
        return importlib.import_module(f"avbench.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'avbench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
