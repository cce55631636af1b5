"""``avbench list`` and ``avbench info``: what avbench knows and what is on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from avbench import registry
from avbench.cli._common import Choice
from avbench.errors import InputError, did_you_mean
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


def _size(n: float | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def _tree_size(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file() and not f.is_symlink())


def _nonempty_dir(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def part_status(recipe: Any, root: Path) -> list[dict[str, Any]]:
    """Per part of ``recipe``: ``status`` (present / partial / absent), ``files`` present of
    ``expected``, ``bytes`` on disk and ``expected_bytes``. A file counts as present when it is
    on disk with its expected size, or when it is an archive recorded as extracted
    (``.avbench/downloads.json``) or whose extraction directory holds files. A recipe that generates its data (no resources) is present
    when :meth:`~avbench.dataset.Recipe.is_prepared` (one row for all its parts). A file of
    another size than the released one makes its part ``partial``."""
    from avbench.download.record import DownloadRecord

    archives = DownloadRecord(root).archives if (root / ".avbench").is_dir() else {}
    listed: dict[str, list[Any]] = {}
    out: list[dict[str, Any]] = []
    for part in recipe.parts:
        try:
            listed[part] = list(recipe.resources(parts=(part,)))
        except Exception as exc:  # noqa: BLE001 - a part whose file list needs data not yet there
            out.append({"part": part, "status": "unknown", "detail": " ".join(str(exc).split())})
    if not any(listed.values()) and not out:  # generated data (synth): one row for all parts
        prepared = recipe.is_prepared(root)
        return [{"part": ",".join(recipe.parts), "status": "present" if prepared else "absent",
                 "bytes": _tree_size(root) if prepared else 0}]
    for part, resources in listed.items():
        ok = differ = size = expected = 0
        for r in resources:
            expected += r.size or 0
            f = root / r.path
            if f.is_file():
                size += f.stat().st_size
                if r.size is None or f.stat().st_size == r.size:
                    ok += 1
                else:
                    differ += 1
            elif r.path in archives or (r.extract_to and _nonempty_dir(root / r.extract_to)):
                ok, size = ok + 1, size + (r.size or 0)  # an archive extracted (and removed)
        status = "present" if ok == len(resources) else "absent" if ok + differ == 0 else "partial"
        out.append({"part": part, "status": status, "files": ok, "expected_files": len(resources),
                    "files_of_other_size": differ, "bytes": size, "expected_bytes": expected or None})
    return out


def dataset_info(name: str, data_dir: Path | None) -> dict[str, Any]:
    """What ``avbench info DATASET`` shows: the recipe's info, every class, split sizes from the
    packaged index, each task's primary metric, and what is on disk per part."""
    recipe = registry.dataset(name)
    root = dataset_dir(name, data_dir)
    info = recipe.info(root)
    info["root"] = str(root)
    classes: dict[str, None] = {}
    for t in recipe.tasks():
        classes.update(dict.fromkeys(t.labels))
    info["classes"] = list(classes)
    info["split_sizes"] = recipe.split_sizes(root)
    for t in recipe.tasks():
        first = registry.metric(t.metrics[0].id)
        info["tasks"][t.id]["primary"] = {"metric": first.id, "value": first.primary}
    info["parts_on_disk"] = part_status(recipe, root)
    return info


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


def info_data(name: str, data_dir: Path | None = None) -> tuple[str, dict[str, Any]]:
    """``(kind, info)`` of what ``avbench info NAME`` shows, by live discovery; kind is
    ``"dataset"``, ``"task"`` or ``"metric"``.

    Raises:
        InputError: no dataset, task or metric has that name (with the closest one).
    """
    if name in registry.datasets():
        return "dataset", dataset_info(name, data_dir)
    if name in registry.tasks():
        t = registry.task(name)
        first = registry.metric(t.metrics[0].id)
        return "task", {
            "task": t.id,
            "dataset": t.dataset,
            "kind": t.kind.value,
            "split": t.split,
            "classes": list(t.labels),
            "primary": {"metric": first.id, "value": first.primary},
            "metrics": [{"id": m.id, "params": dict(m.params)} for m in t.metrics],
            "description": t.description,
        }
    if name in registry.metrics():
        m = registry.metric(name)
        info = {"metric": m.id, "version": m.version, "family": m.family, "input": m.input,
                "primary": m.primary, "params": dict(m.params), "description": m.description,
                "doc": (m.compute.__doc__ or "").strip().split("\n\n")[0]}
        if m.family in ("sed", "seld"):  # -o profile=NAME: what each reproduces (data from the metric family)
            import importlib

            mod = importlib.import_module({"sed": "avbench.metrics.sed.profiles", "seld": "avbench.metrics.seld.files"}[m.family])
            info["profiles"] = mod.profiles_for(m.id)
        return "metric", info
    known = [*registry.datasets(), *registry.tasks(), *registry.metrics()]
    raise InputError(f"no dataset, task or metric is named {name!r}{did_you_mean(name, known)}; "
                     "`avbench list` shows them all")


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
