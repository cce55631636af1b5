"""Segment-based mAUC / mpAUC (``segment_mauc``, ``segment_mpauc``): hand-computed cases, edge policies, and
sed_scores_eval 0.0.4's ``segment_based.auroc`` values to the bit (``data/sed_scores_eval/segment_auc.json``,
``benchmarks/peers/make_segment_auc_fixtures.py``).

Hand case (1 s segments, class x)::

    clip a (2 s)   ref x [0, 1)           segment scores  a0 0.9 (positive)  a1 0.6 (negative)
    clip b (2 s)   ref x         [1, 2)   segment scores  b0 0.2 (negative)  b1 0.4 (positive)

    ranked 0.9 P, 0.6 N, 0.4 P, 0.2 N -> ROC points (FPR, TPR) (0, 0) (0, .5) (.5, .5) (.5, 1) (1, 1)
    AUC = .5 * .5 + 1 * .5 = 0.75;  pAUC up to FPR .25 = (.5 * .25) / .25 = 0.5
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from avbench import registry
from avbench.errors import InputError
from avbench.metrics.sed.files import evaluate_files
from avbench.metrics.sed.io import ScoreTable, SedPredictions
from avbench.metrics.sed.segment_auc import segment_auroc, staircase_auc
from avbench.model import Event

DATA = Path(__file__).parent / "data" / "sed_scores_eval" / "segment_auc.json"
FROZEN = json.loads(DATA.read_text())["cases"]

REF = {"a": [Event(0.0, 1.0, "x")], "b": [Event(1.0, 2.0, "x")]}
TABLES = {"a": ScoreTable([0, 1, 2], [[0.9], [0.6]], ("x",)), "b": ScoreTable([0, 1, 2], [[0.2], [0.4]], ("x",))}
DUR = {"a": 2.0, "b": 2.0}


def _run(max_fpr, ref=REF, tables=TABLES, dur=DUR, labels=("x",), **kw):
    return segment_auroc(ref, SedPredictions(scores=tables), durations=dur, labels=list(labels), max_fpr=max_fpr, **kw)


def test_hand_computed_auc_and_partial_auc() -> None:
    assert _run(None).overall["auc_macro"] == 0.75
    assert _run(0.25).overall["auc_macro"] == 0.5
    full = _run(None).class_wise["x"]
    assert (full["n_positive"], full["n_negative"]) == (2, 2)


def test_registered_configurations_fix_one_second_segments_and_the_2024_max_fpr() -> None:
    mp, m = registry.metric("segment_mpauc"), registry.metric("segment_mauc")
    assert dict(mp.params) == {"segment_length": 1.0, "max_fpr": 0.1} and m.params["max_fpr"] is None
    r = mp(REF, SedPredictions(scores=TABLES), durations=DUR, labels=["x"])
    assert r.id == "segment_mpauc" and r.overall["auc_macro"] == 0.5  # first point past 0.1: the same 0.5 step


def test_staircase_takes_the_highest_tpr_at_equal_fpr() -> None:
    tpr, fpr = np.array([0.0, 0.25, 0.5, 1.0]), np.array([0.0, 0.0, 0.0, 1.0])
    assert staircase_auc(tpr, fpr) == 0.5
    assert staircase_auc(tpr, fpr, max_fpr=0.5) == 0.25


@pytest.mark.parametrize("mid", ["segment_mpauc", "segment_mauc"])
@pytest.mark.parametrize("i", range(len(FROZEN)))
def test_sed_scores_eval_profile_equals_sed_scores_eval_to_the_bit(i: int, mid: str) -> None:
    case = FROZEN[i]
    ref = {c: [Event(a, b, lab) for a, b, lab in evs] for c, evs in case["reference"].items()}
    tabs = {c: ScoreTable(s["timestamps"], s["values"], tuple(case["labels"])) for c, s in case["scores"].items()}
    r = registry.metric(mid)(ref, SedPredictions(scores=tabs), durations=case["durations"], labels=case["labels"],
                             padding="keep")
    want = case["sed_scores_eval"][mid]
    assert {c: r.class_wise[c]["auc"] for c in case["labels"]} == {c: want[c] for c in case["labels"]}
    assert r.overall["auc_macro"] == want["mean"]


def test_frames_past_the_duration_are_ignored_unless_kept() -> None:
    # clip a is 1.5 s long (2 segments); its table runs to 2 s with a high score in the frame [1.5, 2)
    tabs = {**TABLES, "a": ScoreTable([0, 0.5, 1.0, 1.5, 2.0], [[0.9], [0.9], [0.6], [0.95]], ("x",))}
    dur = {"a": 1.5, "b": 2.0}
    ignored, kept = _run(None, tables=tabs, dur=dur), _run(None, tables=tabs, dur=dur, padding="keep")
    assert ignored.overall["auc_macro"] == 0.75 and kept.overall["auc_macro"] == 0.5
    assert any("frames that start at or after the end were ignored" in f for f in ignored.flags)


def test_a_class_without_positive_segments_is_refused_or_dropped() -> None:
    tabs = {c: ScoreTable(t.timestamps, np.c_[t.values, [0.3, 0.1]], ("x", "y")) for c, t in TABLES.items()}
    with pytest.raises(InputError, match=r"1 class\(es\) have no ROC: 'y' \(no positive segments\)"):
        _run(None, tables=tabs, labels=("x", "y"))
    r = _run(None, tables=tabs, labels=("x", "y"), no_reference_class="drop")
    assert r.overall["auc_macro"] == 0.75 and r.class_wise["y"]["auc"] is None
    assert any("left out of auc_macro" in f for f in r.flags)


def test_detections_and_bad_parameters_are_refused() -> None:
    with pytest.raises(InputError, match="segment_mpauc needs frame-wise score tables"):
        registry.metric("segment_mpauc")(REF, SedPredictions(events=REF), durations=DUR, labels=["x"])
    with pytest.raises(InputError, match=r"max_fpr must be in \(0, 1\]"):
        _run(1.5)


def _score_dir(tmp_path: Path, past_end: bool) -> tuple[Path, Path, Path]:
    (tmp_path / "gt.tsv").write_text("filename\tonset\toffset\tevent_label\na.wav\t0.0\t1.0\tx\nb.wav\t1.0\t2.0\tx\n")
    (tmp_path / "dur.tsv").write_text(f"filename\tduration\na.wav\t{1.5 if past_end else 2.0}\nb.wav\t2.0\n")
    d = tmp_path / "scores"
    d.mkdir()
    a = "0.0\t0.5\t0.9\n0.5\t1.0\t0.9\n1.0\t1.5\t0.6\n1.5\t2.0\t0.95\n" if past_end else "0.0\t1.0\t0.9\n1.0\t2.0\t0.6\n"
    (d / "a.tsv").write_text("onset\toffset\tx\n" + a)
    (d / "b.tsv").write_text("onset\toffset\tx\n0.0\t1.0\t0.2\n1.0\t2.0\t0.4\n")
    return tmp_path / "gt.tsv", d, tmp_path / "dur.tsv"


def test_avbench_evaluate_scores_desed_format_score_tables(tmp_path: Path) -> None:
    ref, scores, dur = _score_dir(tmp_path, past_end=False)
    rep = evaluate_files(["segment_mpauc", "segment_mauc"], reference=ref, predictions=scores, durations=dur,
                         allow_missing=False, plots_dir=None, options={})
    assert [r.overall["auc_macro"] for r in rep.results] == [0.5, 0.75]
    assert all("reference_profile" not in r.extra for r in rep.results)  # no deviation fired: one number


def test_dcase2024_profile_gives_sed_scores_evals_number_and_avbench_beside(tmp_path: Path) -> None:
    ref, scores, dur = _score_dir(tmp_path, past_end=True)
    kw = dict(reference=ref, predictions=scores, durations=dur, allow_missing=False, plots_dir=None)
    own = evaluate_files(["segment_mauc"], options={}, **kw).results[0]
    assert own.overall["auc_macro"] == 0.75
    assert own.extra["reference_profile"]["profile"] == "sed_scores_eval"
    assert own.extra["reference_profile"]["overall"]["auc_macro"] == 0.5
    year = evaluate_files(["segment_mauc"], options={"profile": "dcase2024"}, **kw).results[0]
    assert year.overall["auc_macro"] == 0.5 and year.params["padding"] == "keep"
    assert year.extra["avbench_value"]["overall"]["auc_macro"] == 0.75


def test_long_tied_curves_take_the_staircase_where_sed_scores_eval_s_unstable_sort_does_not() -> None:
    """Frozen with numpy 1.26.4 on AVX-512: sed_scores_eval 0.0.4 re-sorts the curve with an unstable argsort
    and took a lower TPR at an FPR tie (class a: 0.540 instead of 0.587); with a stable sort it gives avbench's
    values to the bit."""
    case = json.loads(DATA.read_text())["ties"][0]
    n = case["replicate"]
    ref = {f"{c}_{r}": [Event(a, b, lab) for a, b, lab in evs] for c, evs in case["reference"].items() for r in range(n)}
    tabs = {f"{c}_{r}": ScoreTable(s["timestamps"], s["values"], tuple(case["labels"]))
            for c, s in case["scores"].items() for r in range(n)}
    dur = {f"{c}_{r}": d for c, d in case["durations"].items() for r in range(n)}
    lower = 0
    for mid in ("segment_mpauc", "segment_mauc"):
        r = registry.metric(mid)(ref, SedPredictions(scores=tabs), durations=dur, labels=case["labels"], padding="keep")
        ours = {**{c: r.class_wise[c]["auc"] for c in case["labels"]}, "mean": r.overall["auc_macro"]}
        assert ours == case["stable_sort"][mid]
        assert all(ours[k] >= v for k, v in case["sed_scores_eval"][mid].items())
        lower += sum(ours[k] > v for k, v in case["sed_scores_eval"][mid].items())
    assert lower >= 2  # the case shows the difference (class a and the mean, at least)
