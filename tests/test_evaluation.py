"""`avbench evaluate --predictions preds.json` on a toy dataset defined here (all task kinds of the
classification families), through the Python API and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from avbench.cli import main
from avbench.dataset import Recipe
from avbench.errors import InputError
from avbench.evaluation import evaluate_predictions
from avbench.model import Clip, Event, MetricRef, SplitManifest, Task, TaskKind, segment_labels_from_events
from avbench.predictions import Predictions

LABELS = ("dog", "cat")
SCENES = ("park", "street")

#   clip   events (4 one-second segments)      scene    video
#   t0     dog [0,2)   -> dog dog bg  bg       park     yes, camera lost in seconds 2-3
#   t1     cat [1,4)   -> bg  cat cat cat      street   yes
#   t2     dog [2,3)   -> bg  bg  dog bg       park     no
#   t3     cat [0,1)   -> cat bg  bg  bg       street   no
EVENTS = {"t0": ("dog", 0, 2), "t1": ("cat", 1, 4), "t2": ("dog", 2, 3), "t3": ("cat", 0, 1)}
SCENE = {"t0": "park", "t1": "street", "t2": "park", "t3": "street"}


class ToyRecipe(Recipe):
    name = "toy"
    version = "1.0"
    title = "toy dataset for evaluation tests"

    def splits(self, root=None):
        return SplitManifest("toy", "1.0", {"train": ("r0",), "test": tuple(EVENTS)})

    def tasks(self):
        return [
            Task("toy-seg", "toy", TaskKind.SEGMENT_CLASSIFICATION, LABELS,
                 (MetricRef("ave_segment_accuracy"), MetricRef("f1_macro")), n_segments=4),
            Task("toy-scene", "toy", TaskKind.CLIP_CLASSIFICATION, SCENES, ("accuracy", "log_loss")),
            Task("toy-cml", "toy", TaskKind.CROSS_MODAL_LOCALIZATION, LABELS, ("ave_cml_accuracy",), n_segments=4),
        ]

    def load(self, root, *, split=None):
        out = {}
        for cid, (lab, on, off) in EVENTS.items():
            ev = Event(on, off, lab, labels=LABELS)
            out[cid] = Clip(cid, 4.0, events=(ev,), clip_labels=(SCENE[cid],),
                            segment_labels=segment_labels_from_events([ev], LABELS, n_segments=4),
                            has_video=cid in ("t0", "t1"),
                            video_segments=(True, True, False, False) if cid == "t0" else None)
        return out

    def make_toy(self, root):
        (Path(root) / "ok").write_text("toy")


@pytest.fixture
def toy(register_recipe) -> Path:  # noqa: ANN001
    return register_recipe(ToyRecipe())


def _perfect_seg() -> Predictions:
    p = Predictions(benchmark="toy", task="toy-seg", split="test")
    for cid, clip in ToyRecipe().load(None).items():
        p.add(cid, segment_scores=np.eye(3)[list(clip.segment_labels)])
    return p


def test_perfect_segment_predictions_score_one_and_are_stratified(toy: Path) -> None:
    report = evaluate_predictions(_perfect_seg(), reference=toy)
    values = {r.id: r.overall for r in report.results}
    assert values["ave_segment_accuracy"]["accuracy"] == 1.0
    assert values["ave_segment_accuracy"]["n"] == 16
    assert set(report.strata) == {"with_video", "without_video", "segments_with_video", "segments_without_video"}
    assert report.strata["without_video"].n_clips == 2
    assert report.coverage["clips_missing"] == 0


def test_segment_labels_by_name_are_scored_like_scores(toy: Path) -> None:
    p = Predictions(benchmark="toy", task="toy-seg", split="test")
    #        t0 truth: dog dog bg bg; predicted: dog bg bg bg -> 3/4 right
    p.add("t0", segment_labels=["dog", "background", "background", "background"])
    for cid in ("t1", "t2", "t3"):
        p.add(cid, segment_labels=[2, 2, 2, 2])
    acc = evaluate_predictions(p, reference=toy).results[0].overall["accuracy"]
    # right: t0 3, t1 1 (bg), t2 3, t3 3 -> 10 / 16
    assert acc == pytest.approx(10 / 16)


def test_missing_clip_is_an_error_unless_allowed(toy: Path) -> None:
    p = _perfect_seg()
    del p.clips["t3"]
    with pytest.raises(InputError, match=r"1 of 4 clips .* 't3'.*--allow-missing"):
        evaluate_predictions(p, reference=toy)
    report = evaluate_predictions(p, reference=toy, allow_missing=True)
    assert report.coverage["clips_missing"] == 1 and report.coverage["missing"] == ["t3"]
    # t3's 4 segments are misses: 12 / 16
    assert report.results[0].overall["accuracy"] == pytest.approx(12 / 16)


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda p: p.clips.__setitem__("zz", p.clips["t0"]), "not in toy/test"),
        (lambda p: p.clips["t1"].__setitem__("segment_scores", [[0.5] * 3] * 3), "clip 't1': segment_scores has shape 3x3"),
        (lambda p: p.clips["t2"].__setitem__("segment_scores", [[float("nan")] * 3] * 4), "clip 't2': segment_scores contains NaN"),
        (lambda p: p.clips.__setitem__("t0", {"segment_labels": ["cow"] * 4}), "clip 't0': unknown label 'cow'"),
        (lambda p: p.clips["t0"].__setitem__("extra", 1), "clip 't0': unknown field"),
    ],
    ids=["unknown-clip", "wrong-shape", "nan", "unknown-label", "unknown-field"],
)
def test_bad_predictions_name_the_clip_and_field(toy: Path, mutate, needle: str) -> None:
    p = _perfect_seg()
    mutate(p)
    with pytest.raises(InputError, match=needle):
        evaluate_predictions(p, reference=toy)


def test_scene_log_loss_and_cml(toy: Path) -> None:
    p = Predictions(benchmark="toy", task="toy-scene", split="test")
    probs = {"t0": [0.9, 0.1], "t1": [0.2, 0.8], "t2": [0.4, 0.6], "t3": [0.5, 0.5]}
    for cid, pr in probs.items():
        p.add(cid, clip_scores=pr)
    res = {r.id: r for r in evaluate_predictions(p, reference=toy).results}
    assert res["accuracy"].overall["accuracy"] == 0.5  # t2 wrong, t3 tie -> argmax picks park (wrong)
    park = -(np.log(0.9) + np.log(0.4)) / 2
    street = -(np.log(0.8) + np.log(0.5)) / 2
    assert res["log_loss"].overall["log_loss"] == pytest.approx((park + street) / 2, abs=1e-12)
    c = Predictions(benchmark="toy", task="toy-cml", split="test")
    for cid, start in {"t0": 0, "t1": 1, "t2": 1, "t3": 0}.items():
        c.add(cid, start=start)
    assert evaluate_predictions(c, reference=toy).results[0].overall["accuracy"] == 0.75


def test_cli_writes_json_report(toy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "preds.json"
    _perfect_seg().write(preds)
    out = tmp_path / "report.json"
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--predictions", str(preds), "--reference", str(toy), "--json", str(out)])
    assert exc.value.code == 0
    report = json.loads(out.read_text())
    m = report["metrics"]["f1_macro"]
    assert m["version"] == "1.0" and m["params"] == {"average": "macro"}
    assert set(m["class_wise"]) == {"dog", "cat", "background"}
    assert report["header"]["task"] == "toy-seg" and report["strata"]["without_video"]["n_clips"] == 2
    assert "ave_segment_accuracy" in capsys.readouterr().out


def test_cli_missing_clip_exit_2_one_line(toy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _perfect_seg()
    del p.clips["t1"]
    preds = tmp_path / "preds.json"
    p.write(preds)
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--predictions", str(preds), "--reference", str(toy)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1 and "'t1'" in err


def test_predictions_schema_accepts_what_the_writer_writes(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from avbench.predictions import SCHEMA_PATH

    schema = json.loads(SCHEMA_PATH.read_text())
    p = _perfect_seg()
    p.add("e1", events=[Event(0.5, 1.5, "dog", azimuth=10.0)], frame_scores={"hop": 0.1, "values": np.zeros((3, 2))})
    jsonschema.validate(p.to_dict(), schema)
    bad = p.to_dict()
    bad["clips"]["t0"]["oops"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_segment_strata_follow_the_per_segment_video_mask(toy: Path) -> None:
    p = _perfect_seg()
    p.clips["t0"]["segment_scores"][3] = [1.0, 0.0, 0.0]  # t0, second 3 (no video): dog instead of background
    report = evaluate_predictions(p, reference=toy)
    seg = {name: s.results[0].overall for name, s in report.strata.items() if name.startswith("segments_")}
    # with video: t0 seconds 0-1, t1 all 4 -> 6 segments, all right
    assert seg["segments_with_video"] == {"accuracy": 1.0, "n": 6}
    # without video: t0 seconds 2-3, t2 and t3 all -> 10 segments, one wrong
    assert seg["segments_without_video"] == {"accuracy": 0.9, "n": 10}


def test_profiles_differing_only_in_float_addition_order_are_the_same_number():
    """sed_eval's 2PR/(P+R) and avbench's 2TP/(2TP+FP+FN) can differ by 1 ulp on the same counts: that
    is not a deviation, so no "other profile" value and no flag (the demo's synth-sed showed
    "avbench: 0.9504" beside 0.9504); a real difference, NaN against a number, still shows."""
    from avbench.results import MetricResult, differing, with_avbench_beside

    tool = MetricResult("event_f1", "1.2", {}, {"f1": 0.9503546099290779, "er": 0.1}, {}, (), {})
    same = MetricResult("event_f1", "1.2", {}, {"f1": 0.950354609929078, "er": 0.1}, {}, (), {})
    assert with_avbench_beside(tool, same, profile="sed_eval", primary="f1") is tool
    other = MetricResult("event_f1", "1.2", {}, {"f1": 0.9503546099290779, "er": 0.125}, {}, (), {})
    out = with_avbench_beside(tool, other, profile="sed_eval", primary="f1")
    assert out.extra["avbench_value"]["overall"]["er"] == 0.125 and "1 value(s) differ" in out.flags[-1]
    nan = float("nan")
    assert list(differing({"p": nan, "q": nan, "n": 2}, {"p": 0.0, "q": nan, "n": 3})) == ["p", "n"]
