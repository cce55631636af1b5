"""The SELD frame table: :class:`SeldFrames`, one row per active source per frame, as parallel arrays.

Every SELD reader (:mod:`avbench.metrics.seld.io`, :mod:`avbench.metrics.seld._interval`) and the
JSON adapter (:mod:`avbench.metrics.seld.files`) produce this table; every edition scores it.

Example:
    >>> t = from_rows(["a.csv", "b.csv"], [0, 1, 1], [0, 0, 3], [2, 0, 0], [30.0, -10.0, 170.0])
    >>> len(t), t.select(["b.csv"]).frame.tolist(), t.take(t.frame > 0).azimuth.tolist()
    (3, [0, 3], [170.0])
    >>> bool(np.isnan(t.score).all())  # no score column: every row is a decision
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from avbench.errors import InputError

__all__ = ["SeldFrames", "from_rows", "concat", "COLUMNS"]

#: the per-row columns, in field order (``file`` precedes them)
COLUMNS = ("frame", "cls", "track", "azimuth", "elevation", "distance", "onscreen", "score")


@dataclass(frozen=True)
class SeldFrames:
    """Frame-wise SELD labels of several files as parallel arrays (one row per active source).

    Attributes:
        files: file names (the row ``file`` indexes this), including files with no rows.
        file, frame, cls, track: int64 ``[N]``.
        azimuth, elevation: float64 ``[N]`` degrees.
        distance: float64 ``[N]`` metres, NaN where absent.
        onscreen: int8 ``[N]``: 1 on screen, 0 off screen, -1 unknown.
        score: float64 ``[N]`` detection score of a predicted row, NaN for a hard decision (every
            CSV row, every reference row); only :mod:`avbench.metrics.seld.umons` reads it.
        n_frames: int64 ``[len(files)]`` clip length in frames, -1 when unknown.
        classes: class names, index = class id.
        hop: frame hop in seconds.
    """

    files: tuple[str, ...]
    file: np.ndarray
    frame: np.ndarray
    cls: np.ndarray
    track: np.ndarray
    azimuth: np.ndarray
    elevation: np.ndarray
    distance: np.ndarray
    onscreen: np.ndarray
    score: np.ndarray
    n_frames: np.ndarray
    classes: tuple[str, ...]
    hop: float = 0.1

    def __len__(self) -> int:
        return len(self.frame)

    def take(self, keep: np.ndarray) -> SeldFrames:
        """The rows where the boolean mask ``keep`` is true (same files)."""
        cols = {c: getattr(self, c)[keep] for c in ("file",) + COLUMNS}
        return SeldFrames(self.files, n_frames=self.n_frames, classes=self.classes, hop=self.hop, **cols)

    def select(self, names: Sequence[str]) -> SeldFrames:
        """The rows of the named files, re-indexed to ``names`` (absent names get no rows)."""
        if tuple(names) == self.files:
            return self
        pos = {n: i for i, n in enumerate(self.files)}
        remap = np.full(len(self.files) + 1, -1, dtype=np.int64)
        nf = np.full(len(names), -1, dtype=np.int64)
        for j, n in enumerate(names):
            if n in pos:
                remap[pos[n]] = j
                nf[j] = self.n_frames[pos[n]]
        new = remap[self.file]
        keep = new >= 0
        cols = {c: getattr(self, c)[keep] for c in COLUMNS}
        return SeldFrames(tuple(names), new[keep], n_frames=nf, classes=self.classes, hop=self.hop, **cols)


def from_rows(files, file, frame, cls, azimuth, elevation=None, *, track=None, distance=None, onscreen=None,
              score=None, n_frames=None, classes=(), hop=0.1) -> SeldFrames:
    """Build a table from arrays (missing optional columns: track 0, elevation 0, NaN, -1, NaN)."""
    n = len(frame)
    z = np.zeros(n)
    return SeldFrames(
        tuple(files), np.asarray(file, dtype=np.int64), np.asarray(frame, dtype=np.int64),
        np.asarray(cls, dtype=np.int64),
        np.zeros(n, dtype=np.int64) if track is None else np.asarray(track, dtype=np.int64),
        np.asarray(azimuth, dtype=float), z if elevation is None else np.asarray(elevation, dtype=float),
        np.full(n, np.nan) if distance is None else np.asarray(distance, dtype=float),
        np.full(n, -1, dtype=np.int8) if onscreen is None else np.asarray(onscreen, dtype=np.int8),
        np.full(n, np.nan) if score is None else np.asarray(score, dtype=float),
        np.full(len(files), -1, dtype=np.int64) if n_frames is None else np.asarray(n_frames, dtype=np.int64),
        tuple(classes), float(hop),
    )


def concat(tables: Iterable[SeldFrames]) -> SeldFrames:
    """Stack tables of different files (file names must not repeat)."""
    tables = list(tables)
    files: list[str] = []
    parts: dict[str, list[np.ndarray]] = {c: [] for c in ("file",) + COLUMNS}
    nfs = []
    for t in tables:
        for c in COLUMNS:
            parts[c].append(getattr(t, c))
        parts["file"].append(t.file + len(files))
        files.extend(t.files)
        nfs.append(t.n_frames)
    if len(set(files)) != len(files):
        seen: set[str] = set()
        dup = next(f for f in files if f in seen or seen.add(f))
        raise InputError(f"SELD input: file name {dup!r} appears twice; file names must be unique across folders")
    first = tables[0] if tables else None
    return SeldFrames(
        tuple(files), *(np.concatenate(parts[c]) if parts[c] else np.zeros(0) for c in ("file",) + COLUMNS),
        n_frames=np.concatenate(nfs) if nfs else np.zeros(0, dtype=np.int64),
        classes=first.classes if first else (), hop=first.hop if first else 0.1,
    )
