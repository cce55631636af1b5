"""Hugging Face Hub files, fetched by avbench's own engine; ``huggingface_hub`` (the ``[hub]``
extra) only builds the URLs and supplies the token.

Every request goes through :mod:`avbench.download.http` with the run's deadlines (stall, headers
and TLS handshake, minimum rate) and bounded retries (5xx, 429 with ``Retry-After``, broken
connections), never through the library's own HTTP client and its defaults:

1. the revision (a branch or tag, ``main`` by default) is resolved once per repository to a
   commit: ``GET /api/<type>s/<repo>/revision/<rev>`` (JSON with ``sha`` and ``siblings``), so
   all files of a run come from one commit;
2. ``HEAD /<type>s/<repo>/resolve/<commit>/<file>`` without following a redirect to another
   host gives the size (``X-Linked-Size``, else ``Content-Length``) and the ETag
   (``X-Linked-Etag``, else ``ETag``), which is the sha256 of an LFS file or the git blob id of
   a small file: both are verified; the commit is ``X-Repo-Commit``; a redirect on the same host
   (a renamed repository) is followed;
3. the bytes come from the resolve URL (redirects to the CDN drop the token).

``HF_ENDPOINT`` is read at call time; ``HF_TOKEN`` (or a saved login) authorizes gated repos.

Example:
    >>> etag_digests("a" * 64)
    {'sha256': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}
    >>> etag_digests("b" * 40)
    {'git': 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'}
"""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.parse
from typing import Any

from avbench.download import http
from avbench.download.http import Deadlines
from avbench.download.resource import HubSource
from avbench.download.sources import Remote
from avbench.errors import DownloadError
from avbench.extras import require

__all__ = ["resolve", "endpoint", "etag_digests", "list_files"]

DEFAULT_ENDPOINT = "https://huggingface.co"
_LOCK = threading.Lock()


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def etag_digests(etag: str | None) -> dict[str, str]:
    """What a Hub ETag says about the content: sha256 (LFS) or git blob id (regular file)."""
    if etag and re.fullmatch(r"[0-9a-f]{64}", etag):
        return {"sha256": etag}
    if etag and re.fullmatch(r"[0-9a-f]{40}", etag):
        return {"git": etag}
    return {}


def _hub_error(what: str, exc: Exception) -> DownloadError:
    msg = " ".join(str(exc).split())[:300]
    return DownloadError(f"Hugging Face Hub ({endpoint()}): {what}: {msg}")


def _auth() -> dict[str, str]:
    """The ``Authorization`` header of the token the library finds (``HF_TOKEN``, a saved login)."""
    from huggingface_hub.utils import build_hf_headers

    return {k: v for k, v in build_hf_headers().items() if k.lower() == "authorization"}


def _repo_info(hf: Any, repo_id: str, repo_type: str, rev: str, deadlines: Deadlines,
               cancel: threading.Event | None) -> dict[str, Any]:
    url = f"{endpoint()}/api/{repo_type}s/{repo_id}/revision/{urllib.parse.quote(rev, safe='')}"
    try:
        body, _, _ = http.get_bytes(url, headers={"Accept": "application/json", **_auth()}, deadlines=deadlines,
                                    cancel=cancel, limit=32 << 20)
        info = json.loads(body)
    except DownloadError as exc:
        raise _hub_error(f"cannot resolve {repo_type} {repo_id!r} at {rev!r}", exc) from None
    except ValueError:
        raise DownloadError(f"Hugging Face Hub ({endpoint()}): {url} did not answer JSON") from None
    if not isinstance(info, dict) or not isinstance(info.get("sha"), str) or not info["sha"]:
        raise DownloadError(f"Hugging Face Hub: {repo_id!r} at {rev!r} has no commit id")
    return info


def _commit(hf: Any, source: HubSource, deadlines: Deadlines, cache: dict[Any, Any],
            cancel: threading.Event | None) -> str:
    rev = source.revision or "main"
    if re.fullmatch(r"[0-9a-f]{40}", rev):
        return rev
    key = ("hub", endpoint(), source.repo_type, source.repo_id, rev)
    with _LOCK:
        lock = cache.setdefault(("lock",) + key, threading.Lock())
    with lock:
        if key not in cache:
            cache[key] = _repo_info(hf, source.repo_id, source.repo_type, rev, deadlines, cancel)["sha"]
        return cache[key]  # type: ignore[no-any-return]


def _etag(value: str | None) -> str | None:
    """An ETag without the weak prefix and the quotes."""
    if not value:
        return None
    value = value.strip()
    value = value[2:] if value.startswith("W/") else value
    return value.strip('"') or None


def resolve(source: HubSource, *, deadlines: Deadlines, cache: dict[Any, Any],
            cancel: threading.Event | None = None) -> Remote:
    """The resolve URL of ``source`` at a pinned commit, with its size and digests.

    Raises:
        DownloadError: the repository, revision or file does not exist, retries were exhausted,
            or a deadline passed on every attempt.
    """
    hf = require("huggingface_hub", "hub")
    commit = _commit(hf, source, deadlines, cache, cancel)
    url = hf.hf_hub_url(source.repo_id, source.filename, repo_type=source.repo_type, revision=commit,
                        endpoint=endpoint())
    auth = _auth()
    try:
        _, meta, _ = http.head(url, headers=auth, deadlines=deadlines, cancel=cancel)
    except DownloadError as exc:
        raise _hub_error(f"no metadata for {source.filename!r} in {source.repo_id!r}", exc) from None
    etag = _etag(meta.get("X-Linked-Etag") or meta.get("ETag"))
    length = meta.get("X-Linked-Size") or meta.get("Content-Length")
    size = int(length) if length and length.strip().isdigit() else None
    pinned = meta.get("X-Repo-Commit") or commit
    return Remote(url=url, headers=auth, size=size, version=f"hub:{source.repo_id}@{pinned}", **etag_digests(etag))


def list_files(repo_id: str, *, revision: str | None = None, repo_type: str = "dataset", timeout: float = 60.0,
               deadlines: Deadlines | None = None, cancel: threading.Event | None = None) -> tuple[str, list[str]]:
    """``(commit, file names)`` of a Hub repository at ``revision`` (resolved once to a commit), for
    recipes that choose files by name (mirror shards). ``deadlines`` default to ``timeout`` s
    without a byte and the default header deadline and minimum rate.

    Raises:
        DownloadError: the repository or revision does not exist or the Hub cannot be reached.
    """
    hf = require("huggingface_hub", "hub")
    info = _repo_info(hf, repo_id, repo_type, revision or "main", deadlines or Deadlines(stall=timeout), cancel)
    names = [s.get("rfilename") for s in info.get("siblings") or () if isinstance(s, dict)]
    return info["sha"], sorted(n for n in names if isinstance(n, str))
