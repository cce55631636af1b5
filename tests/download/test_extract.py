"""Safe, resumable extraction: zip, tar, multi-volume zips; traversal and link attacks refused."""

from __future__ import annotations

import io
import random
import shutil
import stat
import struct
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from _archives import _split_zip, _zip

from avbench.download.extract import extract
from avbench.errors import DownloadError

A = random.Random(7).randbytes(179_200)  # incompressible: spans volume boundaries below
B = b"second member\n" * 3000 + random.Random(8).randbytes(60_000)


def test_zip_and_tar_extract_with_sizes(tmp_path):
    (tmp_path / "a.zip").write_bytes(_zip({"d/a.bin": A, "b.txt": B}))
    assert extract(tmp_path / "a.zip", tmp_path / "z") == {"d/a.bin": len(A), "b.txt": len(B)}
    assert (tmp_path / "z/d/a.bin").read_bytes() == A
    with tarfile.open(tmp_path / "a.tar.gz", "w:gz") as tf:
        for name, data in {"x/a.bin": A, "b.txt": B}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    assert extract(tmp_path / "a.tar.gz", tmp_path / "t") == {"x/a.bin": len(A), "b.txt": len(B)}
    assert (tmp_path / "t/b.txt").read_bytes() == B


@pytest.mark.parametrize("name", ["../evil.txt", "/abs/evil.txt", "a/../../evil.txt", "C:/evil.txt", "..\\evil.txt"])
def test_zip_slip_refused_and_nothing_written(tmp_path, name):
    (tmp_path / "bad.zip").write_bytes(_zip({"ok.txt": b"fine", name: b"evil"}))
    with pytest.raises(DownloadError, match="would land outside the target"):
        extract(tmp_path / "bad.zip", tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    assert not (tmp_path / "evil.txt").exists()


def _zip_with_symlink(link: str, target: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(link)
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, target)
        zf.writestr("data.txt", b"data")
    return buf.getvalue()


def test_zip_symlink_outside_refused(tmp_path):
    (tmp_path / "l.zip").write_bytes(_zip_with_symlink("sub/link", "../../outside"))
    with pytest.raises(DownloadError, match="symlink 'sub/link' -> '../../outside' points outside"):
        extract(tmp_path / "l.zip", tmp_path / "out")
    assert not (tmp_path / "out" / "data.txt").exists()


def test_zip_symlink_inside_kept(tmp_path):
    (tmp_path / "l.zip").write_bytes(_zip_with_symlink("sub/link", "../data.txt"))
    extract(tmp_path / "l.zip", tmp_path / "out")
    assert (tmp_path / "out/sub/link").is_symlink() and (tmp_path / "out/sub/link").read_bytes() == b"data"


@pytest.mark.parametrize("kind,linkname", [(tarfile.SYMTYPE, "/etc/passwd"), (tarfile.SYMTYPE, "../x"),
                                           (tarfile.LNKTYPE, "../../etc/passwd"), (tarfile.CHRTYPE, "")])
def test_tar_links_outside_and_devices_refused(tmp_path, kind, linkname):
    with tarfile.open(tmp_path / "bad.tar", "w") as tf:
        ok = tarfile.TarInfo("ok.txt")
        ok.size = 2
        tf.addfile(ok, io.BytesIO(b"ok"))
        bad = tarfile.TarInfo("bad")
        bad.type, bad.linkname = kind, linkname
        tf.addfile(bad)
    with pytest.raises(DownloadError, match="points outside the target|device or FIFO"):
        extract(tmp_path / "bad.tar", tmp_path / "out")
    assert not (tmp_path / "out" / "ok.txt").exists()


def test_planted_symlink_directory_cannot_redirect_writes(tmp_path):
    (tmp_path / "a.zip").write_bytes(_zip({"d/a.bin": A}))
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "d").symlink_to(outside)
    with pytest.raises(DownloadError, match="written through the link 'd'"):
        extract(tmp_path / "a.zip", tmp_path / "out")
    assert list(outside.iterdir()) == []


def test_resumable_extraction_skips_verified_members(tmp_path):
    (tmp_path / "a.zip").write_bytes(_zip({"a.bin": A, "b.txt": B}))
    extract(tmp_path / "a.zip", tmp_path / "out")
    ino_a = (tmp_path / "out/a.bin").stat().st_ino
    damaged = bytearray(B)
    damaged[10] ^= 1
    (tmp_path / "out/b.txt").write_bytes(bytes(damaged))  # same size, wrong CRC
    ino_b = (tmp_path / "out/b.txt").stat().st_ino
    extract(tmp_path / "a.zip", tmp_path / "out")
    assert (tmp_path / "out/a.bin").stat().st_ino == ino_a  # untouched
    assert (tmp_path / "out/b.txt").read_bytes() == B and (tmp_path / "out/b.txt").stat().st_ino != ino_b


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_multivolume_zip(tmp_path, compression):
    vols = _split_zip(_zip({"foa_dev/a.wav": A, "foa_dev/b.wav": B}, compression), 50_000, tmp_path / "foa_dev")
    assert [p.name for p in vols][-1] == "foa_dev.zip" and len(vols) >= 3
    members = extract(vols[-1], tmp_path / "out", volumes=list(reversed(vols[:-1])))
    assert members == {"foa_dev/a.wav": len(A), "foa_dev/b.wav": len(B)}
    assert (tmp_path / "out/foa_dev/a.wav").read_bytes() == A and (tmp_path / "out/foa_dev/b.wav").read_bytes() == B


def test_multivolume_zip_written_by_info_zip(tmp_path):
    """The same reader on volumes made by the real `zip -s` (skipped where it is not installed)."""
    if shutil.which("zip") is None:
        pytest.skip("the Info-ZIP `zip` command is not installed")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(A * 2)
    (src / "b.txt").write_bytes(B)
    subprocess.run(["zip", "-q", "-s", "64k", "-r", str(tmp_path / "x.zip"), "a.bin", "b.txt"], cwd=src, check=True)
    vols = sorted(tmp_path.glob("x.z[0-9][0-9]"))
    assert len(vols) >= 2
    extract(tmp_path / "x.zip", tmp_path / "out", volumes=vols)
    assert (tmp_path / "out/a.bin").read_bytes() == A * 2 and (tmp_path / "out/b.txt").read_bytes() == B


def test_damaged_archive_is_reported(tmp_path):
    (tmp_path / "a.zip").write_bytes(b"not a zip at all")
    with pytest.raises(DownloadError, match="cannot read the archive"):
        extract(tmp_path / "a.zip", tmp_path / "out")


def test_directory_made_by_a_parallel_extraction_is_used_not_an_error(tmp_path, monkeypatch):
    """Two archives of one dataset extract in parallel into the same top folder: when the other
    extraction makes a shared directory between our "does it exist" and our mkdir, that directory
    is used (a CI run once failed with "File exists while extracting ..."), and it is not ours to undo."""
    import os

    real_mkdir = os.mkdir
    raced = []

    def mkdir_after_the_other_thread(name, mode=0o777, *, dir_fd=None):
        if name == "shared" and not raced:
            raced.append(name)
            real_mkdir(name, mode, dir_fd=dir_fd)  # the other extraction wins the race
        return real_mkdir(name, mode, dir_fd=dir_fd)

    (tmp_path / "a.zip").write_bytes(_zip({"shared/docs/README.md": B}))
    (tmp_path / "bad.zip").write_bytes(_zip({"shared/other/x.bin": A})[:-30])  # damaged: undone
    monkeypatch.setattr(os, "mkdir", mkdir_after_the_other_thread)
    assert extract(tmp_path / "a.zip", tmp_path / "t") == {"shared/docs/README.md": len(B)}
    assert raced == ["shared"]
    assert (tmp_path / "t/shared/docs/README.md").read_bytes() == B
    with pytest.raises(DownloadError):
        extract(tmp_path / "bad.zip", tmp_path / "t")
    assert (tmp_path / "t/shared/docs/README.md").read_bytes() == B
