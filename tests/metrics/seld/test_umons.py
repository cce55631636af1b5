"""seld-umons: the UMONS thesis sequence-level SELD metrics (Eqs. 6.1-6.11), hand-computed cases.

Timelines: one column per frame, ``c<class>@<azimuth>`` a direction, ``(s)`` its score (none = a
hard decision), ``.`` = nothing. Each file is one sequence.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from avbench import registry
from avbench.errors import InputError
from avbench.metrics.seld import files as seld_files, umons as seld_umons
from avbench.metrics.seld.io import from_rows


def _t(files, rows, n_frames=None):
    """rows: (file, frame, class, azimuth[, score])."""
    rows = [r if len(r) == 5 else (*r, math.nan) for r in rows]
    f, fr, c, az, sc = zip(*rows) if rows else ((), (), (), (), ())
    return from_rows(files, f, fr, c, az, score=sc, n_frames=n_frames)


def _run(ref, pred, **kw):
    kw.setdefault("jackknife", False)
    return seld_umons.compute(ref, pred, **kw)


# sequence a, 4 frames, classes 0..2
#   frame      0             1          2             3
#   ref        c0@170        c0@170     c0@170        c0@170
#              c1@0          c1@0       .             .
#   pred       c0@-170       c0@-170    c0@-170       c0@-170
#              c2@90(0.4)    .          c2@90(0.9)    .
REF_A = _t(["a"], [(0, k, 0, 170.0) for k in range(4)] + [(0, k, 1, 0.0) for k in (0, 1)], n_frames=[4])
PRED_A = _t(["a"], [(0, k, 0, -170.0) for k in range(4)] + [(0, 0, 2, 90.0, 0.4), (0, 2, 2, 90.0, 0.9)])


def test_multilabel_hand_computed() -> None:
    # classes: R = {0, 1}; active rows: c0 everywhere, c2 at frame 2 (0.9 > 0.5) -> P = {0, 2}
    # TP 1, FP 1, FN 1 -> F = 2 / (2 + 1 + 1); S = 1 -> ER = 1 / E = 1 / 2
    # DOA (kept = active rows): frame 0 {170, 0} vs {-170}: d(170, -170) = 20 < d(0, -170) = 170 -> 20;
    #   frames 1..3 -> 20 (frame 2: -170 beats 90) -> DOA = 20
    # FR: counts ref/kept 2/1, 2/1, 1/2, 1/1 -> 1 of 4 frames
    r = _run(REF_A, PRED_A, n_classes=3, mode="multilabel")
    assert r.overall["f1"] == 0.5 and r.overall["error_rate"] == 0.5
    assert r.overall["localization_error"] == pytest.approx(20.0)
    assert r.overall["frame_recall"] == 0.25
    assert r.overall["seld_score"] == pytest.approx(((0.5 + 0.5) / 2 + (20 / 180 + 0.75) / 2) / 2)
    assert r.class_wise["2"] == {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    assert r.params["mode"] == "multilabel" and r.params["threshold"] == 0.5 and r.params["angle_unit"] == "deg"


def test_unilabel_hand_computed_majority_vote_without_threshold() -> None:
    # frame votes (highest score; no score = 1.0): c0, c0, c0 (1.0 > 0.9), c0 -> P = {0}
    # TP 1, FN 1 -> F = 2 / 3; D = 1 -> ER = 1 / 2
    # kept = the rows of c0: FR counts 2/1, 2/1, 1/1, 1/1 -> 2 of 4; DOA 20
    r = _run(REF_A, PRED_A, n_classes=3, mode="unilabel")
    assert r.overall["f1"] == pytest.approx(2 / 3) and r.overall["error_rate"] == 0.5
    assert r.overall["localization_error"] == pytest.approx(20.0) and r.overall["frame_recall"] == 0.5
    assert r.overall["precision"] == 1.0 and r.overall["recall"] == 0.5


def test_threshold_moves_the_multilabel_decision() -> None:
    # threshold 0.95: c2 (0.9) is not active anywhere -> P = {0}, as unilabel; kept: c0 only
    r = _run(REF_A, PRED_A, n_classes=3, mode="multilabel", threshold=0.95)
    assert r.overall["f1"] == pytest.approx(2 / 3) and r.overall["frame_recall"] == 0.5
    assert r.params["threshold"] == 0.95


def test_unilabel_vote_counts_frames_and_a_tie_takes_the_lowest_class() -> None:
    #   seq a   frame 0   1        2        seq b   frame 0     1
    #   ref     c1@0      c1@0     c1@0     ref     c0@0        c0@0
    #   pred    c1@0      c2@0     c2@0     pred    c1@0        c0@0     (tie 1:1 -> class 0)
    ref = _t(["a", "b"], [(0, k, 1, 0.0) for k in range(3)] + [(1, k, 0, 0.0) for k in range(2)])
    pred = _t(["a", "b"], [(0, 0, 1, 0.0), (0, 1, 2, 0.0), (0, 2, 2, 0.0), (1, 0, 1, 0.0), (1, 1, 0, 0.0)])
    r = _run(ref, pred, n_classes=3, mode="unilabel")
    # a: P = {2} (2 votes to 1): FP 1, FN 1; b: P = {0}: TP 1 -> F = 2 / (2 + 1 + 1)
    assert r.overall["f1"] == 0.5
    assert r.extra["counts"]["Nsys"] == [1.0, 0.0, 1.0]
    assert any("1 sequence(s) had a tied unilabel vote" in f for f in r.flags)


def test_policy_sequence_without_reference_event() -> None:
    #   seq a (3 frames)  ref c0@0 c0@0 c0@0    pred c0@0 c0@0 c0@0
    #   seq b (3 frames)  ref .    .    .       pred c1@45 c1@45 .
    ref = _t(["a", "b"], [(0, k, 0, 0.0) for k in range(3)], n_frames=[3, 3])
    pred = _t(["a", "b"], [(0, k, 0, 0.0) for k in range(3)] + [(1, k, 1, 45.0) for k in (0, 1)])
    r = _run(ref, pred, n_classes=2)
    # TP 1, FP 1 -> F = 2/3; ER = I 1 / E 1 = 1; DOA over N' = 1 sequence (b has no pair) = 0;
    # FR: a 3 of 3, b 1 of 3 (frames 0, 1 have a direction without reference) -> 4 / 6
    assert r.overall["f1"] == pytest.approx(2 / 3) and r.overall["error_rate"] == 1.0
    assert r.overall["localization_error"] == 0.0 and r.overall["frame_recall"] == pytest.approx(4 / 6)
    assert r.extra["counts"]["doa_n"] == 1.0


@pytest.mark.parametrize("how", ["empty", "missing-file"])
def test_policy_sequence_without_prediction(how: str) -> None:
    #   seq a (3 frames)  ref c0@0  x3     pred c0@10 x3
    #   seq b (3 frames)  ref c1@90 x3     pred nothing (or no prediction file at all)
    ref = _t(["a", "b"], [(0, k, 0, 0.0) for k in range(3)] + [(1, k, 1, 90.0) for k in range(3)])
    names = ["a", "b"] if how == "empty" else ["a"]
    pred = _t(names, [(0, k, 0, 10.0) for k in range(3)])
    for mode in seld_umons.MODES:
        r = _run(ref, pred, n_classes=2, mode=mode)
        # TP 1, FN 1 -> F = 2/3; ER = D 1 / E 2; DOA = 10 over N' = 1 (not (10 + 180) / 2); FR = 3 / 6
        assert r.overall["f1"] == pytest.approx(2 / 3) and r.overall["error_rate"] == 0.5
        assert r.overall["localization_error"] == pytest.approx(10.0) and r.overall["frame_recall"] == 0.5
        assert (r.extra.get("missing_predictions") == ["b"]) is (how == "missing-file")


def test_policy_wrap_around_at_plus_minus_180() -> None:
    #   seq a: ref c0@179  pred c0@-179 -> 2      (not 358)
    #   seq b: ref c0@-90  pred c0@90   -> 180    (the largest error)
    #   seq c: ref c0@350  pred c0@10   -> 20     (azimuths in [0, 360) wrap the same way)
    #   seq d: ref c0@180  pred c0@-180 -> 0
    pairs = [(179.0, -179.0), (-90.0, 90.0), (350.0, 10.0), (180.0, -180.0)]
    ref = _t(list("abcd"), [(i, k, 0, a) for i, (a, _) in enumerate(pairs) for k in range(2)])
    pred = _t(list("abcd"), [(i, k, 0, b) for i, (_, b) in enumerate(pairs) for k in range(2)])
    r = _run(ref, pred, n_classes=1)
    assert r.overall["localization_error"] == pytest.approx((2 + 180 + 20 + 0) / 4)
    assert r.overall["f1"] == 1.0 and r.overall["frame_recall"] == 1.0


def test_doa_is_a_mean_of_sequence_means_of_frame_means() -> None:
    # Eq. 6.6: (1/N) sum_n (1/K) sum_k.   seq a: frame 0 two pairs (10, 30) -> 20; frame 1 one pair 40
    #   -> a = 30;  seq b: one frame, error 50 -> b = 50;  DOA = 40 (pooled over pairs would be 32.5)
    ref = _t(["a", "b"], [(0, 0, 0, 0.0), (0, 0, 1, 100.0), (0, 1, 0, 0.0), (1, 0, 0, 0.0)])
    pred = _t(["a", "b"], [(0, 0, 0, 10.0), (0, 0, 1, 130.0), (0, 1, 0, 40.0), (1, 0, 0, 50.0)])
    assert _run(ref, pred, n_classes=2).overall["localization_error"] == pytest.approx(40.0)


def test_association_is_class_agnostic_and_optimal() -> None:
    # one frame: ref c0@0, c1@90; pred c1@5, c0@80 (classes swapped): matched 0-5 and 90-80 -> (5 + 10) / 2
    ref = _t(["a"], [(0, 0, 0, 0.0), (0, 0, 1, 90.0)])
    pred = _t(["a"], [(0, 0, 1, 5.0), (0, 0, 0, 80.0)])
    assert _run(ref, pred, n_classes=2).overall["localization_error"] == pytest.approx(7.5)


def test_nothing_matched_sets_doa_to_180_and_flags() -> None:
    ref = _t(["a"], [(0, 0, 0, 0.0)], n_frames=[2])
    pred = _t(["a"], [(0, 1, 0, 0.0)])
    r = _run(ref, pred, n_classes=1)
    assert r.overall["localization_error"] == 180.0 and r.overall["f1"] == 1.0 and r.overall["frame_recall"] == 0.0
    assert any("DOA error set to 180" in f for f in r.flags)


def test_angle_unit_rad_converts_the_doa_error_only() -> None:
    deg = _run(REF_A, PRED_A, n_classes=3)
    rad = _run(REF_A, PRED_A, n_classes=3, angle_unit="rad")
    assert rad.overall["localization_error"] == pytest.approx(math.radians(20.0))
    assert rad.overall["seld_score"] == deg.overall["seld_score"] and rad.params["angle_unit"] == "rad"


def test_counts_are_summed_over_sequences_chunk_invariant() -> None:
    rng = np.random.default_rng(5)
    names = [f"s{i}" for i in range(6)]
    rows_r, rows_p = [], []
    for f in range(6):
        for c in rng.choice(4, size=int(rng.integers(0, 3)), replace=False):
            az = float(rng.uniform(-180, 180))
            rows_r += [(f, k, int(c), az) for k in range(8)]
        for c in rng.choice(4, size=int(rng.integers(0, 3)), replace=False):
            az = float(rng.uniform(-180, 180))
            rows_p += [(f, k, int(c), az, float(rng.random())) for k in range(int(rng.integers(1, 9)))]
    ref, pred = _t(names, rows_r, n_frames=[8] * 6), _t(names, rows_p)
    for mode in seld_umons.MODES:
        full = _run(ref, pred, n_classes=4, mode=mode)
        parts = [_run(ref.select(ch), pred.select(ch), n_classes=4, mode=mode) for ch in (names[:2], names[2:])]
        for key, value in full.extra["counts"].items():
            assert np.asarray(value) == pytest.approx(np.add(*(np.asarray(p.extra["counts"][key]) for p in parts))), key
        assert full.extra["counts"]["fr_tp"] + full.extra["counts"]["fr_fn"] == 48


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(InputError, match="mode must be one of"):
        _run(REF_A, PRED_A, mode="both")
    with pytest.raises(InputError, match="angle_unit must be 'deg' or 'rad'"):
        _run(REF_A, PRED_A, angle_unit="grad")
    with pytest.raises(InputError, match="class index 2 is outside the 2 classes"):
        _run(REF_A, PRED_A, n_classes=2)
    with pytest.raises(InputError, match="threshold must be a finite number, got nan"):
        _run(REF_A, PRED_A, threshold=float("nan"))
    with pytest.raises(TypeError):
        _run(REF_A, PRED_A, thresold=0.3)  # a typo is rejected by the signature


def test_registered_and_read_from_csv_folders(tmp_path: Path) -> None:
    assert registry.metric("seld-umons").family == "seld" and registry.metric("seld-umons").input == "seld"
    for side in ("ref", "pred"):
        (tmp_path / side).mkdir()
    # frame,class,track,azimuth,elevation; sequence m1: class 3 at 170, predicted at -170
    (tmp_path / "ref" / "m1.csv").write_text("".join(f"{k},3,0,170,0\n" for k in range(5)))
    (tmp_path / "pred" / "m1.csv").write_text("".join(f"{k},3,0,-170,0\n" for k in range(5)))
    report = seld_files.evaluate_files(["seld-umons"], reference=tmp_path / "ref", predictions=tmp_path / "pred",
                                       options={"mode": "unilabel", "jackknife": "false"})
    r = report.results[0]
    assert r.params["n_classes"] == 11 and r.params["mode"] == "unilabel"
    assert (r.overall["f1"], r.overall["frame_recall"]) == (1.0, 1.0)
    assert r.overall["localization_error"] == pytest.approx(20.0)
    with pytest.raises(InputError, match=r"seld-umons \(-o options\): unknown parameter\(s\) compat"):
        seld_files.evaluate_files(["seld-umons"], reference=tmp_path / "ref", predictions=tmp_path / "pred",
                                  options={"compat": "official"})
