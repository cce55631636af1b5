"""Discovery of datasets, metrics and baselines: one module per plug-in, found by ``pkgutil``.

Nothing is registered by hand:

- a module in :mod:`avbench.recipes` that defines ``RECIPE`` (a :class:`avbench.dataset.Recipe`)
  is a dataset;
- a module in :mod:`avbench.metrics` that defines ``METRICS`` (a sequence of
  :class:`avbench.results.MetricConfig`) contributes those metric configurations;
- a module in :mod:`avbench.baselines` that defines ``BASELINE`` is a baseline.

Modules whose name starts with ``_`` are helpers and are skipped. Plug-in modules must import
only numpy/scipy at module level, so discovery works with the core install.

Example:
    >>> "synth" in datasets()
    True
    >>> metric("accuracy").family
    'classification'
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from avbench.errors import InputError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from avbench.dataset import Recipe
    from avbench.model import Task
    from avbench.results import MetricConfig

__all__ = [
    "datasets",
    "dataset",
    "metrics",
    "metric",
    "baselines",
    "baseline",
    "tasks",
    "task",
    "file_evaluators",
    "file_evaluator",
    "json_adapters",
    "plugin_modules",
]


def plugin_modules(package: str, *, recursive: bool = False) -> list[ModuleType]:
    """Import and return the public modules and sub-packages of ``package``, by name.

    With ``recursive`` the public modules of public sub-packages follow their package (depth first):
    metric families are packages whose modules each declare ``METRICS``; a recipe or baseline is one
    top-level module or package.

    Only the package's own directory is walked (not the directories of moved-module aliases that
    ``__path__`` may also hold), and names starting with ``_`` are skipped with everything below them.
    """
    pkg = importlib.import_module(package)
    mods = []
    for info in sorted(pkgutil.iter_modules([os.path.dirname(pkg.__file__ or "")]), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{package}.{info.name}")
        mods.append(mod)
        if recursive and info.ispkg:
            mods.extend(plugin_modules(mod.__name__, recursive=True))
    return mods


def _named_plugins(package: str, attr: str) -> dict[str, Any]:
    """``{obj.name: obj}`` for the ``attr`` object of each plug-in module of ``package``."""
    out: dict[str, Any] = {}
    for mod in plugin_modules(package):
        obj = getattr(mod, attr, None)
        if obj is None:
            continue
        if obj.name in out:
            raise RuntimeError(f"{package} name {obj.name!r} is defined twice ({mod.__name__})")
        out[obj.name] = obj
    return out


@cache
def datasets() -> dict[str, Recipe]:
    """All dataset recipes by name."""
    return _named_plugins("avbench.recipes", "RECIPE")


def dataset(name: str) -> Recipe:
    """The recipe called ``name``; an :class:`InputError` listing the known names otherwise."""
    known = datasets()
    if name not in known:
        raise InputError(
            f"unknown dataset {name!r}{did_you_mean(name, list(known))}; known: {', '.join(sorted(known))}"
        )
    return known[name]


@cache
def metrics() -> dict[str, MetricConfig]:
    """All metric configurations by id."""
    out: dict[str, Any] = {}
    for mod in plugin_modules("avbench.metrics", recursive=True):
        for cfg in getattr(mod, "METRICS", ()):
            if cfg.id in out:
                raise RuntimeError(f"metric id {cfg.id!r} is defined twice ({mod.__name__})")
            out[cfg.id] = cfg
    return out


@cache
def _stored() -> dict[str, Any]:
    """The current listing catalogue's records (``{}`` when none matches the installed plug-ins)."""
    from avbench import catalog

    found = catalog.current()
    return {} if found is None else found[0]


def _declared(kind: str, key: str) -> ModuleType | None:
    """The module the current catalogue names for ``key`` (a metric id, or a hook key), imported; else ``None``.

    Only consulted before full discovery has run: once :func:`metrics` has been called, its answer is used.
    """
    if metrics.cache_info().currsize:
        return None
    data = _stored()
    name = (data.get("metrics", {}).get(key, {}).get("declared_in") if kind == "metric"
            else data.get("hooks", {}).get(kind, {}).get(key))
    return importlib.import_module(name) if name else None


def metric(metric_id: str) -> MetricConfig:
    """The metric configuration ``metric_id``.

    With a current listing catalogue (:mod:`avbench.catalog`) only the module that declares it is
    imported; otherwise (or for an unknown id) every metric module is discovered.
    """
    mod = _declared("metric", metric_id)
    for cfg in getattr(mod, "METRICS", ()):
        if cfg.id == metric_id:
            return cfg
    known = metrics()
    if metric_id not in known:
        raise InputError(
            f"unknown metric {metric_id!r}{did_you_mean(metric_id, list(known))}; "
            "run `avbench list metrics` for the known ids"
        )
    return known[metric_id]


@cache
def baselines() -> dict[str, Any]:
    """All baselines by name."""
    return _named_plugins("avbench.baselines", "BASELINE")


def baseline(name: str) -> Any:
    known = baselines()
    if name not in known:
        raise InputError(f"unknown baseline {name!r}{did_you_mean(name, list(known))}; known: {', '.join(sorted(known))}")
    return known[name]


def tasks() -> dict[str, Task]:
    """All tasks of all datasets by task id."""
    out: dict[str, Task] = {}
    for recipe in datasets().values():
        for t in recipe.tasks():
            if t.id in out:
                raise RuntimeError(f"task id {t.id!r} is defined twice")
            out[t.id] = t
    return out


def task(task_id: str) -> Task:
    known = tasks()
    if task_id not in known:
        raise InputError(f"unknown task {task_id!r}{did_you_mean(task_id, list(known))}; known: {', '.join(sorted(known))}")
    return known[task_id]


def _family_hooks(attr: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mod in plugin_modules("avbench.metrics", recursive=True):
        for key, fn in dict(getattr(mod, attr, {})).items():
            if key in out:
                raise RuntimeError(f"{attr}[{key!r}] is defined twice ({mod.__name__})")
            out[key] = fn
    return out


def file_evaluator(family: str) -> Any | None:
    """``file_evaluators().get(family)``, importing only the module that holds it when the catalogue is current."""
    mod = _declared("FILE_EVALUATORS", family)
    fn = dict(getattr(mod, "FILE_EVALUATORS", {})).get(family)
    return fn if fn is not None else file_evaluators().get(family)


@cache
def json_adapters() -> dict[str, Any]:
    """``{input kind: from_json}`` from the ``JSON_ADAPTERS`` mappings of metric modules."""
    return _family_hooks("JSON_ADAPTERS")


@cache
def file_evaluators() -> dict[str, Any]:
    """``{family: evaluate_files}`` from the ``FILE_EVALUATORS`` mappings of metric modules.

    A family that reads community file formats (DCASE TSVs, SELD CSVs) contributes one function
    ``evaluate_files(metric_ids, *, reference, predictions, durations, allow_missing, plots_dir,
    options) -> avbench.report.Report`` used by ``avbench evaluate --reference ...``.
    """
    return _family_hooks("FILE_EVALUATORS")
