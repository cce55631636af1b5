"""One named test per known quirk of the official DCASE SELD code: documented value vs official value.

Timelines: one row per frame, ``c<class>@<azimuth>``; ``.`` = nothing active.
"""

from __future__ import annotations

import pytest

from avbench.metrics.seld import dcase2019 as seld_dcase2019, dcase2020 as seld_dcase2020, dcase2022 as seld_dcase2022, dcase2024 as seld_dcase2024, dcase2025 as seld_dcase2025
from avbench.metrics.seld.io import from_rows


def _t(files, rows, hop=0.1, distance=None, onscreen=None):
    f, fr, c, az = zip(*rows) if rows else ((), (), (), ())
    return from_rows(files, f, fr, c, az, distance=distance, onscreen=onscreen, hop=hop)


def test_quirk_2025_last_annotated_frame_never_scored() -> None:
    # ref   frame: 0    1    2    3    4
    #            c0@0 c0@0 c0@0 c0@0 c0@0
    # pred       c0@0 c0@0 c0@0 c0@0  .      -> frame 4 is a miss, but official stops at frame 3
    ref = _t(["a"], [(0, k, 0, 0.0) for k in range(5)], distance=[2.0] * 5, onscreen=[1] * 5)
    pred = _t(["a"], [(0, k, 0, 0.0) for k in range(4)], distance=[2.0] * 4, onscreen=[1] * 4)
    documented = seld_dcase2025.compute(ref, pred, n_classes=1)
    official = seld_dcase2025.compute(ref, pred, n_classes=1, compat="official")
    assert documented.overall["f1"] == pytest.approx(4 / 4.5)  # TP 4, FN 1: 4 / (4 + 0.5)
    assert official.overall["f1"] == 1.0


def test_quirk_2024_launch_averages_errors_only_over_classes_with_nonzero_f() -> None:
    # class 0: c0@0 predicted c0@5   (TP, DOAE 5)
    # class 1: c1@0 predicted c1@90  (spatial FP, F = 0, DOAE 90)
    # (frames 0 and 1 are alike: the official code stops before the last annotated frame)
    ref = _t(["a"], [(0, k, c, 0.0) for k in (0, 1) for c in (0, 1)], distance=[2.0] * 4)
    pred = _t(["a"], [(0, k, c, a) for k in (0, 1) for c, a in ((0, 5.0), (1, 90.0))], distance=[2.0] * 4)
    documented = seld_dcase2024.compute(ref, pred, n_classes=2)
    launch = seld_dcase2024.compute(ref, pred, n_classes=2, compat="official-2024-launch")
    head = seld_dcase2024.compute(ref, pred, n_classes=2, compat="official")
    assert documented.overall["localization_error"] == pytest.approx(47.5)
    assert head.overall["localization_error"] == pytest.approx(47.5, abs=1e-2)  # 0b07887: all matched classes
    assert launch.overall["localization_error"] == pytest.approx(5.0, abs=1e-2)  # only class 0 (F != 0)
    assert launch.overall["localization_recall"] == 1.0 and launch.overall["f1"] == 0.5


@pytest.mark.parametrize("module,kw", [
    (seld_dcase2019, {"n_classes": 1}), (seld_dcase2020, {"n_classes": 1}), (seld_dcase2022, {"n_classes": 1}),
    (seld_dcase2025, {"n_classes": 1}),
])
def test_quirk_reference_file_without_prediction_silently_skipped(module, kw) -> None:
    # file a: perfect prediction; file b: reference only, no prediction file at all
    hop = 0.02 if module is seld_dcase2019 else 0.1
    n = 50 if module is seld_dcase2019 else 10
    rows = [(f, k, 0, 0.0) for f in (0, 1) for k in range(n)]
    extra = {"distance": [2.0] * len(rows), "onscreen": [1] * len(rows)}
    ref = _t(["a", "b"], rows, hop=hop, **extra)
    pred = _t(["a"], [r for r in rows if r[0] == 0], hop=hop, distance=[2.0] * n, onscreen=[1] * n)
    fn = getattr(module, "compute", None) or module.compute_2020
    documented = fn(ref, pred, **kw)
    official = fn(ref, pred, compat="official", **kw)
    assert documented.overall["f1"] < 0.9 and documented.extra["missing_predictions"] == ["b"]
    assert official.overall["f1"] == pytest.approx(1.0, abs=1e-12)
    assert any("no prediction file" in f for f in official.flags)


def test_quirk_2023_no_frame_alignment_counts_predicted_tracks_as_fn() -> None:
    # segment 0, class 0:   frame 0 1 2 3 4 5 6
    # ref (2 tracks)          c0 c0 . . . . .      nb_gt = 2
    # pred (1 track)          .  .  . . . c0 c0    nb_pred = 1, never in the same frame
    ref = _t(["a"], [(0, 0, 0, 0.0), (0, 0, 0, 90.0), (0, 1, 0, 0.0), (0, 1, 0, 90.0)])
    pred = _t(["a"], [(0, 5, 0, 0.0), (0, 6, 0, 0.0)])
    documented = seld_dcase2022.compute(ref, pred, n_classes=1)
    official = seld_dcase2022.compute(ref, pred, n_classes=1, compat="official")
    # documented: FN = nb_gt = 2, FP = nb_pred = 1 -> S = 1, D = 1 -> ER = 2 / 2
    assert documented.extra["counts"]["FN"] == [2.0] and documented.extra["counts"]["FP"] == [1.0]
    assert documented.overall["error_rate"] == 1.0
    # official: FN += nb_pred = 1, nothing else -> D = 1 -> ER = 1 / 2
    assert official.extra["counts"]["FN"] == [1.0] and official.extra["counts"]["FP"] == [0.0]
    assert official.overall["error_rate"] == 0.5


def test_quirk_2019_block_drops_last_frame_of_each_second() -> None:
    # 20 ms frames: ref class 0 active in frames 0..48; prediction only in frame 49 (same second)
    ref = _t(["a"], [(0, k, 0, 0.0) for k in range(49)], hop=0.02)
    pred = _t(["a"], [(0, 49, 0, 0.0)], hop=0.02)
    assert seld_dcase2019.compute(ref, pred, n_classes=1).overall["f1"] == 1.0
    assert seld_dcase2019.compute(ref, pred, n_classes=1, compat="official").overall["f1"] == 0.0


def test_quirk_2024_official_angle_of_identical_directions_is_not_zero() -> None:
    ref = _t(["a"], [(0, 0, 0, 33.0), (0, 1, 0, 33.0)], distance=[2.0, 2.0])
    documented = seld_dcase2024.compute(ref, ref, n_classes=1)
    official = seld_dcase2024.compute(ref, ref, n_classes=1, compat="official")
    assert documented.overall["localization_error"] == pytest.approx(0.0, abs=1e-6)
    assert official.overall["localization_error"] == pytest.approx(8.1028e-4, rel=1e-4)  # 1e-10 norm guard


def test_quirk_2020_seld_score_uses_localization_f1() -> None:
    # ref c0 in segment 0 only; pred c0 in segments 0 and 1 -> LR = 1, LF = 2/3
    ref = _t(["a"], [(0, k, 0, 0.0) for k in range(10)])
    pred = _t(["a"], [(0, k, 0, 0.0) for k in range(20)])
    ref = from_rows(["a"], ref.file, ref.frame, ref.cls, ref.azimuth, n_frames=[20])
    documented = seld_dcase2020.compute_2020(ref, pred, n_classes=1)
    official = seld_dcase2020.compute_2020(ref, pred, n_classes=1, compat="official", clip_frames=20)
    assert documented.overall["localization_recall"] == 1.0
    assert documented.overall["localization_f1"] == pytest.approx(2 / 3)
    er, f = documented.overall["error_rate"], documented.overall["f1"]
    assert documented.overall["seld_score"] == pytest.approx((er + 1 - f + 0 + 0) / 4)
    assert official.overall["seld_score"] == pytest.approx((er + 1 - f + 0 + 1 / 3) / 4)


@pytest.mark.parametrize("compat", ["none", "official"])
def test_2019_empty_prediction_set_gives_180_degrees_not_nan(compat: str) -> None:
    """The official 2019 code divides by the number of predicted directions unguarded (0 / 0: DOA error and
    SELD score nan, frozen in test_conformance); avbench documents 180 degrees with a flag and a finite SELD
    score instead."""
    import math

    from avbench.metrics.seld.dcase2019 import compute
    from avbench.metrics.seld.io import from_rows

    ref = from_rows(["a"], [0] * 100, range(100), [0] * 100, [10.0] * 100, hop=0.02)
    empty = from_rows(["a"], [], [], [], [], hop=0.02)  # a header-only prediction file
    r = compute(ref, empty, n_classes=1, compat=compat, jackknife=False)
    assert r.overall["localization_error"] == 180.0 and r.overall["f1"] == 0.0
    assert math.isfinite(r.overall["seld_score"])
    assert "no predicted direction: DOA error set to 180 degrees" in r.flags
