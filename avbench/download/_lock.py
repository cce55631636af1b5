"""One writer per output file: an exclusive ``fcntl`` lock per destination.

The lock files live in ``<root>/.avbench/locks/`` (one per output path, ``/`` written as ``%``)
and hold the pid, host and start time of their holder, so a second process can say who it is
waiting for. ``flock`` locks vanish with their process, so a killed run never leaves a stale one.

Example:
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with OutputLock(root, "a/b.bin"):
    ...     print(sorted(p.name for p in (root / ".avbench" / "locks").iterdir()))
    ['a%b.bin.lock']
"""

from __future__ import annotations

import fcntl
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from avbench.download._progress import Cancelled
from avbench.errors import DownloadError

__all__ = ["OutputLock"]


class OutputLock:
    """Hold the lock of ``root/rel`` for a ``with`` block; wait (saying for whom) while another
    process holds it, or raise :class:`DownloadError` naming the holder when ``wait`` is false."""

    def __init__(self, root: Path, rel: str, *, wait: bool = True, cancel: threading.Event | None = None,
                 poll: float = 0.2) -> None:
        self.path = Path(root) / ".avbench" / "locks" / (rel.replace("/", "%") + ".lock")
        self.rel, self.wait, self.cancel, self.poll = rel, wait, cancel, poll
        self._fd: int | None = None

    def _holder(self, fd: int) -> str:
        try:
            text = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
        except OSError:
            text = ""
        return text or "another process"

    def __enter__(self) -> OutputLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise DownloadError(f"cannot write in {self.path.parents[2]}: {exc.strerror}; choose a writable data "
                                "directory (--data-dir)") from None
        told = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    holder = self._holder(fd)
                    if not self.wait:
                        raise DownloadError(f"{self.rel} is being written by {holder}; wait for it to finish or "
                                            "stop it") from None
                    if not told:
                        sys.stderr.write(f"avbench: {self.rel} is being written by {holder}; waiting for it "
                                         "(Ctrl-C to stop)\n")
                        told = True
                    if self.cancel is not None:
                        if self.cancel.wait(self.poll):
                            raise Cancelled from None
                    else:
                        time.sleep(self.poll)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since "
                          f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            os.close(self._fd)  # releases the flock
            self._fd = None
