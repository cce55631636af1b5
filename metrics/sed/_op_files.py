"""Operating-point detection files read straight into :class:`DetectionColumns` (no Event objects).

:func:`read_operating_point_columns` reads the same inputs as
:func:`avbench.metrics.sed.io.read_operating_points` (a directory of ``*_<threshold>.tsv``
files or a ``threshold<TAB>path`` list) with the same rules, but for speed:

- a file is split into cells by one C-level ``str.split``; clip and label names are mapped through
  dicts, times converted with ``float()`` once per distinct string (frame-quantised times repeat);
- the rows of all files are deduplicated once at the end
  (:func:`~avbench.metrics.sed._detections.canonical`: one sort of the values);
- a file the fast path cannot take as it is (no header, ragged rows, spaces around cells, a bad
  number, an unknown label, ``onset > offset``...) is read by
  :func:`~avbench.metrics.sed.io.read_events_tsv` instead, which accepts the other layouts and
  raises the one-line error naming file and line.

Rows with an empty label declare a clip without detections; ``onset == offset`` rows are dropped
with a warning (as :func:`~avbench.metrics.sed.io.read_events_tsv`).

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> head = "filename\\tonset\\toffset\\tevent_label\\n"
    >>> _ = (d / "op_0.3.tsv").write_text(head + "a.wav\\t1.0\\t3.0\\tdog\\na.wav\\t5.0\\t6.0\\tcat\\nb.wav\\t\\t\\t\\n")
    >>> _ = (d / "op_0.7.tsv").write_text(head + "a.wav\\t1.0\\t3.0\\tdog\\n")
    >>> cols = read_operating_point_columns(d)
    >>> cols.thresholds, cols.clips, cols.n_distinct, cols.op.tolist()
    ((0.3, 0.7), ('a.wav', 'b.wav'), 2, [0, 0, 1])
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from avbench.metrics.sed._detections import DetectionColumns, canonical
from avbench.metrics.sed.io import (
    _FILE_COLS, _LABEL_COLS, _OFFSET_COLS, _ONSET_COLS, _pick, operating_point_files, read_decoded, read_events_tsv,
    sniff_separator)

__all__ = ["read_operating_point_columns"]

class _Fallback(Exception):
    """The fast path cannot read this file as it is: use read_events_tsv."""


def _floats(cells: list[str]) -> np.ndarray:
    """``float()`` of every cell; each distinct string converted once (times repeat a lot)."""
    conv = dict.fromkeys(cells)
    if len(conv) * 4 > len(cells):
        return np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
    for c in conv:
        conv[c] = float(c)
    return np.fromiter(map(conv.__getitem__, cells), dtype=np.float64, count=len(cells))


class _Reader:
    """Accumulates the rows of every file as columns; :meth:`columns` deduplicates them once."""

    def __init__(self, labels: Iterable[str] | None) -> None:
        self.fixed = None if labels is None else tuple(labels)
        self.lab_pos: dict[str, int] = {} if self.fixed is None else {n: i for i, n in enumerate(self.fixed)}
        self.lab_pos[""] = -1  # a row with an empty label declares a clip
        self.clip_pos: dict[str, int] = {}
        self.parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # op, clip, cls, on, off
        self.dropped = 0

    def add(self, op: int, path: Path) -> None:
        try:
            self._fast(op, path)
        except _Fallback:
            self._slow(op, path)

    def _fast(self, op: int, path: Path) -> None:
        lines = read_decoded(path).splitlines()
        start = next((i for i, ln in enumerate(lines) if ln.strip()), None)
        if start is None:
            return
        first = lines[start]
        sep = sniff_separator(path, first, start + 1)
        head = [c.strip().lower() for c in first.split(sep)]
        cols = [_pick(head, names) for names in (_FILE_COLS, _ONSET_COLS, _OFFSET_COLS, _LABEL_COLS)]
        if any(c is None for c in cols):
            raise _Fallback
        body = lines[start + 1:]
        if "" in body:
            body = [ln for ln in body if ln]
        if not body:
            return
        ncol = len(head)
        flat = sep.join(body).split(sep)
        if len(flat) != len(body) * ncol:
            raise _Fallback
        fi, oi, fo, li = cols
        names, labs = flat[fi::ncol], flat[li::ncol]
        distinct, dlabs = dict.fromkeys(names), set(labs)
        # read_events_tsv strips every cell (float() ignores surrounding white space by itself)
        if "" in distinct or any(n != n.strip() for n in itertools.chain(distinct, dlabs)):
            raise _Fallback
        unknown = dlabs.difference(self.lab_pos)
        if unknown and self.fixed is not None:
            raise _Fallback
        new_clips = [n for n in distinct if n not in self.clip_pos]
        cls = np.fromiter(map(dict(self.lab_pos, **{n: -2 for n in unknown}).__getitem__, labs), dtype=np.int64,
                          count=len(labs))
        has = cls != -1
        on_s, off_s = flat[oi::ncol], flat[fo::ncol]
        if not has.all():
            on_s, off_s = list(itertools.compress(on_s, has)), list(itertools.compress(off_s, has))
        try:
            on, off = _floats(on_s), _floats(off_s)
        except ValueError:
            raise _Fallback from None
        if not (np.isfinite(on).all() and np.isfinite(off).all() and (on >= 0).all() and (on <= off).all()):
            raise _Fallback
        # the file is good: only now record its clips and labels
        for n in sorted(unknown):
            self.lab_pos[n] = len(self.lab_pos) - 1
        if unknown:
            cls = np.fromiter(map(self.lab_pos.__getitem__, labs), dtype=np.int64, count=len(labs))
        for n in new_clips:
            self.clip_pos[n] = len(self.clip_pos)
        clip = np.fromiter(map(self.clip_pos.__getitem__, names), dtype=np.int64, count=len(names))
        keep = on < off
        self.dropped += int(keep.size - np.count_nonzero(keep))
        self.parts.append((op, clip[has][keep], cls[has][keep], on[keep], off[keep]))

    def _slow(self, op: int, path: Path) -> None:
        st: dict[str, Any] = {}
        events = read_events_tsv(path, labels=self.fixed, stats=st)
        self.dropped += st.get("zero_length", 0)
        clip_l, lab_l, on_l, off_l = [], [], [], []
        for name, evs in events.items():
            c = self.clip_pos.setdefault(name, len(self.clip_pos))
            for e in evs:
                if e.label not in self.lab_pos:
                    self.lab_pos[e.label] = len(self.lab_pos) - 1
                clip_l.append(c)
                lab_l.append(self.lab_pos[e.label])
                on_l.append(e.onset)
                off_l.append(e.offset)
        self.parts.append((op, np.asarray(clip_l, dtype=np.int64), np.asarray(lab_l, dtype=np.int64),
                           np.asarray(on_l, dtype=np.float64), np.asarray(off_l, dtype=np.float64)))

    def columns(self, thresholds: tuple[float, ...]) -> DetectionColumns:
        op = np.concatenate([np.full(p[1].size, p[0], dtype=np.int64) for p in self.parts] + [np.zeros(0, np.int64)])
        clip, cls = (np.concatenate([p[i] for p in self.parts] + [np.zeros(0, np.int64)]) for i in (1, 2))
        on, off = (np.concatenate([p[i] for p in self.parts] + [np.zeros(0)]) for i in (3, 4))
        c, k, a, b, uid = canonical(clip, cls, on, off, np.arange(op.size))
        labels = tuple(n for n in self.lab_pos if n != "")
        return DetectionColumns(thresholds, tuple(self.clip_pos), labels, c, k, a, b, op, uid)


def read_operating_point_columns(path: str | Path, *, labels: Iterable[str] | None = None,
                                 stats: dict[str, Any] | None = None) -> DetectionColumns:
    """Read detections at several thresholds into :class:`DetectionColumns` (module docstring).

    Args:
        path: a directory of ``*_<threshold>.tsv`` files, or a ``threshold<TAB>path`` list.
        labels: the allowed class names (then ``cls`` indexes them); a label outside them is an
            error naming file and line.
        stats: when given, dropped zero-length detections are also counted in it (``zero_length``,
            ``zero_length_example``), as in
            :func:`~avbench.metrics.sed.io.read_events_tsv`.

    Raises:
        InputError: as :func:`~avbench.metrics.sed.io.read_operating_points`.
    """
    entries = operating_point_files(path)
    reader = _Reader(labels)
    for o, (_, f) in enumerate(entries):
        reader.dropped = 0
        reader.add(o, f)
        if reader.dropped:
            if stats is not None:
                stats["zero_length"] = stats.get("zero_length", 0) + reader.dropped
                stats.setdefault("zero_length_example", str(f))
            warnings.warn(f"{f}: dropped {reader.dropped} zero-length event(s) (onset == offset)", stacklevel=2)
    return reader.columns(tuple(th for th, _ in entries))
