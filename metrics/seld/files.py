"""SELD from files and from avbench predictions JSON: the ``seld`` family hooks.

- ``FILE_EVALUATORS["seld"]`` (:func:`evaluate_files`): ``avbench evaluate --reference REF
  --predictions PRED --metrics seld-dcase2022``; REF and PRED are CSV files or folders of them
  (searched recursively, matched by file name). Each edition reads the CSV layout of its year
  (:mod:`avbench.metrics.seld.io`, :data:`READ_DEFAULTS`). ``-o KEY=VALUE`` options: ``profile``
  (:data:`PROFILES`: ``avbench`` / ``official`` [/ ``official-2024-launch``]; ``compat`` is an accepted
  alias, ``compat=none`` = ``profile=avbench``), ``average``, ``n_classes``, ``angle_unit``
  (``deg``/``rad``), ``layout`` (``auto``/``polar``/``cartesian``/``stereo``), ``ref_distance_unit`` /
  ``pred_distance_unit`` (``m``/``cm``), ``jackknife`` (``true``/``false``), ``require_onscreen``
  (2025, ``true``/``false``; the official code's default is ``false``), ``mode`` (UMONS
  ``unilabel``/``multilabel``); an option that is not a parameter of a requested metric is a one-line
  error naming both. A reference file without a prediction file is an error naming it unless
  ``--allow-missing``; then it is scored as empty and listed in ``coverage`` (left out under
  ``profile=official``, as the official scripts do, and still listed). An empty or header-only
  prediction file is a clip without detections. Under the default profile each result is also computed with
  the official code's rules: the deviations that fired on the data are flagged (rule, count, an example;
  :mod:`avbench.metrics.seld.deviations`) and, where a value differs, the official values are in
  ``extra["reference_profile"]`` and shown beside avbench's; under ``profile=official`` avbench's own values are
  in ``extra["avbench_value"]`` where they differ.
- ``JSON_ADAPTERS["seld"]`` (:func:`from_json`): avbench clips and predictions JSON entries ->
  ``(reference_table, predicted_table), {"n_classes": len(task.labels)}`` for every SELD ``compute``; events are rasterised to
  frames of ``hop`` = 0.1 s: frame ``k`` is active when ``onset <= k * hop < offset``; an event's
  optional ``score`` becomes the rows' score (read by ``seld-umons``; other editions ignore it).

Example:
    >>> from avbench.model import Clip, Event
    >>> class T: labels = ("dog", "cat")
    >>> clips = {"c1": Clip("c1", 1.0, events=(Event(0.0, 0.3, "cat", azimuth=10.0, elevation=0.0),))}
    >>> (ref, pred), kw = from_json(T, clips, {"c1": {"events": []}})
    >>> ref.frame.tolist(), ref.cls.tolist(), len(pred), ref.n_frames.tolist(), kw
    ([0, 1, 2], [1, 1, 1], 0, [10], {'n_classes': 2})
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.metrics.seld._common import check_kwargs
from avbench.metrics.seld.deviations import fired
from avbench.metrics.seld.io import SeldFrames, concat, from_rows, read_path
from avbench.report import Report
from avbench.results import MetricResult, differing, with_avbench_beside

__all__ = ["evaluate_files", "from_json", "FILE_EVALUATORS", "JSON_ADAPTERS", "READ_DEFAULTS", "PROFILES", "profiles_for",
           "profile_params", "beside_official"]

CLASSES_2019 = ("knock", "drawer", "clearthroat", "phone", "keysDrop", "speech", "keyboard", "pageturn", "cough",
                "doorslam", "laughter")

#: per metric id: reader settings of the reference and prediction files of that edition
READ_DEFAULTS: dict[str, dict[str, Any]] = {
    "seld-dcase2019": {"classes": CLASSES_2019, "hop": 0.02, "n_classes": 11},
    "seld-dcase2020": {"n_classes": 14, "layout": "cartesian"},
    "seld-dcase2021": {"n_classes": 12, "layout": "cartesian"},
    "seld-dcase2022": {"n_classes": 13, "layout": "cartesian"},
    "seld-dcase2023": {"n_classes": 13, "ref_distance_unit": "cm", "layout": "polar"},
    "seld-dcase2024": {"n_classes": 13, "ref_distance_unit": "cm", "layout": "polar"},
    "seld-dcase2025": {"n_classes": 13, "layout": "stereo", "ref_distance_unit": "cm", "pred_distance_unit": "cm"},
    "seld-umons": {"n_classes": 11},
}
"""Six-column files follow the edition: Cartesian ``frame,class,track,x,y,z`` in 2020-2022 (a row that is
not a unit vector is refused as another edition's layout), polar ``frame,class,track,azimuth,elevation,
distance`` in 2023-2024; ``-o layout=polar|cartesian|auto`` overrides (``auto``: guessed from the value
range, the Python API's default). Five columns are ``frame,class,track,azimuth,elevation`` in every
edition; seven are Cartesian with distance. 2025 distances are in cm in both files (the official
format) and are reported in metres."""
_BOOL = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_OPTIONS = {"compat", "profile", "average", "n_classes", "angle_unit", "layout", "ref_distance_unit",
            "pred_distance_unit", "jackknife", "mode", "hop", "require_onscreen"}
#: ``-o profile=NAME`` for SELD (``compat`` is an accepted alias): what each reproduces
PROFILES: dict[str, str] = {
    "avbench": "the documented definitions of each edition (default; same as compat=none)",
    "official": "the official DCASE Task 3 code of the edition, bit for bit to 1e-12 on the tested cases, quirks "
                "included (seld-dcase2019: sharathadavanne/seld-dcase2019 e88c62b; 2020-2023: the "
                "sharathadavanne/seld-dcase20XX baselines; 2024: partha2409/DCASE2024_seld_baseline 0b07887; "
                "2025: partha2409/DCASE2025_seld_baseline 42a48b6)",
    "official-2024-launch": "seld-dcase2024 only: the 2024 baseline code as first released",
}


def profile_params(name: str, metric_id: str, accepted: set[str] | frozenset[str] = frozenset({"compat"}),
                   prediction_kind: str = "events") -> dict[str, Any]:
    """The parameters SELD profile ``name`` sets for ``metric_id``: ``{"compat": ...}`` (``{}`` for UMONS).

    Raises:
        InputError: an unknown profile name (lists the known ones).

    Example:
        >>> profile_params("official", "seld-dcase2022"), profile_params("avbench", "seld-dcase2022")
        ({'compat': 'official'}, {})
    """
    if name not in _PROFILE_TO_COMPAT:
        raise InputError(f"-o profile={name}: unknown SELD profile; known: {', '.join(PROFILES)}")
    compat = _PROFILE_TO_COMPAT[name]
    if compat == "none" or metric_id == "seld-umons" or "compat" not in accepted:
        return {}
    return {"compat": compat}


def beside_official(res: MetricResult, official: MetricResult, deviations: list[dict[str, Any]]) -> MetricResult:
    """``res`` (avbench's rules) with the deviations that fired listed and, when a value differs, the official value.

    Each fired deviation becomes a flag ``deviation from the official code: RULE (COUNT; e.g. EXAMPLE)`` and an
    entry of ``extra["reference_profile"]["deviations"]``; when an overall value differs,
    ``extra["reference_profile"]["overall"]`` holds the official values and a flag names the headline one.
    """
    diff = differing(res.overall, official.overall)
    flags = [f"deviation from the official code: {d['rule']} ({d['count']}; e.g. {d['example']})" for d in deviations]
    if diff:
        from avbench import registry

        primary = registry.metric(res.id).primary
        key = primary if primary in diff else max(diff, key=lambda k: abs(diff[k][0] - diff[k][1]))
        flags.append(f"differs from profile official: {key} {diff[key][0]:.6g} here, {diff[key][1]:.6g} with the "
                     f"official code, {len(diff)} value(s) differ; {len(deviations)} deviation(s) fired")
    if not flags:
        return res
    extra = {**res.extra, "reference_profile": {"profile": "official", "tool": PROFILES["official"],
                                                "overall": dict(official.overall) if diff else {},
                                                "deviations": deviations}}
    return dataclasses.replace(res, flags=tuple(res.flags) + tuple(flags), extra=extra)


#: per edition: the official code its ``official`` profile reproduces (the commit read; the frozen fixtures in
#: tests/metrics/seld/data were made from checkouts of these repositories by benchmarks/peers/make_seld_fixtures.py)
OFFICIAL_CODE: dict[str, str] = {
    "seld-dcase2019": "sharathadavanne/seld-dcase2019 at e88c62b (metrics/evaluation_metrics.py)",
    "seld-dcase2020": "sharathadavanne/seld-dcase2020, HEAD 384ad9b, scoring files last changed at ad63358 "
                      "(metrics/SELD_evaluation_metrics.py, calculate_dev_results_from_dcase_output.py)",
    "seld-dcase2021": "sharathadavanne/seld-dcase2021, HEAD f8e09db, scoring files last changed at 8f8287e "
                      "(cls_compute_seld_results.py, metrics/)",
    "seld-dcase2022": "sharathadavanne/seld-dcase2022 at c8adb1d (cls_compute_seld_results.py, metrics/)",
    "seld-dcase2023": "sharathadavanne/seld-dcase2023, HEAD 24d14c9, scoring files last changed at ade98aa",
    "seld-dcase2024": "partha2409/DCASE2024_seld_baseline at 0b07887",
    "seld-dcase2025": "partha2409/DCASE2025_seld_baseline at 42a48b6",
}


def profiles_for(metric_id: str) -> dict[str, str]:
    """``{profile: what it reproduces}`` for one SELD metric id (the data ``avbench info METRIC`` lists).

    Example:
        >>> sorted(profiles_for("seld-dcase2022")), sorted(profiles_for("seld-dcase2024"))
        (['avbench', 'official'], ['avbench', 'official', 'official-2024-launch'])
        >>> profiles_for("seld-dcase2022")["official"].split(":")[0]
        'sharathadavanne/seld-dcase2022 at c8adb1d (cls_compute_seld_results.py, metrics/)'
    """
    if metric_id == "seld-umons":
        return {"avbench": "the UMONS thesis definitions (no official code to reproduce)"}
    out = {k: v for k, v in PROFILES.items() if k != "official-2024-launch" or metric_id == "seld-dcase2024"}
    if metric_id in OFFICIAL_CODE:
        out["official"] = (f"{OFFICIAL_CODE[metric_id]}: its numbers to 1e-12 on the frozen cases, quirks included; "
                           "the default profile lists which of avbench's rules differ on the data and the official "
                           "value beside (metrics/seld/deviations.py)")
    return out


_PROFILE_TO_COMPAT = {"avbench": "none", "none": "none", "official": "official",
                      "official-2024-launch": "official-2024-launch"}


def _read_one(metric_id: str, path: Path, side: str, options: Mapping[str, str]) -> SeldFrames:
    """One side (``"reference"`` or ``"predictions"``) read with ``metric_id``'s edition settings."""
    d = dict(READ_DEFAULTS.get(metric_id, {"n_classes": 13}))
    common = {"n_classes": int(options.get("n_classes", d.get("n_classes", 13))), "classes": d.get("classes", ()),
              "hop": float(options.get("hop", d.get("hop", 0.1))), "angle_unit": options.get("angle_unit", "deg"),
              "layout": options.get("layout", d.get("layout", "auto"))}
    unit = (options.get("ref_distance_unit", d.get("ref_distance_unit", "m")) if side == "reference"
            else options.get("pred_distance_unit", d.get("pred_distance_unit", "m")))
    return read_path(path, distance_unit=unit, **common)


def _read(metric_id: str, reference: Path, predictions: Path, options: Mapping[str, str]):
    n_classes = int(options.get("n_classes", READ_DEFAULTS.get(metric_id, {}).get("n_classes", 13)))
    return (_read_one(metric_id, reference, "reference", options),
            _read_one(metric_id, predictions, "predictions", options), n_classes)


def evaluate_files(
    metric_ids: list[str],
    *,
    reference: Path,
    predictions: Path,
    durations: Path | None = None,
    allow_missing: bool = False,
    plots_dir: Path | None = None,
    options: Mapping[str, str] | None = None,
) -> Report:
    """Score SELD CSVs with each metric in ``metric_ids`` (see the module docstring for options)."""
    from avbench import registry

    options = dict(options or {})
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise InputError(f"SELD evaluation: unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(_OPTIONS))}")
    kwargs: dict[str, Any] = {}
    if "profile" in options and "compat" in options and options["profile"] != options["compat"]:
        raise InputError(f"-o profile={options['profile']} and -o compat={options['compat']} disagree; give one "
                         "(compat is an alias of profile)")
    prof = options.get("profile", options.get("compat"))
    if prof is not None:
        if prof not in _PROFILE_TO_COMPAT:
            raise InputError(f"-o profile={prof}: unknown SELD profile; known: {', '.join(PROFILES)}")
        kwargs["compat"] = _PROFILE_TO_COMPAT[prof]
    if "require_onscreen" in options:
        if options["require_onscreen"].lower() not in _BOOL:
            raise InputError(f"-o require_onscreen expects true/false, got {options['require_onscreen']!r}")
        kwargs["require_onscreen"] = _BOOL[options["require_onscreen"].lower()]
    if "average" in options:
        kwargs["average"] = options["average"]
    if "mode" in options:
        kwargs["mode"] = options["mode"]
    if "jackknife" in options:
        if options["jackknife"].lower() not in _BOOL:
            raise InputError(f"-o jackknife expects true/false, got {options['jackknife']!r}")
        kwargs["jackknife"] = _BOOL[options["jackknife"].lower()]
    results, coverage = [], {}
    for mid in metric_ids:
        cfg = registry.metric(mid)
        signature = inspect.signature(cfg.compute).parameters
        accepted = {k for k, p in signature.items() if p.kind is p.KEYWORD_ONLY}
        check_kwargs(f"{mid} (-o options)", kwargs, accepted)
        ref, pred, n_classes = _read(mid, Path(reference), Path(predictions), options)
        pred_names = set(pred.files)
        missing = [f for f in ref.files if f not in pred_names]
        if missing and not allow_missing:
            shown = ", ".join(missing[:5])
            raise InputError(f"{predictions}: {len(missing)} of {len(ref.files)} reference files have no prediction file "
                             f"({shown}{', ...' if len(missing) > 5 else ''}); write an empty (header-only) file for a "
                             "clip without detections, or pass --allow-missing to score absent files as empty")
        res = cfg(ref, pred, n_classes=n_classes, **kwargs)
        if mid != "seld-umons":
            # the profile beside: only its overall values and flags are shown, so no intervals are computed for it
            beside = {**kwargs, "jackknife": False} if "jackknife" in accepted else kwargs
            if kwargs.get("compat", "none") == "none":
                official = cfg(ref, pred, n_classes=n_classes, **{**beside, "compat": "official"})
                fixed = kwargs.get("clip_frames", signature["clip_frames"].default) if "clip_frames" in signature else None
                res = beside_official(res, official, fired(mid, ref, pred, official.flags, res.flags, fixed_frames=fixed))
            else:
                res = with_avbench_beside(res, cfg(ref, pred, n_classes=n_classes, **{**beside, "compat": "none"}),
                                          profile=prof or "official", primary=cfg.primary)
        results.append(res)
        coverage = {"n_reference_files": len(ref.files), "n_prediction_files": len(pred.files),
                    "n_missing_predictions": len(missing), "missing_predictions": missing,
                    "missing_policy": "left out (compat=official)" if kwargs.get("compat", "none") != "none"
                    else "scored as empty predictions"}
    header = {"reference": str(reference), "predictions": str(predictions), "family": "seld",
              "options": options, "profile": {"none": "avbench"}.get(kwargs.get("compat", "none"),
                                                                      kwargs.get("compat", "none"))}
    return Report(header=header, results=results, coverage=coverage)


def _score(cid: str, label: str, onset: float, value: Any) -> float:
    if value is None:
        return np.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise InputError(f"clip {cid!r}: event {label!r} at {onset} s has score {value!r}; expected a finite number")
    return float(value)


def _table(task: Any, clips: Mapping[str, Any], events_of, hop: float) -> SeldFrames:
    labels = list(task.labels)
    index = {c: i for i, c in enumerate(labels)}
    parts = []
    for cid, clip in clips.items():
        n_frames = int(np.ceil(clip.duration / hop - 1e-9))
        rows: dict[str, list] = {k: [] for k in ("frame", "cls", "track", "az", "el", "dist", "on", "score")}
        for k, ev in enumerate(events_of(cid, clip)):
            get = (lambda key, e=ev: e.get(key)) if isinstance(ev, Mapping) else (lambda key, e=ev: getattr(e, key, None))
            label, onset, offset = get("label"), float(get("onset")), float(get("offset"))
            if label not in index:
                raise InputError(f"clip {cid!r}: event label {label!r} is not a class of task {getattr(task, 'id', '')!r}")
            if get("azimuth") is None:
                raise InputError(f"clip {cid!r}: event {label!r} at {onset} s has no azimuth; SELD events need a direction")
            start = int(np.ceil(onset / hop - 1e-9))
            stop = min(int(np.ceil(offset / hop - 1e-9)), n_frames)
            fr = np.arange(start, stop)
            rows["frame"].append(fr)
            for key, val in (("cls", index[label]), ("track", get("track") if get("track") is not None else k),
                             ("az", get("azimuth")), ("el", get("elevation") or 0.0),
                             ("dist", np.nan if get("distance") is None else get("distance")),
                             ("on", -1 if get("onscreen") is None else int(bool(get("onscreen")))),
                             ("score", _score(cid, label, onset, get("score")))):
                rows[key].append(np.full(len(fr), val))
        cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in rows.items()}
        parts.append(from_rows([cid], np.zeros(len(cat["frame"])), cat["frame"], cat["cls"], cat["az"], cat["el"],
                               track=cat["track"], distance=cat["dist"], onscreen=cat["on"], score=cat["score"],
                               n_frames=[n_frames],
                               classes=labels, hop=hop))
    if not parts:
        return from_rows([], [], [], [], [], classes=labels, hop=hop)
    return concat(parts)


def from_json(task: Any, reference_clips: Mapping[str, Any], predicted: Mapping[str, Mapping[str, Any]], *,
              hop: float = 0.1) -> tuple[tuple[SeldFrames, SeldFrames], dict[str, Any]]:
    """Rasterise reference clips and predicted events to frame tables (module docstring)."""
    ref = _table(task, reference_clips, lambda cid, clip: clip.events, hop)
    known = {c: reference_clips[c] for c in predicted if c in reference_clips}
    extra = [c for c in predicted if c not in reference_clips]
    if extra:
        raise InputError(f"predictions name clip {extra[0]!r}, which is not in the reference ({len(extra)} such clip(s))")
    pred = _table(task, known, lambda cid, clip: predicted[cid].get("events", ()), hop)
    # the task's class count, not the edition's default (13 for STARSS): classes are the task's labels
    return (ref, pred), {"n_classes": len(task.labels)}


FILE_EVALUATORS = {"seld": evaluate_files}
JSON_ADAPTERS = {"seld": from_json}
