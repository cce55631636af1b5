"""Which of avbench's SELD rules that differ from the official DCASE code fired on some data, and how often.

Under the default profile every SELD result is also computed with ``compat="official"``; this module says
*why* the two differ, rule by rule, on the data at hand (:func:`fired`). Each deviation is a dict
``{"rule", "count", "example"}``; only rules that fired are listed. The rules:

- ``missing prediction files``: a reference file without a prediction file is scored as empty by avbench,
  left out by the official drivers (which loop over the prediction folder);
- ``scored frames``: avbench scores frames ``[0, clip length)`` (or up to the last frame of either file);
  the official code scores a fixed 60 s in 2019-2021 (3000 frames of 20 ms, 600 of 100 ms) and up to, but not
  including, the last annotated reference frame in 2022-2025. Counted: files whose scored range differs;
  the example gives both ranges and the rows of either file inside only one of them;
- ``angle formula``: avbench's ``atan2(|u x v|, u . v)`` against the official spherical law of cosines
  (2019-2023) or the 2024 Cartesian formula with its ``1e-10`` guard (which gives 8.1e-4 degrees for equal
  directions); counted over reference/prediction rows of the same file, frame and class whose angle differs
  by more than 1e-9 degrees between the two formulas (the pairs the matching can choose from);
- ``2019 direction grid``: the official 2019 code floors directions to its 10 degree grid (azimuth in
  [-180, 170], elevation in [-40, 40]) before scoring; counted: rows off that grid;
- rules the official computation states itself (its result's flags that name the official code and that
  avbench's result lacks, e.g. the 2020 SELD score using ``1 - localization_f1``), counted once.

Example:
    >>> from avbench.metrics.seld.io import from_rows
    >>> ref = from_rows(["a", "b"], [0, 0, 1], [0, 5, 0], [0, 0, 0], [10.0, 10.0, 10.0], n_frames=[10, 10])
    >>> pred = from_rows(["a"], [0], [0], [0], [10.0], n_frames=[10])
    >>> [(d["rule"], d["count"]) for d in fired("seld-dcase2022", ref, pred, (), ())]
    [('missing prediction files', 1), ('scored frames', 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from avbench.metrics.seld._common import angle_cartesian, angle_robust, angle_spherical
from avbench.metrics.seld.io import SeldFrames

__all__ = ["fired", "OFFICIAL_ANGLE"]

OFFICIAL_ANGLE = {"seld-dcase2019": angle_spherical, "seld-dcase2020": angle_spherical,
                  "seld-dcase2021": angle_spherical, "seld-dcase2022": angle_spherical,
                  "seld-dcase2023": angle_spherical, "seld-dcase2024": angle_cartesian}
"""The official great-circle formula per edition (2025 compares azimuths only, as avbench does)."""


def _last(t: SeldFrames, n_files: int, file_index: np.ndarray) -> np.ndarray:
    out = np.full(n_files, -1, dtype=np.int64)
    np.maximum.at(out, file_index, t.frame)
    return out


def _frame_ranges(ref: SeldFrames, pred: SeldFrames, fixed_frames: int | None) -> dict[str, Any] | None:
    names = list(ref.files)
    pos = {f: i for i, f in enumerate(names)}
    n = len(names)
    pred_names = set(pred.files)
    have = np.array([f in pred_names for f in names], dtype=bool)
    p_file = np.array([pos.get(f, -1) for f in pred.files], dtype=np.int64)
    keep = p_file[pred.file] >= 0 if len(pred) else np.zeros(0, dtype=bool)
    rmax = _last(ref, n, ref.file)
    pmax = np.full(n, -1, dtype=np.int64)
    if keep.any():
        np.maximum.at(pmax, p_file[pred.file[keep]], pred.frame[keep])
    ours = np.where(ref.n_frames >= 0, ref.n_frames, np.maximum(rmax, pmax) + 1)
    theirs = np.full(n, fixed_frames) if fixed_frames is not None else np.maximum(rmax, 0)
    differ = np.flatnonzero(have & (ours != theirs))
    if differ.size == 0:
        return None
    lo, hi = np.minimum(ours, theirs), np.maximum(ours, theirs)
    lo[~have] = hi[~have] = 0  # files without predictions: the missing-files rule
    r_only = (ref.frame >= lo[ref.file]) & (ref.frame < hi[ref.file])
    p_fr = pred.frame[keep]
    p_fi = p_file[pred.file[keep]]
    p_only = (p_fr >= lo[p_fi]) & (p_fr < hi[p_fi])
    k = int(differ[0])
    return {"rule": "scored frames", "count": int(differ.size),
            "example": f"{names[k]}: avbench scores frames [0, {int(ours[k])}), the official code [0, {int(theirs[k])}); "
                       f"{int(r_only.sum())} reference and {int(p_only.sum())} prediction row(s) in all files lie in "
                       "frames only one of them scores"}


def _angles(metric_id: str, ref: SeldFrames, pred: SeldFrames) -> dict[str, Any] | None:
    formula = OFFICIAL_ANGLE.get(metric_id)
    if formula is None or len(ref) == 0 or len(pred) == 0:
        return None
    pos = {f: i for i, f in enumerate(ref.files)}
    p_file = np.array([pos.get(f, -1) for f in pred.files], dtype=np.int64)[pred.file]
    width = int(max(ref.frame.max(initial=0), pred.frame.max(initial=0))) + 1
    n_cls = int(max(ref.cls.max(initial=0), pred.cls.max(initial=0))) + 1
    rk = (ref.file.astype(np.int64) * width + ref.frame) * n_cls + ref.cls
    pk = np.where(p_file >= 0, (p_file * width + pred.frame) * n_cls + pred.cls, -1)
    order = np.argsort(pk, kind="stable")
    lo = np.searchsorted(pk[order], rk, side="left")
    hi = np.searchsorted(pk[order], rk, side="right")
    cnt = hi - lo
    if cnt.sum() == 0:
        return None
    ri = np.repeat(np.arange(len(ref)), cnt)
    pj = order[np.repeat(lo, cnt) + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))]
    a = angle_robust(ref.azimuth[ri], ref.elevation[ri], pred.azimuth[pj], pred.elevation[pj])
    b = formula(ref.azimuth[ri], ref.elevation[ri], pred.azimuth[pj], pred.elevation[pj])
    d = np.abs(a - b)
    n = int((d > 1e-9).sum())
    if n == 0:
        return None
    k = int(np.argmax(d))
    name = "Cartesian with a 1e-10 guard" if formula is angle_cartesian else "spherical law of cosines"
    return {"rule": "angle formula", "count": n,
            "example": f"{ref.files[ref.file[ri[k]]]} frame {int(ref.frame[ri[k]])}: {float(a[k]):.9g} degrees with "
                       f"avbench's atan2 formula, {float(b[k]):.9g} with the official {name}"}


def _grid_2019(ref: SeldFrames, pred: SeldFrames) -> dict[str, Any] | None:
    hits = []
    for side, t in (("reference", ref), ("prediction", pred)):
        az, el = t.azimuth, t.elevation
        on = (az == np.trunc(az)) & (el == np.trunc(el)) & (az % 10 == 0) & (el % 10 == 0) \
            & (az >= -180) & (az <= 170) & (el >= -40) & (el <= 40)
        off = np.flatnonzero(~on)
        if off.size:
            hits.append((side, t, off))
    if not hits:
        return None
    side, t, off = hits[0]
    k = int(off[0])
    return {"rule": "2019 direction grid", "count": int(sum(o.size for _, _, o in hits)),
            "example": f"{side} {t.files[t.file[k]]} frame {int(t.frame[k])}: azimuth {float(t.azimuth[k]):g}, "
                       f"elevation {float(t.elevation[k]):g} floored to the official 10 degree grid"}


def fired(metric_id: str, reference: SeldFrames, predicted: SeldFrames, official_flags: Sequence[str],
          default_flags: Sequence[str], *, fixed_frames: int | None = None) -> list[dict[str, Any]]:
    """The deviations from the official code that fired on these tables (module docstring), in rule order.

    ``fixed_frames`` is the metric's ``clip_frames`` where the official code scores a fixed clip length
    (2019-2021: what the edition's function was called with); ``None`` for the editions that score up to
    the last annotated reference frame.
    """
    out: list[dict[str, Any]] = []
    pred_names = set(predicted.files)
    missing = [f for f in reference.files if f not in pred_names]
    if missing:
        out.append({"rule": "missing prediction files", "count": len(missing),
                    "example": f"{missing[0]}: scored as empty by avbench, left out by the official code"})
    for found in (_frame_ranges(reference, predicted, fixed_frames), _angles(metric_id, reference, predicted),
                  _grid_2019(reference, predicted) if metric_id == "seld-dcase2019" else None):
        if found:
            out.append(found)
    for f in official_flags:  # only the rules it states (its consequences, e.g. classes left empty, are not rules)
        if f not in default_flags and "official" in f and "no prediction file" not in f:
            out.append({"rule": "official computation", "count": 1, "example": f})
    return out
