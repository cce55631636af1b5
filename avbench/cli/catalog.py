"""``avbench list`` and ``avbench info``: what avbench knows and what is on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from avbench.cli._common import Choice
from avbench.info import info_data
from avbench.paths import dataset_dir

__all__ = ["COMMANDS"]

_WHAT = ("datasets", "tasks", "metrics", "baselines")


@click.command("list")
@click.argument("what", required=False, type=Choice(_WHAT + ("all",)), default="all")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def list_cmd(what: str, as_json: bool) -> None:
    """List datasets, tasks, metrics (with versions) and baselines."""
    from avbench import catalog

    cat = catalog.load()  # plain records: no plug-in is imported when the catalogue is current
    rows: dict[str, list[dict[str, str]]] = {}
    if what in ("datasets", "all"):
        rows["datasets"] = [
            {"name": r["name"], "version": r["version"], "title": r["title"], "parts": ",".join(r["parts"])}
            for r in cat.datasets.values()
        ]
    if what in ("tasks", "all"):
        rows["tasks"] = [
            {"id": t.id, "dataset": t.dataset, "kind": t.kind.value, "metrics": ",".join(m.id for m in t.metrics)}
            for t in cat.tasks.values()
        ]
    if what in ("metrics", "all"):
        rows["metrics"] = [
            {"id": m["id"], "version": m["version"], "family": m["family"], "description": m["description"]}
            for m in cat.metrics.values()
        ]
    if what in ("baselines", "all"):
        rows["baselines"] = [
            {"name": b["name"], "tasks": ", ".join([*b["tasks"], *b.get("configured", ())]),
             "description": b["description"]}
            for b in cat.baselines.values()
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for name, items in rows.items():
        table = Table(title=name)
        for i, col in enumerate(items[0].keys() if items else ["(none)"]):
            table.add_column(col, no_wrap=i == 0, style="bold" if i == 0 else None)
        for item in items:
            table.add_row(*item.values())
        console.print(table)


def _size(n: float | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def _render_dataset(info: dict[str, Any]) -> None:
    from rich.table import Table

    from avbench.report import wide_console

    con = wide_console()
    con.print(f"[bold]{info['name']}[/bold] {info['version']}: {info['title']}", highlight=False)
    for key in ("homepage", "license", "citation"):
        if info.get(key):
            con.print(f"{key}: {info[key]}", markup=False, highlight=False)
    con.print(f"classes ({len(info['classes'])}): {', '.join(info['classes'])}", markup=False, highlight=False)
    sizes = info.get("split_sizes")
    on_disk = info.get("splits") or {}
    if sizes:
        shown = ", ".join(f"{k} {v}" + (f" ({on_disk[k]} on disk)" if k in on_disk and on_disk[k] != v else "")
                          for k, v in sizes.items())
        con.print(f"splits (clips): {shown}", markup=False, highlight=False)
    else:
        con.print("splits: listed once the metadata is on disk", markup=False, highlight=False)
    if info.get("split_sizes_note"):
        con.print(f"  {info['split_sizes_note']}", markup=False, highlight=False)
    tasks = Table(title="tasks", title_justify="left")
    for col in ("task", "kind", "split", "classes", "primary metric (value)", "metrics"):
        tasks.add_column(col, no_wrap=col == "task")
    for tid, t in info["tasks"].items():
        p = t["primary"]
        tasks.add_row(tid, t["kind"], t["split"], str(t["classes"]), f"{p['metric']} ({p['value'] or '-'})",
                      ", ".join(t["metrics"]))
    con.print(tasks)
    parts = Table(title=f"on disk in {info['root']}", title_justify="left")
    for col in ("part", "status", "files", "size on disk", "expected size"):
        parts.add_column(col, justify="right" if col not in ("part", "status") else "left")
    for p in info["parts_on_disk"]:
        files = f"{p['files']} / {p['expected_files']}" if "files" in p else "-"
        if p.get("files_of_other_size"):
            files += f" ({p['files_of_other_size']} of another size)"
        parts.add_row(p["part"], p["status"], files, _size(p.get("bytes")) if p.get("bytes") is not None else "-",
                      _size(p.get("expected_bytes")) if p.get("expected_bytes") else "-")
    con.print(parts)
    if not any(p["status"] == "present" for p in info["parts_on_disk"]):
        con.print(f"nothing on disk yet: `avbench download {info['name']}` fetches it "
                  f"(or put the files where `avbench download {info['name']} --dry-run` lists them, then run `avbench verify {info['name']}`)",
                  markup=False, highlight=False)


def _render_mapping(info: dict[str, Any]) -> None:
    from rich.table import Table

    from avbench.report import wide_console

    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for key, value in info.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
        elif isinstance(value, (list, tuple)):
            value = ", ".join(str(v["id"] if isinstance(v, dict) and "id" in v else v) for v in value) or "-"
        table.add_row(key, str(value))
    wide_console().print(table)


def _cached_info(name: str, data_dir: Path | None) -> tuple[str, dict[str, Any]] | None:
    """The catalogue's record of ``info NAME`` (built with nothing on disk), when it applies: always
    for tasks and metrics, for a dataset only while its directory does not exist."""
    import copy

    from avbench import catalog

    rec = catalog.load().info.get(name)
    if rec is None:
        return None
    kind, info = rec["kind"], copy.deepcopy(rec["info"])
    if kind == "dataset":
        root = dataset_dir(name, data_dir)
        if root.exists():
            return None  # what is on disk: ask the recipe
        info["root"] = str(root)
    return kind, info


@click.command("info")
@click.argument("name")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="avbench data directory.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info_cmd(name: str, data_dir: Path | None, as_json: bool) -> None:
    """Describe a dataset (classes, splits with clip counts, tasks with their primary metric,
    license, citation, what is on disk per part), a task or a metric."""
    kind, info = _cached_info(name, data_dir) or info_data(name, data_dir)
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
    elif kind == "dataset":
        _render_dataset(info)
    else:
        _render_mapping(info)


COMMANDS = [list_cmd, info_cmd]
