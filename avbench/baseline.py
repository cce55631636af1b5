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
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from avbench.dataset import Recipe
    from avbench.model import Task
    from avbench.predictions import Predictions

__all__ = ["Baseline", "TorchBaseline"]


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

    def fit_task(self, recipe: Recipe, root: Path, task: Task, *, seed: int = 0,
                 config: dict[str, Any] | None = None) -> Baseline:
        """Fit what predicting ``task`` needs; what ``avbench train --baseline NAME`` calls for a
        baseline that is not a torch model (no :meth:`TorchBaseline.factory`).

        The default fits on the ``train`` split and takes no ``config``; a baseline with settings per
        task overrides it.
        """
        from avbench.errors import InputError

        if config:
            raise InputError(f"baseline {self.name!r} takes no --config options (got {', '.join(sorted(config))})")
        return self.fit(recipe, root, seed=seed)

    def configs(self) -> dict[str, dict[str, Any]]:
        """``{task id: config mapping}`` from the baseline's YAML file ``configs/<name>.yaml`` (``{}``
        for a baseline without one)."""
        import yaml

        from importlib import resources

        path = resources.files("avbench.baselines") / "configs" / f"{self.name}.yaml"
        if not path.is_file():
            return {}
        return dict(yaml.safe_load(path.read_text()) or {})

    def config_for(self, task_id: str) -> dict[str, Any]:
        """The configuration of ``task_id``; an :class:`InputError` naming the tasks it has otherwise."""
        from avbench.errors import InputError

        cfgs = self.configs()
        if task_id not in cfgs:
            raise InputError(f"baseline {self.name!r} has no configuration for task {task_id!r}; "
                             f"it has {', '.join(sorted(cfgs))}")
        return dict(cfgs[task_id])


class TorchBaseline(Baseline):
    """A reference baseline that is a torch model trained by :mod:`avbench.training` (extra ``baselines``).

    Subclasses set ``name``, ``description``, ``dataset`` / ``tasks`` (what the contract test trains:
    the ``synth`` tasks), ``targets`` (the published numbers it aims at on the real data, with their
    source), and ``network`` (a class of :mod:`avbench.baselines._nets`) with ``network_defaults``
    (its arguments that make this baseline), or override :meth:`factory` (a :mod:`avbench.models`
    factory). Their configurations
    are the YAML file ``baselines/configs/<name>.yaml``: one mapping of
    :class:`~avbench.training.TrainConfig` options per task id (``avbench train --baseline NAME
    --task TASK`` uses it; ``--config`` overrides keys).
    """

    extras: ClassVar[tuple[str, ...]] = ("baselines",)
    targets: ClassVar[str] = ""
    contract_metric: ClassVar[str | None] = None  # the synth metric the contract test compares (default: the first)
    network: ClassVar[str] = ""
    network_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self) -> None:
        self._trained: dict[str, Any] = {}

    def factory(self, spec: Any, **params: Any) -> Any:
        """The ``torch.nn.Module`` for ``spec`` (:class:`avbench.models.ModelSpec`): ``network`` built
        with ``network_defaults`` updated by ``params`` (the configuration's ``model:`` mapping).

        Raises:
            InputError: ``params`` names an argument the network does not take.
        """
        import importlib

        from avbench.models import build_model

        if not self.network:  # pragma: no cover - a subclass sets network or overrides factory
            raise NotImplementedError(f"{type(self).__name__}: set network or override factory")
        cls = getattr(importlib.import_module("avbench.baselines._nets"), self.network)
        return build_model(cls, spec, {**self.network_defaults, **params}, what=f"baseline {self.name!r}")

    def fit(self, recipe: Recipe, root: Path, *, split: str = "train", seed: int = 0,
            config: dict[str, Any] | None = None) -> TorchBaseline:
        """Train one model per claimed task on ``split`` (selection on ``val``); ``config`` overrides keys."""
        from avbench.training import TrainConfig, fit

        for task in recipe.tasks():
            if task.id in self.tasks:
                cfg = TrainConfig.from_dict({**self.config_for(task.id), **dict(config or {}), "train_split": split})
                self._trained[task.id] = fit(task, self.factory, cfg, Path(root), seed=seed)
        return self

    def predict(self, recipe: Recipe, root: Path, task: Task, *, split: str) -> Predictions:
        from avbench.errors import InputError
        from avbench.training import predict

        if task.id not in self._trained:
            raise InputError(f"{self.name}: call fit(recipe, root) before predicting {task.id!r}")
        return predict(self._trained[task.id], split, model_info={"name": self.name, "description": self.description})
