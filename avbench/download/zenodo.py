"""Zenodo records through the REST API (``GET /api/records/<id>``).

The record lists its files with ``key``, ``size``, ``checksum`` (``"md5:<hex>"``) and
``links.self`` (the content URL). The record's title is checked against
:attr:`~avbench.download.resource.ZenodoSource.title` (case and spacing ignored) so a recipe
pointing at the wrong record fails before any byte is fetched.

Example:
    >>> same_title("TAU Urban  Audio-Visual Scenes 2021", "tau urban audio-visual scenes 2021")
    True
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from avbench.download.http import Deadlines, get_bytes
from avbench.download.resource import ZenodoSource
from avbench.download.sources import Remote
from avbench.errors import DownloadError

__all__ = ["resolve", "record_metadata", "same_title", "DEFAULT_URL"]

DEFAULT_URL = "https://zenodo.org"
_LOCK = threading.Lock()


def base_url() -> str:
    return os.environ.get("AVBENCH_ZENODO_URL", DEFAULT_URL).rstrip("/")


def same_title(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def record_metadata(record: int, *, cache: dict[Any, Any], timeout: float = 60.0, deadlines: Deadlines | None = None,
                    cancel: threading.Event | None = None) -> dict[str, Any]:
    """The JSON of record ``record`` (fetched once per ``cache``, under ``deadlines`` like a file
    body; by default ``timeout`` s without a byte and the default header deadline and minimum
    rate); retry waits end when ``cancel`` is set (:class:`~avbench.download._progress.Cancelled`)."""
    key = ("zenodo", record)
    with _LOCK:
        lock = cache.setdefault(("lock",) + key, threading.Lock())
    with lock:
        if key not in cache:
            url = f"{base_url()}/api/records/{record}"
            body, _, _ = get_bytes(url, headers={"Accept": "application/json"},
                                   deadlines=deadlines or Deadlines(stall=timeout), cancel=cancel)
            try:
                data = json.loads(body)
            except ValueError:
                raise DownloadError(f"Zenodo record {record}: {url} did not answer JSON") from None
            if not isinstance(data, dict) or not isinstance(data.get("files"), list):
                raise DownloadError(f"Zenodo record {record}: the API answer has no file list ({url})")
            cache[key] = data
        return cache[key]  # type: ignore[no-any-return]


def resolve(source: ZenodoSource, *, deadlines: Deadlines, cache: dict[Any, Any],
            cancel: threading.Event | None = None) -> Remote:
    """The content URL, size and md5 of ``source.filename`` in its record.

    Raises:
        DownloadError: the record's title differs from the recipe's, or the file is not in it.
    """
    data = record_metadata(source.record, deadlines=deadlines, cache=cache, cancel=cancel)
    meta = data.get("metadata") or {}
    title = str(meta.get("title", ""))
    if source.title is not None and not same_title(source.title, title):
        raise DownloadError(f"Zenodo record {source.record} is titled {title!r}, the recipe expects "
                            f"{source.title!r}: the recipe points at the wrong record")
    files = {str(f.get("key") or f.get("filename")): f for f in data["files"] if isinstance(f, dict)}
    entry = files.get(source.filename)
    if entry is None:
        known = ", ".join(sorted(files)[:8]) + (" ..." if len(files) > 8 else "")
        raise DownloadError(f"Zenodo record {source.record} has no file {source.filename!r}; it has: {known}")
    links = entry.get("links") or {}
    url = links.get("self") or links.get("content") or \
        f"{base_url()}/records/{source.record}/files/{source.filename}?download=1"
    checksum = str(entry.get("checksum") or "")
    algo, _, value = checksum.partition(":")
    version = f"zenodo:{source.record}" + (f" v{meta['version']}" if meta.get("version") else "")
    size = entry.get("size", entry.get("filesize"))
    return Remote(url=url, size=int(size) if size is not None else None,
                  md5=value.lower() if algo == "md5" and value else None, version=version)
