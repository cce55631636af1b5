"""``avbench submit`` and ``avbench validate``: package a submission, check one offline, upload it.

The checks are those of a leaderboard server (:func:`avbench.submission.validate_bundle`): the
system description's schema, the predictions' SHA-256, the predictions against their task, and,
where the split is on disk, every check of ``avbench evaluate``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import click

from avbench.cli._common import Choice
from avbench.errors import InputError

__all__ = ["COMMANDS"]

_META_HELP = ("system.yaml: system_name, authors (name, email, affiliation, exactly one with corresponding: "
              "true), contact, description, code_url, training_data, external_data, parameters; "
              "for --format dcase also a 'dcase' mapping (abbreviation, input_sampling_rate, acoustic_features, "
              "embeddings, data_augmentation, machine_learning_method, ensemble_method_subsystem_count, "
              "decision_making, external_data_usage).")


def _print_scores(report: Any, quiet: bool) -> None:
    if report is not None and not quiet:
        report.render()


def _print_server_scores(answer: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"submission {answer.get('id')} on {answer.get('board')}: {answer.get('status')}")
    table.add_column("metric")
    table.add_column("value")
    table.add_column("all", justify="right")
    for mid, overall in (answer.get("scores") or {}).items():
        for i, (key, value) in enumerate(overall.items()):
            table.add_row(mid if i == 0 else "", key, f"{value:.4f}" if isinstance(value, float) else str(value))
    Console().print(table)


@click.command("submit")
@click.argument("predictions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--meta", "meta_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=_META_HELP)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the bundle (default: <predictions stem>.submission.zip).")
@click.option("--format", "fmt", type=Choice(["avbench", "dcase"]), default="avbench", show_default=True,
              help="avbench bundle, or a DCASE challenge package (<label>.output.csv + <label>.meta.yaml).")
@click.option("--label", help="DCASE system label Lastname_Inst_taskN_K (with --format dcase).")
@click.option("--dev-report", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="`avbench evaluate --json` report on the development split (the DCASE results section).")
@click.option("--reference", "-r", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Dataset root with the reference labels for the local check (default: the data directory).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="avbench data directory.")
@click.option("--to", "url", help="Upload the bundle to this leaderboard server (http://host:port).")
@click.option("--token", envvar="AVBENCH_TOKEN", help="Team token for --to (or $AVBENCH_TOKEN).")
@click.option("--board", help="Board name on the server (default: the board of the predictions' task and split).")
@click.option("--wait", type=float, default=300.0, show_default=True, help="Seconds to wait for the server's score.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors and the bundle path.")
def submit_cmd(predictions: Path, meta_path: Path, out: Path | None, fmt: str, label: str | None,
               dev_report: Path | None, reference: Path | None, data_dir: Path | None, url: str | None,
               token: str | None, board: str | None, wait: float, quiet: bool) -> None:
    """Package predictions and a system description as a checked submission; optionally upload it.

    \b
    Examples:
      avbench submit preds.json --meta system.yaml --out bundle.zip
      avbench submit preds.json --meta system.yaml --to http://lb.example.org --token $TOKEN
      avbench submit preds.json --meta system.yaml --format dcase --label Lovelace_AI_task4_1 \\
          --dev-report dev.report.json --out Lovelace_AI_task4.zip
    """
    from avbench.submission import build_bundle, read_meta, validate_bundle

    if url is not None and not token:
        raise InputError("--to needs --token (or $AVBENCH_TOKEN): the team token the leaderboard host gave you")
    if fmt == "dcase" and url is not None:
        raise InputError("--to uploads avbench bundles; a DCASE package is uploaded on the DCASE site")
    meta = read_meta(meta_path)
    if fmt == "dcase":
        _submit_dcase(predictions, meta, out, label, dev_report, reference, data_dir, quiet)
        return
    out = out or predictions.with_name(f"{predictions.stem.removesuffix('.preds')}.submission.zip")
    bundle = build_bundle(predictions, meta, out)
    try:
        _, report = validate_bundle(out, reference=reference, data_dir=data_dir)
    except Exception:
        out.unlink(missing_ok=True)  # nothing half-right is left behind
        raise
    if not quiet:
        where = "checked against the local split" if report is not None else \
            "the split is not on disk here: clip ids are checked by the server"
        click.echo(f"bundle {out}: {bundle.system['system_name']!r}, {bundle.predictions.task}/"
                   f"{bundle.predictions.split}, {len(bundle.predictions.clips)} clips, sha256 {bundle.sha256[:12]} "
                   f"({where})")
        _print_scores(report, quiet or url is not None)
    else:
        click.echo(str(out))
    if url is not None:
        from avbench.submission.client import upload_bundle

        answer = upload_bundle(out, url, token=token or "", board=board, wait=wait)
        if not quiet:
            _print_server_scores(answer)
        if answer.get("status") != "scored":
            click.echo(f"submission {answer.get('id')} is {answer.get('status')}", err=True)


def _submit_dcase(predictions: Path, meta: dict[str, Any], out: Path | None, label: str | None,
                  dev_report: Path | None, reference: Path | None, data_dir: Path | None, quiet: bool) -> None:
    import hashlib

    from avbench import registry
    from avbench.evaluation import evaluate_predictions
    from avbench.errors import DataNotFoundError
    from avbench.predictions import Predictions
    from avbench.submission.dcase import check_dcase_package, write_dcase_package

    if not label:
        raise InputError("--format dcase needs --label Lastname_Inst_taskN_K (e.g. Lovelace_AI_task4_1)")
    if dev_report is None:
        raise InputError("--format dcase needs --dev-report: an `avbench evaluate --json` report on the development "
                         "split (the package's results section)")
    preds = Predictions.read(predictions)
    preds.validate(registry.task(preds.task))
    try:
        evaluate_predictions(preds, reference=reference, data_dir=data_dir)
    except DataNotFoundError:
        pass  # hidden labels: the organisers check the clip ids
    out = out or predictions.with_name(f"{label.rsplit('_', 1)[0]}.zip")
    sha = hashlib.sha256(predictions.read_bytes()).hexdigest()
    from avbench import __version__

    write_dcase_package(preds, {**meta, "avbench_version": __version__}, out, label=label,
                        dcase=meta.get("dcase", {}), dev_report=dev_report, sha256=sha)
    try:
        check_dcase_package(out, reference=reference, data_dir=data_dir)
    except Exception:
        out.unlink(missing_ok=True)
        raise
    click.echo(f"DCASE package {out}: system {label}" if not quiet else str(out))


@click.command("validate")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reference", "-r", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Dataset root with the reference labels (default: the data directory).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="avbench data directory.")
@click.option("--scores", is_flag=True, help="Also print the scores on the local reference.")
def validate_cmd(bundle: Path, reference: Path | None, data_dir: Path | None, scores: bool) -> None:
    """Check a submission bundle (or a DCASE package) offline, with the checks of the server.

    Exit status 0 when it would be accepted, 2 with the reason when not.
    """
    from avbench.submission import validate_bundle
    from avbench.submission.bundle import MANIFEST
    from avbench.submission.dcase import check_dcase_package

    dcase = False
    if zipfile.is_zipfile(bundle):
        with zipfile.ZipFile(bundle) as zf:
            dcase = MANIFEST not in zf.namelist() and any(n.endswith(".meta.yaml") for n in zf.namelist())
    if dcase:
        labels = check_dcase_package(bundle, reference=reference, data_dir=data_dir)
        click.echo(f"{bundle.name}: valid DCASE package ({', '.join(labels)})")
        return
    b, report = validate_bundle(bundle, reference=reference, data_dir=data_dir)
    where = "clip ids checked against the local split" if report is not None else \
        "split not on disk: clip ids not checked here"
    click.echo(f"{bundle.name}: valid submission of {b.system['system_name']!r} for {b.predictions.benchmark}/"
               f"{b.predictions.task}/{b.predictions.split} ({len(b.predictions.clips)} clips; {where})")
    if scores:
        _print_scores(report, False)


COMMANDS = [submit_cmd, validate_cmd]
