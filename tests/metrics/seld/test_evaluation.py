"""SELD through `avbench evaluate --predictions preds.json`: a toy event-localization dataset defined
here, scored with ``seld-dcase2022`` and ``seld-umons`` via ``JSON_ADAPTERS["seld"]``.

Clips (3 s, rasterised at 100 ms: 30 frames, three 1 s segments):

    clip  event                      frames   segments   video
    s0    dog [0.0, 2.0) az   30     0..19    0 1        yes
    s1    cat [0.5, 3.0) az -150     5..29    0 1 2      yes
    s2    dog [1.0, 3.0) az  170     10..29   1 2        no
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avbench.cli import main
from avbench.dataset import Recipe
from avbench.evaluation import evaluate_predictions
from avbench.model import Clip, Event, MetricRef, SplitManifest, Task, TaskKind
from avbench.predictions import Predictions

LABELS = ("dog", "cat")
EVENTS = {"s0": ("dog", 0.0, 2.0, 30.0), "s1": ("cat", 0.5, 3.0, -150.0), "s2": ("dog", 1.0, 3.0, 170.0)}


class ToySeld(Recipe):
    name = "toyseld"
    version = "1.0"
    title = "toy SELD dataset for evaluation tests"

    def splits(self, root=None):
        return SplitManifest("toyseld", "1.0", {"test": tuple(EVENTS)})

    def tasks(self):
        return [Task("toyseld-loc", "toyseld", TaskKind.EVENT_LOCALIZATION, LABELS,
                     (MetricRef("seld-dcase2022", {"n_classes": 2}), "seld-umons"))]

    def load(self, root, *, split=None):
        return {cid: Clip(cid, 3.0, events=(Event(on, off, lab, labels=LABELS, azimuth=az, elevation=0.0),),
                          has_video=cid != "s2")
                for cid, (lab, on, off, az) in EVENTS.items()}

    def make_toy(self, root):
        (Path(root) / "ok").write_text("toy")


@pytest.fixture
def toy(register_recipe) -> Path:  # noqa: ANN001
    return register_recipe(ToySeld())


def _preds(shift: dict[str, float] | None = None, drop: tuple[str, ...] = (), extra: dict | None = None) -> Predictions:
    p = Predictions(benchmark="toyseld", task="toyseld-loc", split="test")
    for cid, (lab, on, off, az) in EVENTS.items():
        if cid in drop:
            continue
        events = [{"onset": on, "offset": off, "label": lab, "azimuth": az + (shift or {}).get(cid, 0.0),
                   "elevation": 0.0}]
        p.add(cid, events=events + (extra or {}).get(cid, []))
    return p


def _values(report):
    return {r.id: r for r in report.results}


def test_perfect_predictions_score_perfectly_in_both_metrics_and_strata(toy: Path) -> None:
    report = evaluate_predictions(_preds(), reference=toy)
    res = _values(report)
    d22, um = res["seld-dcase2022"].overall, res["seld-umons"].overall
    assert (d22["f1"], d22["error_rate"], d22["localization_recall"], d22["seld_score"]) == (1.0, 0.0, 1.0, 0.0)
    assert d22["localization_error"] == pytest.approx(0.0, abs=1e-9)
    assert (um["f1"], um["error_rate"], um["frame_recall"], um["localization_error"], um["seld_score"]) == (
        1.0, 0.0, 1.0, 0.0, 0.0)
    assert res["seld-umons"].params["mode"] == "multilabel" and res["seld-dcase2022"].params["n_classes"] == 2
    with_video = {r.id: r for r in report.strata["with_video"].results}
    assert with_video["seld-dcase2022"].overall["f1"] == 1.0 and with_video["seld-umons"].overall["f1"] == 1.0
    # without video = s2 only: no cat there, so the 2022 macro F averages F_dog = 1 with F_cat = 0 (flagged)
    no_video = {r.id: r for r in report.strata["without_video"].results}
    assert no_video["seld-dcase2022"].overall["f1"] == 0.5 and no_video["seld-dcase2022"].class_wise["dog"]["f1"] == 1.0
    assert any("no reference and no prediction" in f for f in no_video["seld-dcase2022"].flags)
    assert no_video["seld-umons"].overall["f1"] == 1.0 and no_video["seld-umons"].overall["seld_score"] == 0.0


def test_thirty_degrees_off_fails_the_20_degree_threshold_but_not_umons_detection(toy: Path) -> None:
    res = _values(evaluate_predictions(_preds(shift={"s1": 30.0}), reference=toy))
    d22 = res["seld-dcase2022"]
    # cat: its 3 segments are matched 30 deg off -> 3 spatial FPs, F_cat = 0, LE_cat = 30, LR_cat = 1;
    # dog: 4 TP. Macro F = 1/2, LE = 15, LR = 1; ER = I 3 / Nref 7
    assert d22.class_wise["cat"]["f1"] == 0.0 and d22.class_wise["cat"]["localization_error"] == pytest.approx(30.0)
    assert d22.overall["f1"] == 0.5 and d22.overall["localization_recall"] == 1.0
    assert d22.overall["localization_error"] == pytest.approx(15.0)
    assert d22.overall["error_rate"] == pytest.approx(3 / 7)
    assert d22.overall["seld_score"] == pytest.approx((3 / 7 + 0.5 + 15 / 180 + 0) / 4)
    um = res["seld-umons"].overall
    # UMONS has no angular threshold: classes all right, DOA = (0 + 30 + 0) / 3 sequences
    assert um["f1"] == 1.0 and um["frame_recall"] == 1.0
    assert um["localization_error"] == pytest.approx(10.0)
    assert um["seld_score"] == pytest.approx(((0 + 0) / 2 + (10 / 180 + 0) / 2) / 2)


def test_missing_clip_under_allow_missing_scores_as_empty(toy: Path) -> None:
    report = evaluate_predictions(_preds(drop=("s2",)), reference=toy, allow_missing=True)
    assert report.coverage["clips_missing"] == 1 and report.coverage["missing"] == ["s2"]
    res = _values(report)
    d22 = res["seld-dcase2022"].overall
    # dog: s0 2 TP, s2 2 FN -> F_dog = 2 / (2 + 2/2), LR_dog = 2 / 4; cat perfect; ER = D 2 / 7
    assert d22["f1"] == pytest.approx((2 / 3 + 1) / 2) and d22["localization_recall"] == pytest.approx(0.75)
    assert d22["error_rate"] == pytest.approx(2 / 7)
    um = res["seld-umons"].overall
    # sequences: s0 TP, s1 TP, s2 FN -> F = 4/5, ER = D 1 / E 3; DOA over s0, s1 = 0;
    # FR: s2's frames 10..29 have a reference direction and no prediction -> (30 + 30 + 10) / 90
    assert um["f1"] == pytest.approx(0.8) and um["error_rate"] == pytest.approx(1 / 3)
    assert um["localization_error"] == 0.0 and um["frame_recall"] == pytest.approx(70 / 90)
    # the stratum without video holds only s2, scored as empty
    no_video = {r.id: r.overall for r in report.strata["without_video"].results}
    assert no_video["seld-umons"]["f1"] == 0.0 and no_video["seld-umons"]["frame_recall"] == pytest.approx(10 / 30)


def test_event_scores_reach_umons_threshold_and_are_ignored_by_dcase(toy: Path) -> None:
    # s0 also predicts a cat at score 0.3 over [0, 1): below 0.5, not a detection for seld-umons
    spurious = {"s0": [{"onset": 0.0, "offset": 1.0, "label": "cat", "azimuth": 90.0, "score": 0.3}]}
    res = _values(evaluate_predictions(_preds(extra=spurious), reference=toy))
    assert res["seld-umons"].overall["f1"] == 1.0 and res["seld-umons"].overall["frame_recall"] == 1.0
    assert res["seld-umons"].params["threshold"] == 0.5
    # the DCASE editions read every event as a decision: one FP for cat in s0's segment 0 ->
    # F_cat = 3 / (3 + 1/2), F_dog = 1
    assert res["seld-dcase2022"].overall["f1"] == pytest.approx((1 + 6 / 7) / 2)


def test_cli_report_json_has_both_seld_metrics(toy: Path, tmp_path: Path) -> None:
    preds, out = tmp_path / "preds.json", tmp_path / "report.json"
    _preds(shift={"s1": 30.0}).write(preds)
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--predictions", str(preds), "--reference", str(toy), "--json", str(out), "-q"])
    assert exc.value.code == 0
    doc = json.loads(out.read_text())
    um = doc["metrics"]["seld-umons"]
    assert um["params"]["mode"] == "multilabel" and um["params"]["angle_unit"] == "deg"
    assert um["overall"]["localization_error"] == pytest.approx(10.0)
    assert doc["metrics"]["seld-dcase2022"]["class_wise"]["cat"]["f1"] == 0.0
