"""File-based evaluation of the SED family (``avbench evaluate --reference gt.tsv ...``) and its JSON adapter.

:func:`evaluate_files` reads a DCASE reference TSV, an optional durations TSV and predictions in
any of three forms, detected from what is on disk:

- a detections TSV (``filename onset offset event_label``): one operating point;
- a directory of ``*_<threshold>.tsv`` detection files, or a ``threshold<TAB>path`` list:
  operating points, read straight into columns (no Event objects;
  :mod:`avbench.metrics.sed._op_files`);
- a directory of per-clip score TSVs (``onset offset <class...>``) or one score TSV with a
  ``filename`` column: score tables.

Clip ids of predictions and durations are matched to the reference exactly, else by their stem
without an audio suffix (``a.wav`` ~ ``a``, as sed_scores_eval names score files). The evaluated
clips are the reference clips plus clips listed only in the durations file. Policies:

- a predicted clip outside them, or an event label outside the reference label set (or
  ``-o labels=a,b,c``), is an error naming file/clip;
- a clip that a detections TSV (or the operating-point files) omits has no detections: the DCASE
  convention, as psds_eval and sed_eval read it given the ground truth and durations; the
  coverage counts ``clips_missing`` (omitted) and ``clips_without_detections``;
- a clip without a score table is an error naming clips (sed_scores_eval's rule), unless
  ``allow_missing``: then it gets a one-frame all-zero table and is counted in ``Report.coverage``.

Options (``-o KEY=VALUE``): ``profile=avbench|sed_eval|psds_eval|sed_scores_eval`` (the parameters that
reproduce a tool, :mod:`avbench.metrics.sed.profiles`; recorded in the report header and each result's
``extra["profile"]``; under the default ``avbench`` profile a result that differs from its reference tool's profile
carries the tool's values in ``extra["reference_profile"]`` and a flag naming the deviations that
fired; under another profile, avbench's own values are in ``extra["avbench_value"]`` where they differ; the
DCASE-year profiles ``dcase2021`` ... ``dcase2024`` give each metric the tool that year's recipe used); ``labels=a,b,c``; ``merge_overlaps=true`` merges overlapping or touching
same-class detections of a clip into one before scoring (PSDS refuses overlapping ones); any metric parameter (``time_decimals=none``,
``threshold=0.4``, ``strict=true``, ``collar=0.25``...) for every requested metric, or
``METRIC.KEY=VALUE`` for one. ``bootstrap=N`` (with ``bootstrap_seed=S``, default 0, and
``bootstrap_confidence=C``, default 0.95; also per metric, ``psds1.bootstrap=0``) adds clip-bootstrap
percentile intervals of every overall value to each result's ``extra["confidence_intervals"]``
(:mod:`avbench.metrics.sed.bootstrap`). Plots (``--plots DIR``): per-class F1 bars for each result with
class-wise F1, and PSD-ROC curves for results whose ``extra`` has ``psd_roc``
(:mod:`avbench.metrics.sed.plots`).

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "gt.tsv").write_text("filename\\tonset\\toffset\\tevent_label\\na.wav\\t1.0\\t2.0\\tdog\\n")
    >>> _ = (d / "det.tsv").write_text("filename\\tonset\\toffset\\tevent_label\\na.wav\\t1.1\\t2.0\\tdog\\n")
    >>> rep = evaluate_files(["event_f1"], reference=d / "gt.tsv", predictions=d / "det.tsv", durations=None,
    ...                      allow_missing=False, plots_dir=None, options={})
    >>> rep.results[0].overall["f1"], rep.coverage["clips_missing"]
    (1.0, 0)
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed.io import (
    ScoreTable,
    SedPredictions,
    clip_stem,
    merge_overlapping,
    read_durations_tsv,
    read_events_tsv,
    read_score_tables,
)
from avbench.metrics.sed._columns import EventMap
from avbench.metrics.sed._op_files import read_operating_point_columns
from avbench.metrics.sed._zero_length import ZeroLengthEvent, strip_zero_length
from avbench.metrics.sed.profiles import PROFILES, profile_params, reference_profile_of
from avbench.model import Clip, Event
from avbench.report import Report
from avbench.results import differing, with_avbench_beside

__all__ = ["align_inputs", "AlignedInputs", "evaluate_files", "from_json", "FILE_EVALUATORS", "JSON_ADAPTERS", "parse_option"]


def parse_option(value: str) -> Any:
    """``none``/``true``/``false``/int/float from an ``-o KEY=VALUE`` string, else the string.

    Example:
        >>> [parse_option(v) for v in ("none", "true", "6", "0.25", "x")]
        [None, True, 6, 0.25, 'x']
    """
    low = value.strip().lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def _head(path: Path) -> list[str]:
    """The first non-empty line's cells, lower-cased (``[]`` for an empty file)."""
    from avbench.metrics.sed.io import read_decoded, sniff_separator

    lines = read_decoded(path).splitlines()
    n = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if n is None:
        return []
    return [c.strip().lower() for c in lines[n].split(sniff_separator(path, lines[n], n + 1))]


def _is_score_header(head: list[str]) -> bool:
    cols = [h for h in head if h != "filename"]
    return cols[:2] == ["onset", "offset"] and len(cols) > 2 and "event_label" not in cols


def _score_or_typo(path: Path, head: list[str]) -> bool:
    """``_is_score_header``, refusing a detections header with a misspelt column read as a score table."""
    from avbench.metrics.sed.io import misspelt_columns

    if not _is_score_header(head):
        return False
    hint = misspelt_columns(head)
    if hint:
        raise InputError(
            f"{path}, line 1: header {chr(9).join(head)!r} has no event_label column, so it reads as a score table "
            f"(onset, offset, one column per class), not as detections (filename onset offset event_label){hint}; "
            "fix the header"
        )
    return True


def read_predictions(path: Path, labels: Sequence[str], stats: dict[str, Any] | None = None,
                     keep_zero_length: bool = False) -> SedPredictions:
    """Detect and read the prediction form at ``path`` (module docstring).

    The form of a directory is decided by its first file that is not empty (an empty
    operating-point file means no detections at that threshold; an empty score file is refused
    by :func:`~avbench.metrics.sed.io.read_score_tables`, naming it). ``stats`` receives the
    count of dropped zero-length detections (:func:`~avbench.metrics.sed.io.read_events_tsv`);
    ``keep_zero_length`` keeps them in a detections TSV (operating-point files drop them).
    """
    if path.is_dir():
        tsvs = sorted(f for f in path.iterdir() if f.suffix.lower() in (".tsv", ".csv"))
        if not tsvs:
            raise InputError(f"{path}: no .tsv files; expected score tables or operating-point detection files")
        head = next((h for h in map(_head, tsvs) if h), [])
        if _score_or_typo(path, head):
            return SedPredictions(scores=read_score_tables(path))
        return SedPredictions(operating_points=read_operating_point_columns(path, labels=labels, stats=stats))
    head = _head(path)
    if _score_or_typo(path, head):
        return SedPredictions(scores=read_score_tables(path))
    if head and (head[0] == "threshold" or (len(head) == 2 and _is_number(head[0]))):
        return SedPredictions(operating_points=read_operating_point_columns(path, labels=labels, stats=stats))
    return SedPredictions(events=read_events_tsv(path, labels=labels, stats=stats, keep_zero_length=keep_zero_length))


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _aligner(clips: Sequence[str], source: Path, what: str):
    """``(align, name)``: re-key a ``{clip: ...}`` mapping / one clip id to the reference ids.

    An id matches a reference clip exactly, else by its stem without an audio suffix; a stem that
    two reference clips share (``x.wav`` and ``x.flac``) is an error naming both.
    """
    exact = set(clips)
    by_stem: dict[str, list[str]] = {}
    for c in clips:
        by_stem.setdefault(clip_stem(c), []).append(c)

    def name(k: str) -> str:
        if k in exact:
            return k
        cands = by_stem.get(clip_stem(k), [])
        if len(cands) > 1:
            raise InputError(
                f"{source}: {what} for clip {k!r} is ambiguous: the reference has {', '.join(repr(c) for c in cands)}; "
                "name the clip with its audio suffix"
            )
        if not cands:
            raise InputError(
                f"{source}: {what} for clip {k!r}, which is not in the reference; "
                "clip ids must match the reference file names (with or without the audio suffix)"
            )
        return cands[0]

    def align(mapping: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in mapping.items():
            key = name(k)
            if key in out:
                raise InputError(f"{source}: clip {key!r} is given twice in the {what}s (as {k!r} and another id)")
            out[key] = v
        return out

    return align, name


def _empty_table(duration: float, labels: Sequence[str]) -> ScoreTable:
    return ScoreTable(np.array([0.0, duration]), np.zeros((1, len(labels))), tuple(labels))


_BOOT = {"bootstrap": "n_bootstrap", "bootstrap_seed": "seed", "bootstrap_confidence": "confidence"}


def _metric_options(metric_ids: Sequence[str], options: Mapping[str, str]
                    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Per metric: its parameters, and its bootstrap settings (``bootstrap*`` options).

    ``metric.name=value`` goes to that metric; an unscoped ``name=value`` goes to every requested
    metric that has such a parameter (e.g. ``threshold`` reaches the F1 metrics, not PSDS), and is
    an error when none has it.
    """
    import inspect

    from avbench import registry

    accepts = {m: set(inspect.signature(registry.metric(m).compute).parameters) for m in metric_ids}
    per: dict[str, dict[str, Any]] = {m: {} for m in metric_ids}
    boot: dict[str, dict[str, Any]] = {m: {} for m in metric_ids}
    for key, raw in options.items():
        if key in ("labels", "profile"):
            continue
        mid, dot, name = key.rpartition(".")
        if dot and mid not in per:
            raise InputError(f"option {key!r}: metric {mid!r} is not among the requested metrics {', '.join(metric_ids)}")
        targets = [mid] if dot else [m for m in metric_ids if name in _BOOT or name in accepts[m]]
        if not targets:
            raise InputError(f"option {key!r}: none of the metrics {', '.join(metric_ids)} has such a parameter")
        for m in targets:
            if name in _BOOT:
                boot[m][_BOOT[name]] = parse_option(raw)
            else:
                per[m][name] = parse_option(raw)
    return per, boot


@dataclasses.dataclass(frozen=True)
class AlignedInputs:
    """Reference, predictions and durations keyed by the same clip ids (see :func:`align_inputs`)."""

    reference: EventMap
    predictions: SedPredictions
    durations: dict[str, float]
    labels: list[str]
    clips: list[str]
    missing: list[str]


def align_inputs(
    reference: Mapping[str, Sequence[Event]],
    predictions: SedPredictions | Any,
    *,
    durations: Mapping[str, float] | None,
    labels: Sequence[str] | None,
    allow_missing: bool,
    reference_name: str = "reference",
    predictions_name: str = "predictions",
    labels_option: str = "labels=[...]",
    durations_name: str = "durations",
    omitted_means_empty: bool = False,
) -> AlignedInputs:
    """The one alignment step of SED inputs, shared by ``avbench evaluate`` and the functional API.

    ``labels`` default to the sorted reference labels; durations and predictions are re-keyed to
    the reference clip ids (exactly, else by stem); the evaluated clips are the reference clips
    plus clips listed only in ``durations``; clips without prediction are an error unless
    ``allow_missing`` (then empty: no events, a one-frame all-zero score table). ``predictions``
    may be a callable ``labels -> SedPredictions`` (file readers need the labels).
    ``omitted_means_empty`` (``avbench evaluate`` on files): detections (one set or operating
    points) that omit a clip mean no detections in it, the DCASE convention psds_eval and
    sed_eval follow given the ground truth and durations; score tables still need every clip
    (sed_scores_eval's rule) unless ``allow_missing``.

    Raises:
        InputError: a label outside ``labels``, no labelled events and no ``labels``, a predicted
            clip outside the evaluated clips, clips without prediction (unless ``allow_missing``).
    """
    ref = EventMap(reference)  # read-only: what the metrics derive from it is kept (prepare)
    if labels is not None:
        labels = list(labels)
        bad = sorted({e.label for evs in ref.values() for e in evs} - set(labels))
        if bad:
            raise InputError(f"{reference_name}: label(s) {', '.join(bad)} are not in {labels_option}")
    else:
        labels = sorted({e.label for evs in ref.values() for e in evs})
        if not labels:
            raise InputError(f"{reference_name}: no labelled events; pass the class names with {labels_option}a,b,c")
    dur: dict[str, float] = {}
    if durations is not None:
        _, ref_name = _aligner(list(ref), Path(durations_name), "duration")
        stems = {clip_stem(c) for c in ref}
        dur = {(ref_name(k) if k in ref or clip_stem(k) in stems else k): float(v) for k, v in durations.items()}
    clips = list(dict.fromkeys([*ref, *dur]))
    align, clip_name = _aligner(clips, Path(predictions_name), "prediction")
    preds = predictions(labels) if callable(predictions) else predictions
    events = None if preds.events is None else align(preds.events)
    ops = None  # columns, renamed to reference clip ids (a clip without detections at a threshold is empty there)
    if preds.operating_points is not None:
        cols = preds.detection_columns()
        ops = cols.renamed([clip_name(c) for c in cols.clips])
    scores = None if preds.scores is None else align(preds.scores)
    if scores is not None:
        for cid, table in scores.items():
            unknown = sorted(set(table.classes) - set(labels))
            if unknown:
                raise InputError(f"{predictions_name}: scores for clip {cid!r} have class column(s) {', '.join(unknown)} "
                                 f"not in the reference labels ({', '.join(labels)})")
            lacking = [c for c in labels if c not in table.classes]
            if lacking:
                raise InputError(f"{predictions_name}: the score table of clip {cid!r} lacks the class column(s) "
                                 f"{', '.join(lacking)}; every table needs one column per class ({', '.join(labels)})")
    covered = {clip_name(c) for c in preds.clip_ids()}
    missing = [c for c in clips if c not in covered]
    if missing and not allow_missing and not (omitted_means_empty and scores is None):
        shown = ", ".join(repr(c) for c in missing[:5])
        what = ("every clip needs its score table (sed_scores_eval's rule)" if scores is not None
                else "list a clip without detections as a row with an empty label")
        raise InputError(
            f"{predictions_name}: {len(missing)} of {len(clips)} reference clips have no prediction ({shown}"
            f"{', ...' if len(missing) > 5 else ''}); {what}, or pass --allow-missing to score absent clips as empty"
        )
    for c in missing:
        if events is not None:
            events[c] = []
        if scores is not None:
            scores[c] = _empty_table(dur.get(c) or max([e.offset for e in ref.get(c, [])] + [1.0]), labels)
    sp = SedPredictions(events=events, operating_points=ops, scores=scores)
    return AlignedInputs(ref, sp, dur, labels, clips, missing)


def _beside_reference(res, cfg, ref, sp, dur, labels, explicit: Mapping[str, Any], accepted: set[str], kind: str):
    """``res`` with the reference tool's value beside it when the tool's profile gives another number.

    The metric is recomputed with the tool's profile (:func:`~avbench.metrics.sed.profiles.reference_profile_of`);
    when an overall value differs, ``extra["reference_profile"]`` holds the tool's overall values and
    a flag names the profile, the largest difference and the deviations that fired (flags of this
    result that the tool's run does not raise: merged reference events, collar ties, padding...).
    """
    name = reference_profile_of(cfg.id, kind)
    if name is None:
        return res
    alt_params = {**profile_params(name, cfg.id, accepted), **explicit}
    defaults = inspect.signature(cfg.compute).parameters
    if all(k in explicit or (k in defaults and defaults[k].default == v) for k, v in alt_params.items()):
        return res  # the tool's profile changes no parameter here: the same number, not computed twice
    try:
        alt = cfg(ref, sp, durations=dur, labels=labels, **alt_params)
    except InputError as exc:
        return dataclasses.replace(res, flags=tuple(res.flags) + (f"profile {name} cannot score these inputs: {exc}",))
    diff = differing(res.overall, alt.overall)
    if not diff:
        return res
    key = cfg.primary if cfg.primary in diff else max(diff, key=lambda k: abs(diff[k][0] - diff[k][1]))
    fired = [f for f in res.flags if f not in alt.flags]
    changed = ", ".join(f"{k}={v!r}" for k, v in alt_params.items() if k not in explicit)
    flag = (f"differs from profile {name} ({PROFILES[name].tool}; {changed}): {key} {diff[key][0]:.6g} here, "
            f"{diff[key][1]:.6g} with {name}, {len(diff)} value(s) differ"
            + (f"; {len(fired)} deviation(s) fired, each flagged with its count (extra.reference_profile.deviations)"
               if fired else
               "; the deviation is in the comparisons (rounding of times to 1 us before collar / criterion tests)"))
    extra = {**res.extra, "reference_profile": {"profile": name, "tool": PROFILES[name].tool, "params": alt_params,
                                                "overall": dict(alt.overall), "deviations": fired}}
    return dataclasses.replace(res, flags=tuple(res.flags) + (flag,), extra=extra)


def evaluate_files(
    metric_ids: list[str],
    *,
    reference: Path,
    predictions: Path,
    durations: Path | None,
    allow_missing: bool,
    plots_dir: Path | None,
    options: dict[str, str],
) -> Report:
    """Score SED file inputs with every requested metric id of family ``sed`` (module docstring).

    Raises:
        InputError: unreadable or malformed files, unknown labels or clips, missing clips (unless
            ``allow_missing``), an option a metric does not accept.
    """
    from avbench import registry

    reference, predictions = Path(reference), Path(predictions)
    if reference.is_dir():
        raise InputError(f"--reference {reference}: expected a DCASE event TSV (filename onset offset event_label)")
    ref_stats: dict[str, Any] = {}
    pred_stats: dict[str, Any] = {}
    ref = read_events_tsv(reference, stats=ref_stats, keep_zero_length=True)
    labels = None
    if "labels" in options:
        labels = [x.strip() for x in options["labels"].split(",") if x.strip()]
    raw_durations = None if durations is None else read_durations_tsv(durations)

    def read(labels: Sequence[str]) -> SedPredictions:
        return read_predictions(predictions, labels, pred_stats, keep_zero_length=True)

    options = dict(options)
    merge = _flag_option(options.pop("merge_overlaps", "false"), "merge_overlaps")
    aligned = align_inputs(ref, read, durations=raw_durations, labels=labels, allow_missing=allow_missing,
                           reference_name=str(reference), predictions_name=str(predictions),
                           labels_option="-o labels=" + options.get("labels", ""),
                           durations_name=str(durations), omitted_means_empty=True)
    ref, sp, dur, labels = aligned.reference, aligned.predictions, aligned.durations, aligned.labels
    clips, missing = aligned.clips, aligned.missing
    scores = sp.scores
    merge_notes: tuple[str, ...] = ()
    if merge:
        sp, n_merged = _merge_detections(sp, str(predictions))
        merge_notes = (f"merged {n_merged} overlapping or touching same-class detection pair(s) "
                       "(-o merge_overlaps=true)",) if n_merged else ()
    per, boot = _metric_options(metric_ids, options)
    profile = options.get("profile", "avbench")
    kind = sp.kind if scores is None else "scores"
    # zero-length rows reach only the metrics that can count them (zero_length=...); the others get none
    full = (ref, sp)

    @functools.cache
    def stripped() -> tuple:  # made for the first metric that needs them
        ref0, sp0 = full
        pred_events = None if sp0.events is None else strip_zero_length(sp0.events)
        return (strip_zero_length(ref0), sp0 if pred_events is None or pred_events is sp0.events
                else SedPredictions(events=pred_events))  # a detections TSV: events only

    results = []
    dropped_zero = False
    for mid in metric_ids:
        cfg = registry.metric(mid)
        if cfg.family != "sed":
            raise InputError(f"metric {mid!r} is in family {cfg.family!r}, not sed")
        accepted = set(inspect.signature(cfg.compute).parameters)
        ref, sp = full if "zero_length" in accepted else stripped()
        params = {**profile_params(profile, mid, accepted, kind), **per[mid]}
        try:
            res = cfg(ref, sp, durations=dur, labels=labels, **params)
        except TypeError as exc:
            raise InputError(f"metric {mid!r} rejected the options {sorted(params)}: {exc}") from None
        res = dataclasses.replace(res, extra={**res.extra, "profile": profile})
        if profile == "avbench":
            res = _beside_reference(res, cfg, ref, sp, dur, labels, per[mid], accepted, kind)
        elif params != per[mid]:
            res = with_avbench_beside(res, cfg(ref, sp, durations=dur, labels=labels, **per[mid]), profile=profile,
                                      primary=cfg.primary)
        settings = {"seed": 0, "confidence": 0.95, **boot[mid]}
        if settings.get("n_bootstrap"):
            from avbench.metrics.sed.bootstrap import confidence_intervals

            ci = confidence_intervals(cfg, ref, sp, durations=dur, labels=labels, params=params, clips=clips, **settings)
            res = dataclasses.replace(res, extra={**res.extra, "confidence_intervals": ci})
        notes = ()
        if params.get("zero_length", "drop") == "drop":  # the note names the file and line (the metric's flag a clip)
            notes = tuple(f"{st['zero_length']} zero-length {what} event(s) (onset == offset) dropped, e.g. "
                          f"{st['zero_length_example']}" for what, st in (("reference", ref_stats),
                                                                         ("detection", pred_stats))
                          if st.get("zero_length"))
            dropped_zero = dropped_zero or bool(notes)
            if notes and "zero_length" in accepted:
                res = dataclasses.replace(res, flags=tuple(f for f in res.flags if not _is_zero_length_flag(f)))
        notes += merge_notes
        if notes:
            res = dataclasses.replace(res, flags=tuple(res.flags) + notes)
        results.append(res)
    for path, st in ((reference, ref_stats), (predictions, pred_stats)):
        if dropped_zero and st.get("zero_length"):
            warnings.warn(f"{path}: dropped {st['zero_length']} zero-length event(s) (onset == offset)", stacklevel=2)
    header = {
        "reference": str(reference), "predictions": str(predictions),
        "durations": None if durations is None else str(durations),
        "prediction_kind": kind, "labels": list(labels), "profile": profile,
    }
    coverage = {"clips_in_reference": len(clips), "clips_predicted": len(clips) - len(missing),
                "clips_missing": len(missing), "clips_without_detections": _without_detections(sp, clips, missing),
                "missing": missing[:100]}
    plots: list[str] = []
    if plots_dir is not None:
        from avbench.metrics.sed.plots import write_plots

        plots = write_plots(results, Path(plots_dir))
    return Report(header=header, results=results, coverage=coverage, plots=plots)


def _is_zero_length_flag(flag: str) -> bool:
    """Whether ``flag`` is the metric's own note of dropped zero-length events (:func:`~avbench.metrics.sed._columns.prepare`)."""
    return "zero-length" in flag and flag.split(" ", 1)[0].isdigit() and "dropped, e.g. clip" in flag


def _flag_option(raw: str, name: str) -> bool:
    value = parse_option(raw)
    if not isinstance(value, bool):
        raise InputError(f"option {name}={raw!r}: expected true or false")
    return value


def _merge_detections(sp: SedPredictions, source: str) -> tuple[SedPredictions, int]:
    """``-o merge_overlaps=true``: overlapping or touching same-class detections of a clip become
    one (:func:`~avbench.metrics.sed.io.merge_overlapping`), in the single set and at every
    operating point; score tables have nothing to merge. Zero-length detections are kept as given."""
    if sp.scores is not None and sp.events is None and sp.operating_points is None:
        raise InputError(f"{source}: -o merge_overlaps=true merges detections; score tables have none to merge")
    n = 0
    events = None
    if sp.events is not None:
        events, n = merge_overlapping(strip_zero_length(sp.events), what="detections")
        events = {c: [*evs, *(e for e in sp.events[c] if isinstance(e, ZeroLengthEvent))] for c, evs in events.items()}
    ops = None
    if sp.operating_points is not None:
        ops = {}
        for t, op in sp.operating_points.items():
            ops[t], k = merge_overlapping(dict(op), what="detections")
            n += k
    return SedPredictions(events=events, operating_points=ops, scores=sp.scores), n


def _without_detections(sp: SedPredictions, clips: Sequence[str], missing: Sequence[str]) -> int:
    """Clips with no detection: empty in the single set, or absent from every operating point."""
    if sp.events is not None:
        return sum(1 for c in clips if not sp.events.get(c))
    if sp.operating_points is not None:
        return len(missing)
    return 0


def _table_from_json(cid: str, fs: Mapping[str, Any], labels: Sequence[str]) -> ScoreTable:
    values = np.asarray(fs["values"], dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(labels):
        raise InputError(f"clip {cid!r}: frame_scores.values must be [frames, {len(labels)}], got {values.shape}")
    return ScoreTable(np.arange(values.shape[0] + 1) * float(fs["hop"]), values, tuple(labels))


def from_json(task: Any, reference_clips: Mapping[str, Clip], predicted: Mapping[str, Mapping[str, Any]]):
    """Turn validated predictions-JSON clip entries into ``compute`` arguments.

    Returns ``((reference, SedPredictions), {"durations": ..., "labels": task.labels})``.
    ``events`` give the single operating point; ``frame_scores`` (``hop`` s, ``[frames, C]``)
    give score tables. When any clip has scores, clips without them (missing clips filled in as
    ``{"events": []}``) get an all-zero one-frame table, and events are used only if every clip
    with scores also has events.
    """
    labels = tuple(task.labels)
    reference = {cid: list(c.events) for cid, c in reference_clips.items()}
    durations = {cid: c.duration for cid, c in reference_clips.items()}
    with_scores = [c for c, p in predicted.items() if p.get("frame_scores") is not None]
    use_events = all(predicted[c].get("events") is not None for c in with_scores)
    events = None
    if use_events:
        events = {
            cid: [Event(e["onset"], e["offset"], e["label"], labels=labels) for e in (p.get("events") or [])]
            for cid, p in predicted.items()
        }
    scores = None
    if with_scores:
        scores = {
            cid: (_table_from_json(cid, p["frame_scores"], labels) if p.get("frame_scores") is not None
                  else _empty_table(durations[cid], labels))
            for cid, p in predicted.items()
        }
    return (reference, SedPredictions(events=events, scores=scores)), {"durations": durations, "labels": labels}


FILE_EVALUATORS = {"sed": evaluate_files}
JSON_ADAPTERS = {"sed": from_json}
