"""Run directories of ``avbench train`` and ``avbench predict`` (layout in :mod:`avbench.training`).

:func:`run` trains one model per seed, selects each on the validation split, predicts and scores
the test split once per seed at the end, and writes ``summary.json`` with the mean and standard
deviation (``ddof=1``; 0 for one seed) of every overall value over seeds. Running the same command
again resumes: a seed with a ``test.report.json`` is done, one with a ``last.pt`` continues.
:func:`predict_run` writes the predictions of a finished run for any split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.io import read_json, write_json

__all__ = ["run", "predict_run", "resolve_model"]


def resolve_model(model: str | None, baseline: str | None, task_id: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """(factory, the baseline's config for the task or ``{}``, model description for the predictions)."""
    from avbench import registry
    from avbench.models import load_factory

    if (model is None) == (baseline is None):
        raise InputError("avbench train: give exactly one of --model package.module:factory and --baseline NAME")
    if model is not None:
        return load_factory(model), {}, {"name": model}
    base = registry.baseline(str(baseline))
    factory = getattr(base, "factory", None)
    if factory is None:
        raise InputError(f"baseline {baseline!r} is not a trainable torch model (it has no factory): fit it with "
                         f"`avbench demo` (synth-reference) or its Python API (registry.baseline({baseline!r}).fit(recipe, root, "
                         "task=TASK))")
    return factory, base.config_for(task_id), {"name": base.name, "description": base.description}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def run(task_id: str, *, run_dir: str | Path, model: str | None = None, baseline: str | None = None,
        config: dict[str, Any] | None = None, seeds: Sequence[int] = (0,), data_dir: str | Path | None = None,
        root: str | Path | None = None, progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Train, select and test ``seeds`` models of ``task_id``; returns the summary (also ``summary.json``)."""
    from avbench import registry
    from avbench.evaluation import evaluate_predictions
    from avbench.paths import dataset_dir
    from avbench.training import TrainConfig, fit, predict

    task = registry.task(task_id)
    factory, base_cfg, info = resolve_model(model, baseline, task_id)
    cfg = TrainConfig.from_dict(_merge(base_cfg, dict(config or {})))
    data = Path(root) if root is not None else dataset_dir(task.dataset, data_dir)
    registry.dataset(task.dataset).require(data)
    rd = Path(run_dir)
    header = {"task": task_id, "model": model, "baseline": baseline, "config": cfg.to_dict(),
              "seeds": [int(s) for s in seeds], "data": str(data.resolve())}
    if (rd / "config.json").is_file():
        old = read_json(rd / "config.json")
        if {k: old.get(k) for k in header} != header:
            raise InputError(f"run directory {rd} holds another run ({old.get('task')}, "
                             f"{old.get('model') or old.get('baseline')}); give a new --run to start one")
    rd.mkdir(parents=True, exist_ok=True)
    write_json(rd / "config.json", header)
    import yaml

    (rd / "config.yaml").write_text(yaml.safe_dump(header, sort_keys=False))
    per_seed: dict[str, Any] = {}
    for k, seed in enumerate(seeds):
        sd = rd / f"seed-{seed}"
        if (sd / "test.report.json").is_file():
            per_seed[str(seed)] = read_json(sd / "summary.json")
            continue

        def report(stage: str, done: int, total: int, _k: int = k) -> None:
            if progress is not None:
                progress(f"seed {seed} ({_k + 1}/{len(seeds)})", done, total)

        trained = fit(task, factory, cfg, data, seed=int(seed), run_dir=sd, progress=report)
        preds = predict(trained, task.split, model_info={**info, "seed": int(seed)})
        preds.write(sd / f"{task.split}.preds.json")
        rep = evaluate_predictions(sd / f"{task.split}.preds.json", reference=data)
        overall = {f"{r.id}.{key}": v for r in rep.results for key, v in r.overall.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)}
        summary = {"seed": int(seed), "best_epoch": trained.best_epoch, "val": trained.best, "test": overall}
        write_json(sd / "summary.json", summary)
        rep.write_json(sd / "test.report.json")
        per_seed[str(seed)] = summary
    keys = sorted(set.intersection(*(set(s["test"]) for s in per_seed.values()))) if per_seed else []
    agg = {}
    for key in keys:
        vals = np.array([float(s["test"][key]) for s in per_seed.values()])
        agg[key] = {"mean": float(vals.mean()), "std": float(vals.std(ddof=1)) if len(vals) > 1 else 0.0,
                    "n": len(vals)}
    out = {"task": task_id, "model": model or baseline, "seeds": per_seed, "test": agg}
    write_json(rd / "summary.json", out)
    return out


def predict_run(run_dir: str | Path, *, split: str, out: str | Path, seed: int | None = None,
                data_dir: str | Path | None = None) -> Path:
    """Predict ``split`` with the best checkpoint of a finished (or interrupted) run's seed."""
    from avbench import registry
    from avbench.extras import require
    from avbench.training import TrainConfig, Trained, _spec_and_data, hear_head, predict

    torch = require("torch", "baselines")
    rd = Path(run_dir)
    if not (rd / "config.json").is_file():
        raise InputError(f"--run {rd}: not an avbench run directory (no config.json); train one with `avbench train`")
    header = read_json(rd / "config.json")
    seeds = header["seeds"] if seed is None else [seed]
    sd = rd / f"seed-{seeds[0]}"
    if not (sd / "best.pt").is_file():
        raise InputError(f"--run {rd}: seed {seeds[0]} has no best.pt checkpoint yet (seeds: {header['seeds']})")
    task = registry.task(header["task"])
    split_names = registry.dataset(task.dataset)
    data = Path(header["data"]) if data_dir is None else Path(data_dir) / task.dataset
    known = split_names.splits(data).splits
    if split not in known:
        raise InputError(f"--split {split!r}: {task.dataset} has no such split; known: {', '.join(known)}")
    factory, _, info = resolve_model(header.get("model"), header.get("baseline"), task.id)
    cfg = TrainConfig.from_dict(header["config"])
    from avbench.models import is_hear_module

    hear = (factory, factory.load_model()) if is_hear_module(factory) else None
    spec, _ = _spec_and_data(task, cfg, data, cfg.train_split, hear)
    module = hear_head(spec, **cfg.model) if hear is not None else factory(spec, **cfg.model)
    module.load_state_dict(torch.load(sd / "best.pt", map_location="cpu", weights_only=False)["model"])
    trained = Trained(module, spec, task, cfg, data, None, -1, [], hear)
    preds = predict(trained, split, model_info={**info, "seed": int(seeds[0])})
    preds.write(out)
    return Path(out)
