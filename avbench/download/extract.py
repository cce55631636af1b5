"""Safe, resumable extraction of zip and tar archives, including multi-volume zips.

Safety, checked on the whole member list before anything is written (a refusal writes nothing):

- an absolute name, a drive letter, a ``..`` component, a name that is not valid UTF-8, a device
  or a FIFO;
- a member written *through* a link of the archive (``l -> d`` then ``l/f``), or under a member
  that is a file (``x`` then ``x/y``);
- a symlink whose target, resolved component by component through the archive's own links and
  the links already on disk (``s0 -> .`` then ``u1 -> s0/..``), leaves the target; a hard link
  whose source is not a regular file stored earlier in the archive;
- a declared uncompressed total larger than the free space of the target (plus a margin), or
  more than ``max_ratio`` times the archive's size once it exceeds :data:`RATIO_FLOOR` (a zip
  bomb).

At write time every directory component is opened with ``O_NOFOLLOW`` relative to the target's
descriptor, so a link planted on disk (by an earlier member or by anyone else) is never followed;
a member's temporary file is created with ``O_EXCL | O_NOFOLLOW`` under a random name; a member
that yields more bytes than it declares is stopped. If anything fails after writing started
(a damaged member, a full disk, Ctrl-C), everything this call created is removed again.

Resumability: each file is written to a temporary sibling and renamed into place, so a file that
exists is complete. A member whose file exists with the right size (and, for zips, the right
CRC-32) is skipped, so re-running after an interruption only writes what is missing. The sha256 of
every regular member is computed while writing (``sha256=`` collects them) so ``avbench verify``
can re-check extracted files later.

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

import errno
import hashlib
import io
import lzma
import os
import posixpath
import re
import shutil
import stat
import struct
import tarfile
import threading
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from avbench.download._progress import Cancelled
from avbench.errors import DownloadError

__all__ = ["extract", "is_archive", "safe_member_name", "open_zip", "DEFAULT_MAX_RATIO", "RATIO_FLOOR"]

_TMP_SUFFIX = ".avbench-tmp"
DEFAULT_MAX_RATIO = 200.0  # declared uncompressed bytes per archive byte (deflate tops out near 1030)
RATIO_FLOOR = 64 << 20  # archives declaring less than this are not ratio-checked
SPACE_MARGIN = 64 << 20  # free space kept beyond the declared total
_LINK_MAX = 4096  # longest symlink target read from a zip
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


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
        _, this_disk, cd_disk, _, _, cd_size, cd_off, clen = struct.unpack("<4s4H2LH", tail[i:i + 22])
        have = len(fp.sizes) - 1
        if this_disk != 0xFFFF and this_disk != have:
            raise zipfile.BadZipFile(f"the archive has {this_disk} volume(s) before its last one, {have} given")
        fp.seek(0)
        if fp.read(4) not in (b"PK\x07\x08", b"PK00"):
            raise zipfile.BadZipFile("the first volume (.z01) is missing: the first file given does not start "
                                     "with the split-archive signature")
        self._comment = tail[i + 22:i + 22 + clen]
        if i >= 20 and tail[i - 20:i - 16] == b"PK\x06\x07":
            _, z_disk, z_off, _ = struct.unpack("<4sLQL", tail[i - 20:i])
            fp.seek(fp.starts[z_disk] + z_off)
            rec = fp.read(56)
            if rec[:4] != b"PK\x06\x06":
                raise zipfile.BadZipFile("bad zip64 end-of-central-directory record")
            _, _, _, _, _, cd_disk, _, _, cd_size, cd_off = struct.unpack("<4sQ2H2L4Q", rec)
        if cd_disk >= len(fp.starts):
            raise zipfile.BadZipFile(f"the central directory is on volume {cd_disk + 1}, which was not given")
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
            if disk >= len(fp.starts):
                raise zipfile.BadZipFile(f"member {name!r} is on volume {disk + 1}, which was not given")
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
        split = zipfile.BadZipFile("it is the last volume of a split archive and its earlier volumes "
                                   "(.z01, .z02, ...) were not given")
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(0, size - 65557))
            tail = fh.read()
        i = tail.rfind(b"PK\x05\x06")
        if i >= 0 and len(tail) >= i + 22 and struct.unpack_from("<H", tail, i + 4)[0] not in (0, 0xFFFF):
            raise split
        try:
            return zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            if "span multiple disks" in str(exc):
                raise split from None
            raise
    order = sorted(volumes, key=lambda p: int(m.group(1)) if (m := re.search(r"\.z(\d+)$", p.name)) else 0)
    return _SplitZip(_Concat([*order, path]))  # type: ignore[arg-type]




def _refuse(archive: Path, what: str) -> DownloadError:
    return DownloadError(f"{archive}: {what}; the archive was not extracted")


def _member(archive: Path, name: str) -> str:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise _refuse(archive, f"member name {shown!r} is not valid UTF-8") from None
    rel = safe_member_name(name)
    if rel is None:
        raise _refuse(archive, f"member {name!r} would land outside the target (absolute path or '..')")
    return rel


class _Plan:
    """The archive as a tree of names (``kind`` of each path), checked member by member."""

    def __init__(self, archive: Path, target: Path, cancel: threading.Event | None = None) -> None:
        self.archive, self.target, self.cancel = archive, target, cancel
        self.kinds: dict[str, str] = {}  # rel -> dir | file | link | hardlink
        self.links: dict[str, str] = {}  # rel -> symlink target
        self.items: list[tuple[str, str, Any]] = []

    def _link_target(self, rel: str) -> str | None:
        if rel in self.links:
            return self.links[rel]
        if rel not in self.kinds and os.path.islink(self.target / rel):
            return os.readlink(self.target / rel)
        return None

    def resolve(self, base: list[str], link: str, depth: int = 0) -> list[str] | None:
        """The components of ``link`` resolved from directory ``base`` through every link of the
        archive and of the disk; ``None`` when it leaves the target (or loops)."""
        if depth > 40 or link.startswith("/") or re.match(r"^[A-Za-z]:", link) or "\0" in link:
            return None
        parts = list(base)
        for comp in link.replace("\\", "/").split("/"):
            if comp in ("", "."):
                continue
            if comp == "..":
                if not parts:
                    return None
                parts.pop()
                continue
            parts.append(comp)
            inner = self._link_target("/".join(parts))
            if inner is not None:
                resolved = self.resolve(parts[:-1], inner, depth + 1)
                if resolved is None:
                    return None
                parts = resolved
        return parts

    def _parents_ok(self, rel: str, name: str) -> None:
        parts = rel.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            kind = self.kinds.get(prefix)
            if kind in ("link",) or (kind is None and os.path.islink(self.target / prefix)):
                raise _refuse(self.archive, f"member {name!r} would be written through the link {prefix!r}")
            if kind in ("file", "hardlink"):
                raise _refuse(self.archive, f"member {name!r} needs {prefix!r} to be a directory, but the "
                                            "archive stores it as a file")

    def add(self, kind: str, rel: str, name: str, obj: Any) -> None:
        if rel:
            self._parents_ok(rel, name)
        old = self.kinds.get(rel)
        if old is not None and old != kind and not (old in ("file", "hardlink") and kind in ("file", "hardlink")):
            raise _refuse(self.archive, f"member {name!r} is stored both as a {old} and as a {kind}")
        if kind == "link":
            if self.resolve(rel.split("/")[:-1], obj) is None:
                raise _refuse(self.archive, f"symlink {name!r} -> {obj!r} points outside the target")
            self.links[rel] = obj
        elif kind == "hardlink":
            src = safe_member_name(obj)
            if src is None:
                raise _refuse(self.archive, f"hard link {name!r} -> {obj!r} points outside the target")
            try:
                self._parents_ok(src, obj)
            except DownloadError:
                raise _refuse(self.archive, f"hard link {name!r} -> {obj!r} points outside the target (its "
                                            "source goes through a link)") from None
            if self.kinds.get(src) not in ("file", "hardlink"):
                raise _refuse(self.archive, f"hard link {name!r} -> {obj!r}: the source is not a regular file "
                                            "stored earlier in the archive")
            obj = src
        if rel:
            self.kinds[rel] = kind
        self.items.append((kind, rel, obj))


def _plan_zip(zf: zipfile.ZipFile, plan: _Plan) -> None:
    for info in zf.infolist():
        rel = _member(plan.archive, info.orig_filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            if info.file_size > _LINK_MAX:
                raise _refuse(plan.archive, f"symlink {info.orig_filename!r} has a {info.file_size}-byte target")
            plan.add("link", rel, info.orig_filename, zf.read(info).decode("utf-8", "replace"))
        elif info.is_dir() or not rel:
            plan.add("dir", rel, info.orig_filename, None)
        else:
            plan.add("file", rel, info.orig_filename, info)


def _plan_tar(tf: tarfile.TarFile, plan: _Plan) -> None:
    for m in tf.getmembers():
        rel = _member(plan.archive, m.name)
        if m.issym():
            plan.add("link", rel, m.name, m.linkname)
        elif m.islnk():
            plan.add("hardlink", rel, m.name, m.linkname)
        elif m.isdir() or not rel:
            plan.add("dir", rel, m.name, None)
        elif m.isfile():
            plan.add("file", rel, m.name, m)
        else:
            raise _refuse(plan.archive, f"member {m.name!r} is a device or FIFO")


class _Writer:
    """Writes below one directory descriptor, never following a link on disk; remembers what it
    created so :meth:`undo` can remove it."""

    def __init__(self, archive: Path, target: Path, cancel: threading.Event | None = None) -> None:
        self.archive, self.target, self.cancel = archive, target, cancel
        self.root = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.created: list[tuple[str, str]] = []  # (kind, rel) in creation order

    def close(self) -> None:
        os.close(self.root)

    def parent(self, rel: str, *, create: bool = True) -> tuple[int, str]:
        """A new descriptor of the directory holding ``rel`` (created as needed) and the last name."""
        parts = rel.split("/")
        fd = os.dup(self.root)
        try:
            for i, comp in enumerate(parts[:-1]):
                try:
                    nfd = os.open(comp, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    try:
                        os.mkdir(comp, 0o755, dir_fd=fd)
                        self.created.append(("dir", "/".join(parts[:i + 1])))
                    except FileExistsError:
                        pass  # another archive of the same dataset, extracted in parallel, made it first
                    nfd = os.open(comp, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                        where = self.target / "/".join(parts[:i + 1])
                        raise DownloadError(f"refusing to write {self.target / rel}: {where} on disk is a link or "
                                            "a file, not a directory (nothing is written through links); "
                                            "remove it and rerun") from None
                    raise
                os.close(fd)
                fd = nfd
        except BaseException:
            os.close(fd)
            raise
        return fd, parts[-1]

    def mkdir(self, rel: str) -> None:
        if not rel:
            return
        fd, name = self.parent(rel)
        try:
            try:
                os.mkdir(name, 0o755, dir_fd=fd)
                self.created.append(("dir", rel))
            except FileExistsError:
                if not stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                    raise DownloadError(f"refusing to write {self.target / rel}: it exists on disk and is not a "
                                        "directory; remove it and rerun") from None
        finally:
            os.close(fd)

    def symlink(self, rel: str, link: str) -> None:
        fd, name = self.parent(rel)
        try:
            try:
                if os.readlink(name, dir_fd=fd) == link:
                    return
                os.unlink(name, dir_fd=fd)
            except FileNotFoundError:
                pass
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # EINVAL: not a link (a file): replaced below
                    raise
                os.unlink(name, dir_fd=fd)
            os.symlink(link, name, dir_fd=fd)
            self.created.append(("file", rel))
        finally:
            os.close(fd)

    def present(self, rel: str, size: int, crc: int | None) -> bool:
        """Whether ``rel`` is a regular file (not a link) of ``size`` bytes (and CRC-32 ``crc``)."""
        try:
            fd, name = self.parent(rel, create=False)
        except FileNotFoundError:
            return False
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode) or st.st_size != size:
                return False
            if crc is None:
                return True
            value = 0
            with open(os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd), "rb") as fh:
                while chunk := fh.read(1 << 20):
                    value = zlib.crc32(chunk, value)
            return value == crc
        except FileNotFoundError:
            return False
        finally:
            os.close(fd)

    def open_read(self, rel: str) -> Any:
        fd, name = self.parent(rel, create=False)
        try:
            return open(os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd), "rb")
        finally:
            os.close(fd)

    def write(self, rel: str, src: Any, declared: int, mtime: float | None, name_in_archive: str) -> str:
        """Copy ``src`` into ``rel`` through a fresh temporary file; return the sha256 of the bytes."""
        fd, name = self.parent(rel)
        try:
            while True:
                tmp = f".{name[:80]}.{uuid.uuid4().hex[:12]}{_TMP_SUFFIX}"
                try:
                    out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                                  dir_fd=fd)
                    break
                except FileExistsError:
                    continue
            h = hashlib.sha256()
            try:
                with open(out, "wb", buffering=0) as fh:
                    written = 0
                    while chunk := src.read(1 << 20):
                        if self.cancel is not None and self.cancel.is_set():
                            raise Cancelled
                        written += len(chunk)
                        if written > declared:
                            raise _refuse(self.archive, f"member {name_in_archive!r} yields more than the "
                                                        f"{declared} bytes it declares (a zip bomb?)")
                        h.update(chunk)
                        view = memoryview(chunk)
                        while view:
                            view = view[fh.write(view):]
                    if mtime is not None:
                        os.utime(fh.fileno(), (mtime, mtime))
                existed = True
                try:
                    os.stat(name, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    existed = False
                os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
            except BaseException:
                try:
                    os.unlink(tmp, dir_fd=fd)
                except FileNotFoundError:
                    pass
                raise
            self.created.append(("file" if not existed else "replaced", rel))
            return h.hexdigest()
        finally:
            os.close(fd)

    def undo(self) -> None:
        """Remove what this writer created or replaced (files and links, then directories)."""
        for kind, rel in reversed(self.created):
            try:
                fd, name = self.parent(rel, create=False)
            except (FileNotFoundError, DownloadError):
                continue
            try:
                if kind == "dir":
                    os.rmdir(name, dir_fd=fd)
                else:
                    os.unlink(name, dir_fd=fd)
            except OSError:
                pass
            finally:
                os.close(fd)


def _sha256_of(fh: Any) -> str:
    h = hashlib.sha256()
    with fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


_READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, EOFError, UnicodeDecodeError,
                NotImplementedError)


def _check_budget(plan: _Plan, total: int, to_write: int, archive_bytes: int, target: Path,
                  max_ratio: float) -> None:
    if total > RATIO_FLOOR and total > max_ratio * max(1, archive_bytes):
        raise _refuse(plan.archive, f"its members declare {total:,} bytes uncompressed from {archive_bytes:,} "
                                    f"archive bytes, a ratio of {total / max(1, archive_bytes):.0f} above the cap of "
                                    f"{max_ratio:g} (a zip bomb?); if you trust it, raise the cap "
                                    "(max_extract_ratio / AVBENCH_MAX_EXTRACT_RATIO)")
    free = shutil.disk_usage(target).free
    if to_write and to_write + SPACE_MARGIN > free:
        raise _refuse(plan.archive, f"its members need {to_write / 2**30:.2f} GiB (+{SPACE_MARGIN >> 20} MiB margin) "
                                    f"but {target} has {free / 2**30:.2f} GiB free; free space and rerun")


def extract(archive: str | os.PathLike[str], target: str | os.PathLike[str], *,
            volumes: Sequence[str | os.PathLike[str]] = (),
            progress: Callable[[int], None] | None = None,
            sha256: dict[str, str] | None = None,
            max_ratio: float | None = None,
            rewrite: Collection[str] = (),
            cancel: threading.Event | None = None) -> dict[str, int]:
    """Extract ``archive`` (zip or tar, optionally multi-volume) into ``target``.

    Args:
        archive: the ``.zip`` (the last volume of a split zip) or tar file.
        target: the directory to extract into (created).
        volumes: the earlier volumes of a split zip (``.z01``...).
        progress: called with the bytes of each member written.
        sha256: filled with ``{member: sha256 hex}`` of every regular member.
        max_ratio: the cap on declared uncompressed bytes per archive byte (default
            :data:`DEFAULT_MAX_RATIO`; the engine reads ``AVBENCH_MAX_EXTRACT_RATIO``).
        rewrite: members to write again even when a file of the right size is there (a repair).
        cancel: when set (Ctrl-C), stop at the next chunk; finished members stay for the resume.

    Returns:
        ``{member path relative to target: size}`` of the regular files.

    Raises:
        DownloadError: an unsafe member (nothing is written then), an unreadable or damaged
            archive, not enough space (whatever was written by this call is removed again).
    """
    archive, target = Path(archive), Path(target)
    ratio = DEFAULT_MAX_RATIO if max_ratio is None else max_ratio
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create {target} to extract {archive.name}: {exc.strerror}; choose a writable "
                            "data directory") from None
    is_zip = archive.name.lower().endswith(".zip")
    plan = _Plan(archive, target)
    try:
        handle: Any = open_zip(archive, [Path(v) for v in volumes]) if is_zip else tarfile.open(archive)
    except (*_READ_ERRORS, OSError) as exc:
        raise DownloadError(f"{archive}: cannot read the archive ({exc}); remove it and rerun the download") from None
    members: dict[str, int] = {}
    digests: dict[str, str] = {} if sha256 is None else sha256
    writer: _Writer | None = None
    with handle:
        try:
            _plan_zip(handle, plan) if is_zip else _plan_tar(handle, plan)
        except _READ_ERRORS as exc:
            raise DownloadError(f"{archive}: cannot read the archive, it is truncated or damaged ({exc}); remove "
                                "it and rerun the download") from None
        sizes = {rel: (obj.file_size if is_zip else obj.size) for kind, rel, obj in plan.items if kind == "file"}
        archive_bytes = sum(os.path.getsize(p) for p in [archive, *volumes])
        writer = _Writer(archive, target, cancel)
        redo = set(rewrite)
        try:
            to_write = sum(n for rel, n in sizes.items() if rel in redo or not writer.present(rel, n, None))
            _check_budget(plan, sum(sizes.values()), to_write, archive_bytes, target, ratio)
        except BaseException:
            writer.close()
            raise
        current = ""
        try:
            for kind, rel, obj in plan.items:
                current = rel
                if kind == "dir":
                    writer.mkdir(rel)
                elif kind == "link":
                    writer.symlink(rel, obj)
                elif kind == "hardlink":
                    size = members[obj]
                    if rel in redo or not writer.present(rel, size, None) or \
                            _sha256_of(writer.open_read(rel)) != digests[obj]:
                        with writer.open_read(obj) as fh:
                            writer.write(rel, fh, size, None, rel)
                    members[rel], digests[rel] = size, digests[obj]
                else:
                    size = sizes[rel]
                    members[rel] = size
                    if rel not in redo and writer.present(rel, size, obj.CRC if is_zip else None):
                        digests[rel] = _sha256_of(writer.open_read(rel))
                        continue
                    mtime = time.mktime(obj.date_time + (0, 0, -1)) if is_zip else float(obj.mtime)
                    src_fh = handle.open(obj) if is_zip else handle.extractfile(obj)
                    with src_fh:
                        digests[rel] = writer.write(rel, src_fh, size, mtime, obj.orig_filename if is_zip else obj.name)
                    if progress is not None:
                        progress(size)
        except Cancelled:
            raise  # a Ctrl-C keeps the finished members for the resume
        except Exception as exc:
            writer.undo()
            if isinstance(exc, _READ_ERRORS):
                raise DownloadError(f"{archive}: member {current!r} is damaged or truncated ({exc}); remove the "
                                    "archive and rerun the download (nothing of it was kept)") from None
            if isinstance(exc, OSError):
                what = "disk full" if exc.errno == errno.ENOSPC else exc.strerror
                raise DownloadError(f"{archive}: {what} while extracting {current!r} into {target}; nothing of "
                                    "the archive was kept; fix that and rerun") from None
            raise
        finally:
            writer.close()
    return members
