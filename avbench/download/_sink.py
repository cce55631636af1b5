"""Where received bytes go: written, then hashed, in background threads for large files.

The receiving thread fills buffers from the socket; for large downloads a writer thread writes
each full buffer and then hands it to a hasher thread (``recv``, ``write`` and ``hashlib`` on
large buffers all release the GIL), so SHA-256 and the disk overlap the network instead of
adding to it. The hasher sees exactly the bytes written, in the order written: a buffer is
queued for hashing only after it was written, both queues are first-in first-out, and a buffer
is refilled only after it was hashed. Bytes received before a failure are still written
(:meth:`Sink.close` flushes), so a resume starts exactly where the data stopped.

Large downloads are written with ``O_DIRECT`` where the file system takes it (full 4 MiB
page-aligned buffers at aligned offsets; the last, partial buffer and any refused write go
through the page cache): copying every byte into the page cache cost more CPU than SHA-256 itself
on the benchmark machine (1 GiB with ``dd``: 1.43 s system time buffered, 0.15 s with
``oflag=direct``, load average 8 on 2 CPUs), and a multi-GiB archive no longer evicts the rest
of the cache. ``AVBENCH_DIRECT_IO=0`` turns it off. ``O_DIRECT`` writes wait for the disk, which
can be slower than the network and SHA-256 (about 1.1 GiB/s for 4 MiB writes on the benchmark
machine's virtual disk, against 1.4 GiB/s for curl over loopback): while :data:`BEHIND` or more
buffers wait to be written and the hasher has at most one to do, the next full buffer "spills"
through the page cache (``O_DIRECT`` off for that one write; the kernel writes it back later), so
the disk stops being the bottleneck at the cost of one copy for those buffers only. A spill is
made only while it pays: the sink keeps the time per byte of its latest direct write and of its
latest spilled one, and stops spilling once a spilled write was slower (a page cache under
writeback pressure throttles buffered writers: one benchmark run spilled 1,004 of 1,024 MiB and
took 2.9 s instead of 0.9 s, each spill slowing the writer and so causing the next); after
:data:`SPILL_PROBE` direct writes it tries one spill again. Writes stay sequential and in order,
so the part file never has a hole.
"""

from __future__ import annotations

import errno
import mmap
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any

from avbench.errors import DownloadError

__all__ = ["Sink", "THREAD_MIN"]

BEHIND = 2  # a direct sink spills a buffer to the page cache when this many more wait to be written
SPILL_PROBE = 64  # direct writes after a spill that did not pay before one is tried again
THREAD_MIN = 16 << 20  # files at least this large are written and hashed in helper threads (O_DIRECT)
ALIGN = 4096  # O_DIRECT: buffer address, file offset and length multiples of this


def _write_error(exc: OSError, part: Path) -> BaseException:
    if exc.errno == errno.ENOSPC:
        return DownloadError(f"disk full while writing {part}; free space and rerun (the download resumes)")
    return exc


def _write_all(fh: Any, view: memoryview, part: Path) -> None:
    try:
        while view:
            n = fh.write(view)
            view = view[n:]
    except OSError as exc:
        raise _write_error(exc, part) from None


def _set_direct(fh: Any, on: bool) -> bool:
    """Switch ``O_DIRECT`` on or off for ``fh``; whether that worked (the file system may refuse)."""
    flag = getattr(os, "O_DIRECT", 0)
    if not flag:
        return False
    try:
        import fcntl

        flags = fcntl.fcntl(fh.fileno(), fcntl.F_GETFL)
        fcntl.fcntl(fh.fileno(), fcntl.F_SETFL, flags | flag if on else flags & ~flag)
        return True
    except (OSError, ValueError, AttributeError):
        return False


class Sink:
    """Write filled buffers, then hash them.

    ``threaded``: a pipeline of three threads over ``depth`` buffers: the caller fills buffer
    ``k+2`` from the socket while a writer thread writes buffer ``k+1`` and a hasher thread
    hashes buffer ``k`` (a buffer goes to the hasher only once written, to the filler only once
    hashed). Otherwise both happen in :meth:`submit`. A direct sink whose writer falls behind
    spills full buffers through the page cache (see the module docs; :attr:`spilled_bytes`). A failure in either thread is raised in the
    caller by the next :meth:`buffer`, :meth:`submit` or :meth:`close`; nothing after it is hashed.
    """

    def __init__(self, fh: Any, hasher: Any, part: Path, *, threaded: bool, bufsize: int = 1 << 20,
                 depth: int = 6, direct: bool = False) -> None:
        self._fh, self._hasher, self._part = fh, hasher, part
        self._threaded = threaded
        n = depth if threaded else 1
        size = bufsize * 4 if threaded else bufsize
        self._direct = (direct and threaded and size % ALIGN == 0 and os.environ.get("AVBENCH_DIRECT_IO") != "0"
                        and fh.tell() % ALIGN == 0 and _set_direct(fh, True))
        self.direct_bytes = 0  # bytes written bypassing the page cache
        self.spilled_bytes = 0  # full buffers of a direct sink written through the page cache (disk behind)
        self._per_byte: dict[str, float] = {}  # seconds per byte of the latest "direct" and "spill" write
        self._direct_since_spill = 0
        # mmap'd buffers are page-aligned, as O_DIRECT needs
        self._bufs = [memoryview(mmap.mmap(-1, size) if self._direct else bytearray(size)) for _ in range(n)]
        self._current = 0
        self._error: BaseException | None = None
        if threaded:
            self._free: queue.Queue[int] = queue.Queue()
            self._writes: queue.Queue[tuple[int, int] | None] = queue.Queue()
            self._hashes: queue.Queue[tuple[int, int] | None] = queue.Queue()
            for i in range(1, n):
                self._free.put(i)
            self._threads = [threading.Thread(target=self._write_loop, name="avbench-write", daemon=True),
                             threading.Thread(target=self._hash_loop, name="avbench-hash", daemon=True)]
            for t in self._threads:
                t.start()

    def _write_loop(self) -> None:
        while (item := self._writes.get()) is not None:
            i, n = item
            if self._error is None:
                try:
                    behind = self._writes.qsize() >= BEHIND and self._hashes.qsize() <= 1  # the disk is the bottleneck
                    self._write(self._bufs[i][:n], behind=behind)
                except BaseException as exc:  # noqa: BLE001 - handed to the receiving thread
                    self._error = exc
            if self._error is None:
                self._hashes.put(item)
            else:
                self._free.put(i)
        self._hashes.put(None)

    def _hash_loop(self) -> None:
        while (item := self._hashes.get()) is not None:
            i, n = item
            if self._error is None:
                try:
                    self._hasher.update(self._bufs[i][:n])
                except BaseException as exc:  # noqa: BLE001 - handed to the receiving thread
                    self._error = exc
            self._free.put(i)

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def buffer(self) -> memoryview:
        """The buffer to fill next."""
        self._check()
        return self._bufs[self._current]

    def _spill_pays(self) -> bool:
        """Whether a spill is worth trying: none made yet, the latest was faster per byte than the
        latest direct write since, or :data:`SPILL_PROBE` direct writes went by since it."""
        spill, direct = self._per_byte.get("spill"), self._per_byte.get("direct")
        if spill is None:
            return True
        if direct is None or not self._direct_since_spill:
            return False  # measure a direct write first
        return spill < direct or self._direct_since_spill >= SPILL_PROBE

    def _write(self, view: memoryview, behind: bool = False) -> None:
        if (self._direct and behind and len(view) % ALIGN == 0 and self._spill_pays()
                and _set_direct(self._fh, False)):
            # the disk is the bottleneck: this buffer goes to the page cache (written back later)
            t0 = time.perf_counter()
            try:
                _write_all(self._fh, view, self._part)
            finally:
                self._direct = _set_direct(self._fh, True)
            self._per_byte["spill"] = (time.perf_counter() - t0) / len(view)
            self._direct_since_spill = 0
            self.spilled_bytes += len(view)
            return
        if self._direct:
            done = 0
            t0 = time.perf_counter()
            if len(view) % ALIGN == 0:
                try:
                    done = self._fh.write(view) or 0
                except OSError as exc:
                    if exc.errno != errno.EINVAL:  # EINVAL: refused for alignment; write it buffered
                        raise _write_error(exc, self._part) from None
            self.direct_bytes += done
            if done == len(view):
                self._per_byte["direct"] = (time.perf_counter() - t0) / len(view)
                self._direct_since_spill += 1
                return
            self._direct = False  # a partial buffer (the last) or a refused write: the page cache from here
            _set_direct(self._fh, False)
            view = view[done:]
        _write_all(self._fh, view, self._part)

    def submit(self, n: int) -> None:
        """Hand over the first ``n`` bytes of the current buffer: written, then hashed."""
        if not self._threaded:
            view = self._bufs[0][:n]
            _write_all(self._fh, view, self._part)
            self._hasher.update(view)
            return
        self._check()
        self._writes.put((self._current, n))
        self._current = self._free.get()

    def close(self) -> None:
        """Wait until everything handed over is written and hashed; re-raise a failure there."""
        if self._threaded:
            self._writes.put(None)
            for t in self._threads:
                t.join()
        if self._direct:
            self._direct = False
            _set_direct(self._fh, False)
        self._check()
