"""Loopback HTTP servers that imitate Zenodo, Google Drive, the Hugging Face Hub and plain file
hosts, with fault injection. Standard library only; 127.0.0.1, ephemeral port, daemon thread.

One :class:`LoopbackServer` hosts every imitation at once:

- plain files: ``/files/<name>`` (Range requests, HEAD) — :meth:`add_file`, :meth:`add_generated`;
- Zenodo: ``/api/records/<id>`` (JSON with ``files[].key/size/checksum/links.self``) and
  ``/api/records/<id>/files/<key>/content`` — :meth:`zenodo_record`; point
  ``AVBENCH_ZENODO_URL`` at :attr:`base`;
- Google Drive: ``/download?id=..&export=download`` answering the file, the current confirmation
  form (``confirm``/``uuid``), the older cookie + ``confirm=TOKEN`` link, or a quota page —
  :meth:`gdrive_file`; point ``AVBENCH_GDRIVE_URL`` at ``base + "/download"``;
- the Hub: ``/api/datasets/<repo>/revision/<rev>``, ``/datasets/<repo>/resolve/<rev>/<file>``
  (``X-Repo-Commit``, ``ETag``; LFS files redirect to ``http://localhost:<port>/cdn/<sha256>``
  with ``X-Linked-Etag``/``X-Linked-Size``) — :meth:`hub_repo`; point ``HF_ENDPOINT`` at
  :attr:`base`.

Faults (:meth:`fail`, consumed one per request of that path, in order): ``status(code,
headers)``, ``truncate(n)`` (announce the full length, send ``n`` bytes, close), ``stall(n, s)``
(send ``n`` bytes, go silent for ``s`` seconds, close), ``corrupt()`` (flip a byte),
``ignore_range()`` (answer 200 with the whole file), ``wrong_start()`` (a 206 whose range starts
elsewhere), ``hang(s)`` (read the request, answer nothing for ``s`` seconds), ``trickle(n, s)``
(announce the whole body, then send ``n`` bytes every ``s`` seconds; file bodies, the Zenodo and
Hub JSON answers and the Drive confirmation page), ``page(html)`` (a 200
``text/html`` page), ``page_as_binary(html)`` (the page with ``application/octet-stream``),
``gzip_body()`` (the body gzip-compressed with ``Content-Encoding: gzip``), ``encoded(name)`` (a
``Content-Encoding`` the client cannot decode), ``slow_headers(every, seconds)`` (the status
line, then a header one byte every ``every`` seconds, never finished; closes after ``seconds``).
:class:`SlowTLSServer` accepts TCP and answers a TLS ClientHello with a
handshake record sent one byte at a time (never finished). Every file carries an ``ETag`` and a
``Last-Modified`` that change when its content is replaced; ``If-Range`` is honoured unless
:attr:`honour_if_range` is false. :attr:`latency` delays every answer; :attr:`rate` throttles
bodies (bytes/s). :attr:`log` lists ``(method, path, headers)``.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.server
import json
import random
import socket
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LoopbackServer", "SlowTLSServer", "Blob", "status", "truncate", "stall", "corrupt", "ignore_range", "wrong_start", "hang",
           "trickle", "page", "page_as_binary", "gzip_body", "encoded", "slow_headers", "git_blob_id"]

_BLOCK = 1 << 20


def status(code: int, headers: dict[str, str] | None = None) -> tuple[Any, ...]:
    return ("status", code, headers or {})


def truncate(n: int) -> tuple[Any, ...]:
    return ("truncate", n)


def stall(n: int, seconds: float) -> tuple[Any, ...]:
    return ("stall", n, seconds)


def corrupt() -> tuple[Any, ...]:
    return ("corrupt",)


def ignore_range() -> tuple[Any, ...]:
    return ("ignore_range",)


def wrong_start() -> tuple[Any, ...]:
    return ("wrong_start",)


def hang(seconds: float) -> tuple[Any, ...]:
    return ("hang", seconds)


def trickle(n: int, seconds: float) -> tuple[Any, ...]:
    return ("trickle", n, seconds)


def page(html: str) -> tuple[Any, ...]:
    return ("page", html, "text/html; charset=utf-8")


def page_as_binary(html: str) -> tuple[Any, ...]:
    return ("page", html, "application/octet-stream")


def gzip_body() -> tuple[Any, ...]:
    return ("gzip",)


def encoded(name: str) -> tuple[Any, ...]:
    return ("encoded", name)


def slow_headers(every: float, seconds: float) -> tuple[Any, ...]:
    return ("slow_headers", every, seconds)


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Blob:
    """File content: explicit ``data``, or ``size`` bytes repeating a seeded 1 MiB random block."""

    data: bytes | None = None
    size: int = 0
    seed: int = 0
    block: bytes = field(default=b"", repr=False)

    etag: str = ""
    modified: float = 0.0

    def __post_init__(self) -> None:
        if self.data is not None:
            self.size = len(self.data)
            self.etag = '"' + hashlib.sha1(self.data).hexdigest()[:16] + '"'
        else:
            self.block = random.Random(self.seed).randbytes(_BLOCK)
            self.etag = f'"g{self.seed}-{self.size}"'
        self.modified = time.time()

    def chunks(self, start: int, end: int):  # type: ignore[no-untyped-def]
        """Yield the bytes ``[start, end)`` as memoryviews."""
        if self.data is not None:
            view = memoryview(self.data)
            for i in range(start, end, _BLOCK):
                yield view[i:min(end, i + _BLOCK)]
            return
        view = memoryview(self.block)
        pos = start
        while pos < end:
            off = pos % _BLOCK
            n = min(_BLOCK - off, end - pos)
            yield view[off:off + n]
            pos += n

    def sha256(self) -> str:
        h = hashlib.sha256()
        for c in self.chunks(0, self.size):
            h.update(c)
        return h.hexdigest()

    def md5(self) -> str:
        h = hashlib.md5()
        for c in self.chunks(0, self.size):
            h.update(c)
        return h.hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.server.owner._handle(self, head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self.server.owner._handle(self, head=True)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class LoopbackServer:
    """All imitations on one ephemeral port; use as a context manager or call :meth:`close`."""

    def __init__(self) -> None:
        self._srv = _Server(("127.0.0.1", 0), _Handler)
        self._srv.owner = self
        self.port = self._srv.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.files: dict[str, Blob] = {}
        self.faults: dict[str, list[tuple[Any, ...]]] = {}
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.latency = 0.0
        self.rate: float | None = None
        self.honour_if_range = True
        self._zenodo: dict[str, dict[str, Any]] = {}
        self._drive: dict[str, tuple[str, str]] = {}
        self._hub: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()

    # -- content ---------------------------------------------------------------------------
    def add_file(self, name: str, data: bytes) -> str:
        self.files[f"/files/{name}"] = Blob(data)
        return f"{self.base}/files/{name}"

    def add_generated(self, name: str, size: int, seed: int = 0) -> tuple[str, Blob]:
        blob = Blob(size=size, seed=seed)
        self.files[f"/files/{name}"] = blob
        return f"{self.base}/files/{name}", blob

    def fail(self, path_or_url: str, *faults: tuple[Any, ...]) -> None:
        path = urllib.parse.urlsplit(path_or_url).path or path_or_url
        with self._lock:
            self.faults.setdefault(path, []).extend(faults)

    def requests_for(self, path_or_url: str) -> list[tuple[str, str, dict[str, str]]]:
        path = urllib.parse.urlsplit(path_or_url).path
        return [r for r in self.log if r[1].split("?")[0] == path]

    def zenodo_record(self, record: int, title: str, files: dict[str, bytes], *, version: str | None = "1.0",
                      md5_override: dict[str, str] | None = None) -> None:
        entries = []
        for key, data in files.items():
            path = f"/api/records/{record}/files/{key}/content"
            self.files[path] = Blob(data)
            md5 = (md5_override or {}).get(key, hashlib.md5(data).hexdigest())
            entries.append({"key": key, "size": len(data), "checksum": f"md5:{md5}", "links": {"self": self.base + path}})
        self._zenodo[str(record)] = {"id": record, "metadata": {"title": title, "version": version}, "files": entries}

    def gdrive_file(self, file_id: str, data: bytes, *, flow: str = "form") -> None:
        """``flow``: ``none`` (file at once), ``form`` (current page), ``cookie`` (older), ``quota``."""
        self.files[f"/drive-bytes/{file_id}"] = Blob(data)
        self._drive[file_id] = (flow, uuid.uuid4().hex)

    def hub_repo(self, repo_id: str, files: dict[str, bytes], *, revision: str = "main",
                 lfs: tuple[str, ...] = ()) -> str:
        commit = hashlib.sha1(repo_id.encode() + revision.encode()).hexdigest()
        table = {}
        for name, data in files.items():
            sha = hashlib.sha256(data).hexdigest()
            table[name] = {"data": data, "lfs": name in lfs, "sha256": sha, "git": git_blob_id(data)}
            if name in lfs:
                self.files[f"/cdn/{sha}"] = Blob(data)
        info = {"commit": commit, "files": table}
        self._hub[(repo_id, revision)] = info
        self._hub[(repo_id, commit)] = info
        return commit

    # -- serving ---------------------------------------------------------------------------
    def _handle(self, h: _Handler, head: bool) -> None:
        url = urllib.parse.urlsplit(h.path)
        self.log.append(("HEAD" if head else "GET", h.path, dict(h.headers.items())))
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            queue = self.faults.get(url.path)
            fault = queue.pop(0) if queue else None
        try:
            if fault and fault[0] == "status":
                return self._send_status(h, fault[1], fault[2])
            if fault and fault[0] == "slow_headers":
                return self._send_slow_headers(h, fault[1], fault[2])
            path = url.path
            if path.startswith("/api/records/") and path.count("/") == 3:
                rec = self._zenodo.get(path.rsplit("/", 1)[1])
                return self._send_json(h, rec, fault) if rec else self._send_status(h, 404)
            if path == "/download":
                return self._drive_answer(h, dict(urllib.parse.parse_qsl(url.query)), head, fault)
            if path.startswith("/api/datasets/"):
                return self._hub_info(h, path, fault)
            if path.startswith("/datasets/") and "/resolve/" in path:
                return self._hub_resolve(h, path, head, fault)
            blob = self.files.get(path)
            if blob is None:
                return self._send_status(h, 404)
            self._send_blob(h, blob, head, fault)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True

    def _send_slow_headers(self, h: _Handler, every: float, seconds: float) -> None:
        """The status line and the start of a header, then one byte every ``every`` s; never the end."""
        h.close_connection = True
        h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        h.wfile.flush()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(every)
            h.wfile.write(b"a")
            h.wfile.flush()

    def _send_status(self, h: _Handler, code: int, headers: dict[str, str] | None = None) -> None:
        body = f"status {code}\n".encode()
        h.send_response(code)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _send_json(self, h: _Handler, obj: Any, fault: tuple[Any, ...] | None = None) -> None:
        """The JSON answer; a ``trickle(n, s)`` fault sends it ``n`` bytes every ``s`` seconds."""
        body = json.dumps(obj).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        self._write_body(h, body, fault)

    @staticmethod
    def _write_body(h: _Handler, body: bytes, fault: tuple[Any, ...] | None) -> None:
        """``body`` at once, or ``n`` bytes every ``s`` seconds under a ``trickle(n, s)`` fault."""
        if fault and fault[0] == "trickle":
            for i in range(0, len(body), fault[1]):
                h.wfile.write(body[i:i + fault[1]])
                h.wfile.flush()
                time.sleep(fault[2])
            return
        h.wfile.write(body)

    def _send_page(self, h: _Handler, page: str, headers: dict[str, str] | None = None,
                   fault: tuple[Any, ...] | None = None) -> None:
        body = page.encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        self._write_body(h, body, fault)

    def _send_blob(self, h: _Handler, blob: Blob, head: bool, fault: tuple[Any, ...] | None,
                   extra: dict[str, str] | None = None) -> None:
        if fault and fault[0] == "hang":
            time.sleep(fault[1])
            h.close_connection = True
            return
        if fault and fault[0] == "page":
            body = fault[1].encode()
            h.send_response(200)
            h.send_header("Content-Type", fault[2])
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        if fault and fault[0] in ("gzip", "encoded"):
            import gzip as _gzip

            raw = b"".join(bytes(c) for c in blob.chunks(0, blob.size))
            body = _gzip.compress(raw) if fault[0] == "gzip" else raw
            h.send_response(200)
            h.send_header("Content-Type", "application/octet-stream")
            h.send_header("Content-Encoding", "gzip" if fault[0] == "gzip" else fault[1])
            h.send_header("Content-Length", str(len(body)))
            h.send_header("ETag", blob.etag)
            h.end_headers()
            h.wfile.write(body)
            return
        modified = email.utils.formatdate(blob.modified, usegmt=True)
        start, end, code = 0, blob.size, 200
        rng = h.headers.get("Range")
        if_range = h.headers.get("If-Range")
        if if_range and self.honour_if_range and if_range not in (blob.etag, modified):
            rng = None  # the validator changed: the whole (new) file
        if rng and rng.startswith("bytes=") and not (fault and fault[0] == "ignore_range"):
            a, _, b = rng[6:].partition("-")
            start = int(a)
            end = min(blob.size, int(b) + 1) if b else blob.size
            if start >= blob.size:
                return self._send_status(h, 416, {"Content-Range": f"bytes */{blob.size}"})
            code = 206
        if fault and fault[0] == "wrong_start":  # a 206 from another offset, asked for or not
            start, code = min(blob.size - 1, start + 1000), 206
        h.send_response(code)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Accept-Ranges", "bytes")
        h.send_header("Content-Length", str(end - start))
        if code == 206:
            h.send_header("Content-Range", f"bytes {start}-{end - 1}/{blob.size}")
        if "ETag" not in (extra or {}):
            h.send_header("ETag", blob.etag)
        h.send_header("Last-Modified", modified)
        for k, v in (extra or {}).items():
            h.send_header(k, v)
        h.end_headers()
        if head:
            return
        if fault and fault[0] == "trickle":
            for chunk in blob.chunks(start, end):
                for i in range(0, len(chunk), fault[1]):
                    h.wfile.write(chunk[i:i + fault[1]])
                    h.wfile.flush()
                    time.sleep(fault[2])
            return
        limit = fault[1] if fault and fault[0] in ("truncate", "stall") else None
        sent = 0
        for chunk in blob.chunks(start, end):
            if limit is not None and sent + len(chunk) >= limit:
                h.wfile.write(chunk[:max(0, limit - sent)])
                if fault and fault[0] == "stall":
                    time.sleep(fault[2])
                h.close_connection = True
                h.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault and fault[0] == "corrupt" and sent == 0:
                chunk = bytes([chunk[0] ^ 0xFF]) + bytes(chunk[1:])
            h.wfile.write(chunk)
            sent += len(chunk)
            if self.rate:
                time.sleep(len(chunk) / self.rate)

    def _drive_answer(self, h: _Handler, q: dict[str, str], head: bool, fault: tuple[Any, ...] | None) -> None:
        fid = q.get("id", "")
        if fid not in self._drive:
            return self._send_status(h, 404)
        flow, token = self._drive[fid]
        blob = self.files[f"/drive-bytes/{fid}"]
        if flow == "quota":
            return self._send_page(h, "<html><body>Sorry, you can't view or download this file at this time. "
                                      "Too many users have viewed or downloaded this file recently.</body></html>")
        if flow == "form" and not (q.get("confirm") == "t" and q.get("uuid") == token):
            return self._send_page(h, (
                "<html><body><p>Google Drive can't scan this file for viruses.</p>"
                f'<form id="download-form" action="{self.base}/download" method="get">'
                f'<input type="submit" value="Download anyway"><input type="hidden" name="id" value="{fid}">'
                '<input type="hidden" name="export" value="download"><input type="hidden" name="confirm" value="t">'
                f'<input type="hidden" name="uuid" value="{token}"></form></body></html>'), fault=fault)
        if flow == "cookie" and not (q.get("confirm") == token and f"={token}" in h.headers.get("Cookie", "")):
            return self._send_page(h, (
                "<html><body>Google Drive - Virus scan warning "
                f'<a id="uc-download-link" href="/download?export=download&amp;confirm={token}&amp;id={fid}">'
                "Download anyway</a></body></html>"),
                {"Set-Cookie": f"download_warning_13058876669334088843_{fid}={token}; Path=/; HttpOnly"})
        self._send_blob(h, blob, head, fault, {"Content-Disposition": f'attachment; filename="{fid}.bin"'})

    def _hub_info(self, h: _Handler, path: str, fault: tuple[Any, ...] | None = None) -> None:
        rest = path[len("/api/datasets/"):]
        repo, _, rev = rest.partition("/revision/")
        info = self._hub.get((urllib.parse.unquote(repo), urllib.parse.unquote(rev or "main")))
        if info is None:
            return self._send_status(h, 404, {"X-Error-Code": "RevisionNotFound"})
        self._send_json(h, {"id": repo, "sha": info["commit"], "private": False,
                            "siblings": [{"rfilename": n} for n in info["files"]]}, fault)

    def _hub_resolve(self, h: _Handler, path: str, head: bool, fault: tuple[Any, ...] | None) -> None:
        repo, _, rest = path[len("/datasets/"):].partition("/resolve/")
        rev, _, name = rest.partition("/")
        info = self._hub.get((repo, urllib.parse.unquote(rev)))
        entry = info["files"].get(urllib.parse.unquote(name)) if info else None
        if entry is None:
            return self._send_status(h, 404, {"X-Error-Code": "EntryNotFound"})
        common = {"X-Repo-Commit": info["commit"]}
        if entry["lfs"]:
            h.send_response(302)
            h.send_header("Location", f"http://localhost:{self.port}/cdn/{entry['sha256']}")
            for k, v in {**common, "X-Linked-Etag": f'"{entry["sha256"]}"', "X-Linked-Size": str(len(entry["data"])),
                         "ETag": f'"{entry["git"]}"', "Content-Length": "0"}.items():
                h.send_header(k, v)
            h.end_headers()
            return
        self._send_blob(h, Blob(entry["data"]), head, fault, {**common, "ETag": f'"{entry["git"]}"'})


class SlowTLSServer:
    """A TLS server that never finishes its handshake: it reads the ClientHello, announces a
    16 KiB handshake record and sends it one byte every ``every`` seconds, for at most ``seconds``
    per connection. :attr:`connections` counts the connections; :attr:`url` is an ``https`` URL."""

    def __init__(self, every: float = 0.05, seconds: float = 60.0) -> None:
        self.every, self.seconds = every, seconds
        self.connections = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}/f.bin"
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> SlowTLSServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        self._sock.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(5)
                conn.recv(1 << 16)  # the ClientHello
                conn.sendall(b"\x16\x03\x03\x40\x00")  # handshake record of 16384 bytes ...
                end = time.monotonic() + self.seconds
                while time.monotonic() < end and not self._closed.is_set():
                    time.sleep(self.every)
                    conn.sendall(b"\x02")  # ... one byte at a time
            except OSError:
                return
