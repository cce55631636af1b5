"""Progress display of the download engine: a rich bar (bytes, files, rate, ETA) or nothing.

Thread-safe: workers call :meth:`Progress.bytes` with increments and :meth:`Progress.file_done`.
A set ``cancel`` event makes the next byte increment raise :class:`Cancelled`, which is how a
Ctrl-C in the main thread stops the worker threads promptly (their part files stay for resume).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

__all__ = ["Progress", "Cancelled"]


class Cancelled(Exception):
    """The run was interrupted; workers stop at their next chunk."""


class Progress:
    def __init__(self, *, total_bytes: int | None, total_files: int, quiet: bool, label: str = "download",
                 cancel: threading.Event | None = None) -> None:
        self.cancel = cancel if cancel is not None else threading.Event()
        self._files = 0
        self._total_files = total_files
        self._label = label
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None
        if not quiet:
            from rich.console import Console
            from rich.progress import (BarColumn, DownloadColumn, Progress as RichProgress, TextColumn,
                                       TimeRemainingColumn, TransferSpeedColumn)

            console = Console(file=sys.stderr)
            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                     TransferSpeedColumn(), TimeRemainingColumn(), console=console,
                                     transient=False, disable=not console.is_terminal)
            self._task = self._bar.add_task(self._describe(), total=total_bytes)

    def _describe(self) -> str:
        return f"{self._label} {self._files}/{self._total_files} files"

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()

    def bytes(self, n: int) -> None:
        if self.cancel.is_set():
            raise Cancelled
        if self._bar is not None and n:
            self._bar.advance(self._task, n)

    def file_done(self) -> None:
        with self._lock:
            self._files += 1
            if self._bar is not None:
                self._bar.update(self._task, description=self._describe())
