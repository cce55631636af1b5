"""``avbench train`` and ``avbench predict``: train a plug-in model or a reference baseline, then predict.

Everything heavy (torch, the training loop) is imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

__all__ = ["COMMANDS", "train", "predict"]


def _seeds(value: str) -> list[int]:
    from avbench.errors import InputError

    try:
        if "," in value:
            seeds = [int(s) for s in value.split(",") if s.strip()]
        else:
            seeds = list(range(int(value)))
    except ValueError:
        seeds = []
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise InputError(f"--seeds {value!r}: give a number of seeds (3 = seeds 0, 1, 2) or a list like 0,5,7")
    return seeds


@click.command("train")
@click.option("--task", "task_id", required=True, help="Task id (`avbench list tasks`).")
@click.option("--model", default=None, help="package.module:factory, path/to/file.py:factory, or a HEAR module.")
@click.option("--baseline", default=None, help="A reference baseline (`avbench list baselines`).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="YAML of training options (avbench.training.TrainConfig; overrides a baseline's).")
@click.option("--seeds", default="1", show_default=True, help="Number of seeds (0..N-1) or a comma list.")
@click.option("--run", "run_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run directory (default runs/TASK-MODEL); an unfinished run there is resumed.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="avbench data directory.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the summary (mean +/- std over seeds) here.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def train(task_id: str, model: str | None, baseline: str | None, config_path: Path | None, seeds: str,
          run_dir: Path | None, data_dir: Path | None, json_out: Path | None, quiet: bool) -> None:
    """Train on the training split, select on validation, predict and score the test split once per seed."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from avbench.extras import require
    from avbench.io import write_json
    from avbench.runs import classical_baseline, finished_seeds, run

    classical = classical_baseline(model, baseline) is not None
    if not classical:
        require("torch", "baselines")
    config: dict[str, Any] = {}
    if config_path is not None and classical:
        config = _yaml_mapping(config_path)  # the baseline validates its own settings
    elif config_path is not None:
        from avbench.training import TrainConfig

        config = {k: v for k, v in TrainConfig.from_yaml(config_path).to_dict().items()
                  if k in _yaml_mapping(config_path)}
    seed_list = _seeds(seeds)
    name = (model or baseline or "model").replace(":", "-").replace("/", "-")
    rd = run_dir or Path("runs") / f"{task_id}-{name}"
    done = finished_seeds(rd, seed_list) if (rd / "config.json").is_file() else []
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("epoch {task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, disable=quiet) as bar:
        bars: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = bar.add_task(f"train {task_id} {stage}", total=total)
            bar.update(bars[stage], completed=done, total=total)

        summary = run(task_id, run_dir=rd, model=model, baseline=baseline, config=config, seeds=seed_list,
                      data_dir=data_dir, progress=progress)
    table = Table(title=f"{task_id}: {model or baseline}, test split, {len(seed_list)} seed(s)")
    for col in ("metric", "mean", "std"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for key, agg in summary["test"].items():
        table.add_row(key, f"{agg['mean']:.4f}", f"{agg['std']:.4f}")
    Console().print(table)
    if len(done) == len(seed_list):
        click.echo(f"note: run {rd} had already finished every seed; nothing was trained (its summary is shown; "
                   "give another --run, or delete this one, to train again)", err=True)
    kept = "the fitted model.pkl" if classical else "metrics.jsonl, checkpoints"
    click.echo(f"run directory: {rd} (config, {kept}, predictions per seed; summary.json)")
    if json_out is not None:
        from avbench.cli._common import writing_to

        with writing_to(json_out, "--json"):
            write_json(json_out, summary)


def _yaml_mapping(path: Path) -> dict[str, Any]:
    import yaml

    from avbench.errors import InputError

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"--config {path}: cannot read it as YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(f"--config {path}: expected a mapping of options, got {type(data).__name__}")
    return data


@click.command("predict")
@click.option("--run", "run_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A run directory of `avbench train`.")
@click.option("--split", required=True, help="The split to predict (e.g. test).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Predictions JSON to write.")
@click.option("--seed", type=int, default=None, help="Which seed's best checkpoint (default: the run's first).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="avbench data directory.")
def predict(run_dir: Path, split: str, out: Path, seed: int | None, data_dir: Path | None) -> None:
    """Write predictions of a trained run's best checkpoint; score them with `avbench evaluate`."""
    from avbench.runs import predict_run

    path = predict_run(run_dir, split=split, out=out, seed=seed, data_dir=data_dir)
    click.echo(f"wrote {path}; score it with `avbench evaluate --predictions {path}`")


COMMANDS = [train, predict]
