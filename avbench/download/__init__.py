"""The one module through which every network byte of avbench goes.

Recipes describe files as :class:`Resource` objects; :func:`fetch_resources` fetches them
(resumable, size- and hash-verified while streaming, atomic, retried with backoff, safe archive
extraction). See :mod:`avbench.download.engine` for the details.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avbench.download.resource import (
    GDriveSource,
    HttpSource,
    HubSource,
    Resource,
    Source,
    YouTubeClip,
    ZenodoSource,
)

__all__ = [
    "Source",
    "HttpSource",
    "ZenodoSource",
    "GDriveSource",
    "HubSource",
    "Resource",
    "YouTubeClip",
    "fetch_resources",
]


def fetch_resources(resources: list[Resource], root: Path, **options: Any) -> Any:
    """Fetch ``resources`` under ``root``; see :func:`avbench.download.engine.fetch_resources`."""
    from avbench.download.engine import fetch_resources as _fetch

    return _fetch(resources, root, **options)
