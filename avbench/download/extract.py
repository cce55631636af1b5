"""Safe, resumable extraction of zip and tar archives, including multi-volume zips.

Safety: every member name is checked before anything is written. An absolute name, a drive
letter, a ``..`` component, a link whose target leaves the extraction directory, a device or a
FIFO makes the whole archive refused (:class:`~avbench.errors.DownloadError` naming the member).
At write time the real path of each destination directory must still lie inside the target, so
a symlink planted on disk cannot redirect a write either.

Resumability: each file is written to a temporary sibling and renamed into place, so a file that
exists is complete. A member whose file exists with the right size (and, for zips, the right
CRC-32) is skipped, so re-running after an interruption only writes what is missing.

Multi-volume zips (``x.z01``, ``x.z02``, ..., ``x.zip`` as written by ``zip -s``, used by the
DCASE SELD sets) are read in place as one virtual file: member offsets in the central directory
are relative to their volume and are translated to the concatenation; nothing is copied. Zips in
independent parts (``audio.1.zip``, ``audio.2.zip``, ...) are ordinary zips, one resource each.

Example:
    >>> safe_member_name("a/./b.wav")
    'a/b.wav'
    >>> safe_member_name("../etc/passwd") is None
    True
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import stat
import struct
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from avbench.errors import DownloadError

__all__ = ["extract", "is_archive", "safe_member_name", "open_zip"]

_TMP_SUFFIX = ".avbench-tmp"


def is_archive(path: str) -> bool:
    """Whether ``path`` names an archive by its extension."""
    return bool(re.search(r"\.(zip|tar|tgz|tar\.gz|tar\.bz2|tbz2|tar\.xz|txz)$", path.lower()))


def safe_member_name(name: str) -> str | None:
    """The normalised relative path of a member, or ``None`` when it could escape the target."""
    name = name.replace("\\", "/")
    if "\0" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def _safe_link(rel: str, target: str) -> bool:
    if target.startswith("/") or re.match(r"^[A-Za-z]:", target) or "\0" in target:
        return False
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target.replace("\\", "/")))
    return joined != ".." and not joined.startswith("../")


class _Concat(io.RawIOBase):
    """Read-only, seekable concatenation of files."""

    def __init__(self, paths: Sequence[Path]) -> None:
        super().__init__()
        self._fhs = [open(p, "rb") for p in paths]  # noqa: SIM115 - closed in close()
        self.sizes = [os.fstat(f.fileno()).st_size for f in self._fhs]
        self.starts = [sum(self.sizes[:i]) for i in range(len(self.sizes))]
        self._size = sum(self.sizes)
        self._pos = 0

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, off: int, whence: int = 0) -> int:
        self._pos = off if whence == 0 else self._pos + off if whence == 1 else self._size + off
        return self._pos

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        done = 0
        while done < len(view) and self._pos < self._size:
            i = max(k for k, s in enumerate(self.starts) if s <= self._pos)
            fh = self._fhs[i]
            fh.seek(self._pos - self.starts[i])
            n = fh.readinto(view[done:done + min(len(view) - done, self.sizes[i] - (self._pos - self.starts[i]))])
            if not n:
                break
            done += n
            self._pos += n
        return done

    def close(self) -> None:
        for f in self._fhs:
            f.close()
        super().close()


class _SplitZip(zipfile.ZipFile):
    """A ``zip -s`` archive read through :class:`_Concat` (offsets made absolute)."""

    def _RealGetContents(self) -> None:  # noqa: N802 - zipfile's hook
        fp: _Concat = self.fp  # type: ignore[assignment]
        tail_len = min(fp.sizes[-1], 65557)
        fp.seek(-tail_len, 2)
        tail = fp.read(tail_len)
        i = tail.rfind(b"PK\x05\x06")
        if i < 0:
            raise zipfile.BadZipFile("no end-of-central-directory record in the last volume")
        _, _, cd_disk, _, _, cd_size, cd_off, clen = struct.unpack("<4s4H2LH", tail[i:i + 22])
        self._comment = tail[i + 22:i + 22 + clen]
        if i >= 20 and tail[i - 20:i - 16] == b"PK\x06\x07":
            _, z_disk, z_off, _ = struct.unpack("<4sLQL", tail[i - 20:i])
            fp.seek(fp.starts[z_disk] + z_off)
            rec = fp.read(56)
            if rec[:4] != b"PK\x06\x06":
                raise zipfile.BadZipFile("bad zip64 end-of-central-directory record")
            _, _, _, _, _, cd_disk, _, _, cd_size, cd_off = struct.unpack("<4sQ2H2L4Q", rec)
        self.start_dir = fp.starts[cd_disk] + cd_off
        fp.seek(self.start_dir)
        cd = fp.read(cd_size)
        pos = 0
        while pos < len(cd):
            f = struct.unpack(zipfile.structCentralDir, cd[pos:pos + 46])
            if f[0] != zipfile.stringCentralDir:
                raise zipfile.BadZipFile("bad central directory entry")
            nlen, elen, clen = f[12], f[13], f[14]
            raw = cd[pos + 46:pos + 46 + nlen]
            name = raw.decode("utf-8" if f[5] & 0x800 else "cp437")
            x = zipfile.ZipInfo(name)
            x.orig_filename = name
            x.extra = cd[pos + 46 + nlen:pos + 46 + nlen + elen]
            x.comment = cd[pos + 46 + nlen + elen:pos + 46 + nlen + elen + clen]
            (x.create_version, x.create_system, x.extract_version, x.reserved, x.flag_bits,
             x.compress_type, t, d, x.CRC, x.compress_size, x.file_size) = f[1:12]
            disk, x.internal_attr, x.external_attr, offset = f[15], f[16], f[17], f[18]
            x.date_time = ((d >> 9) + 1980, (d >> 5) & 0xF, d & 0x1F, t >> 11, (t >> 5) & 0x3F, (t & 0x1F) * 2)
            x.file_size, x.compress_size, offset, disk = _zip64_extra(x.extra, x.file_size, x.compress_size,
                                                                       offset, disk)
            x.volume = disk
            x.header_offset = fp.starts[disk] + offset
            self.filelist.append(x)
            self.NameToInfo[x.filename] = x
            pos += 46 + nlen + elen + clen


def _zip64_extra(extra: bytes, usize: int, csize: int, offset: int, disk: int) -> tuple[int, int, int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, ln = struct.unpack("<HH", extra[pos:pos + 4])
        if tag == 1:
            body, k = extra[pos + 4:pos + 4 + ln], 0
            vals = []
            for v, width in ((usize, 8), (csize, 8), (offset, 8), (disk, 4)):
                full = 0xFFFF if width == 4 else 0xFFFFFFFF
                if v == full:
                    v = int.from_bytes(body[k:k + width], "little")
                    k += width
                vals.append(v)
            return vals[0], vals[1], vals[2], vals[3]
        pos += 4 + ln
    return usize, csize, offset, disk


def open_zip(path: Path, volumes: Sequence[Path] = ()) -> zipfile.ZipFile:
    """A :class:`zipfile.ZipFile` over ``path`` preceded by ``volumes`` (``.z01``, ``.z02``...)."""
    if not volumes:
        return zipfile.ZipFile(path)
    order = sorted(volumes, key=lambda p: int(m.group(1)) if (m := re.search(r"\.z(\d+)$", p.name)) else 0)
    return _SplitZip(_Concat([*order, path]))  # type: ignore[arg-type]


def _check_inside(dest: Path, real_target: str) -> None:
    real = os.path.realpath(dest.parent)
    if real != real_target and not real.startswith(real_target + os.sep):
        raise DownloadError(f"refusing to write {dest}: its directory resolves outside {real_target}")


def _write_stream(src: Any, dest: Path, mtime: float | None) -> None:
    tmp = dest.with_name(dest.name + _TMP_SUFFIX)
    with open(tmp, "wb") as out:
        while chunk := src.read(1 << 20):
            out.write(chunk)
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    os.replace(tmp, dest)


def _crc_of(path: Path) -> int:
    crc = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


def _refuse(archive: Path, what: str) -> DownloadError:
    return DownloadError(f"{archive}: {what}; the archive was not extracted")


def _member(archive: Path, name: str) -> str:
    rel = safe_member_name(name)
    if rel is None:
        raise _refuse(archive, f"member {name!r} would land outside the target (absolute path or '..')")
    return rel


def _symlink(archive: Path, rel: str, name: str, link: str) -> tuple[str, str, Any]:
    if not _safe_link(rel, link):
        raise _refuse(archive, f"symlink {name!r} -> {link!r} points outside the target")
    return ("link", rel, link)


def _plan_zip(zf: zipfile.ZipFile, archive: Path) -> list[tuple[str, str, Any]]:
    out = []
    for info in zf.infolist():
        rel = _member(archive, info.orig_filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            out.append(_symlink(archive, rel, info.orig_filename, zf.read(info).decode("utf-8", "replace")))
        elif info.is_dir() or not rel:
            out.append(("dir", rel, None))
        else:
            out.append(("file", rel, info))
    return out


def _plan_tar(tf: tarfile.TarFile, archive: Path) -> list[tuple[str, str, Any]]:
    out = []
    for m in tf.getmembers():
        rel = _member(archive, m.name)
        if m.issym():
            out.append(_symlink(archive, rel, m.name, m.linkname))
        elif m.islnk():
            src = safe_member_name(m.linkname)
            if src is None:
                raise _refuse(archive, f"hard link {m.name!r} -> {m.linkname!r} points outside the target")
            out.append(("hardlink", rel, src))
        elif m.isdir() or not rel:
            out.append(("dir", rel, None))
        elif m.isfile():
            out.append(("file", rel, m))
        else:
            raise _refuse(archive, f"member {m.name!r} is a device or FIFO")
    return out


def extract(archive: str | os.PathLike[str], target: str | os.PathLike[str], *,
            volumes: Sequence[str | os.PathLike[str]] = (),
            progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Extract ``archive`` (zip or tar, optionally multi-volume) into ``target``.

    Returns:
        ``{member path relative to target: size}`` of the regular files.

    Raises:
        DownloadError: an unsafe member (nothing is written then) or an unreadable archive.
    """
    archive, target = Path(archive), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    real_target = os.path.realpath(target)
    is_zip = archive.name.lower().endswith(".zip")
    try:
        handle: Any = open_zip(archive, [Path(v) for v in volumes]) if is_zip else tarfile.open(archive)
    except (zipfile.BadZipFile, tarfile.TarError, OSError) as exc:
        raise DownloadError(f"{archive}: cannot read the archive ({exc}); remove it and rerun the download") from None
    members: dict[str, int] = {}
    with handle:
        plan = _plan_zip(handle, archive) if is_zip else _plan_tar(handle, archive)
        for kind, rel, obj in plan:
            dest = target / rel
            if kind == "dir":
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            _check_inside(dest, real_target)
            if kind == "link":
                if not dest.is_symlink():
                    dest.unlink(missing_ok=True)
                    os.symlink(obj, dest)
                continue
            if kind == "hardlink":
                src = target / obj
                if not (dest.is_file() and dest.stat().st_size == src.stat().st_size):
                    with open(src, "rb") as fh:
                        _write_stream(fh, dest, None)
                members[rel] = dest.stat().st_size
                continue
            size = obj.file_size if is_zip else obj.size
            members[rel] = size
            if dest.is_file() and not dest.is_symlink() and dest.stat().st_size == size and \
                    (not is_zip or _crc_of(dest) == obj.CRC):
                continue
            try:
                src_fh = handle.open(obj) if is_zip else handle.extractfile(obj)
                with src_fh:
                    mtime = time.mktime(obj.date_time + (0, 0, -1)) if is_zip else float(obj.mtime)
                    _write_stream(src_fh, dest, mtime)
            except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError) as exc:
                raise DownloadError(f"{archive}: member {rel!r} is damaged ({exc}); remove the archive and "
                                    "rerun the download") from None
            if progress is not None:
                progress(size)
    return members
