"""Hashing while streaming, and re-checking what is on disk against a recipe.

A :class:`Hasher` is fed the bytes of a download as they arrive, so a file is verified in the same
pass that writes it (no second read). :func:`check_file` and :func:`verify_resources` re-hash what
is on disk (``avbench verify NAME``).

Supported digests: ``sha256``, ``md5`` and ``git`` (the git blob id ``sha1("blob <size>\\0" +
content)``, which the Hugging Face Hub reports as the ETag of small non-LFS files).

Example:
    >>> h = Hasher(["sha256", "md5"])
    >>> h.update(b"abc")
    >>> h.hexdigest("md5")
    '900150983cd24fb0d6963f7d28e17f72'
    >>> h.hexdigest("sha256")[:16]
    'ba7816bf8f01cfea'
    >>> h.size
    3
    >>> git_blob_id(b"hello\\n")
    'ce013625030ba8dba906f756967f9e9ca394464a'
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Hasher", "hash_file", "git_blob_id", "check_file", "member_ok", "FileCheck", "VerifyReport",
           "verify_resources"]

ALGORITHMS = ("sha256", "md5", "git")
_CHUNK = 1 << 20


class Hasher:
    """Several digests of one byte stream, updated in one pass.

    Args:
        algorithms: names from ``sha256``, ``md5``, ``git``.
        size: the total size, needed up front for ``git`` (its header holds the size).

    Raises:
        ValueError: an unknown algorithm, or ``git`` without ``size``.
    """

    def __init__(self, algorithms: Iterable[str], *, size: int | None = None) -> None:
        self._h: dict[str, Any] = {}
        for name in dict.fromkeys(algorithms):
            if name == "git":
                if size is None:
                    raise ValueError("the git blob digest needs the size up front")
                g = hashlib.sha1(usedforsecurity=False)
                g.update(b"blob %d\0" % size)
                self._h["git"] = g
            elif name in ("sha256", "md5"):
                self._h[name] = hashlib.new(name, usedforsecurity=False) if name == "md5" else hashlib.sha256()
            else:
                raise ValueError(f"unknown digest {name!r}; known: {', '.join(ALGORITHMS)}")
        self.size = 0

    @property
    def algorithms(self) -> tuple[str, ...]:
        return tuple(self._h)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        for h in self._h.values():
            h.update(data)
        self.size += len(data)

    def hexdigest(self, name: str) -> str:
        return self._h[name].hexdigest()

    def digests(self) -> dict[str, str]:
        return {k: h.hexdigest() for k, h in self._h.items()}


def hash_file(path: str | os.PathLike[str], algorithms: Iterable[str] = ("sha256",), *,
              limit: int | None = None, hasher: Hasher | None = None) -> Hasher:
    """Feed the first ``limit`` bytes (all by default) of ``path`` to a (new) :class:`Hasher`."""
    algos = list(algorithms)
    if hasher is None:
        hasher = Hasher(algos, size=os.path.getsize(path) if "git" in algos else None)
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    left = limit
    with open(path, "rb", buffering=0) as fh:
        while left is None or left > 0:
            want = _CHUNK if left is None else min(_CHUNK, left)
            n = fh.readinto(view[:want])
            if not n:
                break
            hasher.update(view[:n])
            if left is not None:
                left -= n
    return hasher


def git_blob_id(data: bytes) -> str:
    """The git blob id of ``data`` (what ``git hash-object`` prints)."""
    h = Hasher(["git"], size=len(data))
    h.update(data)
    return h.hexdigest("git")


def expected_digests(sha256: str | None = None, md5: str | None = None, git: str | None = None) -> dict[str, str]:
    """The non-empty expected digests as ``{algorithm: hex}``."""
    return {k: v for k, v in (("sha256", sha256), ("md5", md5), ("git", git)) if v}


def mismatches(expected: Mapping[str, str], actual: Mapping[str, str]) -> list[str]:
    """``["md5 expected X, got Y", ...]`` for each expected digest that ``actual`` contradicts."""
    return [f"{k} expected {v}, got {actual[k]}" for k, v in expected.items() if k in actual and actual[k] != v]


@dataclass(frozen=True)
class FileCheck:
    """The state of one file: ``status`` is ``ok``, ``missing``, ``size`` or ``hash``."""

    path: str
    status: str
    detail: str = ""


def check_file(path: str | os.PathLike[str], *, size: int | None = None, sha256: str | None = None,
               md5: str | None = None, rel: str | None = None) -> FileCheck:
    """Re-hash ``path`` and compare with the expected size and digests.

    Example:
        >>> import tempfile; p = Path(tempfile.mkdtemp()) / "f"; _ = p.write_bytes(b"abc")
        >>> check_file(p, size=3, md5="900150983cd24fb0d6963f7d28e17f72").status
        'ok'
        >>> check_file(p, size=4).detail
        'size expected 4, got 3'
    """
    name = rel or str(path)
    p = Path(path)
    if not p.is_file():
        return FileCheck(name, "missing")
    actual_size = p.stat().st_size
    if size is not None and actual_size != size:
        return FileCheck(name, "size", f"size expected {size}, got {actual_size}")
    expected = expected_digests(sha256, md5)
    if expected:
        got = hash_file(p, expected).digests()
        bad = mismatches(expected, got)
        if bad:
            return FileCheck(name, "hash", "; ".join(bad))
    return FileCheck(name, "ok")


def member_ok(path: Path, info: Mapping[str, Any], *, rehash: bool = False) -> bool:
    """Whether an extracted member still is what was recorded at extraction: a regular file of the
    recorded size and, if its mtime changed since (or ``rehash``), of the recorded sha256."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size != info["size"]:
        return False
    if not rehash and info.get("mtime_ns") == st.st_mtime_ns:
        return True
    want = info.get("sha256")
    return want is None or hash_file(path).hexdigest("sha256") == want


@dataclass
class VerifyReport:
    """What ``avbench verify`` found: every checked file and the failures among them."""

    checked: list[FileCheck] = field(default_factory=list)
    nothing: bool = False  # nothing of the dataset is on disk

    @property
    def missing(self) -> list[FileCheck]:
        return [c for c in self.checked if c.status == "missing"]

    @property
    def corrupt(self) -> list[FileCheck]:
        return [c for c in self.checked if c.status in ("size", "hash")]

    @property
    def ok(self) -> bool:
        return bool(self.checked) and not self.nothing and not self.missing and not self.corrupt

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked": len(self.checked),
            "ok": self.ok,
            "nothing_on_disk": self.nothing,
            "missing": [c.path for c in self.missing],
            "corrupt": [{"path": c.path, "detail": c.detail} for c in self.corrupt],
        }


def verify_resources(resources: Iterable[Any], root: str | os.PathLike[str], *, workers: int = 4) -> VerifyReport:
    """Re-hash every resource under ``root``, and every member extracted from its archives.

    A file without a published hash is checked against the sha256 recorded when it was
    downloaded. The members of an extracted archive (kept or removed) are re-hashed against the
    sha256 recorded at extraction; a corrupt member is marked in the record so the next
    ``avbench download`` repairs it (from the kept archive, or by fetching the archive again).
    ``nothing`` is set when no file of the resources is on disk at all.
    """
    from concurrent.futures import ThreadPoolExecutor

    from avbench.download.record import DownloadRecord

    root = Path(root)
    record = DownloadRecord(root)

    def one(res: Any) -> list[FileCheck]:
        target = root / res.path
        checks: list[FileCheck] = []
        entry = record.archives.get(res.path) or {}
        info = None if entry.get("volume_of") else record.archive_member_info(res.path)
        if not (target.exists() or target.is_symlink()) and entry.get("removed"):
            pass  # checked through its members below
        else:
            sha = res.sha256 or (record.files.get(res.path) or {}).get("sha256")
            checks.append(check_file(target, size=res.size, sha256=sha, md5=res.md5, rel=res.path))
        if info:
            bad = []
            for m, v in info.items():
                p = root / m
                if not (p.exists() or p.is_symlink()):
                    checks.append(FileCheck(m, "missing"))
                elif not member_ok(p, v, rehash=True):
                    size = p.lstat().st_size
                    detail = (f"size expected {v['size']}, got {size}" if size != v["size"] else
                              "sha256 differs from the one recorded at extraction")
                    checks.append(FileCheck(m, "hash", detail))
                else:
                    checks.append(FileCheck(m, "ok"))
                    continue
                bad.append(m)
            if bad:
                record.forget_member_state(res.path, bad)
        return checks

    report = VerifyReport()
    with ThreadPoolExecutor(max(1, workers)) as pool:
        for checks in pool.map(one, [r for r in resources if hasattr(r, "path") and hasattr(r, "source")]):
            report.checked.extend(checks)
    report.nothing = all(c.status == "missing" for c in report.checked)
    return report
