"""Zenodo, Google Drive and Hugging Face Hub sources against loopback imitations."""

from __future__ import annotations

import hashlib

import pytest
from loopback import ignore_range, truncate

from avbench.download import fetch_resources
from avbench.download.resource import GDriveSource, HubSource, Resource, ZenodoSource
from avbench.errors import DownloadError
from avbench.io import read_json

META = b"meta file contents\n" * 100
DOC = b"documentation\n" * 10
TITLE = "TAU Urban Audio-Visual Scenes 2021, Development dataset"


def _md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


# -- Zenodo --------------------------------------------------------------------------------------
def test_zenodo_record_files_fetched_and_checked_against_api_md5(loopback, tmp_path):
    loopback.zenodo_record(4477542, TITLE, {"meta.zip": META, "doc.zip": DOC}, version="1.0")
    res = [Resource("meta.zip", ZenodoSource(4477542, "meta.zip", title=TITLE.upper())),
           Resource("doc/doc.zip", ZenodoSource(4477542, "doc.zip"), md5=_md5(DOC))]
    fetch_resources(res, tmp_path, quiet=True)
    assert (tmp_path / "meta.zip").read_bytes() == META and (tmp_path / "doc/doc.zip").read_bytes() == DOC
    api_calls = [r for r in loopback.log if r[1] == "/api/records/4477542"]
    assert len(api_calls) == 1  # one API call per record
    entry = read_json(tmp_path / ".avbench/downloads.json")["files"]["meta.zip"]
    assert entry["md5"] == _md5(META) and entry["verified"] == ["md5"] and entry["version"] == "zenodo:4477542 v1.0"


def test_zenodo_wrong_title_fails_before_any_file_request(loopback, tmp_path):
    loopback.zenodo_record(1, "Some other dataset", {"meta.zip": META})
    with pytest.raises(DownloadError, match="titled 'Some other dataset', the recipe expects"):
        fetch_resources([Resource("meta.zip", ZenodoSource(1, "meta.zip", title=TITLE))], tmp_path, quiet=True)
    assert not [r for r in loopback.log if "/files/" in r[1]]


def test_zenodo_missing_file_lists_what_the_record_has(loopback, tmp_path):
    loopback.zenodo_record(2, TITLE, {"meta.zip": META, "doc.zip": DOC})
    with pytest.raises(DownloadError, match=r"record 2 has no file 'audio.1.zip'; it has: doc.zip, meta.zip"):
        fetch_resources([Resource("a.zip", ZenodoSource(2, "audio.1.zip"))], tmp_path, quiet=True)


def test_zenodo_recipe_md5_disagreeing_with_api(loopback, tmp_path):
    loopback.zenodo_record(3, TITLE, {"meta.zip": META})
    with pytest.raises(DownloadError, match="the recipe says md5 0{32}, the host says"):
        fetch_resources([Resource("meta.zip", ZenodoSource(3, "meta.zip"), md5="0" * 32)], tmp_path, quiet=True)


def test_zenodo_api_md5_wrong_means_mismatch_reported(loopback, tmp_path):
    loopback.zenodo_record(4, TITLE, {"meta.zip": META}, md5_override={"meta.zip": "f" * 32})
    with pytest.raises(DownloadError, match=f"md5 expected f{{32}}, got {_md5(META)}"):
        fetch_resources([Resource("meta.zip", ZenodoSource(4, "meta.zip"))], tmp_path, quiet=True)


def test_zenodo_api_500_is_retried(loopback, tmp_path):
    from loopback import status

    loopback.zenodo_record(5, TITLE, {"meta.zip": META})
    loopback.fail("/api/records/5", status(502))
    fetch_resources([Resource("meta.zip", ZenodoSource(5, "meta.zip"))], tmp_path, quiet=True)
    assert (tmp_path / "meta.zip").read_bytes() == META


# -- Google Drive --------------------------------------------------------------------------------
@pytest.mark.parametrize("flow", ["none", "form", "cookie"])
def test_gdrive_confirmation_flows(loopback, tmp_path, flow):
    data = b"drive bytes " * 5000
    loopback.gdrive_file("1FjKwe79e0u96vdjIVwfRQ1V6SoDHe7kK", data, flow=flow)
    res = Resource("AVE_Dataset.zip", GDriveSource("1FjKwe79e0u96vdjIVwfRQ1V6SoDHe7kK"), size=len(data))
    fetch_resources([res], tmp_path, quiet=True)
    assert (tmp_path / "AVE_Dataset.zip").read_bytes() == data
    final = [r for r in loopback.log if r[0] == "GET" and r[1].startswith("/download")][-1]
    if flow == "form":
        assert "confirm=t" in final[1] and "uuid=" in final[1]
    if flow == "cookie":
        assert "confirm=" in final[1] and "download_warning" in final[2].get("Cookie", "")


def test_gdrive_resume_after_confirmation(loopback, tmp_path):
    data = bytes(range(256)) * 800
    loopback.gdrive_file("ID1", data, flow="form")
    # the page and the probe of the confirmed URL pass; the download itself is cut after 5000 bytes
    loopback.fail("/download", ignore_range(), ignore_range(), truncate(5000))
    fetch_resources([Resource("x.bin", GDriveSource("ID1"), size=len(data))], tmp_path, quiet=True)
    assert (tmp_path / "x.bin").read_bytes() == data
    ranges = [r[2].get("Range") for r in loopback.log if r[0] == "GET" and "confirm=t" in r[1]]
    assert ranges[-1] == "bytes=5000-"
    last = [r[2] for r in loopback.log if r[0] == "GET" and "confirm=t" in r[1]][-1]
    assert last.get("If-Range", "").startswith('"')  # resumed as the same file (its ETag)


def test_gdrive_quota_page_is_reported(loopback, tmp_path):
    loopback.gdrive_file("ID2", b"x", flow="quota")
    with pytest.raises(DownloadError, match="download quota exceeded"):
        fetch_resources([Resource("x.bin", GDriveSource("ID2"))], tmp_path, quiet=True)
    assert not (tmp_path / "x.bin").exists()


# -- Hugging Face Hub ----------------------------------------------------------------------------
def test_hub_lfs_and_regular_files_verified_and_commit_pinned(loopback, tmp_path, monkeypatch):
    pytest.importorskip("huggingface_hub")
    big = bytes(range(256)) * 1000
    small = b"readme\n"
    commit = loopback.hub_repo("org/ave-mirror", {"data/big.bin": big, "README.md": small}, lfs=("data/big.bin",))
    monkeypatch.setenv("HF_TOKEN", "hf_secret_token_for_test")
    res = [Resource("big.bin", HubSource("org/ave-mirror", "data/big.bin")),
           Resource("README.md", HubSource("org/ave-mirror", "README.md"))]
    fetch_resources(res, tmp_path, quiet=True)
    assert (tmp_path / "big.bin").read_bytes() == big and (tmp_path / "README.md").read_bytes() == small
    rec = read_json(tmp_path / ".avbench/downloads.json")["files"]
    assert rec["big.bin"]["verified"] == ["sha256"] and rec["README.md"]["verified"] == ["git"]
    assert rec["big.bin"]["version"] == f"hub:org/ave-mirror@{commit}"
    assert [r for r in loopback.log if r[1] == "/api/datasets/org/ave-mirror/revision/main"]
    # every file URL names the pinned commit, and the token never reaches the CDN host
    assert all(commit in r[1] for r in loopback.log if "/resolve/" in r[1])
    cdn = [r for r in loopback.log if r[1].startswith("/cdn/")]
    assert cdn and all("Authorization" not in r[2] for r in cdn)
    hub_gets = [r for r in loopback.log if r[0] == "GET" and "/resolve/" in r[1]]
    assert all(r[2].get("Authorization") == "Bearer hf_secret_token_for_test" for r in hub_gets)


def test_hub_wrong_content_fails_against_etag(loopback, tmp_path):
    pytest.importorskip("huggingface_hub")
    from loopback import corrupt

    loopback.hub_repo("org/r", {"a.bin": b"a" * 5000}, lfs=("a.bin",))
    sha = hashlib.sha256(b"a" * 5000).hexdigest()
    loopback.fail(f"/cdn/{sha}", corrupt(), corrupt())
    with pytest.raises(DownloadError, match=f"sha256 expected {sha}"):
        fetch_resources([Resource("a.bin", HubSource("org/r", "a.bin"))], tmp_path, quiet=True)


def test_hub_unknown_revision_is_a_clear_error(loopback, tmp_path):
    pytest.importorskip("huggingface_hub")
    loopback.hub_repo("org/r", {"a.bin": b"a"})
    with pytest.raises(DownloadError, match="cannot resolve dataset 'org/r' at 'v9'"):
        fetch_resources([Resource("a.bin", HubSource("org/r", "a.bin", revision="v9"))], tmp_path, quiet=True)
