"""Segment-based SED metrics: sed_eval 0.2.1 conformance, its own test values, DESED, edge policies."""

from __future__ import annotations

import json

import pytest
from sed_fixtures import DATA, close, compare, events, load_cases

from avbench.metrics.sed._columns import prepare
from avbench.metrics.sed.io import read_durations_tsv, read_events_tsv
from avbench.metrics.sed.segment import segment_based, segment_counts
from avbench.model import Event

CASES = load_cases()


@pytest.mark.parametrize("name", list(CASES))
def test_equals_sed_eval(name: str) -> None:
    """Every frozen case (random with/without durations, float boundaries, empty classes): equal to 1e-9."""
    case = CASES[name]
    ours = segment_based(events(case["reference"]), events(case["estimated"]), labels=case["labels"],
                         durations=case["durations"], time_decimals=None, merge_reference=False)
    theirs = case["sed_eval"]["segment"]
    c = theirs["counts"]
    assert (ours.extra["counts"]["tn"], ours.extra["counts"]["substitutions"], ours.extra["counts"]["deletions"],
            ours.extra["counts"]["insertions"]) == (c["Ntn"], c["S"], c["D"], c["I"])
    compare(ours, theirs)
    for key in ("accuracy", "balanced_accuracy", "sensitivity", "specificity"):
        assert close(ours.overall[key], theirs["overall"]["accuracy"][key]), key


def test_default_rounding_equals_sed_eval_on_frozen_cases() -> None:
    """With 3-decimal times and 1 s segments, rounding to 6 decimals changes no segment index."""
    for case in CASES.values():
        kw = {"labels": case["labels"], "durations": case["durations"], "merge_reference": False}
        a = segment_based(events(case["reference"]), events(case["estimated"]), time_decimals=None, **kw)
        b = segment_based(events(case["reference"]), events(case["estimated"]), **kw)
        assert a.overall == b.overall


def test_float_segment_index_differs_by_design() -> None:
    """Onset 0.3 s at 0.1 s resolution: sed_eval's floor(0.3 / 0.1) = floor(2.9999999999999996) = 2
    marks segment 2 too; with time_decimals=6 the onset falls exactly on segment 3."""
    ref = {"a": [Event(0.3, 0.5, "x")]}
    est = {"a": [Event(0.2, 0.3, "x")]}  # covers exactly segment 2
    compat = segment_based(ref, est, labels=["x"], durations=None, time_resolution=0.1, time_decimals=None)
    exact = segment_based(ref, est, labels=["x"], durations=None, time_resolution=0.1)
    assert compat.extra["counts"]["tp"] == 1 and compat.extra["counts"]["n_ref"] == 3
    assert exact.extra["counts"]["tp"] == 0 and exact.extra["counts"]["n_ref"] == 2


def test_ascii_timeline_and_evaluated_length() -> None:
    """1 s segments, classes a and b, clip duration 6 s.

        segment   0  1  2  3  4  5
        ref a     #  #  .  .  .  .     a 0.0-1.5
        ref b     .  .  .  #  .  .     b 3.2-3.9
        sys a     .  #  #  .  .  .     a 1.0-2.5
        sys b     .  .  .  .  #  .     b 4.0-4.5

    Cells: Nref 3, Nsys 3, TP 1 (a@1), FP 2, FN 2. Per segment: seg0 D, seg2 I, seg3 D, seg4 I ->
    S 0, D 2, I 2; ER 4/3; F1 2/6. TN = 12 - 5 = 7 with the duration; without it the length is the
    last offset 4.5 -> 5 segments, TN 5. With a 3 s duration sys b (segment 4) is cut off.
    """
    ref = {"c": [Event(0, 1.5, "a"), Event(3.2, 3.9, "b")]}
    est = {"c": [Event(1.0, 2.5, "a"), Event(4.0, 4.5, "b")]}
    r = segment_based(ref, est, labels=["a", "b"], durations={"c": 6.0})
    assert r.extra["counts"] == {"n_ref": 3, "n_sys": 3, "tp": 1, "fp": 2, "fn": 2, "substitutions": 0,
                                 "deletions": 2, "insertions": 2, "tn": 7}
    assert close(r.overall["error_rate"], 4 / 3) and close(r.overall["f1"], 1 / 3)
    assert segment_based(ref, est, labels=["a", "b"], durations=None).extra["counts"]["tn"] == 5
    short = segment_based(ref, est, labels=["a", "b"], durations={"c": 3.0})
    assert short.extra["counts"]["n_sys"] == 2 and any("after their clip's duration" in f for f in short.flags)


def test_chunks_sum_to_one_call() -> None:
    case = CASES["random0"]
    ref, est = events(case["reference"]), events(case["estimated"])
    dur = case["durations"]
    assert dur is not None
    kw = {"labels": case["labels"], "threshold": 0.5, "strict": False,
          "merge_reference": False, "allow_missing": False, "time_decimals": 6}
    clips = sorted(ref)
    whole = segment_counts(prepare(ref, est, durations=dur, **kw))
    summed = None
    for part in (clips[:10], clips[10:]):
        sub = {k: dur[k] for k in part}
        c = segment_counts(prepare({k: ref[k] for k in part}, {k: est[k] for k in part}, durations=sub, **kw))
        summed = c if summed is None else summed + c
    for f in ("tp", "n_ref", "n_sys", "tn"):
        assert getattr(summed, f).tolist() == getattr(whole, f).tolist()
    assert (summed.subs, summed.dels, summed.ins) == (whole.subs, whole.dels, whole.ins)


def test_sed_eval_own_test_values(reference_dir) -> None:
    """Values asserted by sed_eval's tests: street_fold1 (accuracy 0.84244791666, ER 1.0616698292220115;
    0.9719907407407408 with 1200 s per file), binary (acc 2/3, bacc 0.75, sens 1, spec 0.5, ER 1, F 2/3),
    audioset (perfect), direct use (accuracy 0.5, ER 5/9)."""
    d = reference_dir / "fixtures" / "sed_eval" / "tests" / "data" / "sound_event"
    with pytest.warns(UserWarning, match="zero-length"):
        ref = read_events_tsv(d / "street_fold1_reference.txt")
    est = read_events_tsv(d / "street_fold1_detected.txt")  # overlapping same-class references: merged,
    # which cannot change segment activity
    labels = sorted({e.label for v in ref.values() for e in v})
    est = {k: est.get(k, []) for k in ref}
    with pytest.warns(UserWarning, match="merged 22"):
        r = segment_based(ref, est, labels=labels, durations=None)
    assert abs(r.overall["accuracy"] - 0.84244791666) < 1e-10
    assert close(r.overall["error_rate"], 1.0616698292220115)
    r = segment_based(ref, est, labels=labels, durations={k: 1200.0 for k in ref}, merge_reference=False)
    assert close(r.overall["accuracy"], 0.9719907407407408) and close(r.overall["error_rate"], 1.0616698292220115)
    ref = {"b1": read_events_tsv(d / "binary1.txt")["binary1"], "b2": []}
    est = {"b1": read_events_tsv(d / "binary1_detected.txt")["binary1_detected"],
           "b2": read_events_tsv(d / "binary2_detected.txt")["binary2_detected"]}
    o = segment_based(ref, est, labels=["event1"], durations=None).overall
    assert (o["balanced_accuracy"], o["sensitivity"], o["specificity"], o["error_rate"]) == (0.75, 1.0, 0.5, 1.0)
    assert close(o["accuracy"], 2 / 3) and close(o["f1"], 2 / 3)
    a = read_events_tsv(d / "audioset1.txt")
    o = segment_based(a, read_events_tsv(d / "audioset1_detected.txt"),
                      labels=sorted({e.label for v in a.values() for e in v}), durations=None).overall
    assert (o["accuracy"], o["f1"], o["error_rate"]) == (1.0, 1.0, 0.0)


def test_desed_2021_student_segment_f1(reference_dir) -> None:
    """DESED validation, student predictions at 0.5: equal to frozen sed_eval 0.2.1 and to the stored
    report segment_f1.txt (micro 75.47 %, macro 69.35 %, evaluated length 10831.26 s)."""
    meta = reference_dir / "desed" / "DCASE-REPO_DESED_task" / "PSDS_Eval" / "meta"
    frozen = json.loads((DATA / "desed_student.json").read_text())
    ref = read_events_tsv(meta / "validation.tsv")
    est = read_events_tsv(meta / "metrics_test" / "student" / "predictions0.5.csv")
    est = {k: est.get(k, []) for k in ref}
    for td in (None, 6):
        r = segment_based(ref, est, labels=frozen["labels"], durations=None, time_decimals=td)
        compare(r, frozen["sed_eval"]["segment"])
    report = (meta / "metrics_test" / "student" / "segment_f1.txt").read_text()
    for value, text in ((r.overall["f1"], "75.47 %"), (r.overall["f1_macro"], "69.35 %"),
                        (r.overall["precision"], "80.01 %"), (r.overall["recall"], "71.41 %")):
        assert f"{100 * value:.2f} %" == text and text in report
    assert f"{r.extra['evaluated_length_s']:.2f} sec" in report
    with_dur = segment_based(ref, est, labels=frozen["labels"],
                             durations=read_durations_tsv(meta / "validation_durations.tsv"))
    assert any("16 reference event(s) end after" in f for f in with_dur.flags)
