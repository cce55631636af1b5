"""``avbench download``, ``avbench verify`` and ``avbench fetch``: getting and checking data."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from avbench import registry
from avbench.cli._common import Choice, emit_json, one_of
from avbench.errors import InputError
from avbench.paths import dataset_dir

__all__ = ["COMMANDS"]


def _parts(recipe: Any, parts: str | None) -> tuple[str, ...]:
    if not parts:
        return tuple(recipe.default_parts)
    chosen = tuple(p.strip() for p in parts.split(",") if p.strip())
    if "all" in chosen:
        return tuple(recipe.parts)
    recipe.check_parts(chosen)
    return chosen


def _split(recipe: Any, split: str | None, root: Path) -> str | None:
    """``split`` when the recipe has it (from its packaged index or the data); an error with a suggestion otherwise."""
    if split is None:
        return None
    names = recipe.split_names(root)
    if names is not None:
        one_of(split, names, what="--split", then=f"; `avbench info {recipe.name}` lists its splits")
    return split


_DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                         help="avbench data directory (default: $AVBENCH_DATA or the platform data dir).")
_PARTS = click.option("--parts", help="Comma-separated parts (meta,audio,video,features,...; 'all').")
_SPLIT = click.option("--split", help="Only the files this split needs.")


@click.command("download")
@click.argument("name")
@_PARTS
@_SPLIT
@_DATA_DIR
@click.option("--workers", type=click.IntRange(min=1), default=8, show_default=True, help="Concurrent downloads.")
@click.option("--dry-run", is_flag=True, help="Print what would be fetched, with sizes; fetch nothing.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), is_flag=False,
              flag_value="-", default=None,
              help="With --dry-run: write the plan as JSON (parts, files, sizes, hashes, what is on disk, totals) "
                   "to FILE, or to stdout with '-' or no value.")
@click.option("--mirror", envvar="AVBENCH_MIRROR", help="Fetch every file from BASE/<mirror path> instead [AVBENCH_MIRROR].")
@click.option("--quiet", is_flag=True, help="No progress bars (for logs): a one-line summary.")
@click.option("--retry-unavailable", is_flag=True, help="YouTube: retry clips recorded as unavailable.")
@click.option("--executor", type=Choice(["local", "dask"]), default="local", show_default=True,
              help="YouTube clips: local threads or a Dask cluster.")
@click.option("--scheduler", help="Dask scheduler address (with --executor dask).")
@click.option("--remove-archives", is_flag=True, help="Delete archives once they are extracted.")
@click.option("--classes", help="Subset: ontology classes, comma-separated names or MIDs (audioset).")
@click.option("--include-descendants", is_flag=True, help="Subset: also every class below --classes (audioset).")
@click.option("--ids", help="Subset: a file of ids, or a comma list (audioset).")
@click.option("--sample", type=click.IntRange(min=1), help="Subset: a seeded random sample of N clips (audioset).")
@click.option("--balanced", is_flag=True, help="Subset: make --sample class-balanced (audioset).")
@click.option("--seed", type=int, help="Subset: the sample's seed (default 0).")
@click.option("--subset", "subset_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Subset: a manifest written by an earlier run, to get the same clips.")
@click.option("--source", type=click.Choice(["youtube", "hub"]), help="Media source (audioset): YouTube or a Hub mirror.")
@click.option("--repo", help="Hugging Face Hub dataset id of the mirror (with --source hub).")
@click.option("--revision", help="Hub mirror revision: branch, tag or commit (default main, pinned to its commit).")
@click.option("--from", "from_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Index an existing copy of the dataset (desed) instead of downloading it.")
@click.option("--stall-timeout", type=click.FloatRange(min=0, min_open=True),
              help="Seconds without a byte before a connection is retried [60].")
@click.option("--header-timeout", type=click.FloatRange(min=0, min_open=True),
              help="Seconds for an answer's status line and headers [the stall timeout].")
@click.option("--min-rate", type=click.FloatRange(min=0),
              help="Bytes/s a connection must average over 120 s, or it is retried [1024].")
@click.option("--max-extract-ratio", type=click.FloatRange(min=0, min_open=True),
              help="Refuse archives declaring more than this many bytes per archive byte (zip bombs) [200; "
                   "AVBENCH_MAX_EXTRACT_RATIO].")
def download_cmd(name: str, parts: str | None, split: str | None, data_dir: Path | None, workers: int,
                 dry_run: bool, mirror: str | None, quiet: bool, retry_unavailable: bool, executor: str,
                 scheduler: str | None, remove_archives: bool, classes: str | None = None,
                 include_descendants: bool = False, ids: str | None = None, sample: int | None = None,
                 balanced: bool = False, seed: int | None = None, subset_file: Path | None = None,
                 source: str | None = None, repo: str | None = None, revision: str | None = None,
                 from_dir: Path | None = None, stall_timeout: float | None = None,
                 min_rate: float | None = None, max_extract_ratio: float | None = None,
                 header_timeout: float | None = None, json_out: Path | None = None) -> None:
    """Fetch dataset NAME: resumable, verified, idempotent (re-running fetches only what is
    missing or invalid). Subset, source and --from options are the dataset recipe's (a recipe
    without them says so)."""
    recipe = registry.dataset(name)
    if json_out is not None and not dry_run:
        raise InputError("--json writes the plan of a dry run: add --dry-run")
    chosen = _parts(recipe, parts)
    root = dataset_dir(name, data_dir)
    split = _split(recipe, split, root)
    options: dict[str, Any] = {}
    # Only options the user set are passed, so recipes that generate data need not accept them all.
    for key, value in (("workers", None if workers == 8 else workers), ("dry_run", dry_run), ("quiet", quiet),
                       ("mirror", mirror), ("retry_unavailable", retry_unavailable),
                       ("executor", None if executor == "local" else executor), ("scheduler", scheduler),
                       ("remove_archives", remove_archives), ("timeout", stall_timeout),
                       ("header_timeout", header_timeout), ("min_rate", min_rate),
                       ("max_extract_ratio", max_extract_ratio)):
        if value or (key == "min_rate" and value is not None):
            options[key] = value
    for key, value in (("classes", [c for c in (classes or "").split(",") if c.strip()]),
                       ("include_descendants", include_descendants), ("ids", ids), ("sample", sample),
                       ("balanced", balanced), ("seed", seed), ("subset", subset_file), ("source", source),
                       ("repo", repo), ("revision", revision), ("from_dir", from_dir)):
        if value or (key == "seed" and value is not None):
            options[key] = value
    if json_out is not None:
        _plan_json(recipe, root, chosen, split, options, json_out)
        return
    recipe.prepare(root, parts=chosen, split=split, **options)
    if not quiet and not dry_run:
        click.echo(f"{name}: ready in {root}", err=True)


def _plan_json(recipe: Any, root: Path, parts: tuple[str, ...], split: str | None, options: dict[str, Any],
               dest: Path) -> None:
    """Run the dry run, recording its plan (:mod:`avbench.download.dry_run`), and write it as JSON;
    with ``dest`` ``-`` the human-readable lines go to stderr so that stdout is the JSON only."""
    import contextlib

    from avbench.download.dry_run import record_dry_run

    to_stdout = str(dest) == "-"
    with record_dry_run() as plan, contextlib.redirect_stdout(sys.stderr) if to_stdout else contextlib.nullcontext():
        recipe.prepare(root, parts=parts, split=split, **options)
    emit_json({"format": "avbench-download-plan", "format_version": "1.0", "dataset": recipe.name,
               "version": recipe.version, "root": str(root), "parts": list(parts), "split": split,
               "mirror": options.get("mirror"), **plan.to_dict()}, dest)


@click.command("verify")
@click.argument("name")
@_PARTS
@_SPLIT
@_DATA_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_cmd(name: str, parts: str | None, split: str | None, data_dir: Path | None, as_json: bool) -> int:
    """Re-hash the files of dataset NAME on disk, and the members extracted from its archives;
    list missing and corrupt ones (exit 1 if any, or if nothing is on disk)."""
    from avbench.download.verify import verify_resources

    recipe = registry.dataset(name)
    root = dataset_dir(name, data_dir)
    chosen = _parts(recipe, parts)
    report = verify_resources(recipe.resources(parts=chosen, split=_split(recipe, split, root)), root)
    if as_json:
        click.echo(json.dumps({"dataset": name, "root": str(root), **report.to_dict()}, indent=2))
    else:
        for c in report.missing:
            click.echo(f"missing  {c.path}")
        for c in report.corrupt:
            click.echo(f"corrupt  {c.path}  ({c.detail})")
        if report.nothing or not report.checked:
            click.echo(f"{name}: nothing is on disk in {root} (no file of the chosen parts); run "
                       f"`avbench download {name}` first")
            return 1
        status = "all good" if report.ok else f"{len(report.missing)} missing, {len(report.corrupt)} corrupt"
        hint = "" if report.ok else f"; run `avbench download {name}` to repair"
        click.echo(f"{name}: {len(report.checked)} file(s) checked in {root}: {status}{hint}")
    return 0 if report.ok else 1


@click.command("fetch")
@click.argument("url")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Destination file.")
@click.option("--sha256", help="Expected sha256 (hex).")
@click.option("--md5", help="Expected md5 (hex).")
@click.option("--size", type=click.IntRange(min=0), help="Expected size in bytes.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def fetch_cmd(url: str, out: Path, sha256: str | None, md5: str | None, size: int | None, quiet: bool) -> None:
    """Fetch one URL into --out, verified and resumable (rerun to resume)."""
    from avbench.download.engine import fetch_resources
    from avbench.download.resource import HttpSource, Resource

    if not (sha256 or md5):
        click.echo("avbench: warning: no --sha256/--md5 given; the file is not verified", err=True)
    out = out.expanduser().absolute()
    try:
        res = Resource(out.name, HttpSource(url), size=size, sha256=sha256.lower() if sha256 else None,
                       md5=md5.lower() if md5 else None)
    except InputError as exc:
        raise InputError(f"avbench fetch: {exc}") from None
    report = fetch_resources([res], out.parent, workers=1, quiet=quiet)
    if not quiet:
        state = "fetched" if report.fetched else "already present and verified"
        click.echo(f"{out}: {state}", err=True)
    sys.stdout.flush()


COMMANDS = [download_cmd, verify_cmd, fetch_cmd]
