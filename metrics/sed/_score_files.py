"""Reading a directory of score tables fast: one parse for all clean files, and a validated binary cache.

:func:`read_score_dir` gives exactly what the per-file reader (``slow``) gives, the same numbers and,
on any bad file, the same one-line error (on any doubt it simply runs ``slow``, which raises it):

- **clean files** (one header line ``onset<TAB>offset<TAB><class>...``, then rows of TAB-separated
  cells made only of ``0-9 . e E + -``, no blank line, no empty cell, the header's number of
  cells on every row) have their bodies joined and parsed by one call of numpy's C reader
  (``np.loadtxt``, whose float conversion is correctly rounded like Python's ``float``: the same
  doubles), instead of splitting and stripping every cell of every file in Python; each distinct
  header is checked once, and the frames of all files are checked together (gapless, finite,
  increasing: the per-file reader's rules). Any other file, or a check that fails, sends the whole
  directory to ``slow``;
- **the cache**: after a successful read, the tables are stored in
  ``$XDG_CACHE_HOME/avbench/score-tables/<hash of the directory path>.npz`` with each file's name,
  size, modification and change times (ns) and inode. A later read of the same directory takes a
  file from the cache only when all five still match (a file edited, replaced or touched is parsed
  again), and the cached tables are checked again as :class:`ScoreTable` checks them (all at once;
  a cache that fails is ignored). Nothing is cached when the directory holds more than
  :data:`CACHE_MAX_VALUES` numbers, when ``AVBENCH_SCORE_CACHE=0``, or when the cache directory is
  not writable; a cache file that cannot be read is ignored. ``benchmarks/bench_psds.py`` times the
  cold (first) read and the cached one separately.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.tsv").write_text("onset\\toffset\\tdog\\n0.0\\t0.5\\t0.25\\n0.5\\t1.0\\t0.75\\n")
    >>> t = read_score_dir(d, [d / "a.tsv"], slow=lambda: {})["a"]
    >>> t.timestamps.tolist(), t.values.ravel().tolist(), t.classes
    ([0.0, 0.5, 1.0], [0.25, 0.75], ('dog',))
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._tables import ScoreTable, check_score_header

__all__ = ["read_score_dir", "CACHE_MAX_VALUES"]

CACHE_MAX_VALUES = 32_000_000
"""Directories with more numbers than this (256 MB as float64) are not cached."""

_FORMAT = 1
_CLEAN = b"0123456789.eE+-\t\n"
_CHUNK_BYTES = 64 << 20


def _cache_file(directory: Path) -> Path | None:
    if os.environ.get("AVBENCH_SCORE_CACHE", "1").strip() == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    key = hashlib.blake2b(str(directory.resolve()).encode(), digest_size=16).hexdigest()
    return Path(base) / "avbench" / "score-tables" / f"{key}.npz"


def _stat_key(f: Path) -> tuple[int, int, int, int]:
    st = f.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _load(cache: Path | None) -> dict[str, tuple[tuple[int, ...], ScoreTable]]:
    """``{file name: (stat key, table)}`` from a readable cache file whose tables are all valid, else ``{}``.

    The tables are checked as :class:`ScoreTable` checks them (finite numbers, boundaries strictly
    increasing, shapes), all at once; a cache that fails a check is ignored like an unreadable one.
    """
    if cache is None or not cache.is_file():
        return {}
    try:
        with np.load(cache, allow_pickle=False) as z:
            if int(z["format"]) != _FORMAT:
                return {}
            names, keys, heads = z["names"].tolist(), z["keys"], z["headers"].tolist()
            frames, ncls, ts_all, val_all = z["frames"], z["classes"], z["ts"], z["values"]
    except (OSError, ValueError, KeyError):
        return {}
    t0 = np.concatenate([[0], np.cumsum(frames + 1)])
    v0 = np.concatenate([[0], np.cumsum(frames * ncls)])
    n = len(names)
    if (ts_all.dtype != np.float64 or val_all.dtype != np.float64 or keys.shape != (n, 4) or len(heads) != n
            or frames.shape != (n,) or ncls.shape != (n,) or (n and (frames.min() < 1 or ncls.min() < 1))
            or t0[-1] != ts_all.size or v0[-1] != val_all.size
            or not (np.isfinite(ts_all).all() and np.isfinite(val_all).all())):
        return {}
    rise = np.diff(ts_all) > 0
    rise[t0[1:-1] - 1] = True  # from one file's last boundary to the next file's first
    if not rise.all():
        return {}
    ts_all.flags.writeable = False
    val_all.flags.writeable = False
    out = {}
    classes: dict[str, tuple[str, ...]] = {}
    for i, name in enumerate(names):
        c = classes.get(heads[i])
        if c is None:
            c = classes[heads[i]] = tuple(heads[i].split("\t")[2:])
        if len(c) != ncls[i]:
            return {}
        vals = val_all[v0[i]:v0[i + 1]].reshape(int(frames[i]), int(ncls[i]))
        out[name] = (tuple(int(x) for x in keys[i]), ScoreTable._checked(ts_all[t0[i]:t0[i + 1]], vals, c))
    return out


def _store(cache: Path | None, entries: Sequence[tuple[str, tuple[int, ...], ScoreTable]]) -> None:
    total = sum(t.values.size for _, _, t in entries)
    if cache is None or not entries or total > CACHE_MAX_VALUES:
        return
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp.npz")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(tmp, format=np.int64(_FORMAT), names=np.array([n for n, _, _ in entries]),
                 keys=np.array([k for _, k, _ in entries], dtype=np.int64).reshape(len(entries), 4),
                 headers=np.array(["\t".join(("onset", "offset", *t.classes)) for _, _, t in entries]),
                 frames=np.array([t.values.shape[0] for _, _, t in entries], dtype=np.int64),
                 classes=np.array([t.values.shape[1] for _, _, t in entries], dtype=np.int64),
                 ts=np.concatenate([t.timestamps for _, _, t in entries]),
                 values=np.concatenate([t.values.ravel() for _, _, t in entries]))
        os.replace(tmp, cache)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only cache directory: read without a cache


def _parse_clean(files: Sequence[Path]) -> dict[str, ScoreTable] | None:
    """Tables of ``files`` when every one is clean (module docstring), else ``None``; raises on a bad header."""
    heads: list[tuple[list[str], tuple[str, ...]]] = []
    bodies, rows = [], []
    known: dict[bytes, tuple[list[str], tuple[str, ...]]] = {}  # header line -> (cells, classes), checked once
    for f in files:
        data = f.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        nl = data.find(b"\n")
        if nl <= 0:
            return None
        line = data[:nl]
        head = known.get(line)
        if head is None:
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                return None
            if "\t" not in text or "\r" in text:
                return None
            cells = [c.strip() for c in text.split("\t")]
            check_score_header(cells, f, 1)
            known[line] = head = (cells, tuple(cells[2:]))
        body = data[nl + 1:]
        if body.endswith(b"\n"):
            body = body[:-1]
        if not body:
            return None
        heads.append(head)
        bodies.append(body)
        rows.append(body.count(b"\n") + 1)
    if len({len(h[0]) for h in heads}) != 1:
        return None
    out: dict[str, ScoreTable] = {}
    lo = 0
    while lo < len(files):  # parse about _CHUNK_BYTES of text at a time (bounds the memory of big directories)
        hi, size = lo, 0
        while hi < len(files) and (hi == lo or size + len(bodies[hi]) <= _CHUNK_BYTES):
            size += len(bodies[hi])
            hi += 1
        part = _parse_bodies(files[lo:hi], heads[lo:hi], bodies[lo:hi], rows[lo:hi])
        if part is None:
            return None
        out.update(part)
        lo = hi
    return out


def _parse_bodies(files: Sequence[Path], heads: list[tuple[list[str], tuple[str, ...]]], bodies: list[bytes],
                  rows: list[int]) -> dict[str, ScoreTable] | None:
    """The tables of clean bodies parsed in one C call and checked at once, or ``None`` on any doubt.

    The checks are :func:`~avbench.metrics.sed._tables.table_from_array`'s and :class:`ScoreTable`'s (frames gapless to 1e-6,
    every number finite, boundaries strictly increasing), made on all files' rows together; a
    file that fails one sends the directory to the per-file reader, which names it.
    """
    big = b"\n".join(bodies)
    ncol = len(heads[0][0])
    if big.translate(None, _CLEAN):
        return None
    try:  # numpy's C reader: every row the same number of non-empty cells, each a number (or ValueError)
        values = np.loadtxt(io.BytesIO(big), delimiter="\t", comments=None, dtype=np.float64, ndmin=2,
                            encoding="latin-1")
    except ValueError:
        return None
    n = np.array(rows, dtype=np.int64)
    if values.shape != (int(n.sum()), ncol) or not np.isfinite(values).all():
        return None
    ends = np.cumsum(n)
    inner = ends[:-1] - 1  # the last row of every file but the last: no frame follows it in the same file
    on, off = values[:, 0], values[:, 1]
    gap = np.abs(on[1:] - off[:-1]) > 1e-6  # table_from_array's allclose(rtol=0, atol=1e-6), row by row
    gap[inner] = False
    rise = np.diff(on) > 0
    rise[inner] = True
    if gap.any() or not rise.all() or not (off[ends - 1] > on[ends - 1]).all():
        return None
    ts = np.insert(on, ends, off[ends - 1])  # each file's onsets, then its last offset: file i is ts[s+i:e+i+1]
    ts.flags.writeable = False
    values.flags.writeable = False
    out = {}
    at = 0
    for i, (f, head, k) in enumerate(zip(files, heads, rows)):
        out[f.stem] = ScoreTable._checked(ts[at + i:at + i + k + 1], values[at:at + k, 2:], head[1])
        at += k
    return out


def read_score_dir(directory: Path, files: Sequence[Path], *, slow: Callable[[], dict[str, ScoreTable]]
                   ) -> dict[str, ScoreTable]:
    """``{clip: ScoreTable}`` of ``files`` (sorted, in ``directory``), equal to ``slow()``'s (module docstring).

    ``slow`` is the per-file reader; it runs (and raises the one-line error) whenever a file is not
    clean or a table is bad, so errors are exactly the per-file reader's.
    """
    cache = _cache_file(directory)
    stored = _load(cache)
    keys = {f.name: _stat_key(f) for f in files}
    out: dict[str, ScoreTable] = {}
    todo = []
    for f in files:
        hit = stored.get(f.name)
        if hit is not None and hit[0] == keys[f.name]:
            out[f.stem] = hit[1]
        else:
            todo.append(f)
    if todo:
        try:
            parsed = _parse_clean(todo)
        except InputError:
            parsed = None
        if parsed is None:
            return _cached(cache, files, keys, slow())
        out.update(parsed)
        out = {f.stem: out[f.stem] for f in files}
        _store(cache, [(f.name, keys[f.name], out[f.stem]) for f in files])
    return out


def _cached(cache: Path | None, files: Sequence[Path], keys: dict, tables: dict[str, ScoreTable]
            ) -> dict[str, ScoreTable]:
    """``tables`` (the per-file reader's), stored in the cache for the next read."""
    _store(cache, [(f.name, keys[f.name], tables[f.stem]) for f in files if f.stem in tables])
    return tables
