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
  ``$XDG_CACHE_HOME/avbench/score-tables/<hash of the directory path>.bin`` with each file's name,
  size, modification and change times (ns) and inode: a small header, the metadata as JSON, then
  every boundary and score as raw float64 (:func:`_store`; written to a temporary file renamed
  over the cache). A later read of the same directory takes a file from the cache only when all
  five still match (a file edited, replaced or touched is parsed again). The cache file is used
  only when it is this format's (magic bytes and format number: a cache of an older format, such
  as the ``.npz`` of format 1, is ignored), has the exact length its metadata gives, and its
  checks hold (CRC-32 of the metadata, the sum of the numbers' 64-bit words: a torn or
  zero-filled write), and the cached tables are checked again as :class:`ScoreTable` checks them
  (all at once); a cache that fails any of this is ignored like one that cannot be read. Nothing
  is cached when the directory holds more than :data:`CACHE_MAX_VALUES` numbers, when
  ``AVBENCH_SCORE_CACHE=0``, or when the cache directory is not writable.
  ``benchmarks/bench_psds.py --only read`` times the cold (first) read and the cached one
  separately.

Speed (``python benchmarks/bench_psds.py --only read --rounds 7``: 1,168 DESED-scale tables of 156
frames and 10 classes, 2.2 M numbers in 19 MB; in-process medians of 7 interleaved rounds, 2 shared
cores at load average 0.8-1.1, 2 December 2026): the reader as issue #10 was filed (``bcd261f``)
0.431 s, the per-file reader 0.423 s, a cold read 0.175 s (2.5x; it was 0.217 s with the ``.npz``
cache), a warm read 0.019 s (22x). Of a cold read, ``np.loadtxt`` takes about 115 ms (some 50 ns
a number; it holds the GIL, so threads gain nothing: two threads on two halves 110 ms against
107 ms in turn; a list of lines, a file name or ``max_rows`` feed it within 10 %), reading the
files 10 ms, the clean-byte check and row counts 12 ms, storing the cache 10 ms (26 ms as an
``.npz``: zip, CRC-32 of every byte). The first read in a fresh interpreter costs some 30-60 ms
more (fresh memory and page cache; the per-file reader's some 25-40 ms more).

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
import json
import os
import struct
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from avbench.errors import InputError
from avbench.io import new_temp
from avbench.paths import cache_dir
from avbench.metrics.sed._tables import ScoreTable, check_score_header

__all__ = ["read_score_dir", "CACHE_MAX_VALUES"]

CACHE_MAX_VALUES = 32_000_000
"""Directories with more numbers than this (256 MB as float64) are not cached."""

_FORMAT = 2  # 1: an .npz file (numpy's zip archive); 2: the raw layout of _store
_MAGIC = b"AVBSCORE"
_HEAD = struct.Struct("<8sIIQQ")  # magic, format, CRC-32 of the metadata, its length, sum of the 64-bit words
_WORD = np.dtype("<u8")
_CLEAN = b"0123456789.eE+-\t\n"
_CHUNK_BYTES = 64 << 20


def _cache_file(directory: Path) -> Path | None:
    if os.environ.get("AVBENCH_SCORE_CACHE", "1").strip() == "0":
        return None
    key = hashlib.blake2b(str(directory.resolve()).encode(), digest_size=16).hexdigest()
    return cache_dir() / "score-tables" / f"{key}.bin"


def _stat_key(f: Path) -> tuple[int, int, int, int]:
    st = f.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _word_sum(*arrays: np.ndarray) -> int:
    """The sum of the arrays' 64-bit words modulo 2**64 (catches a torn or zero-filled cache write)."""
    return sum(int(a.view(_WORD).sum(dtype=_WORD)) for a in arrays) & 0xFFFF_FFFF_FFFF_FFFF


def _int_lists(x: object, n: int, width: int | None = None) -> bool:
    """Whether ``x`` is a list of ``n`` ints (or of ``n`` lists of ``width`` ints), as :func:`_store` writes them."""
    if not isinstance(x, list) or len(x) != n:
        return False
    if width is None:
        return all(type(v) is int for v in x)
    return all(isinstance(r, list) and len(r) == width and all(type(v) is int for v in r) for r in x)


def _load(cache: Path | None) -> dict[str, tuple[tuple[int, ...], ScoreTable]]:
    """``{file name: (stat key, table)}`` from a readable cache file whose tables are all valid, else ``{}``.

    The file must be this format's (magic, format number, metadata CRC, exact length, word sum);
    the tables are checked as :class:`ScoreTable` checks them (finite numbers, boundaries strictly
    increasing, shapes), all at once; a cache that fails a check is ignored like an unreadable one.
    """
    if cache is None:
        return {}
    try:
        data = cache.read_bytes()
        magic, fmt, crc, size, check = _HEAD.unpack_from(data)
        if magic != _MAGIC or fmt != _FORMAT:
            return {}
        meta_bytes = data[_HEAD.size:_HEAD.size + size]
        if len(meta_bytes) != size or zlib.crc32(meta_bytes) != crc or (_HEAD.size + size) % 8:
            return {}
        meta = json.loads(meta_bytes)
        names, keys, heads, which = meta["names"], meta["keys"], meta["headers"], meta["header"]
        n = len(names)
        if not (isinstance(names, list) and all(type(x) is str for x in names)
                and isinstance(heads, list) and all(type(h) is str for h in heads)
                and _int_lists(keys, n, 4) and _int_lists(which, n) and _int_lists(meta["frames"], n)
                and _int_lists(meta["classes"], n) and all(0 <= h < len(heads) for h in which)):
            return {}
        frames = np.array(meta["frames"], dtype=np.int64)
        ncls = np.array(meta["classes"], dtype=np.int64)
        raw = np.frombuffer(data, dtype="<f8", offset=_HEAD.size + size)
    except (OSError, ValueError, KeyError, TypeError, OverflowError, struct.error):
        return {}
    if n and (frames.min() < 1 or ncls.min() < 1):
        return {}
    t0 = np.concatenate([[0], np.cumsum(frames + 1)])
    v0 = np.concatenate([[0], np.cumsum(frames * ncls)])
    if t0[-1] + v0[-1] != raw.size or _word_sum(raw) != check:
        return {}
    words = raw.astype(np.float64, copy=False)  # a view where float64 is little-endian
    ts_all, val_all = words[:t0[-1]], words[t0[-1]:]
    if not (np.isfinite(ts_all).all() and np.isfinite(val_all).all()):
        return {}
    rise = np.diff(ts_all) > 0
    rise[t0[1:-1] - 1] = True  # from one file's last boundary to the next file's first
    if not rise.all():
        return {}
    ts_all.flags.writeable = False
    val_all.flags.writeable = False
    classes = [tuple(h.split("\t")[2:]) for h in heads]
    out = {}
    for i, name in enumerate(names):
        c = classes[which[i]]
        if len(c) != ncls[i]:
            return {}
        vals = val_all[v0[i]:v0[i + 1]].reshape(int(frames[i]), int(ncls[i]))
        out[name] = (tuple(keys[i]), ScoreTable._checked(ts_all[t0[i]:t0[i + 1]], vals, c))
    return out


def _store(cache: Path | None, entries: Sequence[tuple[str, tuple[int, ...], ScoreTable]]) -> None:
    """Write ``entries`` to ``cache``: a header, the metadata (JSON), every boundary and every score (raw float64).

    Written to a temporary file renamed over ``cache`` (a reader sees the old file or the new one);
    a directory that cannot be written leaves no cache and no error. Layout (little-endian):
    ``_HEAD`` (magic, format, CRC-32 and length of the metadata, sum of the data's 64-bit words),
    the metadata (names, stat keys, distinct headers, each file's header, frames and classes)
    padded to 8 bytes, each table's boundaries one after the other, then each table's scores (row-major).
    """
    total = sum(t.values.size for _, _, t in entries)
    if cache is None or not entries or total > CACHE_MAX_VALUES:
        return
    heads: dict[tuple[str, ...], int] = {}
    which = [heads.setdefault(t.classes, len(heads)) for _, _, t in entries]
    ts = np.concatenate([t.timestamps for _, _, t in entries]).astype("<f8", copy=False)
    vals = np.concatenate([t.values for _, _, t in entries], axis=None).astype("<f8", copy=False)
    meta = json.dumps({"names": [n for n, _, _ in entries], "keys": [list(k) for _, k, _ in entries],
                       "headers": ["\t".join(("onset", "offset", *c)) for c in heads], "header": which,
                       "frames": [t.values.shape[0] for _, _, t in entries],
                       "classes": [t.values.shape[1] for _, _, t in entries]}, separators=(",", ":")).encode()
    meta += b" " * (-(_HEAD.size + len(meta)) % 8)  # the numbers start 8-byte aligned
    head = _HEAD.pack(_MAGIC, _FORMAT, zlib.crc32(meta), len(meta), _word_sum(ts, vals))
    tmp = None
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = new_temp(cache.parent, f".{cache.name}.")
        with os.fdopen(fd, "wb") as fh:
            for part in (head, meta, ts, vals):
                fh.write(part)
        os.replace(tmp, cache)
        cache.with_suffix(".npz").unlink(missing_ok=True)  # format 1's file, never read again
    except OSError:
        if tmp is not None:  # a read-only or full cache directory: read without a cache
            Path(tmp).unlink(missing_ok=True)


def _read(f: Path) -> bytes:
    """The bytes of ``f``: ``os.read`` of its size (and on until the end), no buffered file object per file."""
    fd = os.open(f, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        parts = [os.read(fd, min(os.fstat(fd).st_size + 1, 1 << 30))]
        while chunk := os.read(fd, 1 << 20):  # the end, or a file that grew since its size was taken
            parts.append(chunk)
    finally:
        os.close(fd)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _parse_clean(files: Sequence[Path]) -> dict[str, ScoreTable] | None:
    """Tables of ``files`` when every one is clean (module docstring), else ``None``; raises on a bad header."""
    heads: list[tuple[list[str], tuple[str, ...]]] = []
    bodies: list[memoryview] = []  # views of each file's rows, joined once (no copy of each body)
    rows = []
    known: dict[bytes, tuple[list[str], tuple[str, ...]]] = {}  # header line -> (cells, classes), checked once
    for f in files:
        data = _read(f)
        at = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        nl = data.find(b"\n", at)
        if nl <= at:
            return None
        line = data[at:nl]
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
        end = len(data) - 1 if data.endswith(b"\n") else len(data)
        if end <= nl + 1:
            return None
        heads.append(head)
        bodies.append(memoryview(data)[nl + 1:end])
        rows.append(data.count(b"\n", nl + 1, end) + 1)
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


def _parse_bodies(files: Sequence[Path], heads: list[tuple[list[str], tuple[str, ...]]], bodies: list[memoryview],
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
    n = np.array(rows, dtype=np.int64)
    total = int(n.sum())
    try:  # numpy's C reader: every row the same number of non-empty cells, each a number (or ValueError);
        # max_rows (the rows there are) lets it allocate the result once
        values = np.loadtxt(io.BytesIO(big), delimiter="\t", comments=None, dtype=np.float64, ndmin=2,
                            encoding="latin-1", max_rows=total)
    except ValueError:
        return None
    if values.shape != (total, ncol) or not np.isfinite(values).all():
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
    try:
        keys = [_stat_key(f) for f in files]
    except OSError:  # a file gone or unreadable: the per-file reader names it
        return slow()
    stems = [f.stem for f in files]
    out: dict[str, ScoreTable] = {}
    todo = []
    for f, stem, key in zip(files, stems, keys):
        hit = stored.get(f.name)
        if hit is not None and hit[0] == key:
            out[stem] = hit[1]
        else:
            todo.append(f)
    if todo:
        try:
            parsed = _parse_clean(todo)
        except (InputError, OSError):
            parsed = None
        if parsed is None:
            tables = slow()
            _store(cache, [(f.name, k, tables[s]) for f, s, k in zip(files, stems, keys) if s in tables])
            return tables
        out.update(parsed)
        out = {s: out[s] for s in stems}
        _store(cache, [(f.name, k, out[s]) for f, s, k in zip(files, stems, keys)])
    return out
