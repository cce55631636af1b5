"""`avbench verify` re-hashes extracted members and unhashed files against what was recorded;
`avbench download` repairs what verify finds; nothing on disk and read-only destinations."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from _recipe import cli

from avbench.download import fetch_resources
from avbench.download.resource import HttpSource, Resource

MEMBERS = {"audio/a.wav": b"RIFF" + bytes(range(256)) * 40, "audio/b.wav": b"RIFF" + b"\1" * 3000}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return buf.getvalue()


def _resources(loopback) -> list[Resource]:
    data = _zip(MEMBERS)
    meta = b"id,label\n1,dog\n"
    return [Resource("archives/audio.zip", HttpSource(loopback.add_file("audio.zip", data)), size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(), part="meta", extract_to="data"),
            Resource("meta.csv", HttpSource(loopback.add_file("meta.csv", meta)), part="meta")]  # no published hash


def _flip(path: Path, keep_mtime: bool) -> None:
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    if keep_mtime:  # bit rot: same size, same mtime
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("remove", [False, True], ids=["archive-kept", "archive-removed"])
@pytest.mark.parametrize("keep_mtime", [False, True], ids=["edited", "bit-rot"])
def test_flipped_byte_in_an_extracted_member_is_found_and_repaired(loopback, tiny_recipe, tmp_path, capsys,
                                                                   remove, keep_mtime):
    """Before: verify said "all good" (members were checked by size only, and only once the
    archive was removed), and download left the member as it was."""
    tiny_recipe.res = _resources(loopback)
    d = str(tmp_path)
    flags = ["--remove-archives"] if remove else []
    assert cli(["download", "tinytest", "--data-dir", d, "--quiet", *flags]) == 0
    member = tmp_path / "tinytest/data/audio/a.wav"
    _flip(member, keep_mtime)
    capsys.readouterr()
    assert cli(["verify", "tinytest", "--data-dir", d]) == 1
    out = capsys.readouterr().out
    assert "corrupt  data/audio/a.wav  (sha256 differs from the one recorded at extraction)" in out
    assert "1 corrupt; run `avbench download tinytest` to repair" in out
    assert cli(["download", "tinytest", "--data-dir", d, "--quiet", *flags]) == 0
    assert member.read_bytes() == MEMBERS["audio/a.wav"]
    assert cli(["verify", "tinytest", "--data-dir", d]) == 0
    assert "all good" in capsys.readouterr().out


def test_missing_member_of_a_removed_archive_is_fetched_again(loopback, tiny_recipe, tmp_path):
    tiny_recipe.res = _resources(loopback)
    root = tmp_path / "tinytest"
    fetch_resources(tiny_recipe.res, root, quiet=True, remove_archives=True)
    (root / "data/audio/b.wav").unlink()
    report = fetch_resources(tiny_recipe.res, root, quiet=True, remove_archives=True)
    assert report.fetched == ["archives/audio.zip"] and (root / "data/audio/b.wav").read_bytes() == MEMBERS["audio/b.wav"]


def test_unhashed_file_is_checked_against_the_sha256_recorded_at_download(loopback, tiny_recipe, tmp_path, capsys):
    tiny_recipe.res = _resources(loopback)
    d = str(tmp_path)
    assert cli(["download", "tinytest", "--data-dir", d, "--quiet"]) == 0
    (tmp_path / "tinytest/meta.csv").write_bytes(b"id,label\n1,cat\n")  # same size
    capsys.readouterr()
    assert cli(["verify", "tinytest", "--data-dir", d]) == 1
    assert "corrupt  meta.csv  (sha256 expected" in capsys.readouterr().out


def test_verify_with_nothing_on_disk_says_so(loopback, tiny_recipe, tmp_path, capsys):
    """Before: nothing on disk was reported per file, and a recipe with nothing checkable said "all good"."""
    tiny_recipe.res = _resources(loopback)
    assert cli(["verify", "tinytest", "--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "nothing is on disk in" in out and "run `avbench download tinytest` first" in out
    tiny_recipe.res = []
    assert cli(["verify", "tinytest", "--data-dir", str(tmp_path)]) == 1
    assert "all good" not in capsys.readouterr().out


def test_read_only_destination_is_one_line(loopback, tiny_recipe, tmp_path, capsys):
    """A read-only data directory (a read-only tmpfs as root, chmod otherwise): one line, exit 2."""
    ro = tmp_path / "ro"
    ro.mkdir()
    mounted = False
    if os.geteuid() == 0:
        if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=256m", "tmpfs",
                                                            str(ro)], capture_output=True).returncode:
            pytest.skip("as root a read-only directory needs a read-only mount, which is not allowed here")
        mounted = True
    else:
        ro.chmod(0o555)
    try:
        tiny_recipe.res = _resources(loopback)
        assert cli(["download", "tinytest", "--data-dir", str(ro), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and "writable" in err, err
    finally:
        if mounted:
            subprocess.run(["umount", str(ro)], check=False)
        else:
            ro.chmod(0o755)
