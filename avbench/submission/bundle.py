"""Submission bundles: ``avbench submit preds.json --meta system.yaml --out bundle.zip`` and
``avbench validate bundle.zip``.

A bundle is a zip with exactly two members::

    submission.json    {"format": "avbench-submission", "format_version": "1.0",
                        "system": {...the checked system description (avbench.submission.meta)...,
                                   "avbench_version": ..., "predictions_sha256": ...},
                        "predictions": "predictions.json"}
    predictions.json   the avbench predictions file, byte for byte as given

Reading one (:func:`read_bundle`) is what a leaderboard server does with an upload, so it trusts
nothing: the archive is size-checked from its central directory (members, declared sizes) before
anything is unpacked, unpacked with the download engine's safe extraction
(:func:`avbench.download.extract.extract`: no absolute or ``..`` names, no links out), the two
members are required and nothing else is allowed, the description is schema-checked, the
predictions' SHA-256 must match, and the predictions are validated against their task
(:meth:`avbench.predictions.Predictions.validate`). :func:`validate_bundle` adds the checks of
``avbench evaluate`` that need the split (every clip id known, none missing) by running
:func:`avbench.evaluation.evaluate_predictions` when the reference data is at hand, so the verdict
offline is the verdict of the server.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "x.zip").write_bytes(b"not a zip")
    >>> read_bundle(d / "x.zip")
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: x.zip: not a zip archive; build a bundle with `avbench submit preds.json --meta system.yaml --out bundle.zip`
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench import __version__
from avbench.errors import DownloadError, InputError
from avbench.io import atomic_open, read_json
from avbench.predictions import Predictions
from avbench.submission.meta import check_meta

__all__ = ["Bundle", "Limits", "build_bundle", "read_bundle", "validate_bundle", "unpack", "FORMAT", "FORMAT_VERSION",
           "MANIFEST", "PREDICTIONS"]

FORMAT = "avbench-submission"
FORMAT_VERSION = "1.0"
MANIFEST = "submission.json"
PREDICTIONS = "predictions.json"


@dataclass(frozen=True)
class Limits:
    """What a bundle may hold (bytes): unpacked size and member count, checked before unpacking."""

    max_unpacked: int = 512 * 2**20
    max_members: int = 8


@dataclass
class Bundle:
    """A read and checked bundle: the system description, the predictions, their SHA-256 and bytes."""

    name: str
    system: dict[str, Any]
    predictions: Predictions
    sha256: str
    data: bytes = b""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_bundle(predictions: str | Path, meta: dict[str, Any], out: str | Path) -> Bundle:
    """Write a bundle of ``predictions`` (a path) and the checked description ``meta`` to ``out``.

    ``meta`` is completed with ``avbench_version`` and ``predictions_sha256``; a given
    ``predictions_sha256`` that does not match the file is an error. The predictions are checked
    against their task before anything is written; ``out`` is written atomically.
    """
    src = Path(predictions)
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise InputError(f"{src}: cannot read the predictions ({exc.strerror})") from None
    sha = _sha256(data)
    system = dict(meta)
    if system.get("predictions_sha256", sha) != sha:
        raise InputError(f"{src}: predictions_sha256 in the system description is {system['predictions_sha256']}, "
                         f"but the file's SHA-256 is {sha}; drop the field and let `avbench submit` fill it in")
    system["predictions_sha256"] = sha
    system["avbench_version"] = __version__
    system = check_meta(system, source="system description")
    preds = _predictions(data, str(src))
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "system": system, "predictions": PREDICTIONS}
    with atomic_open(out, "wb") as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        zf.writestr(PREDICTIONS, data)
    return Bundle(Path(out).name, system, preds, sha, data)


def _predictions(data: bytes, source: str) -> Predictions:
    from avbench import registry

    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{source}: not a UTF-8 text file") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    preds = Predictions.from_dict(obj, source=source)
    task = registry.task(preds.task)
    if preds.benchmark != task.dataset:
        raise InputError(f"{source}: task {task.id!r} belongs to benchmark {task.dataset!r}, not {preds.benchmark!r}")
    preds.validate(task)
    return preds


def unpack(path: str | Path, target: str | Path, *, label: str, limits: Limits | None = None,
           hint: str = "") -> dict[str, int]:
    """Unpack an untrusted archive into ``target`` with the download engine's safe extraction
    (:func:`avbench.download.extract.extract`), after checking a zip's member count and declared
    unpacked size against ``limits``; returns ``{member: size}``.

    Raises:
        InputError: over the limits, unreadable, or an unsafe member (nothing is unpacked then).
    """
    from avbench.download.extract import extract

    path = Path(path)
    tail = f"; {hint}" if hint else ""
    if limits is not None and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"{label}: unreadable zip archive ({exc}){tail}") from None
        if len(infos) > limits.max_members:
            raise InputError(f"{label}: {len(infos)} members, at most {limits.max_members} allowed{tail}")
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_unpacked:
            raise InputError(f"{label}: unpacks to {declared} bytes, more than the {limits.max_unpacked} allowed")
    try:
        return extract(path, target)
    except DownloadError as exc:
        raise InputError(f"{label}: refused: {str(exc).split(': ', 1)[-1]}") from None


def read_bundle(path: str | Path, *, name: str | None = None, limits: Limits = Limits()) -> Bundle:
    """Unpack and check a bundle (everything but the split's clip ids; see :func:`validate_bundle`).

    Args:
        path: the bundle zip.
        name: the name used in messages (default: the file name).
        limits: unpacked-size and member-count limits.

    Raises:
        InputError: not a zip, too large, unsafe or unexpected members, a bad description, a
            SHA-256 mismatch or predictions that do not fit their task (one line naming it).
    """
    path = Path(path)
    label = name or path.name
    hint = "build a bundle with `avbench submit preds.json --meta system.yaml --out bundle.zip`"
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise InputError(f"{label}: not a zip archive; {hint}")
    with tempfile.TemporaryDirectory(prefix="avbench-bundle-") as tmp:
        members = unpack(path, tmp, label=label, limits=limits, hint=hint)
        names = set(members)
        if names != {MANIFEST, PREDICTIONS}:
            raise InputError(f"{label}: a bundle holds exactly {MANIFEST} and {PREDICTIONS}, found "
                             f"{sorted(names)[:10]}; {hint}")
        try:
            manifest = read_json(Path(tmp) / MANIFEST)
        except InputError as exc:
            raise InputError(f"{label}:{MANIFEST}: {str(exc).split(': ', 1)[-1]}") from None
        data = (Path(tmp) / PREDICTIONS).read_bytes()
    source = f"{label}:{MANIFEST}"
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"{source}: field 'format' must be {FORMAT!r}; {hint}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InputError(f"{source}: format_version {manifest.get('format_version')!r} is not supported "
                         f"(this avbench reads {FORMAT_VERSION!r})")
    extra = set(manifest) - {"format", "format_version", "system", "predictions"}
    if extra or manifest.get("predictions") != PREDICTIONS:
        raise InputError(f"{source}: expected the fields format, format_version, system and "
                         f"predictions={PREDICTIONS!r}")
    system = check_meta(manifest.get("system"), source=f"{source}: system")
    sha = _sha256(data)
    if system["predictions_sha256"] != sha:
        raise InputError(f"{label}: {PREDICTIONS} has SHA-256 {sha}, the description says "
                         f"{system['predictions_sha256']}: the bundle was altered; rebuild it with `avbench submit`")
    preds = _predictions(data, f"{label}:{PREDICTIONS}")
    return Bundle(label, system, preds, sha, data)


def validate_bundle(path: str | Path, *, name: str | None = None, reference: str | Path | None = None,
                    data_dir: str | Path | None = None, limits: Limits = Limits()) -> tuple[Bundle, Any]:
    """:func:`read_bundle`, then the split checks of ``avbench evaluate`` when the data is here.

    Returns:
        ``(bundle, report)``: the report of :func:`avbench.evaluation.evaluate_predictions` on the
        local reference, or ``None`` when the dataset is not on disk (hidden test labels: only the
        server can check the clip ids then).

    Raises:
        InputError: as :func:`read_bundle`, plus unknown or missing clip ids.
    """
    from avbench.errors import DataNotFoundError
    from avbench.evaluation import evaluate_predictions

    bundle = read_bundle(path, name=name, limits=limits)
    try:
        report = evaluate_predictions(bundle.predictions, reference=reference, data_dir=data_dir)
    except DataNotFoundError:
        return bundle, None
    return bundle, report
