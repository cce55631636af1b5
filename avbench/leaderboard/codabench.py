"""A Codabench competition bundle that scores with avbench:
``avbench leaderboard export-codabench TASK --split test --reference DIR --out bundle/``.

Layout written (Codabench ``competition.yaml`` version 2)::

    bundle/competition.yaml         title, docker_image, tasks[0] (scoring_program, reference_data),
                                    phases[0] (max_submissions_per_day, execution_time_limit),
                                    leaderboards[0].columns (title, key, index, sorting)
    bundle/scoring_program/score.py     python3 score.py [input_dir] [output_dir]
    bundle/scoring_program/metadata.yaml
    bundle/reference_data/avbench-reference.json   benchmark, task, split, primary metric
    bundle/reference_data/dataset/ ...  a copy of the dataset root with the (hidden) labels; media files
                                    stay in it, since which clips have usable video is read from them

The scoring program reads ``<input>/ref`` (the reference data) and ``<input>/res`` (the
participant's unzipped submission: an avbench bundle's ``submission.json`` and
``predictions.json``, or a lone predictions JSON), scores with
:func:`avbench.evaluation.evaluate_predictions` and writes ``<output>/scores.json`` whose keys
are exactly the leaderboard column keys (:func:`avbench.leaderboard.platforms.task_columns`), and
the full report as ``<output>/report.json``. The docker image must have avbench installed
(``--docker-image``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from avbench.errors import InputError

__all__ = ["export_codabench", "score_directories"]

SCORE_PY = '''"""Codabench scoring program written by `avbench leaderboard export-codabench`: scores with avbench."""
import sys
from pathlib import Path

from avbench.errors import AvbenchError
from avbench.leaderboard.codabench import score_directories

if __name__ == "__main__":
    root_in = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/app/input")
    root_out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/app/output")
    try:
        score_directories(root_in / "ref", root_in / "res", root_out)
    except AvbenchError as exc:  # the participant sees this one line
        print(f"avbench: error: {exc}", file=sys.stderr)
        sys.exit(2)
'''


def export_codabench(task_id: str, *, split: str, reference: str | Path, out: str | Path, primary: str | None = None,
                     title: str | None = None, docker_image: str = "avbench/avbench:latest", daily_cap: int = 5,
                     time_limit: int = 600) -> list[str]:
    """Write the competition bundle for ``task_id``/``split`` under ``out``; returns the files written.

    Raises:
        InputError: unknown task or split, no data at ``reference``, or ``out`` not empty.
    """
    from avbench import registry
    from avbench.leaderboard.platforms import task_columns

    yaml = _yaml()
    task = registry.task(task_id)
    recipe = registry.dataset(task.dataset)
    ref = Path(reference)
    recipe.require(ref)
    recipe.splits(ref)[split]
    cols = task_columns(task.id, primary)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"--out {out} is not empty; give a new directory for the bundle")
    competition = {
        "version": 2,
        "title": title or f"avbench {task.id} ({split})",
        "description": f"{task.description} Scored with avbench (the code of `avbench evaluate`).",
        "docker_image": docker_image,
        "registration_auto_approve": True,
        "tasks": [{"index": 0, "name": f"{task.id} {split}", "description": f"{task.dataset}/{task.id}/{split}",
                   "scoring_program": "scoring_program", "reference_data": "reference_data"}],
        "phases": [{"index": 0, "name": split, "description": f"scored on {task.dataset}/{split}",
                    "start": "1-1-2026", "max_submissions_per_day": daily_cap, "max_submissions": 100,
                    "execution_time_limit": time_limit, "tasks": [0]}],
        "leaderboards": [{"index": 0, "title": f"{task.id} {split}", "key": "main",
                          "columns": [{"title": c.title, "key": c.key, "index": i,
                                       "sorting": c.order} for i, c in enumerate(cols)]}],
    }
    staging = Path(tempfile.mkdtemp(prefix=".avbench-codabench-", dir=out.parent if out.parent.exists() else None))
    try:
        (staging / "competition.yaml").write_text(yaml.safe_dump(competition, sort_keys=False), encoding="utf-8")
        prog = staging / "scoring_program"
        prog.mkdir()
        (prog / "score.py").write_text(SCORE_PY, encoding="utf-8")
        (prog / "metadata.yaml").write_text(yaml.safe_dump({"command": "python3 /app/program/score.py /app/input "
                                                                       "/app/output"}), encoding="utf-8")
        refdir = staging / "reference_data"
        refdir.mkdir()
        (refdir / "avbench-reference.json").write_text(json.dumps(
            {"benchmark": task.dataset, "task": task.id, "split": split,
             "primary": cols[0].key}, indent=2) + "\n", encoding="utf-8")
        shutil.copytree(ref, refdir / "dataset", symlinks=False)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def _yaml() -> Any:
    from avbench.extras import require

    return require("yaml", "core")


def score_directories(ref: str | Path, res: str | Path, out: str | Path) -> dict[str, float]:
    """The scoring program: score ``res`` against ``ref``, write ``out/scores.json`` (and
    ``out/report.json``); returns the scores.

    Raises:
        InputError: the submission is not an avbench bundle or predictions file, fails its checks,
            or is for another task or split than the competition.
    """
    from avbench.evaluation import evaluate_predictions
    from avbench.io import read_json, write_json
    from avbench.leaderboard.platforms import column_values
    from avbench.predictions import Predictions
    from avbench.submission import read_bundle
    from avbench.submission.bundle import MANIFEST, PREDICTIONS

    ref, res, out = Path(ref), Path(res), Path(out)
    cfg = read_json(ref / "avbench-reference.json")
    if (res / MANIFEST).is_file():
        with tempfile.TemporaryDirectory(prefix="avbench-res-") as tmp:
            rebuilt = Path(tmp) / "submission.zip"  # the same checks as an upload to the avbench server
            with zipfile.ZipFile(rebuilt, "w") as zf:
                for name in sorted(p.name for p in res.iterdir()):
                    zf.write(res / name, name)
            preds = read_bundle(rebuilt).predictions
    else:
        candidates = [res / PREDICTIONS] if (res / PREDICTIONS).is_file() else sorted(res.glob("*.json"))
        if len(candidates) != 1:
            raise InputError(f"{res}: submit a zip with {PREDICTIONS} (or an avbench bundle), found "
                             f"{sorted(p.name for p in res.iterdir())[:10]}")
        preds = Predictions.read(candidates[0])
    if (preds.benchmark, preds.task, preds.split) != (cfg["benchmark"], cfg["task"], cfg["split"]):
        raise InputError(f"{preds.source}: predictions are for {preds.benchmark}/{preds.task}/{preds.split}, this "
                         f"competition scores {cfg['benchmark']}/{cfg['task']}/{cfg['split']}")
    report = evaluate_predictions(preds, reference=ref / "dataset").to_dict()
    scores = column_values(report, cfg["task"], cfg.get("primary"))
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "scores.json", scores)
    write_json(out / "report.json", report)
    return scores
