"""Hugging Face Hub files through ``huggingface_hub`` (the ``[hub]`` extra).

``huggingface_hub`` builds the URLs and reads the metadata; the bytes stream through avbench's
own engine (Range resume, retries, the same verification as every other source):

1. the revision (a branch or tag, ``main`` by default) is resolved once per repository to a
   commit (``/api/<type>s/<repo>/revision/<rev>``), so all files of a run come from one commit;
2. ``get_hf_file_metadata`` (a HEAD on ``/<type>s/<repo>/resolve/<commit>/<file>``) gives the
   size (``X-Linked-Size`` or ``Content-Length``) and the ETag (``X-Linked-Etag`` or ``ETag``),
   which is the sha256 of an LFS file, or the git blob id of a small file: both are verified;
3. the bytes come from the resolve URL (redirects to the CDN drop the token).

``HF_ENDPOINT`` is read at call time; ``HF_TOKEN`` (or a saved login) authorizes gated repos.

Example:
    >>> etag_digests("a" * 64)
    {'sha256': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}
    >>> etag_digests("b" * 40)
    {'git': 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'}
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any

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
    return DownloadError(f"Hugging Face Hub ({endpoint()}): {what}: {type(exc).__name__}: {msg}")


def _commit(hf: Any, source: HubSource, timeout: float, cache: dict[Any, Any]) -> str:
    rev = source.revision or "main"
    if re.fullmatch(r"[0-9a-f]{40}", rev):
        return rev
    key = ("hub", endpoint(), source.repo_type, source.repo_id, rev)
    with _LOCK:
        lock = cache.setdefault(("lock",) + key, threading.Lock())
    with lock:
        if key not in cache:
            try:
                info = hf.HfApi(endpoint=endpoint()).repo_info(
                    source.repo_id, repo_type=source.repo_type, revision=rev, timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - the library raises many types
                raise _hub_error(f"cannot resolve {source.repo_type} {source.repo_id!r} at {rev!r}", exc) from None
            if not info.sha:
                raise DownloadError(f"Hugging Face Hub: {source.repo_id!r} at {rev!r} has no commit id")
            cache[key] = info.sha
        return cache[key]  # type: ignore[no-any-return]


def resolve(source: HubSource, *, timeout: float, cache: dict[Any, Any]) -> Remote:
    """The resolve URL of ``source`` at a pinned commit, with its size and digests."""
    hf = require("huggingface_hub", "hub")
    commit = _commit(hf, source, timeout, cache)
    url = hf.hf_hub_url(source.repo_id, source.filename, repo_type=source.repo_type, revision=commit,
                        endpoint=endpoint())
    import inspect

    accepted = inspect.signature(hf.get_hf_file_metadata).parameters
    extra = {k: v for k, v in (("endpoint", endpoint()), ("retry_on_errors", True)) if k in accepted}
    try:
        meta = hf.get_hf_file_metadata(url, timeout=timeout, **extra)
    except Exception as exc:  # noqa: BLE001
        raise _hub_error(f"no metadata for {source.filename!r} in {source.repo_id!r}", exc) from None
    from huggingface_hub.utils import build_hf_headers

    auth = {k: v for k, v in build_hf_headers().items() if k.lower() == "authorization"}
    return Remote(url=url, headers=auth, size=meta.size, version=f"hub:{source.repo_id}@{meta.commit_hash or commit}",
                  **etag_digests(meta.etag))


def list_files(repo_id: str, *, revision: str | None = None, repo_type: str = "dataset",
               timeout: float = 60.0) -> tuple[str, list[str]]:
    """``(commit, file names)`` of a Hub repository at ``revision`` (resolved once to a commit), for
    recipes that choose files by name (mirror shards).

    Raises:
        DownloadError: the repository or revision does not exist or the Hub cannot be reached.
    """
    hf = require("huggingface_hub", "hub")
    rev = revision or "main"
    try:
        info = hf.HfApi(endpoint=endpoint()).repo_info(repo_id, repo_type=repo_type, revision=rev, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - the library raises many types
        raise _hub_error(f"cannot resolve {repo_type} {repo_id!r} at {rev!r}", exc) from None
    if not info.sha:
        raise DownloadError(f"Hugging Face Hub: {repo_id!r} at {rev!r} has no commit id")
    return info.sha, sorted(s.rfilename for s in (info.siblings or ()))
