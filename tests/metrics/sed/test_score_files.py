"""The fast score-table directory reader and its cache give exactly the per-file reader's tables and errors."""

from __future__ import annotations

import io as io_module
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.metrics.sed import _score_files, io
from avbench.metrics.sed._tables import ScoreTable

HEAD = "onset\toffset\tdog\tcat\n"


def _dir(tmp_path: Path, files: dict[str, str | bytes], name: str = "scores") -> Path:
    d = tmp_path / name
    d.mkdir(exist_ok=True)
    for name, text in files.items():
        (d / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return d


def _same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        assert a[k].classes == b[k].classes
        assert a[k].timestamps.tobytes() == b[k].timestamps.tobytes() and a[k].values.tobytes() == b[k].values.tobytes()


def _per_file(d: Path) -> dict:
    return io._read_score_files(d, sorted(f for f in d.iterdir() if f.suffix.lower() == ".tsv"))


def _clean_rows(rng: np.random.Generator, n: int) -> str:
    ts = np.round(np.linspace(0, 10, n + 1), 6).tolist()
    v = rng.random((n, 2))
    fmt = [repr, lambda x: f"{x:.6g}", lambda x: f"{x:.17e}", lambda x: f"{x:.3f}"]
    return "".join(f"{ts[i]!r}\t{ts[i + 1]!r}\t{fmt[i % 4](float(v[i, 0]))}\t{fmt[(i + 1) % 4](float(v[i, 1]))}\n"
                   for i in range(n))


def test_clean_and_odd_files_give_the_per_file_readers_tables(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    files = {f"c{i}.tsv": HEAD + _clean_rows(rng, 20) for i in range(5)}
    d = _dir(tmp_path, files)
    fast = io.read_score_tables(d)
    _same(fast, _per_file(d))
    # odd but valid files (CRLF, BOM, spaces around cells, blank lines, no final newline) take the
    # per-file path: still the same tables
    odd = {"o1.tsv": (HEAD + _clean_rows(rng, 4)).replace("\n", "\r\n"), "o2.tsv": b"\xef\xbb\xbf" + HEAD.encode()
           + _clean_rows(rng, 3).encode(), "o3.tsv": HEAD + _clean_rows(rng, 3).replace("\t", " \t") + "\n\n",
           "o4.tsv": HEAD + _clean_rows(rng, 3).rstrip("\n")}
    d2 = _dir(tmp_path, odd, "odd")
    _same(io.read_score_tables(d2), _per_file(d2))


@pytest.mark.parametrize("bad, match", [
    ("0.0\t0.5\t0.1\n", "3 fields where the score-table header has 4"),
    ("0.0\t0.5\t0.1\t\n", "holds '', not a score"),
    ("0.0\t0.5\t0.1\t1e\n", "holds '1e', not a score"),
    ("0.0\t0.5\t0.1\tnan\n", "must be finite"),
    ("0.0\t0.5\t0.1\t0.2\n0.6\t1.0\t0.3\t0.4\n", "line 3: frames must be gapless"),
    ("0.0\t0.5\t0.1\t0.2\n0.5\t0.5\t0.3\t0.4\n", "strictly increasing"),  # the last frame has no length
    ("0.0\t0.5\t0.1\t0.2\n0.5\t0.4\t0.3\t0.4\n", "strictly increasing"),
    ("0.5\t0.5\t0.1\t0.2\n0.5\t0.6\t0.3\t0.4\n", "strictly increasing"),  # the first frame has no length
])
def test_a_bad_file_gives_the_per_file_readers_error_with_or_without_a_cache(tmp_path: Path, bad: str,
                                                                             match: str) -> None:
    rng = np.random.default_rng(0)
    d = _dir(tmp_path, {"a.tsv": HEAD + _clean_rows(rng, 5), "b.tsv": HEAD + _clean_rows(rng, 5)})
    io.read_score_tables(d)  # cached now
    (d / "b.tsv").write_text(HEAD + bad)
    with pytest.raises(InputError, match=match) as fast:
        io.read_score_tables(d)
    with pytest.raises(InputError) as slow:
        _per_file(d)
    assert str(fast.value) == str(slow.value) and "b.tsv" in str(fast.value)


def test_cache_is_used_only_while_every_file_is_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    d = _dir(tmp_path, {f"c{i}.tsv": HEAD + _clean_rows(rng, 6) for i in range(3)})
    first = io.read_score_tables(d)
    cache = _score_files._cache_file(d)
    assert cache is not None and cache.is_file()
    calls = []
    real = _score_files._parse_clean
    monkeypatch.setattr(_score_files, "_parse_clean", lambda files: calls.append([f.name for f in files]) or real(files))
    _same(io.read_score_tables(d), first)
    assert calls == []  # every table from the cache
    text = (d / "c1.tsv").read_text()
    changed = text.replace("\t", "\t", 1)[:-2] + ("1" if text[-2] != "1" else "2") + "\n"  # same size, new value
    st = (d / "c1.tsv").stat()
    (d / "c1.tsv").write_text(changed)
    os.utime(d / "c1.tsv", ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
    again = io.read_score_tables(d)
    assert calls == [["c1.tsv"]]
    _same(again, _per_file(d))
    assert again["c1"].values.tobytes() != first["c1"].values.tobytes()
    (d / "c0.tsv").unlink()
    assert list(io.read_score_tables(d)) == ["c1", "c2"]


def test_cache_can_be_switched_off_and_a_broken_cache_is_ignored(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    d = _dir(tmp_path, {"a.tsv": HEAD + _clean_rows(rng, 4)})
    cache = _score_files._cache_file(d)
    assert cache is not None
    monkeypatch.setenv("AVBENCH_SCORE_CACHE", "0")
    io.read_score_tables(d)
    assert not cache.exists() and _score_files._cache_file(d) is None
    monkeypatch.delenv("AVBENCH_SCORE_CACHE")
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(b"not a zip")
    _same(io.read_score_tables(d), _per_file(d))
    assert cache.stat().st_size > 9  # rewritten


def test_parsing_in_chunks_gives_the_same_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    d = _dir(tmp_path, {f"c{i}.tsv": HEAD + _clean_rows(rng, 7) for i in range(6)})
    monkeypatch.setenv("AVBENCH_SCORE_CACHE", "0")
    monkeypatch.setattr(_score_files, "_CHUNK_BYTES", 300)  # a file or two per chunk
    _same(io.read_score_tables(d), _per_file(d))


def test_clean_files_never_take_the_per_file_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # every table starts again at 0 s and the files' headers differ: still one parse, no fallback
    rng = np.random.default_rng(5)
    d = _dir(tmp_path, {"a.tsv": HEAD + _clean_rows(rng, 3), "b.tsv": "onset\toffset\tcat\tdog\n" + _clean_rows(rng, 1),
                        "c.tsv": HEAD + _clean_rows(rng, 8)})
    monkeypatch.setenv("AVBENCH_SCORE_CACHE", "0")
    files = sorted(d.iterdir())
    fast = _score_files.read_score_dir(d, files, slow=lambda: pytest.fail("fell back to the per-file reader"))
    _same(fast, _per_file(d))
    assert fast["b"].classes == ("cat", "dog") and fast["b"].values.shape == (1, 2)
    assert not fast["a"].values.flags.writeable and not fast["c"].timestamps.flags.writeable


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of files of each call of the clean-file parser from now on."""
    calls: list[int] = []
    real = _score_files._parse_clean
    monkeypatch.setattr(_score_files, "_parse_clean", lambda files: calls.append(len(files)) or real(files))
    return calls


def test_a_cache_with_an_impossible_table_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(6)
    d = _dir(tmp_path, {"a.tsv": HEAD + _clean_rows(rng, 4), "b.tsv": HEAD + _clean_rows(rng, 4)})
    first = io.read_score_tables(d)
    cache = _score_files._cache_file(d)
    entries = _score_files._load(cache)
    assert sorted(entries) == ["a.tsv", "b.tsv"]
    key, table = entries["a.tsv"]
    ts = table.timestamps.copy()
    ts[2] = ts[1]  # a frame of no length in a.tsv's cached boundaries, in a file whose own checks hold
    _score_files._store(cache, [("a.tsv", key, ScoreTable._checked(ts, table.values, table.classes)),
                                ("b.tsv", *entries["b.tsv"])])
    assert _score_files._load(cache) == {}
    calls = _counting_parses(monkeypatch)
    _same(io.read_score_tables(d), first)
    assert calls == [2]  # both parsed again


def _flip_last_score(data: bytes) -> bytes:
    return data[:-8] + bytes([data[-8] ^ 1]) + data[-7:]  # the last score, one ulp off: finite, plausible


def _format_1(data: bytes) -> bytes:
    return data[:8] + struct.pack("<I", 1) + data[12:]


def _rename_in_metadata(data: bytes) -> bytes:
    assert data.count(b'"a.tsv"') == 1
    return data.replace(b'"a.tsv"', b'"c.tsv"')


@pytest.mark.parametrize("spoil", [
    pytest.param(lambda data: b"", id="empty"),
    pytest.param(lambda data: b"not a cache file at all, just text", id="not-a-cache"),
    pytest.param(lambda data: data[:-8], id="truncated"),
    pytest.param(lambda data: data + bytes(8), id="longer"),
    pytest.param(_flip_last_score, id="a-score-changed"),
    pytest.param(_rename_in_metadata, id="metadata-changed"),
    pytest.param(_format_1, id="format-number-1"),
    pytest.param("npz", id="format-1-npz"),
])
def test_a_corrupt_or_old_format_cache_is_ignored_and_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 spoil) -> None:
    rng = np.random.default_rng(7)
    d = _dir(tmp_path, {"a.tsv": HEAD + _clean_rows(rng, 5), "b.tsv": HEAD + _clean_rows(rng, 3)})
    first = io.read_score_tables(d)
    cache = _score_files._cache_file(d)
    good = cache.read_bytes()
    assert good.startswith(b"AVBSCORE") and len(_score_files._load(cache)) == 2
    if spoil == "npz":  # what format 1 wrote (an .npz archive), at the new path and at its own
        buf = io_module.BytesIO()
        tabs = [first["a"], first["b"]]
        np.savez(buf, format=np.int64(1), names=np.array(["a.tsv", "b.tsv"]),
                 keys=np.array([_score_files._stat_key(d / n) for n in ("a.tsv", "b.tsv")], dtype=np.int64),
                 headers=np.array([HEAD.strip()] * 2), frames=np.array([5, 3]), classes=np.array([2, 2]),
                 ts=np.concatenate([t.timestamps for t in tabs]),
                 values=np.concatenate([t.values.ravel() for t in tabs]))
        bad = buf.getvalue()
        cache.with_suffix(".npz").write_bytes(bad)
    else:
        bad = spoil(good)
    assert bad != good
    cache.write_bytes(bad)
    assert _score_files._load(cache) == {}
    calls = _counting_parses(monkeypatch)
    _same(io.read_score_tables(d), _per_file(d))
    assert calls == [2]  # both files parsed again
    assert cache.read_bytes() == good  # and the cache written again, in this format
    assert not cache.with_suffix(".npz").exists()
    _same(io.read_score_tables(d), first)
    assert calls == [2]  # from the rewritten cache


def test_cache_round_trip_keeps_every_number_and_key(tmp_path: Path) -> None:
    # odd stat keys (a negative time, an inode past 2**63) and tables of several shapes come back as written
    rng = np.random.default_rng(8)
    tables = [ScoreTable(np.cumsum(rng.random(k + 1)), rng.random((k, c)), tuple(f"c{j}" for j in range(c)))
              for k, c in ((1, 1), (7, 3), (2, 5))]
    keys = [(10, -5, 3, 2**64 - 1), (0, 1, 2, 3), (2**40, 2**62, -(2**62), 7)]
    cache = tmp_path / "x.bin"
    _score_files._store(cache, [(f"t{i}.tsv", k, t) for i, (k, t) in enumerate(zip(keys, tables))])
    back = _score_files._load(cache)
    assert list(back) == ["t0.tsv", "t1.tsv", "t2.tsv"]
    for i, (k, t) in enumerate(zip(keys, tables)):
        bk, bt = back[f"t{i}.tsv"]
        assert bk == k and bt.classes == t.classes
        assert bt.timestamps.tobytes() == t.timestamps.tobytes() and bt.values.tobytes() == t.values.tobytes()
        assert not bt.values.flags.writeable and not bt.timestamps.flags.writeable


@pytest.mark.parametrize("make", [
    pytest.param(lambda p: p.mkdir(), id="a-directory"),
    pytest.param(lambda p: p.symlink_to(p.with_name("gone.tsv")), id="a-dangling-link"),
])
def test_an_unreadable_file_gives_the_per_file_readers_error(tmp_path: Path, make) -> None:
    rng = np.random.default_rng(9)
    d = _dir(tmp_path, {"a.tsv": HEAD + _clean_rows(rng, 3)})
    make(d / "b.tsv")
    with pytest.raises(InputError) as slow:
        _per_file(d)
    with pytest.raises(InputError) as fast:
        io.read_score_tables(d)
    assert str(fast.value) == str(slow.value) and "b.tsv" in str(fast.value)
