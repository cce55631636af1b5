"""``avbench list`` and ``avbench info``: what avbench knows and what is on disk."""

from __future__ import annotations

import json
from pathlib import Path

import click

from avbench import registry
from avbench.errors import InputError
from avbench.paths import dataset_dir

__all__ = ["COMMANDS"]

_WHAT = ("datasets", "tasks", "metrics", "baselines")


@click.command("list")
@click.argument("what", required=False, type=click.Choice(_WHAT + ("all",)), default="all")
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
            {"name": b["name"], "tasks": ",".join(b["tasks"]), "description": b["description"]}
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


@click.command("info")
@click.argument("name")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="avbench data directory.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info_cmd(name: str, data_dir: Path | None, as_json: bool) -> None:
    """Describe a dataset (classes, splits, sizes, tasks, metrics, citation, license, on disk),
    a task or a metric."""
    if name in registry.datasets():
        recipe = registry.dataset(name)
        info = recipe.info(dataset_dir(name, data_dir))
        info["root"] = str(dataset_dir(name, data_dir))
    elif name in registry.tasks():
        t = registry.task(name)
        info = {
            "task": t.id,
            "dataset": t.dataset,
            "kind": t.kind.value,
            "split": t.split,
            "classes": list(t.labels),
            "metrics": [{"id": m.id, "params": dict(m.params)} for m in t.metrics],
            "description": t.description,
        }
    elif name in registry.metrics():
        m = registry.metric(name)
        info = {"metric": m.id, "version": m.version, "family": m.family, "input": m.input,
                "params": dict(m.params), "description": m.description,
                "doc": (m.compute.__doc__ or "").strip().split("\n\n")[0]}
    else:
        import difflib

        known = [*registry.datasets(), *registry.tasks(), *registry.metrics()]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(f"no dataset, task or metric is named {name!r}{hint}; `avbench list` shows them all")
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
        return
    from rich.console import Console
    from rich.pretty import Pretty

    Console().print(Pretty(info))


COMMANDS = [list_cmd, info_cmd]
