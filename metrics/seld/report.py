"""Plumbing shared by the SELD editions: file alignment, scored frame range, results with intervals.

Edge policies (pinned by tests):

- a reference file without a prediction file is scored as an empty prediction and listed in the
  result (``extra["missing_predictions"]`` and a flag); with ``compat="official"`` it is left out,
  as the official scripts (which iterate over the prediction folder) do;
- a prediction file without a reference file is an :class:`InputError`;
- scored frames: ``[0, n)`` with ``n`` the clip length in frames when known, else the last frame
  index in reference or prediction + 1; segment editions score ``ceil(n / block)`` whole segments.
  ``compat="official"`` uses the official rule instead (the last *annotated* reference frame
  index, so that frame is never scored in frame-level editions, or a fixed clip length).

Example:
    >>> from avbench.metrics.seld.io import from_rows
    >>> ref = from_rows(["a", "b"], [0, 1], [3, 5], [0, 0], [0.0, 0.0])
    >>> pred = from_rows(["a"], [0], [4], [0], [0.0])
    >>> r, p, kept, missing, n = align(ref, pred, compat="none", block=1, official_frames="max_ref")
    >>> kept, missing, n.tolist()
    (('a', 'b'), ('b',), [5, 6])
    >>> align(ref, pred, compat="official", block=1, official_frames="max_ref")[2:4]
    (('a',), ('b',))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.metrics.seld._common import COMPAT, jackknife
from avbench.metrics.seld.engine import clip_frames
from avbench.metrics.seld.io import SeldFrames
from avbench.results import MetricResult

__all__ = ["align", "finish", "safe_div", "class_names"]


def safe_div(num, den):
    """``num / den`` with 0 where ``den == 0`` (element-wise)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def class_names(ref: SeldFrames, n_classes: int) -> list[str]:
    names = list(ref.classes)[:n_classes]
    return names + [str(i) for i in range(len(names), n_classes)]


def align(
    reference: SeldFrames,
    predicted: SeldFrames,
    *,
    compat: str,
    block: int,
    official_frames: str,
    fixed_frames: int | None = None,
) -> tuple[SeldFrames, SeldFrames, tuple[str, ...], tuple[str, ...], np.ndarray]:
    """Match files by name and cut both tables to the scored frames.

    Returns ``(ref, pred, kept files, missing prediction files, scored frames per file)``.
    """
    if compat not in COMPAT:
        raise InputError(f"compat must be one of {COMPAT}, got {compat!r}")
    ref_names = set(reference.files)
    extra = [f for f in predicted.files if f not in ref_names]
    if extra:
        raise InputError(f"prediction file {extra[0]!r} has no reference file of the same name "
                         f"({len(extra)} such file(s)); check the --reference folder")
    pred_names = set(predicted.files)
    missing = tuple(f for f in reference.files if f not in pred_names)
    kept = tuple(f for f in reference.files if compat == "none" or f in pred_names)
    ref = reference.select(kept)
    pred = predicted.select(kept)
    nf = len(kept)
    rmax = np.full(nf, -1, dtype=np.int64)
    pmax = np.full(nf, -1, dtype=np.int64)
    np.maximum.at(rmax, ref.file, ref.frame)
    np.maximum.at(pmax, pred.file, pred.frame)
    if compat == "official":
        if official_frames == "fixed":
            n = np.full(nf, int(fixed_frames), dtype=np.int64)
        else:  # the official scripts: number of frames = the largest annotated frame index
            n = np.maximum(rmax, 0)
    else:
        n = np.where(ref.n_frames >= 0, ref.n_frames, np.maximum(rmax, pmax) + 1)
    limit = -(-n // block) * block
    return clip_frames(ref, limit), clip_frames(pred, limit), kept, missing, n


def finish(
    *,
    metric_id: str,
    version: str,
    params: Mapping[str, Any],
    stats: Mapping[str, np.ndarray],
    derive: Callable[[Mapping[str, np.ndarray]], tuple[dict[str, float], dict[str, np.ndarray], list[str]]],
    classes: Sequence[str],
    kept: Sequence[str],
    missing: Sequence[str],
    compat: str,
    with_jackknife: bool,
) -> MetricResult:
    """Sum per-file statistics, derive the values, add leave-one-file-out intervals and flags."""
    total = {k: v.sum(axis=0) for k, v in stats.items()}
    overall, per_class, flags = derive(total)
    class_wise = {c: {k: float(v[i]) for k, v in per_class.items()} for i, c in enumerate(classes)}
    extra: dict[str, Any] = {"n_files": len(kept), "counts": {k: v.tolist() for k, v in total.items()}}
    if missing:
        extra["missing_predictions"] = list(missing)
        how = "left out (compat='official')" if compat == "official" else "scored as empty predictions"
        flags = [f"{len(missing)} reference file(s) have no prediction file, {how}: {', '.join(missing[:5])}"
                 + (" ..." if len(missing) > 5 else "")] + flags
    if with_jackknife and len(kept) >= 2:
        extra["confidence_intervals"] = jackknife(stats, lambda s: derive(s)[0])
        extra["confidence_level"] = 0.95
    elif with_jackknife:
        flags.append("jackknife intervals need at least 2 files; none computed")
    return MetricResult(metric_id, version, dict(params), overall, class_wise, tuple(flags), extra)
