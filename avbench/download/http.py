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
- The status line and headers of an answer must be complete within ``header_timeout`` seconds
  (default: the stall timeout) of the request: a server sending them a byte at a time never trips
  the per-read timeout, so a watchdog thread shuts such a connection down (retried, counted).
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
import functools
import heapq
import http.client
import json
import os
import random
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench import __version__
from avbench.download._pages import describe_page, expects_page, looks_like_page
from avbench.download._progress import Cancelled
from avbench.download._sink import THREAD_MIN, Sink
from avbench.download.verify import Hasher, hash_file
from avbench.errors import DownloadError

__all__ = ["RetryPolicy", "DEFAULT_RETRY", "Deadlines", "Fetched", "request", "get_bytes", "head", "read_small",
           "retrying", "download",
           "parse_retry_after", "abort_connections", "discard_part", "USER_AGENT", "HeaderDeadline"]

USER_AGENT = f"avbench/{__version__} (+https://github.com/avbench/avbench)"
CHUNK = 1 << 20
DEFAULT_TIMEOUT = 60.0
PROGRESS_MIN = 1 << 20  # an attempt that brought at least this many bytes resets the failure count
TICK = 0.05  # seconds between progress reports, Ctrl-C checks and rate checks while streaming


@dataclass
class Fetched:
    """What :func:`download` got: the hasher of the part file's bytes and the server's validator
    (``etag``, ``last_modified``, ``total``) for that file."""

    hasher: Hasher
    validator: dict[str, Any]


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
    """An attempt failed in a way worth retrying; ``wait`` overrides the backoff, ``attempts`` (when
    smaller) the policy's number of attempts for this kind of failure."""

    def __init__(self, message: str, wait: float | None = None, attempts: int | None = None) -> None:
        super().__init__(message)
        self.wait = wait
        self.attempts = attempts


NAME_ATTEMPTS = 2
"""Attempts for a host name the resolver says does not exist (``EAI_NONAME``): once more after
a backoff, for a resolver's hiccup, not the six a broken connection gets (offline, a dry run of
AVE took 11.4 s on its Google Drive probe alone)."""


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
        if new is not None:
            new.header_timeout = getattr(req, "header_timeout", None)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            for h in ("Authorization", "Cookie"):
                new.remove_header(h)
        return new


_LIVE: weakref.WeakSet[socket.socket] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


def _track(sock: socket.socket) -> None:
    with _LIVE_LOCK:
        _LIVE.add(sock)


def abort_connections() -> None:
    """Shut down every open download connection, so threads blocked reading a silent server
    return at once (Ctrl-C)."""
    with _LIVE_LOCK:
        socks = list(_LIVE)
    for sock in socks:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class HeaderDeadline(TimeoutError):
    """The status line and headers of an answer (or the TLS handshake before them) did not arrive
    within ``seconds``."""

    def __init__(self, seconds: float, what: str = "the response headers were") -> None:
        super().__init__(f"{what} not complete within {seconds:g} s")
        self.seconds = seconds


class _Armed:
    __slots__ = ("sock", "fired", "done")

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.fired, self.done = sock, False, False


class _Watchdog:
    """One daemon thread that shuts down each armed socket whose deadline passes before it is
    disarmed (a blocked read on it then returns at once)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Armed]] = []
        self._seq = 0
        self._thread: threading.Thread | None = None

    def arm(self, sock: socket.socket, seconds: float) -> _Armed:
        armed = _Armed(sock)
        with self._cond:
            self._seq += 1
            heapq.heappush(self._heap, (time.monotonic() + seconds, self._seq, armed))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="avbench-header-deadline", daemon=True)
                self._thread.start()
            if self._heap[0][2] is armed:  # the earliest deadline changed
                self._cond.notify()
        return armed

    def disarm(self, armed: _Armed) -> bool:
        """Stop watching; whether the deadline had passed (the socket was shut down)."""
        with self._cond:
            armed.done = True
            return armed.fired

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                when, _, armed = self._heap[0]
                left = when - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._heap)
                armed.fired = True
                try:  # the plain socket's shutdown: a TLS socket's would drop its state under the reader
                    socket.socket.shutdown(armed.sock, socket.SHUT_RDWR)
                except OSError:
                    pass

    def _after_fork(self) -> None:
        self._cond, self._heap, self._thread = threading.Condition(), [], None


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG._after_fork)


class _Deadlined:
    """Connection mixin: tracks the socket (Ctrl-C aborts it) and puts a deadline on the headers."""

    sock: Any
    header_timeout: float | None = None

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _track(self.sock)

    def getresponse(self) -> http.client.HTTPResponse:
        limit = self.header_timeout
        if not limit or self.sock is None:
            return super().getresponse()  # type: ignore[misc, no-any-return]
        armed = _WATCHDOG.arm(self.sock, limit)
        try:
            resp = super().getresponse()  # type: ignore[misc]
        except Exception:
            if _WATCHDOG.disarm(armed):
                raise HeaderDeadline(limit) from None
            raise
        if _WATCHDOG.disarm(armed):  # complete just as the deadline passed: the socket is shut
            resp.close()
            raise HeaderDeadline(limit)
        return resp  # type: ignore[no-any-return]


class _HTTPConnection(_Deadlined, http.client.HTTPConnection):
    def __init__(self, *args: Any, header_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout


class _HTTPSConnection(_Deadlined, http.client.HTTPSConnection):
    _context: ssl.SSLContext

    def __init__(self, *args: Any, header_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout

    def connect(self) -> None:
        """TCP, then the TLS handshake under the header deadline: a server that sends its
        handshake a byte at a time never trips the per-read timeout either."""
        http.client.HTTPConnection.connect(self)
        _track(self.sock)
        host = self._tunnel_host or self.host
        sock = self._context.wrap_socket(self.sock, server_hostname=host, do_handshake_on_connect=False)
        self.sock = sock
        _track(sock)
        limit = self.header_timeout
        armed = _WATCHDOG.arm(sock, limit) if limit else None
        try:
            sock.do_handshake()
        except Exception:
            if armed is not None and _WATCHDOG.disarm(armed):
                raise HeaderDeadline(limit or 0.0, "the TLS handshake was") from None
            raise
        if armed is not None and _WATCHDOG.disarm(armed):
            raise HeaderDeadline(limit or 0.0, "the TLS handshake was")


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):  # type: ignore[no-untyped-def]
        return self.do_open(functools.partial(_HTTPConnection, header_timeout=getattr(req, "header_timeout", None)),
                            req)


_TLS_LOCK = threading.Lock()
_TLS: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """The process's one verifying TLS context, built at the first ``https`` request.

    Building it loads the CA bundle (``ssl.create_default_context()``: 58 ms of CPU on the
    benchmark machine, mean of 5 calls by ``time.process_time``, 2 December 2026), so it is built once, under a lock (32 workers starting
    together used to build 32), and never for plain ``http`` (a local mirror, the loopback tests).
    """
    global _TLS
    with _TLS_LOCK:
        if _TLS is None:
            _TLS = ssl.create_default_context()
        return _TLS


class _HTTPSHandler(urllib.request.HTTPSHandler):
    """HTTPS with the shared context of :func:`tls_context`, fetched only when a request is made."""

    def __init__(self) -> None:
        # not HTTPSHandler.__init__: from Python 3.12 it builds a context of its own (the CA
        # bundle loaded again) that this handler never uses
        urllib.request.AbstractHTTPHandler.__init__(self)
        self._context = None

    def https_open(self, req):  # type: ignore[no-untyped-def]
        conn = functools.partial(_HTTPSConnection, header_timeout=getattr(req, "header_timeout", None))
        return self.do_open(conn, req, context=tls_context())


_OPENERS: dict[str, urllib.request.OpenerDirector] = {}


def _opener(redirects: str = "follow") -> urllib.request.OpenerDirector:
    """The shared opener that follows redirects (``follow``) or returns them (``none``, for HEAD)."""
    opener = _OPENERS.get(redirects)
    if opener is not None:  # every request after the first: no lock
        return opener
    with _TLS_LOCK:
        opener = _OPENERS.get(redirects)
        if opener is None:
            last = _RedirectHandler() if redirects == "follow" else _NoRedirect()
            opener = _OPENERS[redirects] = urllib.request.build_opener(_HTTPHandler(), _HTTPSHandler(), last)
        return opener


def request(url: str, *, headers: Mapping[str, str] | None = None, method: str = "GET",
            timeout: float = DEFAULT_TIMEOUT, header_timeout: float | None = None) -> http.client.HTTPResponse:
    """Open ``url`` once (no retry); non-2xx answers raise :class:`urllib.error.HTTPError`.

    ``timeout``: seconds without a byte; ``header_timeout`` (default ``timeout``): seconds for the
    whole status line and headers (:class:`HeaderDeadline` otherwise).
    """
    h = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    h.update(headers or {})
    req = urllib.request.Request(url, headers=h, method=method)
    req.header_timeout = header_timeout or timeout  # type: ignore[attr-defined]
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
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, HeaderDeadline):
        exc = exc.reason
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            return DownloadError(f"TLS certificate of {url} did not verify ({reason.verify_message}); "
                                 "set SSL_CERT_FILE if you are behind a proxy with its own CA")
        if isinstance(reason, socket.gaierror) and reason.errno == socket.EAI_NONAME:
            return _Retryable(f"cannot reach {url}: {reason}; check the network connection and DNS (offline?)",
                              attempts=NAME_ATTEMPTS)
        return _Retryable(f"cannot reach {url}: {reason}")
    if isinstance(exc, HeaderDeadline):
        return _Retryable(f"{url}: {exc} (the server sends too slowly)")
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return _Retryable(f"timed out reading {url}")
    if isinstance(exc, (http.client.HTTPException, ConnectionError)):
        return _Retryable(f"connection to {url} broke: {type(exc).__name__}")
    if isinstance(exc, OSError) and exc.errno in (errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE):
        return _Retryable(f"connection to {url} broke: {exc.strerror}")
    raise exc


def _wait(policy: RetryPolicy, failures: int, cond: _Retryable, url: str,
          cancel: threading.Event | None = None) -> None:
    if failures >= min(policy.attempts, cond.attempts or policy.attempts):
        raise DownloadError(f"{cond} ({failures} attempts)")
    if cond.wait is not None:
        if cond.wait > policy.max_retry_after:
            raise DownloadError(f"{url}: server asks to wait {cond.wait:.0f} s (Retry-After); rerun later")
        delay = cond.wait
    else:
        delay = policy.backoff(failures - 1)
    if cancel is None:
        time.sleep(delay)
    elif cancel.wait(delay):
        raise Cancelled


def retrying(url: str, attempt: Callable[[], Any], *, retry: RetryPolicy | None = None,
             cancel: threading.Event | None = None) -> Any:
    """``attempt()`` until it returns, retrying what :func:`_classify` calls retryable with
    :func:`_wait`'s backoff, at most ``retry.attempts`` times in all (``DEFAULT_RETRY`` at call
    time). A :class:`DownloadError` or :class:`Cancelled` ends it at once.

    Example:
        >>> retrying("http://x", lambda: 42)
        42
    """
    policy = retry or DEFAULT_RETRY
    failures = 0
    while True:
        try:
            return attempt()
        except (DownloadError, Cancelled):
            raise
        except _Retryable as exc:
            cond = exc
        except Exception as exc:  # noqa: BLE001 - classified below
            if isinstance(exc, urllib.error.HTTPError):
                exc.close()
            classified = _classify(exc, url)
            if isinstance(classified, DownloadError):
                raise classified from None
            cond = classified
        failures += 1
        _wait(policy, failures, cond, url, cancel)


def read_small(resp: Any, url: str, *, limit: int, deadlines: Deadlines) -> bytes:
    """The whole body of ``resp`` (metadata, a web page), at most ``limit`` bytes, under the same
    deadlines as a file body: no byte for ``stall`` s (the socket timeout), fewer than
    ``min_rate * window`` bytes in a ``window``, and, since the body is small, all of it within
    one ``window`` (``stall`` when that is longer).

    Raises:
        _Retryable: a deadline passed or the body ended before its announced length.
        DownloadError: more than ``limit`` bytes.
    """
    read1 = getattr(resp, "read1", None) or resp.read
    guard = _RateGuard(deadlines, url)
    total = max(deadlines.window, deadlines.stall)
    t0 = time.monotonic()
    out = bytearray()
    while True:
        piece = read1(min(1 << 16, limit + 1 - len(out)) or 1)
        if not piece:
            break
        out += piece
        if len(out) > limit:
            raise DownloadError(f"{url}: answer larger than {limit} bytes where metadata was expected")
        now = time.monotonic()
        guard.check(len(out), now)
        if now - t0 > total:
            raise _Retryable(f"{url}: the {len(out)} bytes of the answer so far took over {total:g} s")
    left = getattr(resp, "length", None)
    if left:  # announced but never sent
        raise http.client.IncompleteRead(bytes(out), left)
    return bytes(out)


def get_bytes(url: str, *, headers: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT,
              retry: RetryPolicy | None = None, limit: int = 64 << 20, header_timeout: float | None = None,
              cancel: threading.Event | None = None, deadlines: Deadlines | None = None) -> tuple[bytes, Any, str]:
    """GET a small body with retries; returns ``(body, headers, final_url)``.

    ``deadlines`` (default: ``timeout`` without a byte, ``header_timeout`` for the headers and the
    default rate): the body is read under :func:`read_small`'s rules.

    Raises:
        DownloadError: a final answer, retries exhausted, or a body over ``limit``.
        Cancelled: ``cancel`` was set during a retry wait (Ctrl-C).
    """
    dl = deadlines or Deadlines(stall=timeout, headers=header_timeout)

    def attempt() -> tuple[bytes, Any, str]:
        with request(url, headers=headers, timeout=dl.stall, header_timeout=dl.headers) as resp:
            return read_small(resp, url, limit=limit, deadlines=dl), resp.headers, resp.geturl()

    return retrying(url, attempt, retry=retry, cancel=cancel)  # type: ignore[no-any-return]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None  # the 3xx itself is the answer (raised as an HTTPError, read by head())


def head(url: str, *, headers: Mapping[str, str] | None = None, deadlines: Deadlines | None = None,
         retry: RetryPolicy | None = None, cancel: threading.Event | None = None,
         max_hops: int = 5) -> tuple[int, Any, str]:
    """``HEAD url`` with retries and the header deadline; returns ``(status, headers, url)`` of
    the first answer that is not a redirect to the same host (a redirect to another host is
    returned as it is, with its own headers: the Hub puts the file's metadata on it).

    Raises:
        DownloadError: a final error status, retries exhausted, or more than ``max_hops`` hops.
    """
    dl = deadlines or Deadlines()
    opener = _opener("none")
    h = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {})}
    for _ in range(max_hops + 1):
        def attempt(target: str = url) -> tuple[int, Any, str]:
            req = urllib.request.Request(target, headers=h, method="HEAD")
            req.header_timeout = dl.headers or dl.stall  # type: ignore[attr-defined]
            try:
                with opener.open(req, timeout=dl.stall) as resp:
                    return resp.status, resp.headers, target
            except urllib.error.HTTPError as exc:
                if 300 <= exc.code < 400:
                    exc.close()
                    return exc.code, exc.headers, target
                raise

        code, hdrs, at = retrying(url, attempt, retry=retry, cancel=cancel)
        location = hdrs.get("Location") if 300 <= code < 400 else None
        if not location:
            return code, hdrs, at
        nxt = urllib.parse.urljoin(at, location)
        if urllib.parse.urlsplit(nxt).netloc != urllib.parse.urlsplit(at).netloc:
            return code, hdrs, at
        url = nxt
    raise DownloadError(f"{url}: more than {max_hops} redirects")


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _state_path(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def discard_part(dest: Path) -> None:
    """Remove ``<dest>.part`` and the validator recorded when it was started."""
    part = part_path(dest)
    part.unlink(missing_ok=True)
    _state_path(part).unlink(missing_ok=True)


def _read_state(part: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(_state_path(part).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_state(part: Path, state: dict[str, Any]) -> None:
    tmp = _state_path(part).with_name(_state_path(part).name + ".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, _state_path(part))


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
    left = getattr(resp, "length", None)  # a file:// response (a local mirror) has no length or chunking
    if getattr(resp, "chunked", False) or left is None or not hasattr(fp, "readinto1"):
        return resp.readinto if hasattr(resp, "readinto") else fp.readinto

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


def _decoder(raw: Callable[[memoryview], int], encoding: str) -> Callable[[memoryview], int]:
    """A ``readinto`` yielding the decoded bytes of a ``gzip`` / ``deflate`` body."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS)
    scratch = memoryview(bytearray(CHUNK))
    pending = b""

    def readinto(view: memoryview) -> int:
        nonlocal pending
        while True:
            if pending:
                out = d.decompress(pending, len(view))
            elif d.eof:
                return 0
            else:
                n = raw(scratch)
                if not n:
                    raise http.client.IncompleteRead(b"", 1)  # the compressed stream ended early
                out = d.decompress(scratch[:n], len(view))
            pending = d.unconsumed_tail
            if out:
                view[:len(out)] = out
                return len(out)
            if d.eof:
                return 0

    return readinto


@dataclass
class Deadlines:
    """When a connection counts as failed although it has not broken (seconds, bytes/s).

    ``stall``: no byte at all for this long. ``min_rate`` over ``window``: fewer than
    ``min_rate * window`` bytes in any ``window`` seconds (a trickle). ``headers`` (default
    ``stall``): the status line and headers not complete this long after the request. All are
    retried like a broken connection and count towards the attempts.
    """

    stall: float = DEFAULT_TIMEOUT
    min_rate: float = 1024.0
    window: float = 120.0
    headers: float | None = None


class _RateGuard:
    """Raises :class:`_Retryable` when fewer than ``min_rate * window`` bytes came in ``window`` s."""

    def __init__(self, dl: Deadlines, url: str) -> None:
        self.dl, self.url = dl, url
        self.t, self.n = time.monotonic(), 0

    def check(self, received: int, now: float) -> None:
        """``received``: bytes of this connection so far, at time ``now`` (``time.monotonic``)."""
        if now - self.t >= self.dl.window:
            if received - self.n < self.dl.min_rate * (now - self.t):
                raise _Retryable(f"{self.url}: slower than {self.dl.min_rate:.0f} bytes/s over {self.dl.window:g} s")
            self.t, self.n = now, received


class _Attempts:
    """The consecutive failures of one download, whatever their kind; progress of at least
    :data:`PROGRESS_MIN` bytes in an attempt resets the count."""

    def __init__(self, policy: RetryPolicy, url: str, cancel: threading.Event | None) -> None:
        self.policy, self.url, self.cancel, self.n = policy, url, cancel, 0

    def fail(self, cond: _Retryable, progressed: int = 0) -> None:
        self.n = 1 if progressed >= PROGRESS_MIN else self.n + 1
        _wait(self.policy, self.n, cond, self.url, self.cancel)


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled


def download(url: str, dest: str | os.PathLike[str], *, size: int | None = None,
             algorithms: Iterable[str] = ("sha256",), headers: Mapping[str, str] | None = None,
             timeout: float = DEFAULT_TIMEOUT, retry: RetryPolicy | None = None,
             progress: Callable[[int], None] | None = None, deadlines: Deadlines | None = None,
             cancel: threading.Event | None = None, resume_unvalidated: bool = False) -> Fetched:
    """Stream ``url`` into ``<dest>.part``, resuming what is there; return the hasher of all bytes
    and the validator of the server's file.

    The part file is left in place (complete) for the caller to verify and rename. ``progress``
    is called with byte increments (negative when bytes on disk had to be discarded).

    A part file is resumed only as the same file: the ``ETag`` (or ``Last-Modified``) seen when it
    was started is sent as ``If-Range``, and an answer with the whole file (200), another
    validator, another total length or another start offset restarts from byte 0. A part file
    without a recorded validator is resumed only when ``resume_unvalidated`` (the caller verifies
    a published hash); otherwise it is restarted. A ``416`` counts as "already complete" only when
    the recorded total length equals the part file's size. A web page where a file is expected
    (``text/html``, or a body starting like HTML) is never written. A ``gzip``/``deflate``
    ``Content-Encoding`` is decoded; any other is refused.

    Raises:
        DownloadError: a non-retryable answer, the size differs from ``size``, retries exhausted
            (every kind of failed attempt counts), or the disk is full.
        Cancelled: ``cancel`` was set (Ctrl-C); the part file stays for the next run.
    """
    dest = Path(dest)
    part = part_path(dest)
    part.parent.mkdir(parents=True, exist_ok=True)
    dl = deadlines or Deadlines(stall=timeout)
    attempts = _Attempts(retry or DEFAULT_RETRY, url, cancel)
    algos = list(algorithms)
    page_ok = expects_page(dest.name)
    reported = 0  # bytes reported to progress so far
    no_range = False
    started_here = False  # this call started the part file (a resume without validator is then safe enough)

    def report(n: int) -> None:
        nonlocal reported
        if progress is not None and n:
            progress(n)
        reported += n

    def restart() -> None:
        nonlocal reported
        discard_part(dest)
        report(-reported)

    while True:
        _check_cancel(cancel)
        have = part.stat().st_size if part.exists() else 0
        state = _read_state(part) if have else None
        validated = bool(state and (state.get("etag") or state.get("last_modified")))
        if have and (no_range or (size is not None and have > size)
                     or not (validated or resume_unvalidated or started_here)):
            restart()
            have, state = 0, None
        hasher = Hasher(algos, size=size)
        if have:
            hash_file(part, limit=have, hasher=hasher)
        report(have - reported)
        req_headers = dict(headers or {})
        if have:
            req_headers["Range"] = f"bytes={have}-"
            validator = (state or {}).get("etag") or (state or {}).get("last_modified")
            if validator:
                req_headers["If-Range"] = validator
        start_have = have
        try:
            resp = request(url, headers=req_headers, timeout=dl.stall, header_timeout=dl.headers)
        except urllib.error.HTTPError as exc:
            if exc.code == 416:
                _, now_total = _content_range_start(str(exc.headers.get("Content-Range", "")).replace("*", "0-0"))
                exc.close()
                recorded = (state or {}).get("total", size)
                if have and recorded is not None and have == recorded and now_total in (None, have):
                    return Fetched(hasher, state or {})  # already complete
                restart()
                attempts.fail(_Retryable(f"{url}: HTTP 416 (range not satisfiable) for a {have}-byte part file"))
                continue
            cond = _classify(exc, url)
            exc.close()
            if isinstance(cond, DownloadError):
                raise cond from None
            attempts.fail(cond)
            continue
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001
            _check_cancel(cancel)
            cond = _classify(exc, url)
            if isinstance(cond, DownloadError):
                raise cond from None
            attempts.fail(cond)
            continue
        try:
            with resp:
                etag = resp.headers.get("ETag")
                info = {"url": url, "etag": etag if etag and not etag.startswith("W/") else None,
                        "last_modified": resp.headers.get("Last-Modified")}
                encoding = str(resp.headers.get("Content-Encoding") or "identity").strip().lower()
                if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
                    raise DownloadError(f"{url}: the server sent the body with Content-Encoding {encoding!r} "
                                        "although identity was asked; the bytes would not be the file; use --mirror")
                total: int | None = None
                length = resp.headers.get("Content-Length")
                if resp.status == 206:
                    start, total = _content_range_start(resp.headers.get("Content-Range"))
                    changed = state is not None and bool(
                        (state.get("etag") and info["etag"] and state["etag"] != info["etag"])
                        or (not state.get("etag") and state.get("last_modified") and info["last_modified"]
                            and state["last_modified"] != info["last_modified"])
                        or (state.get("total") is not None and total is not None and state["total"] != total))
                    if start != have or changed or encoding != "identity":
                        # another range, or another file behind the same URL: start over
                        restart()
                        no_range = encoding != "identity"
                        attempts.fail(_Retryable(f"{url}: the server answered bytes from {start} of a "
                                                 f"{'changed ' if changed else ''}file for a resume at {have}"))
                        continue
                    info = {**info, "total": total}
                else:
                    total = int(length) if length and length.isdigit() and encoding == "identity" else None
                    info = {**info, "total": total if total is not None else size}
                readinto = _reader(resp)
                if encoding != "identity":
                    readinto = _decoder(readinto, encoding)
                first = memoryview(bytearray(4096))
                got = 0
                guard = _RateGuard(dl, url)
                if resp.status != 206 and not page_ok:  # look at the start before touching the disk
                    while got < 512:
                        n = readinto(first[got:])
                        if not n:
                            break
                        got += n
                        guard.check(got, time.monotonic())
                if not page_ok and looks_like_page(bytes(first[:got]), resp.headers.get("Content-Type")):
                    body = bytes(first[:got]) + resp.read(1 << 16)
                    kept = f"; {part} is kept" if have else ""
                    raise DownloadError(f"{url}: {describe_page(body.decode('utf-8', 'replace'))} (a web page came "
                                        f"where the file was expected; nothing was saved{kept})")
                if resp.status != 206 and have:  # Range ignored or validator changed: the whole file again
                    restart()
                    have = 0
                    hasher = Hasher(algos, size=size)
                if size is not None and total is not None and total != size:
                    raise DownloadError(f"{url}: server says {total} bytes, expected {size}; "
                                        "the file changed upstream or the recipe is wrong")
                if not have:
                    _write_state(part, info)
                    started_here = True
                opened_at = have
                with open(part, "r+b" if have else "wb", buffering=0) as fh:
                    if have:
                        fh.seek(have)
                        fh.truncate()
                    big = (total or size or 0) >= THREAD_MIN
                    sink = Sink(fh, hasher, part, threaded=big, direct=big)
                    filled = 0
                    try:
                        buf = sink.buffer()
                        if got:
                            buf[:got] = first[:got]
                            filled, have = got, have + got
                        # The hot loop: per socket read only counters and a clock read; progress,
                        # the Ctrl-C check (in ``progress``) and the rate deadline every TICK s.
                        tick = time.monotonic() + TICK
                        while True:
                            n = readinto(buf[filled:])
                            if not n:
                                break
                            filled += n
                            have += n
                            if filled == len(buf):
                                sink.submit(filled)
                                buf, filled = sink.buffer(), 0
                            now = time.monotonic()
                            if now >= tick:
                                report(have - reported)
                                guard.check(have - opened_at, now)
                                tick = now + TICK
                        report(have - reported)
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
                return Fetched(hasher, info)
        except (DownloadError, Cancelled):
            raise
        except _Retryable as cond:
            attempts.fail(cond, (part.stat().st_size if part.exists() else 0) - start_have)
        except Exception as exc:  # noqa: BLE001
            _check_cancel(cancel)
            cond = _classify(exc, url)
            if isinstance(cond, DownloadError):
                raise cond from None
            attempts.fail(cond, (part.stat().st_size if part.exists() else 0) - start_have)
