"""Training throughput of every trainable baseline on CPU, and the data-loading overhead.

For each :class:`avbench.baseline.TorchBaseline` (or those named with ``--baselines``), on the
``synth`` benchmark (``--size``, default small: 36 training clips), with the baseline's synth
configuration: ``--epochs`` epochs of the training loop of :mod:`avbench.training` (forward,
loss, backward, Adam step; no validation), timing separately the time spent waiting for the next
batch from the DataLoader (reading audio/video and computing log-mel or spectrograms; cached in
memory after the first epoch) and the whole step. Prints, per baseline, clips per second of the
first (cold) epoch and of the later (warm) epochs, and the loading fraction
``wait / (wait + compute)`` of each (goal: under 10 % warm). The classical baselines
(``seld-srp``, ``synth-reference``; no training loop) get a second table: clips per second of
``fit`` on the training split and of ``predict`` on the test split of their first task (reading
and features included; ``seld-srp``'s predict includes the SRP-PHAT search).

    python benchmarks/bench_train.py [--size small] [--epochs 3] [--threads 1] [--baselines ave-avatt,seldnet]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def _bench(name: str, root: Path, epochs: int, threads: int) -> dict[str, float]:
    import torch

    from avbench import registry
    from avbench.torch import collate
    from avbench.training import TrainConfig, _loss, _spec_and_data, _to

    base = registry.baseline(name)
    task = registry.task(base.tasks[0])
    cfg = TrainConfig.from_dict({**base.config_for(task.id), "threads": threads})
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    spec, ds = _spec_and_data(task, cfg, root, "train")
    ds._memo.clear()  # the spec probe cached a few items: start cold
    model = base.factory(spec, **cfg.model)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    loader = torch.utils.data.DataLoader(ds, batch_size=cfg.batch_size, shuffle=True, collate_fn=collate)
    rows = []
    for _ in range(epochs):
        wait = step = 0.0
        n = 0
        it = iter(loader)
        while True:
            t0 = time.perf_counter()
            try:
                batch = next(it)
            except StopIteration:
                break
            t1 = time.perf_counter()
            clips = [ds.clips[int(i)] for i in batch["index"]]
            loss = _loss(torch, task, cfg, model(_to(torch, batch, torch.device("cpu"))), clips)
            opt.zero_grad()
            loss.backward()
            opt.step()
            t2 = time.perf_counter()
            wait, step, n = wait + (t1 - t0), step + (t2 - t1), n + len(clips)
        rows.append((n, wait, step))
    cold = rows[0]
    warm = [sum(r[i] for r in rows[1:]) for i in range(3)] if len(rows) > 1 else list(cold)
    return {"cold_clips_s": cold[0] / (cold[1] + cold[2]), "cold_wait": cold[1] / (cold[1] + cold[2]),
            "warm_clips_s": warm[0] / (warm[1] + warm[2]), "warm_wait": warm[1] / (warm[1] + warm[2])}


def _bench_classical(name: str, root: Path) -> dict[str, float]:
    from avbench import registry
    from avbench.recipes.synth import RECIPE

    base = registry.baseline(name)
    task = registry.task(base.tasks[0])
    t0 = time.perf_counter()
    fitted = type(base)().fit(RECIPE, root, split="train")
    t1 = time.perf_counter()
    fitted.predict(RECIPE, root, task, split="test")
    t2 = time.perf_counter()
    return {"fit_clips_s": len(RECIPE.load(root, split="train")) / (t1 - t0),
            "predict_clips_s": len(RECIPE.load(root, split="test")) / (t2 - t1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="small")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--baselines", default="")
    ap.add_argument("--data-dir", type=Path, default=None, help="a synth root to reuse (default: a temp build)")
    args = ap.parse_args()

    from rich.console import Console
    from rich.table import Table

    from avbench import registry
    from avbench.baseline import TorchBaseline
    from avbench.recipes.synth import RECIPE

    root = args.data_dir or Path(tempfile.mkdtemp()) / "synth"
    RECIPE.prepare(root, size=args.size, quiet=True)
    names = [n for n in args.baselines.split(",") if n] or sorted(registry.baselines())
    classical = [n for n in names if not isinstance(registry.baseline(n), TorchBaseline)]
    names = [n for n in names if n not in classical]
    table = Table(title=f"training on synth {args.size} ({len(RECIPE.load(root, split='train'))} clips), "
                        f"CPU, {args.threads} thread(s), {args.epochs} epochs")
    for col in ("baseline", "cold clips/s", "cold loading", "warm clips/s", "warm loading"):
        table.add_column(col, justify="left" if col == "baseline" else "right")
    for name in names:
        r = _bench(name, root, args.epochs, args.threads)
        table.add_row(name, f"{r['cold_clips_s']:.1f}", f"{100 * r['cold_wait']:.1f} %", f"{r['warm_clips_s']:.1f}",
                      f"{100 * r['warm_wait']:.1f} %")
    if names:
        Console().print(table)
    if classical:
        ct = Table(title=f"classical baselines on synth {args.size}: fit on train, predict test (first task)")
        for col in ("baseline", "task", "fit clips/s", "predict clips/s"):
            ct.add_column(col, justify="left" if col in ("baseline", "task") else "right")
        for name in classical:
            r = _bench_classical(name, root)
            ct.add_row(name, registry.baseline(name).tasks[0], f"{r['fit_clips_s']:.1f}", f"{r['predict_clips_s']:.1f}")
        Console().print(ct)


if __name__ == "__main__":
    main()
