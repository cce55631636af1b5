"""The engine end to end over loopback: idempotence, dry run, free space, mirrors, archives,
failures, the record, `avbench verify`, and the CLI on a tiny test recipe."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import zipfile
from collections import namedtuple
from typing import Any

import pytest

from _recipe import TinyRecipe, cli

from avbench import registry
from avbench.download import fetch_resources
from avbench.download.resource import HttpSource, Resource, ZenodoSource
from avbench.download.verify import verify_resources
from avbench.errors import DownloadError, InputError

FILES = {f"meta/f{i}.txt": f"file {i}\n".encode() * (i + 1) for i in range(5)}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return buf.getvalue()


ARCHIVE = _zip({"audio/a.wav": b"RIFF" + b"\0" * 5000, "audio/b.wav": b"RIFF" + b"\1" * 3000})


def _resources(server: Any) -> list[Resource]:
    out = [Resource(name, HttpSource(server.add_file(name.replace("/", "_"), data)), size=len(data),
                    sha256=hashlib.sha256(data).hexdigest()) for name, data in FILES.items()]
    out.append(Resource("archives/audio.zip", HttpSource(server.add_file("audio.zip", ARCHIVE)), size=len(ARCHIVE),
                        md5=hashlib.md5(ARCHIVE).hexdigest(), part="audio", extract_to="data"))
    return out


def _file_gets(server: Any) -> list[str]:
    return [r[1] for r in server.log if r[0] == "GET" and r[1].startswith("/files/")]


def test_idempotent_rerun_fetches_nothing(loopback, tmp_path):
    res = _resources(loopback)
    report = fetch_resources(res, tmp_path, quiet=True, workers=4)
    assert sorted(report.fetched) == sorted(r.path for r in res) and report.extracted == ["archives/audio.zip"]
    assert (tmp_path / "data/audio/a.wav").read_bytes() == b"RIFF" + b"\0" * 5000
    n = len(_file_gets(loopback))
    again = fetch_resources(res, tmp_path, quiet=True, workers=4)
    assert len(_file_gets(loopback)) == n and again.fetched == [] and again.extracted == []
    assert all(p.status == "present" for p in again.plan)


def test_corrupted_file_on_disk_is_refetched_and_deleted_member_reextracted(loopback, tmp_path):
    res = _resources(loopback)
    fetch_resources(res, tmp_path, quiet=True)
    target = tmp_path / "meta/f3.txt"
    target.write_bytes(b"X" * target.stat().st_size)  # same size, new mtime, wrong content
    (tmp_path / "data/audio/b.wav").unlink()
    report = fetch_resources(res, tmp_path, quiet=True)
    assert report.fetched == ["meta/f3.txt"] and report.extracted == ["archives/audio.zip"]
    assert target.read_bytes() == FILES["meta/f3.txt"] and (tmp_path / "data/audio/b.wav").is_file()


def test_dry_run_prints_plan_and_fetches_nothing(loopback, tmp_path, capsys):
    loopback.zenodo_record(9, "T", {"meta.zip": b"m" * 1234})
    res = [*_resources(loopback), Resource("z/meta.zip", ZenodoSource(9, "meta.zip"))]
    report = fetch_resources(res, tmp_path, quiet=True, dry_run=True)
    out = capsys.readouterr().out
    assert "missing              1,234  z/meta.zip" in out
    total = sum(map(len, FILES.values())) + len(ARCHIVE) + 1234
    assert f"would fetch 7 of 7 files, {total:,} bytes" in out
    assert _file_gets(loopback) == [] and report.dry_run and not (tmp_path / ".avbench").exists()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_not_enough_space_fails_before_any_byte(loopback, tmp_path, monkeypatch):
    from avbench.download import _plan

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(_plan.shutil, "disk_usage", lambda p: usage(10 << 30, 10 << 30, 1 << 20))
    with pytest.raises(DownloadError, match=r"not enough free space in .*: 6 file\(s\) need 0\.00 GiB"):
        fetch_resources(_resources(loopback), tmp_path, quiet=True)
    assert _file_gets(loopback) == []
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_real_full_disk_is_a_clear_error(loopback, tmp_path):
    """A 1 MiB tmpfs (needs root and mount rights; skipped otherwise) and files of unannounced
    size (2 MiB: inline writes; 20 MiB: the threaded sink): ENOSPC is reported as such."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("this environment does not allow mounting a tmpfs")
    try:
        for size in (2 << 20, 20 << 20):
            url, _ = loopback.add_generated(f"big{size}.bin", size)
            with pytest.raises(DownloadError, match="disk full while writing"):
                fetch_resources([Resource(f"big{size}.bin", HttpSource(url))], mnt, quiet=True)
            for p in mnt.iterdir():
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_mirror_serves_every_source_verified_by_recipe_hashes(loopback, tmp_path):
    data = b"mirror copy\n" * 50
    from loopback import Blob

    loopback.files["/m/zenodo/77/meta.zip"] = Blob(data)
    res = [Resource("meta.zip", ZenodoSource(77, "meta.zip"), size=len(data), md5=hashlib.md5(data).hexdigest())]
    fetch_resources(res, tmp_path, quiet=True, mirror=loopback.base + "/m/")
    assert (tmp_path / "meta.zip").read_bytes() == data
    assert not [r for r in loopback.log if r[1].startswith("/api/")]  # origin never asked
    bad = [Resource("meta2.zip", ZenodoSource(77, "meta.zip"), size=len(data), md5="0" * 32)]
    with pytest.raises(DownloadError, match="md5 expected 0{32}"):
        fetch_resources(bad, tmp_path, quiet=True, mirror=loopback.base + "/m")


def test_mirror_from_environment(loopback, tmp_path, monkeypatch):
    from loopback import Blob

    loopback.files["/m/gdrive/ABC"] = Blob(b"abc")
    monkeypatch.setenv("AVBENCH_MIRROR", loopback.base + "/m")
    from avbench.download.resource import GDriveSource

    fetch_resources([Resource("abc.bin", GDriveSource("ABC"), size=3)], tmp_path, quiet=True)
    assert (tmp_path / "abc.bin").read_bytes() == b"abc"


def test_one_failure_does_not_stop_the_others(loopback, tmp_path):
    res = _resources(loopback)
    res.append(Resource("gone.bin", HttpSource(loopback.base + "/files/gone.bin")))
    with pytest.raises(DownloadError, match=r"1 of 7 file\(s\) failed: gone.bin: HTTP 404"):
        fetch_resources(res, tmp_path, quiet=True)
    assert all((tmp_path / name).is_file() for name in FILES)
    assert (tmp_path / "data/audio/a.wav").is_file()


def test_remove_archives_then_rerun_and_verify(loopback, tmp_path):
    res = _resources(loopback)
    fetch_resources(res, tmp_path, quiet=True, remove_archives=True)
    assert not (tmp_path / "archives/audio.zip").exists() and (tmp_path / "data/audio/a.wav").is_file()
    n = len(_file_gets(loopback))
    report = fetch_resources(res, tmp_path, quiet=True)
    assert len(_file_gets(loopback)) == n and report.fetched == []
    assert verify_resources(res, tmp_path).ok
    (tmp_path / "data/audio/b.wav").unlink()
    rep = verify_resources(res, tmp_path)
    assert [c.path for c in rep.missing] == ["data/audio/b.wav"]


def test_verify_lists_missing_and_corrupt(loopback, tmp_path):
    res = _resources(loopback)
    fetch_resources(res, tmp_path, quiet=True)
    (tmp_path / "meta/f0.txt").unlink()
    (tmp_path / "meta/f1.txt").write_bytes(b"Z" * len(FILES["meta/f1.txt"]))
    rep = verify_resources(res, tmp_path).to_dict()
    assert rep["missing"] == ["meta/f0.txt"]
    assert rep["corrupt"][0]["path"] == "meta/f1.txt" and "sha256 expected" in rep["corrupt"][0]["detail"]


def test_many_small_files_concurrently(loopback, tmp_path):
    data = {f"s/{i:04d}.txt": f"{i}\n".encode() for i in range(120)}
    res = [Resource(k, HttpSource(loopback.add_file(f"{i}.txt", v)), size=len(v), sha256=hashlib.sha256(v).hexdigest())
           for i, (k, v) in enumerate(data.items())]
    fetch_resources(res, tmp_path, quiet=True, workers=16)
    assert all((tmp_path / k).read_bytes() == v for k, v in data.items())


def test_options_contract():
    with pytest.raises(InputError, match="unknown download option"):
        fetch_resources([], ".", verbose=True)
    with pytest.raises(InputError, match="workers must be an integer >= 1"):
        fetch_resources([], ".", workers=0)
    with pytest.raises(InputError, match="executor must be 'local' or 'dask'"):
        fetch_resources([], ".", executor="ray")
    with pytest.raises(InputError, match="listed twice"):
        r = Resource("a", HttpSource("http://127.0.0.1:9/a"))
        fetch_resources([r, r], ".")


# -- CLI on a tiny recipe ------------------------------------------------------------------------
@pytest.fixture()
def tiny(loopback, monkeypatch):
    recipe = TinyRecipe()
    recipe.res = _resources(loopback)
    monkeypatch.setattr(registry, "datasets", lambda: {"tinytest": recipe})
    return recipe


def test_cli_download_verify_fetch(tiny, loopback, tmp_path, capsys):
    d = str(tmp_path)
    assert cli(["download", "tinytest", "--data-dir", d, "--dry-run"]) == 0
    assert "would fetch 5 of 5 files" in capsys.readouterr().out
    assert cli(["download", "tinytest", "--data-dir", d, "--parts", "meta,audio", "--quiet", "--workers", "3"]) == 0
    assert (tmp_path / "tinytest/data/audio/a.wav").is_file()
    assert cli(["verify", "tinytest", "--data-dir", d, "--parts", "all"]) == 0
    assert "8 file(s) checked" in capsys.readouterr().out  # 6 files and the 2 extracted members
    (tmp_path / "tinytest/meta/f2.txt").write_bytes(b"?")
    assert cli(["verify", "tinytest", "--data-dir", d]) == 1
    assert "corrupt  meta/f2.txt  (size expected 21, got 1)" in capsys.readouterr().out
    assert cli(["download", "tinytest", "--data-dir", d, "--parts", "bogus"]) == 2
    assert "has no part(s) bogus" in capsys.readouterr().err
    url = loopback.add_file("one.bin", b"one file")
    out = tmp_path / "one" / "one.bin"
    sha = hashlib.sha256(b"one file").hexdigest()
    assert cli(["fetch", url, "--sha256", sha, "--out", str(out), "--quiet"]) == 0
    assert out.read_bytes() == b"one file"
    assert cli(["fetch", url, "--sha256", "0" * 64, "--out", str(tmp_path / "two.bin"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and f"sha256 expected {'0' * 64}, got {sha}" in err  # summary of the first run + one error line


def test_progress_display_path_runs(loopback, tmp_path, capsys):
    """The rich progress display (not a terminal here, so it renders nothing live) and the summary."""
    report = fetch_resources(_resources(loopback), tmp_path, quiet=False, workers=2)
    assert len(report.fetched) == 6 and "avbench:" not in capsys.readouterr().err  # the summary is for --quiet


def test_multivolume_archive_through_the_engine(loopback, tmp_path):
    """foa_dev.z01, foa_dev.z02, foa_dev.zip (DCASE style) fetched, extracted, removed; a rerun
    fetches nothing and verify passes through the recorded member list."""
    import random

    from _archives import _split_zip

    a, b = random.Random(1).randbytes(120_000), random.Random(2).randbytes(90_000)
    src = tmp_path / "src"
    src.mkdir()
    vols = _split_zip(_zip({"foa_dev/a.wav": a, "foa_dev/b.wav": b}), 80_000, src / "foa_dev")
    names = [v.name for v in vols]
    res = [Resource(f"zips/{v.name}", HttpSource(loopback.add_file(v.name, v.read_bytes())), size=v.stat().st_size,
                    md5=hashlib.md5(v.read_bytes()).hexdigest(), part="audio",
                    extract_to="." if v.name.endswith(".zip") else None,
                    volumes=tuple(f"zips/{n}" for n in names[:-1]) if v.name.endswith(".zip") else ())
           for v in vols]
    root = tmp_path / "root"
    report = fetch_resources(res, root, quiet=True, remove_archives=True)
    assert report.extracted == ["zips/foa_dev.zip"]
    assert (root / "foa_dev/a.wav").read_bytes() == a and (root / "foa_dev/b.wav").read_bytes() == b
    assert not list((root / "zips").iterdir())
    n = len(_file_gets(loopback))
    assert fetch_resources(res, root, quiet=True).fetched == [] and len(_file_gets(loopback)) == n
    assert verify_resources(res, root).ok


@pytest.mark.parametrize("form", ["directory", "file-url"])
def test_mirror_from_a_local_directory(tmp_path, form):
    # a copy of the hosts' files on disk (a lab's NFS share): same layout as an http mirror, same checks
    data = b"local mirror copy\n" * 40
    mirror = tmp_path / "share"
    (mirror / "zenodo" / "77").mkdir(parents=True)
    (mirror / "zenodo" / "77" / "meta.zip").write_bytes(data)
    base = str(mirror) if form == "directory" else mirror.as_uri()
    out = tmp_path / "out"
    res = [Resource("meta.zip", ZenodoSource(77, "meta.zip"), size=len(data), md5=hashlib.md5(data).hexdigest())]
    fetch_resources(res, out, quiet=True, mirror=base)
    assert (out / "meta.zip").read_bytes() == data
    bad = [Resource("meta2.zip", ZenodoSource(77, "meta.zip"), size=len(data), md5="0" * 32)]
    with pytest.raises(DownloadError, match="md5 expected 0{32}"):
        fetch_resources(bad, out, quiet=True, mirror=base)
    assert not (out / "meta2.zip").exists()
    with pytest.raises(DownloadError, match="a local directory"):
        fetch_resources(res, tmp_path / "out2", quiet=True, mirror=str(tmp_path / "no-such-share"))
