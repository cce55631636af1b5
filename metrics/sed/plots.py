"""Plots of SED results (matplotlib, the ``plots`` extra): per-class F1 bars and PSD-ROC curves.

:func:`write_plots` writes, for each result,

- ``<id>_class_f1.png``: a bar per class of the class-wise ``f1`` (when the result has one), with
  the macro and micro F1 as lines;
- ``<id>_psd_roc.png``: the PSD-ROC when ``result.extra["psd_roc"]`` exists. Accepted layouts:
  ``{"efpr": [...], "tpr": [...]}`` (as :mod:`avbench.metrics.sed.psd` writes it; also ``"etpr"``,
  ``"x"``/``"y"``, ``"fpr"``/``"tpr"``), with per-class curves from ``extra["class_rocs"]``
  (``{class: {"efpr", "tpr"}}``) drawn thin, and ``params["max_efpr"]`` as the integration limit.

Example:
    >>> _xy({"efpr": [0, 10], "etpr": [0.1, 0.5]})
    (array([ 0., 10.]), array([0.1, 0.5]))
    >>> _xy([[0, 0.1], [10, 0.5]])
    (array([ 0., 10.]), array([0.1, 0.5]))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.extras import require
from avbench.results import MetricResult

__all__ = ["write_plots"]

_XY_KEYS = (("efpr", "etpr"), ("efpr", "tpr"), ("x", "y"), ("fpr", "tpr"))


def _xy(obj: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(x, y)`` arrays from one of the accepted curve layouts, or ``None``."""
    if isinstance(obj, Mapping):
        for kx, ky in _XY_KEYS:
            if kx in obj and ky in obj:
                return np.asarray(obj[kx], dtype=np.float64), np.asarray(obj[ky], dtype=np.float64)
        return None
    arr = np.asarray(obj, dtype=np.float64) if isinstance(obj, Sequence) and len(obj) else None
    if arr is not None and arr.ndim == 2 and arr.shape[1] == 2:
        return arr[:, 0], arr[:, 1]
    return None


def _save(fig: Any, path: Path, plt: Any) -> str:
    from avbench.io import atomic_open

    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return str(path)


def write_plots(results: Sequence[MetricResult], out_dir: Path) -> list[str]:
    """Write the plots of ``results`` into ``out_dir``; returns the written paths.

    Raises:
        MissingExtraError: matplotlib is not installed (``pip install "avbench[plots]"``).
        InputError: ``out_dir`` exists and is not a directory.
    """
    matplotlib = require("matplotlib", "plots")
    matplotlib.use("Agg", force=True)
    plt = require("matplotlib.pyplot", "plots")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--plots {out_dir}: exists and is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for r in results:
        f1 = {k: v.get("f1") for k, v in r.class_wise.items() if isinstance(v, Mapping) and v.get("f1") is not None}
        if f1:
            fig, ax = plt.subplots(figsize=(max(4.0, 0.5 * len(f1) + 2), 3.5))
            ax.bar(range(len(f1)), list(f1.values()), color="#4c72b0")
            ax.set_xticks(range(len(f1)), list(f1), rotation=45, ha="right", fontsize=8)
            for key, style in (("f1_macro", "--"), ("f1", ":")):
                if r.overall.get(key) is not None:
                    ax.axhline(r.overall[key], color="k", linestyle=style, linewidth=1, label=f"{key} {r.overall[key]:.3f}")
            ax.set_ylim(0, 1)
            ax.set_ylabel("F1")
            ax.set_title(f"{r.id} v{r.version}: class-wise F1")
            ax.legend(fontsize=8, loc="upper right")
            written.append(_save(fig, out_dir / f"{r.id}_class_f1.png", plt))
        roc = r.extra.get("psd_roc") if r.extra else None
        curve = _xy(roc) if roc is not None else None
        if curve is not None:
            fig, ax = plt.subplots(figsize=(5, 4))
            per = r.extra.get("class_rocs") or {}
            for name, c in dict(per).items():
                xy = _xy(c)
                if xy is not None:
                    ax.step(*xy, where="post", linewidth=0.7, alpha=0.6, label=str(name))
            ax.step(*curve, where="post", color="k", linewidth=2, label="PSD-ROC")
            max_efpr = r.params.get("max_efpr")
            if max_efpr is not None:
                ax.axvline(float(max_efpr), color="grey", linestyle="--", linewidth=1)
            value = r.overall.get("psds")
            ax.set_title(f"{r.id} v{r.version}" + (f": PSDS {value:.4f}" if value is not None else ""))
            ax.set_xlabel("eFPR (per hour)")
            ax.set_ylabel("eTPR")
            ax.set_ylim(0, 1.02)
            ax.legend(fontsize=6, loc="lower right")
            written.append(_save(fig, out_dir / f"{r.id}_psd_roc.png", plt))
    return written
