"""The sink writes each buffer and hashes exactly the bytes written, in order (threaded or not)."""

from __future__ import annotations

import hashlib
import random

import pytest

from avbench.download._sink import Sink
from avbench.download.verify import Hasher
from avbench.errors import DownloadError


def _direct_sink_run(part, before, chunks, on_submit=lambda i: None):  # type: ignore[no-untyped-def]
    """Write ``chunks`` (each a full buffer) through a threaded O_DIRECT sink over a :class:`_WatchedDisk`
    whose writes call ``before(direct)``; ``on_submit(i)`` after each. ``(sink, hasher, modes)``."""
    hasher = Hasher(["sha256"])
    with open(part, "wb", buffering=0) as raw:
        disk = _WatchedDisk(raw, before)
        sink = Sink(disk, hasher, part, threaded=True, bufsize=1 << 12, depth=6, direct=True)
        if not sink._direct:
            pytest.skip("this file system refuses O_DIRECT")
        for i, chunk in enumerate(chunks):
            sink.buffer()[:] = chunk
            sink.submit(len(chunk))
            on_submit(i)
        sink.close()
    return sink, hasher, disk.modes


class _WatchedDisk:
    """A file whose every write records whether ``O_DIRECT`` was on (``modes``), after ``before(direct)``
    (which may wait or sleep to play a slow disk or page cache)."""

    def __init__(self, fh, before) -> None:  # type: ignore[no-untyped-def]
        self.fh, self.before, self.modes = fh, before, []

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.fh, name)

    def write(self, view: memoryview) -> int:
        import fcntl
        import os

        direct = bool(fcntl.fcntl(self.fh.fileno(), fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0))
        self.before(direct)
        self.modes.append(direct)
        return self.fh.write(view)


@pytest.mark.parametrize("threaded", [True, False])
def test_hash_is_the_hash_of_the_bytes_written_in_order(tmp_path, threaded):
    rng = random.Random(7)
    part = tmp_path / "f.part"
    hasher = Hasher(["sha256", "md5"])
    sent = hashlib.sha256()
    with open(part, "wb", buffering=0) as fh:
        sink = Sink(fh, hasher, part, threaded=threaded, bufsize=1 << 12, depth=3)
        for _ in range(200):  # buffers are reused: a buffer refilled before it was hashed would show here
            buf = sink.buffer()
            n = rng.randrange(1, len(buf) + 1)
            chunk = rng.randbytes(n)
            buf[:n] = chunk
            sent.update(chunk)
            sink.submit(n)
        sink.close()
    data = part.read_bytes()
    assert hasher.size == len(data)
    assert hasher.hexdigest("sha256") == hashlib.sha256(data).hexdigest() == sent.hexdigest()
    assert hasher.hexdigest("md5") == hashlib.md5(data).hexdigest()


def test_a_write_failure_is_raised_in_the_receiving_thread_and_nothing_after_it_is_hashed(tmp_path):
    class Full:
        def __init__(self) -> None:
            self.calls = 0

        def write(self, view: memoryview) -> int:
            self.calls += 1
            if self.calls > 2:
                raise OSError(28, "No space left on device")
            return len(view)

    hasher = Hasher(["sha256"])
    sink = Sink(Full(), hasher, tmp_path / "f.part", threaded=True, bufsize=1 << 12, depth=2)
    with pytest.raises(DownloadError, match="disk full while writing"):
        for _ in range(5):
            buf = sink.buffer()
            buf[:10] = b"0123456789"
            sink.submit(10)
        sink.close()
    assert hasher.size == 20  # the two buffers written, not the one that failed nor any after it


@pytest.mark.parametrize("start", [0, 4096, 1000], ids=["fresh", "aligned-resume", "unaligned-resume"])
def test_direct_writes_keep_the_bytes_and_the_hash(tmp_path, start):
    """O_DIRECT for full aligned buffers (where the file system takes it), the page cache for the
    last partial buffer and for an unaligned resume offset; the file and the hash are the same."""
    rng = random.Random(start)
    head = rng.randbytes(start)
    part = tmp_path / "f.part"
    part.write_bytes(head)
    hasher = Hasher(["sha256"])
    hasher.update(head)
    with open(part, "r+b", buffering=0) as fh:
        fh.seek(start)
        sink = Sink(fh, hasher, part, threaded=True, bufsize=1 << 12, depth=3, direct=True)
        for i in range(50):
            buf = sink.buffer()
            n = len(buf) if i < 49 else 1234  # full buffers, then a partial one
            buf[:n] = rng.randbytes(n)
            sink.submit(n)
        sink.close()
    # where the file system takes O_DIRECT: every full buffer of an aligned start (directly, or
    # through the page cache when the disk fell behind), never the partial one
    if start % 4096 or not sink.direct_bytes:
        assert sink.direct_bytes == sink.spilled_bytes == 0
    else:
        assert sink.direct_bytes + sink.spilled_bytes == 49 * (4 << 12)
    data = part.read_bytes()
    assert len(data) == start + 49 * (4 << 12) + 1234
    assert hasher.size == len(data) and hasher.hexdigest("sha256") == hashlib.sha256(data).hexdigest()


def test_direct_io_refused_by_the_file_system_falls_back_to_the_page_cache(tmp_path, monkeypatch):
    from avbench.download import _sink

    monkeypatch.setattr(_sink, "_set_direct", lambda fh, on: False)
    part = tmp_path / "f.part"
    hasher = Hasher(["sha256"])
    with open(part, "wb", buffering=0) as fh:
        sink = Sink(fh, hasher, part, threaded=True, bufsize=1 << 12, depth=2, direct=True)
        for _ in range(5):
            sink.buffer()[:] = b"z" * (4 << 12)
            sink.submit(4 << 12)
        sink.close()
    assert sink.direct_bytes == 0 and part.read_bytes() == b"z" * (20 << 12)
    assert hasher.hexdigest("sha256") == hashlib.sha256(b"z" * (20 << 12)).hexdigest()


def test_a_disk_behind_the_network_spills_full_buffers_to_the_page_cache(tmp_path):
    """With O_DIRECT on, while buffers queue up behind a slow write and the hasher waits, the next
    full buffer goes through the page cache (O_DIRECT off for that write only); the file and the
    hash are the same either way."""
    import threading

    from avbench.download import _sink

    part = tmp_path / "f.part"
    queued = threading.Event()
    writes = []

    def first_write_waits(direct: bool) -> None:  # until the test has queued more buffers behind it
        if not writes:
            assert queued.wait(10)
        writes.append(direct)

    def after_submit(i: int) -> None:
        if i == _sink.BEHIND + 1:
            queued.set()  # the first write is still blocked with BEHIND + 1 buffers behind it

    rng = random.Random(3)
    sent = [rng.randbytes(4 << 12) for _ in range(8)]
    sink, hasher, modes = _direct_sink_run(part, first_write_waits, sent, after_submit)
    data = part.read_bytes()
    assert data == b"".join(sent) and hasher.hexdigest("sha256") == hashlib.sha256(data).hexdigest()
    assert False in modes and modes[-1] is True  # spilled behind the slow write; the last, alone, direct
    assert sink.spilled_bytes == modes.count(False) * (4 << 12) and sink.direct_bytes + sink.spilled_bytes == len(data)


def test_spilling_stops_once_a_spilled_write_was_slower_than_a_direct_one(tmp_path):
    """A page cache that throttles buffered writers (a spilled write 60 times slower than a direct one):
    after one spill measured slower per byte than a direct write, the buffers go direct, however far
    behind the writer is (no spill feeding the backlog)."""
    import time

    part = tmp_path / "f.part"

    def throttled(direct: bool) -> None:  # the disk is slower than the network; the page cache far slower
        time.sleep(0.005 if direct else 0.3)

    sink, hasher, modes = _direct_sink_run(part, throttled, [bytes([i]) * (4 << 12) for i in range(12)])
    data = part.read_bytes()
    assert data == b"".join(bytes([i]) * (4 << 12) for i in range(12))
    assert hasher.hexdigest("sha256") == hashlib.sha256(data).hexdigest()
    assert modes.count(False) == 1 and all(modes[modes.index(False) + 1:]), modes  # one spill, then direct only
