"""AVE metadata: the packaged index, annotation rows, split files and clip records.

The index (``index/index.json``, ``index/splits.json``) is data produced by
``index/make_index.py`` from the released files. Rows are numbered 0..4142 in the order of the
header-less ``Annotations.txt``: the index space of every released ``.h5`` array. A clip id is
``"{row:04d}_{youtube_id}"``: keyed by annotation row, because 45 YouTube ids carry several rows (44
two, one three: different events over the same video), 18 of them across splits.

Segment rule (AVE-ECCV18): second ``k`` carries the class when ``StartTime <= k < EndTime``, else
background (index 28). One released row (``Church bell&VWi2ENBuTbw&good&0&0``) has an empty event: its
segments are all background while its clip-level (weak) label stays ``Church bell``, as in
``mil_labels.h5``.

Example:
    >>> rows = parse_annotations(["Category&VideoID&Quality&StartTime&EndTime",
    ...                           "Bark&abcdefghijk&good&2&5"], source="a.txt")
    >>> rows[0].segment_labels(classes())
    [28, 28, 2, 2, 2, 28, 28, 28, 28, 28]
    >>> rows[0].clip_id
    '0000_abcdefghijk'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from avbench.errors import DataNotFoundError, InputError
from avbench.model import Clip, Event, segment_labels_from_events

__all__ = [
    "HEADER",
    "Row",
    "index",
    "index_splits",
    "classes",
    "parse_annotations",
    "read_rows",
    "read_split_rows",
    "make_clip",
    "sha256_file",
    "annotation_path",
]

HEADER = "Category&VideoID&Quality&StartTime&EndTime"
N_SEGMENTS = 10
ARCHIVE_DIR = "AVE_Dataset"
SPLIT_FILES = {"train": "trainSet.txt", "val": "valSet.txt", "test": "testSet.txt"}


@cache
def index() -> dict[str, Any]:
    """The packaged AVE index (class list, files with hosting, sizes and digests)."""
    text = resources.files("avbench.recipes.ave").joinpath("index/index.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def index_splits() -> dict[str, tuple[int, ...]]:
    """Row numbers per split as released in ``*_order.h5`` (and ``cml_*``: ``*_order_match.h5``)."""
    text = resources.files("avbench.recipes.ave").joinpath("index/splits.json").read_text(encoding="utf-8")
    return {k: tuple(v) for k, v in json.loads(text).items()}


def classes() -> tuple[str, ...]:
    """The 28 event classes in ``categories.txt`` order (background is index 28, implicit)."""
    return tuple(index()["classes"])


@dataclass(frozen=True)
class Row:
    """One annotation row: ``Category&VideoID&Quality&StartTime&EndTime`` (times in whole seconds)."""

    row: int
    category: str
    youtube_id: str
    quality: str
    start: int
    end: int

    @property
    def clip_id(self) -> str:
        return f"{self.row:04d}_{self.youtube_id}"

    @property
    def text(self) -> str:
        return f"{self.category}&{self.youtube_id}&{self.quality}&{self.start}&{self.end}"

    def events(self, labels: Sequence[str]) -> tuple[Event, ...]:
        """The event ``[start, end)`` s, or none for an empty (start == end) row."""
        if self.end <= self.start:
            return ()
        return (Event(float(self.start), float(self.end), self.category, labels=labels),)

    def segment_labels(self, labels: Sequence[str]) -> list[int]:
        """Per-second class indices, background = ``len(labels)``."""
        return segment_labels_from_events(self.events(labels), labels, n_segments=N_SEGMENTS)


def _parse_line(line: str, row: int, where: str, labels: Sequence[str]) -> Row:
    fields = line.split("&")
    if len(fields) != 5:
        raise InputError(
            f"{where}: expected 5 '&'-separated fields ({HEADER}), got {len(fields)}: {line!r}"
        )
    cat, vid, quality, start_s, end_s = fields
    if cat not in labels:
        raise InputError(f"{where}: unknown AVE category {cat!r}; the 28 classes are those of categories.txt")
    if not vid:
        raise InputError(f"{where}: empty VideoID")
    try:
        start, end = int(start_s), int(end_s)
    except ValueError:
        raise InputError(f"{where}: StartTime/EndTime must be whole seconds, got {start_s!r}, {end_s!r}") from None
    if not 0 <= start <= end <= N_SEGMENTS:
        raise InputError(f"{where}: need 0 <= StartTime <= EndTime <= 10, got {start}, {end}")
    return Row(row, cat, vid, quality, start, end)


def parse_annotations(lines: Iterable[str], *, source: str, labels: Sequence[str] | None = None) -> list[Row]:
    """Parse annotation lines (an optional header line first); row numbers count data lines from 0.

    Raises:
        InputError: a malformed line, naming ``source`` and the line number.
    """
    labels = classes() if labels is None else labels
    out: list[Row] = []
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if lineno == 1 and line == HEADER:
            continue
        if not line.strip():
            continue
        out.append(_parse_line(line, len(out), f"{source} line {lineno}", labels))
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def annotation_path(root: Path) -> Path | None:
    """``AVE_Dataset/Annotations.txt`` (from the archive) or else ``data/Annotations.txt`` (GitHub)."""
    for rel in (f"{ARCHIVE_DIR}/Annotations.txt", "data/Annotations.txt"):
        if (root / rel).is_file():
            return root / rel
    return None


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None


def read_rows(root: Path) -> tuple[list[Row], bool]:
    """All annotation rows under ``root`` and whether the file is the released one (sha256).

    Raises:
        DataNotFoundError: no annotation file; the message names the command that fetches it.
    """
    path = annotation_path(root)
    if path is None:
        raise DataNotFoundError(
            f"no AVE annotations in {root} ({ARCHIVE_DIR}/Annotations.txt or data/Annotations.txt): "
            "run `avbench download ave`"
        )
    rel = path.relative_to(root).as_posix()
    known = {f["path"]: f.get("sha256") for f in index()["files"]} | index()["archive_members_sha256"]
    released = known.get(rel) == sha256_file(path)
    return parse_annotations(_read_lines(path), source=str(path)), released


def read_split_rows(root: Path, rows: Sequence[Row], *, released: bool) -> dict[str, tuple[int, ...]]:
    """Row numbers of each split: from ``AVE_Dataset/{train,val,test}Set.txt`` (each line must be an
    annotation row, matched by its full text), or, for the released annotation file without the
    archive, from the packaged index; ``cml_*`` (the reference code's ``*_order_match.h5``) only for
    the released file.

    Raises:
        InputError: a split line that is no annotation row, or split files that disagree with the
            released ``*_order.h5`` order for the released annotation file.
        DataNotFoundError: neither split files nor a released annotation file.
    """
    by_text: dict[str, int] = {}
    for r in rows:
        by_text.setdefault(r.text, r.row)
    out: dict[str, tuple[int, ...]] = {}
    base = root / ARCHIVE_DIR
    if all((base / f).is_file() for f in SPLIT_FILES.values()):
        for name, fname in SPLIT_FILES.items():
            found = []
            for lineno, line in enumerate(_read_lines(base / fname), start=1):
                line = line.rstrip("\r")
                if not line.strip():
                    continue
                if line not in by_text:
                    raise InputError(
                        f"{base / fname} line {lineno}: {line!r} is not a row of Annotations.txt; "
                        "delete AVE_Dataset/ and run `avbench download ave` to extract it again"
                    )
                found.append(by_text[line])
            out[name] = tuple(found)
        if released:
            ref = index_splits()
            for name in SPLIT_FILES:
                if out[name] != ref[name]:
                    raise InputError(
                        f"{base / SPLIT_FILES[name]}: rows differ from the released {name}_order.h5 "
                        f"({len(out[name])} vs {len(ref[name])} rows); the split file is not the released one"
                    )
    elif released:
        out = {name: index_splits()[name] for name in SPLIT_FILES}
    else:
        raise DataNotFoundError(
            f"no AVE split files in {base} (trainSet.txt, valSet.txt, testSet.txt): run `avbench download ave`"
        )
    if released:
        out.update({k: v for k, v in index_splits().items() if k.startswith("cml_")})
    return out


def make_clip(row: Row, *, labels: Sequence[str], video: str | None, has_video: bool | None,
              split: str | None) -> Clip:
    """The :class:`~avbench.model.Clip` of one annotation row (10 s, one event or none)."""
    return Clip(
        id=row.clip_id,
        duration=float(N_SEGMENTS),
        audio=video,
        video=video,
        features={"audio": f"data/audio_feature.h5#{row.row}", "visual": f"data/visual_feature.h5#{row.row}"},
        events=row.events(labels),
        segment_labels=tuple(row.segment_labels(labels)),
        clip_labels=(row.category,),
        has_video=has_video,
        meta={
            "row": row.row,
            "youtube_id": row.youtube_id,
            "category": row.category,
            "quality": row.quality,
            "start": row.start,
            "end": row.end,
            "split": split,
        },
    )
