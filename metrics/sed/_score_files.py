"""Reading a directory of score tables fast: one parse for all clean files, and a validated binary cache.

:func:`read_score_dir` gives exactly what the per-file reader (``slow``) gives, the same numbers and,
on any bad file, the same one-line error (on any doubt it simply runs ``slow``, which raises it):

- **clean files** (one header line ``onset<TAB>offset<TAB><class>...``, then rows of TAB-separated
  cells made only of ``0-9 . e E + -``, no blank line, no empty cell, the header's number of
  cells on every row) are parsed together by numpy's C reader (``np.loadtxt``, whose float
  conversion is correctly rounded like Python's ``float``: the same doubles), instead of
  splitting and stripping every cell of every file in Python. Any other file sends the whole
  directory to ``slow``;
- **the cache**: after a successful read, the tables are stored in
  ``$XDG_CACHE_HOME/avbench/score-tables/<hash of the directory path>.npz`` with each file's name,
  size, modification and change times (ns) and inode. A later read of the same directory takes a
  file from the cache only when all five still match (a file edited, replaced or touched is parsed
  again), and the tables it gives are validated again as :class:`ScoreTable` objects. Nothing is
  cached when the directory holds more than :data:`CACHE_MAX_VALUES` numbers, when
  ``AVBENCH_SCORE_CACHE=0``, or when the cache directory is not writable; a cache file that cannot
  be read is ignored. ``benchmarks/bench_psds.py`` times the cold (first) read and the cached one
  separately.

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
from avbench.metrics.sed._tables import ScoreTable, check_score_header, table_from_array

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


def _load(cache: Path | None) -> dict[str, tuple[tuple[int, ...], str, np.ndarray, np.ndarray]]:
    """``{file name: (stat key, header, timestamps, values)}`` from a readable cache file, else ``{}``."""
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
    out = {}
    t0 = np.concatenate([[0], np.cumsum(frames + 1)])
    v0 = np.concatenate([[0], np.cumsum(frames * ncls)])
    for i, name in enumerate(names):
        vals = val_all[v0[i]:v0[i + 1]].reshape(int(frames[i]), int(ncls[i]))
        out[name] = (tuple(int(x) for x in keys[i]), heads[i], ts_all[t0[i]:t0[i + 1]], vals)
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
    """Tables of ``files`` when every one is clean (module docstring), else ``None``; raises on a bad table."""
    heads, bodies, rows = [], [], []
    for f in files:
        data = f.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        nl = data.find(b"\n")
        if nl <= 0:
            return None
        try:
            head = data[:nl].decode("utf-8")
        except UnicodeDecodeError:
            return None
        body = data[nl + 1:]
        if body.endswith(b"\n"):
            body = body[:-1]
        if "\t" not in head or "\r" in head or not body:
            return None
        heads.append([c.strip() for c in head.split("\t")])
        bodies.append(body)
        rows.append(body.count(b"\n") + 1)
    if len({len(h) for h in heads}) != 1:
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


def _parse_bodies(files: Sequence[Path], heads: list[list[str]], bodies: list[bytes], rows: list[int]
                  ) -> dict[str, ScoreTable] | None:
    big = b"\n".join(bodies)
    ncol = len(heads[0])
    if big.translate(None, _CLEAN):
        return None
    try:  # numpy's C reader: every row the same number of non-empty cells, each a number (or ValueError)
        values = np.loadtxt(io.StringIO(big.decode("ascii")), delimiter="\t", comments=None, dtype=np.float64,
                            ndmin=2)
    except ValueError:
        return None
    if values.shape != (sum(rows), ncol):
        return None
    out, at = {}, 0
    for f, head, n in zip(files, heads, rows):
        check_score_header(head, f, 1)
        out[f.stem] = table_from_array(head, values[at:at + n], f, 1)
        at += n
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
            head = hit[1].split("\t")
            out[f.stem] = ScoreTable(hit[2], hit[3], tuple(head[2:]))
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
