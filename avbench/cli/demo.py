"""``avbench demo``: generate ``synth``, fit ``synth-reference``, predict and score every task.

The whole loop a submitter runs, on data made locally in seconds: the predictions files it writes
are ordinary avbench predictions (``avbench evaluate --predictions OUT/synth-ave.preds.json``
scores them again). Next to the reference model the summary shows a *prior* predictor fitted on
the same training split (the most frequent segment label, the scene priors, one whole-clip event
of the most frequent class at azimuth 0), i.e. the score of a model that ignores the audio.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import click

from avbench import registry
from avbench.paths import dataset_dir

__all__ = ["COMMANDS", "demo"]


def _prior_predictions(task: Any, train: dict[str, Any], test: dict[str, Any]) -> Any:
    """A model that ignores the input: training-split priors for every test clip."""
    import numpy as np

    from avbench.predictions import Predictions

    preds = Predictions(benchmark=task.dataset, task=task.id, split=task.split, model={"name": "prior"})
    n = len(task.labels)
    if task.id == "synth-ave":
        counts = np.bincount([s for c in train.values() for s in c.segment_labels], minlength=n + 1) + 1.0
        scores = np.tile(counts / counts.sum(), (int(task.n_segments or 0), 1))
        for cid in test:
            preds.add(cid, segment_scores=scores)
    elif task.id == "synth-scene":
        counts = np.bincount([task.labels.index(c.clip_labels[0]) for c in train.values()], minlength=n) + 1.0
        for cid in test:
            preds.add(cid, clip_scores=counts / counts.sum())
    else:
        top = Counter(e.label for c in train.values() for e in c.events).most_common(1)[0][0]
        for cid, clip in test.items():
            preds.add(cid, events=[{"onset": 0.0, "offset": clip.duration, "label": top, "azimuth": 0.0, "elevation": 0.0}])
    return preds


def _scorable(task: Any) -> tuple[list[str], list[str]]:
    """The task's metric ids that this installation can compute, and those it cannot."""
    known, adapters = registry.metrics(), registry.json_adapters()
    ok, missing = [], []
    for ref in task.metrics:
        cfg = known.get(ref.id)
        usable = cfg is not None and (cfg.input not in ("sed", "seld") or cfg.input in adapters)
        (ok if usable else missing).append(ref.id)
    return ok, missing


@click.command("demo")
@click.option("--size", default="default", show_default=True,
              help="tiny (12 clips), small (60), default (150), large (600) or a number of clips.")
@click.option("--seed", type=int, default=0, show_default=True, help="Generator seed.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="avbench data directory.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("avbench-demo"),
              show_default=True, help="Where predictions and report JSONs go.")
@click.option("--quiet", is_flag=True, help="No progress bars (the reports are still printed).")
def demo(size: str, seed: int, data_dir: Path | None, out: Path, quiet: bool) -> None:
    """Generate the synthetic benchmark, fit the reference baseline, predict and score every task."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from avbench.evaluation import evaluate_predictions

    recipe = registry.dataset("synth")
    model = registry.baseline("synth-reference")
    root = dataset_dir("synth", data_dir)
    console = Console()
    t0 = time.perf_counter()
    size_opt: Any = int(size) if size.strip().isdigit() else size
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, disable=quiet, transient=False) as bar:
        gen = bar.add_task("generate synth", total=None)
        recipe.prepare(root, size=size_opt, seed=seed, quiet=True,
                       progress=lambda done, total: bar.update(gen, completed=done, total=total))
        if bar.tasks[gen].total is None:  # a cached build: nothing was generated
            bar.update(gen, total=1, completed=1, description="generate synth (cached)")
        t_gen = time.perf_counter() - t0
        fit = bar.add_task("fit synth-reference on train", total=1)
        model.fit(recipe, root, split="train", seed=seed)
        bar.update(fit, completed=1)
        tasks = recipe.tasks()
        run = bar.add_task("predict and evaluate", total=len(tasks))
        train = recipe.load(root, split="train")
        reports, priors, skipped = {}, {}, {}
        out.mkdir(parents=True, exist_ok=True)
        for task in tasks:
            preds = model.predict(recipe, root, task, split=task.split)
            path = out / f"{task.id}.preds.json"
            preds.write(path)
            ids, skipped[task.id] = _scorable(task)
            if ids:
                reports[task.id] = evaluate_predictions(path, metric_ids=ids, data_dir=data_dir)
                reports[task.id].write_json(out / f"{task.id}.report.json")
                test = recipe.load(root, split=task.split)
                priors[task.id] = evaluate_predictions(_prior_predictions(task, train, test), metric_ids=ids,
                                                       data_dir=data_dir)
            bar.advance(run)
    for task in tasks:
        if task.id in reports:
            reports[task.id].render(console)
        if skipped[task.id]:
            console.print(f"[yellow]note[/yellow] {task.id}: metric(s) {', '.join(skipped[task.id])} "
                          "are not available in this installation; not scored")
    summary = Table(title="synth-reference vs a prior predictor (test split)")
    for col in ("task", "metric", "value", "synth-reference", "prior"):
        summary.add_column(col, justify="left" if col in ("task", "metric", "value") else "right")
    for tid, rep in reports.items():
        prior = {r.id: r for r in priors[tid].results}
        for r in rep.results:
            cfg = registry.metric(r.id)
            key = cfg.primary if cfg.primary in r.overall else next(iter(r.overall), "")
            summary.add_row(tid, r.id, key, _fmt(r.overall.get(key)), _fmt(prior[r.id].overall.get(key)))
    console.print(summary)
    console.print(f"data: {root} (generated/reused in {t_gen:.1f} s); predictions and reports: {out}; "
                  f"total {time.perf_counter() - t0:.1f} s")


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


COMMANDS = [demo]
