"""Upload a bundle to an avbench leaderboard server: ``avbench submit ... --to URL --token TOKEN``.

The protocol (served by :mod:`avbench.leaderboard.app`)::

    POST {url}/api/submissions[?board=NAME]   body: the bundle zip
         Authorization: Bearer <team token>, X-Avbench-Filename: <bundle name>
      -> 202 {"id": n, "status": "queued", ...}  or  4xx {"error": "<one line>"}
    GET  {url}/api/submissions/{n}
      -> {"id", "status": queued|scoring|scored|failed, "error", "scores": {metric: {key: value}}, ...}

The client polls until the submission is scored or failed (or ``wait`` seconds pass) and returns
the last answer; a refusal or a failure is an :class:`~avbench.errors.InputError` with the
server's reason.

Example:
    >>> upload_bundle("bundle.zip", "ftp://example.org", token="t")
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: --to 'ftp://example.org' must be an http:// or https:// URL of an avbench leaderboard server
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from avbench.errors import InputError

__all__ = ["upload_bundle", "DONE"]

DONE = ("scored", "failed")


def _request(req: urllib.request.Request, timeout: float) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - scheme checked by the caller
            return resp.status, json.loads(resp.read().decode("utf-8") or "{}")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")
        try:
            return exc.code, json.loads(body)
        except json.JSONDecodeError:
            return exc.code, {"error": body.strip()[:300] or exc.reason}
    except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"{req.full_url}: the leaderboard server did not answer ({reason}); check --to") from None


def upload_bundle(bundle: str | Path, url: str, *, token: str, board: str | None = None, wait: float = 300.0,
                  poll: float = 0.2, timeout: float = 60.0) -> dict[str, Any]:
    """Upload ``bundle`` and wait for its score.

    Args:
        bundle: a bundle zip written by :func:`avbench.submission.build_bundle`.
        url: the server's base URL (``http://host:port``).
        token: the team token handed out by the host.
        board: the board name (default: the server picks the board of the predictions' task/split).
        wait: seconds to wait for the score; 0 returns right after the upload.
        poll: seconds between status queries.
        timeout: seconds per HTTP request.

    Returns:
        The server's last answer for the submission (``status``, ``scores``, ``error``...).

    Raises:
        InputError: the server refused the upload, scoring failed, or no score came within ``wait``.
    """
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise InputError(f"--to {url!r} must be an http:// or https:// URL of an avbench leaderboard server")
    path = Path(bundle)
    data = path.read_bytes()
    base = url.rstrip("/")
    query = f"?{urllib.parse.urlencode({'board': board})}" if board else ""
    req = urllib.request.Request(f"{base}/api/submissions{query}", data=data, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/zip",
        "X-Avbench-Filename": path.name})
    status, answer = _request(req, timeout)
    if status >= 400 or "id" not in answer:
        raise InputError(f"{path.name}: rejected by {base} (HTTP {status}): {answer.get('error', answer)}")
    deadline = time.monotonic() + wait
    while answer.get("status") not in DONE and time.monotonic() < deadline:
        time.sleep(poll)
        status, answer = _request(urllib.request.Request(f"{base}/api/submissions/{int(answer['id'])}"), timeout)
        if status >= 400:
            raise InputError(f"{path.name}: {base} answered HTTP {status}: {answer.get('error', answer)}")
    if answer.get("status") == "failed":
        raise InputError(f"{path.name}: submission {answer['id']} failed on {base}: {answer.get('error')}")
    if wait > 0 and answer.get("status") not in DONE:
        raise InputError(f"{path.name}: submission {answer['id']} is still {answer.get('status')} after {wait:.0f} s; "
                         f"see {base}/submissions/{answer['id']}")
    return answer
