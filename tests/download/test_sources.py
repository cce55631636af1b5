"""Zenodo, Google Drive and Hugging Face Hub sources against loopback imitations."""

from __future__ import annotations

import hashlib
import time

import pytest
from _threads import in_thread
from loopback import ignore_range, slow_headers, status, trickle, truncate

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


def _hub_lfs(loopback) -> tuple[str, list[Resource]]:  # type: ignore[no-untyped-def]
    commit = loopback.hub_repo("org/r", {"a.bin": b"a" * 5000}, lfs=("a.bin",))
    return commit, [Resource("a.bin", HubSource("org/r", "a.bin"), sha256=hashlib.sha256(b"a" * 5000).hexdigest())]


@pytest.mark.parametrize("where", ["revision", "file-metadata"])
def test_hub_metadata_requests_have_the_header_deadline(loopback, tmp_path, where):
    """Before: the revision lookup and the file's HEAD went through huggingface_hub's client with
    its per-read timeout only: headers sent a byte every 50 ms were waited on for as long as they
    came (60 s here, then the answer was used or failed with the library's message). Now both
    go through avbench's HTTP with its header deadline and bounded retries."""
    pytest.importorskip("huggingface_hub")
    commit, res = _hub_lfs(loopback)
    path = "/api/datasets/org/r/revision/main" if where == "revision" else f"/datasets/org/r/resolve/{commit}/a.bin"
    loopback.fail(path, *[slow_headers(0.05, 60)] * 10)
    t0 = time.monotonic()
    exc = in_thread(lambda: fetch_resources(res, tmp_path, quiet=True, header_timeout=0.3))
    assert isinstance(exc, DownloadError), exc
    assert "response headers were not complete within 0.3 s" in str(exc) and "(4 attempts)" in str(exc), exc
    assert len(loopback.requests_for(path)) == 4 and time.monotonic() - t0 < 15


def test_hub_revision_answer_trickled_hits_the_minimum_rate(loopback, tmp_path):
    """Before: the revision JSON trickled a byte every 50 ms was read to its end (about 7 s here,
    then used). Now: the file bodies' minimum rate, retried a bounded number of times."""
    pytest.importorskip("huggingface_hub")
    _, res = _hub_lfs(loopback)
    loopback.fail("/api/datasets/org/r/revision/main", *[trickle(1, 0.05)] * 10)
    exc = in_thread(lambda: fetch_resources(res, tmp_path, quiet=True, min_rate=1024, rate_window=0.3))
    assert isinstance(exc, DownloadError) and "slower than 1024 bytes/s over 0.3 s (4 attempts)" in str(exc), exc


@pytest.mark.parametrize("where", ["revision", "file-metadata"])
def test_hub_metadata_5xx_is_retried_then_fetched(loopback, tmp_path, where):
    """Before: one 503 from the revision lookup failed the file at once (huggingface_hub's
    ``repo_info`` does not retry; its HEAD did, with its own policy). Now both are retried like
    every other request, under the run's policy."""
    pytest.importorskip("huggingface_hub")
    commit, res = _hub_lfs(loopback)
    path = "/api/datasets/org/r/revision/main" if where == "revision" else f"/datasets/org/r/resolve/{commit}/a.bin"
    loopback.fail(path, status(503), status(502))
    fetch_resources(res, tmp_path, quiet=True)
    assert (tmp_path / "a.bin").read_bytes() == b"a" * 5000
    method = "GET" if where == "revision" else "HEAD"  # the file's GET follows its HEAD on the same path
    assert [r[0] for r in loopback.requests_for(path)].count(method) == 3


def test_hub_metadata_5xx_gives_up_after_the_bounded_attempts(loopback, tmp_path):
    """A Hub answering 503 to every request fails with the attempts counted (4 here), and no more
    requests than that."""
    pytest.importorskip("huggingface_hub")
    _, res = _hub_lfs(loopback)
    path = "/api/datasets/org/r/revision/main"
    loopback.fail(path, *[status(503)] * 20)
    with pytest.raises(DownloadError, match=r"cannot resolve dataset 'org/r' at 'main': HTTP 503 .*\(4 attempts\)"):
        fetch_resources(res, tmp_path, quiet=True)
    assert len(loopback.requests_for(path)) == 4
