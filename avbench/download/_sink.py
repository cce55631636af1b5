"""Where received bytes go: written, then hashed, in a background thread for large files.

The receiving thread fills buffers from the socket and writes each full buffer to the part file
itself (``recv`` and ``write`` are system calls that release the GIL); for large downloads the
written buffer is then handed to a second thread that hashes it (``hashlib`` releases the GIL for
large buffers), so SHA-256, the costliest step, overlaps the network and the disk instead of
adding to them. The hasher sees exactly the bytes written, in the order written: a buffer is
queued for hashing only after it is on disk, the queue is first-in first-out, and a buffer is
refilled only after it was hashed. Bytes received before a failure are still written
(:meth:`Sink.close` flushes), so a resume starts exactly where the data stopped.
"""

from __future__ import annotations

import errno
import queue
import threading
from pathlib import Path
from typing import Any

from avbench.errors import DownloadError

__all__ = ["Sink", "THREAD_MIN"]

THREAD_MIN = 16 << 20  # files at least this large hash and write in a second thread


def _write_all(fh: Any, view: memoryview, part: Path) -> None:
    try:
        while view:
            n = fh.write(view)
            view = view[n:]
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DownloadError(f"disk full while writing {part}; free space and rerun (the download resumes)") from None
        raise


class Sink:
    """Write filled buffers, then hash them; ``threaded`` moves the hashing to a helper thread."""

    def __init__(self, fh: Any, hasher: Any, part: Path, *, threaded: bool, bufsize: int = 1 << 20,
                 depth: int = 4) -> None:
        self._fh, self._hasher, self._part = fh, hasher, part
        self._threaded = threaded
        n = depth if threaded else 1
        size = bufsize * 4 if threaded else bufsize
        self._bufs = [memoryview(bytearray(size)) for _ in range(n)]
        self._current = 0
        self._error: BaseException | None = None
        if threaded:
            self._free: queue.Queue[int] = queue.Queue()
            self._work: queue.Queue[tuple[int, int] | None] = queue.Queue()
            for i in range(1, n):
                self._free.put(i)
            self._thread = threading.Thread(target=self._run, name="avbench-sink", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while (item := self._work.get()) is not None:
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

    def submit(self, n: int) -> None:
        """Write the first ``n`` bytes of the current buffer, then hand them to the hasher."""
        view = self._bufs[self._current][:n]
        _write_all(self._fh, view, self._part)
        if not self._threaded:
            self._hasher.update(view)
            return
        self._check()
        self._work.put((self._current, n))
        self._current = self._free.get()

    def close(self) -> None:
        """Wait until everything handed over is hashed; re-raise a failure there."""
        if self._threaded:
            self._work.put(None)
            self._thread.join()
        self._check()
