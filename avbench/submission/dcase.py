"""DCASE challenge submission packages: ``avbench submit ... --format dcase``.

A DCASE package is a zip with one folder per system, named by the system label
``Lastname_Inst_taskN_K`` (first author's last name, institution abbreviation, DCASE task number,
system index 1-4), holding ``<label>.output.csv`` (the system output on the evaluation set) and
``<label>.meta.yaml`` (the system description). avbench writes and checks:

- output columns by task kind, tab-separated with a header row: scene classification
  ``filename, scene_label`` (DCASE task 1), sound event detection ``filename, onset, offset,
  event_label`` (task 4; a file without detections has no row); ``filename`` is ``<clip id>.wav``;
- ``meta.yaml`` sections ``submission`` (label, name, abbreviation of at most 10 characters,
  authors with exactly one corresponding author and their affiliation), ``system``
  (``description`` with input sampling rate, acoustic features, embeddings, data augmentation,
  machine learning method, ensemble subsystem count, decision making, external data usage;
  ``complexity.total_parameters``; ``source_code``) and ``results`` (``development_dataset``
  ``overall`` and ``class_wise``, from an ``avbench evaluate --json`` report on the development
  split), plus an ``avbench`` section naming benchmark, task, split and the predictions' SHA-256;
- the checker's rules (:func:`check_dcase_package`): the three sections, the label pattern and
  that it matches the folder and ``submission.label``, the columns, one row per file for scene
  classification and every file of the split present (when the split is on disk: no unknown
  file, the expected unique-file count), and every label in the task's class list.

SELD (task 3) packages hold one CSV per recording instead and are not written here.

Example:
    >>> check_label("Lovelace_AI_task4_1")
    'Lovelace_AI_task4_1'
    >>> check_label("lovelace-task4")
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: DCASE label 'lovelace-task4' must look like Lastname_Inst_taskN_K (e.g. Lovelace_AI_task4_1)
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from avbench.errors import InputError
from avbench.io import atomic_open, read_json, read_text
from avbench.model import Task, TaskKind
from avbench.predictions import Predictions

__all__ = ["write_dcase_package", "check_dcase_package", "check_label", "COLUMNS", "DCASE_TASK"]

LABEL = re.compile(r"^[A-Za-z][A-Za-z-]*_[A-Za-z0-9]+_task(\d+)[a-z]?_([1-9])$")
COLUMNS = {TaskKind.CLIP_CLASSIFICATION: ("filename", "scene_label"),
           TaskKind.EVENT_DETECTION: ("filename", "onset", "offset", "event_label")}
DCASE_TASK = {TaskKind.CLIP_CLASSIFICATION: 1, TaskKind.EVENT_DETECTION: 4}
DESCRIPTION_KEYS = ("input_sampling_rate", "acoustic_features", "embeddings", "data_augmentation",
                    "machine_learning_method", "ensemble_method_subsystem_count", "decision_making",
                    "external_data_usage")


def check_label(label: str, task: Task | None = None) -> str:
    """Check a system label ``Lastname_Inst_taskN_K`` (and its task number for ``task``)."""
    m = LABEL.match(label or "")
    if not m:
        raise InputError(f"DCASE label {label!r} must look like Lastname_Inst_taskN_K (e.g. Lovelace_AI_task4_1)")
    if task is not None and task.kind in DCASE_TASK and int(m.group(1)) != DCASE_TASK[task.kind]:
        raise InputError(f"DCASE label {label!r}: a {task.kind.value} system belongs to task{DCASE_TASK[task.kind]}, "
                         f"not task{m.group(1)}")
    return label


def _kind(task: Task) -> TaskKind:
    if task.kind not in COLUMNS:
        raise InputError(f"task {task.id!r} ({task.kind.value}): DCASE packages are written for scene "
                         "classification and sound event detection tasks only")
    return task.kind


def _output_rows(task: Task, preds: Predictions) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for cid in sorted(preds.clips):
        content = preds.clips[cid]
        name = f"{cid}.wav"
        if task.kind is TaskKind.CLIP_CLASSIFICATION:
            if "clip_scores" in content:
                scores = content["clip_scores"]
                label = task.labels[max(range(len(scores)), key=scores.__getitem__)]
            else:
                lab = content["clip_label"]
                label = task.labels[lab] if isinstance(lab, int) else lab
            rows.append((name, label))
        else:
            for ev in sorted(content.get("events") or [], key=lambda e: (e["onset"], e["offset"], e["label"])):
                rows.append((name, f"{float(ev['onset']):.3f}", f"{float(ev['offset']):.3f}", ev["label"]))
    return rows


def _results(report_path: str | Path) -> dict[str, Any]:
    report = read_json(report_path)
    if not isinstance(report, dict) or not isinstance(report.get("metrics"), dict):
        raise InputError(f"{report_path}: not an `avbench evaluate --json` report (no 'metrics')")
    overall: dict[str, Any] = {}
    class_wise: dict[str, dict[str, Any]] = {}
    for mid, res in report["metrics"].items():
        for key, value in (res.get("overall") or {}).items():
            overall[f"{mid}.{key}" if key != mid else mid] = value
        for cls, vals in (res.get("class_wise") or {}).items():
            for key, value in vals.items():
                class_wise.setdefault(cls, {})[f"{mid}.{key}"] = value
    return {"development_dataset": {"split": report.get("header", {}).get("split"), "overall": overall,
                                    "class_wise": class_wise}}


def write_dcase_package(preds: Predictions, system: Mapping[str, Any], out: str | Path, *, label: str,
                        dcase: Mapping[str, Any], dev_report: str | Path, sha256: str) -> Path:
    """Write a one-system DCASE package for ``preds`` (checked predictions) to ``out`` (a zip).

    Args:
        preds: predictions of a scene-classification or SED task.
        system: the checked avbench system description (:func:`avbench.submission.meta.check_meta`).
        out: the zip to write (atomically).
        label: the system label ``Lastname_Inst_taskN_K``.
        dcase: DCASE-only fields of the description: ``abbreviation`` (at most 10 characters) and
            the ``system.description`` keys (:data:`DESCRIPTION_KEYS`); missing keys are refused.
        dev_report: an ``avbench evaluate --json`` report of the system on the development split.
        sha256: SHA-256 of the predictions file.
    """
    from avbench import registry

    yaml = _yaml()
    task = registry.task(preds.task)
    _kind(task)
    check_label(label, task)
    missing = [k for k in ("abbreviation", *DESCRIPTION_KEYS) if k not in dcase]
    if missing:
        raise InputError(f"--meta: the DCASE package needs a 'dcase' section with {', '.join(missing)} "
                         "(see `avbench submit --help`)")
    meta = {
        "submission": {
            "label": label, "name": system["system_name"], "abbreviation": str(dcase["abbreviation"]),
            "authors": [_dcase_author(a) for a in system["authors"]],
        },
        "system": {
            "description": {k: dcase[k] for k in DESCRIPTION_KEYS},
            "complexity": {"total_parameters": system["parameters"]},
            "source_code": system["code_url"],
            "description_text": system["description"],
            "training_data": system["training_data"], "external_data": system["external_data"],
        },
        "results": _results(dev_report),
        "avbench": {"benchmark": preds.benchmark, "task": preds.task, "split": preds.split,
                    "version": system.get("avbench_version"), "predictions_sha256": sha256},
    }
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS[task.kind])
    writer.writerows(_output_rows(task, preds))
    with atomic_open(out, "wb") as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{label}/{label}.output.csv", buf.getvalue())
        zf.writestr(f"{label}/{label}.meta.yaml", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True))
    check_dcase_package(out)
    return Path(out)


def _dcase_author(author: Mapping[str, Any]) -> dict[str, Any]:
    first, _, last = author["name"].rpartition(" ")
    out: dict[str, Any] = {"lastname": last, "firstname": first}
    if "email" in author:
        out["email"] = author["email"]
    if author["corresponding"]:
        out["corresponding"] = True
    out["affiliation"] = {"institution": author.get("affiliation", "")}
    return out


def _yaml() -> Any:
    from avbench.extras import require

    return require("yaml", "core")


def check_dcase_package(path: str | Path, *, reference: str | Path | None = None,
                        data_dir: str | Path | None = None) -> list[str]:
    """Check a DCASE package with the submission checker's rules; returns the system labels.

    The split's clip list is read from the local data (``reference`` or the data directory) when
    it is there, for the file-count and unknown-file rules.

    Raises:
        InputError: the first broken rule, naming the file and what to do.
    """
    path = Path(path)
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise InputError(f"{path.name}: not a zip archive (a DCASE package is a zip of <label>/ folders)")
    from avbench.submission.bundle import Limits, unpack

    with tempfile.TemporaryDirectory(prefix="avbench-dcase-") as tmp:
        members = unpack(path, tmp, label=path.name, limits=Limits(max_members=64))
        systems: dict[str, set[str]] = {}
        for name in members:
            folder, _, base = name.rpartition("/")
            systems.setdefault(folder, set()).add(base)
        if not systems:
            raise InputError(f"{path.name}: empty package")
        for folder, files in sorted(systems.items()):
            _check_system(Path(tmp), path.name, folder, files, reference=reference, data_dir=data_dir)
    return sorted(systems)


def _check_system(root: Path, pkg: str, folder: str, files: set[str], *, reference: str | Path | None,
                  data_dir: str | Path | None) -> None:
    from avbench import registry

    label = folder.rsplit("/", 1)[-1]
    where = f"{pkg}:{folder or '.'}"
    try:
        check_label(label)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    want = {f"{label}.output.csv", f"{label}.meta.yaml"}
    if not want <= files:
        raise InputError(f"{where}: needs {', '.join(sorted(want - files))} (one output and one meta file per system)")
    yaml = _yaml()
    meta_name = f"{where}/{label}.meta.yaml"
    try:
        meta = yaml.safe_load(read_text(root / folder / f"{label}.meta.yaml"))
    except yaml.YAMLError:
        raise InputError(f"{meta_name}: malformed YAML") from None
    if not isinstance(meta, dict):
        raise InputError(f"{meta_name}: must be a mapping with submission, system and results sections")
    for section in ("submission", "system", "results"):
        if not isinstance(meta.get(section), dict):
            raise InputError(f"{meta_name}: missing the {section!r} section")
    sub = meta["submission"]
    if sub.get("label") != label:
        raise InputError(f"{meta_name}: submission.label {sub.get('label')!r} differs from the folder label {label!r}")
    if not isinstance(sub.get("abbreviation"), str) or not 0 < len(sub["abbreviation"]) <= 10:
        raise InputError(f"{meta_name}: submission.abbreviation must be 1-10 characters, got {sub.get('abbreviation')!r}")
    authors = sub.get("authors")
    if not isinstance(authors, list) or not authors:
        raise InputError(f"{meta_name}: submission.authors must be a non-empty list")
    if sum(1 for a in authors if isinstance(a, dict) and a.get("corresponding") is True) != 1:
        raise InputError(f"{meta_name}: exactly one author must have 'corresponding: true'")
    if not all(isinstance(a, dict) and isinstance(a.get("affiliation"), dict) for a in authors):
        raise InputError(f"{meta_name}: every author needs an affiliation")
    desc = meta["system"].get("description")
    if not isinstance(desc, dict) or [k for k in DESCRIPTION_KEYS if k not in desc]:
        raise InputError(f"{meta_name}: system.description needs {', '.join(DESCRIPTION_KEYS)}")
    params = (meta["system"].get("complexity") or {}).get("total_parameters")
    if isinstance(params, bool) or not isinstance(params, int) or params < 0:
        raise InputError(f"{meta_name}: system.complexity.total_parameters must be an integer >= 0")
    dev = meta["results"].get("development_dataset")
    if not isinstance(dev, dict) or not isinstance(dev.get("overall"), dict) or not dev["overall"]:
        raise InputError(f"{meta_name}: results.development_dataset.overall is missing or empty")
    av = meta.get("avbench")
    if not isinstance(av, dict) or not isinstance(av.get("task"), str):
        raise InputError(f"{meta_name}: the 'avbench' section (benchmark, task, split) is missing")
    task = registry.task(av["task"])
    try:
        check_label(label, task)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    _check_output(root / folder / f"{label}.output.csv", f"{where}/{label}.output.csv", task, str(av.get("split")),
                  reference=reference, data_dir=data_dir)


def _check_output(path: Path, name: str, task: Task, split: str, *, reference: str | Path | None,
                  data_dir: str | Path | None) -> None:
    cols = COLUMNS[_kind(task)]
    rows = list(csv.reader(io.StringIO(read_text(path)), delimiter="\t"))
    if not rows or tuple(c.strip() for c in rows[0]) != cols:
        raise InputError(f"{name}: the header must be {' <TAB> '.join(cols)} for {task.kind.value}, "
                         f"got {rows[0] if rows else 'an empty file'}")
    label_col = cols.index("scene_label" if "scene_label" in cols else "event_label")
    seen: dict[str, int] = {}
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(cols):
            raise InputError(f"{name}: line {i} has {len(row)} columns, expected {len(cols)} ({', '.join(cols)})")
        if row[label_col] not in task.labels:
            raise InputError(f"{name}: line {i}: label {row[label_col]!r} is not in the class list of {task.id}")
        if task.kind is TaskKind.EVENT_DETECTION:
            try:
                on, off = float(row[1]), float(row[2])
            except ValueError:
                raise InputError(f"{name}: line {i}: onset and offset must be numbers (seconds)") from None
            if not 0 <= on < off:
                raise InputError(f"{name}: line {i}: onset {on} must be >= 0 and before offset {off}")
        seen[row[0]] = seen.get(row[0], 0) + 1
    if task.kind is TaskKind.CLIP_CLASSIFICATION:
        dup = [f for f, n in seen.items() if n > 1]
        if dup:
            raise InputError(f"{name}: file {dup[0]!r} has {seen[dup[0]]} rows; scene output has one row per file")
    expected = _split_files(task, split, reference, data_dir)
    if expected is not None:
        unknown = sorted(set(seen) - expected)
        if unknown:
            raise InputError(f"{name}: {len(unknown)} file(s) not in {task.dataset}/{split} (e.g. {unknown[0]!r})")
        if task.kind is TaskKind.CLIP_CLASSIFICATION and len(seen) != len(expected):
            raise InputError(f"{name}: {len(seen)} unique files, the {task.dataset}/{split} split has {len(expected)}")


def _split_files(task: Task, split: str, reference: str | Path | None, data_dir: str | Path | None) -> set[str] | None:
    from avbench import registry
    from avbench.errors import DataNotFoundError
    from avbench.paths import dataset_dir

    recipe = registry.dataset(task.dataset)
    root = Path(reference) if reference is not None else dataset_dir(task.dataset, data_dir)
    try:
        recipe.require(root)
    except DataNotFoundError:
        return None
    return {f"{cid}.wav" for cid in recipe.splits(root)[split]}
