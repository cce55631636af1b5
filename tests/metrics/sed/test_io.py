"""SED readers: DCASE event / duration TSVs, score tables, operating points, SedPredictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.metrics.sed.io import (
    ScoreTable,
    SedPredictions,
    clip_stem,
    merge_overlapping,
    read_durations_tsv,
    read_events_tsv,
    read_operating_points,
    read_score_tables,
)
from avbench.model import Event


def _w(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_event_layouts(tmp_path: Path) -> None:
    dcase = _w(tmp_path / "a.tsv", "filename\tonset\toffset\tevent_label\nx.wav\t0.5\t1.0\tdog\ny.wav\t\t\t\n")
    psds = _w(tmp_path / "b.tsv", "event_label\tonset\toffset\tfilename\tindex\ndog\t0.5\t1.0\tx.wav\t0\n")
    bare = _w(tmp_path / "c.tsv", "x.wav\t0.5\t1.0\tdog\n")
    scene = _w(tmp_path / "d.tsv", "x.wav\tstreet\t0.5\t1.0\tdog\n")
    single = _w(tmp_path / "e.txt", "0.5\t1.0\tdog\n")
    comma = _w(tmp_path / "f.csv", ",event_label,onset,offset,filename\n0,dog,0.5,1.0,x.wav\n")
    for p in (dcase, psds, bare, scene, comma):
        ev = read_events_tsv(p)["x.wav"]
        assert [(e.onset, e.offset, e.label) for e in ev] == [(0.5, 1.0, "dog")], p.name
    assert read_events_tsv(dcase)["y.wav"] == []
    assert list(read_events_tsv(single)) == ["e"]


def test_event_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = _w(tmp_path / "bad.tsv", "filename\tonset\toffset\tevent_label\nx.wav\t0.5\tabc\tdog\n")
    with pytest.raises(InputError, match=r"bad.tsv, line 2: offset must be a number"):
        read_events_tsv(bad)
    rev = _w(tmp_path / "rev.tsv", "x.wav\t2.0\t1.0\tdog\n")
    with pytest.raises(InputError, match=r"rev.tsv, line 1: .*before offset"):
        read_events_tsv(rev)
    lab = _w(tmp_path / "lab.tsv", "x.wav\t0.0\t1.0\tcow\n")
    with pytest.raises(InputError, match=r"lab.tsv, line 1: unknown event label 'cow'"):
        read_events_tsv(lab, labels=["dog"])
    head = _w(tmp_path / "head.tsv", "filename\tstart\tend\tevent_label\nx.wav\t0\t1\tdog\n")
    with pytest.raises(InputError, match="header"):
        read_events_tsv(head)
    zero = _w(tmp_path / "zero.tsv", "x.wav\t1.0\t1.0\tdog\n")
    with pytest.warns(UserWarning, match="zero-length"):
        assert read_events_tsv(zero) == {"x.wav": []}
    with pytest.raises(InputError, match="no such file"):
        read_events_tsv(tmp_path / "nope.tsv")


def test_durations(tmp_path: Path) -> None:
    p = _w(tmp_path / "d.tsv", "filename\tduration\na.wav\t10.0\nb.wav\t9.5\n")
    assert read_durations_tsv(p) == {"a.wav": 10.0, "b.wav": 9.5}
    with pytest.raises(InputError, match="line 2: duration must be > 0"):
        read_durations_tsv(_w(tmp_path / "z.tsv", "a.wav\t1\nb.wav\t0\n"))
    with pytest.raises(InputError, match="listed twice"):
        read_durations_tsv(_w(tmp_path / "t.tsv", "a.wav\t1\na.wav\t2\n"))


def test_score_tables_directory_and_combined(tmp_path: Path) -> None:
    d = tmp_path / "scores"
    d.mkdir()
    _w(d / "a.tsv", "onset\toffset\tdog\tcat\n0.0\t0.5\t0.1\t0.9\n0.5\t1.0\t0.8\t0.2\n")
    tables = read_score_tables(d)
    assert tables["a"].classes == ("dog", "cat") and tables["a"].timestamps.tolist() == [0.0, 0.5, 1.0]
    comb = _w(tmp_path / "all.tsv", "filename\tonset\toffset\tdog\na.wav\t0\t1\t0.3\nb.wav\t0\t1\t0.7\n")
    t2 = read_score_tables(comb)
    assert set(t2) == {"a.wav", "b.wav"} and t2["b.wav"].values.tolist() == [[0.7]]
    _w(d / "gap.tsv", "onset\toffset\tdog\n0.0\t0.5\t0.1\n0.6\t1.0\t0.8\n")
    with pytest.raises(InputError, match="gap.tsv, line 3: frames must be gapless"):
        read_score_tables(d)
    with pytest.raises(InputError, match="strictly increasing"):
        ScoreTable(np.array([0.0, 0.0]), np.zeros((1, 1)), ("x",))


def test_operating_points(tmp_path: Path) -> None:
    d = tmp_path / "ops"
    d.mkdir()
    _w(d / "predictions_th_0.30.tsv", "event_label\tonset\toffset\tfilename\ndog\t0\t1\ta.wav\n")
    _w(d / "predictions_th_0.70.tsv", "event_label\tonset\toffset\tfilename\n")
    ops = read_operating_points(d)
    assert list(ops) == [0.3, 0.7] and len(ops[0.3]["a.wav"]) == 1 and ops[0.7] == {}
    listing = _w(tmp_path / "ops.tsv", "threshold\tpath\n0.3\tops/predictions_th_0.30.tsv\n")
    assert list(read_operating_points(listing)) == [0.3]
    _w(d / "predictions.tsv", "")
    with pytest.raises(InputError, match="must end in the threshold"):
        read_operating_points(d)


def test_single_op_events_rule() -> None:
    """events as given; operating point at the threshold; scores binarised with score > threshold."""
    st = ScoreTable(np.array([0.0, 1.0, 2.0, 3.0]), np.array([[0.4], [0.5], [0.6]]), ("x",))
    p = SedPredictions(scores={"a": st})
    assert [(e.onset, e.offset) for e in p.single_op_events(threshold=0.5)["a"]] == [(2.0, 3.0)]
    assert [(e.onset, e.offset) for e in p.single_op_events(threshold=0.49)["a"]] == [(1.0, 3.0)]
    ops = SedPredictions(operating_points={0.5: {"a": [Event(0, 1, "x")]}})
    assert len(ops.single_op_events(threshold=0.5)["a"]) == 1
    with pytest.raises(InputError, match="no operating point at threshold 0.4"):
        ops.single_op_events(threshold=0.4)
    with pytest.raises(InputError, match="give events"):
        SedPredictions()


def test_merge_policy() -> None:
    ev = {"a": [Event(0, 1, "x"), Event(1.0000001, 2, "x"), Event(5, 6, "x")]}
    merged, n = merge_overlapping(ev, time_decimals=6)
    assert n == 1 and [(e.onset, e.offset) for e in merged["a"]] == [(0.0, 2.0), (5.0, 6.0)]
    assert merge_overlapping(ev, time_decimals=None)[1] == 0  # 1.0000001 > 1.0 without rounding
    with pytest.raises(InputError, match="clip 'a'"):
        merge_overlapping(ev, strict=True)
    assert clip_stem("x.WAV") == "x"


_CLEAN_CASES = {
    "dcase": "filename\tonset\toffset\tevent_label\nx.wav\t0.5\t1.0\tdog\ny.wav\t\t\t\nx.wav\t0.25\t3\tcat\nz.wav\t1e-3\t2.5\tdog\n",
    "psds order": "event_label\tonset\toffset\tfilename\tindex\ndog\t0.5\t1.0\tx.wav\t0\ncat\t2\t3\ty.wav\t1\n",
    "scene column": "filename\tscene_label\tonset\toffset\tevent_label\nx.wav\thome\t0.5\t1.0\tdog\ny.wav\t\t\t\t\n",
    "comma": ",event_label,onset,offset,filename\n0,dog,0.5,1.0,x.wav\n1,cat,0,0.1,x.wav\n",
    "negative zero": "filename\tonset\toffset\tevent_label\nx.wav\t-0.0\t1.0\tdog\n",
    "interleaved clips": "filename\tonset\toffset\tevent_label\nx.wav\t0\t1\tdog\ny.wav\t0\t1\tcat\nx.wav\t2\t3\tcat\n",
    "declared between": "filename\tonset\toffset\tevent_label\nx.wav\t0\t1\tdog\nx.wav\t\t\t\nx.wav\t2\t3\tcat\n",
    "contiguous": "filename\tonset\toffset\tevent_label\n" + "".join(
        f"c{i}.wav\t{j}\t{j + 0.5}\t{'dog' if (i + j) % 2 else 'cat'}\n" for i in range(5) for j in range(i + 1)),
    "no final newline": "filename\tonset\toffset\tevent_label\nx.wav\t0.5\t1.0\tdog",
}
_GENERAL_CASES = {  # not clean: the general reader decides (a value, a dropped event or an error)
    "zero length": "filename\tonset\toffset\tevent_label\nx.wav\t0.5\t0.5\tdog\nx.wav\t1\t2\tdog\n",
    "spaces": "filename\tonset\toffset\tevent_label\nx.wav \t 0.5\t1.0\tdog\n",
    "crlf": "filename\tonset\toffset\tevent_label\r\nx.wav\t0.5\t1.0\tdog\r\n",
    "blank line": "filename\tonset\toffset\tevent_label\nx.wav\t0.5\t1.0\tdog\n\ny.wav\t1\t2\tcat\n",
    "short declaration": "filename\tonset\toffset\tevent_label\nx.wav\ny.wav\t1\t2\tcat\n",
    "3 fields": "filename\tonset\toffset\tevent_label\nx.wav\t0.5\t1.0\n",
    "label alone missing": "filename\tonset\toffset\tevent_label\nx.wav\t0.5\t1.0\t\n",
    "bad number": "filename\tonset\toffset\tevent_label\nx.wav\t0.5s\t1.0\tdog\n",
    "nan": "filename\tonset\toffset\tevent_label\nx.wav\tnan\t1.0\tdog\n",
    "inf offset": "filename\tonset\toffset\tevent_label\nx.wav\t0\tinf\tdog\n",
    "reversed": "filename\tonset\toffset\tevent_label\nx.wav\t2\t1.0\tdog\n",
    "negative": "filename\tonset\toffset\tevent_label\nx.wav\t-1\t1.0\tdog\n",
    "no filename": "filename\tonset\toffset\tevent_label\n\t0.5\t1.0\tdog\n",
    "unknown label": "filename\tonset\toffset\tevent_label\nx.wav\t0.5\t1.0\tbird\n",
    "no header": "x.wav\t0.5\t1.0\tdog\n",
    "widths compensate": "filename\tonset\toffset\tevent_label\nx.wav\t0.5\t1.0\tdog\t3\n4\t5\tcat\n",
    "trailing blank line": "filename\tonset\toffset\tevent_label\nx.wav\t0.5\t1.0\tdog\n\n",
    "header only": "filename\tonset\toffset\tevent_label\n",
}


def _general(monkeypatch: pytest.MonkeyPatch, path: Path, **kw):
    from avbench.metrics.sed import io

    with monkeypatch.context() as m:
        m.setattr(io, "_read_clean_events", lambda text, allowed: None)
        try:
            return read_events_tsv(path, **kw)
        except InputError as exc:
            return f"InputError: {exc}"


@pytest.mark.filterwarnings("ignore:.*zero-length")
@pytest.mark.parametrize("seed", range(20))
def test_the_clean_file_path_equals_the_general_reader_on_random_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       seed: int) -> None:
    """Random clean files (clips contiguous or interleaved, declared clips, repeated times) and damaged copies."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(int(rng.integers(1, 60))):
        clip = f"c{int(rng.integers(0, 8))}.wav"
        if rng.random() < 0.1:
            rows.append(f"{clip}\t\t\t")
            continue
        on = round(float(rng.uniform(0, 9)), int(rng.integers(0, 4)))
        rows.append(f"{clip}\t{on}\t{on + round(float(rng.uniform(0.001, 3)), 3)}\t{rng.choice(['cat', 'dog'])}")
    if rng.random() < 0.5:
        rows.sort(key=lambda r: r.split("\t")[0])  # contiguous clips, as DCASE tools write them
    if seed % 4 == 3:  # damage one row: a cell too many, one too few, or a bad number
        i = int(rng.integers(0, len(rows)))
        rows[i] = [rows[i] + "\t1", rows[i].rsplit("\t", 1)[0], rows[i].replace("\t", "\tx", 1)][seed % 3]
    p = tmp_path / "f.tsv"
    p.write_text("filename\tonset\toffset\tevent_label\n" + "\n".join(rows) + "\n")
    want = _general(monkeypatch, p, labels=["cat", "dog"])
    try:
        got = read_events_tsv(p, labels=["cat", "dog"])
    except InputError as exc:
        got = f"InputError: {exc}"
    assert got == want
    if isinstance(got, dict):
        assert list(got) == list(want)  # clips in order of first appearance


@pytest.mark.filterwarnings("ignore:.*zero-length")
@pytest.mark.parametrize("name", sorted(_CLEAN_CASES) + sorted(_GENERAL_CASES))
def test_the_clean_file_path_reads_what_the_general_reader_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  name: str) -> None:
    from avbench.metrics.sed import io

    text = {**_CLEAN_CASES, **_GENERAL_CASES}[name]
    p = tmp_path / ("f.csv" if name == "comma" else "f.tsv")
    p.write_bytes(text.encode())
    labels = ["cat", "dog"]
    if name in _CLEAN_CASES:
        assert io._read_clean_events(text, frozenset(labels)) is not None  # the fast path is taken
    else:
        assert io._read_clean_events(text, frozenset(labels)) is None
    want = _general(monkeypatch, p, labels=labels)
    try:
        got = read_events_tsv(p, labels=labels)
    except InputError as exc:
        got = f"InputError: {exc}"
    assert got == want
    if isinstance(got, dict):
        assert [list(map(repr, v)) for v in got.values()] == [list(map(repr, v)) for v in want.values()]
        assert all(hash(a) == hash(b) for k in got for a, b in zip(got[k], want[k]))
        with pytest.raises(Exception):
            next(e for v in got.values() for e in v).onset = 9.0  # still a frozen Event


def test_the_ascii_white_space_scan_flags_what_the_pattern_flags() -> None:
    from avbench.metrics.sed import io

    for i in range(0x3000):
        text = f"a\t{chr(i)}\n"
        assert io._odd_space(text) == bool(io._ODD_SPACE.search(text)), hex(i)
