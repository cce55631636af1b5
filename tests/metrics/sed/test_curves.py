"""Collar-/segment-based best-threshold F1 from score tables, and bootstrap intervals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.metrics.sed._psd.core import RefIndex
from avbench.metrics.sed._curve_counts import collar_counts, segment_counts
from avbench.metrics.sed.io import ScoreTable, SedPredictions
from avbench.metrics.sed.curves import METRICS, bootstrap_ci, event_f1_best, segment_f1_best
from avbench.metrics.sed.intersection import METRICS as INTERSECTION
from avbench.model import Event

DATA = Path(__file__).parent / "data" / "psds"


def _ev(d):
    return {c: [Event(a, b, lab) for a, b, lab in evs] for c, evs in d.items()}


def _tables(case):
    return {c: ScoreTable(np.array(s["timestamps"]), np.array(s["values"]), tuple(case["labels"]))
            for c, s in case["scores"].items()}


@pytest.mark.parametrize("i", range(6))
def test_best_f_equals_sed_scores_eval(i):
    case = json.loads((DATA / "scores_cases.json").read_text())[i]
    pred = SedPredictions(scores=_tables(case))
    for fn, key in ((event_f1_best, "collar_best"), (segment_f1_best, "segment_best")):
        r = fn(_ev(case["reference"]), pred, durations=case["durations"], labels=case["labels"])
        exp = case["expected"][key]
        assert r.overall["f1_macro"] == pytest.approx(exp["f"]["macro_average"], abs=1e-12)
        for c in case["labels"]:
            assert r.class_wise[c]["f1"] == pytest.approx(exp["f"][c], abs=1e-12)
            assert r.class_wise[c]["precision"] == pytest.approx(exp["p"][c], abs=1e-12)
            assert r.class_wise[c]["threshold"] == pytest.approx(exp["threshold"][c], abs=1e-12)


def _brute_collar_tp(scores, ts, gt, collar):
    """TP at each distinct score by exhaustive matching (tiny inputs only)."""
    def best_match(hit, i=0, used=frozenset()):
        if i == len(hit):
            return 0
        alts = [best_match(hit, i + 1, used)]
        alts += [1 + best_match(hit, i + 1, used | {g}) for g, h in enumerate(hit[i]) if h and g not in used]
        return max(alts)

    out = {}
    for u in np.unique(scores):
        act = np.r_[False, scores >= u, False]
        ch = np.flatnonzero(act[1:] != act[:-1])
        dets = [(ts[a], ts[b]) for a, b in zip(ch[::2], ch[1::2])]
        hit = [[abs(d[0] - g[0]) <= collar + 1e-9 and abs(d[1] - g[1]) <= collar + 1e-9 for g in gt] for d in dets]
        out[float(u)] = (best_match(hit), len(dets))
    return out


def test_collar_conflicts_solved_by_matching():
    """Two short reference events 0.2 s apart with 0.5-s collars: at some thresholds one detection
    hits both, or two detections hit one; TP must be a maximum matching (checked exhaustively)."""
    rng = np.random.default_rng(3)
    gt = [(1.0, 1.4), (1.6, 2.0)]
    ts = np.round(np.arange(31) * 0.1, 6)
    for trial in range(20):
        s = np.round(rng.random(30), 1)
        ref = RefIndex.build({"a": [Event(a, b, "x") for a, b in gt]}, {"a": 3.0}, ["x"])
        c = collar_counts(ref, {"a": ScoreTable(ts, s[:, None], ("x",))}, onset_collar=0.5, offset_collar=0.5,
                          offset_collar_rate=0.0)[0]
        brute = _brute_collar_tp(s, ts, gt, 0.5)
        for u, (tp, n) in brute.items():
            j = np.searchsorted(-c.scores, -u, side="right") - 1
            assert (c.tp[j], c.tp[j] + c.fp[j]) == (tp, n), (trial, u)


def test_segment_counts_ascii_hand_computed():
    """2-s clip, 0.5-s frames, 1-s segments:

        frames  : 0.2 0.9 | 0.4 0.3      segment maxima: 0.9 | 0.4
        ref x   : [0.0, 0.6)              reference segments: 1 | 0
    at t=0.9: TP 1, FP 0; at t=0.4: TP 1, FP 1.
    """
    ref = RefIndex.build({"a": [Event(0.0, 0.6, "x")]}, {"a": 2.0}, ["x"])
    c = segment_counts(ref, {"a": ScoreTable(np.arange(5) * 0.5, np.array([[.2], [.9], [.4], [.3]]), ("x",))})[0]
    assert c.scores.tolist() == [np.inf, 0.9, 0.4]
    assert c.tp.tolist() == [0, 1, 1] and c.fp.tolist() == [0, 0, 1] and c.n_ref == 1


def test_class_without_reference_is_zero_and_flagged_and_missing_table_detects_nothing():
    ref = {"a": [Event(0.0, 1.0, "x")], "b": []}
    tab = ScoreTable(np.array([0.0, 1.0, 2.0]), np.array([[0.9, 0.1], [0.1, 0.2]]), ("x", "y"))
    r = event_f1_best(ref, SedPredictions(scores={"a": tab}), durations={"a": 2.0, "b": 2.0}, labels=["x", "y"])
    assert r.class_wise["y"]["f1"] == 0.0 and r.class_wise["x"]["f1"] == 1.0
    assert any("'y' has no reference" in f for f in r.flags)
    with pytest.raises(InputError, match="score tables"):
        event_f1_best(ref, SedPredictions(events={"a": []}), durations={"a": 2.0, "b": 2.0}, labels=["x", "y"])


def test_counts_of_all_clips_are_sums_of_per_clip_counts():
    case = json.loads((DATA / "scores_cases.json").read_text())[3]
    tabs, ref_ev = _tables(case), _ev(case["reference"])
    whole = segment_counts(RefIndex.build(ref_ev, case["durations"], case["labels"]), tabs)
    for j in range(len(case["labels"])):
        grid = whole[j].scores
        total = np.zeros(grid.size, dtype=np.int64)
        for clip in case["durations"]:
            part = segment_counts(RefIndex.build({clip: ref_ev.get(clip, [])}, {clip: case["durations"][clip]},
                                                 case["labels"]), {clip: tabs[clip]})[j]
            idx = np.searchsorted(-part.scores, -grid, side="right") - 1
            total += part.tp[idx]
        assert np.array_equal(total, whole[j].tp)


def test_bootstrap_is_deterministic_and_brackets_the_value():
    case = json.loads((DATA / "op_cases.json").read_text())[0]
    pred = SedPredictions(events=_ev(case["ops"]["0.5"]))
    kw = dict(durations=case["durations"], labels=case["labels"], n_bootstrap=30, seed=7)
    a = bootstrap_ci(INTERSECTION[0], _ev(case["reference"]), pred, **kw)
    b = bootstrap_ci(INTERSECTION[0], _ev(case["reference"]), pred, **kw)
    assert a == b
    assert a["low"] <= a["value"] <= a["high"] and a["key"] == "f1_macro"
    c = bootstrap_ci(INTERSECTION[0], _ev(case["reference"]), pred, **{**kw, "seed": 8})
    assert c != a


def test_bootstrap_on_scores_metric():
    case = json.loads((DATA / "scores_cases.json").read_text())[0]
    ci = bootstrap_ci(METRICS[1], _ev(case["reference"]), SedPredictions(scores=_tables(case)),
                      durations=case["durations"], labels=case["labels"], n_bootstrap=10, seed=0)
    assert 0.0 <= ci["low"] <= ci["high"] <= 1.0
