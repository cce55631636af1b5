"""The public Python API: every name documented and importable, and one number per metric id.

The central check: for every registered metric id, the public path (``avbench.metric(id).compute``
on arrays, or the family's functional API on plain dicts) gives the same result as ``avbench
evaluate`` on the same predictions, on the toy data of the datasets whose tasks fit the metric.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import avbench
from avbench import registry
from avbench.errors import InputError
from avbench.evaluation import evaluate_predictions
from avbench.model import TaskKind
from avbench.predictions import Predictions


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in avbench.__all__:
        obj = getattr(avbench, name)
        if name != "__version__":
            assert inspect.getdoc(obj), f"avbench.{name} has no docstring"


def test_import_avbench_is_light() -> None:
    code = "import sys, avbench; print(any(m == 'numpy' or m.startswith('numpy.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_catalogue_and_lookups() -> None:
    assert set(avbench.list_metrics()) == set(registry.metrics())
    sed = avbench.list_metrics(family="sed")
    assert sed and all(c.family == "sed" for c in sed.values())
    with pytest.raises(InputError, match="unknown metric family 'sedd'"):
        avbench.list_metrics(family="sedd")
    assert avbench.task("synth-sed").dataset == "synth"
    with pytest.raises(InputError, match="did you mean 'synth-sed'"):
        avbench.task("synth-sde")


def test_no_public_name_is_shadowed_by_a_sub_module() -> None:
    # ``import avbench.x`` sets the attribute ``avbench.x`` to the module: a public function of that
    # name would silently become a module once anything imported it
    here = Path(avbench.__file__).parent
    clash = [n for n in avbench.__all__ if (here / f"{n}.py").exists() or (here / n / "__init__.py").exists()]
    assert clash == []


def test_load_refuses_an_unknown_split(tmp_path: Path) -> None:
    avbench.recipe("ave").make_toy(tmp_path / "ave")
    with pytest.raises(InputError, match=r"dataset 'ave' has no split 'testing' \(did you mean 'test'\?\)"):
        avbench.load("ave", "testing", data_dir=tmp_path)
    clips = avbench.load("ave", "test", data_dir=tmp_path)
    assert clips and all(len(c.segment_labels) == 10 for c in clips.values())


# -- one number per id: the public path equals avbench evaluate -------------------------------------

@pytest.fixture(scope="module")
def toy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("toy")
    for name, recipe in registry.datasets().items():
        recipe.make_toy(root / name)
    return root


def _task_for(cfg) -> str | None:  # noqa: ANN001
    """A task with toy data whose kind takes this metric's input (the synth tasks first)."""
    fits = {
        "labels": (TaskKind.CLIP_CLASSIFICATION, TaskKind.SEGMENT_CLASSIFICATION),
        "multilabel": (TaskKind.TAGGING,),
        "cml": (TaskKind.CROSS_MODAL_LOCALIZATION,),
        "sed": (TaskKind.EVENT_DETECTION,),
        "seld": (TaskKind.EVENT_LOCALIZATION,),
    }[cfg.input]
    tasks = sorted(registry.tasks().values(), key=lambda t: (t.dataset != "synth", t.id))
    return next((t.id for t in tasks if t.kind in fits), None)


def _predictions(task, clips, rng) -> dict:  # noqa: ANN001
    """Perturbed truth in the task's prediction kind (so that metrics are neither 0 nor 1)."""
    n = len(task.labels)
    out = {}
    for cid, clip in clips.items():
        if task.kind is TaskKind.CLIP_CLASSIFICATION:
            s = rng.random(n) + 2.0 * np.eye(n)[task.labels.index(clip.clip_labels[0])] * (rng.random() < 0.7)
            out[cid] = {"clip_scores": (s / s.sum()).tolist()}
        elif task.kind is TaskKind.TAGGING:
            truth = np.isin(task.labels, clip.clip_labels).astype(float)
            out[cid] = {"clip_scores": np.clip(truth * 0.6 + rng.random(n) * 0.5, 0, 1).tolist()}
        elif task.kind is TaskKind.SEGMENT_CLASSIFICATION:
            s = rng.random((len(clip.segment_labels), n + 1))
            s[np.arange(len(s)), clip.segment_labels] += 1.5 * (rng.random(len(s)) < 0.7)
            out[cid] = {"segment_scores": (s / s.sum(axis=1, keepdims=True)).tolist()}
        elif task.kind is TaskKind.CROSS_MODAL_LOCALIZATION:
            out[cid] = {"start": int(rng.integers(0, 3))}
        else:
            events = []
            for e in clip.events:
                if rng.random() < 0.2:
                    continue
                on = max(0.0, e.onset + float(rng.normal(0, 0.3)))
                off = min(clip.duration, max(on + 0.2, e.offset + float(rng.normal(0, 0.3))))
                ev = {"onset": round(on, 3), "offset": round(off, 3), "label": e.label}
                if task.kind is TaskKind.EVENT_LOCALIZATION:
                    ev.update(azimuth=float(((e.azimuth or 0) + rng.normal(0, 15) + 180) % 360 - 180),
                              elevation=float(np.clip((e.elevation or 0) + rng.normal(0, 5), -90, 90)))
                    if e.distance is not None:
                        ev["distance"] = float(max(0.1, e.distance + rng.normal(0, 0.2)))
                    if e.onscreen is not None:
                        ev["onscreen"] = bool(e.onscreen) if rng.random() < 0.9 else not e.onscreen
                events.append(ev)
            out[cid] = {"events": events}
            if task.kind is TaskKind.EVENT_DETECTION:
                hop = 0.1
                frames = int(np.ceil(clip.duration / hop))
                fs = rng.random((frames, n)) * 0.4
                for ev in events:
                    fs[int(ev["onset"] / hop):int(np.ceil(ev["offset"] / hop)), task.labels.index(ev["label"])] += 0.5
                out[cid]["frame_scores"] = {"hop": hop, "values": np.round(fs, 3).tolist()}
    return out


def _public(cfg, task, clips, content, params):  # noqa: ANN001
    """The metric through the public API, from the clips and predictions (no evaluation code)."""
    labels = list(task.labels)
    if cfg.input == "labels" and task.kind is TaskKind.CLIP_CLASSIFICATION:
        y = np.array([labels.index(c.clip_labels[0]) for c in clips.values()])
        s = np.array([content[cid]["clip_scores"] for cid in clips])
        return avbench.metric(cfg.id).compute(y, s, labels=labels, **params)
    if cfg.input == "labels":
        y = np.concatenate([c.segment_labels for c in clips.values()])
        s = np.concatenate([content[cid]["segment_scores"] for cid in clips])
        return avbench.metric(cfg.id).compute(y, s, labels=[*labels, "background"], **params)
    if cfg.input == "multilabel":
        y = np.array([np.isin(labels, c.clip_labels).astype(int) for c in clips.values()])
        s = np.array([content[cid]["clip_scores"] for cid in clips])
        return avbench.metric(cfg.id).compute(y, s, labels=labels, **params)
    if cfg.input == "cml":
        bg = len(labels)
        t = np.array([next(k for k, lab in enumerate(c.segment_labels) if lab != bg) for c in clips.values()])
        return avbench.metric(cfg.id).compute(t, np.array([content[cid]["start"] for cid in clips]), **params)
    if cfg.input == "sed":
        from avbench.metrics.sed.functional import RegisteredFunction, as_predictions

        gt = {cid: [(e.onset, e.offset, e.label) for e in c.events] for cid, c in clips.items()}
        durations = {cid: c.duration for cid, c in clips.items()}
        events = {cid: [(e["onset"], e["offset"], e["label"]) for e in content[cid]["events"]] for cid in clips}
        scores = {cid: (np.arange(len(content[cid]["frame_scores"]["values"]) + 1) * content[cid]["frame_scores"]["hop"],
                        np.array(content[cid]["frame_scores"]["values"])) for cid in clips}
        fn = getattr(avbench.metrics.sed, cfg.id, None)
        if isinstance(fn, RegisteredFunction):  # scores for PSDS, events for the F1 family, as evaluate picks
            return fn(scores if cfg.id.startswith("psds") else events, gt, durations, labels=labels, **params)
        from avbench.metrics.sed.io import SedPredictions

        both = SedPredictions(events=as_predictions(events).events, scores=as_predictions(scores, labels=labels).scores)
        return avbench.metric(cfg.id).compute(
            {cid: list(c.events) for cid, c in clips.items()}, both, durations=durations, labels=labels, **params)
    from avbench.metrics.seld import functional as seld_fn

    hop = 0.1

    def rows(events):  # noqa: ANN001, ANN202
        out = []
        for k, e in enumerate(events):
            get = e.get if isinstance(e, dict) else (lambda key, e=e: getattr(e, key))
            for f in range(int(np.ceil(get("onset") / hop - 1e-9)), int(np.ceil(get("offset") / hop - 1e-9))):
                dist = get("distance")
                on = get("onscreen")
                out.append([f, labels.index(get("label")), get("track") if get("track") is not None else k,
                            get("azimuth"), get("elevation") or 0.0, np.nan if dist is None else dist,
                            -1 if on is None else int(bool(on))])
        return out

    n_frames = {cid: int(np.ceil(c.duration / hop - 1e-9)) for cid, c in clips.items()}
    edition = cfg.id.removeprefix("seld-dcase").removeprefix("seld-")
    ref = {cid: rows(c.events) for cid, c in clips.items()}
    pred = {cid: rows(content[cid]["events"]) for cid in clips}
    return seld_fn.seld(ref, pred, edition=edition, labels=labels, hop=hop, n_frames=n_frames, **params)


@pytest.mark.parametrize("metric_id", sorted(registry.metrics()))
def test_public_path_equals_avbench_evaluate(metric_id: str, toy_root: Path) -> None:
    cfg = registry.metric(metric_id)
    task_id = _task_for(cfg)
    if task_id is None:
        pytest.skip(f"no registered task takes {cfg.input!r} inputs yet")
    task = registry.task(task_id)
    params = next((dict(m.params) for m in task.metrics if m.id == metric_id), {})  # what the task fixes
    clips = registry.dataset(task.dataset).reference(toy_root / task.dataset, task, task.split)
    content = _predictions(task, clips, np.random.default_rng(7))
    preds = Predictions(benchmark=task.dataset, task=task.id, split=task.split)
    for cid, c in content.items():
        preds.add(cid, **c)
    try:
        report = evaluate_predictions(preds, reference=toy_root / task.dataset, metric_ids=[metric_id])
    except InputError as refused:  # then the public path refuses the same inputs with the same words
        with pytest.raises(InputError) as also:
            _public(cfg, task, clips, content, params)
        assert str(also.value) == str(refused)
        return
    via_evaluate = report.results[0].to_dict()
    via_public = _public(cfg, task, clips, content, params).to_dict()
    for key in ("id", "version", "params", "overall", "class_wise"):
        assert via_public[key] == via_evaluate[key], key
    overall = [v for v in via_public["overall"].values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    assert overall, "the comparison needs at least one value"
