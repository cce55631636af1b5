"""Score an avbench predictions file against a benchmark split: ``avbench evaluate --predictions``.

The predictions header names the benchmark, task and split; the reference clips come from the
dataset's recipe (:meth:`avbench.dataset.Recipe.reference`) under the data directory (or
``reference=`` a dataset root). Every metric of the task (or ``metric_ids``) is computed on all
clips and again on the clips with and without usable video (``Clip.has_video`` checked ``True`` / ``False``; clips
whose video was never checked, ``None``, are counted as ``clips_video_unknown`` and never put in a stratum); for
segment tasks where some clip has video for only part of its duration, also on the segments with and without usable
video (``Clip.video_mask``, over the checked clips); for multi-camera sets, per camera on the clips it is
usable for and the others (``Clip.cameras``).

Policies:

- a clip id in the predictions that the split does not have is an error (ids are matched
  exactly: no case folding, no extension stripping);
- a clip of the split missing from the predictions is an error, unless ``allow_missing``: then it
  is scored as *empty* (no label predicted: a miss, never a false positive; uniform scores for
  score-based metrics; no events) and the report's ``coverage`` says how many and which.

Example:
    >>> from avbench.predictions import Predictions
    >>> p = Predictions(benchmark="synth", task="no-such-task", split="test")
    >>> evaluate_predictions(p)
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: unknown task 'no-such-task'...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avbench import registry
from avbench.errors import InputError, did_you_mean
from avbench.model import Clip, Task, TaskKind
from avbench.paths import dataset_dir
from avbench.predictions import BACKGROUND, Predictions, label_index
from avbench.report import Report, Stratum
from avbench.results import MetricConfig, MetricResult

__all__ = ["evaluate_predictions", "score_clips", "video_strata", "applicable_metrics", "check_applicable",
           "APPLICABLE_INPUTS"]

NO_PREDICTION = -1  # predicted class index meaning "nothing predicted" (a miss, not a false positive)


def evaluate_predictions(
    predictions: str | Path | Predictions,
    *,
    reference: str | Path | None = None,
    metric_ids: Sequence[str] | None = None,
    allow_missing: bool = False,
    data_dir: str | Path | None = None,
    plots_dir: str | Path | None = None,
    profile: str | None = None,
) -> Report:
    """Validate ``predictions`` and score them; returns a :class:`~avbench.report.Report`.

    Args:
        predictions: a predictions JSON path or a :class:`Predictions` object.
        reference: the dataset root to read reference labels from (default: the data directory).
        metric_ids: metric ids to compute (default: the task's metrics).
        allow_missing: score clips absent from the predictions as empty instead of failing.
        data_dir: the avbench data directory (default ``$AVBENCH_DATA`` / platform directory).
        plots_dir: write the plots that apply (:mod:`avbench.plots`; per-class F1, PSD-ROC, and the
            confusion matrix of a classification task) there and list them in ``Report.plots``.
        profile: the reference profile to score with (``"avbench"``: avbench's rules); default: each task
            metric's own (:attr:`MetricRef.profile`, the tool its published numbers came from), recorded in
            the header's ``profiles`` and each result's ``extra["profile"]``, with avbench's value in
            ``extra["avbench_value"]`` where it differs.

    Raises:
        InputError: malformed predictions, unknown benchmark/task/clip ids, missing clips,
            wrong shapes, non-finite scores or unknown labels (the message names the clip/field).
        DataNotFoundError: the dataset is not on disk (the message says how to fetch it).
    """
    preds = predictions if isinstance(predictions, Predictions) else Predictions.read(predictions)
    task = registry.task(preds.task)
    if preds.benchmark != task.dataset:
        raise InputError(f"{preds.source}: task {task.id!r} belongs to benchmark {task.dataset!r}, not {preds.benchmark!r}")
    configs = _configs(task, metric_ids, profile)  # before any work: a metric that does not apply is refused here
    preds.validate(task)
    recipe = registry.dataset(task.dataset)
    if reference is not None and not Path(reference).is_dir():
        raise InputError(f"--reference {reference} must be the {task.dataset!r} dataset directory for a predictions JSON")
    root = Path(reference) if reference is not None else dataset_dir(task.dataset, data_dir)
    recipe.require(root)
    sizes = recipe.split_sizes(root)
    if sizes is not None and preds.split not in sizes:
        raise InputError(
            f"{preds.source}: field 'split' {preds.split!r} is not a split of {task.dataset} "
            f"({', '.join(sizes)}){did_you_mean(preds.split, sizes)}; task {task.id!r} is scored on {task.split!r}"
        )
    clips = recipe.reference(root, task, preds.split)

    unknown = [cid for cid in preds.clips if cid not in clips]
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:3])
        hint = did_you_mean(unknown[0], clips) if len(clips) <= 50_000 else ""
        raise InputError(
            f"{preds.source}: {len(unknown)} clip id(s) not in {task.dataset}/{preds.split} (e.g. {shown}){hint}; "
            f"clip ids must match the split's ids exactly (`avbench info {task.dataset}` lists the splits)"
        )
    missing = [cid for cid in clips if cid not in preds.clips]
    if missing and not allow_missing:
        shown = ", ".join(repr(c) for c in missing[:3])
        raise InputError(
            f"{preds.source}: {len(missing)} of {len(clips)} clips of {task.dataset}/{preds.split} have no prediction "
            f"(e.g. {shown}); predict every clip or pass --allow-missing to score them as empty"
        )
    results = score_clips(task, clips, preds.clips, configs)
    strata: dict[str, Stratum] = {}
    by_state = video_strata(clips)
    for name, sub in by_state.items():
        if name != "video_unknown" and sub and len(sub) < len(clips):
            strata[name] = Stratum(len(sub), score_clips(task, sub, preds.clips, configs))
    if task.kind is TaskKind.SEGMENT_CLASSIFICATION:
        known = {k: c for k, c in clips.items() if c.has_video is not None}
        strata.update(_segment_strata(task, known, preds.clips, configs))
    strata.update(_camera_strata(task, clips, preds.clips, configs))
    header = {
        "benchmark": task.dataset,
        "task": task.id,
        "split": preds.split,
        "kind": task.kind.value,
        "predictions": preds.source,
        "model": preds.model,
        "dataset_version": recipe.version,
        "profiles": {cfg.id: prof or "avbench" for cfg, _, prof in configs},
    }
    coverage = {
        "clips_in_split": len(clips),
        "clips_predicted": len(clips) - len(missing),
        "clips_missing": len(missing),
        "clips_with_video": len(by_state["with_video"]),
        "clips_without_video": len(by_state["without_video"]),
        "clips_video_unknown": len(by_state["video_unknown"]),
        "missing": missing[:100],
    }
    plots: list[str] = []
    if plots_dir is not None:
        from avbench.plots import write_plots

        extra = []
        if "labels" in APPLICABLE_INPUTS[task.kind] and not any("matrix" in r.extra for r in results):
            extra = score_clips(task, clips, preds.clips, [(registry.metric("confusion_matrix"), {})])
        plots = write_plots([*results, *extra], plots_dir)
    return Report(header=header, results=results, strata=strata, coverage=coverage, plots=plots)


#: The metric input kinds (:data:`avbench.results.INPUT_KINDS`) that can score each task kind.
APPLICABLE_INPUTS: Mapping[TaskKind, tuple[str, ...]] = {
    TaskKind.SEGMENT_CLASSIFICATION: ("labels",),
    TaskKind.CLIP_CLASSIFICATION: ("labels", "multilabel"),
    TaskKind.TAGGING: ("multilabel",),
    TaskKind.EVENT_DETECTION: ("sed",),
    TaskKind.EVENT_LOCALIZATION: ("sed", "seld"),
    TaskKind.CROSS_MODAL_LOCALIZATION: ("cml",),
}


def applicable_metrics(task: Task) -> list[str]:
    """The ids of the registered metrics whose input kind fits ``task`` (:data:`APPLICABLE_INPUTS`)."""
    kinds = APPLICABLE_INPUTS[task.kind]
    return [m.id for m in registry.metrics().values() if m.input in kinds]


def check_applicable(task: Task, cfg: MetricConfig) -> None:
    """Refuse a metric whose input kind does not fit ``task``, naming the task's kind and the
    metrics that apply (a question that does not apply is an error, never a number).

    Example:
        >>> check_applicable(registry.task("synth-ave"), registry.metric("psds1"))
        Traceback (most recent call last):
        ...
        avbench.errors.InputError: metric 'psds1' (sed input) does not apply to task 'synth-ave', a segment-classification task; metrics that apply: ...
    """
    if cfg.input in APPLICABLE_INPUTS[task.kind]:
        return
    raise InputError(
        f"metric {cfg.id!r} ({cfg.input} input) does not apply to task {task.id!r}, a {task.kind.value} task; "
        f"metrics that apply: {', '.join(applicable_metrics(task))} "
        f"(omit --metrics for the task's own: {', '.join(m.id for m in task.metrics)})"
    )


def video_strata(clips: Mapping[str, Clip]) -> dict[str, dict[str, Clip]]:
    """Split ``clips`` by the three video states: ``with_video`` (checked, usable), ``without_video``
    (checked, not usable) and ``video_unknown`` (never checked). Only the first two are ever scored
    as strata; the third is counted in the report's coverage.

    Example:
        >>> cs = {k: Clip(k, 1.0, has_video=v) for k, v in (("a", True), ("b", False), ("c", None))}
        >>> {k: list(v) for k, v in video_strata(cs).items()}
        {'with_video': ['a'], 'without_video': ['b'], 'video_unknown': ['c']}
    """
    out: dict[str, dict[str, Clip]] = {"with_video": {}, "without_video": {}, "video_unknown": {}}
    for k, c in clips.items():
        key = "video_unknown" if c.has_video is None else ("with_video" if c.has_video else "without_video")
        out[key][k] = c
    return out


def _configs(task: Task, metric_ids: Sequence[str] | None, profile: str | None = None
             ) -> list[tuple[MetricConfig, dict[str, Any], str | None]]:
    """``(metric, task parameters, profile)`` per metric: the task's profile unless ``profile`` overrides it."""
    task_params = {m.id: dict(m.params) for m in task.metrics}
    task_profiles = {m.id: m.profile for m in task.metrics}
    ids = list(metric_ids) if metric_ids else list(task_params)
    configs = [(registry.metric(mid), task_params.get(mid, {}), profile or task_profiles.get(mid)) for mid in ids]
    for cfg, _, prof in configs:
        check_applicable(task, cfg)
        if prof not in (None, "avbench"):
            _profile_params(cfg, prof, "events")  # an unknown profile is refused before any work
    return configs


_PROFILE_MODULES = {"sed": "avbench.metrics.sed.profiles", "seld": "avbench.metrics.seld.files"}


def _profile_params(cfg: MetricConfig, profile: str, kind: str) -> dict[str, Any]:
    """The parameters ``profile`` sets for ``cfg`` (its family's ``profile_params``); refused for other families."""
    import importlib
    import inspect

    if cfg.family not in _PROFILE_MODULES:
        raise InputError(f"profile {profile!r}: metric {cfg.id!r} ({cfg.family}) has no reference profiles; "
                         "use profile=avbench")
    module = importlib.import_module(_PROFILE_MODULES[cfg.family])
    return module.profile_params(profile, cfg.id, set(inspect.signature(cfg.compute).parameters), kind)


def _scored(cfg: MetricConfig, args: Sequence[Any], kwargs: Mapping[str, Any], params: Mapping[str, Any],
            profile: str | None) -> MetricResult:
    """One metric under ``profile``, recorded in ``extra["profile"]``, with avbench's value beside where it differs."""
    import dataclasses

    from avbench.results import with_avbench_beside

    if profile in (None, "avbench"):
        return cfg(*args, **{**kwargs, **params})
    sp = args[1] if len(args) > 1 else None
    kind = "scores" if getattr(sp, "scores", None) is not None else getattr(sp, "kind", "events")
    chosen = {**_profile_params(cfg, profile, kind), **params}
    res = cfg(*args, **{**kwargs, **chosen})
    res = dataclasses.replace(res, extra={**res.extra, "profile": profile})
    if chosen != dict(params):
        res = with_avbench_beside(res, cfg(*args, **{**kwargs, **params}), profile=profile, primary=cfg.primary)
    return res


def score_clips(
    task: Task,
    clips: Mapping[str, Clip],
    predicted: Mapping[str, Mapping[str, Any]],
    configs: Sequence[tuple[MetricConfig, dict[str, Any]] | tuple[MetricConfig, dict[str, Any], str | None]],
    *,
    segments: Mapping[str, Sequence[bool]] | None = None,
) -> list[MetricResult]:
    """Compute each configured metric on ``clips`` (missing predictions scored as empty); for
    segment tasks, ``segments`` keeps only the marked segments of each clip. A config's optional third
    item is its profile (:func:`_scored`)."""
    results = []
    for cfg, params, *profile in configs:
        args, kwargs = _inputs(cfg, task, clips, predicted, segments)
        results.append(_scored(cfg, args, kwargs, params, profile[0] if profile else None))
    return results


def _segment_strata(task, clips, predicted, configs) -> dict[str, Stratum]:  # noqa: ANN001
    """Segments with and without usable video (``Clip.video_mask``), when a split has both and some
    clip has video for only part of its duration (clip-level strata already cover the rest)."""
    n_seg = int(task.n_segments or 0)
    masks = {cid: clip.video_mask(n_seg) for cid, clip in clips.items()}
    if not any(0 < sum(m) < n_seg for m in masks.values()):
        return {}
    out = {}
    for name, want in (("segments_with_video", True), ("segments_without_video", False)):
        keep = {cid: [v is want for v in m] for cid, m in masks.items()}
        sub = {cid: clips[cid] for cid in clips if any(keep[cid])}
        if sub:
            out[name] = Stratum(len(sub), score_clips(task, sub, predicted, configs, segments=keep))
    return out


def _camera_strata(task, clips, predicted, configs) -> dict[str, Stratum]:  # noqa: ANN001
    """Per camera of a multi-camera set (``Clip.cameras``): the clips it is usable for and the others,
    when a split has both (``<camera>_usable`` / ``<camera>_not_usable``)."""
    out = {}
    for cam in sorted({c for clip in clips.values() for c in clip.cameras}):
        for name, want in ((f"{cam}_usable", True), (f"{cam}_not_usable", False)):
            sub = {cid: c for cid, c in clips.items() if bool(c.cameras.get(cam, False)) is want}
            if 0 < len(sub) < len(clips):
                out[name] = Stratum(len(sub), score_clips(task, sub, predicted, configs))
    return out


def _inputs(cfg: MetricConfig, task: Task, clips: Mapping[str, Clip], predicted: Mapping[str, Mapping[str, Any]],
            segments: Mapping[str, Sequence[bool]] | None = None):
    kind = task.kind
    if cfg.input in ("sed", "seld"):
        adapters = registry.json_adapters()
        if cfg.input not in adapters:
            raise InputError(f"metric {cfg.id!r} needs the {cfg.input} metric family, which is not installed")
        sub = {cid: predicted.get(cid, {"events": []}) for cid in clips}
        return adapters[cfg.input](task, clips, sub)
    if cfg.input == "labels" and kind is TaskKind.SEGMENT_CLASSIFICATION:
        return _segment_inputs(task, clips, predicted, segments)
    if cfg.input == "labels" and kind is TaskKind.CLIP_CLASSIFICATION:
        return _clip_inputs(task, clips, predicted)
    if cfg.input == "multilabel" and kind in (TaskKind.TAGGING, TaskKind.CLIP_CLASSIFICATION):
        return _tagging_inputs(task, clips, predicted)
    if cfg.input == "cml" and kind is TaskKind.CROSS_MODAL_LOCALIZATION:
        return _cml_inputs(task, clips, predicted)
    raise InputError(f"metric {cfg.id!r} ({cfg.input} input) does not apply to task {task.id!r} ({kind.value})")


def _segment_inputs(task: Task, clips: Mapping[str, Clip], predicted: Mapping[str, Mapping[str, Any]],
                    segments: Mapping[str, Sequence[bool]] | None = None):
    n_seg, n_cls = int(task.n_segments or 0), len(task.labels)
    y_true = np.empty((len(clips), n_seg), dtype=np.int64)
    scores = np.full((len(clips), n_seg, n_cls + 1), 1.0 / (n_cls + 1))
    y_pred = np.full((len(clips), n_seg), NO_PREDICTION, dtype=np.int64)
    all_scores = True
    for i, (cid, clip) in enumerate(clips.items()):
        if clip.segment_labels is None or len(clip.segment_labels) != n_seg:
            raise InputError(f"reference clip {cid!r} has no {n_seg} segment labels")
        y_true[i] = clip.segment_labels
        content = predicted.get(cid)
        if content is None:
            continue
        if "segment_scores" in content:
            scores[i] = np.asarray(content["segment_scores"], dtype=float)
            y_pred[i] = scores[i].argmax(axis=1)
        else:
            all_scores = False
            y_pred[i] = [label_index(task, lab, background=True, clip=cid) for lab in content["segment_labels"]]
    labels = (*task.labels, BACKGROUND)
    complete = all(cid in predicted for cid in clips)
    # scores only when every clip has them; otherwise predicted labels (missing clips = misses)
    y_score = scores.reshape(-1, n_cls + 1) if all_scores and complete else y_pred.reshape(-1)
    y_true = y_true.reshape(-1)
    if segments is not None:
        keep = np.concatenate([np.asarray(segments[cid], dtype=bool) for cid in clips])
        y_true, y_score = y_true[keep], y_score[keep]
    return (y_true, y_score), {"labels": labels}


def _clip_inputs(task: Task, clips: Mapping[str, Clip], predicted: Mapping[str, Mapping[str, Any]]):
    n_cls = len(task.labels)
    y_true = np.array([_clip_truth(task, cid, c) for cid, c in clips.items()], dtype=np.int64)
    have_scores = all("clip_scores" in predicted[cid] for cid in clips if cid in predicted)
    if have_scores:
        scores = np.full((len(clips), n_cls), 1.0 / n_cls)
        for i, cid in enumerate(clips):
            if cid in predicted:
                scores[i] = np.asarray(predicted[cid]["clip_scores"], dtype=float)
        if all(cid in predicted for cid in clips):
            return (y_true, scores), {"labels": task.labels}
        y_pred = np.where([cid in predicted for cid in clips], scores.argmax(axis=1), NO_PREDICTION)
        return (y_true, y_pred), {"labels": task.labels}
    y_pred = np.full(len(clips), NO_PREDICTION, dtype=np.int64)
    for i, cid in enumerate(clips):
        content = predicted.get(cid)
        if content is None:
            continue
        if "clip_scores" in content:
            y_pred[i] = int(np.argmax(content["clip_scores"]))
        else:
            y_pred[i] = label_index(task, content["clip_label"], background=False, clip=cid)
    return (y_true, y_pred), {"labels": task.labels}


def _clip_truth(task: Task, cid: str, clip: Clip) -> int:
    if len(clip.clip_labels) != 1:
        raise InputError(f"reference clip {cid!r} needs exactly one clip label for {task.id!r}, has {clip.clip_labels!r}")
    return task.labels.index(clip.clip_labels[0])


def _tagging_inputs(task: Task, clips: Mapping[str, Clip], predicted: Mapping[str, Mapping[str, Any]]):
    n_cls = len(task.labels)
    y_true = np.zeros((len(clips), n_cls), dtype=np.int64)
    y_score = np.zeros((len(clips), n_cls))
    for i, (cid, clip) in enumerate(clips.items()):
        for lab in clip.clip_labels:
            y_true[i, task.labels.index(lab)] = 1
        if cid in predicted:
            y_score[i] = np.asarray(predicted[cid]["clip_scores"], dtype=float)
    return (y_true, y_score), {"labels": task.labels}


def _cml_inputs(task: Task, clips: Mapping[str, Clip], predicted: Mapping[str, Mapping[str, Any]]):
    bg = len(task.labels)
    true_start = []
    for cid, clip in clips.items():
        seg = clip.segment_labels or ()
        starts = [k for k, lab in enumerate(seg) if lab != bg]
        if not starts:
            raise InputError(f"reference clip {cid!r} has no event segment for cross-modal localization")
        true_start.append(starts[0])
    pred = [int(predicted[cid]["start"]) if cid in predicted else NO_PREDICTION for cid in clips]
    return (np.asarray(true_start, dtype=np.int64), np.asarray(pred, dtype=np.int64)), {}
