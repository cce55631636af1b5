"""``avbench evaluate``: score predictions against reference labels.

Two ways in:

- an avbench predictions JSON (``--predictions preds.json``): the header names benchmark, task and
  split; the reference comes from the local data of that benchmark (or ``--reference DIR``) and
  every metric of the task is scored (:mod:`avbench.evaluation`);
- reference and prediction files in a community format (DCASE TSVs, score tables, SELD CSVs) with
  ``--metrics``: each metric family that reads files (``FILE_EVALUATORS`` in its
  :mod:`avbench.metrics` module) scores them.
"""

from __future__ import annotations

from pathlib import Path

import click

from avbench.errors import InputError
from avbench.report import Report

__all__ = ["COMMANDS"]


def _parse_options(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        if "=" not in v:
            raise InputError(f"--option expects KEY=VALUE, got {v!r}")
        k, _, val = v.partition("=")
        out[k.strip()] = val.strip()
    return out


def _is_avbench_predictions(path: Path) -> bool:
    if path.is_dir() or path.suffix.lower() != ".json":
        return False
    with path.open("rb") as fh:
        head = fh.read(4096)
    return b"avbench-predictions" in head


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
    """Dispatch file-based evaluation to the families of ``metric_ids`` and merge their reports."""
    from avbench import registry

    by_family: dict[str, list[str]] = {}
    for mid in metric_ids:
        by_family.setdefault(registry.metric(mid).family, []).append(mid)
    reports = []
    for family, ids in by_family.items():
        fn = registry.file_evaluator(family)
        if fn is None:
            raise InputError(
                f"metrics {', '.join(ids)} ({family}) are not computed from files: "
                "pass an avbench predictions JSON instead"
            )
        reports.append(
            fn(ids, reference=reference, predictions=predictions, durations=durations,
               allow_missing=allow_missing, plots_dir=plots_dir, options=options)
        )
    merged = reports[0]
    for r in reports[1:]:
        merged.results.extend(r.results)
        merged.plots.extend(r.plots)
        merged.coverage.update(r.coverage)
        merged.strata.update(r.strata)
    return merged


@click.command("evaluate")
@click.option("--predictions", "-p", required=True, type=click.Path(exists=True, path_type=Path),
              help="avbench predictions JSON, or a detections TSV / score-table directory / SELD CSV (directory).")
@click.option("--reference", "-r", type=click.Path(exists=True, path_type=Path),
              help="Reference labels: a DCASE TSV / SELD CSV (directory), or the dataset root for a predictions JSON.")
@click.option("--durations", type=click.Path(path_type=Path),
              help="TSV 'filename<TAB>duration' of the evaluated clips (SED).")
@click.option("--metrics", "-m", "metric_ids", default=None,
              help="Comma-separated metric ids (default: the task's metrics). See `avbench list metrics`.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Write the full report (ids, versions, parameters, class-wise values, coverage) as JSON; "
                   "'-' writes it to stdout (and no table).")
@click.option("--plots", "plots_dir", type=click.Path(path_type=Path),
              help="Write plots (PSD-ROC curves, per-class F1 bars, confusion matrix, where they apply) into this "
                   "directory; needs the plots extra.")
@click.option("--allow-missing", is_flag=True,
              help="Score clips absent from the predictions as empty and report coverage (default: error).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="avbench data directory (default: $AVBENCH_DATA or the platform data directory).")
@click.option("--class-wise", is_flag=True, help="Also print class-wise tables.")
@click.option("--option", "-o", "raw_options", multiple=True, metavar="KEY=VALUE",
              help="Family-specific option, e.g. -o compat=official (SELD) or -o time_decimals=6.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (use with --json).")
def evaluate_cmd(
    predictions: Path,
    reference: Path | None,
    durations: Path | None,
    metric_ids: str | None,
    json_out: Path | None,
    plots_dir: Path | None,
    allow_missing: bool,
    data_dir: Path | None,
    class_wise: bool,
    raw_options: tuple[str, ...],
    quiet: bool,
) -> None:
    """Score predictions and print a table; --json writes the full report.

    \b
    Examples:
      avbench evaluate --predictions preds.json --json report.json
      avbench evaluate --reference gt.tsv --predictions det.tsv --durations durations.tsv \\
          --metrics psds1,event_f1,segment_f1 --json out.json --plots plots/
      avbench evaluate --reference metadata_dev/ --predictions preds/ --metrics seld-dcase2022
    """
    import warnings

    options = _parse_options(raw_options)
    ids = [m.strip() for m in metric_ids.split(",") if m.strip()] if metric_ids else None
    if durations is not None:
        _check_file(durations, "--durations", "the TSV 'filename<TAB>duration' of the evaluated clips")
    if plots_dir is not None:
        from avbench.plots import require_matplotlib

        require_matplotlib()
        if plots_dir.exists() and not plots_dir.is_dir():
            raise InputError(f"--plots {plots_dir}: exists and is not a directory")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = _evaluate(predictions, reference, durations, ids, plots_dir, allow_missing, data_dir, options)
    flagged = {f for r in report.results for f in r.flags}
    report.notes.extend(n for n in dict.fromkeys(" ".join(str(w.message).split()) for w in caught
                                                 if not issubclass(w.category, DeprecationWarning))
                        if n not in flagged)  # a warning a metric also flags is shown once, as its flag
    if json_out is not None:
        from avbench.cli._common import writing_to

        with writing_to(json_out, "--json"):
            report.write_json(json_out)
    if str(json_out) == "-":
        for note in report.notes:
            click.echo(f"note: {note}", err=True)
    elif not quiet:
        report.render(class_wise=class_wise)
        if json_out is not None:
            click.echo(f"report written to {json_out}")
    from avbench.cli import finished_cleanly

    finished_cleanly()


def _check_file(path: Path, option: str, what: str) -> None:
    if path.is_dir():
        raise InputError(f"{option} {path} is a directory; it expects a file: {what}")
    if not path.exists():
        raise InputError(f"{option} {path}: no such file; it expects {what}")


def _evaluate(predictions: Path, reference: Path | None, durations: Path | None, ids: list[str] | None,
              plots_dir: Path | None, allow_missing: bool, data_dir: Path | None, options: dict[str, str]) -> Report:
    if _is_avbench_predictions(predictions):
        from avbench.evaluation import evaluate_predictions

        options = dict(options)
        profile = options.pop("profile", None)
        if options:
            raise InputError(f"-o {next(iter(options))}=...: options apply to file inputs (DCASE TSVs, SELD CSVs); "
                             "a predictions JSON is scored with its task's fixed parameters (only -o profile=... "
                             "applies)")
        report = evaluate_predictions(
            predictions,
            profile=profile,
            reference=reference,
            metric_ids=ids,
            allow_missing=allow_missing,
            data_dir=data_dir,
            plots_dir=plots_dir,
        )
        return report
    else:
        if reference is None:
            raise InputError(
                f"{predictions}: not an avbench predictions JSON, so --reference is needed "
                "(e.g. the ground-truth TSV or SELD metadata directory)"
            )
        if not ids:
            raise InputError("--metrics is needed with file inputs, e.g. --metrics psds1,event_f1")
        return evaluate_files(ids, reference=reference, predictions=predictions, durations=durations,
                              allow_missing=allow_missing, plots_dir=plots_dir, options=options)


COMMANDS = [evaluate_cmd]
