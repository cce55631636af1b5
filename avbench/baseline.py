"""The interface reference baselines implement (modules in :mod:`avbench.baselines`).

A baseline module defines ``BASELINE = MyBaseline()``. A baseline can be fitted on a dataset's
training split and writes predictions in the avbench predictions format
(:class:`avbench.predictions.Predictions`) for each task it supports, so a submitter can swap in
their own model and keep everything else. The contract test (``tests/test_contract_baselines.py``)
fits every registered baseline on its dataset's toy fixture and scores its predictions.
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from avbench.dataset import Recipe
    from avbench.model import Task
    from avbench.predictions import Predictions

__all__ = ["Baseline"]


class Baseline(abc.ABC):
    """Base class of reference baselines.

    Class attributes: ``name`` (what users type), ``description``, ``dataset`` (recipe name),
    ``tasks`` (the task ids it predicts), ``extras`` (the avbench extras it needs, e.g.
    ``("baselines",)`` for torch models).
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    dataset: ClassVar[str]
    tasks: ClassVar[tuple[str, ...]] = ()
    extras: ClassVar[tuple[str, ...]] = ()

    @abc.abstractmethod
    def fit(self, recipe: Recipe, root: Path, *, split: str = "train", seed: int = 0) -> Baseline:
        """Fit on ``split`` of the dataset under ``root``; returns the fitted baseline."""

    @abc.abstractmethod
    def predict(self, recipe: Recipe, root: Path, task: Task, *, split: str) -> Predictions:
        """Predictions for every clip of ``split`` in the avbench predictions format."""
