"""Export a dataset split as a Hugging Face ``datasets`` dataset (extra ``[hf]``).

One row per clip, in split order, with these columns (``datasets`` features):

- ``clip_id`` (string), ``duration`` (float64, seconds);
- ``audio``: ``Audio(decode=False)`` holding the file's bytes and name (self-contained: the export
  does not point into the avbench data directory), or ``None`` when the clip has no audio file;
- ``video``: the video file name relative to the dataset root (string; ``None`` when there is none);
- ``labels``: the clip's weak / scene labels (list of strings) and ``label_ids`` (list of
  ``ClassLabel`` over the dataset's classes);
- ``segment_labels``: per-segment class indices (list of int; empty when the dataset has none);
- ``events``: list of ``{onset, offset, label, azimuth, elevation, distance}`` (seconds, degrees,
  metres; ``NaN`` where not given);
- the availability masks: ``has_audio`` (bool), ``has_video`` (bool; ``None`` = never checked),
  ``video_segments`` (list of bool, empty = no per-segment mask), ``cameras`` (JSON object text,
  ``{camera: usable}``).

A dataset card (``README.md``: source, license, citation, the mask semantics) is written beside the
data. With ``push_to_hub`` the dataset is uploaded to that repository (``huggingface_hub`` token
from ``token`` or the usual environment).

Example:
    >>> import tempfile, pathlib, avbench
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> avbench.recipe("ave").make_toy(root / "ave")
    >>> out = export_hf("ave", "test", root / "hf", data_dir=root)
    >>> import datasets
    >>> d = datasets.load_from_disk(str(out))
    >>> d.num_rows, d[0]["segment_labels"], d[0]["has_video"], d[0]["audio"]["path"]
    (2, [28, 28, 2, 2, 2, 28, 28, 28, 28, 28], True, 'toyAAAAAAA3.mp4')
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from avbench.errors import InputError
from avbench.extras import require

__all__ = ["export_hf", "rows"]


def _classes(name: str) -> list[str]:
    from avbench import registry

    labels: list[str] = []
    for t in registry.dataset(name).tasks():
        for lab in t.labels:
            if lab not in labels:
                labels.append(lab)
    return labels


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def rows(name: str, split: str, *, data_dir: str | os.PathLike[str] | None = None) -> tuple[dict[str, list], list[str]]:
    """The export's columns as plain lists (``{column: values}``) and the class list.

    Raises:
        InputError: unknown dataset or split; a listed audio file that is not on disk.
        DataNotFoundError: the dataset is not on disk.
    """
    from avbench.api import load
    from avbench.paths import dataset_dir

    clips = load(name, split, data_dir=data_dir)
    root = dataset_dir(name, data_dir)
    classes = _classes(name)
    cols: dict[str, list] = {k: [] for k in ("clip_id", "duration", "audio", "video", "labels", "label_ids",
                                             "segment_labels", "events", "has_audio", "has_video",
                                             "video_segments", "cameras")}
    for cid, c in clips.items():
        audio = None
        if c.audio is not None and c.has_audio:
            p = root / c.audio
            if not p.is_file():
                raise InputError(f"clip {cid!r}: audio file {p} is listed but missing; run `avbench verify {name}`")
            audio = {"bytes": p.read_bytes(), "path": p.name}
        cols["clip_id"].append(cid)
        cols["duration"].append(float(c.duration))
        cols["audio"].append(audio)
        cols["video"].append(c.video)
        cols["labels"].append(list(c.clip_labels))
        cols["label_ids"].append([classes.index(lab) for lab in c.clip_labels if lab in classes])
        cols["segment_labels"].append(list(c.segment_labels or ()))
        cols["events"].append([{"onset": e.onset, "offset": e.offset, "label": e.label, "azimuth": _num(e.azimuth),
                                "elevation": _num(e.elevation), "distance": _num(e.distance)} for e in c.events])
        cols["has_audio"].append(bool(c.has_audio))
        cols["has_video"].append(None if c.has_video is None else bool(c.has_video))
        cols["video_segments"].append([bool(v) for v in (c.video_segments or ())])
        cols["cameras"].append(json.dumps({k: bool(v) for k, v in dict(c.cameras).items()}, sort_keys=True))
    return cols, classes


def _features(ds: Any, classes: list[str]) -> Any:
    return ds.Features({
        "clip_id": ds.Value("string"),
        "duration": ds.Value("float64"),
        "audio": ds.Audio(decode=False),
        "video": ds.Value("string"),
        "labels": ds.Sequence(ds.Value("string")),
        "label_ids": ds.Sequence(ds.ClassLabel(names=classes or ["none"])),
        "segment_labels": ds.Sequence(ds.Value("int64")),
        "events": [{"onset": ds.Value("float64"), "offset": ds.Value("float64"),  # a list of structs
                    "label": ds.Value("string"), "azimuth": ds.Value("float64"),
                    "elevation": ds.Value("float64"), "distance": ds.Value("float64")}],
        "has_audio": ds.Value("bool"),
        "has_video": ds.Value("bool"),
        "video_segments": ds.Sequence(ds.Value("bool")),
        "cameras": ds.Value("string"),
    })


def _card(name: str, split: str, n: int) -> str:
    from avbench import __version__, registry

    r = registry.dataset(name)
    return (
        f"---\nlicense: other\npretty_name: {r.title or name}\n---\n# {r.title or name} ({split} split)\n\n"
        f"Exported by avbench {__version__} from the `{name}` recipe version {r.version}: {n} clips.\n\n"
        f"- Source: {r.homepage}\n- License: {r.license}\n\n"
        "Availability masks: `has_video` is true (usable video), false (checked: missing, removed or "
        "undecodable) or null (never checked); `video_segments` gives per-segment video usability "
        "(empty: no per-segment mask); `cameras` is a JSON object of per-camera usability.\n\n"
        f"## Citation\n\n```\n{r.citation}\n```\n"
    )


def export_hf(
    name: str,
    split: str,
    out_dir: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    push_to_hub: str | None = None,
    token: str | None = None,
) -> Path:
    """Write split ``split`` of dataset ``name`` to ``out_dir`` with ``datasets.Dataset.save_to_disk``.

    Args:
        name, split: the dataset and split (as :func:`avbench.load`).
        out_dir: a new or empty directory; it is written atomically (a temporary sibling renamed
            at the end), so a failed export leaves nothing behind.
        data_dir: the avbench data directory.
        push_to_hub: a Hub repository id (``user/name``) to upload to as well.
        token: the Hub token (default: ``huggingface_hub``'s usual lookup).

    Returns:
        ``out_dir``.

    Raises:
        InputError: ``out_dir`` exists and is not empty; unknown dataset or split.
        MissingExtraError: ``datasets`` is not installed (extra ``[hf]``).
    """
    from avbench.api import resolve

    resolve(name, split, data_dir=data_dir)  # a wrong name or split is said first, whatever is installed
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out}: exists and is not an empty directory; choose a new directory for the export")
    ds = require("datasets", "hf")
    cols, classes = rows(name, split, data_dir=data_dir)
    features = _features(ds, classes)
    # the Arrow table is built directly: the columns already hold what the features store (audio
    # as {bytes, path}), and datasets >= 4 would need torchcodec just to pass audio bytes through
    pa = require("pyarrow", "hf")
    table = pa.Table.from_pydict(cols, schema=features.arrow_schema)
    data = ds.Dataset(table, info=ds.DatasetInfo(features=features), split=ds.NamedSplit(split))
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    try:
        data.save_to_disk(str(tmp))
        (tmp / "README.md").write_text(_card(name, split, len(data)), encoding="utf-8")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if push_to_hub:
        data.push_to_hub(push_to_hub, token=token, split=split)
    return out
