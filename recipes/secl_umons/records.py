"""Which Zenodo record holds which UMONS set: resolved through the records API and checked by title.

The sources disagree: the thesis (ch. 4) names 3965492 for SECL-UMONS and 3932885 for AVECL-UMONS,
the dataset's README names 3632377 for SECL-UMONS and 3965492 for AVECL-UMONS. Each set lists its
candidate records in ``index/layout.json``; :func:`resolve_record` asks the API for each in turn
and takes the first whose title matches the set's pattern (``SECL-UMONS`` never matches
``AVECL-UMONS``). When none does, the error lists what every candidate is titled, so a record that
changed hands is reported instead of fetched. The record chosen (id, title, version, files with
size and md5) is written to ``avbench/zenodo-<set>.json`` beside the data.

Example:
    >>> title_matches("secl", "SECL-UMons Database for Sound Event Classification and Localization")
    True
    >>> title_matches("secl", "AVECL-UMons database for audio-visual event classification")
    False
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench.download.resource import Resource, ZenodoSource
from avbench.errors import DownloadError
from avbench.io import write_json
from avbench.recipes.secl_umons.layout import layout

__all__ = ["Record", "title_matches", "resolve_record", "record_resources"]


@dataclass(frozen=True)
class Record:
    """A resolved record: ``files`` are ``(key, size, md5)``."""

    kind: str
    record: int
    title: str
    version: str | None
    files: tuple[tuple[str, int | None, str | None], ...]


def title_matches(kind: str, title: str) -> bool:
    """Whether ``title`` is the title of set ``kind`` (``secl`` or ``avecl``)."""
    return re.search(layout()["records"][kind]["title_pattern"], title, re.I) is not None


def resolve_record(kind: str, *, timeout: float = 60.0) -> Record:
    """The first candidate record of ``kind`` whose title matches (module docstring).

    Raises:
        DownloadError: no candidate has a matching title (every candidate's answer is named).
    """
    from avbench.download.zenodo import record_metadata

    spec = layout()["records"][kind]
    seen = []
    answered = False
    cache: dict[Any, Any] = {}
    for rec in spec["candidates"]:
        try:
            data = record_metadata(int(rec), timeout=timeout, cache=cache)
        except DownloadError as exc:
            seen.append(f"{rec}: {exc}")
            continue
        answered = True
        meta = data.get("metadata") or {}
        title = str(meta.get("title", ""))
        if not title_matches(kind, title):
            seen.append(f"{rec}: titled {title!r}")
            continue
        files = []
        for f in data["files"]:
            key = str(f.get("key") or f.get("filename") or "")
            algo, _, value = str(f.get("checksum") or "").partition(":")
            size = f.get("size", f.get("filesize"))
            files.append((key, int(size) if size is not None else None, value.lower() if algo == "md5" and value else None))
        return Record(kind, int(rec), title, str(meta["version"]) if meta.get("version") else None, tuple(files))
    name = {"secl": "SECL-UMONS", "avecl": "AVECL-UMONS"}[kind]
    if not answered:
        raise DownloadError(f"cannot resolve the {name} record through the Zenodo API: " + "; ".join(seen))
    raise DownloadError(f"no Zenodo record of {name} found: " + "; ".join(seen) +
                        f" (none titled like /{spec['title_pattern']}/); report it so the index can be corrected")


def _part(kind: str, key: str) -> str:
    low = key.lower()
    if low.endswith((".csv", ".md", ".txt", ".pdf", ".json")):
        return "meta"
    return "video" if kind == "avecl" else "audio"


def record_resources(record: Record, parts: tuple[str, ...] | list[str] | set[str], *, into: str) -> list[Resource]:
    """Resources of ``record``'s files in ``parts`` under ``into/`` (archives extracted there).

    A SECL-UMONS archive holds metadata and audio together: it belongs to ``audio`` and is fetched
    for ``meta`` too (no smaller file carries the labels).
    """
    out = []
    for key, size, md5 in record.files:
        part = _part(record.kind, key)
        wanted = part in parts or (part == "audio" and "meta" in parts)
        if not wanted:
            continue
        archive = key.lower().endswith((".zip", ".tar", ".tar.gz", ".tgz"))
        out.append(Resource(f"{into}/{key}", ZenodoSource(record.record, key, title=record.title), size=size, md5=md5,
                            part=part, extract_to=into if archive else None))
    return out


def write_record(root: Path, record: Record) -> Path:
    """Write ``avbench/zenodo-<kind>.json`` (the record this data came from)."""
    path = Path(root) / "avbench" / f"zenodo-{record.kind}.json"
    write_json(path, {"record": record.record, "title": record.title, "version": record.version,
                      "files": [{"key": k, "size": s, "md5": m} for k, s, m in record.files]})
    return path
