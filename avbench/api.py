"""The public Python API of avbench: datasets, tasks, metrics and evaluation from a training loop.

Everything here is re-exported by :mod:`avbench` (``avbench.load``, ``avbench.datasets()``, ...).
The registries behind it are the ones ``avbench`` on the command line uses, so a number computed
here is the number ``avbench evaluate`` prints for the same metric id and inputs.

Example:
    >>> import avbench
    >>> "synth" in avbench.datasets() and "synth-sed" in avbench.tasks()
    True
    >>> avbench.list_metrics(family="sed")["event_f1"].params["collar"]
    0.2
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from avbench.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from avbench.dataset import Recipe
    from avbench.model import Clip, Task
    from avbench.predictions import Predictions
    from avbench.report import Report
    from avbench.results import MetricConfig

__all__ = ["load", "datasets", "recipe", "tasks", "task", "list_metrics", "metric", "evaluate"]


def datasets() -> Mapping[str, Recipe]:
    """Every dataset recipe by name (read-only), as ``avbench list datasets`` shows them."""
    from avbench import registry

    return MappingProxyType(registry.datasets())


def recipe(name: str) -> Recipe:
    """The recipe of dataset ``name``: metadata, splits, tasks, ``make_toy``, ``load``.

    (Named ``recipe``, not ``dataset``: :mod:`avbench.dataset` is the module of the
    :class:`~avbench.dataset.Recipe` interface.)

    Raises:
        InputError: no such dataset (the message suggests a close name).
    """
    from avbench import registry

    return registry.dataset(name)


def tasks() -> Mapping[str, Task]:
    """Every benchmark task of every dataset by task id (read-only)."""
    from avbench import registry

    return MappingProxyType(registry.tasks())


def task(task_id: str) -> Task:
    """The task ``task_id`` (its dataset, kind, labels, split and metrics).

    Raises:
        InputError: no such task.
    """
    from avbench import registry

    return registry.task(task_id)


def list_metrics(*, family: str | None = None) -> Mapping[str, MetricConfig]:
    """The metric catalogue: every registered configuration by id (read-only), of one ``family``.

    (:mod:`avbench.metrics` is the package of the metric families, hence another name here.)

    Raises:
        InputError: ``family`` is not a family any metric belongs to.
    """
    from avbench import registry

    known = registry.metrics()
    if family is None:
        return MappingProxyType(dict(known))
    families = sorted({c.family for c in known.values()})
    if family not in families:
        raise InputError(f"unknown metric family {family!r}; known: {', '.join(families)}")
    return MappingProxyType({k: c for k, c in known.items() if c.family == family})


def metric(metric_id: str) -> MetricConfig:
    """The metric configuration ``metric_id``; call it (or its ``compute``) with its family's inputs.

    Raises:
        InputError: no such metric id.
    """
    from avbench import registry

    return registry.metric(metric_id)


def load(
    name: str,
    split: str | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Clip]:
    """The clips of dataset ``name`` (of ``split`` when given) from disk, keyed by clip id, in split order.

    Each :class:`~avbench.model.Clip` carries its labels, events (onset/offset in seconds, label,
    direction where the dataset has one), media paths and availability masks (``has_video`` per
    clip, per segment and per camera).

    Args:
        name: a dataset name (``avbench.datasets()``).
        split: a split of that dataset (``avbench.recipe(name).splits(root).splits``), or ``None``
            for all clips.
        data_dir: the avbench data directory (default ``$AVBENCH_DATA``, else the platform data
            directory); the dataset lives in its ``name`` sub-directory.

    Raises:
        InputError: unknown dataset or split (with the known ones).
        DataNotFoundError: the dataset is not on disk (the message says how to fetch it).

    Example:
        >>> import tempfile, avbench
        >>> root = tempfile.mkdtemp()
        >>> avbench.recipe("ave").make_toy(Path(root) / "ave")
        >>> clips = avbench.load("ave", "test", data_dir=root)
        >>> clip = next(iter(clips.values()))
        >>> len(clip.segment_labels), clip.duration
        (10, 10.0)
    """
    rec, root = resolve(name, split, data_dir=data_dir)
    return rec.load(root, split=split)


def resolve(
    name: str, split: str | None = None, *, data_dir: str | os.PathLike[str] | None = None
) -> tuple[Recipe, Path]:
    """The recipe and on-disk root of ``name``, with ``split`` checked, before any clip is read.

    Raises:
        InputError: unknown dataset or split; DataNotFoundError: nothing on disk.
    """
    from avbench.errors import did_you_mean
    from avbench.paths import dataset_dir

    rec = recipe(name)
    root = dataset_dir(rec.name, data_dir)
    rec.require(root)
    if split is not None:
        known = rec.splits(root).splits
        if split not in known:
            raise InputError(f"dataset {name!r} has no split {split!r}{did_you_mean(split, list(known))}; "
                             f"its splits: {', '.join(known)}")
    return rec, root


def evaluate(
    predictions: str | os.PathLike[str] | Predictions,
    *,
    metrics: list[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    reference: str | os.PathLike[str] | None = None,
    allow_missing: bool = False,
) -> Report:
    """Score an avbench predictions file or object, exactly as ``avbench evaluate --predictions``.

    Args:
        predictions: a predictions JSON path or an :class:`avbench.predictions.Predictions`.
        metrics: metric ids (default: the task's metrics).
        data_dir: the avbench data directory; reference: the dataset root instead.
        allow_missing: score clips absent from the predictions as empty (counted in the coverage).

    Returns:
        A :class:`~avbench.report.Report` (``.results``, ``.coverage``, ``.to_dict()``).

    Raises:
        InputError: malformed predictions (the message names the clip and field).
        DataNotFoundError: the dataset is not on disk.
    """
    from avbench.evaluation import evaluate_predictions

    src: Any = predictions if not isinstance(predictions, (str, os.PathLike)) else Path(predictions)
    return evaluate_predictions(src, reference=reference, metric_ids=metrics, allow_missing=allow_missing,
                                data_dir=data_dir)
