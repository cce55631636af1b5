"""Sound event localisation and detection metrics: every DCASE Task 3 edition and SECL-UMONS.

- one module per edition: :mod:`~avbench.metrics.seld.dcase2019`, :mod:`~avbench.metrics.seld.dcase2020`
  (2020 and 2021), :mod:`~avbench.metrics.seld.dcase2022` (2022 and 2023),
  :mod:`~avbench.metrics.seld.dcase2024`, :mod:`~avbench.metrics.seld.dcase2025`,
  :mod:`~avbench.metrics.seld.umons` (the UMONS thesis);
- the shared engine: :mod:`~avbench.metrics.seld.frames` (frame tables), :mod:`~avbench.metrics.seld.io`
  (each edition's CSV layouts), :mod:`~avbench.metrics.seld.engine` (matching and location counts),
  :mod:`~avbench.metrics.seld.report` (results, jackknife);
- :mod:`~avbench.metrics.seld.files`: ``avbench evaluate`` on SELD CSVs;
- :func:`seld` (:mod:`~avbench.metrics.seld.functional`): any edition on plain inputs.

Example:
    >>> from avbench.metrics import seld
    >>> seld.seld({"a": [[0, 0, 0, 10.0, 0.0]]}, {"a": [[0, 0, 0, 10.0, 0.0]]}, edition="2022",
    ...           n_classes=1, jackknife=False).overall["f1"]
    1.0
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["seld", "EDITIONS"]


def __getattr__(name: str) -> Any:
    # lazily, so that discovering this family (importing the package) computes and imports nothing
    if name in __all__:
        return getattr(importlib.import_module("avbench.metrics.seld.functional"), name)
    raise AttributeError(f"module 'avbench.metrics.seld' has no attribute {name!r}")
