"""PSDS: psds_eval's paper examples, frozen peer fixtures (sed_scores_eval / psds_eval), edge policies."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.metrics.sed._psd.accum import IntersectionAccumulator
from avbench.metrics.sed._psd.core import RefIndex
from avbench.metrics.sed.io import ScoreTable, SedPredictions, read_durations_tsv, read_events_tsv
from avbench.metrics.sed.psd import METRICS, psds
from avbench.model import Event
from sed_fixtures import events, score_tables

DATA = Path(__file__).parent / "data" / "psds"
CFG = {
    "psds1": dict(dtc=0.7, gtc=0.7, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0),
    "psds2": dict(dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0),
    "mid": dict(dtc=0.5, gtc=0.5, cttc=0.3, alpha_ct=1.0, alpha_st=0.0, max_efpr=400.0),
}


# -- psds_eval 0.5.3 test values (reference/fixtures/psds_eval, README 7b) -----------------------
PAPER = [("test_1", 0.9142857142857143), ("test_2", 0.29047619047619044), ("test_3", 0.6238095238095237),
         ("test_4", 0.5), ("Y23R6_ppquxs_247.000_257000", 0.6089285714285714)]


@pytest.mark.parametrize("stem,expected", PAPER)
def test_psds_eval_paper_examples(reference_dir, stem, expected):
    d = reference_dir / "fixtures" / "psds_eval" / "tests" / "data"
    ref = read_events_tsv(d / f"{stem}.gt")
    det = read_events_tsv(d / f"{stem}.det")
    dur = read_durations_tsv(d / "test.metadata")
    labels = sorted({e.label for evs in ref.values() for e in evs})
    r = psds(ref, SedPredictions(events=det), durations=dur, labels=labels, dtc=0.5, gtc=0.5, cttc=0.3)
    assert r.overall["psds"] == pytest.approx(expected, abs=1e-12)
    assert r.extra["mode"] == "events"


def test_psds_eval_full_psds_roc(reference_dir):
    """psds_eval test_full_psds: ROC xp [0, 12.857], yp [1/3, 1]."""
    d = reference_dir / "fixtures" / "psds_eval" / "tests" / "data"
    ref, det = read_events_tsv(d / "test_1.gt"), read_events_tsv(d / "test_1.det")
    r = psds(ref, SedPredictions(events=det), durations=read_durations_tsv(d / "test.metadata"),
             labels=["c1", "c2", "c3"], dtc=0.5, gtc=0.5, cttc=0.3)
    roc = r.extra["psd_roc"]
    assert roc["efpr"][:2] == pytest.approx([0.0, 3600 / 280])
    assert roc["tpr"][:2] == pytest.approx([1 / 3, 1.0])


def test_two_operating_points_one_with_no_detections(reference_dir):
    d = reference_dir / "fixtures" / "psds_eval" / "tests" / "data"
    ref = read_events_tsv(d / "test_1.gt")
    ops = {0.1: read_events_tsv(d / "test_1.det"), 0.9: read_events_tsv(d / "test_4.det")}
    ops[0.9] = {c: [e for e in evs if e.label in ("c1", "c2", "c3")] for c, evs in ops[0.9].items() if c == "test.wav"}
    r = psds(ref, SedPredictions(operating_points=ops), durations=read_durations_tsv(d / "test.metadata"),
             labels=["c1", "c2", "c3"], dtc=0.5, gtc=0.5, cttc=0.3)
    assert r.overall["psds"] == pytest.approx(0.9142857142857143, abs=1e-12)


def test_full_dcase_validset_psds_eval_value(reference_dir):
    """psds_eval test_full_dcase_validset: PSDS 0.0044306914546640595 (alpha 0/0, dtc=gtc=0.5)."""
    d = reference_dir / "fixtures" / "psds_eval" / "tests" / "data"
    ref = read_events_tsv(d / "baseline_validation_gt.csv")
    det = read_events_tsv(d / "baseline_validation_AA_0.005.csv")
    labels = sorted({e.label for evs in ref.values() for e in evs})
    dur: dict[str, float] = {}  # this metadata lists some clips twice; psds_eval keeps the first
    for line in (d / "baseline_validation_metadata.csv").read_text().splitlines()[1:]:
        name, value = line.split("\t")
        dur.setdefault(name, float(value))
    r = psds(ref, SedPredictions(events=det), durations=dur,
             labels=labels, dtc=0.5, gtc=0.5, cttc=0.3, time_decimals=None)
    assert r.overall["psds"] == pytest.approx(0.0044306914546640595, abs=1e-12)


# -- frozen randomized peer cases (benchmarks/peers/make_psds_fixtures.py) -----------------------
@pytest.mark.parametrize("i", range(6))
@pytest.mark.parametrize("name", list(CFG))
def test_scores_mode_equals_sed_scores_eval(i, name):
    case = json.loads((DATA / "scores_cases.json").read_text())[i]
    r = psds(events(case["reference"]), SedPredictions(scores=score_tables(case)), durations=case["durations"],
             labels=case["labels"], **CFG[name])
    exp = case["expected"][name]
    assert r.extra["mode"] == "scores"
    assert r.overall["psds"] == pytest.approx(exp["psds"], abs=1e-9)
    for cls, v in exp["class_psds"].items():
        assert r.class_wise[cls]["psds"] == pytest.approx(v, abs=1e-9)


@pytest.mark.parametrize("name", ["psds1", "psds2"])
def test_scores_mode_is_sed_scores_eval_to_the_last_bit(name):
    """A case with tens of PSD-ROC points per class: the eFPR of every class ROC point (cross-trigger rates
    formed from integer counts, added in class order), the class-wise and the overall PSDS (staircase
    terms added in order) are sed_scores_eval 0.0.4's floats, compared with ``==``."""
    case = json.loads((DATA / "scores_float_case.json").read_text())
    r = psds(events(case["reference"]), SedPredictions(scores=score_tables(case)), durations=case["durations"],
             labels=case["labels"], **CFG[name])
    exp = case["expected"][name]
    assert r.extra["n_points"] > 200
    for cls, x in exp["class_efpr"].items():
        assert r.extra["class_rocs"][cls]["efpr"] == x, cls
        assert r.class_wise[cls]["psds"] == exp["class_psds"][cls], cls
    assert r.overall["psds"] == exp["psds"]


@pytest.mark.parametrize("i", range(5))
@pytest.mark.parametrize("name", list(CFG))
@pytest.mark.parametrize("decimals", [6, None])
def test_operating_points_mode_equals_psds_eval(i, name, decimals):
    case = json.loads((DATA / "op_cases.json").read_text())[i]
    ops = {float(t): events(op) for t, op in case["ops"].items()}
    r = psds(events(case["reference"]), SedPredictions(operating_points=ops), durations=case["durations"],
             labels=case["labels"], time_decimals=decimals, **CFG[name])
    assert r.extra["mode"] == "operating_points" and r.extra["n_points"] == 9
    assert r.overall["psds"] == pytest.approx(case["expected"][name]["psds"], abs=1e-9)


def test_exact_curve_dominates_operating_points():
    """Every threshold is an operating point of the exact curve: PSDS(scores) >= PSDS(9 thresholds)."""
    case = json.loads((DATA / "scores_cases.json").read_text())[0]
    tables = score_tables(case)
    ops = {t: {c: tb.events(t) for c, tb in tables.items()} for t in np.round(np.linspace(0.1, 0.9, 9), 2)}
    for name in CFG:
        kw = dict(durations=case["durations"], labels=case["labels"], **CFG[name])
        exact = psds(events(case["reference"]), SedPredictions(scores=tables), **kw).overall["psds"]
        approx = psds(events(case["reference"]), SedPredictions(operating_points=ops), **kw).overall["psds"]
        assert exact >= approx - 1e-12


# -- hand-computed ASCII timeline ------------------------------------------------------------------
def test_ascii_timeline_hand_computed():
    """One 3600-s clip, 1 s per character; one operating point.

        ref dog  : ..########..........   [2, 10)
        det dog  : ...#######....###...   [3, 10) TP (7/7 in ref, covers 7/8); [14, 17) FP
        ref cat  : ............####....   [12, 16)
        det cat  : ....................   nothing

    TPR = (1, 0); FPR_dog = 1 FP per hour; CT dog->cat: [14,17) covers 2/3 >= cttc 0.3.
    PSDS (alpha_ct=0, alpha_st=0, max_efpr=2): dog ROC (0,0),(1,1) -> area 1 of 2; cat 0 -> 0.25.
    With alpha_ct=1: eFPR_dog = 1 + 3600 * 1/4 s per hour = 901 > 2, so PSDS = 0.
    """
    ref = {"a": [Event(2, 10, "dog"), Event(12, 16, "cat")]}
    det = SedPredictions(events={"a": [Event(3, 10, "dog"), Event(14, 17, "dog")]})
    kw = dict(durations={"a": 3600.0}, labels=["dog", "cat"], dtc=0.5, gtc=0.5, cttc=0.3, max_efpr=2.0)
    assert psds(ref, det, **kw).overall["psds"] == pytest.approx(0.25)
    assert psds(ref, det, alpha_ct=1.0, **kw).overall["psds"] == pytest.approx(0.0)


# -- edge policies ---------------------------------------------------------------------------------
def test_class_without_reference_is_zero_and_flagged():
    ref = {"a": [Event(0, 1, "dog")]}
    det = SedPredictions(events={"a": [Event(0, 1, "dog")]})
    r = psds(ref, det, durations={"a": 10.0}, labels=["dog", "cat"], dtc=0.5, gtc=0.5)
    assert r.class_wise["cat"] == {"psds": 0.0, "n_ref": 0}
    assert r.overall["psds"] == pytest.approx(0.5)  # mean of TPR 1 and 0
    assert any("'cat' has no reference" in f for f in r.flags)


def test_clip_without_events_counts_duration_and_its_false_positives():
    ref = {"a": [Event(0, 1, "dog")], "b": []}
    det = SedPredictions(events={"a": [Event(0, 1, "dog")], "b": [Event(2, 3, "dog")]})
    r = psds(ref, det, durations={"a": 1800.0, "b": 1800.0}, labels=["dog"], dtc=0.5, gtc=0.5, max_efpr=2.0)
    assert r.extra["psd_roc"]["efpr"][1] == pytest.approx(1.0)  # 1 FP in 1 hour
    assert r.overall["psds"] == pytest.approx(0.5)


def test_missing_prediction_clip_is_empty():
    ref = {"a": [Event(0, 1, "dog")], "b": [Event(0, 1, "dog")]}
    det = SedPredictions(events={"a": [Event(0, 1, "dog")]})
    r = psds(ref, det, durations={"a": 5.0, "b": 5.0}, labels=["dog"], dtc=0.5, gtc=0.5)
    assert r.overall["psds"] == pytest.approx(0.5)


def test_max_efpr_beyond_reached_range_holds_last_value_and_flags():
    ref = {"a": [Event(0, 1, "dog")]}
    det = SedPredictions(events={"a": [Event(0, 1, "dog")]})
    r = psds(ref, det, durations={"a": 10.0}, labels=["dog"], dtc=0.5, gtc=0.5, max_efpr=1000.0)
    assert r.overall["psds"] == pytest.approx(1.0)
    assert any("largest eFPR reached" in f for f in r.flags)


def test_single_class_cross_trigger_mean_is_zero_not_nan():
    ref = {"a": [Event(0, 1, "dog")]}
    det = SedPredictions(events={"a": [Event(0, 1, "dog"), Event(5, 6, "dog")]})
    r = psds(ref, det, durations={"a": 3600.0}, labels=["dog"], dtc=0.5, gtc=0.5, cttc=0.3, alpha_ct=1.0, max_efpr=2.0)
    assert r.overall["psds"] == pytest.approx(0.5)


def test_detection_in_padding_after_clip_end_is_ignored():
    ref = {"a": [Event(0, 1, "dog")]}
    det = SedPredictions(events={"a": [Event(0, 1, "dog"), Event(9.5, 10, "dog")]})
    r = psds(ref, det, durations={"a": 9.0}, labels=["dog"], dtc=0.5, gtc=0.5)
    assert r.overall["psds"] == pytest.approx(1.0)
    assert any("padding" in f for f in r.flags)


def test_overlapping_same_class_reference_is_refused_touching_is_not():
    det = SedPredictions(events={"a": []})
    with pytest.raises(InputError, match="overlap"):
        psds({"a": [Event(0, 2, "dog"), Event(1, 3, "dog")]}, det, durations={"a": 5.0}, labels=["dog"], dtc=0.5, gtc=0.5)
    r = psds({"a": [Event(0, 2, "dog"), Event(2, 3, "dog")]}, det, durations={"a": 5.0}, labels=["dog"], dtc=0.5, gtc=0.5)
    assert r.class_wise["dog"]["n_ref"] == 2


def test_reference_index_sorts_each_clip_by_class_onset_offset_and_names_the_first_bad_clip():
    ref = {"b": [Event(5, 6, "cat"), Event(1, 2, "dog"), Event(0, 1, "cat"), Event(1, 1.5, "cat")],
           "a": [Event(3, 4, "dog"), Event(0, 1, "dog")]}
    idx = RefIndex.build(ref, {"a": 8.0, "b": 9.0}, ["dog", "cat"])
    assert idx.on.tolist() == [0, 3, 1, 0, 1, 5] and idx.off.tolist() == [1, 4, 2, 1, 1.5, 6]
    assert idx.cls.tolist() == [0, 0, 0, 1, 1, 1] and idx.start.tolist() == [0, 2, 2, 3, 6]
    assert idx.n_ref.tolist() == [3, 3] and idx.t_ref.tolist() == [3.0, 2.5]
    bad = {"a": [Event(0, 2, "dog")], "c": [Event(2, 3, "owl")], "b": [Event(1, 3, "cat"), Event(0, 2, "cat")]}
    with pytest.raises(InputError, match=r"clip 'b': same-class events 'cat' \[0.0, 2.0\] and \[1.0, 3.0\] overlap"):
        RefIndex.build(bad, {"a": 5.0, "b": 5.0, "c": 5.0}, ["dog", "cat"])  # 'b' comes before 'c' in durations
    with pytest.raises(InputError, match=r"clip 'c': event label 'owl' is not one of the 2 task labels"):
        RefIndex.build(bad, {"a": 5.0, "c": 5.0, "b": 5.0}, ["dog", "cat"])


def test_bad_parameters_and_unknown_kwargs_are_refused():
    ref, det = {"a": []}, SedPredictions(events={"a": []})
    with pytest.raises(InputError, match="cttc"):
        psds(ref, det, durations={"a": 1.0}, labels=["x"], dtc=0.1, gtc=0.1, alpha_ct=0.5)
    with pytest.raises(InputError, match="dtc"):
        psds(ref, det, durations={"a": 1.0}, labels=["x"], dtc=0.0, gtc=0.1)
    with pytest.raises(TypeError):
        METRICS[0](ref, det, durations={"a": 1.0}, labels=["x"], colar=0.2)
    with pytest.raises(InputError, match="no duration"):
        psds({"b": []}, det, durations={"a": 1.0}, labels=["x"], dtc=0.1, gtc=0.1)


def test_cross_trigger_mean_all_classes_is_psds_eval_04_and_never_lower():
    case = json.loads((DATA / "scores_cases.json").read_text())[1]
    kw = dict(durations=case["durations"], labels=case["labels"], **CFG["psds2"])
    new = psds(events(case["reference"]), SedPredictions(scores=score_tables(case)), **kw).overall["psds"]
    old = psds(events(case["reference"]), SedPredictions(scores=score_tables(case)), cross_trigger_mean="all_classes",
               **kw).overall["psds"]
    assert old >= new  # dividing the cross-trigger sum by K instead of K-1 lowers every eFPR


def test_chunked_accumulation_equals_one_call():
    cases = json.loads((DATA / "scores_cases.json").read_text())
    case = cases[2]
    ref = RefIndex.build(events(case["reference"]), case["durations"], case["labels"])
    tables = score_tables(case)
    one = IntersectionAccumulator(ref, dtc=0.1, gtc=0.1, cttc=0.3)
    one.add(tables)
    many = IntersectionAccumulator(ref, dtc=0.1, gtc=0.1, cttc=0.3, chunk_positions=1)
    items = list(tables.items())[::-1]
    for i in range(0, len(items), 2):
        many.add(dict(items[i:i + 2]))
    for a, b in zip(one.curves(), many.curves()):
        for f in ("scores", "tp", "fp", "ct"):
            assert np.array_equal(getattr(a, f), getattr(b, f))
    with pytest.raises(InputError, match="twice"):
        many.add(dict(items[:1]))


def test_registered_configs():
    ids = {m.id: m for m in METRICS}
    assert ids["psds1"].params["dtc"] == 0.7 and ids["psds1"].params["alpha_ct"] == 0.0
    assert ids["psds2"].params["cttc"] == 0.3 and ids["psds2"].params["alpha_ct"] == 0.5


def test_false_positive_budget_pruning_is_exact():
    """Thresholds whose eFPR must exceed max_efpr are skipped; the PSDS is unchanged, points fewer."""
    case = json.loads((DATA / "scores_cases.json").read_text())[4]
    ref = RefIndex.build(events(case["reference"]), case["durations"], case["labels"])
    tables = score_tables(case)
    budget = 400.0 * ref.duration / 3600.0
    full = IntersectionAccumulator(ref, dtc=0.5, gtc=0.5, cttc=0.3)
    pruned = IntersectionAccumulator(ref, dtc=0.5, gtc=0.5, cttc=0.3, fp_budget=budget)
    full.add(tables)
    pruned.prescan(tables)
    pruned.add(tables)
    assert np.isfinite(pruned.floor).any()
    from avbench.metrics.sed.psd import psds_from_counts

    vals = []
    for acc in (full, pruned):
        cur = acc.curves()
        vals.append(psds_from_counts(ref, [c.tp for c in cur], [c.fp for c in cur], [c.ct for c in cur], alpha_ct=1.0,
                                     alpha_st=0.0, max_efpr=400.0, duration_unit="hour",
                                     cross_trigger_mean="other_classes")["psds"])
    assert vals[0] == vals[1]
    assert sum(c.scores.size for c in pruned.curves()) < sum(c.scores.size for c in full.curves())


@pytest.mark.parametrize("chunk", [1, 1_000_000])
def test_frames_below_the_floor_left_out_keep_every_count_above_it(chunk):
    """Only frames scoring above the class's floor enter the detection trees (FlatSeries.above):
    every count at every threshold above the floor equals the unpruned count, bit for bit, with
    scores on a 0.01 grid (ties, some at the floor) and runs cut into several stretches."""
    rng = np.random.default_rng(7)
    labels = ["a", "b", "c"]
    dur = {f"c{i}": 5.0 for i in range(40)}
    ref = {}
    for clip in dur:
        evs = []
        for lab in rng.choice(labels, size=int(rng.integers(0, 3)), replace=False):
            on = float(rng.integers(0, 30)) / 10
            evs.append(Event(on, on + float(rng.integers(3, 15)) / 10, str(lab)))
        ref[clip] = evs
    ts = np.linspace(0.0, 5.0, 51)
    # a per-clip scale spreads the clips' top scores, so that the floor falls inside many series
    tables = {c: ScoreTable(ts, np.round(rng.random((50, 3)) * rng.random(3), 2), tuple(labels)) for c in dur}
    index = RefIndex.build(ref, dur, labels)
    full = IntersectionAccumulator(index, dtc=0.3, gtc=0.3, cttc=0.2)
    pruned = IntersectionAccumulator(index, dtc=0.3, gtc=0.3, cttc=0.2, fp_budget=6.0, chunk_positions=chunk)
    full.add(tables)
    pruned.prescan(tables)
    pruned.add(tables)
    assert np.isfinite(pruned.floor).all() and (pruned.floor > 0).all()
    for j, (a, b) in enumerate(zip(full.curves(), pruned.curves())):
        above = a.scores > pruned.floor[j]
        assert 3 < b.scores.size < a.scores.size
        for f in ("scores", "tp", "fp", "ct"):
            assert np.array_equal(getattr(a, f)[above], getattr(b, f)), f


def test_scores_mode_clip_without_table_detects_nothing_and_is_flagged():
    ref = {"a": [Event(0.0, 1.0, "x")], "b": [Event(0.0, 1.0, "x")]}
    tab = ScoreTable(np.array([0.0, 1.0, 2.0]), np.array([[0.9], [0.1]]), ("x",))
    r = psds(ref, SedPredictions(scores={"a": tab}), durations={"a": 2.0, "b": 2.0}, labels=["x"], dtc=0.5, gtc=0.5)
    assert r.overall["psds"] == pytest.approx(0.5)
    assert any("no score table" in f for f in r.flags)


def test_no_reference_class_drop_is_psds_eval_rule() -> None:
    """A class with detections but no reference: psds_eval 0.5.3 leaves it out (frozen peer values);
    ``no_reference_class="keep"`` (default) counts its TPR of 0 in the mean and std, so it is lower."""
    import json
    from pathlib import Path

    from avbench.metrics.sed.io import SedPredictions
    from avbench.metrics.sed.psd import psds
    from avbench.model import Event

    case = json.loads((Path(__file__).parent / "data" / "psds" / "no_reference_class.json").read_text())
    ref: dict = {}
    for f, a, b, lab in case["gt"]:
        ref.setdefault(f, []).append(Event(a, b, lab))
    ops: dict = {float(t): {} for t in case["ops"]}
    for t, det in case["ops"].items():
        for f, a, b, lab in det:
            ops[float(t)].setdefault(f, []).append(Event(a, b, lab))
    pred = SedPredictions(operating_points=ops)
    dur = {f: d for f, d in case["meta"]}
    settings = {"psds1": dict(dtc=0.7, gtc=0.7, alpha_st=1.0),
                "psds2": dict(dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1.0)}
    for name, kw in settings.items():
        drop = psds(ref, pred, durations=dur, labels=case["labels"], time_decimals=None, no_reference_class="drop", **kw)
        keep = psds(ref, pred, durations=dur, labels=case["labels"], time_decimals=None, **kw)
        assert drop.overall["psds"] == case["psds_eval"][name]
        assert keep.overall["psds"] < drop.overall["psds"]
        assert any("'d' has no reference events: left out" in f for f in drop.flags)
        assert drop.class_wise["d"] == {"psds": 0.0, "n_ref": 0}
