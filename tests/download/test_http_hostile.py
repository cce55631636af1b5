"""Hostile servers: a file changed or shrunk between a cut and the resume, web pages where a file
is expected, encoded bodies, trickles, answers that loop, silence during Ctrl-C, two writers."""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _threads import in_thread
from loopback import (SlowTLSServer, encoded, gzip_body, hang, page, page_as_binary, slow_headers, status, trickle,
                      truncate, wrong_start)

from avbench.download import fetch_resources
from avbench.download.resource import GDriveSource, HttpSource, Resource, ZenodoSource
from avbench.errors import DownloadError
from avbench.io import read_json

REPO = Path(__file__).resolve().parents[2]
SIZE = 3 << 20


def _unhashed(url: str, name: str = "f.bin") -> Resource:
    return Resource(name, HttpSource(url))


def _cut(loopback, tmp_path: Path, url: str, at: int) -> Path:
    """A first run cut after ``at`` bytes that then gives up: ``f.bin.part`` holds ``at`` bytes."""
    loopback.fail(url, truncate(at), *[truncate(0)] * 3)
    with pytest.raises(DownloadError):
        fetch_resources([_unhashed(url)], tmp_path, quiet=True)
    part = tmp_path / "f.bin.part"
    assert part.stat().st_size == at
    return part


def _gets(loopback, url: str) -> list[dict[str, str]]:
    return [h for m, _, h in loopback.requests_for(url) if m == "GET"]


@pytest.mark.parametrize("honoured", [True, False])
def test_file_changed_between_cut_and_resume_is_restarted_not_spliced(loopback, tmp_path, honoured):
    """Before: the first 2 MiB of v1 and the rest of v2, reported as fetched. Now ``If-Range``
    carries v1's ETag: the server's whole new file (200), or a 206 with another ETag, restarts."""
    url, _v1 = loopback.add_generated("f.bin", SIZE, seed=1)
    _cut(loopback, tmp_path, url, 2 << 20)
    _, v2 = loopback.add_generated("f.bin", SIZE, seed=2)  # changed upstream, same size
    loopback.honour_if_range = honoured
    fetch_resources([_unhashed(url)], tmp_path, quiet=True)
    assert hashlib.sha256((tmp_path / "f.bin").read_bytes()).hexdigest() == v2.sha256()
    resume = _gets(loopback, url)[-2 if not honoured else -1]
    assert resume["Range"] == f"bytes={2 << 20}-" and resume["If-Range"] == '"g1-3145728"'
    entry = read_json(tmp_path / ".avbench/downloads.json")["files"]["f.bin"]
    assert entry["sha256"] == v2.sha256() and entry["etag"] == '"g2-3145728"' and entry["last_modified"]


def test_unchanged_file_resumes_with_if_range(loopback, tmp_path):
    url, blob = loopback.add_generated("f.bin", SIZE, seed=1)
    _cut(loopback, tmp_path, url, 2 << 20)
    fetch_resources([_unhashed(url)], tmp_path, quiet=True)
    assert hashlib.sha256((tmp_path / "f.bin").read_bytes()).hexdigest() == blob.sha256()
    assert _gets(loopback, url)[-1]["Range"] == f"bytes={2 << 20}-"
    assert not list(tmp_path.glob("f.bin.part*"))


def test_file_shrunk_upstream_416_is_not_taken_as_complete(loopback, tmp_path):
    """Before: 416 on resume meant "complete": the 2 MiB of v1 were accepted as the file."""
    url, _ = loopback.add_generated("f.bin", SIZE, seed=1)
    _cut(loopback, tmp_path, url, 2 << 20)
    _, small = loopback.add_generated("f.bin", 1 << 20, seed=2)
    loopback.honour_if_range = False  # so the resume meets the 416
    fetch_resources([_unhashed(url)], tmp_path, quiet=True)
    assert hashlib.sha256((tmp_path / "f.bin").read_bytes()).hexdigest() == small.sha256()


def test_part_file_without_a_recorded_validator_and_no_hash_is_restarted(loopback, tmp_path):
    url, blob = loopback.add_generated("f.bin", SIZE, seed=1)
    (tmp_path / "f.bin.part").write_bytes(b"\0" * 1000)  # not known to be this file
    fetch_resources([_unhashed(url)], tmp_path, quiet=True)
    assert hashlib.sha256((tmp_path / "f.bin").read_bytes()).hexdigest() == blob.sha256()
    assert _gets(loopback, url)[-1].get("Range") is None


QUOTA = ("<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded</title></head><body>Sorry, you can't "
         "view or download this file at this time. Too many users have viewed or downloaded this file recently."
         "</body></html>")
LOGIN = "<html><head><title>Sign in - Google Accounts</title></head><body>accounts.google.com</body></html>"


@pytest.mark.parametrize("fault,message", [
    (page(QUOTA), "Google Drive says the download quota is exceeded; try later or use --mirror"),
    (page_as_binary(QUOTA), "Google Drive says the download quota is exceeded; try later or use --mirror"),
    (page(LOGIN), "asks to sign in"),
    (page("<html><title>Moved</title>gone</html>"), "answered a web page titled 'Moved' instead of the file"),
])
def test_web_page_where_a_file_is_expected_is_never_saved(loopback, tmp_path, fault, message):
    url, _ = loopback.add_generated("f.bin", SIZE, seed=1)
    loopback.fail(url, fault)
    with pytest.raises(DownloadError, match="nothing was saved") as exc:
        fetch_resources([_unhashed(url)], tmp_path, quiet=True)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert not list(tmp_path.glob("f.bin*"))


def test_web_page_on_resume_never_replaces_a_good_part_file(loopback, tmp_path):
    url, blob = loopback.add_generated("f.bin", SIZE, seed=1)
    part = _cut(loopback, tmp_path, url, 2 << 20)
    before = part.read_bytes()
    loopback.fail(url, page(QUOTA))
    with pytest.raises(DownloadError, match="quota is exceeded.*is kept"):
        fetch_resources([_unhashed(url)], tmp_path, quiet=True)
    assert part.read_bytes() == before
    fetch_resources([_unhashed(url)], tmp_path, quiet=True)  # the quota lifted: resumed
    assert hashlib.sha256((tmp_path / "f.bin").read_bytes()).hexdigest() == blob.sha256()
    assert _gets(loopback, url)[-1]["Range"] == f"bytes={2 << 20}-"


def test_html_file_asked_for_is_saved(loopback, tmp_path):
    url = loopback.add_file("index.html", b"<html><body>the real page</body></html>")
    fetch_resources([_unhashed(url, "index.html")], tmp_path, quiet=True)
    assert (tmp_path / "index.html").read_bytes().startswith(b"<html>")


def test_gzip_content_encoding_is_decoded(loopback, tmp_path):
    data = b"annotation line\n" * 50_000
    url = loopback.add_file("f.csv", data)
    loopback.fail(url, gzip_body())
    fetch_resources([_unhashed(url, "f.csv")], tmp_path, quiet=True)
    assert (tmp_path / "f.csv").read_bytes() == data  # before: the gzip bytes were saved as the file
    assert len(gzip.compress(data)) < len(data) // 10
    loopback.fail(url, gzip_body())
    fetch_resources([Resource("g.csv", HttpSource(url), size=len(data), sha256=hashlib.sha256(data).hexdigest())],
                    tmp_path, quiet=True)
    assert (tmp_path / "g.csv").read_bytes() == data


def test_unknown_content_encoding_is_refused(loopback, tmp_path):
    url = loopback.add_file("f.bin", b"x" * 1000)
    loopback.fail(url, encoded("br"))
    with pytest.raises(DownloadError, match="Content-Encoding 'br' although identity was asked"):
        fetch_resources([_unhashed(url)], tmp_path, quiet=True)
    assert not (tmp_path / "f.bin").exists()


# -- no hang ---------------------------------------------------------------------------------------
def test_trickle_below_the_minimum_rate_gives_up(loopback, tmp_path):
    """Before: a 1 byte/s trickle ran for hours (every byte arrived before the stall timeout)."""
    url, _ = loopback.add_generated("f.bin", SIZE, seed=1)
    loopback.fail(url, *[trickle(1, 0.02)] * 10)
    t0 = time.monotonic()
    with pytest.raises(DownloadError, match=r"slower than 100000 bytes/s over 0\.3 s \(4 attempts\)"):
        fetch_resources([_unhashed(url)], tmp_path, quiet=True, min_rate=100_000, rate_window=0.3)
    assert time.monotonic() - t0 < 20
    assert len(_gets(loopback, url)) == 4


@pytest.mark.parametrize("fault", [wrong_start(), status(416), truncate(1)],
                         ids=["wrong-start-206", "416", "one-byte-per-connection"])
def test_every_kind_of_failure_counts_towards_the_attempts(loopback, tmp_path, fault):
    """Before: 2,007 requests in 20 s on wrong-start 206 answers, 6,477 on 416 answers, and one
    byte per connection never gave up (each byte reset the failure count)."""
    url, _ = loopback.add_generated("f.bin", SIZE, seed=1)
    _cut(loopback, tmp_path, url, 2 << 20)
    n = len(_gets(loopback, url))
    loopback.fail(url, *[fault] * 200)
    exc = in_thread(lambda: fetch_resources([_unhashed(url)], tmp_path, quiet=True))  # fails if it never gives up
    assert isinstance(exc, DownloadError) and "(4 attempts)" in str(exc)
    assert len(_gets(loopback, url)) - n <= 8


def _avbench(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    return subprocess.Popen([sys.executable, "-m", "avbench", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def test_ctrl_c_with_a_silent_server_exits_at_once(loopback, tmp_path):
    """Before: about 6 minutes (the 60 s read timeout, then the retries' sleeps)."""
    url, _ = loopback.add_generated("f.bin", SIZE, seed=1)
    loopback.fail(url, hang(120))
    proc = _avbench("fetch", url, "--out", str(tmp_path / "f.bin"), "--quiet")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not _gets(loopback, url):
        time.sleep(0.02)
    time.sleep(0.2)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    took = time.monotonic() - t0
    assert proc.returncode == 130 and "interrupted" in err
    assert took < 5.0, f"took {took:.1f} s to stop"  # about 0.1 s here; the bound leaves room for a loaded CI


@pytest.mark.parametrize("option", ["timeout", "header_timeout"])
def test_headers_sent_one_byte_at_a_time_hit_the_header_deadline(loopback, tmp_path, option):
    """Before: a server sending its status line and then one header byte every 50 ms was waited on
    for as long as it kept sending (every byte came within the stall timeout), here 60 s per
    attempt. Now the headers must be complete within ``header_timeout`` (default: ``timeout``)."""
    url, _ = loopback.add_generated("f.bin", SIZE, seed=1)
    loopback.fail(url, *[slow_headers(0.05, 60)] * 10)
    t0 = time.monotonic()
    exc = in_thread(lambda: fetch_resources([_unhashed(url)], tmp_path, quiet=True, **{option: 0.4}))
    assert isinstance(exc, DownloadError), exc
    assert "response headers were not complete within 0.4 s" in str(exc) and "(4 attempts)" in str(exc)
    assert len(_gets(loopback, url)) == 4 and time.monotonic() - t0 < 15
    assert not (tmp_path / "f.bin").exists() and not (tmp_path / "f.bin.part").exists()


def test_resolver_headers_sent_one_byte_at_a_time_hit_the_header_deadline(loopback, tmp_path):
    """The Zenodo API call has the same deadline (before: it waited as long as the bytes came)."""
    loopback.zenodo_record(5, "T", {"a.bin": b"x" * 100})
    loopback.fail(loopback.base + "/api/records/5", *[slow_headers(0.05, 60)] * 10)
    exc = in_thread(lambda: fetch_resources([Resource("a.bin", ZenodoSource(5, "a.bin"))], tmp_path, quiet=True,
                                             header_timeout=0.3))
    assert isinstance(exc, DownloadError) and "response headers were not complete within 0.3 s" in str(exc), exc


def test_tls_handshake_sent_one_byte_at_a_time_hits_the_header_deadline(loopback, tmp_path):
    """Before: a server answering the ClientHello with a 16 KiB handshake record sent one byte
    every 50 ms held the client in the handshake until the stall timeout (60 s by default, which
    CPython applies to the whole handshake), per attempt: the header deadline started only after
    the handshake. Now the handshake is under the header deadline too."""
    with SlowTLSServer(every=0.05, seconds=60) as srv:
        t0 = time.monotonic()
        exc = in_thread(lambda: fetch_resources([_unhashed(srv.url)], tmp_path, quiet=True, header_timeout=0.4))
        took = time.monotonic() - t0
        assert isinstance(exc, DownloadError), exc
        assert "TLS handshake was not complete within 0.4 s" in str(exc) and "(4 attempts)" in str(exc)
        assert srv.connections == 4 and took < 15
    assert not (tmp_path / "f.bin.part").exists()


@pytest.mark.parametrize("kind", ["zenodo", "gdrive"])
@pytest.mark.parametrize("deadline", ["min-rate", "total"])
def test_metadata_trickle_hits_the_same_deadlines_as_a_file_body(loopback, tmp_path, kind, deadline):
    """Before: a resolver's answer (the Zenodo record JSON through ``get_bytes``, a Drive
    confirmation page) was read with one blocking read, so a body trickled a byte every 50 ms
    took as long as the server liked (here about 12 s per attempt, then it was used). Now small
    bodies have the file bodies' minimum rate over ``rate_window`` and, being small, must be
    complete within one window (or the stall timeout, when longer)."""
    if kind == "zenodo":
        loopback.zenodo_record(6, "T", {"a.bin": b"x" * 100})
        source, path = ZenodoSource(6, "a.bin"), "/api/records/6"
        loopback.fail(path, *[trickle(1, 0.05)] * 10)
    else:
        loopback.gdrive_file("ID9", b"y" * 100, flow="form")
        source, path = GDriveSource("ID9"), "/download"
        loopback.fail(path, *[trickle(1, 0.05)] * 10)
    opts = {"min_rate": 1024, "rate_window": 0.3} if deadline == "min-rate" else \
        {"min_rate": 0, "rate_window": 0.3, "timeout": 0.3}
    t0 = time.monotonic()
    exc = in_thread(lambda: fetch_resources([Resource("a.bin", source)], tmp_path, quiet=True, **opts))
    assert isinstance(exc, DownloadError), exc
    want = "slower than 1024 bytes/s over 0.3 s" if deadline == "min-rate" else "took over 0.3 s"
    assert want in str(exc) and "(4 attempts)" in str(exc), exc
    assert len([r for r in loopback.log if r[1].split("?")[0] == path]) == 4 and time.monotonic() - t0 < 15


def test_header_deadline_lets_a_normal_answer_through(loopback, tmp_path):
    url, blob = loopback.add_generated("f.bin", SIZE, seed=1)
    loopback.latency = 0.1  # well within the deadline
    fetch_resources([Resource("f.bin", HttpSource(url), sha256=blob.sha256())], tmp_path, quiet=True,
                    header_timeout=2.0)
    assert len(_gets(loopback, url)) == 1


_RESOLVE_SCRIPT = """
import sys
from avbench.download import fetch_resources
from avbench.download.resource import GDriveSource, Resource, ZenodoSource
try:
    fetch_resources([Resource("a.bin", {source})], sys.argv[1], quiet=True)
except KeyboardInterrupt:
    sys.stderr.write("interrupted\\n")
    sys.exit(130)
"""


@pytest.mark.parametrize("kind", ["zenodo", "gdrive"])
def test_ctrl_c_while_a_resolver_waits_out_a_429_exits_at_once(loopback, tmp_path, kind):
    """Before: the resolver slept the whole ``Retry-After`` (here 60 s) in a worker thread and
    Ctrl-C waited for it. Now its retry sleeps wait on the run's cancel event."""
    if kind == "zenodo":
        loopback.zenodo_record(7, "T", {"a.bin": b"x" * 100})
        path, source = "/api/records/7", "ZenodoSource(7, 'a.bin')"
    else:
        loopback.gdrive_file("FILE7", b"x" * 100, flow="none")
        path, source = "/download", "GDriveSource('FILE7')"
    loopback.fail(loopback.base + path, status(429, {"Retry-After": "60"}))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _RESOLVE_SCRIPT.format(source=source), str(tmp_path)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not loopback.requests_for(loopback.base + path):
            time.sleep(0.02)
        time.sleep(0.3)  # the 429 has been answered: the resolver is in its Retry-After sleep
        assert proc.poll() is None
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - t0
    finally:
        proc.kill()
    assert proc.returncode == 130 and "interrupted" in err, err
    assert took < 2.0, f"took {took:.1f} s to stop"  # about 0.05 s here; room for a loaded CI
    assert len(loopback.requests_for(loopback.base + path)) == 1


# -- one writer per output ---------------------------------------------------------------------------
def test_second_writer_waits_and_says_who_holds_the_output(loopback, tmp_path):
    from avbench.download._lock import OutputLock

    url, blob = loopback.add_generated("f.bin", SIZE, seed=1)
    out = tmp_path / "f.bin"
    with OutputLock(tmp_path, "f.bin"):
        with pytest.raises(DownloadError, match=rf"f\.bin is being written by pid {os.getpid()} on "):
            with OutputLock(tmp_path, "f.bin", wait=False):
                pass
        proc = _avbench("fetch", url, "--sha256", blob.sha256(), "--out", str(out), "--quiet")
        line = proc.stderr.readline()
        assert f"f.bin is being written by pid {os.getpid()}" in line and "waiting" in line
        time.sleep(0.3)
        assert proc.poll() is None and not out.exists() and not _gets(loopback, url)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert hashlib.sha256(out.read_bytes()).hexdigest() == blob.sha256()


def test_two_processes_on_one_output_record_the_hash_of_the_file_on_disk(loopback, tmp_path):
    """Two `avbench fetch` runs of different content into the same path at the same time: the
    lock serialises them, and the recorded sha256 is the one of the bytes on disk."""
    url1, _ = loopback.add_generated("one.bin", SIZE, seed=1)
    url2, _ = loopback.add_generated("two.bin", SIZE, seed=2)
    loopback.rate = 8 << 20
    out = tmp_path / "f.bin"
    procs = [_avbench("fetch", u, "--out", str(out), "--quiet") for u in (url1, url2)]
    for p in procs:
        p.communicate(timeout=60)
    assert all(p.returncode == 0 for p in procs)
    entry = read_json(tmp_path / ".avbench/downloads.json")["files"]["f.bin"]
    assert entry["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_two_runs_into_one_root_keep_both_records(tmp_path):
    """Before: each run wrote its own view of downloads.json, so the last one dropped the other's
    files (they were re-hashed, or looked unverified, next time)."""
    from avbench.download.record import DownloadRecord

    a, b = DownloadRecord(tmp_path), DownloadRecord(tmp_path)  # two processes' views, both from an empty root
    a.set_file("a.bin", {"size": 1, "sha256": "a" * 64})
    b.set_file("b.bin", {"size": 2, "sha256": "b" * 64})
    a.save()
    b.save()
    b.drop_file("b.bin")
    a.set_archive("z.zip", {"extracted_to": "z"})
    a.save()
    b.save()
    after = DownloadRecord(tmp_path)
    assert set(after.files) == {"a.bin"} and set(after.archives) == {"z.zip"}
