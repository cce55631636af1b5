"""Contract every registered baseline fulfils (one test id per baseline, from the registry): it fits
on its dataset's toy fixture, predicts every task it claims in the avbench predictions format, and
those predictions validate and score."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from avbench import registry
from avbench.baseline import Baseline
from avbench.evaluation import evaluate_predictions
from avbench.predictions import Predictions

NAMES = sorted(registry.baselines())
_EXTRA_MODULES = {"baselines": "torch", "video": "av", "features": "h5py"}


@pytest.mark.parametrize("name", NAMES)
def test_baseline_fits_predicts_and_scores_on_the_toy(name: str, tmp_path: Path) -> None:
    base = registry.baseline(name)
    assert isinstance(base, Baseline) and base.name == name and base.description
    for extra in base.extras:
        mod = _EXTRA_MODULES.get(extra)
        if mod and importlib.util.find_spec(mod) is None:
            pytest.skip(f"baseline {name} needs the [{extra}] extra ({mod} is not installed)")
    recipe = registry.dataset(base.dataset)
    known_tasks = {t.id: t for t in recipe.tasks()}
    assert base.tasks and set(base.tasks) <= set(known_tasks), f"{name}: claims unknown tasks"
    root = tmp_path / recipe.name
    root.mkdir()
    recipe.make_toy(root)
    fitted = base.fit(recipe, root, split="train", seed=0)
    for task_id in base.tasks:
        task = known_tasks[task_id]
        preds = fitted.predict(recipe, root, task, split="test")
        assert isinstance(preds, Predictions) and preds.task == task_id
        preds.validate(task)
        report = evaluate_predictions(preds, reference=root)
        assert {r.id for r in report.results} == {m.id for m in task.metrics}
