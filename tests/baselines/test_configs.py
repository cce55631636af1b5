"""Every shipped baseline configuration (``baselines/configs/NAME.yaml``) is a valid training config,
and every real-data block trains: on the recipe's toy (the release's layout, feature dimensions,
class and channel counts), its model is built from the block's settings, takes one training step,
predicts the task's split and the predictions score. A typo in a task id, a split, a key or a
model argument of a real configuration fails here, not on the real data.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from avbench import registry
from avbench.baseline import TorchBaseline
from avbench.evaluation import evaluate_predictions
from avbench.training import MeanTeacherConfig, TrainConfig

ARRAY_CHANNELS = {"secl-umons": 7, "starss23": 4}  # microphones of the release (UMA-8; FOA / MIC 4 channels)
TORCH = sorted(n for n, b in registry.baselines().items() if isinstance(b, TorchBaseline))
REAL = [pytest.param(name, tid, id=f"{name}[{tid}]", marks=[pytest.mark.torch] if isinstance(b, TorchBaseline) else [])
        for name, b in sorted(registry.baselines().items()) for tid in sorted(b.configs()) if tid not in b.tasks]


@pytest.mark.parametrize("name", TORCH)
def test_shipped_configs_parse_and_cover_the_synth_tasks(name: str) -> None:
    base = registry.baseline(name)
    configs = base.configs()
    assert set(base.tasks) <= set(configs), f"{name}: no config for {set(base.tasks) - set(configs)}"
    assert len(configs) > len(base.tasks), f"{name}: ships no real-data configuration"
    for task_id, cfg in configs.items():
        TrainConfig.from_dict(cfg, source=f"{name}.yaml[{task_id}]")


def _documented_splits(dataset: str) -> set[str]:
    """Splits of the real release that the toy does not build (DESED: every edition's metadata sets)."""
    if dataset == "desed":
        text = resources.files("avbench.recipes.desed").joinpath("index/editions.json").read_text()
        return {sp for e in json.loads(text)["editions"].values() for sp in e["files"]}
    return set()


@pytest.fixture(scope="module")
def toys(tmp_path_factory: pytest.TempPathFactory) -> Any:
    made: dict[str, Path] = {}

    def get(dataset: str) -> Path:
        if dataset not in made:
            root = tmp_path_factory.mktemp("toy") / dataset
            root.mkdir()
            registry.dataset(dataset).make_toy(root)
            made[dataset] = root
        return made[dataset]

    return get


@pytest.mark.parametrize("name,task_id", REAL)
def test_real_data_configs_build_and_train_on_the_toy(name: str, task_id: str, toys: Any) -> None:
    base = registry.baseline(name)
    task = registry.task(task_id)  # an unknown task id fails here
    recipe = registry.dataset(task.dataset)
    root = toys(task.dataset)
    on_toy = {sp: ids for sp, ids in recipe.splits(root).splits.items()}
    known = set(on_toy) | _documented_splits(task.dataset)
    raw = base.config_for(task_id)
    if not isinstance(base, TorchBaseline):
        cfg = base.settings(task_id)
        assert cfg.train_split in on_toy and on_toy[cfg.train_split], f"{name}[{task_id}]: split {cfg.train_split!r}"
        fitted = type(base)().fit(recipe, root, task=task_id)
    else:
        pytest.importorskip("torch", reason="the trainable baselines need the [baselines] extra (torch)")
        from avbench.training import fit, predict

        cfg = TrainConfig.from_dict(raw, source=f"{name}.yaml[{task_id}]")
        mt = MeanTeacherConfig.from_dict(cfg.mean_teacher)
        wanted = [cfg.train_split, cfg.val_split] + ([mt.unlabeled_split, mt.weak_split] if mt else [])
        for sp in wanted:
            assert sp is None or sp in known, f"{name}[{task_id}]: split {sp!r} is not one of {sorted(known)}"
        assert task.split not in (cfg.train_split, cfg.val_split), f"{name}[{task_id}]: trains or selects on test"

        def heard(sp: str | None) -> bool:  # the toy builds the split and some of its clips have audio
            return bool(sp and on_toy.get(sp)) and any(c.audio for c in recipe.load(root, split=sp).values())

        def toy(sp: str | None, *, trained: bool = True) -> str | None:
            """``sp``, or a stand-in where the toy leaves it empty, does not build it, or (a split trained
            on) gives none of its clips audio; a silent split is predicted (from zeros) and selects."""
            ok = heard(sp) if trained else bool(sp and on_toy.get(sp))
            return sp if sp is None or ok else cfg.train_split if heard(cfg.train_split) else task.split

        # one batch holds a toy split
        over: dict[str, Any] = {"epochs": 1, "max_steps": 1, "batch_size": 8, "device": "cpu",
                                "train_split": toy(cfg.train_split), "val_split": toy(cfg.val_split, trained=False)}
        if mt is not None:
            over["mean_teacher"] = {**raw["mean_teacher"], "unlabeled_split": toy(mt.unlabeled_split),
                                    "weak_split": toy(mt.weak_split)}
        trained = fit(task, base.factory, TrainConfig.from_dict({**raw, **over}), root, seed=0)
        assert trained.spec.n_classes == len(task.labels)
        if cfg.audio == "spectrogram" and cfg.channels == "all" and task.dataset in ARRAY_CHANNELS:
            assert trained.spec.audio_shape[0] == 2 * ARRAY_CHANNELS[task.dataset], trained.spec.audio_shape
        preds = predict(trained, task.split)
        preds.validate(task)
        report = evaluate_predictions(preds, reference=root)
        assert {r.id for r in report.results} == {m.id for m in task.metrics}
        return
    preds = fitted.predict(recipe, root, task, split=task.split)
    preds.validate(task)
    report = evaluate_predictions(preds, reference=root)
    assert {r.id for r in report.results} == {m.id for m in task.metrics}
