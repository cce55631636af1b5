"""``-o profile=sed_eval`` gives sed_eval 0.2.1's values to the bit on hostile cases, NaN included; the default
keeps avbench's rules and shows sed_eval's value beside them.

Frozen sed_eval outputs: ``data/sed_eval/hostile.json`` (``benchmarks/peers/make_sed_eval_fixtures.py``;
``null`` = sed_eval's NaN). The live check against the installed peer is ``benchmarks/peers/differential.py``.

Zero-length case (``zero_length`` in the fixtures), 1 s segments::

    ref  x  [1, 1]  [2.5, 2.5]  [3, 4)          sed_eval: event TP 2 of Nref 3, Nsys 4 (y: 2 with no reference)
    det  x  [1, 1]  [2.6, 2.6]                            segment x: [2.5, 2.5] marks segment 2, [1, 1] none
    det  y  [3.05, 3.05]  [5.5, 5.5]
"""

from __future__ import annotations

import inspect
import json
import math
from pathlib import Path

import pytest

from avbench import registry
from avbench.metrics.sed._zero_length import ZeroLengthEvent
from avbench.metrics.sed.files import evaluate_files
from avbench.metrics.sed.io import SedPredictions, read_events_tsv
from avbench.metrics.sed.profiles import profile_params
from avbench.model import Event

DATA = Path(__file__).parent / "data" / "sed_eval"
CASES = {c["name"]: c for c in json.loads((DATA / "hostile.json").read_text())["cases"]}
HEAD = "filename\tonset\toffset\tevent_label\n"


def _events(rows_by_clip: dict) -> dict:
    return {c: [(ZeroLengthEvent if a == b else Event)(a, b, lab) for a, b, lab in rows] for c, rows in rows_by_clip.items()}


def _score(case: dict, mid: str, profile: str):
    cfg = registry.metric(mid)
    params = profile_params(profile, mid, set(inspect.signature(cfg.compute).parameters))
    return cfg(_events(case["reference"]), SedPredictions(events=_events(case["estimated"])), labels=case["labels"],
               durations=case["durations"], **params)


def _value(r, key: str) -> float:
    if key.startswith("class."):
        _, lab, name = key.split(".", 2)
        return float(r.class_wise[lab][name])
    if key == "substitutions":
        return float(r.extra["counts"]["substitutions"])
    return float(r.overall[key])


@pytest.mark.parametrize("mid", ["event_f1", "event_f1_sed_eval", "event_f1_onset", "segment_f1"])
@pytest.mark.parametrize("name", list(CASES))
def test_sed_eval_profile_equals_sed_eval_to_the_bit(name: str, mid: str) -> None:
    case = CASES[name]
    r = _score(case, mid, "sed_eval")
    for key, want in case["sed_eval"][mid].items():
        got = _value(r, key)
        if want is None:
            assert math.isnan(got), (key, got)
        else:
            assert got == want, (key, got, want)


@pytest.mark.parametrize("name", list(CASES))
def test_default_profile_never_gives_nan(name: str) -> None:
    for mid in ("event_f1", "event_f1_sed_eval", "event_f1_onset", "segment_f1"):
        r = _score(CASES[name], mid, "avbench")
        values = [*r.overall.values(), *(v for cw in r.class_wise.values() for v in cw.values())]
        assert not any(isinstance(v, float) and math.isnan(v) for v in values), (mid, r.overall)


def test_cases_cover_every_hostile_kind() -> None:
    kinds = {"zero_length", "no_detections", "no_references", "nothing", "past_end", "duplicates", "empty_classes"}
    assert kinds <= set(CASES)
    nan_keys = {k for c in CASES.values() for m in c["sed_eval"].values() for k, v in m.items() if v is None}
    assert {"f1", "precision", "recall", "f1_macro"} <= nan_keys  # NaN overall and averaged, not only class-wise


def test_each_nan_is_explained(tmp_path: Path) -> None:
    r = _score(CASES["no_detections"], "event_f1", "sed_eval")
    assert math.isnan(r.overall["precision"]) and math.isnan(r.overall["f1_macro"])
    assert any("2 class(es) without predicted events (x, y): precision NaN" in f for f in r.flags)
    assert any(f.startswith("sed_eval arithmetic: f1, precision, f1_macro, precision_macro NaN") for f in r.flags)
    d = _score(CASES["no_detections"], "event_f1", "avbench")
    assert (d.overall["precision"], d.overall["f1_macro"]) == (0.0, 0.0)
    assert "class 'x' has no predicted events: precision and F1 set to 0" in d.flags


def _files(tmp_path: Path, ref: str, det: str, options: dict, metrics=("event_f1", "segment_f1")):
    (tmp_path / "gt.tsv").write_text(HEAD + ref)
    (tmp_path / "det.tsv").write_text(HEAD + det)
    return evaluate_files(list(metrics), reference=tmp_path / "gt.tsv", predictions=tmp_path / "det.tsv",
                          durations=None, allow_missing=False, plots_dir=None, options=options)


ZERO_REF = "z.wav\t1.0\t1.0\tx\nz.wav\t2.5\t2.5\tx\nz.wav\t3.0\t4.0\tx\n"
ZERO_DET = "z.wav\t1.0\t1.0\tx\nz.wav\t2.6\t2.6\tx\nz.wav\t3.05\t3.05\ty\nz.wav\t5.5\t5.5\ty\n"


def test_zero_length_rows_of_files_reach_the_sed_eval_profile(tmp_path: Path) -> None:
    rep = _files(tmp_path, ZERO_REF, ZERO_DET, {"profile": "sed_eval", "labels": "x,y"})
    for r in rep.results:
        want = CASES["zero_length"]["sed_eval"][r.id]
        assert all(math.isnan(_value(r, k)) if v is None else _value(r, k) == v for k, v in want.items()), r.id
        assert not any("zero-length" in f for f in r.flags)
    assert rep.results[0].extra["counts"]["n_ref"] == 3


def test_default_drops_zero_length_rows_and_shows_sed_eval_beside(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="dropped 2 zero-length event"):
        rep = _files(tmp_path, ZERO_REF, ZERO_DET, {"labels": "x,y"})
    r = rep.results[0]
    assert r.extra["counts"]["n_ref"] == 1 and r.extra["counts"]["n_sys"] == 0
    assert f"2 zero-length reference event(s) (onset == offset) dropped, e.g. {tmp_path / 'gt.tsv'}, line 2" in r.flags
    beside = r.extra["reference_profile"]
    assert beside["profile"] == "sed_eval"
    assert beside["overall"]["f1"] == CASES["zero_length"]["sed_eval"]["event_f1"]["f1"]
    assert any(d.startswith("2 zero-length reference event(s) (onset == offset) dropped, e.g. clip 'z.wav' at 1 s")
               for d in beside["deviations"])


def test_nan_is_null_in_json_and_nan_in_the_table(tmp_path: Path) -> None:
    from rich.console import Console

    rep = _files(tmp_path, "n.wav\t0.5\t1.5\tx\n", "n.wav\t\t\t\n", {"profile": "sed_eval", "labels": "x"},
                 metrics=("event_f1",))
    out = rep.to_dict()["metrics"]["event_f1"]
    assert out["overall"]["precision"] is None and out["overall"]["recall"] == 0.0
    assert math.isnan(rep.results[0].overall["precision"])
    console = Console(width=200, record=True)
    rep.render(console)
    text = console.export_text()
    assert "precision" in text and "NaN" in text and "avbench: 0.0000" in text
    json.dumps(rep.to_dict(), allow_nan=False)  # the JSON report holds no NaN literal


def test_past_end_detections_are_scored_as_sed_eval_scores_them(tmp_path: Path) -> None:
    case = CASES["past_end"]
    ours = _score(case, "event_f1", "avbench")
    assert ours.class_wise["x"]["n_sys"] == 1  # [10.5, 11.0) starts at the 10.5 s end: ignored, flagged
    assert "1 detection(s) start at or after their clip's end (padding): ignored" in ours.flags
    assert _score(case, "event_f1", "sed_eval").class_wise["x"]["n_sys"] == case["sed_eval"]["event_f1"]["class.x.n_sys"] == 2


def test_reader_keeps_zero_length_rows_in_file_order_only_when_asked(tmp_path: Path) -> None:
    p = tmp_path / "gt.tsv"
    p.write_text(HEAD + ZERO_REF)
    kept = read_events_tsv(p, keep_zero_length=True)["z.wav"]
    assert [(type(e).__name__, e.onset) for e in kept] == [("ZeroLengthEvent", 1.0), ("ZeroLengthEvent", 2.5),
                                                           ("Event", 3.0)]
    with pytest.warns(UserWarning, match="dropped 2 zero-length"):
        assert [e.onset for e in read_events_tsv(p)["z.wav"]] == [3.0]
    with pytest.raises(Exception, match="must be >= 0 and equal the offset"):
        ZeroLengthEvent(1.0, 2.0, "x")
