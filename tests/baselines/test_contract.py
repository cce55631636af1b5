"""Contract every registered baseline fulfils (one test id per baseline, from the registry).

A baseline of ``synth`` trains on the ``small`` synth benchmark (36 training clips, a CPU budget of
seconds per model), predicts every task it claims, its predictions validate and score, and its
primary value (on the task's first metric, or the baseline's ``contract_metric``) beats the *prior*
predictor of ``avbench demo`` (training-split priors, no input) by a clear margin; a SELD baseline also
beats it on detection (seld-umons F) and on direction (seld-umons DOA error under 60 deg, chance 90). Baselines of other datasets fit on their toy fixture and score.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from avbench import registry
from avbench.baseline import Baseline, TorchBaseline
from avbench.cli.demo import _prior_predictions
from avbench.evaluation import evaluate_predictions
from avbench.model import TaskKind
from avbench.predictions import Predictions
from avbench.training import LOWER_IS_BETTER

NAMES = [pytest.param(n, marks=pytest.mark.torch) if isinstance(b, TorchBaseline) else n
         for n, b in sorted(registry.baselines().items())]
_EXTRA_MODULES = {"baselines": "torch", "video": "av", "features": "h5py"}
MARGIN = 0.1  # absolute, on the primary value of the task's first metric
DOA_CHANCE = 90.0  # deg: mean azimuth error of a direction drawn at random around the (planar) array
DOA_MARGIN = 30.0  # deg: a SELD baseline's seld-umons DOA error is below 60 deg


def _primary(report, metric_id: str) -> tuple[str, float]:  # noqa: ANN001
    res = next(r for r in report.results if r.id == metric_id)
    key = registry.metric(metric_id).primary
    return key, float(res.overall[key])


@pytest.mark.parametrize("name", NAMES)
def test_baseline_trains_predicts_and_beats_the_prior(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    base = registry.baseline(name)
    assert isinstance(base, Baseline) and base.name == name and base.description
    for extra in base.extras:
        mod = _EXTRA_MODULES.get(extra)
        if mod and importlib.util.find_spec(mod) is None:
            pytest.skip(f"baseline {name} needs the [{extra}] extra ({mod} is not installed)")
    recipe = registry.dataset(base.dataset)
    known_tasks = {t.id: t for t in recipe.tasks()}
    assert base.tasks and set(base.tasks) <= set(known_tasks), f"{name}: claims unknown tasks"
    if isinstance(base, TorchBaseline):
        assert base.targets, f"{name}: states no published target"
        for tid in base.tasks:
            assert base.config_for(tid)
    if recipe.name == "synth":
        root = request.getfixturevalue("synth_small")
    else:
        root = tmp_path / recipe.name
        root.mkdir()
        recipe.make_toy(root)
    fitted = type(base)().fit(recipe, root, split="train", seed=0)
    for task_id in base.tasks:
        task = known_tasks[task_id]
        preds = fitted.predict(recipe, root, task, split="test")
        assert isinstance(preds, Predictions) and preds.task == task_id
        preds.validate(task)
        report = evaluate_predictions(preds, reference=root)
        assert {r.id for r in report.results} == {m.id for m in task.metrics}
        if recipe.name != "synth":
            continue
        prior = evaluate_predictions(_prior_predictions(task, recipe.load(root, split="train"),
                                                        recipe.load(root, split="test")), reference=root)
        metric_id = getattr(base, "contract_metric", None) or task.metrics[0].id
        key, value = _primary(report, metric_id)
        _, chance = _primary(prior, metric_id)
        if key in LOWER_IS_BETTER:
            assert value < chance - MARGIN, f"{name} {task_id} {metric_id}.{key}: {value:.3f} vs prior {chance:.3f}"
        else:
            assert value > chance + MARGIN, f"{name} {task_id} {metric_id}.{key}: {value:.3f} vs prior {chance:.3f}"
        if task.kind is TaskKind.EVENT_LOCALIZATION:  # detection and direction each beat chance
            ours = next(r for r in report.results if r.id == "seld-umons").overall
            base_line = next(r for r in prior.results if r.id == "seld-umons").overall
            assert ours["f1"] > base_line["f1"] + 0.2, f"{name} {task_id}: F {ours['f1']:.3f} vs prior {base_line['f1']:.3f}"
            err = ours["localization_error"]
            assert err < min(base_line["localization_error"], DOA_CHANCE) - DOA_MARGIN, \
                f"{name} {task_id}: DOA error {err:.1f} deg vs prior {base_line['localization_error']:.1f}, chance {DOA_CHANCE}"
