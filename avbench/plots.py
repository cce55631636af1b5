"""Plots of an evaluation (``avbench evaluate --plots DIR``; matplotlib, the ``plots`` extra).

:func:`write_plots` writes, where they apply:

- ``<id>_class_f1.png``: per-class F1 bars of every result with class-wise F1, and
  ``<id>_psd_roc.png``: PSD-ROC curves of PSDS results (:mod:`avbench.metrics.sed.plots`);
- ``confusion_matrix.png``: the confusion matrix (rows: true class, columns: predicted class,
  cells: counts, colour: row-normalized rate) of a classification task, from a result carrying
  ``extra["matrix"]`` and ``extra["labels"]`` (the ``confusion_matrix`` metric).

The paths are returned and listed in the report JSON (``"plots"``).

Example:
    >>> from avbench.results import MetricResult
    >>> r = MetricResult("confusion_matrix", "1.0", {}, {"n": 3}, extra={"labels": ["a", "b"], "matrix": [[1, 0], [1, 1]]})
    >>> _matrix_of([r])
    (['a', 'b'], array([[1, 0],
           [1, 1]]))
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError, MissingExtraError
from avbench.extras import require
from avbench.results import MetricResult

__all__ = ["write_plots", "require_matplotlib"]


def require_matplotlib() -> Any:
    """``matplotlib.pyplot`` on the Agg backend; a :class:`MissingExtraError` naming ``--plots`` and the extra otherwise."""
    try:
        matplotlib = require("matplotlib", "plots")
    except MissingExtraError:
        raise MissingExtraError('--plots needs matplotlib: install it with `pip install "avbench[plots]"`') from None
    matplotlib.use("Agg", force=True)
    return require("matplotlib.pyplot", "plots")


def _matrix_of(results: Sequence[MetricResult]) -> tuple[list[str], np.ndarray] | None:
    for r in results:
        extra = r.extra or {}
        if "matrix" in extra and "labels" in extra:
            return list(extra["labels"]), np.asarray(extra["matrix"], dtype=np.int64)
    return None


def write_plots(results: Sequence[MetricResult], out_dir: str | Path) -> list[str]:
    """Write the plots that apply to ``results`` into ``out_dir`` (module docstring); returns the paths.

    Raises:
        MissingExtraError: matplotlib is not installed.
        InputError: ``out_dir`` exists and is not a directory.
    """
    plt = require_matplotlib()
    from avbench.metrics.sed.plots import _save
    from avbench.metrics.sed.plots import write_plots as sed_plots

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--plots {out_dir}: exists and is not a directory")
    written = sed_plots([r for r in results if "matrix" not in (r.extra or {})], out_dir)
    found = _matrix_of(results)
    if found is not None:
        names, cm = found
        rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        size = max(4.0, 0.35 * len(names) + 2)
        fig, ax = plt.subplots(figsize=(size + 1, size))
        im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        if len(names) <= 30:
            for (i, j), n in np.ndenumerate(cm):
                if n:
                    ax.text(j, i, str(n), ha="center", va="center", fontsize=6,
                            color="white" if rates[i, j] > 0.5 else "black")
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title("confusion matrix (colour: fraction of the true class)")
        fig.colorbar(im, ax=ax, fraction=0.046)
        written.append(_save(fig, out_dir / "confusion_matrix.png", plt))
    return written
