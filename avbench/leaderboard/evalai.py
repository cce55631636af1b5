"""EvalAI's evaluation-script entry point, scoring with the code of ``avbench evaluate``.

In the challenge's ``evaluation_script/__init__.py``::

    from avbench.leaderboard.evalai import evaluate

EvalAI calls ``evaluate(test_annotation_file, user_submission_file, phase_codename, **kwargs)``:

- ``test_annotation_file``: the phase's annotation file, here the dataset root holding the
  reference labels, as a directory or as a zip / tar archive of it (unpacked with the download
  engine's safe extraction into a temporary directory);
- ``user_submission_file``: an avbench submission bundle (checked like an upload to the avbench
  server) or a bare predictions JSON;
- ``kwargs``: ``submission_metadata`` (ignored), ``split_codename`` (the leaderboard split's
  codename; default the predictions' split), ``primary`` (the ranking metric id).

It returns ``{"result": [{split: {column: value}}], "submission_result": {...}}``: the columns of
:func:`avbench.leaderboard.platforms.task_columns` (also the keys of the leaderboard schema's
``labels``), and the full report. Failures raise (EvalAI shows the message to the participant).

Example:
    >>> evaluate("/nonexistent", "/nonexistent.json", "test")
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: /nonexistent: the annotation file must be the dataset root (a directory, or a zip / tar archive of it)
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Any

from avbench.errors import InputError

__all__ = ["evaluate"]


def _predictions(path: Path) -> Any:
    from avbench.predictions import Predictions
    from avbench.submission import read_bundle

    if zipfile.is_zipfile(path):
        return read_bundle(path).predictions
    return Predictions.read(path)


def evaluate(test_annotation_file: str, user_submission_file: str, phase_codename: str, **kwargs: Any) -> dict[str, Any]:
    """Score a submission for EvalAI; see the module docstring for the arguments and result."""
    from avbench.download.extract import is_archive
    from avbench.submission.bundle import unpack
    from avbench.evaluation import evaluate_predictions
    from avbench.leaderboard.platforms import column_values

    ann = Path(test_annotation_file)
    with tempfile.TemporaryDirectory(prefix="avbench-evalai-") as tmp:
        if ann.is_dir():
            root = ann
        elif ann.is_file() and is_archive(ann.name):
            unpack(ann, tmp, label=str(ann))
            entries = [p for p in Path(tmp).iterdir()]
            root = entries[0] if len(entries) == 1 and entries[0].is_dir() else Path(tmp)
        else:
            raise InputError(f"{ann}: the annotation file must be the dataset root (a directory, or a zip / tar "
                             "archive of it)")
        preds = _predictions(Path(user_submission_file))
        report = evaluate_predictions(preds, reference=root).to_dict()
    split = str(kwargs.get("split_codename") or preds.split)
    values = column_values(report, preds.task, kwargs.get("primary"))
    report["header"]["phase"] = phase_codename
    return {"result": [{split: values}], "submission_result": report}
