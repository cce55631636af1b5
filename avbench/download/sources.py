"""From a :class:`~avbench.download.resource.Source` to a concrete URL with what is known about it.

Every source kind resolves to a :class:`Remote`: the URL to stream, headers to send, and the size
and digests the host publishes (Zenodo's md5, the Hub's sha256 ETag or git blob id). The engine
checks those against the recipe's own values before fetching, and verifies the bytes against all
of them while streaming.

Endpoints can be redirected (tests, corporate proxies): ``AVBENCH_ZENODO_URL`` (default
``https://zenodo.org``), ``AVBENCH_GDRIVE_URL`` (default
``https://drive.usercontent.google.com/download``) and ``HF_ENDPOINT`` (the Hub's own variable,
default ``https://huggingface.co``). ``--mirror BASE`` replaces every source by
``BASE/<Source.mirror_path>`` and trusts only the recipe's sizes and digests.

Example:
    >>> from avbench.download.resource import ZenodoSource
    >>> mirror_remote(ZenodoSource(4477542, "meta.zip"), "https://mirror.example.org/avbench/").url
    'https://mirror.example.org/avbench/zenodo/4477542/meta.zip'
"""

from __future__ import annotations

import threading
import urllib.parse
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

from avbench.download.http import Deadlines
from avbench.download.resource import GDriveSource, HttpSource, HubSource, Source, ZenodoSource
from avbench.errors import DownloadError

__all__ = ["Remote", "resolve", "mirror_remote"]


@dataclass
class Remote:
    """A resolved source.

    Args:
        url: what to GET (Range requests resume it).
        headers: extra request headers (authorization for the Hub; cookies for old Drive links).
        size, sha256, md5, git: what the host publishes about the file (``None`` when nothing).
        version: a pinned identity of the upstream (``zenodo:<record>``, ``hub:<repo>@<commit>``).
    """

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    size: int | None = None
    sha256: str | None = None
    md5: str | None = None
    git: str | None = None
    version: str | None = None

    def describe(self) -> dict[str, Any]:
        return {"url": self.url, "version": self.version}


def mirror_remote(source: Source, base: str) -> Remote:
    """The mirror copy of ``source`` under ``base``."""
    if not base.startswith(("http://", "https://", "file://")):
        local = Path(base).expanduser()
        if not local.is_dir():
            raise DownloadError(f"--mirror must be an http(s) URL, a file:// URL or a local directory, got {base!r}")
        base = local.resolve().as_uri()  # a local directory: the same verified copy, from disk
    path = urllib.parse.quote(source.mirror_path, safe="/")
    return Remote(url=base.rstrip("/") + "/" + path, version=f"mirror:{base}")


def resolve(source: Source, *, deadlines: Deadlines, cache: dict[Any, Any],
            cancel: threading.Event | None = None) -> Remote:
    """Resolve ``source`` (network access for Zenodo, Drive and the Hub).

    ``cache`` is shared by the calls of one engine run (one Zenodo API call per record, one Hub
    revision lookup per repository). Every metadata request goes through
    :mod:`avbench.download.http` with the run's ``deadlines`` (stall, headers and TLS handshake,
    minimum rate) and bounded retries; a set ``cancel`` ends the retry waits at once (Ctrl-C).
    """
    if isinstance(source, HttpSource):
        return Remote(url=source.url)
    if isinstance(source, ZenodoSource):
        from avbench.download import zenodo

        return zenodo.resolve(source, deadlines=deadlines, cache=cache, cancel=cancel)
    if isinstance(source, GDriveSource):
        from avbench.download import gdrive

        return gdrive.resolve(source, deadlines=deadlines, cancel=cancel)
    if isinstance(source, HubSource):
        from avbench.download import hub

        return hub.resolve(source, deadlines=deadlines, cache=cache, cancel=cancel)
    raise DownloadError(f"no downloader for source kind {getattr(source, 'kind', type(source).__name__)!r}")
