"""Run directories of ``avbench train`` and ``avbench predict`` (layout in :mod:`avbench.training`).

:func:`run` trains one model per seed, selects each on the validation split, predicts and scores
the test split once per seed at the end, and writes ``summary.json`` with the mean and standard
deviation (``ddof=1``; 0 for one seed) of every overall value over seeds. Running the same command
again resumes: a seed with a ``test.report.json`` is done, one with a ``last.pt`` continues.
:func:`predict_run` writes the predictions of a finished run for any split.

A baseline that is not a torch model (``seld-srp``, ``synth-reference``: no ``factory``) is fitted
with its :meth:`~avbench.baseline.Baseline.fit_task` instead of the training loop; its seed
directories hold ``model.pkl`` (the fitted baseline) where a torch run holds checkpoints, and no
validation selection happens (these baselines have no epochs to select).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.io import atomic_open, read_json, write_json

__all__ = ["run", "predict_run", "resolve_model", "classical_baseline", "finished_seeds"]


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
        raise InputError(f"baseline {baseline!r} is not a torch model: `avbench train --baseline {baseline}` fits it "
                         "with its own fit_task (avbench.runs.run does this)")
    return factory, base.config_for(task_id), {"name": base.name, "description": base.description}


def classical_baseline(model: str | None, baseline: str | None) -> Any | None:
    """The registered baseline ``baseline`` when it is fitted without torch (it has no ``factory``), else ``None``."""
    if model is not None or baseline is None:
        return None
    from avbench import registry

    base = registry.baseline(str(baseline))
    return None if getattr(base, "factory", None) is not None else base


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
    from avbench.paths import dataset_dir
    from avbench.training import TrainConfig, fit, predict

    task = registry.task(task_id)
    classical = classical_baseline(model, baseline)
    data = Path(root) if root is not None else dataset_dir(task.dataset, data_dir)
    if classical is not None:
        registry.dataset(task.dataset).require(data)
        return _run_classical(classical, task, rd=Path(run_dir), config=dict(config or {}), seeds=seeds,
                              data=data, progress=progress)
    factory, base_cfg, info = resolve_model(model, baseline, task_id)
    cfg = TrainConfig.from_dict(_merge(base_cfg, dict(config or {})))
    for key in ("train_split", "val_split"):
        if getattr(cfg, key) == task.split:
            raise InputError(f"config: {key} {task.split!r} is the split {task_id} is scored on; train and select "
                             f"on other splits (the test split is predicted once, at the end)")
    registry.dataset(task.dataset).require(data)
    rd = Path(run_dir)
    _start_run(rd, {"task": task_id, "model": model, "baseline": baseline, "config": cfg.to_dict(),
                    "seeds": [int(s) for s in seeds], "data": str(data.resolve())})
    per_seed: dict[str, Any] = {}
    for k, seed, sd in _pending(rd, seeds, per_seed):

        def report(stage: str, done: int, total: int, _k: int = k) -> None:
            if progress is not None:
                progress(f"seed {seed} ({_k + 1}/{len(seeds)})", done, total)

        trained = fit(task, factory, cfg, data, seed=int(seed), run_dir=sd, progress=report)
        preds = predict(trained, task.split, model_info={**info, "seed": int(seed)})
        per_seed[str(seed)] = _score_seed(preds, sd, task.split, data, seed=int(seed),
                                          best_epoch=trained.best_epoch, val=trained.best)
    return _summarise(rd, task_id, model or baseline, per_seed)


def _start_run(rd: Path, header: dict[str, Any]) -> None:
    """Create (or check, when resuming) the run directory ``rd`` and write its config files."""
    import yaml

    if (rd / "config.json").is_file():
        old = read_json(rd / "config.json")
        if {k: old.get(k) for k in header} != header:
            raise InputError(f"run directory {rd} holds another run ({old.get('task')}, "
                             f"{old.get('model') or old.get('baseline')}); give a new --run to start one")
    rd.mkdir(parents=True, exist_ok=True)
    write_json(rd / "config.json", header)
    (rd / "config.yaml").write_text(yaml.safe_dump(header, sort_keys=False))


def finished_seeds(run_dir: str | Path, seeds: Sequence[int]) -> list[int]:
    """The seeds of ``seeds`` that run ``run_dir`` has finished (tested: ``seed-S/test.report.json``
    and ``summary.json``); a rerun of the same command skips them."""
    rd = Path(run_dir)
    return [int(s) for s in seeds if (rd / f"seed-{s}" / "test.report.json").is_file()
            and (rd / f"seed-{s}" / "summary.json").is_file()]


def _pending(rd: Path, seeds: Sequence[int], per_seed: dict[str, Any]) -> Iterator[tuple[int, int, Path]]:
    """``(index, seed, seed directory)`` of the seeds still to run; finished ones (:func:`finished_seeds`)
    go straight into ``per_seed`` from their ``summary.json`` (how a rerun resumes)."""
    done = set(finished_seeds(rd, seeds))
    for k, seed in enumerate(seeds):
        sd = rd / f"seed-{seed}"
        if int(seed) in done:
            per_seed[str(seed)] = read_json(sd / "summary.json")
        else:
            yield k, int(seed), sd


def _score_seed(preds: Any, sd: Path, split: str, data: Path, *, seed: int, best_epoch: int | None,
                val: Any) -> dict[str, Any]:
    """Write one seed's test predictions, report and ``summary.json``; returns the summary."""
    from avbench.evaluation import evaluate_predictions

    sd.mkdir(parents=True, exist_ok=True)
    preds.write(sd / f"{split}.preds.json")
    rep = evaluate_predictions(sd / f"{split}.preds.json", reference=data)
    overall = {f"{r.id}.{key}": v for r in rep.results for key, v in r.overall.items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
    summary = {"seed": seed, "best_epoch": best_epoch, "val": val, "test": overall}
    write_json(sd / "summary.json", summary)
    rep.write_json(sd / "test.report.json")
    return summary


def _summarise(rd: Path, task_id: str, name: str | None, per_seed: dict[str, Any]) -> dict[str, Any]:
    """Mean and standard deviation over seeds of every test value; written to ``RUN/summary.json``."""
    keys = sorted(set.intersection(*(set(s["test"]) for s in per_seed.values()))) if per_seed else []
    agg = {}
    for key in keys:
        vals = np.array([float(s["test"][key]) for s in per_seed.values()])
        agg[key] = {"mean": float(vals.mean()), "std": float(vals.std(ddof=1)) if len(vals) > 1 else 0.0,
                    "n": len(vals)}
    out = {"task": task_id, "model": name, "seeds": per_seed, "test": agg}
    write_json(rd / "summary.json", out)
    return out


def _run_classical(base: Any, task: Any, *, rd: Path, config: dict[str, Any], seeds: Sequence[int],
                   data: Path, progress: Callable[[str, int, int], None] | None) -> dict[str, Any]:
    """:func:`run` for a baseline fitted without torch: fit, pickle, predict and score per seed."""
    import pickle

    from avbench import registry

    if task.id not in base.tasks and task.id not in base.configs():
        known = sorted(set(base.tasks) | set(base.configs()))
        raise InputError(f"baseline {base.name!r} has no configuration for task {task.id!r}; it has {', '.join(known)}")
    recipe = registry.dataset(task.dataset)
    _start_run(rd, {"task": task.id, "model": None, "baseline": base.name, "config": dict(config),
                    "seeds": [int(s) for s in seeds], "data": str(data.resolve())})
    per_seed: dict[str, Any] = {}
    for k, seed, sd in _pending(rd, seeds, per_seed):
        stage = f"seed {seed} ({k + 1}/{len(seeds)})"
        if progress is not None:
            progress(stage, 0, 1)
        fitted = base.fit_task(recipe, data, task, seed=int(seed), config=config or None)
        sd.mkdir(parents=True, exist_ok=True)
        with atomic_open(sd / "model.pkl", "wb") as fh:
            pickle.dump(fitted, fh, protocol=pickle.HIGHEST_PROTOCOL)
        preds = fitted.predict(recipe, data, task, split=task.split)
        preds.model = {**dict(preds.model or {}), "seed": int(seed)}
        per_seed[str(seed)] = _score_seed(preds, sd, task.split, data, seed=int(seed), best_epoch=None, val=None)
        if progress is not None:
            progress(stage, 1, 1)
    return _summarise(rd, task.id, base.name, per_seed)


def predict_run(run_dir: str | Path, *, split: str, out: str | Path, seed: int | None = None,
                data_dir: str | Path | None = None) -> Path:
    """Predict ``split`` with the best checkpoint of a finished (or interrupted) run's seed."""
    from avbench import registry

    rd = Path(run_dir)
    if not (rd / "config.json").is_file():
        raise InputError(f"--run {rd}: not an avbench run directory (no config.json); train one with `avbench train`")
    header = read_json(rd / "config.json")
    seeds = header["seeds"] if seed is None else [seed]
    if seeds[0] not in header["seeds"]:
        raise InputError(f"--seed {seeds[0]}: run {rd} trained seeds {', '.join(map(str, header['seeds']))}")
    sd = rd / f"seed-{seeds[0]}"
    classical = classical_baseline(header.get("model"), header.get("baseline"))
    saved = "model.pkl" if classical is not None else "best.pt"
    if not (sd / saved).is_file():
        raise InputError(f"--run {rd}: seed {seeds[0]} has no {saved} yet (seeds: {header['seeds']}); "
                         "run the same `avbench train` command again to finish it")
    task = registry.task(header["task"])
    recipe = registry.dataset(task.dataset)
    data = Path(header["data"]) if data_dir is None else Path(data_dir) / task.dataset
    known = recipe.splits(data).splits
    if split not in known:
        raise InputError(f"--split {split!r}: {task.dataset} has no such split; known: {', '.join(known)}")
    if classical is not None:
        import pickle

        from avbench.training import unreadable

        try:
            with open(sd / saved, "rb") as fh:  # written by this run's `avbench train`
                fitted = pickle.load(fh)
        except Exception as exc:  # noqa: BLE001 - a damaged pickle raises many types; all mean the same
            raise unreadable(sd / saved, exc) from None
        if not hasattr(fitted, "predict"):
            raise unreadable(sd / saved, TypeError(f"holds a {type(fitted).__name__}, not a fitted baseline"))
        preds = fitted.predict(recipe, data, task, split=split)
        preds.model = {**dict(preds.model or {}), "seed": int(seeds[0])}
        preds.write(out)
        return Path(out)
    from avbench.training import TrainConfig, Trained, _spec_and_data, build_module, load_checkpoint, predict

    factory, _, info = resolve_model(header.get("model"), header.get("baseline"), task.id)
    cfg = TrainConfig.from_dict(header["config"])
    from avbench.models import is_hear_module

    hear = (factory, factory.load_model()) if is_hear_module(factory) else None
    spec, _ = _spec_and_data(task, cfg, data, cfg.train_split, hear)
    module = build_module(factory, spec, cfg, hear)
    load_checkpoint(sd / "best.pt", module)
    trained = Trained(module, spec, task, cfg, data, None, -1, [], hear)
    preds = predict(trained, split, model_info={**info, "seed": int(seeds[0])})
    preds.write(out)
    return Path(out)
