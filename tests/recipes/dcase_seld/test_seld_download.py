"""``avbench download`` for the SELD sets over a loopback imitation of Zenodo's records API.

The toy sets (real layouts) are zipped as the release ships them: ``metadata_dev.zip``, a
multi-volume ``foa_dev.z01`` + ``foa_dev.zip`` (Info-ZIP split), ``foa_eval.zip``, STARSS23's
``video_dev.zip``; the record answers its title and each file's md5, and the recipe's index is
swapped for one carrying these archives' md5s, as the packaged index carries the real ones.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pytest
from _archives import _split_zip, _zip

import avbench.recipes.dcase_seld as seld
from avbench import registry
from avbench.errors import DownloadError

T21 = "tau-nigens-sse-2021"


def _members(src: Path, folder: str) -> dict[str, bytes]:
    return {p.relative_to(src).as_posix(): p.read_bytes() for p in sorted((src / folder).rglob("*")) if p.is_file()}


def _serve(loopback: Any, monkeypatch: pytest.MonkeyPatch, name: str, archives: dict[str, bytes],
           title: str | None = None) -> dict[str, Any]:
    real = seld.index(name.replace("-", "_"))
    idx = copy.deepcopy(real)
    idx["files"] = [dict(f, md5=hashlib.md5(archives[f["key"]]).hexdigest()) for f in real["files"] if f["key"] in archives]
    rec = idx["records"]["dev"]
    loopback.zenodo_record(rec["id"], title or rec["title"], archives)
    original = seld.index
    monkeypatch.setattr(seld, "index", lambda n: idx if n == name.replace("-", "_") else original(n))
    return idx


@pytest.fixture
def t21_archives(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    src = tmp_path / "src"
    registry.dataset(T21).make_toy(src)
    out = {"metadata_dev.zip": _zip(_members(src, "metadata_dev")),
           "metadata_eval.zip": _zip(_members(src, "metadata_eval")),
           "foa_eval.zip": _zip(_members(src, "foa_eval"))}
    whole = _zip(_members(src, "foa_dev"))
    vols = _split_zip(whole, len(whole) // 2 + 1000, tmp_path / "foa_dev")
    assert [v.name for v in vols] == ["foa_dev.z01", "foa_dev.zip"]
    out.update({v.name: v.read_bytes() for v in vols})
    return src, out


def _gets(loopback: Any) -> list[str]:
    return [r[1] for r in loopback.log if r[0] == "GET" and "/files/" in r[1]]


def test_download_verify_extract_load(loopback: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                      t21_archives: tuple[Path, dict[str, bytes]]) -> None:
    src, archives = t21_archives
    _serve(loopback, monkeypatch, T21, archives)
    r = registry.dataset(T21)
    root = tmp_path / "data"
    r.prepare(root, parts=("meta", "foa"), quiet=True)
    wav = "foa_dev/dev-test/fold6_room1_mix006.wav"
    assert (root / wav).read_bytes() == (src / wav).read_bytes()  # through both volumes of the split zip
    got, want = r.load(root), r.load(src)
    assert list(got) == list(want) and all(got[k].events == want[k].events for k in want)
    assert r.splits(root).digest() == r.splits(src).digest()
    n = len(_gets(loopback))
    r.prepare(root, parts=("meta", "foa"), quiet=True)  # idempotent: nothing fetched again
    assert len(_gets(loopback)) == n
    from avbench.download.verify import verify_resources

    files = r.resources(parts=("meta", "foa"))
    assert verify_resources(files, root).ok
    (root / wav).write_bytes(b"RIFF" + bytes(100))  # an extracted member damaged on disk
    report = verify_resources(files, root)
    assert not report.ok and [c.path for c in report.corrupt] == [wav]
    r.prepare(root, parts=("meta", "foa"), quiet=True)  # repaired from the kept volumes
    assert (root / wav).read_bytes() == (src / wav).read_bytes() and verify_resources(files, root).ok


def test_split_eval_fetches_only_the_evaluation_archives(loopback: Any, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path, t21_archives: tuple[Path, dict[str, bytes]]) -> None:
    _, archives = t21_archives
    _serve(loopback, monkeypatch, T21, archives)
    registry.dataset(T21).prepare(tmp_path / "d", parts=("meta", "foa"), split="eval", quiet=True)
    assert sorted(p.rsplit("/", 2)[-2] for p in _gets(loopback)) == ["foa_eval.zip", "metadata_eval.zip"]
    assert not (tmp_path / "d" / "foa_dev").exists()


def test_a_record_with_another_title_fails_before_any_byte(loopback: Any, monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path, t21_archives: tuple[Path, dict[str, bytes]]) -> None:
    _, archives = t21_archives
    _serve(loopback, monkeypatch, T21, archives, title="TAU-NIGENS Spatial Sound Events 2020")
    with pytest.raises(DownloadError, match=r"Zenodo record 5476980 is titled 'TAU-NIGENS Spatial Sound Events 2020'"):
        registry.dataset(T21).prepare(tmp_path / "d", parts=("meta",), quiet=True)
    assert _gets(loopback) == []


def test_an_index_md5_that_differs_from_the_record_fails(loopback: Any, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path, t21_archives: tuple[Path, dict[str, bytes]]) -> None:
    _, archives = t21_archives
    idx = _serve(loopback, monkeypatch, T21, archives)
    next(f for f in idx["files"] if f["key"] == "metadata_dev.zip")["md5"] = "0" * 32
    with pytest.raises(DownloadError, match=r"metadata_dev.zip.*md5"):
        registry.dataset(T21).prepare(tmp_path / "d", parts=("meta",), quiet=True)
    assert not (tmp_path / "d" / "metadata_dev").exists()


def test_starss23_video_part_is_probed_into_the_masks(loopback: Any, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    pytest.importorskip("av", reason="the toy 360-degree videos need PyAV (extra 'video')")
    src = tmp_path / "src"
    r = registry.dataset("starss23")
    r.make_toy(src)
    archives = {"metadata_dev.zip": _zip(_members(src, "metadata_dev")), "video_dev.zip": _zip(_members(src, "video_dev"))}
    _serve(loopback, monkeypatch, "starss23", archives)
    root = tmp_path / "data"
    r.prepare(root, parts=("meta", "video_dev"), quiet=True)
    clips = r.load(root)
    assert {k: c.has_video for k, c in clips.items()} == {
        "fold3_room4_mix001": True, "fold3_room21_mix001": False, "fold4_room2_mix001": True, "fold4_room23_mix001": False}
    assert clips["fold4_room23_mix001"].meta["video_status"].startswith("undecodable")
    assert clips["fold4_room2_mix001"].meta["video_info"]["fps"] == 29.97
    # no audio downloaded: durations come from the last labelled frame
    assert clips["fold4_room2_mix001"].meta["duration_source"].startswith("metadata")
