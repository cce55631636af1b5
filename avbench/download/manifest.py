"""The availability manifest of a YouTube-sourced dataset, and the masks loaders derive from it.

Every requested clip gets one row in a tab-separated file beside the data (by default
``<root>/youtube_manifest.tsv``): whether it was fetched, and if not, why. Columns, in order:

=================  ====================================================================
``clip_id``        the dataset's clip id (the key; unique)
``video_id``       the YouTube video id
``start, end``     the requested section, seconds
``mode``           ``audio`` or ``av``
``status``         one of :data:`STATUSES`
``reason``         the error text (yt-dlp's message, one line), empty when ``ok``
``date``           when the row was written, UTC, ISO 8601 (``2026-01-31T12:00:00Z``)
``yt_dlp``         the yt-dlp version that produced the row
``path``           the saved file, relative to the manifest's directory (``ok`` only)
``sha256``         hex digest of the saved file (``ok`` only)
``size``           bytes of the saved file (``ok`` only)
``duration``       decoded duration of the saved file, seconds (``ok`` only)
``has_audio``      ``1`` when the saved file has an audio stream, else ``0``
``has_video``      ``1`` when the saved file has a video stream, else ``0``
=================  ====================================================================

Statuses: ``ok``; the *permanent* ones ``unavailable``, ``private``, ``removed``,
``geo-blocked``, ``age-restricted`` (skipped by later runs unless ``--retry-unavailable``); and
``error`` (anything else, e.g. a network failure or a rate limit: retried by every run).

Writing is crash-safe: rows are appended one whole line per ``write`` call as results arrive
(:class:`ManifestWriter`), and the file is compacted to one row per clip with an atomic rename
when the run ends. A reader takes the last row of each clip and ignores an unterminated final
line (a write torn by a crash), so a crash never loses a row that was completely written.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "youtube_manifest.tsv"
    >>> rows = [ManifestRow("a", "vid0000000a", 0.0, 10.0, "av", "ok", path="a.mp4", sha256="0" * 64,
    ...                     size=10, duration=10.0, has_audio=True, has_video=True),
    ...         ManifestRow("b", "vid0000000b", 5.0, 15.0, "av", "private", reason="Private video")]
    >>> write_manifest(p, rows)
    >>> m = read_manifest(p)
    >>> m["b"].status, m["b"].permanent
    ('private', True)
    >>> availability_masks(m, ["a", "b", "c"])
    {'a': (True, True), 'b': (False, False), 'c': (False, False)}
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from avbench.errors import InputError
from avbench.io import atomic_open

__all__ = [
    "STATUSES",
    "PERMANENT_STATUSES",
    "COLUMNS",
    "ManifestRow",
    "read_manifest",
    "write_manifest",
    "ManifestWriter",
    "availability_masks",
    "status_counts",
    "utc_now",
    "clean_reason",
]

STATUSES = ("ok", "unavailable", "private", "removed", "geo-blocked", "age-restricted", "error")
PERMANENT_STATUSES = frozenset({"unavailable", "private", "removed", "geo-blocked", "age-restricted"})
COLUMNS = (
    "clip_id", "video_id", "start", "end", "mode", "status", "reason", "date", "yt_dlp",
    "path", "sha256", "size", "duration", "has_audio", "has_video",
)  # fmt: skip
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MAX_REASON = 500


def utc_now() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def clean_reason(text: str) -> str:
    """``text`` on one line: colour codes removed, tabs/newlines folded, at most 500 characters.

    Example:
        >>> clean_reason("ERROR: [youtube] x:\\tPrivate video\\nSign in")
        'ERROR: [youtube] x: Private video Sign in'
    """
    one = " ".join(_ANSI.sub("", text).split())
    return one if len(one) <= _MAX_REASON else one[: _MAX_REASON - 3] + "..."


@dataclass(frozen=True)
class ManifestRow:
    """One clip's availability record (see the module docstring for the columns).

    Raises:
        InputError: unknown status, an ``ok`` row without ``path``/``sha256``, a malformed digest,
            or text fields holding tabs or newlines.
    """

    clip_id: str
    video_id: str
    start: float
    end: float
    mode: str
    status: str
    reason: str = ""
    date: str = ""
    yt_dlp: str = ""
    path: str = ""
    sha256: str = ""
    size: int = 0
    duration: float = 0.0
    has_audio: bool = False
    has_video: bool = False

    def __post_init__(self) -> None:
        owner = f"manifest row {self.clip_id!r}"
        if not self.clip_id:
            raise InputError("manifest row: clip_id must be non-empty")
        if self.status not in STATUSES:
            raise InputError(f"{owner}: status must be one of {', '.join(STATUSES)}, got {self.status!r}")
        if self.mode not in ("audio", "av"):
            raise InputError(f"{owner}: mode must be 'audio' or 'av', got {self.mode!r}")
        for f in ("clip_id", "video_id", "reason", "date", "yt_dlp", "path"):
            if re.search(r"[\t\r\n]", getattr(self, f)):
                raise InputError(f"{owner}: field {f} must not hold tabs or newlines (use clean_reason)")
        if self.status == "ok":
            if not self.path or not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
                raise InputError(f"{owner}: an ok row needs a path and a 64-hex-digit sha256")
        elif self.has_audio or self.has_video:
            raise InputError(f"{owner}: a {self.status} row cannot have audio or video")

    @property
    def permanent(self) -> bool:
        """Whether the status is a permanent unavailability (skipped without retry)."""
        return self.status in PERMANENT_STATUSES

    def same_request(self, video_id: str, start: float, end: float, mode: str) -> bool:
        """Whether this row answers the request ``(video_id, start, end, mode)`` (1 ms tolerance)."""
        return (
            self.video_id == video_id
            and abs(self.start - start) < 1e-3
            and abs(self.end - end) < 1e-3
            and self.mode == mode
        )

    def to_line(self) -> str:
        """The TSV line (with its newline)."""
        vals = []
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool):
                vals.append("1" if v else "0")
            elif isinstance(v, float):
                vals.append(f"{v:.3f}")
            else:
                vals.append(str(v))
        return "\t".join(vals) + "\n"

    def with_date(self, date: str | None = None) -> ManifestRow:
        return replace(self, date=date or utc_now())


def _parse_line(cells: list[str], where: str) -> ManifestRow:
    if len(cells) != len(COLUMNS):
        raise InputError(f"{where}: expected {len(COLUMNS)} tab-separated fields, got {len(cells)}")
    raw: dict[str, Any] = dict(zip(COLUMNS, cells))
    try:
        for k in ("start", "end", "duration"):
            raw[k] = float(raw[k] or 0.0)
        raw["size"] = int(raw["size"] or 0)
    except ValueError as exc:
        raise InputError(f"{where}: malformed number ({exc}); repair or delete that line") from None
    for k in ("has_audio", "has_video"):
        if raw[k] not in ("0", "1", ""):
            raise InputError(f"{where}: {k} must be 0 or 1, got {raw[k]!r}")
        raw[k] = raw[k] == "1"
    try:
        return ManifestRow(**raw)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def read_manifest(path: str | os.PathLike[str]) -> dict[str, ManifestRow]:
    """Read a manifest: ``{clip_id: row}``, the last row of each clip winning, in first-seen order.

    An unterminated final line is a write torn by a crash and is ignored; any other malformed line
    is an error.

    Raises:
        InputError: the file is missing, its header is not :data:`COLUMNS`, or a line is malformed
            (the message names the file and line).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: no such manifest; run `avbench download` first") from None
    lines = text.split("\n")[:-1]  # drops the empty tail, or an unterminated (torn) final line
    if not lines:
        if text:
            return {}  # only a torn header: nothing was recorded yet
        raise InputError(f"{p}: empty manifest (expected the header line {'<TAB>'.join(COLUMNS)})")
    if tuple(lines[0].split("\t")) != COLUMNS:
        raise InputError(f"{p}:1: header must be {'<TAB>'.join(COLUMNS)}, got {lines[0][:120]!r}")
    out: dict[str, ManifestRow] = {}
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        row = _parse_line(line.split("\t"), f"{p}:{n}")
        out[row.clip_id] = row
    return out


def _header() -> str:
    return "\t".join(COLUMNS) + "\n"


def write_manifest(path: str | os.PathLike[str], rows: Iterable[ManifestRow]) -> None:
    """Write ``rows`` (one per clip, later rows replacing earlier ones) atomically."""
    latest: dict[str, ManifestRow] = {}
    for r in rows:
        latest[r.clip_id] = r
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(_header())
        for r in latest.values():
            fh.write(r.to_line())


def _lock(path: Path) -> int:
    """Hold an exclusive lock on ``.<name>.lock`` beside ``path`` (released when the process ends)."""
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, single-writer by convention
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise InputError(
            f"{path}: another avbench download is writing this manifest; wait for it to finish "
            "(two runs into one directory would overwrite each other's files)"
        ) from None
    return fd


class ManifestWriter:
    """Record rows as they arrive; compact atomically on :meth:`close`.

    Thread-safe. Each :meth:`add` appends one complete line with a single ``write`` (flushed to
    the OS at once, ``fsync`` at most every ``sync_every`` seconds and on close). One writer per
    manifest at a time: a second one, in any process, raises :class:`InputError` (a lock on
    ``.<name>.lock`` beside it, released when the holder closes or dies).

    Args:
        path: the manifest file (created with its header when absent).
        sync_every: seconds between ``fsync`` calls.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.tsv"
        >>> with ManifestWriter(p) as w:
        ...     w.add(ManifestRow("a", "v", 0.0, 1.0, "audio", "removed", reason="gone"))
        >>> read_manifest(p)["a"].reason
        'gone'
    """

    def __init__(self, path: str | os.PathLike[str], *, sync_every: float = 1.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = _lock(self.path)
        try:
            self.rows: dict[str, ManifestRow] = read_manifest(self.path) if self.path.exists() else {}
        except BaseException:
            os.close(self._lock_fd)
            raise
        # Start from a compact, terminated file so appends never follow a torn line.
        write_manifest(self.path, self.rows.values())
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self._lock = threading.Lock()
        self._sync_every = sync_every
        self._last_sync = time.monotonic()

    def add(self, row: ManifestRow) -> None:
        """Append ``row`` (it replaces any earlier row of the same clip)."""
        data = row.to_line().encode("utf-8")
        with self._lock:
            if self._fd is None:
                raise InputError(f"{self.path}: manifest writer is closed")
            os.write(self._fd, data)
            self.rows[row.clip_id] = row
            now = time.monotonic()
            if now - self._last_sync >= self._sync_every:
                os.fsync(self._fd)
                self._last_sync = now

    def close(self) -> None:
        """Sync, then rewrite the file with one row per clip (atomic rename)."""
        with self._lock:
            if self._fd is None:
                return
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            try:
                write_manifest(self.path, self.rows.values())
            finally:
                os.close(self._lock_fd)

    def __enter__(self) -> ManifestWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def availability_masks(
    manifest: Mapping[str, ManifestRow],
    clip_ids: Iterable[str],
    *,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, tuple[bool, bool]]:
    """The missing-audio / missing-video masks: ``{clip_id: (has_audio, has_video)}``.

    A clip has audio (video) when its row is ``ok`` and the saved file has an audio (video)
    stream. A clip absent from the manifest, or with any other status, has neither. With ``root``
    (the manifest's directory), an ``ok`` clip whose file is no longer on disk has neither too.

    Example:
        >>> row = ManifestRow("a", "v", 0.0, 1.0, "audio", "ok", path="a.m4a", sha256="f" * 64,
        ...                   has_audio=True)
        >>> availability_masks({"a": row}, ["a", "zz"])
        {'a': (True, False), 'zz': (False, False)}
    """
    base = Path(root) if root is not None else None
    out: dict[str, tuple[bool, bool]] = {}
    for cid in clip_ids:
        row = manifest.get(cid)
        if row is None or row.status != "ok" or (base is not None and not (base / row.path).is_file()):
            out[cid] = (False, False)
        else:
            out[cid] = (row.has_audio, row.has_video)
    return out


def status_counts(manifest: Mapping[str, ManifestRow], clip_ids: Iterable[str] | None = None) -> dict[str, int]:
    """How many clips have each status (``missing`` for requested clips with no row).

    Example:
        >>> status_counts({}, ["a"])
        {'ok': 0, 'unavailable': 0, 'private': 0, 'removed': 0, 'geo-blocked': 0, 'age-restricted': 0, 'error': 0, 'missing': 1}
    """
    counts = dict.fromkeys((*STATUSES, "missing"), 0)
    ids = manifest.keys() if clip_ids is None else clip_ids
    for cid in ids:
        row = manifest.get(cid)
        counts["missing" if row is None else row.status] += 1
    return counts
