"""The SELD metrics as one function of plain inputs: ``seld(reference, predictions, edition="2024")``.

``edition`` picks the registered configuration (``"2019"`` ... ``"2025"`` -> ``seld-dcaseYYYY``,
``"umons"`` -> ``seld-umons``) and its defaults. Inputs, for both sides:

- a DCASE metadata / prediction CSV, or a directory of them (matched by file name), read with that
  edition's layout exactly as ``avbench evaluate --metrics seld-dcaseYYYY`` reads them;
- a :class:`~avbench.metrics.seld.io.SeldFrames` table;
- ``{file: rows}`` with rows ``[frame, class, track, azimuth, elevation(, distance(, onscreen))]``
  (degrees, metres, onscreen 0/1; ``track`` is the DCASE source / track index; ``NaN`` distance =
  not given) as a list of lists or an ``[R, 5|6|7]`` array.

Example:
    >>> ref = {"mix001": [[0, 0, 0, 30.0, 0.0], [1, 0, 0, 30.0, 0.0]]}
    >>> pred = {"mix001": [[0, 0, 0, 32.0, 0.0], [1, 0, 0, 31.0, 0.0]]}
    >>> r = seld(ref, pred, edition="2022", n_classes=1, jackknife=False)
    >>> r.id, r.overall["f1"], round(r.overall["localization_error"], 3)
    ('seld-dcase2022', 1.0, 1.5)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.metrics.seld.io import SeldFrames, concat, from_rows
from avbench.results import MetricResult

__all__ = ["seld", "EDITIONS", "as_frames"]

EDITIONS = {"2019": "seld-dcase2019", "2020": "seld-dcase2020", "2021": "seld-dcase2021", "2022": "seld-dcase2022",
            "2023": "seld-dcase2023", "2024": "seld-dcase2024", "2025": "seld-dcase2025", "umons": "seld-umons"}


def as_frames(obj: Any, *, metric_id: str, n_classes: int, hop: float | None = None, side: str = "reference",
              options: Mapping[str, str] | None = None, n_frames: Mapping[str, int] | None = None,
              labels: Sequence[str] | None = None) -> SeldFrames:
    """A frame table from a path, a :class:`SeldFrames` or ``{file: rows}`` (module docstring)."""
    if isinstance(obj, SeldFrames):
        return obj
    from avbench.metrics.seld.files import READ_DEFAULTS

    d = READ_DEFAULTS.get(metric_id, {})
    step = float(hop if hop is not None else d.get("hop", 0.1))
    if isinstance(obj, (str, os.PathLike)):
        from avbench.metrics.seld.files import _read_one

        return _read_one(metric_id, Path(obj), side, {**(options or {}), "n_classes": str(n_classes), "hop": str(step)})
    if not isinstance(obj, Mapping):
        raise InputError(f"{side}: expected a CSV path, a SeldFrames table or {{file: rows}}, got {type(obj).__name__}")
    parts = []
    for name, rows in obj.items():
        a = np.asarray(rows, dtype=float).reshape(-1, np.shape(rows)[-1] if len(rows) else 5)
        if a.shape[1] not in (5, 6, 7):
            raise InputError(f"{side}: file {name!r}: rows must be [frame, class, track, azimuth, elevation"
                             f"(, distance(, onscreen))], got {a.shape[1]} columns")
        if a.size and (a[:, 1].min() < 0 or a[:, 1].max() >= n_classes):
            raise InputError(f"{side}: file {name!r}: class indices must be in 0..{n_classes - 1}")
        parts.append(from_rows([str(name)], np.zeros(len(a)), a[:, 0], a[:, 1], a[:, 3], a[:, 4], track=a[:, 2],
                               distance=a[:, 5] if a.shape[1] >= 6 else None,
                               onscreen=a[:, 6].astype(np.int8) if a.shape[1] == 7 else None, hop=step,
                               n_frames=None if n_frames is None else [int(n_frames[name])],
                               classes=tuple(labels if labels is not None else d.get("classes", ()))))
    if not parts:
        return from_rows([], [], [], [], [], hop=step, classes=tuple(labels or ()))
    return concat(parts)


def seld(reference: Any, predictions: Any, *, edition: str = "2024", labels: Sequence[str] | None = None,
         n_classes: int | None = None,
         hop: float | None = None, n_frames: Mapping[str, int] | None = None,
         options: Mapping[str, str] | None = None, **params: Any) -> MetricResult:
    """SELD scores of one DCASE edition (or SECL-UMONS) on plain inputs.

    Args:
        reference, predictions: CSV paths, :class:`SeldFrames` or ``{file: rows}`` (module docstring).
        edition: ``"2019"`` ... ``"2025"`` or ``"umons"``.
        labels: the class names, index order (``{file: rows}`` inputs; default: the edition's
            names where it has them, else class indices).
        n_classes: number of classes (default: ``len(labels)``, else the edition's, e.g. 13 for
            STARSS22/23).
        hop: frame length in seconds of ``{file: rows}`` inputs (default: the edition's, 0.1 s
            except 2019's 0.02 s).
        n_frames: ``{file: frames}``, the length of each file of ``{file: rows}`` inputs (default:
            unknown; editions that use the last frame need it).
        options: reader options for CSV inputs, as ``avbench evaluate -o`` (``layout``,
            ``angle_unit``, ``ref_distance_unit``, ``pred_distance_unit``).
        **params: parameters of the registered configuration (``compat``, ``average``,
            ``jackknife``, ...), checked against its signature.

    Returns:
        The edition's :class:`~avbench.results.MetricResult` (F1 / ER within 20 degrees, DOA error,
        recall, SELD score and the edition's additions; see the edition's module).

    Raises:
        InputError: an unknown edition, malformed rows or files.
    """
    from avbench import registry
    from avbench.metrics.seld.files import READ_DEFAULTS

    metric_id = EDITIONS.get(str(edition))
    if metric_id is None:
        raise InputError(f"unknown SELD edition {edition!r}; known: {', '.join(EDITIONS)}")
    cfg = registry.metric(metric_id)
    n = int(n_classes if n_classes is not None else len(labels) if labels is not None
            else READ_DEFAULTS.get(metric_id, {}).get("n_classes", 13))
    ref = as_frames(reference, metric_id=metric_id, n_classes=n, hop=hop, side="reference", options=options,
                    n_frames=n_frames, labels=labels)
    pred = as_frames(predictions, metric_id=metric_id, n_classes=n, hop=ref.hop, side="predictions", options=options,
                     n_frames=n_frames, labels=labels)
    return cfg.compute(ref, pred, n_classes=n, **params)
