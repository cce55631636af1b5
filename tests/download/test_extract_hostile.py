"""Crafted hostile archives: link chains, writes through links, temp-file names, hard-link tricks,
conflicting members, truncated and undecodable archives, missing volumes, zip bombs. Each one is
refused with one line, and nothing of it is left on disk."""

from __future__ import annotations

import io
import os
import random
import shutil
import struct
import subprocess
import tarfile
import zipfile
import zlib
from collections import namedtuple
from pathlib import Path

import pytest
from _archives import _split_zip, _tar_entries, _zip, _zip_entries

from avbench.download import extract as extract_mod
from avbench.download.extract import extract
from avbench.errors import DownloadError


def _tree(root: Path) -> list[str]:
    """Everything under ``root`` (links not followed)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


@pytest.fixture()
def box(tmp_path: Path) -> Path:
    """``box/out`` is the target; ``box`` (its parent) must stay as it was."""
    (tmp_path / "box" / "out").mkdir(parents=True)
    return tmp_path / "box"


def _archive(box: Path, fmt: str, entries: list) -> Path:
    if fmt == "zip":
        path = box.parent / "a.zip"
        path.write_bytes(_zip_entries(entries))
        return path
    return _tar_entries(box.parent / "a.tar", entries)


CHAIN = [("s0", "link", "."), ("u1", "link", "s0/.."), ("u1/escaped", "dir", None),
         ("u1/escaped/x.txt", "file", b"escaped")]


@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_link_chain_cannot_reach_outside(box, fmt):
    """``s0 -> .`` then ``u1 -> s0/..`` (lexically ``.``, on disk the parent), then a member
    under ``u1/``: refused before anything is written."""
    archive = _archive(box, fmt, CHAIN)
    with pytest.raises(DownloadError, match=r"symlink 'u1' -> 's0/\.\.' points outside") as exc:
        extract(archive, box / "out")
    _one_line(exc)
    assert _tree(box) == ["out"]


@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_member_written_through_an_archive_link_is_refused(box, fmt):
    archive = _archive(box, fmt, [("d", "dir", None), ("l", "link", "d"), ("l/f.txt", "file", b"x")])
    with pytest.raises(DownloadError, match="'l/f.txt' would be written through the link 'l'"):
        extract(archive, box / "out")
    assert _tree(box) == ["out"]


def test_hard_link_through_six_symlinks_cannot_copy_a_system_file(box):
    """d1 -> d0/.., d2 -> d1/.., ... each lexically harmless; a hard link to ``d6/etc/passwd``
    would copy /etc/passwd into the target."""
    depth = len(Path(os.path.realpath(box / "out")).parts)
    entries = [("d0", "link", ".")] + [(f"d{i}", "link", f"d{i - 1}/..") for i in range(1, max(6, depth) + 1)]
    entries.append(("stolen", "hardlink", f"d{max(6, depth)}/etc/passwd"))
    archive = _tar_entries(box.parent / "a.tar", entries)
    with pytest.raises(DownloadError, match="points outside the target"):
        extract(archive, box / "out")
    assert _tree(box) == ["out"]


@pytest.mark.parametrize("source", ["nowhere.txt", "link"])
def test_hard_link_source_must_be_a_stored_regular_file(box, source):
    (box / "out" / "nowhere.txt").write_bytes(b"on disk, not in the archive")
    archive = _tar_entries(box.parent / "a.tar", [("data.txt", "file", b"d"), ("link", "link", "data.txt"),
                                                  ("h", "hardlink", source)])
    with pytest.raises(DownloadError, match="hard link 'h'"):
        extract(archive, box / "out")
    assert _tree(box) == ["out", "out/nowhere.txt"]


@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_member_named_like_the_temporary_file_cannot_redirect_it(box, fmt):
    """Before: ``a.bin.avbench-tmp -> victim.txt`` made the write of ``a.bin`` go into victim.txt."""
    archive = _archive(box, fmt, [("victim.txt", "file", b"original"), ("a.bin.avbench-tmp", "link", "victim.txt"),
                                  ("a.bin", "file", b"member a")])
    extract(archive, box / "out")
    out = box / "out"
    assert (out / "victim.txt").read_bytes() == b"original"
    assert not (out / "a.bin").is_symlink() and (out / "a.bin").read_bytes() == b"member a"
    assert not [p for p in out.iterdir() if p.name.endswith(".avbench-tmp") and not p.is_symlink()]


def test_link_planted_on_disk_is_never_written_through(box):
    """A symlink another process left in the target (here to a directory outside) is refused too,
    whether the plan sees it or it appears only when the member is written."""
    outside = box / "elsewhere"
    outside.mkdir()
    (box / "out" / "d").symlink_to(outside)
    archive = _archive(box, "zip", [("d/f.txt", "file", b"x")])
    with pytest.raises(DownloadError, match="written through the link 'd'"):
        extract(archive, box / "out")
    assert list(outside.iterdir()) == []
    # the write-time check alone (O_NOFOLLOW on each directory component)
    writer = extract_mod._Writer(archive, box / "out")
    try:
        with pytest.raises(DownloadError, match="is a link or a file, not a directory"):
            writer.write("d/f.txt", io.BytesIO(b"x"), 1, None, "d/f.txt")
    finally:
        writer.close()
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_file_then_same_name_as_directory_is_one_line(box, fmt):
    archive = _archive(box, fmt, [("x", "file", b"a file"), ("x/y", "file", b"under it")])
    with pytest.raises(DownloadError, match="'x/y' needs 'x' to be a directory") as exc:
        extract(archive, box / "out")
    _one_line(exc)
    assert _tree(box) == ["out"]


def test_invalid_utf8_names_are_one_line(box):
    path = box.parent / "bad.tar"
    with tarfile.open(path, "w", encoding="utf-8", errors="surrogateescape") as tf:
        info = tarfile.TarInfo(b"caf\xe9.txt".decode("utf-8", "surrogateescape"))
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(DownloadError, match="is not valid UTF-8"):
        extract(path, box / "out")
    zdata = bytearray(_zip({"cafe.txt": b"x"}))
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # mark the names UTF-8, then make them invalid UTF-8
        i = zdata.find(sig)
        flag_at = i + (6 if sig == b"PK\x03\x04" else 8)
        struct.pack_into("<H", zdata, flag_at, struct.unpack_from("<H", zdata, flag_at)[0] | 0x800)
        j = zdata.find(b"cafe.txt", i)
        zdata[j + 3] = 0xE9
    (box.parent / "bad.zip").write_bytes(bytes(zdata))
    with pytest.raises(DownloadError, match="cannot read the archive") as exc:
        extract(box.parent / "bad.zip", box / "out")
    _one_line(exc)
    assert _tree(box) == ["out"]


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_truncated_tar_is_one_line_and_leaves_nothing(box, mode):
    full = _tar_entries(box.parent / f"full.tar{'.gz' if 'gz' in mode else ''}",
                        [("a.bin", "file", random.Random(1).randbytes(300_000)),
                         ("b.bin", "file", random.Random(2).randbytes(300_000))], mode)
    cut = full.with_name("cut" + full.name[4:])
    cut.write_bytes(full.read_bytes()[:450_000])
    with pytest.raises(DownloadError, match="truncated or damaged") as exc:
        extract(cut, box / "out")
    _one_line(exc)
    assert _tree(box) == ["out"]


def test_damaged_member_after_good_ones_leaves_nothing(box):
    """A zip whose second member fails its CRC: the first member, the created directory and the
    temporary file are all removed."""
    data = bytearray(_zip({"d/a.bin": random.Random(1).randbytes(50_000), "d/b.bin": b"b" * 100_000}))
    i = data.find(b"PK\x03\x04", 10)  # the second local header
    data[i + 30 + len("d/b.bin") + 20] ^= 0xFF
    (box.parent / "a.zip").write_bytes(bytes(data))
    with pytest.raises(DownloadError, match=r"member 'd/b\.bin' is damaged"):
        extract(box.parent / "a.zip", box / "out")
    assert _tree(box) == ["out"]


def test_missing_first_volume_is_one_line(tmp_path):
    a, b = random.Random(1).randbytes(120_000), random.Random(2).randbytes(90_000)
    vols = _split_zip(_zip({"a.wav": a, "b.wav": b}), 60_000, tmp_path / "set")
    assert len(vols) >= 3
    with pytest.raises(DownloadError, match="volume") as exc:
        extract(vols[-1], tmp_path / "out", volumes=vols[1:-1])  # .z01 missing
    _one_line(exc)
    with pytest.raises(DownloadError, match="earlier volumes"):
        extract(vols[-1], tmp_path / "out")
    assert _tree(tmp_path / "out") == []


# -- zip bombs ------------------------------------------------------------------------------------
_BOMBS: dict[int, bytes] = {}


def _zeros_zip(path: Path, size: int) -> Path:
    """A zip of one member of ``size`` zero bytes (about 1,000:1), built once per size."""
    if size not in _BOMBS:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            with zf.open("zeros.bin", "w", force_zip64=True) as fh:
                block = bytes(1 << 20)
                for _ in range(size >> 20):
                    fh.write(block)
        _BOMBS[size] = buf.getvalue()
    path.write_bytes(_BOMBS[size])
    return path


def test_expansion_ratio_cap(box):
    bomb = _zeros_zip(box.parent / "bomb.zip", 80 << 20)  # ~80 KiB expanding to 80 MiB
    with pytest.raises(DownloadError, match=r"ratio of \d+ above the cap of 200 \(a zip bomb\?\)") as exc:
        extract(bomb, box / "out")
    _one_line(exc)
    assert _tree(box) == ["out"]
    assert extract(bomb, box / "out", max_ratio=5000) == {"zeros.bin": 80 << 20}  # the cap is configurable


def test_declared_total_checked_against_free_space(box, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(extract_mod.shutil, "disk_usage", lambda p: usage(1 << 30, 1 << 30, 70 << 20))
    archive = box.parent / "a.zip"
    archive.write_bytes(_zip({"a.bin": random.Random(3).randbytes(8 << 20)}, zipfile.ZIP_STORED))
    with pytest.raises(DownloadError, match=r"need 0\.01 GiB \(\+64 MiB margin\) but .* has 0\.07 GiB free"):
        extract(archive, box / "out")
    assert _tree(box) == ["out"]


def test_real_small_disk_refuses_the_archive_before_writing(tmp_path):
    """A 32 MiB tmpfs (root only; skipped otherwise) and a zip declaring 48 MiB."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("this environment does not allow mounting a tmpfs")
    try:
        bomb = _zeros_zip(tmp_path / "bomb.zip", 48 << 20)
        with pytest.raises(DownloadError, match="free; free space and rerun"):
            extract(bomb, mnt / "out", max_ratio=1e6)
        assert _tree(mnt) == ["out"]
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_member_inflating_past_its_declared_size_is_stopped(box):
    """The central directory and local header say 1,000 bytes; the deflate stream holds 20 MiB.
    The member is stopped at its declared size, and neither it nor its temp file stays."""
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = raw.compress(bytes(20 << 20)) + raw.flush()
    data = bytearray(_zip({"small.txt": b"y" * 1000}))
    lh = data.find(b"PK\x03\x04")
    old_csize = struct.unpack_from("<L", data, lh + 18)[0]
    nlen, elen = struct.unpack_from("<HH", data, lh + 26)
    body = lh + 30 + nlen + elen
    data[body:body + old_csize] = stream
    struct.pack_into("<L", data, lh + 18, len(stream))
    cd = data.find(b"PK\x01\x02")
    struct.pack_into("<L", data, cd + 20, len(stream))
    struct.pack_into("<L", data, cd + 42, lh)
    eocd = data.find(b"PK\x05\x06")
    struct.pack_into("<L", data, eocd + 16, cd)
    (box.parent / "lie.zip").write_bytes(bytes(data))
    with pytest.raises(DownloadError, match="damaged or truncated"):
        extract(box.parent / "lie.zip", box / "out")
    assert _tree(box) == ["out"]


def test_writer_stops_a_member_at_its_declared_size(box):
    """The writer's own guard, whatever the decompressor does."""
    archive = box.parent / "a.zip"
    archive.write_bytes(b"")
    writer = extract_mod._Writer(archive, box / "out")
    try:
        with pytest.raises(DownloadError, match="yields more than the 10 bytes it declares"):
            writer.write("m.bin", io.BytesIO(b"z" * (3 << 20)), 10, None, "m.bin")
        writer.undo()
    finally:
        writer.close()
    assert _tree(box) == ["out"]


# -- through the engine and the CLI ---------------------------------------------------------------
def _served(loopback, name: str, data: bytes, **kw) -> "Resource":
    import hashlib

    from avbench.download.resource import HttpSource, Resource

    return Resource(name, HttpSource(loopback.add_file(name, data)), size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), part="meta", **kw)


def test_truncated_tar_gz_through_download_is_exit_2(loopback, tiny_recipe, tmp_path, capsys):
    """Before: click took the uncaught EOFError for end of input: 'interrupted', exit 130."""
    from _recipe import cli

    full = _tar_entries(tmp_path / "full.tar.gz", [("a.bin", "file", random.Random(1).randbytes(200_000)),
                                                   ("b.bin", "file", random.Random(2).randbytes(200_000))], "w:gz")
    tiny_recipe.res = [_served(loopback, "cut.tar.gz", full.read_bytes()[:300_000], extract_to="data")]
    assert cli(["download", "tinytest", "--data-dir", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cut.tar.gz" in err and "truncated or damaged" in err
    assert _tree(tmp_path / "tinytest" / "data") == []


def test_refused_archive_through_the_engine_keeps_nothing_of_it(loopback, tmp_path):
    from avbench.download import fetch_resources

    res = [_served(loopback, "chain.zip", _zip_entries(CHAIN), extract_to="data")]
    with pytest.raises(DownloadError, match="points outside the target"):
        fetch_resources(res, tmp_path, quiet=True)
    assert _tree(tmp_path / "data") == [] and not (tmp_path / "escaped").exists()
    bomb = _zeros_zip(tmp_path / "bomb.zip", 80 << 20)
    res = [_served(loopback, "bomb.zip", bomb.read_bytes(), extract_to="bomb")]
    with pytest.raises(DownloadError, match="above the cap of 200"):
        fetch_resources(res, tmp_path, quiet=True)
    assert _tree(tmp_path / "bomb") == []  # the option itself: test_cli_max_extract_ratio_flag


def test_cancel_stops_extraction_and_keeps_finished_members(box):
    """Ctrl-C (the engine sets the event) stops at the next chunk: no temp file, finished
    members stay for the resume, the next run completes."""
    import threading

    from avbench.download._progress import Cancelled

    archive = box.parent / "a.zip"
    archive.write_bytes(_zip({"a.bin": b"a" * 1000, "b.bin": random.Random(4).randbytes(3 << 20)},
                             zipfile.ZIP_STORED))
    cancel = threading.Event()
    writes = []

    def progress(n: int) -> None:
        writes.append(n)
        cancel.set()  # "Ctrl-C" right after the first member

    with pytest.raises(Cancelled):
        extract(archive, box / "out", progress=progress, cancel=cancel)
    assert _tree(box) == ["out", "out/a.bin"]
    assert extract(archive, box / "out") == {"a.bin": 1000, "b.bin": 3 << 20}


def test_cli_max_extract_ratio_flag(loopback, tiny_recipe, tmp_path, capsys):
    from _recipe import cli

    bomb = _zeros_zip(tmp_path / "bomb.zip", 80 << 20)
    tiny_recipe.res = [_served(loopback, "bomb.zip", bomb.read_bytes(), extract_to="bomb")]
    d = str(tmp_path / "data")
    assert cli(["download", "tinytest", "--data-dir", d, "--quiet"]) == 2
    assert "above the cap of 200" in capsys.readouterr().err
    assert cli(["download", "tinytest", "--data-dir", d, "--quiet", "--max-extract-ratio", "5000"]) == 0
    assert (tmp_path / "data/tinytest/bomb/zeros.bin").stat().st_size == 80 << 20
