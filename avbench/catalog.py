"""A snapshot of the registries for listing: ``avbench list`` and ``avbench info`` without importing plug-ins.

Discovering datasets, metrics and baselines imports every plug-in module, and with them numpy and
scipy (about 1 s on a laptop, several under load). Listing needs only their metadata, so
:func:`load` returns a :class:`Catalog` of plain records (names, versions, descriptions,
parameters, tasks, split sizes), read from JSON when it describes exactly the plug-ins installed:

- the **fingerprint** is the SHA-256 of every plug-in source and index file (``avbench.metrics``,
  ``avbench.recipes``, ``avbench.baselines``) and of the core modules whose classes the records
  come from, by relative path and content (remembered per file-stat signature, see
  :func:`fingerprint`, so the files are read again only after one changed);
- the package ships ``catalog.json`` (written by ``python -m avbench.catalog --write``; a test
  checks that it matches the tree);
- otherwise (a plug-in was edited, added or removed) the catalogue is built by live discovery and
  cached in ``$XDG_CACHE_HOME/avbench/catalog-<fingerprint>.json``; a cache that cannot be written
  is skipped.

So a stale file is never used: at worst one listing pays for discovery. Everything that computes
(evaluation, downloads, loaders) uses the live registries (:mod:`avbench.registry`); with a current
catalogue, :func:`avbench.registry.metric` and :func:`avbench.registry.file_evaluator` import only
the module that declares the metric or the family's file evaluator (``declared_in``, ``hooks``), so
``avbench evaluate`` on DCASE files does not import every plug-in.

Example:
    >>> cat = load()
    >>> cat.metrics["psds1"]["params"]["dtc"], cat.tasks["synth-sed"].dataset
    (0.7, 'synth')
    >>> cat.fingerprint == fingerprint()
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from importlib import util
from pathlib import Path
from typing import Any

__all__ = ["Catalog", "load", "current", "build", "fingerprint", "SHIPPED"]

SHIPPED = Path(__file__).with_name("catalog.json")
FORMAT = 3
_PLUGINS = ("avbench.metrics", "avbench.recipes", "avbench.baselines")
_CORE = ("model.py", "dataset.py", "results.py", "registry.py", "catalog.py", "baseline.py", "info.py")
_SKIP_DIRS = {"__pycache__", "_moved"}


def _plugin_dirs() -> list[tuple[str, Path]]:
    out = []
    for name in _PLUGINS:
        spec = util.find_spec(name)  # imports ``avbench`` (light), not the plug-in package itself
        for loc in (spec.submodule_search_locations or []) if spec else []:
            if Path(loc).name != "_moved":
                out.append((name, Path(loc)))
                break
    return out


def _sources() -> list[tuple[str, Path]]:
    """``(relative name, path)`` of every file the fingerprint covers, sorted by name."""
    files: list[tuple[str, Path]] = [(f"avbench/{n}", Path(__file__).with_name(n)) for n in _CORE]
    for name, root in _plugin_dirs():
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
            for fn in sorted(filenames):
                if fn.endswith((".pyc", ".pyo")) or fn.startswith("."):
                    continue
                p = Path(dirpath) / fn
                files.append((f"{name}/{p.relative_to(root).as_posix()}", p))
    return sorted(files)


def _content_fingerprint(files: list[tuple[str, Path]]) -> str:
    h = hashlib.sha256(f"catalog-format-{FORMAT}".encode())
    for rel, p in files:
        try:
            data = p.read_bytes()
        except OSError:
            continue
        h.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def _stat_signature(files: list[tuple[str, Path]]) -> tuple[str, int]:
    """A digest of every file's path, size, modification and change times (ns) and inode, and the latest of those times."""
    lines = [f"catalog-format-{FORMAT}"]
    latest = 0
    for _, p in files:
        try:
            st = os.stat(p)
        except OSError:
            lines.append(f"{p}\t-")
            continue
        lines.append(f"{p}\t{st.st_size}\t{st.st_mtime_ns}\t{st.st_ctime_ns}\t{st.st_ino}")
        latest = max(latest, st.st_mtime_ns, st.st_ctime_ns)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest(), latest


_MEMO_ENTRIES = 16
_SETTLE_NS = 2_000_000_000
"""A signature is remembered only when every file is older than this: file times tick in steps of
a few ms, so a file rewritten (same size) within the same tick would keep its signature ("racy"
timestamps, as git handles them)."""


def fingerprint() -> str:
    """SHA-256 over the plug-in sources and index data and the core record classes (module docstring).

    The content hash is remembered under the files' stat signature (:func:`_stat_signature`) in
    ``$XDG_CACHE_HOME/avbench/catalog-fingerprints.json``: while no file's size, times or inode
    changed, the files are not read again (6.2 ms -> 2.4 ms per command, in-process on 2 cores at
    load 0.4, 142 files of 1.7 MB). Editing a file changes its change time (``ctime``, which no
    user call can set back), so the content is hashed again; a signature is stored only once every
    file is :data:`_SETTLE_NS` old. A memo that cannot be read or written is skipped.
    """
    from avbench.paths import cache_dir

    files = _sources()
    sig, latest = _stat_signature(files)
    memo = cache_dir() / "catalog-fingerprints.json"
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))
        if not isinstance(known, dict):
            known = {}
    except (OSError, ValueError):
        known = {}
    fp = known.get(sig)
    if isinstance(fp, str) and len(fp) == 64:
        return fp
    fp = _content_fingerprint(files)
    if time.time_ns() - latest < _SETTLE_NS:
        return fp  # a file changed just now: its signature may not yet tell a further change apart
    kept = [(k, v) for k, v in known.items() if k != sig and isinstance(v, str)][-(_MEMO_ENTRIES - 1):]
    _store(memo, dict([*kept, (sig, fp)]), sort_keys=False)  # oldest first: the first to go
    return fp


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def build() -> dict[str, Any]:
    """The catalogue as JSON-able data, by live discovery (imports every plug-in)."""
    from avbench import __version__, registry
    from avbench.errors import AvbenchError

    datasets: dict[str, Any] = {}
    for name, r in sorted(registry.datasets().items()):
        try:  # split sizes where they come from the packaged index (no data on disk needed)
            splits = {k: len(v) for k, v in r.splits(None).splits.items()}
        except (AvbenchError, OSError, TypeError, ValueError):
            splits = None
        datasets[name] = {
            "name": name, "version": r.version, "title": r.title, "homepage": r.homepage, "license": r.license,
            "citation": r.citation, "parts": list(r.parts), "default_parts": list(r.default_parts),
            "module": type(r).__module__, "summary": _first_paragraph(sys.modules[type(r).__module__].__doc__),
            "tasks": [t.id for t in r.tasks()], "splits": splits,
        }
    tasks = {
        t.id: {"id": t.id, "dataset": t.dataset, "kind": t.kind.value, "labels": list(t.labels),
               "metrics": [{"id": m.id, "params": dict(m.params), "profile": m.profile} for m in t.metrics], "split": t.split,
               "segment_length": t.segment_length, "n_segments": t.n_segments, "description": t.description}
        for t in registry.tasks().values()
    }
    declared = {cfg.id: mod.__name__ for mod in registry.plugin_modules("avbench.metrics", recursive=True)
                for cfg in getattr(mod, "METRICS", ())}
    metrics = {
        m.id: {"id": m.id, "version": m.version, "family": m.family, "input": m.input, "params": dict(m.params),
               "description": m.description, "primary": m.primary, "doc": _first_paragraph(m.compute.__doc__),
               "module": getattr(m.function, "__module__", None) or "", "declared_in": declared[m.id]}
        for m in registry.metrics().values()
    }
    hooks = {attr: {key: mod.__name__ for mod in registry.plugin_modules("avbench.metrics", recursive=True)
                    for key in dict(getattr(mod, attr, {}))} for attr in ("FILE_EVALUATORS", "JSON_ADAPTERS")}
    baselines = {
        name: {"name": name, "tasks": list(getattr(b, "tasks", ())), "description": getattr(b, "description", ""),
               "configured": sorted(set(b.configs()) - set(getattr(b, "tasks", ())))}
        for name, b in sorted(registry.baselines().items())
    }
    from avbench.info import info_data

    absent = Path("/nonexistent/avbench-catalog")  # ``info`` as it reads with nothing on disk
    info = {}
    for name in [*datasets, *tasks, *metrics]:
        kind, rec = info_data(name, absent)
        info[name] = {"kind": kind, "info": json.loads(json.dumps(rec, default=str))}
    return {"format": FORMAT, "avbench_version": __version__, "fingerprint": fingerprint(),
            "datasets": datasets, "tasks": tasks, "metrics": metrics, "baselines": baselines, "info": info,
            "hooks": hooks}


@dataclass(frozen=True)
class Catalog:
    """Plain records of every dataset, task, metric configuration and baseline.

    Attributes:
        datasets: ``{name: {version, title, homepage, license, citation, parts, tasks, splits, ...}}``
            (``splits`` = clip count per split from the packaged index, ``None`` where the split
            membership depends on data on disk).
        tasks: ``{id: avbench.model.Task}`` (the same records the recipes define).
        metrics: ``{id: {version, family, input, params, description, primary, doc, declared_in}}``
            (``declared_in``: the module whose ``METRICS`` holds it).
        baselines: ``{name: {tasks, description, configured}}`` (``configured``: the other tasks its
            shipped configurations train, the real-data ones).
        info: ``{name: {"kind", "info"}}``, what ``avbench info NAME`` shows with nothing on disk.
        fingerprint: what the records were built from (:func:`fingerprint`).
        source: ``"shipped"``, ``"cache"`` or ``"discovery"``.
    """

    datasets: dict[str, dict[str, Any]]
    tasks: dict[str, Any]
    metrics: dict[str, dict[str, Any]]
    baselines: dict[str, dict[str, Any]]
    fingerprint: str
    source: str
    info: dict[str, dict[str, Any]]

    @classmethod
    def from_data(cls, data: dict[str, Any], source: str) -> Catalog:
        from avbench.model import MetricRef, Task, TaskKind

        tasks = {
            tid: Task(t["id"], t["dataset"], TaskKind(t["kind"]), tuple(t["labels"]),
                      tuple(MetricRef(m["id"], m["params"], m.get("profile")) for m in t["metrics"]), split=t["split"],
                      segment_length=t["segment_length"], n_segments=t["n_segments"], description=t["description"])
            for tid, t in data["tasks"].items()
        }
        return cls(data["datasets"], tasks, data["metrics"], data["baselines"], data["fingerprint"], source,
                   data.get("info", {}))


def _cache_path(fp: str) -> Path:
    from avbench.paths import cache_dir

    return cache_dir() / f"catalog-{fp[:32]}.json"


def _store(path: Path, data: dict[str, Any], *, sort_keys: bool = True) -> None:
    """``data`` as JSON at ``path``, atomically; a cache that cannot be written is skipped."""
    from avbench.io import atomic_write_text

    try:
        atomic_write_text(path, json.dumps(data, sort_keys=sort_keys))
    except OSError:
        pass  # a read-only home: rebuilt next time


def _read(path: Path, fp: str) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("fingerprint") == fp and data.get("format") == FORMAT else None


def current() -> tuple[dict[str, Any], str] | None:
    """``(records, "shipped" | "cache")`` when a stored catalogue matches the installed plug-ins, else ``None``.

    Never discovers: :func:`avbench.registry.metric` uses it to import only the module that declares
    a metric (``records["metrics"][id]["declared_in"]``, ``records["hooks"]``), falling back to
    discovery when it is ``None``.
    """
    fp = fingerprint()
    data = _read(SHIPPED, fp)
    if data is not None:
        return data, "shipped"
    data = _read(_cache_path(fp), fp)
    return None if data is None else (data, "cache")


def load() -> Catalog:
    """The catalogue of the installed plug-ins: shipped, else cached, else discovered (and cached)."""
    found = current()
    if found is not None:
        return Catalog.from_data(*found)
    data = build()
    _store(_cache_path(data["fingerprint"]), data)
    return Catalog.from_data(data, "discovery")


def _main(argv: list[str]) -> int:
    if argv[1:] != ["--write"]:
        print("usage: python -m avbench.catalog --write   (regenerates avbench/catalog.json)", file=sys.stderr)
        return 2
    data = build()
    SHIPPED.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SHIPPED} ({len(data['datasets'])} datasets, {len(data['tasks'])} tasks, "
          f"{len(data['metrics'])} metrics, {len(data['baselines'])} baselines)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv))
