"""The machine-readable record of what was downloaded, kept with the data.

``<root>/.avbench/downloads.json``::

    {"format": 1,
     "files": {"meta/meta.zip": {"source": {"kind": "zenodo", "record": 4477542, ...},
                                 "url": "https://...", "version": "zenodo:4477542",
                                 "size": 235316, "sha256": "...", "md5": "...",
                                 "verified": ["md5"], "date": "2025-01-01T00:00:00Z",
                                 "mtime_ns": 1700000000000000000}},
     "archives": {"meta/meta.zip": {"extracted_to": "meta", "members": 3, "removed": false,
                                    "date": "..."}}}

``verified`` lists the digests that were checked against an expected value (empty: nothing was
known to check against). ``mtime_ns`` and ``size`` let a re-run skip re-hashing a file that has
not changed since it was verified. The member list of every extracted archive (name -> size) is
kept in ``<root>/.avbench/archives/<archive path>.json`` (name -> ``{"size", "sha256",
"mtime_ns"}``, the sha256 computed while extracting) so ``avbench verify`` can re-hash the
extracted files, with or without the archive, and ``avbench download`` can repair them.

Example:
    >>> import tempfile
    >>> rec = DownloadRecord(tempfile.mkdtemp())
    >>> rec.set_file("a.txt", {"size": 3, "sha256": "x" * 64})
    >>> rec.save()
    >>> DownloadRecord(rec.root).files["a.txt"]["size"]
    3
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import os
import threading
import time
from pathlib import Path
from typing import Any

from avbench.errors import InputError
from avbench.io import read_json, write_json

__all__ = ["DownloadRecord", "now_utc"]

FORMAT = 1


def now_utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class DownloadRecord:
    """Thread-safe view of ``<root>/.avbench/downloads.json``; :meth:`save` merges and writes
    atomically, so two processes fetching different files into one root keep both records.

    :meth:`maybe_save` writes at most every ``interval`` seconds, so thousands of small files do
    not rewrite the record thousands of times; a record lost to a crash only costs a re-hash.
    """

    def __init__(self, root: str | os.PathLike[str], *, interval: float = 2.0) -> None:
        self.root = Path(root)
        self.dir = self.root / ".avbench"
        self.path = self.dir / "downloads.json"
        self._lock = threading.Lock()
        self._interval = interval
        self._last = time.monotonic()
        self._dirty = False
        data = self._read()
        self.files: dict[str, dict[str, Any]] = dict(data.get("files", {}))
        self.archives: dict[str, dict[str, Any]] = dict(data.get("archives", {}))
        # what this instance changed (None: dropped), merged into the file on disk by save()
        self._changed: dict[tuple[str, str], dict[str, Any] | None] = {}

    def _read(self) -> dict[str, Any]:
        if self.path.is_file():
            try:
                data = read_json(self.path)
                return data if isinstance(data, dict) else {}
            except InputError:
                pass  # a damaged record only means files are re-hashed
        return {}

    def set_file(self, rel: str, entry: dict[str, Any]) -> None:
        with self._lock:
            self.files[rel] = entry
            self._changed[("files", rel)] = entry
            self._dirty = True

    def drop_file(self, rel: str) -> None:
        with self._lock:
            if self.files.pop(rel, None) is not None:
                self._changed[("files", rel)] = None
                self._dirty = True

    def set_archive(self, rel: str, entry: dict[str, Any], members: dict[str, Any] | None = None) -> None:
        if members is not None:
            write_json(self._members_path(rel), members)
        with self._lock:
            self.archives[rel] = entry
            self._changed[("archives", rel)] = entry
            self._dirty = True

    def _members_path(self, rel: str) -> Path:
        return self.dir / "archives" / (rel.replace("/", "%") + ".json")

    def archive_member_info(self, rel: str) -> dict[str, dict[str, Any]] | None:
        """``{member: {"size", "sha256", "mtime_ns"}}`` recorded when ``rel`` was extracted (older
        records hold the size only)."""
        p = self._members_path(rel)
        if not p.is_file():
            return None
        try:
            return {str(k): {"size": int(v)} if isinstance(v, int) else {**v, "size": int(v["size"])}
                    for k, v in read_json(p).items()}
        except (InputError, AttributeError, TypeError, ValueError, KeyError):
            return None

    def archive_members(self, rel: str) -> dict[str, int] | None:
        info = self.archive_member_info(rel)
        return None if info is None else {k: v["size"] for k, v in info.items()}

    def forget_member_state(self, rel: str, members: list[str]) -> None:
        """Make the next ``download`` re-check ``members`` of archive ``rel`` (``verify`` found them
        corrupt): their recorded mtimes are dropped."""
        info = self.archive_member_info(rel)
        if info is None:
            return
        for m in members:
            if m in info:
                info[m].pop("mtime_ns", None)
        write_json(self._members_path(rel), info)

    def removed_archive_members(self, rel: str) -> dict[str, int] | None:
        """The members of ``rel`` when it was extracted and then removed; ``None`` otherwise."""
        entry = self.archives.get(rel)
        if not entry or not entry.get("removed"):
            return None
        if entry.get("volume_of"):
            return {}  # a volume of a multi-volume zip: its members belong to the last volume
        return self.archive_members(rel)

    def unchanged(self, rel: str, path: Path) -> dict[str, Any] | None:
        """The entry of ``rel`` if ``path`` still has the size and mtime it had when verified."""
        entry = self.files.get(rel)
        if not entry:
            return None
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        if st.st_size == entry.get("size") and st.st_mtime_ns == entry.get("mtime_ns"):
            return entry
        return None

    def save(self) -> None:
        """Merge this instance's changes into the record on disk (under an ``flock``, so runs of
        other processes on the same root keep theirs) and write it atomically."""
        with self._lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.dir / "downloads.json.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                disk = self._read()
                files = dict(disk.get("files", {}))
                archives = dict(disk.get("archives", {}))
                for (table, rel), entry in self._changed.items():
                    target = files if table == "files" else archives
                    if entry is None:
                        target.pop(rel, None)
                    else:
                        target[rel] = entry
                data = {"format": FORMAT, "files": dict(sorted(files.items())),
                        "archives": dict(sorted(archives.items()))}
                write_json(self.path, data)
            finally:
                os.close(fd)
            self.files, self.archives = files, archives
            self._changed.clear()
            self._dirty = False
            self._last = time.monotonic()

    @property
    def dirty(self) -> bool:
        return self._dirty

    def maybe_save(self) -> None:
        if self._dirty and time.monotonic() - self._last >= self._interval:
            self.save()
