"""The HTTP layer and single-file fetches over loopback, with injected faults."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from loopback import corrupt, ignore_range, stall, status, truncate

from avbench.download import fetch_resources, http
from avbench.download.resource import HttpSource, Resource
from avbench.errors import DownloadError
from avbench.io import read_json

REPO = Path(__file__).resolve().parents[1]
DATA = bytes(range(256)) * 4096 + b"tail"  # 1 MiB + 4 bytes: more than one read chunk


def _res(url: str, data: bytes = DATA, **kw) -> Resource:
    return Resource("f.bin", HttpSource(url), size=len(data), sha256=hashlib.sha256(data).hexdigest(), **kw)


def _get_ranges(server, url) -> list[str | None]:
    return [h.get("Range") for m, _, h in server.requests_for(url) if m == "GET"]


def test_plain_fetch_verifies_and_records(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA)
    report = fetch_resources([_res(url)], tmp_path, quiet=True)
    assert (tmp_path / "f.bin").read_bytes() == DATA
    assert report.fetched == ["f.bin"]
    assert not (tmp_path / "f.bin.part").exists()

    entry = read_json(tmp_path / ".avbench" / "downloads.json")["files"]["f.bin"]
    assert entry["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert entry["size"] == len(DATA) and entry["url"] == url and entry["verified"] == ["sha256"]
    assert entry["source"] == {"kind": "http", "url": url}


def test_resume_from_part_file_sends_range(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA)
    (tmp_path / "f.bin.part").write_bytes(DATA[:300_000])
    fetch_resources([_res(url)], tmp_path, quiet=True)
    assert (tmp_path / "f.bin").read_bytes() == DATA
    assert _get_ranges(loopback, url) == ["bytes=300000-"]


def test_server_ignoring_range_restarts_cleanly(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA)
    (tmp_path / "f.bin.part").write_bytes(DATA[:1000])
    loopback.fail(url, ignore_range())
    fetch_resources([_res(url)], tmp_path, quiet=True)
    assert (tmp_path / "f.bin").read_bytes() == DATA


def test_truncated_body_is_resumed(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA)
    loopback.fail(url, truncate(200_000), truncate(500_000))
    fetch_resources([_res(url)], tmp_path, quiet=True)
    assert (tmp_path / "f.bin").read_bytes() == DATA
    assert _get_ranges(loopback, url) == [None, "bytes=200000-", "bytes=700000-"]


def test_500s_are_retried_then_succeed(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA)
    loopback.fail(url, status(500), status(503))
    fetch_resources([_res(url)], tmp_path, quiet=True)
    assert (tmp_path / "f.bin").read_bytes() == DATA
    assert len(_get_ranges(loopback, url)) == 3


def test_500s_exhaust_retries_with_clear_error(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA)
    loopback.fail(url, *[status(500)] * 10)
    with pytest.raises(DownloadError, match=r"f\.bin: HTTP 500 .* \(4 attempts\); rerun"):
        fetch_resources([_res(url)], tmp_path, quiet=True)
    assert not (tmp_path / "f.bin").exists()


def test_429_retry_after_is_honoured(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA)
    loopback.fail(url, status(429, {"Retry-After": "1"}))
    t0 = time.monotonic()
    fetch_resources([_res(url)], tmp_path, quiet=True)
    assert time.monotonic() - t0 >= 1.0  # the backoff alone would wait < 0.05 s
    assert (tmp_path / "f.bin").read_bytes() == DATA


def test_retry_after_beyond_limit_is_reported(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA)
    loopback.fail(url, status(429, {"Retry-After": "3600"}))
    with pytest.raises(DownloadError, match="asks to wait 3600 s"):
        fetch_resources([_res(url)], tmp_path, quiet=True)


@pytest.mark.parametrize("size", [len(DATA), 20 << 20])  # inline sink, threaded sink (>= 16 MiB)
def test_stall_times_out_and_resumes_where_the_bytes_stopped(loopback, tmp_path, size):
    url, blob = loopback.add_generated("f.bin", size, seed=5)
    loopback.fail(url, stall(100_000, 2.0))
    res = Resource("f.bin", HttpSource(url), size=size, sha256=blob.sha256())
    fetch_resources([res], tmp_path, quiet=True, timeout=0.3)
    assert hashlib.sha256((tmp_path / "f.bin").read_bytes()).hexdigest() == blob.sha256()
    assert _get_ranges(loopback, url) == [None, "bytes=100000-"]


@pytest.mark.parametrize("cut", [8 << 20, (8 << 20) + 1], ids=["aligned", "unaligned"])
def test_large_file_cut_and_resumed_is_the_file_and_its_recorded_hash(loopback, tmp_path, cut):
    """The threaded sink (>= 16 MiB: O_DIRECT where the file system takes it, from an aligned
    offset only; the page cache otherwise and for the last partial buffer)."""
    url, blob = loopback.add_generated("f.bin", 20 << 20, seed=6)
    loopback.fail(url, truncate(cut))
    fetch_resources([Resource("f.bin", HttpSource(url), size=20 << 20, sha256=blob.sha256())], tmp_path, quiet=True)
    on_disk = hashlib.sha256((tmp_path / "f.bin").read_bytes()).hexdigest()
    assert on_disk == blob.sha256() and _get_ranges(loopback, url) == [None, f"bytes={cut}-"]
    assert read_json(tmp_path / ".avbench/downloads.json")["files"]["f.bin"]["sha256"] == on_disk


def test_404_is_not_retried(loopback, tmp_path):
    url = loopback.base + "/files/nothing.bin"
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch_resources([_res(url)], tmp_path, quiet=True)
    assert len(loopback.requests_for(url)) == 1


def test_checksum_mismatch_quarantined_then_retried_once(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA)
    loopback.fail(url, corrupt())
    fetch_resources([_res(url)], tmp_path, quiet=True)
    assert (tmp_path / "f.bin").read_bytes() == DATA
    quarantined = list((tmp_path / ".avbench" / "quarantine").iterdir())
    assert len(quarantined) == 1 and quarantined[0].read_bytes() != DATA


def test_checksum_mismatch_twice_reports_both_hashes(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA)
    loopback.fail(url, corrupt(), corrupt())
    bad = bytes([DATA[0] ^ 0xFF]) + DATA[1:]
    with pytest.raises(DownloadError) as err:
        fetch_resources([_res(url)], tmp_path, quiet=True)
    msg = str(err.value)
    assert f"sha256 expected {hashlib.sha256(DATA).hexdigest()}, got {hashlib.sha256(bad).hexdigest()}" in msg
    assert not (tmp_path / "f.bin").exists()
    assert len(list((tmp_path / ".avbench" / "quarantine").iterdir())) == 2


def test_size_announced_differs_from_recipe(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA + b"x")
    with pytest.raises(DownloadError, match="server says 1048581 bytes, expected 1048580"):
        fetch_resources([_res(url)], tmp_path, quiet=True)


def test_unverified_file_without_size_or_hash(loopback, tmp_path):
    url = loopback.add_file("f.bin", DATA)
    fetch_resources([Resource("f.bin", HttpSource(url))], tmp_path, quiet=True)
    assert (tmp_path / "f.bin").read_bytes() == DATA


def test_parse_retry_after_http_date():
    import email.utils

    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= http.parse_retry_after(when) <= 31
    assert http.parse_retry_after("soon") is None


def test_tls_verification_is_always_on(tmp_path):
    """A self-signed HTTPS server is refused with a message about the certificate."""
    import shutil
    import ssl
    import threading
    from http.server import HTTPServer, SimpleHTTPRequestHandler

    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available to make a self-signed certificate")
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    srv = HTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{srv.server_address[1]}/x"
        with pytest.raises(DownloadError, match="TLS certificate .* did not verify"):
            fetch_resources([Resource("x", HttpSource(url))], tmp_path / "d", quiet=True)
    finally:
        srv.shutdown()


@pytest.mark.slow
def test_sigkill_half_way_then_resume_is_byte_identical(loopback, tmp_path):
    """`avbench fetch` killed with SIGKILL mid-stream; the rerun resumes with Range and the file
    is byte-identical to the source."""
    url, blob = loopback.add_generated("big.bin", 6 << 20, seed=3)
    loopback.rate = 2 << 20  # 2 MiB/s: the first run is still streaming when killed
    out = tmp_path / "big.bin"
    sha = blob.sha256()
    cmd = [sys.executable, "-m", "avbench", "fetch", url, "--sha256", sha, "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    part = out.with_name("big.bin.part")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not part.exists() or part.stat().st_size < (1 << 20)):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    have = part.stat().st_size
    assert 0 < have < blob.size and not out.exists()
    loopback.rate = None
    fetch_resources([Resource("big.bin", HttpSource(url), size=blob.size, sha256=sha)], tmp_path, quiet=True)
    got = hashlib.sha256(out.read_bytes()).hexdigest()
    assert got == sha
    assert _get_ranges(loopback, url)[-1] == f"bytes={have}-"


def test_ctrl_c_stops_promptly_and_keeps_the_part_file(loopback, tmp_path):
    """SIGINT to `avbench fetch` mid-stream: exit status 130, 'interrupted', the part file kept
    and resumed by the next run."""
    url, blob = loopback.add_generated("big.bin", 8 << 20, seed=4)
    loopback.rate = 2 << 20
    out = tmp_path / "big.bin"
    cmd = [sys.executable, "-m", "avbench", "fetch", url, "--sha256", blob.sha256(), "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    part = out.with_name("big.bin.part")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not part.exists() or part.stat().st_size < (1 << 20)):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 130 and "interrupted" in err
    assert part.is_file() and not out.exists()
    loopback.rate = None
    fetch_resources([Resource("big.bin", HttpSource(url), size=blob.size, sha256=blob.sha256())], tmp_path, quiet=True)
    assert _get_ranges(loopback, url)[-1].startswith("bytes=")


@pytest.mark.parametrize("gai_errno, attempts", [("EAI_NONAME", http.NAME_ATTEMPTS), ("EAI_AGAIN", 6)])
def test_a_host_name_that_does_not_exist_is_tried_twice_not_six_times(gai_errno, attempts):
    """'Name or service not known' (offline, a typo): once more after a backoff, then one line with advice;
    a temporary resolver failure (EAI_AGAIN) keeps the policy's attempts."""
    import socket
    import urllib.error

    calls = []

    def attempt():
        calls.append(1)
        raise urllib.error.URLError(socket.gaierror(getattr(socket, gai_errno), "resolver says no"))

    policy = http.RetryPolicy(attempts=6, base=0.001, cap=0.002)
    with pytest.raises(DownloadError) as exc:
        http.retrying("https://zenodo.example.invalid/x", attempt, retry=policy)
    assert len(calls) == attempts
    assert f"({attempts} attempts)" in str(exc.value) and "\n" not in str(exc.value)
    assert ("offline?" in str(exc.value)) == (gai_errno == "EAI_NONAME")


def _count_contexts(monkeypatch, delay: float = 0.0) -> list[int]:
    """Count the TLS contexts built from now on (each loads the CA bundle: about 60 ms of CPU)."""
    made: list[int] = []
    real = http.ssl.create_default_context

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(1)
        time.sleep(delay)  # widen the window in which racing threads would each build one
        return real(*args, **kwargs)

    monkeypatch.setattr(http.ssl, "create_default_context", counting)
    monkeypatch.setattr(http, "_TLS", None)
    return made


def test_plain_http_workers_build_no_tls_context(loopback, tmp_path, monkeypatch):
    """Before: the first requests of 32 workers raced to build the shared opener, each building
    its TLS context (32 x 58 ms of CPU, a fifth of the client's CPU for 1,000 small files), and a
    plain ``http`` download built one anyway. Now a context is built at the first ``https`` request."""
    made = _count_contexts(monkeypatch)
    data = {f"s/{i:03d}.bin": os.urandom(100 + i) for i in range(64)}
    res = [Resource(k, HttpSource(loopback.add_file(f"t{i}.bin", v)), size=len(v),
                    sha256=hashlib.sha256(v).hexdigest()) for i, (k, v) in enumerate(data.items())]
    fetch_resources(res, tmp_path, quiet=True, workers=32)
    assert all((tmp_path / k).read_bytes() == v for k, v in data.items())
    assert made == []


def test_tls_context_is_built_once_for_racing_threads(monkeypatch):
    import threading

    made = _count_contexts(monkeypatch, delay=0.05)
    start = threading.Barrier(16)
    got: list[object] = []

    def first_https_request() -> None:
        start.wait()
        got.append(http.tls_context())

    threads = [threading.Thread(target=first_https_request) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and len(got) == 16 and all(c is got[0] for c in got)
    assert got[0].verify_mode == http.ssl.CERT_REQUIRED and got[0].check_hostname
