"""What ``avbench info NAME`` says about a dataset, task or metric, as plain data.

:func:`info_data` is the one builder: the CLI renders its answer (``avbench.cli.catalog``) and the
listing catalogue (:mod:`avbench.catalog`) stores its answer for "nothing on disk", so the two never
differ. :func:`part_status` says per part of a recipe what is present, partial or absent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avbench import registry
from avbench.errors import InputError, did_you_mean
from avbench.paths import dataset_dir

__all__ = ["info_data", "dataset_info", "part_status"]


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
    note = recipe.split_sizes_note(root)
    if note:
        info["split_sizes_note"] = note
    for t in recipe.tasks():
        first = registry.metric(t.metrics[0].id)
        info["tasks"][t.id]["primary"] = {"metric": first.id, "value": first.primary}
    info["parts_on_disk"] = part_status(recipe, root)
    return info


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
