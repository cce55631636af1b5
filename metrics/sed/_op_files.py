"""Operating-point detection files read straight into :class:`DetectionColumns` (no Event objects).

:func:`read_operating_point_columns` reads the same inputs as
:func:`avbench.metrics.sed.io.read_operating_points` (a directory of ``*_<threshold>.tsv``
files or a ``threshold<TAB>path`` list) with the same rules. The result is bit for bit the one
of the general reader (every file through :func:`~avbench.metrics.sed.io.read_events_tsv`: the
same arrays, clips and labels in the same order, the same error, the same warnings; pinned by
``tests/metrics/sed/test_op_files.py`` on the real DESED operating points and hostile files), but
the plain files are parsed together, as bytes, with numpy:

- a file is plain when it is ASCII without spaces, LF or CRLF ended, its first line a header
  naming the four columns, TAB separated (or comma separated without tabs);
- the bytes of all plain files are joined; the positions of every TAB and LF (one
  ``np.flatnonzero``) give each row's cells; a file whose rows do not all have the header's number
  of cells, or that holds another control character, is not plain;
- equal cells get equal ids without making strings (:func:`_intern`): a cell is read as 8-byte
  words straight from the buffer; a time (at most 8 bytes) is its own key, a longer cell is hashed
  and every cell is then checked against the one its id stands for (a hash collision reads every
  file with the general reader); ids come from a sort of the keys and a small collision-free table.
  Only the distinct strings are decoded: 1,168 clip names, 10 labels and 157 times on DESED, where
  ``float()`` gives each time's value once;
- a row the general reader would refuse or read otherwise (no clip name, a bad or non-finite
  number, ``onset > offset``, a negative onset, an unknown label when ``labels`` are given, a
  declaration row with other cells set, a cell over 256 bytes) sends its whole file to
  :func:`~avbench.metrics.sed.io.read_events_tsv`, which gives the message naming file and line;
- rows come in the general reader's order (each clip's rows together, clips in order of first
  appearance; labels numbered as first seen), and the rows of all files are deduplicated once
  (:func:`~avbench.metrics.sed._detections.canonical`, given the times' ranks: one sort of one
  integer key).

Rows with an empty label declare a clip without detections; ``onset == offset`` rows are dropped
with a warning (as :func:`~avbench.metrics.sed.io.read_events_tsv`).

Speed, on the DCASE 2021 baseline's 50 operating points of DESED validation (9.6 MB, 174,730
rows; ``../shared/reference/desed/.../metrics_test/student/predictions_operating_points``), with
the 10 DESED labels: 50-55 ms per read in a warm interpreter against 140-147 ms for the former
reader (one ``str.split`` per file, dicts of names and times: medians of 21 reads, the two
readers alternating in one process, 2 December 2026, 2 shared cores at load 0.4-0.6), 70-74 ms
against 141-161 ms for the first read in a fresh interpreter (medians of 7, alternating). Of a
warm read: clip names 11 ms, times 7, finding the TABs and LFs 9, labels 6, the deduplication 5,
reading the files 4-5, the rest (structure checks, ordering, assembly) about 8. About 5 ms of it
is the C heap growing and shrinking around the large temporary arrays: with
``MALLOC_TOP_PAD_=200000000`` the same read takes 47-50 ms.

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

import os
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from avbench.metrics.sed._columns import sorted_unique
from avbench.metrics.sed._detections import DetectionColumns, canonical, sort_inverse
from avbench.metrics.sed.io import (
    _FILE_COLS, _LABEL_COLS, _OFFSET_COLS, _ONSET_COLS, _pick, operating_point_files, read_events_tsv)

__all__ = ["read_operating_point_columns"]

_LONGEST = 256  # bytes; a file with a longer cell is left to read_events_tsv
_PAD = bytes(8 * (_LONGEST // 8 + 1))  # whole 8-byte words read past a cell stay inside the buffer
_MASK = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [2**64 - 1], dtype=np.uint64)
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93],
                dtype=np.uint64)


def _body(path: Path) -> tuple[bytes, int, tuple[int, int, int, int]] | None:
    """A file's text as the batch parser takes it, with its column count and the four columns' positions.

    ``None`` when the file is not plain (not ASCII, a space, a CR outside CRLF, no header naming the
    four columns...): then :func:`~avbench.metrics.sed.io.read_events_tsv` reads it. The text comes
    from the header on, TAB separated (a comma file without tabs has its commas turned into tabs),
    LF ended; a blank line within it gives a row of one cell, which sends the file to the general
    reader.
    """
    try:
        with open(path, "rb", buffering=0) as f:
            data = f.readall()
    except OSError:
        return None
    if not data.isascii() or b" " in data:
        return None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:
            return None
    data = data.lstrip(b"\n")
    if not data:
        return b"", 0, (0, 0, 0, 0)  # an empty file
    if not data.endswith(b"\n") or data.endswith(b"\n\n"):
        data = data.rstrip(b"\n") + b"\n"
    first = data[:data.find(b"\n")]
    sep = b"\t" if b"\t" in first else b"," if b"," in first else None
    if sep is None:
        return None
    if sep == b",":
        if b"\t" in data:
            return None
        data = data.replace(b",", b"\t")
    head = first.decode().lower().split(sep.decode())
    cols = tuple(_pick(head, names) for names in (_FILE_COLS, _ONSET_COLS, _OFFSET_COLS, _LABEL_COLS))
    if None in cols:
        return None
    return data, len(head), cols  # type: ignore[return-value]


def _header(first: bytes) -> tuple[int, tuple[int, int, int, int]] | None:
    """Column count and the four columns' positions of a TAB separated header line, else ``None``."""
    head = first.decode().lower().split("\t")
    cols = tuple(_pick(head, names) for names in (_FILE_COLS, _ONSET_COLS, _OFFSET_COLS, _LABEL_COLS))
    return None if None in cols else (len(head), cols)  # type: ignore[return-value]


_Shape = tuple[int, int, int, tuple[int, int, int, int]]  # a plain file's offset and length in the buffer, its layout


def _in_place(files: list[Path]) -> tuple[bytearray, list[_Shape | None]] | None:
    """Every file read into one buffer, without copies, when each is plain as it is or not plain at
    all (``None`` when one needs :func:`_body`'s changes: CRLF, a comma separator, blank lines at
    its start or end, no LF at its end).
    """
    sizes = []
    for f in files:
        try:
            sizes.append(os.stat(f).st_size)
        except OSError:
            sizes.append(0)
    buf = bytearray(sum(sizes) + len(_PAD))
    view = memoryview(buf)
    refused = set()  # files not plain: unreadable, a space, a byte that is not ASCII
    at = 0
    for i, (f, n) in enumerate(zip(files, sizes)):
        try:
            with open(f, "rb", buffering=0) as h:
                got = 0
                while got < n and (step := h.readinto(view[at + got:at + n])):
                    got += step
                if got != n or h.read(1):
                    return None  # the file changed while read
        except OSError:
            refused.add(i)
        at += n
    text = np.frombuffer(buf, dtype=np.uint8, count=at)
    ends = np.cumsum(sizes)
    if buf.find(b" ") >= 0:
        refused.update(np.searchsorted(ends, np.flatnonzero(text == 32), side="right").tolist())
    if not buf.isascii():
        refused.update(np.searchsorted(ends, np.flatnonzero(text >= 128), side="right").tolist())
    shapes: list[_Shape | None] = []
    for i, n in enumerate(sizes):
        if i in refused:
            shapes.append(None)
            continue
        a = int(ends[i]) - n
        if not n:
            shapes.append((a, 0, 0, (0, 0, 0, 0)))
            continue
        if buf[a] == 10 or buf[a + n - 1] != 10 or (n > 1 and buf[a + n - 2] == 10) or buf.find(b"\r", a, a + n) >= 0:
            return None
        first = bytes(buf[a:buf.find(b"\n", a, a + n)])
        if b"\t" not in first:
            if b"," in first:
                return None
            shapes.append(None)
            continue
        layout = _header(first)
        shapes.append(None if layout is None else (a, n, *layout))
    return buf, shapes


def _joined(bodies: Iterable[tuple[bytes, int, tuple[int, int, int, int]] | None]
            ) -> tuple[bytes, list[_Shape | None]]:
    """The bodies (:func:`_body`) joined into one buffer, and where each lies."""
    texts, shapes, at = [], [], 0
    for b in bodies:
        shapes.append(None if b is None else (at, len(b[0]), *b[1:]))
        if b is not None:
            texts.append(b[0])
            at += len(b[0])
    return b"".join([*texts, _PAD]), shapes


def _words(buf: bytes, start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """``[W, N]`` uint64 words that hold each cell's bytes and nothing else, given its size.

    When every cell has ``K >= 1`` whole words and the rest of the longest fits in words ending
    where each cell ends: ``K`` words from the cell's start and those (two gathers, overlapping
    where a cell is shorter); else ``W`` words from its start, the bytes past the end zeroed (a cell
    holds no NUL byte).
    """
    n_words = max(1, -(-int(size.max(initial=0)) // 8))
    shortest = int(size.min()) if size.size else 0

    def at(pos: np.ndarray, n: int) -> np.ndarray:
        cells = np.ndarray((len(buf) - 8 * n + 1,), dtype=f"V{8 * n}", buffer=buf, strides=(1,))
        return cells[pos].view("<u8").reshape(-1, n)

    k = shortest // 8
    if n_words == 1:  # one word per cell: the gathered words are already a row
        return at(start, 1).reshape(1, -1) & _MASK[size]
    words = np.empty((n_words, size.size), dtype=np.uint64)
    if k and shortest >= 8 * (n_words - k):
        words[:k] = at(start, k).T
        if n_words > k:
            words[k:] = at(start + size - 8 * (n_words - k), n_words - k).T
        return words
    words[:] = at(start, n_words).T
    for j in range(n_words):
        if shortest < 8 * (j + 1):
            words[j] &= _MASK[np.clip(size - 8 * j, 0, 8)]
    return words


def _key(words: np.ndarray, size: np.ndarray) -> np.ndarray:
    """One uint64 per cell: the cell itself when it fits in a word, else a hash of its words (checked by :func:`_intern`)."""
    if words.shape[0] == 1:
        return words[0]
    h = size.astype(np.uint64) * _MIX[0]
    for j, w in enumerate(words):
        h += (w ^ (w >> np.uint64(29))) * _MIX[(j + 1) % 4]
    return h ^ (h >> np.uint64(32))


def _dense(key: np.ndarray, *, hashed: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """``(ids, distinct)``: ``ids[i]`` = position of ``key[i]`` among the sorted distinct keys
    ``distinct`` (``np.unique``'s inverse).

    The distinct keys come from one sort (no argsort). When they are few (times, labels), each key
    finds its position through a table of at most 2**16 entries indexed by a multiplicative hash
    that is collision-free on them (tried with a few multipliers); else ``np.unique``, or for
    ``hashed`` keys (which the caller checks) :func:`sort_inverse` of their high bits
    (``distinct`` is then ``None``).
    """
    if hashed and key.size > 4096:  # clip names: many distinct keys
        return sort_inverse((key >> np.uint64(1 + key.size.bit_length())).astype(np.int64))[0], None
    uniq = sorted_unique(key)
    m = int(uniq.size)
    if m <= 256:
        shift = np.uint64(64 - min(16, 2 * m.bit_length() + 2))
        for mult in _MIX:
            slot = (uniq * mult) >> shift
            if sorted_unique(slot).size == m:
                table = np.empty(1 << (64 - int(shift)), dtype=np.intp)
                table[slot] = np.arange(m)
                return table[(key * mult) >> shift], uniq
    if hashed:  # drop the hash's low bits to make room for the row numbers (the caller checks the cells)
        return sort_inverse((key >> np.uint64(1 + key.size.bit_length())).astype(np.int64))[0], None
    return np.unique(key, return_inverse=True)[1], uniq


class _Collision(Exception):
    """Two different cells with the same 64-bit hash (the batch is read file by file instead)."""


def _text(word: int) -> str:
    """The cell held by one word (its bytes up to the first NUL)."""
    return word.to_bytes(8, "little").rstrip(b"\0").decode()


def _intern(buf: bytes, start: np.ndarray, size: np.ndarray, *, runs: bool = False, prefix: bool = False
            ) -> tuple[np.ndarray, list[str]]:
    """``(ids, texts)``: equal cells get equal ids; ``texts[j]`` is the cell of id ``j``.

    ``runs``: cells often equal the one before (a clip's rows follow each other): only the first of
    each run of equal cells is hashed. ``prefix``: few distinct cells (labels): they are told apart
    by their first 8 bytes, which the cells of 8 bytes or more are then checked against (else
    hashed whole).

    Raises:
        _Collision: two different cells of more than 8 bytes hash alike.
    """
    if prefix:
        u64 = np.ndarray((len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
        ids, uniq = _dense(u64[start] & _MASK[np.minimum(size, 8)])
        texts = [_text(k) for k in uniq.tolist()]
        long_ = np.flatnonzero(size >= 8)
        if long_.size == 0:
            return ids, texts
        rep = np.full(len(texts), -1, dtype=np.intp)
        rep[ids[long_]] = long_
        their = rep[ids[long_]]
        if (size[their] == size[long_]).all():
            used = sorted_unique(their)
            words = _words(buf, start[np.r_[long_, used]], size[np.r_[long_, used]])
            if (words[:, :long_.size] == words[:, long_.size:][:, np.searchsorted(used, their)]).all():
                for j in np.flatnonzero(rep >= 0).tolist():
                    texts[j] = buf[start[rep[j]]:start[rep[j]] + size[rep[j]]].decode()
                return ids, texts
    words = _words(buf, start, size)
    if words.shape[0] == 1:  # each cell is its own key
        ids, uniq = _dense(words[0])
        return ids, [_text(k) for k in uniq.tolist()]
    if runs and size.size > 1:
        new = np.empty(size.size, dtype=bool)
        new[0] = True
        np.not_equal(size[1:], size[:-1], out=new[1:])
        for w in words:
            new[1:] |= w[1:] != w[:-1]
        heads = np.flatnonzero(new)
        ids, rep = _hashed(words[:, heads], size[heads])
        ids, rep = np.repeat(ids, np.diff(np.r_[heads, size.size])), heads[rep]
    else:
        ids, rep = _hashed(words, size)
    return ids, [buf[s:s + n].decode() for s, n in zip(start[rep].tolist(), size[rep].tolist())]


def _hashed(words: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, rep)`` of cells of several words, by a hash checked against the cells: cell ``rep[j]`` holds id ``j``.

    Raises:
        _Collision: two different cells hash alike.
    """
    ids = _dense(_key(words, size), hashed=True)[0]
    rep = np.empty(int(ids.max(initial=-1)) + 1, dtype=np.intp)
    rep[ids] = np.arange(ids.size)
    same = rep[ids]
    if not ((size[same] == size).all() and (words[:, same] == words).all()):
        raise _Collision
    return ids, rep


class _Batch:
    """Every plain file's rows, parsed together (module docstring): per row its file, cells and their ids.

    Attributes:
        rows: the row range of each file in the arrays below (``None``: the file is left to the general reader).
        name, label: cell ids (:func:`_intern`) of the clip name and label; ``names[i]``, ``labels[i]`` the text.
        on, off: the times (float64; NaN where the cell is not a number); ``on_rank``, ``off_rank`` their
            ranks among the distinct values (equal values, equal ranks).
        event: rows with a label (the other rows declare a clip).
    """

    def __init__(self, buf: bytes | bytearray, shapes: list[_Shape | None]) -> None:
        raw = np.frombuffer(buf, dtype=np.uint8, count=len(buf) - len(_PAD))
        position = np.int32 if len(buf) < 2**31 else np.int64  # byte offsets, in half the memory when they fit
        delim = np.flatnonzero(raw < 32)  # TAB and LF; any other control character refuses its file
        kind = raw[delim]
        is_nl = kind == 10
        odd = np.flatnonzero(~is_nl & (kind != 9))
        # per file: its delimiters as a [cells per row, rows] table (the header's first); a file is kept
        # when every row has as many cells as its header
        self.rows: list[tuple[int, int] | None] = []
        blocks, n_rows = [], 0
        for b in shapes:
            if b is None:
                self.rows.append(None)
                continue
            at, length, ncol, cols = b
            if not length:
                self.rows.append((n_rows, n_rows))
                continue
            lo, hi = np.searchsorted(delim, (at, at + length))
            rows = int(np.count_nonzero(is_nl[lo:hi]))
            if (hi - lo != rows * ncol or not is_nl[lo + ncol - 1:hi:ncol].all()
                    or np.searchsorted(odd, lo) != np.searchsorted(odd, hi)):
                self.rows.append(None)
                continue
            self.rows.append((n_rows, n_rows + rows - 1))
            n_rows += rows - 1
            blocks.append((delim[lo:hi].reshape(rows, ncol).T.astype(position, order="C"), ncol, cols))
        del delim, kind, is_nl, odd

        seen: dict[tuple[int, ...], np.ndarray] = {}

        def ending(cell: list[int]) -> np.ndarray:
            """Per row, the delimiter that ends cell ``cell[b]`` of its file ``b`` (-1: the LF of the row above)."""
            key = tuple(cell)
            if key not in seen:  # neighbouring cells share one
                seen[key] = np.concatenate([t[c, 1:] if c >= 0 else t[-1, :-1] for (t, _, _), c in zip(blocks, cell)]
                                           + [np.zeros(0, position)])
            return seen[key]

        start, size = [], []
        for j in range(4):  # cell j runs from the delimiter before it to its own
            start.append(ending([c[j] - 1 for _, _, c in blocks]) + 1)
            size.append(ending([c[j] for _, _, c in blocks]) - start[-1])
        self.event = size[3] > 0
        self.refused = size[0] == 0  # no clip name
        if not self.event.all():  # a row declaring a clip must have every other cell empty
            tabs = np.concatenate([np.full(t.shape[1] - 1, n - 1, dtype=position) for t, n, _ in blocks]
                                  + [np.zeros(0, position)])
            content = ending([n - 1 for _, n, _ in blocks]) - ending([-1] * len(blocks)) - 1 - tabs
            self.refused |= ~self.event & (content != size[0])
        del blocks, seen
        for z in size:
            if z.max(initial=0) > _LONGEST:  # a cell too long for the words: its file goes to the general reader
                self.refused |= z > _LONGEST
                np.minimum(z, _LONGEST, out=z)
        self.name, self.names = _intern(buf, start[0], size[0], runs=True)
        self.label, self.labels = _intern(buf, start[3], size[3], prefix=True)
        n = n_rows
        tid, times = _intern(buf, np.concatenate(start[1:3]), np.concatenate(size[1:3]))
        vals = np.array([_number(t) for t in times], dtype=np.float64)
        self.neg_zero = bool((np.signbit(vals) & (vals == 0)).any())
        rank = np.searchsorted(sorted_unique(vals[~np.isnan(vals)]), vals)
        self.on, self.off = vals[tid[:n]], vals[tid[n:]]
        self.on_rank, self.off_rank = rank[tid[:n]], rank[tid[n:]]


def _number(text: str) -> float:
    """``float(text)``, NaN for a cell that is not a finite number (the general reader then gives the error)."""
    try:
        v = float(text)
    except ValueError:
        return np.nan
    return v if np.isfinite(v) else np.nan


class _Reader:
    """Accumulates the rows of every file as columns; :meth:`columns` deduplicates them once."""

    def __init__(self, labels: Iterable[str] | None) -> None:
        self.fixed = None if labels is None else tuple(labels)
        self.lab_pos: dict[str, int] = {} if self.fixed is None else {n: i for i, n in enumerate(self.fixed)}
        self.clip_pos: dict[str, int] = {}
        # by operating point (-1: all of them): op, clip, cls, on, off[, on rank, off rank] of each row kept
        self.parts: dict[int, tuple[np.ndarray, ...]] = {}

    def read(self, files: list[Path]) -> Iterator[int]:
        """Read ``files`` (operating points ``0, 1, ...``), yielding after each how many zero-length rows it had."""
        try:
            batch = _Batch(*(_in_place(files) or _joined(_body(f) for f in files)))
        except _Collision:
            batch = _Batch(*_joined(None for _ in files))
        zero = batch.event & (batch.on == batch.off)
        valid = batch.on >= 0
        valid &= batch.on <= batch.off  # NaN fails: not a finite number
        bad = batch.refused | (batch.event & ~valid)
        clip_lut = np.full(len(batch.names), -1, dtype=np.int64)
        lab_lut = np.array([self.lab_pos.get(n, -1) for n in batch.labels], dtype=np.int64)
        if self.fixed is not None:
            bad |= batch.event & (lab_lut[batch.label] < 0)
        ends = np.array([r[1] if r else 0 for r in batch.rows], dtype=np.int64)
        ends = np.maximum.accumulate(ends) if ends.size else ends
        bounds = np.column_stack([np.r_[0, ends[:-1]], ends]).astype(np.int64)
        keep = batch.event & ~zero
        fast = [r is not None and not bad[r[0]:r[1]].any() for r in batch.rows]
        n_zero, n_kept = ([int(np.count_nonzero(x[lo:hi])) for lo, hi in bounds] for x in (zero, keep))
        kept_lo = np.r_[0, np.cumsum(n_kept)]
        # runs of rows naming one clip, each file's own; a file naming a clip again after another is regrouped
        name = batch.name
        new = np.ones(name.size, dtype=bool)
        new[1:] = name[1:] != name[:-1]
        new[bounds[:, 0][bounds[:, 0] < name.size]] = True
        heads = np.flatnonzero(new)
        run_file = np.searchsorted(bounds[:, 1], heads, side="right")
        key = np.sort(run_file * (len(batch.names) + 1) + name[heads])
        again = set((key[1:][key[1:] == key[:-1]] // (len(batch.names) + 1)).tolist())
        order = np.arange(name.size)
        for o in again:
            lo, hi = bounds[o]
            order[lo:hi] = lo + _grouped(name[lo:hi])
        kept = order[keep[order]] if again else np.flatnonzero(keep)
        run_lo, run_hi = np.searchsorted(heads, bounds[:, 0]), np.searchsorted(heads, bounds[:, 1])
        unnamed = len(batch.names)  # names without a clip index yet
        unlabelled = 0 if self.fixed is not None else int(np.count_nonzero(lab_lut < 0)) - ("" in batch.labels)
        for o, f in enumerate(files):
            if not fast[o]:
                yield self._slow(o, f)
                continue
            lo, hi = bounds[o]
            if unnamed and o in again:  # clips in order of first appearance, as read_events_tsv lists them
                seq = name[order[lo:hi]]
                first = seq[np.r_[True, seq[1:] != seq[:-1]]] if seq.size else seq
            elif unnamed:
                first = name[heads[run_lo[o]:run_hi[o]]]
            for i in first[clip_lut[first] < 0].tolist() if unnamed else ():
                clip_lut[i] = self.clip_pos.setdefault(batch.names[i], len(self.clip_pos))
                unnamed -= 1
            lab = batch.label[kept[kept_lo[o]:kept_lo[o + 1]]] if unlabelled else kept[:0]
            if unlabelled and (lab_lut[lab] < 0).any():  # labels first seen here (labels=None), numbered in order
                for i in dict.fromkeys(lab[lab_lut[lab] < 0].tolist()):
                    lab_lut[i] = self.lab_pos.setdefault(batch.labels[i], len(self.lab_pos))
                    unlabelled -= 1
            self.parts[o] = ()
            yield n_zero[o]
        cols = [clip_lut[name[kept]], lab_lut[batch.label[kept]], batch.on[kept], batch.off[kept]]
        if not batch.neg_zero:  # -0.0 and 0.0 are equal but their bits sort apart: canonical must see the floats
            cols += [batch.on_rank[kept], batch.off_rank[kept]]
        if all(p == () for p in self.parts.values()):  # every file by the batch parser: one part
            self.parts = {-1: (np.repeat(np.arange(len(files)), np.diff(kept_lo)), *cols)}
            return
        for o, p in self.parts.items():
            if p == ():
                lo, hi = kept_lo[o], kept_lo[o + 1]
                self.parts[o] = (np.full(hi - lo, o), *(c[lo:hi] for c in cols))

    def _slow(self, op: int, path: Path) -> int:
        st: dict[str, Any] = {}
        with warnings.catch_warnings():  # read_operating_point_columns warns once per file itself
            warnings.filterwarnings("ignore", message=r".*: dropped \d+ zero-length event", category=UserWarning)
            events = read_events_tsv(path, labels=self.fixed, stats=st)
        clip_l, lab_l, on_l, off_l = [], [], [], []
        for name, evs in events.items():
            c = self.clip_pos.setdefault(name, len(self.clip_pos))
            for e in evs:
                clip_l.append(c)
                lab_l.append(self.lab_pos.setdefault(e.label, len(self.lab_pos)))
                on_l.append(e.onset)
                off_l.append(e.offset)
        self.parts[op] = (np.full(len(clip_l), op), np.asarray(clip_l, dtype=np.int64), np.asarray(lab_l, dtype=np.int64),
                          np.asarray(on_l, dtype=np.float64), np.asarray(off_l, dtype=np.float64))
        return int(st.get("zero_length", 0))

    def columns(self, thresholds: tuple[float, ...]) -> DetectionColumns:
        parts = [self.parts[o] for o in sorted(self.parts)]
        kinds = (np.int64, np.int64, np.int64, np.float64, np.float64, np.int64, np.int64)  # op, clip, cls, on, off, ranks
        cols = [parts[0][i] if len(parts) == 1 else np.concatenate([p[i] for p in parts] + [np.zeros(0, dt)])
                for i, dt in enumerate(kinds[:5])]
        ranks = None
        if parts and all(len(p) == 7 for p in parts):  # every file read by the batch parser: the times' ranks are known
            ranks = tuple(parts[0][i] if len(parts) == 1 else np.concatenate([p[i] for p in parts]) for i in (5, 6))
        op = cols.pop(0)
        c, k, a, b, uid = canonical(*cols, None, ranks=ranks)
        return DetectionColumns(thresholds, tuple(self.clip_pos), tuple(self.lab_pos), c, k, a, b, op, uid)


def _grouped(name: np.ndarray) -> np.ndarray:
    """The stable order that puts equal ids together, groups in order of first appearance."""
    first = np.full(int(name.max(initial=0)) + 1, name.size)
    np.minimum.at(first, name, np.arange(name.size))
    return np.argsort(first[name], kind="stable")


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
    files = [f for _, f in entries]
    for dropped, f in zip(reader.read(files), files):  # the reader first: its last step runs after the last file
        if dropped:
            if stats is not None:
                stats["zero_length"] = stats.get("zero_length", 0) + dropped
                stats.setdefault("zero_length_example", str(f))
            warnings.warn(f"{f}: dropped {dropped} zero-length event(s) (onset == offset)", stacklevel=2)
    return reader.columns(tuple(th for th, _ in entries))
