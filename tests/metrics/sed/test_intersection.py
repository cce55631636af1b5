"""Intersection-based F1: hand-computed timelines, edge policies, psds_eval fixture values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avbench.errors import InputError
from avbench.metrics.sed.io import SedPredictions
from avbench.metrics.sed.intersection import METRICS, intersection_f1
from avbench.model import Event

DATA = Path(__file__).parent / "data" / "psds"


def _ev(d):
    return {c: [Event(a, b, lab) for a, b, lab in evs] for c, evs in d.items()}


def test_ascii_timeline_hand_computed():
    """1 s per character, dtc = gtc = 0.5:

        ref dog : ##########..........   [0, 10)
        det dog : ...##.##............   [3, 5) [6, 8): both meet DTC; together cover 4/10 < GTC -> FN
        ref cat : ..........#####.....   [10, 15)
        det cat : .........####.......   [9, 13): 3/4 in ref (DTC), covers 3/5 (GTC) -> TP
        det cat : .................##.   [17, 19): FP

    dog: TP 0, FP 0, FN 1 -> F 0; cat: TP 1, FP 1, FN 0 -> P 1/2, R 1, F 2/3.
    """
    ref = {"a": [Event(0, 10, "dog"), Event(10, 15, "cat")]}
    det = SedPredictions(events={"a": [Event(3, 5, "dog"), Event(6, 8, "dog"), Event(9, 13, "cat"), Event(17, 19, "cat")]})
    r = intersection_f1(ref, det, durations={"a": 20.0}, labels=["dog", "cat"])
    assert r.class_wise["dog"] == {"f1": 0.0, "precision": 0.0, "recall": 0.0, "tp": 0, "fp": 0, "fn": 1}
    assert r.class_wise["cat"]["f1"] == pytest.approx(2 / 3)
    assert r.class_wise["cat"]["precision"] == pytest.approx(0.5)
    assert r.overall["f1_macro"] == pytest.approx(1 / 3)
    assert r.overall["f1_micro"] == pytest.approx(2 * 1 / (2 * 1 + 1 + 1))


def test_two_detections_sum_to_meet_gtc():
    """ref [0, 10); dets [0, 3) and [4, 7): each alone covers < 50 %, together 60 % -> TP."""
    ref = {"a": [Event(0, 10, "dog")]}
    det = SedPredictions(events={"a": [Event(0, 3, "dog"), Event(4, 7, "dog")]})
    r = intersection_f1(ref, det, durations={"a": 10.0}, labels=["dog"])
    assert r.class_wise["dog"]["tp"] == 1 and r.class_wise["dog"]["fp"] == 0


def test_exact_tie_counts_as_hit():
    """0.448 / 0.64 is exactly 0.7 but 0.6999999... in floats: rounded comparison counts it."""
    ref = {"a": [Event(8.5, 9.14, "cat")]}
    det = SedPredictions(events={"a": [Event(8.64, 9.088, "cat")]})
    kw = dict(durations={"a": 10.0}, labels=["cat"], dtc=0.7, gtc=0.7)
    assert intersection_f1(ref, det, **kw).class_wise["cat"]["tp"] == 1
    assert intersection_f1(ref, det, time_decimals=None, **kw).class_wise["cat"]["tp"] == 0  # psds_eval


def test_class_with_no_reference_no_detection_is_zero_and_flagged():
    ref = {"a": [Event(0, 1, "dog")]}
    det = SedPredictions(events={"a": [Event(0, 1, "dog")]})
    r = intersection_f1(ref, det, durations={"a": 2.0}, labels=["dog", "cat"])
    assert r.class_wise["cat"]["f1"] == 0.0 and r.overall["f1_macro"] == 0.5
    assert any("'cat' has no reference events and no detections" in f for f in r.flags)


def test_zero_tp_class_is_zero_not_nan():
    """psds_eval 0.5.3 gives NaN here (FN derived as TP / TPR) and drops the class from the mean."""
    ref = {"a": [Event(0, 1, "dog"), Event(2, 3, "cat")]}
    det = SedPredictions(events={"a": [Event(0, 1, "dog")]})
    r = intersection_f1(ref, det, durations={"a": 5.0}, labels=["dog", "cat"])
    assert r.class_wise["cat"]["f1"] == 0.0 and r.overall["f1_macro"] == 0.5


def test_cross_triggers_reported_and_counted_as_fp():
    ref = {"a": [Event(0, 4, "dog")]}
    det = SedPredictions(events={"a": [Event(0, 4, "cat")]})
    r = intersection_f1(ref, det, durations={"a": 5.0}, labels=["dog", "cat"])
    assert r.class_wise["cat"]["fp"] == 1
    assert r.extra["cross_triggers"] == {"cat": {"dog": 1}}


def test_threshold_picks_operating_point_and_unknown_clip_is_refused():
    ref = {"a": [Event(0, 1, "dog")]}
    ops = {0.3: {"a": [Event(0, 1, "dog"), Event(3, 4, "dog")]}, 0.7: {"a": [Event(0, 1, "dog")]}}
    pred = SedPredictions(operating_points=ops)
    assert intersection_f1(ref, pred, durations={"a": 5.0}, labels=["dog"], threshold=0.7).overall["f1_macro"] == 1.0
    with pytest.raises(InputError, match="not in the evaluation set"):
        intersection_f1(ref, SedPredictions(events={"b": []}), durations={"a": 5.0}, labels=["dog"])


@pytest.mark.parametrize("i", range(5))
def test_macro_f_equals_psds_eval_fixture(i):
    case = json.loads((DATA / "op_cases.json").read_text())[i]
    pred = SedPredictions(events=_ev(case["ops"]["0.5"]))
    r = METRICS[0](_ev(case["reference"]), pred, durations=case["durations"], labels=case["labels"])
    exp = case["expected"]["macro_f"]
    assert r.overall["f1_macro"] == pytest.approx(exp["f1_macro"], abs=1e-12)
    for cls, v in exp["class_f1"].items():
        assert r.class_wise[cls]["f1"] == pytest.approx(v, abs=1e-12)


def test_chunks_of_clips_sum_to_one_call():
    ref = {"a": [Event(0, 2, "dog")], "b": [Event(1, 3, "cat")], "c": []}
    det = {"a": [Event(0, 2, "dog")], "b": [Event(1, 2, "cat"), Event(4, 5, "dog")], "c": [Event(0, 1, "cat")]}
    dur = {"a": 5.0, "b": 5.0, "c": 5.0}
    whole = intersection_f1(ref, SedPredictions(events=det), durations=dur, labels=["dog", "cat"])
    tp = fp = fn = 0
    for clip in dur:
        part = intersection_f1({clip: ref[clip]}, SedPredictions(events={clip: det[clip]}), durations={clip: 5.0},
                               labels=["dog", "cat"])
        tp += sum(v["tp"] for v in part.class_wise.values())
        fp += sum(v["fp"] for v in part.class_wise.values())
        fn += sum(v["fn"] for v in part.class_wise.values())
    assert (tp, fp, fn) == tuple(sum(v[k] for v in whole.class_wise.values()) for k in ("tp", "fp", "fn"))


def test_sed_scores_eval_f_formula_gives_its_float() -> None:
    """TP 21, FP 1, 21 references: F = 42/43 is 0.9767441860465116 from the counts and 0.9767441860465117 from
    sed_scores_eval 0.0.4's micro_average (2PR / (P + R), value frozen from it); f_formula="sed_scores_eval"
    gives the latter."""
    import numpy as np

    from avbench.metrics.sed.intersection import f_beta

    tp, fp, fn = np.array([21]), np.array([1]), np.array([0])
    assert f_beta(tp, fp, fn)[0] == 0.9767441860465116
    assert f_beta(tp, fp, fn, formula="sed_scores_eval")[0] == 0.9767441860465117
    with pytest.raises(InputError, match="^intersection F: f_formula must be one of counts, sed_scores_eval, got 'x'$"):
        f_beta(tp, fp, fn, formula="x")
