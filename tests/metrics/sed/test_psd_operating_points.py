"""Operating-point PSDS internals: columnar file reader, deduplicated counting, resampling."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from sed_fixtures import random_operating_points
import pytest

from avbench.errors import InputError
from avbench.metrics.sed._psd.core import RefIndex
from avbench.metrics.sed._psd.operating_points import OpGeometry
from avbench.metrics.sed._detections import DetectionColumns
from avbench.metrics.sed.io import SedPredictions, read_operating_points
from avbench.metrics.sed._op_files import read_operating_point_columns
from avbench.metrics.sed.psd import psds
from avbench.model import Event

HEAD = "filename\tonset\toffset\tevent_label\n"


def _as_sets(ops_by_clip):
    return {c: sorted((e.onset, e.offset, e.label) for e in evs) for c, evs in ops_by_clip.items() if evs}


def _write(d: Path, name: str, text: str) -> None:
    (d / name).write_text(text)


def test_file_columns_equal_the_event_reader_on_every_layout(tmp_path):
    d = tmp_path
    _write(d, "p_0.1.tsv", HEAD + "a.wav\t1.0\t3.0\tdog\na.wav\t5\t6\tcat\nb.wav\t\t\t\nc.wav\t2.0\t2.0\tdog\n")
    _write(d, "p_0.2.tsv", HEAD + "a.wav\t1.00\t3.0\tdog\nc.wav\t0.5\t1.5\tcat\n\n")  # 1.00 == 1.0, blank line
    _write(d, "p_0.3.csv", "filename,onset,offset,event_label\na.wav,1.0,3.0,dog\n")  # comma separated
    _write(d, "p_0.4.tsv", "event_label\tonset\toffset\tfilename\tindex\ndog\t1.0\t2.0\ta.wav\t0\n")  # psds_eval order
    _write(d, "p_0.5.tsv", "a.wav\t1.0\t3.0\tdog\n")  # no header: read by read_events_tsv
    _write(d, "p_0.6.tsv", HEAD + "a.wav\t 1.0\t3.0\tdog \n")  # padded cells: read by read_events_tsv
    _write(d, "p_0.7.tsv", HEAD)  # no detections at all
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cols = read_operating_point_columns(d)
        ops = read_operating_points(d)
    assert sum("zero-length" in str(w.message) for w in caught) == 2  # one per reader, naming p_0.1.tsv
    assert cols.thresholds == tuple(sorted(ops)) == (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
    for i, th in enumerate(cols.thresholds):
        assert _as_sets(cols.events_at(i)) == _as_sets(ops[th]), th
    assert set(cols.clips) == {c for op in ops.values() for c in op}  # b.wav is declared, without detections
    # (a, 1, 3, dog) is written 5 times in 3 forms: stored once
    assert cols.n_distinct == 4 and cols.op.size == 8


def test_file_reader_errors_name_file_and_line(tmp_path):
    _write(tmp_path, "p_0.5.tsv", HEAD + "a.wav\t1.0\t3.0\tdog\na.wav\t4.0\t3.0\tdog\n")
    with pytest.raises(InputError, match=r"p_0.5.tsv, line 3"):
        read_operating_point_columns(tmp_path)
    _write(tmp_path, "p_0.5.tsv", HEAD + "a.wav\t1.0\t3.0\tdog\na.wav\t4.0\t5.0\tcow\n")
    with pytest.raises(InputError, match=r"p_0.5.tsv, line 3: unknown event label 'cow'"):
        read_operating_point_columns(tmp_path, labels=["dog", "cat"])
    _write(tmp_path, "p_0.5.tsv", HEAD + "a.wav\tx\t3.0\tdog\n")
    with pytest.raises(InputError, match=r"line 2: onset must be a number"):
        read_operating_point_columns(tmp_path)


def _naive_counts(ref, ops, labels, dtc, gtc, cttc, dec):
    """Per operating point, detection by detection: the intersection criteria written out plainly."""
    def rnd(x):
        return x if dec is None else round(x, dec)

    def ov(a, b, g):
        return max(0.0, min(b, g.offset) - max(a, g.onset))

    k = len(labels)
    out_tp, out_fp, out_ct = [], [], []
    for th in sorted(ops):
        tp, fp, ct = np.zeros(k, int), np.zeros(k, int), np.zeros((k, k), int)
        cover = {}
        for clip, evs in ops[th].items():
            gts = sorted(ref.get(clip, []), key=lambda g: g.onset)
            for d in evs:
                n = d.offset - d.onset
                own = [g for g in gts if g.label == d.label]
                tot = 0.0
                for g in own:
                    tot += ov(d.onset, d.offset, g) / n if dec is None else ov(d.onset, d.offset, g)
                if (tot >= dtc) if dec is None else rnd(tot) >= rnd(dtc * n):
                    for g in own:
                        if ov(d.onset, d.offset, g) > 0:
                            x = ov(d.onset, d.offset, g)
                            cover[id(g)] = cover.get(id(g), 0.0) + (x / (g.offset - g.onset) if dec is None else x)
                    continue
                fp[labels.index(d.label)] += 1
                for j, other in enumerate(labels):
                    others = [g for g in gts if g.label == other]
                    if other == d.label or not others:
                        continue
                    s = 0.0
                    for g in others:
                        s += ov(d.onset, d.offset, g) / n if dec is None else ov(d.onset, d.offset, g)
                    if (s >= cttc) if dec is None else rnd(s) >= rnd(cttc * n):
                        ct[labels.index(d.label), j] += 1
        for evs in ref.values():
            for g in evs:
                c = cover.get(id(g), 0.0)
                crit = gtc if dec is None else gtc * (g.offset - g.onset)
                if c > 0 and ((c >= crit) if dec is None else rnd(c) >= rnd(crit)):
                    tp[labels.index(g.label)] += 1
        out_tp.append(tp)
        out_fp.append(fp)
        out_ct.append(ct)
    return np.array(out_tp), np.array(out_fp), np.array(out_ct)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dec", [6, None])
def test_deduplicated_counts_equal_plain_per_detection_counts(seed, dec):
    ref, ops, labels = random_operating_points(seed)
    durations = dict.fromkeys(ref, 10.0)
    cols = DetectionColumns.from_events(ops)
    assert cols.n_distinct < cols.op.size  # the case does share detections across operating points
    geo = OpGeometry.build(RefIndex.build(ref, durations, labels), cols)
    for dtc, gtc, cttc in [(0.7, 0.7, None), (0.1, 0.1, 0.3), (0.5, 0.5, 0.3)]:
        c = geo.counts(dtc=dtc, gtc=gtc, cttc=cttc, time_decimals=dec)
        tp, fp, ct = _naive_counts(ref, ops, labels, dtc, gtc, 1.0 if cttc is None else cttc, dec)
        assert np.array_equal(c.tp, tp) and np.array_equal(c.fp, fp)
        assert np.array_equal(c.ct, ct if cttc is not None else np.zeros_like(ct))


def test_same_class_overlap_refused_within_an_operating_point_only():
    ref, dur = {"a": [Event(1, 3, "x")]}, {"a": 10.0}
    nested = {0.2: {"a": [Event(1, 4, "x")]}, 0.8: {"a": [Event(1.5, 3, "x")]}}  # overlap across ops: fine
    r = psds(ref, SedPredictions(operating_points=nested), durations=dur, labels=["x"], dtc=0.5, gtc=0.5)
    assert r.extra["n_points"] == 2
    bad = {0.2: {"a": [Event(1, 4, "x"), Event(6, 7, "x")]}, 0.8: {"a": [Event(6.5, 8, "x"), Event(6, 7, "x")]}}
    with pytest.raises(InputError, match=r"clip 'a': same-class events 'x' \[6.0, 7.0\] and \[6.5, 8.0\] overlap"):
        psds(ref, SedPredictions(operating_points=bad), durations=dur, labels=["x"], dtc=0.5, gtc=0.5)


def test_columns_renamed_and_resampled():
    ops = {0.3: {"a": [Event(0, 1, "x")], "b": [Event(2, 3, "y"), Event(5, 6, "x")]}, 0.6: {"b": [Event(5, 6, "x")]}}
    cols = DetectionColumns.from_events(ops)
    merged = cols.renamed(["z", "z"])
    assert merged.clips == ("z",) and _as_sets(merged.events_at(0)) == {"z": [(0.0, 1.0, "x"), (2.0, 3.0, "y"),
                                                                            (5.0, 6.0, "x")]}
    boot = cols.resampled(np.array([1, 1, 0]), ["b#0", "b#1", "a#2"])
    assert _as_sets(boot.events_at(0)) == {"b#0": [(2.0, 3.0, "y"), (5.0, 6.0, "x")],
                                           "b#1": [(2.0, 3.0, "y"), (5.0, 6.0, "x")], "a#2": [(0.0, 1.0, "x")]}
    assert _as_sets(boot.events_at(1)) == {"b#0": [(5.0, 6.0, "x")], "b#1": [(5.0, 6.0, "x")]}


def test_evaluate_files_aligns_column_clip_ids_by_stem(tmp_path):
    from avbench.metrics.sed.files import evaluate_files

    ref, ops, labels = random_operating_points(4)
    (tmp_path / "gt.tsv").write_text(HEAD + "".join(f"{c}.wav\t{e.onset}\t{e.offset}\t{e.label}\n"
                                                    for c, evs in ref.items() for e in evs))
    (tmp_path / "dur.tsv").write_text("filename\tduration\n" + "".join(f"{c}.wav\t3600\n" for c in ref))
    (tmp_path / "ops").mkdir()
    for th, op in ops.items():  # detections name the clips without the audio suffix
        _write(tmp_path / "ops", f"det_{th}.tsv", HEAD + "".join(f"{c}\t{e.onset}\t{e.offset}\t{e.label}\n"
                                                                 for c, evs in op.items() for e in evs))
    rep = evaluate_files(["psds1", "psds2"], reference=tmp_path / "gt.tsv", predictions=tmp_path / "ops",
                         durations=tmp_path / "dur.tsv", allow_missing=True, plots_dir=None, options={})
    ref_w = {f"{c}.wav": evs for c, evs in ref.items()}
    ops_w = {th: {f"{c}.wav": evs for c, evs in op.items()} for th, op in ops.items()}
    for r in rep.results:
        direct = psds(ref_w, SedPredictions(operating_points=ops_w), durations=dict.fromkeys(ref_w, 3600.0),
                      labels=sorted(labels), **r.params)
        assert r.overall == direct.overall and r.extra["mode"] == "operating_points"


def test_psds_eval_float_order_gives_psds_eval_to_the_last_bit() -> None:
    """A generated case where avbench's envelope area differs from psds_eval 0.5.3 in the last bit (psds2:
    0.3379665225615874 vs 0.33796652256158743): ``float_order="psds_eval"`` (the psds_eval profile) sums the area
    on psds_eval's grid and the reference durations as its pandas tables do, and gives psds_eval's float."""
    import json
    from pathlib import Path

    from avbench.metrics.sed.io import SedPredictions
    from avbench.model import Event
    from avbench.registry import metric

    case = json.loads((Path(__file__).parent / "data" / "psds" / "float_order_case.json").read_text())
    ref: dict = {}
    for f, a, b, lab in case["gt"]:
        ref.setdefault(f, []).append(Event(a, b, lab))
    ops: dict = {}
    for t, rows in case["ops"].items():
        for f, a, b, lab in rows:
            ops.setdefault(float(t), {}).setdefault(f, []).append(Event(a, b, lab))
    pred = SedPredictions(operating_points=ops)
    kw = dict(labels=case["labels"], durations=case["durations"], time_decimals=None, no_reference_class="drop")
    got = metric("psds2")(ref, pred, float_order="psds_eval", **kw).overall["psds"]
    assert got == case["psds_eval"]["psds2"]
    assert metric("psds1")(ref, pred, float_order="psds_eval", **kw).overall["psds"] == case["psds_eval"]["psds1"]
    envelope = metric("psds2")(ref, pred, **kw).overall["psds"]
    assert envelope != got and abs(envelope - got) < 1e-15
