"""Archive builders for the download tests: ordinary, split (Info-ZIP style) and hostile ones."""

from __future__ import annotations

import io
import stat
import struct
import tarfile
import zipfile
from pathlib import Path
from typing import Any


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _split_zip(data: bytes, volume: int, stem: Path) -> list[Path]:
    """Write ``data`` (a one-volume zip) as an Info-ZIP split archive: ``stem.z01 ..., stem.zip``.

    The first volume starts with the split signature; central-directory offsets become relative
    to the volume holding each local header, with that volume's number.
    """
    eocd = data.rfind(b"PK\x05\x06")
    _, _, _, n_disk, n_total, cd_size, cd_off, _ = struct.unpack("<4s4H2LH", data[eocd:eocd + 22])
    stream = b"PK\x07\x08" + data[:cd_off]
    vols = [stream[i:i + volume] for i in range(0, len(stream), volume)]
    cd = bytearray(data[cd_off:cd_off + cd_size])
    pos = 0
    while pos < len(cd):
        nlen, elen, clen = struct.unpack("<3H", cd[pos + 28:pos + 34])
        (offset,) = struct.unpack("<L", cd[pos + 42:pos + 46])
        absolute = offset + 4
        struct.pack_into("<H", cd, pos + 34, absolute // volume)
        struct.pack_into("<L", cd, pos + 42, absolute % volume)
        pos += 46 + nlen + elen + clen
    last = len(vols) - 1
    tail = bytes(cd) + struct.pack("<4s4H2LH", b"PK\x05\x06", last, last, n_disk, n_total, cd_size, len(vols[-1]), 0)
    paths = []
    for i, v in enumerate(vols):
        p = stem.with_suffix(".zip" if i == last else f".z{i + 1:02d}")
        p.write_bytes(v + (tail if i == last else b""))
        paths.append(p)
    return paths


def _zip_entries(entries: list[tuple[str, str, Any]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``(name, kind, payload)`` in order: ``file`` (bytes), ``dir``, ``link`` (target)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, kind, payload in entries:
            if kind == "link":
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, payload)
            elif kind == "dir":
                zf.writestr(zipfile.ZipInfo(name.rstrip("/") + "/"), b"")
            else:
                zf.writestr(name, payload)
    return buf.getvalue()


def _tar_entries(path: Path, entries: list[tuple[str, str, Any]], mode: str = "w", **kw: Any) -> Path:
    """A tar of ``(name, kind, payload)`` in order: ``file`` (bytes), ``dir``, ``link`` (symlink
    target), ``hardlink`` (source member name), ``fifo``."""
    types = {"dir": tarfile.DIRTYPE, "link": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE}
    with tarfile.open(path, mode, **kw) as tf:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
                continue
            info.type = types[kind]
            if kind in ("link", "hardlink"):
                info.linkname = payload
            tf.addfile(info)
    return path
