"""HTTP(S) with the standard library: retries with backoff, Range resume, streamed hashing.

Policy:

- TLS certificates are always verified (``ssl.create_default_context()``; ``SSL_CERT_FILE``
  points it at a private CA). There is no switch to turn verification off.
- Retried: 5xx, 408, 429, timeouts, connection resets, truncated bodies. The wait before retry
  ``k`` (0-based) is ``min(cap, base * 2**k) * U(0.5, 1)`` seconds (exponential backoff with
  jitter), or the server's ``Retry-After`` on 429/503 (seconds or an HTTP date), up to
  ``max_retry_after``. The attempt counter restarts whenever an attempt made progress, so a long
  download over a flaky link is not abandoned while it advances.
- Other 4xx are not retried.
- A redirect to another host drops ``Authorization`` and ``Cookie`` (a Hub token never reaches a
  CDN).
- :func:`download` streams into ``<dest>.part`` (appending to what is already there with
  ``Range: bytes=N-``) and feeds every byte to a :class:`~avbench.download.verify.Hasher`; the
  caller checks the digests and renames the part file into place.

Example:
    >>> RetryPolicy(base=1.0, cap=8.0).backoff(5) <= 8.0
    True
    >>> parse_retry_after("7")
    7.0
"""

from __future__ import annotations

import email.utils
import errno
import http.client
import os
import random
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench import __version__
from avbench.download._sink import THREAD_MIN, Sink
from avbench.download.verify import Hasher, hash_file
from avbench.errors import DownloadError

__all__ = ["RetryPolicy", "DEFAULT_RETRY", "request", "get_bytes", "download", "parse_retry_after", "USER_AGENT"]

USER_AGENT = f"avbench/{__version__} (+https://github.com/avbench/avbench)"
CHUNK = 1 << 20
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait between attempts (seconds)."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 300.0

    def backoff(self, attempt: int) -> float:
        return min(self.cap, self.base * 2.0**attempt) * random.uniform(0.5, 1.0)


DEFAULT_RETRY = RetryPolicy()


class _Retryable(Exception):
    """An attempt failed in a way worth retrying; ``wait`` overrides the backoff."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            for h in ("Authorization", "Cookie"):
                new.remove_header(h)
        return new


_OPENER: urllib.request.OpenerDirector | None = None


def _opener() -> urllib.request.OpenerDirector:
    global _OPENER
    if _OPENER is None:
        ctx = ssl.create_default_context()
        _OPENER = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), _RedirectHandler())
    return _OPENER


def request(url: str, *, headers: Mapping[str, str] | None = None, method: str = "GET",
            timeout: float = DEFAULT_TIMEOUT) -> http.client.HTTPResponse:
    """Open ``url`` once (no retry); non-2xx answers raise :class:`urllib.error.HTTPError`."""
    h = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    h.update(headers or {})
    req = urllib.request.Request(url, headers=h, method=method)
    return _opener().open(req, timeout=timeout)  # type: ignore[no-any-return]


def _classify(exc: BaseException, url: str) -> _Retryable | DownloadError:
    """Turn a failed attempt into a retryable condition or a final error."""
    if isinstance(exc, urllib.error.HTTPError):
        code = exc.code
        if code in (408, 429) or 500 <= code < 600:
            wait = parse_retry_after(exc.headers.get("Retry-After")) if code in (429, 503) else None
            return _Retryable(f"HTTP {code} from {url}", wait)
        hint = " (the file may have moved: check the recipe or use --mirror)" if code in (403, 404, 410) else ""
        return DownloadError(f"HTTP {code} {exc.reason} for {url}{hint}")
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            return DownloadError(f"TLS certificate of {url} did not verify ({reason.verify_message}); "
                                 "set SSL_CERT_FILE if you are behind a proxy with its own CA")
        return _Retryable(f"cannot reach {url}: {reason}")
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return _Retryable(f"timed out reading {url}")
    if isinstance(exc, (http.client.HTTPException, ConnectionError)):
        return _Retryable(f"connection to {url} broke: {type(exc).__name__}")
    if isinstance(exc, OSError) and exc.errno in (errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE):
        return _Retryable(f"connection to {url} broke: {exc.strerror}")
    raise exc


def _wait(policy: RetryPolicy, failures: int, cond: _Retryable, url: str) -> None:
    if failures >= policy.attempts:
        raise DownloadError(f"{cond} ({failures} attempts)")
    if cond.wait is not None:
        if cond.wait > policy.max_retry_after:
            raise DownloadError(f"{url}: server asks to wait {cond.wait:.0f} s (Retry-After); rerun later")
        time.sleep(cond.wait)
    else:
        time.sleep(policy.backoff(failures - 1))


def get_bytes(url: str, *, headers: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT,
              retry: RetryPolicy | None = None, limit: int = 64 << 20) -> tuple[bytes, Any, str]:
    """GET a small body with retries; returns ``(body, headers, final_url)``."""
    policy = retry or DEFAULT_RETRY
    failures = 0
    while True:
        try:
            with request(url, headers=headers, timeout=timeout) as resp:
                body = resp.read(limit + 1)
                if len(body) > limit:
                    raise DownloadError(f"{url}: answer larger than {limit} bytes where metadata was expected")
                return body, resp.headers, resp.geturl()
        except DownloadError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below
            cond = _classify(exc, url)
            if isinstance(cond, DownloadError):
                raise cond from None
            failures += 1
            _wait(policy, failures, cond, url)


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _content_range_start(value: str | None) -> tuple[int | None, int | None]:
    """``(start, total)`` of a ``Content-Range: bytes a-b/total`` header."""
    if not value or not value.startswith("bytes "):
        return None, None
    span, _, total = value[6:].partition("/")
    start = span.partition("-")[0]
    return (int(start) if start.isdigit() else None), (int(total) if total.isdigit() else None)


def _reader(resp: http.client.HTTPResponse) -> Callable[[memoryview], int]:
    """A ``readinto`` that returns after one socket read (bytes received before a stall are kept).

    For a body of known length (not chunked) it reads the buffered socket file directly with
    ``readinto1``; otherwise it falls back to the response's own ``readinto``.
    """
    fp = getattr(resp, "fp", None)
    left = resp.length
    if resp.chunked or left is None or not hasattr(fp, "readinto1"):
        return resp.readinto

    def readinto(view: memoryview) -> int:
        nonlocal left
        if left <= 0:
            return 0
        n = fp.readinto1(view[:min(len(view), left)])
        if not n:
            raise http.client.IncompleteRead(b"", left)
        left -= n
        return n

    return readinto


def download(url: str, dest: str | os.PathLike[str], *, size: int | None = None,
             algorithms: Iterable[str] = ("sha256",), headers: Mapping[str, str] | None = None,
             timeout: float = DEFAULT_TIMEOUT, retry: RetryPolicy | None = None,
             progress: Callable[[int], None] | None = None) -> Hasher:
    """Stream ``url`` into ``<dest>.part``, resuming what is there; return the hasher of all bytes.

    The part file is left in place (complete) for the caller to verify and rename. ``progress``
    is called with byte increments (negative when bytes on disk had to be discarded).

    Raises:
        DownloadError: a non-retryable answer, the size differs from ``size``, retries exhausted,
            or the disk is full.
    """
    dest = Path(dest)
    part = part_path(dest)
    part.parent.mkdir(parents=True, exist_ok=True)
    policy = retry or DEFAULT_RETRY
    algos = list(algorithms)
    failures = 0
    reported = 0  # bytes reported to progress so far

    def report(n: int) -> None:
        nonlocal reported
        if progress is not None and n:
            progress(n)
        reported += n

    while True:
        have = part.stat().st_size if part.exists() else 0
        if size is not None and have > size:
            have = 0
        hasher = Hasher(algos, size=size)
        if have:
            hash_file(part, limit=have, hasher=hasher)
        report(have - reported)
        req_headers = dict(headers or {})
        if have:
            req_headers["Range"] = f"bytes={have}-"
        start_have = have
        try:
            resp = request(url, headers=req_headers, timeout=timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have and (size is None or have == size):
                exc.close()
                return hasher  # already complete
            if exc.code == 416:
                exc.close()
                part.unlink(missing_ok=True)
                continue
            cond = _classify(exc, url)
            exc.close()
            if isinstance(cond, DownloadError):
                raise cond from None
            failures += 1
            _wait(policy, failures, cond, url)
            continue
        except Exception as exc:  # noqa: BLE001
            cond = _classify(exc, url)
            if isinstance(cond, DownloadError):
                raise cond from None
            failures += 1
            _wait(policy, failures, cond, url)
            continue
        try:
            with resp:
                total: int | None = None
                length = resp.headers.get("Content-Length")
                if resp.status == 206:
                    start, total = _content_range_start(resp.headers.get("Content-Range"))
                    if start != have:  # the server answered another range: start over
                        part.unlink(missing_ok=True)
                        continue
                else:
                    if have:  # Range ignored: the whole file comes again
                        have = 0
                        hasher = Hasher(algos, size=size)
                        report(-reported)
                    total = int(length) if length and length.isdigit() else None
                if size is not None and total is not None and total != size:
                    raise DownloadError(f"{url}: server says {total} bytes, expected {size}; "
                                        "the file changed upstream or the recipe is wrong")
                with open(part, "r+b" if have else "wb", buffering=0) as fh:
                    if have:
                        fh.seek(have)
                        fh.truncate()
                    readinto = _reader(resp)
                    sink = Sink(fh, hasher, part, threaded=(total or size or 0) >= THREAD_MIN)
                    filled = 0
                    try:
                        buf = sink.buffer()
                        while True:
                            n = readinto(buf[filled:])
                            if not n:
                                break
                            filled += n
                            have += n
                            report(n)
                            if filled == len(buf):
                                sink.submit(filled)
                                buf, filled = sink.buffer(), 0
                    finally:
                        try:
                            if filled:
                                sink.submit(filled)  # keep what arrived before a failure
                        finally:
                            sink.close()
                if total is not None and have < total:
                    raise http.client.IncompleteRead(b"", total - have)
                if size is not None and have != size:
                    raise DownloadError(f"{url}: got {have} bytes, expected {size}")
                return hasher
        except DownloadError:
            raise
        except Exception as exc:  # noqa: BLE001
            cond = _classify(exc, url)
            if isinstance(cond, DownloadError):
                raise cond from None
            failures = 1 if part.exists() and part.stat().st_size > start_have else failures + 1
            _wait(policy, failures, cond, url)
