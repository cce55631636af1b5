"""STARSS23 audio-visual: the 360-degree video probe and the stratified ``starss23-seld-av`` report."""

from __future__ import annotations

from pathlib import Path

import pytest

from avbench import registry
from avbench.evaluation import evaluate_predictions
from avbench.predictions import Predictions
from avbench.recipes.dcase_seld.video import probe_360, write_toy_360

av = pytest.importorskip("av", reason="360-degree videos need PyAV (extra 'video')")


def test_probe_reads_the_release_geometry(tmp_path: Path) -> None:
    p = tmp_path / "fold4_room2_mix001.mp4"
    write_toy_360(p, seconds=0.07, width=1920)  # two frames at the release's 1920x960, 30000/1001 fps
    got = probe_360(p)
    assert {k: got[k] for k in ("status", "width", "height", "fps")} == {"status": "ok", "width": 1920, "height": 960,
                                                                         "fps": 29.97}
    assert probe_360(tmp_path / "none.mp4") == {"status": "missing"}


def _events(clip) -> list[dict]:  # noqa: ANN001
    return [{"label": e.label, "onset": e.onset, "offset": e.offset, "azimuth": e.azimuth,
             "elevation": e.elevation} for e in clip.events]


@pytest.mark.parametrize("split", ["dev-train", "dev-test"])
def test_av_task_report_is_stratified_by_video_availability(tmp_path: Path, split: str) -> None:
    r = registry.dataset("starss23")
    root = tmp_path / "starss23"
    r.make_toy(root)
    clips = r.load(root, split=split)
    with_video = [k for k, c in clips.items() if c.has_video]
    without = [k for k, c in clips.items() if not c.has_video]
    assert len(with_video) == len(without) == 1
    # perfect predictions on the clip with video, nothing on the clip without
    preds = Predictions(benchmark="starss23", task="starss23-seld-av", split=split,
                        clips={with_video[0]: {"events": _events(clips[with_video[0]])}, without[0]: {"events": []}})
    report = evaluate_predictions(preds, reference=root)
    assert set(report.strata) == {"with_video", "without_video"}
    assert report.coverage["clips_with_video"] == 1 and report.coverage["clips_without_video"] == 1
    good = report.strata["with_video"].results[0]
    bad = report.strata["without_video"].results[0]
    assert good.id == "seld-dcase2023"
    # macro over the 13 classes: a class absent from reference and prediction scores F = 0 (the
    # official rule, flagged); the classes of the clip are scored perfectly / not at all
    present = {e.label for e in clips[with_video[0]].events}
    assert all(good.class_wise[c]["f1"] == pytest.approx(1.0) for c in present)
    assert good.overall["error_rate"] == pytest.approx(0.0)
    assert all(bad.class_wise[c]["f1"] == pytest.approx(0.0) for c in {e.label for e in clips[without[0]].events})
    assert report.results[0].overall["error_rate"] > 0


def test_distance_task_scores_the_distance_column(tmp_path: Path) -> None:
    r = registry.dataset("starss23")
    root = tmp_path / "starss23"
    r.make_toy(root)
    clips = r.load(root, split="dev-test")
    far = {k: {"events": [dict(e, distance=10.0) for e in _events(c)]} for k, c in clips.items()}
    near = {k: {"events": [dict(e, distance=ev.distance) for e, ev in zip(_events(c), c.events)]} for k, c in clips.items()}
    scores = {}
    for name, content in (("far", far), ("near", near)):
        rep = evaluate_predictions(Predictions(benchmark="starss23", task="starss23-seld-distance", split="dev-test",
                                               clips=content), reference=root)
        scores[name] = rep.results[0]
    assert scores["near"].id == "seld-dcase2024"
    present = {e.label for c in clips.values() for e in c.events}
    assert all(scores["near"].class_wise[c]["f1"] == pytest.approx(1.0) for c in present)
    assert all(scores["far"].class_wise[c]["f1"] == pytest.approx(0.0) for c in present)


@pytest.mark.parametrize("name", ["tau-sse-2019", "tau-nigens-sse-2020", "tau-nigens-sse-2021", "starss22", "starss23"])
def test_each_edition_scores_its_own_labels_perfectly(tmp_path: Path, name: str) -> None:
    """Reference events sent back as predictions through `avbench evaluate`'s path: the year's metric
    gives no error and full F on every class present (and a miss when a clip is left empty)."""
    r = registry.dataset(name)
    root = tmp_path / name
    r.make_toy(root)
    task = r.tasks()[0]
    clips = r.reference(root, task, task.split)
    rep = evaluate_predictions(Predictions(benchmark=name, task=task.id, split=task.split,
                                           clips={k: {"events": _events(c)} for k, c in clips.items()}), reference=root)
    res = rep.results[0]
    assert res.id == task.metrics[0].id and res.overall["error_rate"] == pytest.approx(0.0)
    present = {e.label for c in clips.values() for e in c.events}
    if res.params.get("average") == "micro":  # 2019: micro-averaged, no class-wise values
        assert res.overall["f1"] == pytest.approx(1.0)
    else:
        assert all(res.class_wise[c]["f1"] == pytest.approx(1.0) for c in present), res.class_wise
    empty = evaluate_predictions(Predictions(benchmark=name, task=task.id, split=task.split,
                                             clips={k: {"events": []} for k in clips}), reference=root)
    assert empty.results[0].overall["error_rate"] == pytest.approx(1.0)
